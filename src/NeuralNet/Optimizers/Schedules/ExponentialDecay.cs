using NeuralNet.Serialization;

namespace NeuralNet.Optimizers.Schedules;

/// <summary>Keras' <c>ExponentialDecay</c>: initial · decayRate^(step / decaySteps), the exponent floored with <paramref name="staircase"/>.</summary>
/// <param name="initialLearningRate">The rate at step 0; non-negative.</param>
/// <param name="decaySteps">The steps over which the rate is multiplied by <paramref name="decayRate"/>; positive and finite (not necessarily whole, as in Keras).</param>
/// <param name="decayRate">The factor per <paramref name="decaySteps"/>; positive (a negative factor gives NaN at fractional exponents; above 1 the rate grows, until it overflows and the optimizer's step refuses it).</param>
/// <param name="staircase">Whether the rate drops in steps rather than continuously.</param>
/// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (named in the exception); every range keeps the rate non-negative and finite.</exception>
public sealed class ExponentialDecay(double initialLearningRate, double decaySteps, double decayRate, bool staircase = false) : LearningRateSchedule
{
    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; } = NonNegative(initialLearningRate, nameof(initialLearningRate));

    /// <summary>The steps over which the rate is multiplied by <see cref="DecayRate"/>.</summary>
    public double DecaySteps { get; } = PositiveSteps(decaySteps, nameof(decaySteps));

    /// <summary>The factor per <see cref="DecaySteps"/>.</summary>
    public double DecayRate { get; } = Positive(decayRate, nameof(decayRate));

    /// <summary>Whether the exponent is floored.</summary>
    public bool Staircase { get; } = staircase;

    /// <inheritdoc/>
    public override string Name => "ExponentialDecay";

    /// <inheritdoc/>
    public override double Rate(long step)
    {
        double p = (double)step / DecaySteps;
        return InitialLearningRate * Math.Pow(DecayRate, Staircase ? Math.Floor(p) : p);
    }

    /// <inheritdoc/>
    public override Config GetConfig() => SetSteps(new Config().Set("initial_learning_rate", InitialLearningRate), "decay_steps", DecaySteps)
        .Set("decay_rate", DecayRate).Set("staircase", Staircase);
}
