using NeuralNet.Serialization;

namespace NeuralNet.Optimizers.Schedules;

/// <summary>Keras' <c>InverseTimeDecay</c>: initial / (1 + decayRate · step / decaySteps), the ratio floored with <paramref name="staircase"/>.</summary>
/// <param name="initialLearningRate">The rate at step 0; non-negative.</param>
/// <param name="decaySteps">The step unit; positive and finite (not necessarily whole, as in Keras).</param>
/// <param name="decayRate">The decay per unit; non-negative (a negative one reaches a zero denominator, then negative rates).</param>
/// <param name="staircase">Whether step / decaySteps is floored.</param>
/// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (named in the exception); every range keeps the rate non-negative and finite.</exception>
public sealed class InverseTimeDecay(double initialLearningRate, double decaySteps, double decayRate, bool staircase = false) : LearningRateSchedule
{
    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; } = NonNegative(initialLearningRate, nameof(initialLearningRate));

    /// <summary>The step unit.</summary>
    public double DecaySteps { get; } = PositiveSteps(decaySteps, nameof(decaySteps));

    /// <summary>The decay per unit.</summary>
    public double DecayRate { get; } = NonNegative(decayRate, nameof(decayRate));

    /// <summary>Whether step / decaySteps is floored.</summary>
    public bool Staircase { get; } = staircase;

    /// <inheritdoc/>
    public override string Name => "InverseTimeDecay";

    /// <inheritdoc/>
    public override double Rate(long step)
    {
        double p = (double)step / DecaySteps;
        return InitialLearningRate / (1 + (DecayRate * (Staircase ? Math.Floor(p) : p)));
    }

    /// <inheritdoc/>
    public override Config GetConfig() => SetSteps(new Config().Set("initial_learning_rate", InitialLearningRate), "decay_steps", DecaySteps)
        .Set("decay_rate", DecayRate).Set("staircase", Staircase);
}
