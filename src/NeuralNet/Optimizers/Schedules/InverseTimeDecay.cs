using NeuralNet.Serialization;

namespace NeuralNet.Optimizers.Schedules;

/// <summary>Keras' <c>InverseTimeDecay</c>: initial / (1 + decayRate · step / decaySteps), the ratio floored with <paramref name="staircase"/>.</summary>
/// <param name="initialLearningRate">The rate at step 0.</param>
/// <param name="decaySteps">The step unit; positive.</param>
/// <param name="decayRate">The decay per unit.</param>
/// <param name="staircase">Whether step / decaySteps is floored.</param>
public sealed class InverseTimeDecay(double initialLearningRate, long decaySteps, double decayRate, bool staircase = false) : LearningRateSchedule
{
    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; } = Finite(initialLearningRate, nameof(initialLearningRate));

    /// <summary>The step unit.</summary>
    public long DecaySteps { get; } = PositiveSteps(decaySteps, nameof(decaySteps));

    /// <summary>The decay per unit.</summary>
    public double DecayRate { get; } = Finite(decayRate, nameof(decayRate));

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
    public override Config GetConfig() => new Config().Set("initial_learning_rate", InitialLearningRate).Set("decay_steps", (long?)DecaySteps)
        .Set("decay_rate", DecayRate).Set("staircase", Staircase);
}
