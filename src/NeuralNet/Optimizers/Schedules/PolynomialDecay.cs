using NeuralNet.Serialization;

namespace NeuralNet.Optimizers.Schedules;

/// <summary>
/// Keras' <c>PolynomialDecay</c>: (initial − end) · (1 − s / decaySteps)^power + end with s = min(step, decaySteps); with
/// <paramref name="cycle"/>, decaySteps becomes the first multiple of itself at or above the step (1 multiple at step 0).
/// </summary>
/// <param name="initialLearningRate">The rate at step 0; non-negative (0 to warm up towards <paramref name="endLearningRate"/>).</param>
/// <param name="decaySteps">The steps to reach <paramref name="endLearningRate"/>; positive and finite (not necessarily whole, as in Keras).</param>
/// <param name="endLearningRate">The final rate; non-negative (0 to decay to 0).</param>
/// <param name="power">The polynomial's power; positive (a negative power is infinite at the end of the decay).</param>
/// <param name="cycle">Whether the decay restarts every decaySteps.</param>
/// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (named in the exception); every range keeps the rate non-negative and finite.</exception>
public sealed class PolynomialDecay(double initialLearningRate, double decaySteps, double endLearningRate = 0.0001, double power = 1.0, bool cycle = false) : LearningRateSchedule
{
    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; } = NonNegative(initialLearningRate, nameof(initialLearningRate));

    /// <summary>The steps to reach <see cref="EndLearningRate"/>.</summary>
    public double DecaySteps { get; } = PositiveSteps(decaySteps, nameof(decaySteps));

    /// <summary>The final rate.</summary>
    public double EndLearningRate { get; } = NonNegative(endLearningRate, nameof(endLearningRate));

    /// <summary>The polynomial's power.</summary>
    public double Power { get; } = Positive(power, nameof(power));

    /// <summary>Whether the decay restarts.</summary>
    public bool Cycle { get; } = cycle;

    /// <inheritdoc/>
    public override string Name => "PolynomialDecay";

    /// <inheritdoc/>
    public override double Rate(long step)
    {
        double s = step, steps = DecaySteps;
        if (Cycle)
        {
            steps *= step == 0 ? 1 : Math.Ceiling(s / DecaySteps);
        }
        else
        {
            s = Math.Min(s, steps);
        }

        return ((InitialLearningRate - EndLearningRate) * Math.Pow(1 - (s / steps), Power)) + EndLearningRate;
    }

    /// <inheritdoc/>
    public override Config GetConfig() => SetSteps(new Config().Set("initial_learning_rate", InitialLearningRate), "decay_steps", DecaySteps)
        .Set("end_learning_rate", EndLearningRate).Set("power", Power).Set("cycle", Cycle);
}
