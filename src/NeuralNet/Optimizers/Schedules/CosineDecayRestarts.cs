using NeuralNet.Serialization;

namespace NeuralNet.Optimizers.Schedules;

/// <summary>
/// Keras' <c>CosineDecayRestarts</c> (SGDR): cosine decays that restart, the i-th lasting firstDecaySteps · tMul^i steps
/// and starting from initial · mMul^i; each decays to alpha times its start.
/// </summary>
/// <param name="initialLearningRate">The rate at step 0; non-negative.</param>
/// <param name="firstDecaySteps">The length of the first decay; positive and finite (not necessarily whole, as in Keras).</param>
/// <param name="tMul">The factor of each decay's length over the previous one; at least 1 (shorter and shorter periods end after a finite number of steps, past which Keras' formula gives NaN).</param>
/// <param name="mMul">The factor of each decay's starting rate over the previous one; non-negative.</param>
/// <param name="alpha">The final rate of each decay as a fraction of its start; in [0, 1].</param>
/// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (named in the exception); every range keeps the rate non-negative and finite.</exception>
public sealed class CosineDecayRestarts(double initialLearningRate, double firstDecaySteps, double tMul = 2.0, double mMul = 1.0, double alpha = 0.0) : LearningRateSchedule
{
    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; } = NonNegative(initialLearningRate, nameof(initialLearningRate));

    /// <summary>The length of the first decay.</summary>
    public double FirstDecaySteps { get; } = PositiveSteps(firstDecaySteps, nameof(firstDecaySteps));

    /// <summary>The factor of each decay's length over the previous one.</summary>
    public double TMul { get; } = AtLeast(tMul, 1.0, nameof(tMul), "periods that shrink (tMul below 1) add up to a finite number of steps, after which the rate is undefined (NaN)");

    /// <summary>The factor of each decay's starting rate over the previous one.</summary>
    public double MMul { get; } = NonNegative(mMul, nameof(mMul));

    /// <summary>The final rate of each decay as a fraction of its start.</summary>
    public double Alpha { get; } = UnitInterval(alpha, nameof(alpha));

    /// <inheritdoc/>
    public override string Name => "CosineDecayRestarts";

    /// <inheritdoc/>
    private protected override string DefaultName => "SGDRDecay";

    /// <inheritdoc/>
    public override double Rate(long step)
    {
        double fraction = (double)step / FirstDecaySteps, restart;
        if (TMul == 1.0)
        {
            restart = Math.Floor(fraction);
            fraction -= restart;
        }
        else
        {
            // Keras' closed form for the index of the current period; at an exact boundary (10 + 30 + 90 + 270 + 810 =
            // 1210 steps with tMul 3, or 1110 with tMul 10) log(243) / log(3) comes out just below 5 in float64 and
            // the restart would be missed (a rate of 0 instead of the initial rate). The sums of the periods decide, and
            // the rounding of the logarithms is far below one period, so one correction either way is enough.
            restart = Math.Floor(Math.Log(1 - (fraction * (1 - TMul))) / Math.Log(TMul));
            if (PeriodsBefore(restart + 1) <= fraction)
            {
                restart++;
            }
            else if (restart > 0 && PeriodsBefore(restart) > fraction)
            {
                restart--;
            }

            fraction = (fraction - PeriodsBefore(restart)) / Math.Pow(TMul, restart);
        }

        double cosine = 0.5 * Math.Pow(MMul, restart) * (1 + Math.Cos(Math.PI * fraction));
        return InitialLearningRate * (((1 - Alpha) * cosine) + Alpha);
    }

    // The length of periods 0 .. i − 1 together, in units of the first: 1 + tMul + ... + tMul^(i − 1).
    private double PeriodsBefore(double i) => (1 - Math.Pow(TMul, i)) / (1 - TMul);

    /// <inheritdoc/>
    public override Config GetConfig() => SetSteps(new Config().Set("initial_learning_rate", InitialLearningRate), "first_decay_steps", FirstDecaySteps)
        .Set("t_mul", TMul).Set("m_mul", MMul).Set("alpha", Alpha);
}
