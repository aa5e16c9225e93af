using NeuralNet.Serialization;

namespace NeuralNet.Optimizers.Schedules;

/// <summary>
/// Keras' <c>CosineDecay</c>, with optional linear warm-up: with a <paramref name="warmupTarget"/>, the rate rises linearly
/// from initial to the target over <paramref name="warmupSteps"/>, then decays from the target; without, it decays from
/// initial. Decay: from · ((1 − alpha) · 0.5 · (1 + cos(π · s / decaySteps)) + alpha), s the steps since the decay began,
/// at most decaySteps.
/// </summary>
/// <param name="initialLearningRate">The rate at step 0; non-negative (0 to warm up from 0).</param>
/// <param name="decaySteps">The steps the cosine decay lasts; positive and finite (not necessarily whole, as in Keras).</param>
/// <param name="alpha">The final rate as a fraction of the rate the decay starts from; in [0, 1].</param>
/// <param name="warmupTarget">The rate reached by the warm-up; non-negative; null for none.</param>
/// <param name="warmupSteps">The steps of the warm-up; non-negative and finite.</param>
/// <exception cref="ArgumentOutOfRangeException">A setting is outside its range (named in the exception); every range keeps the rate non-negative and finite.</exception>
public sealed class CosineDecay(double initialLearningRate, double decaySteps, double alpha = 0.0, double? warmupTarget = null, double warmupSteps = 0) : LearningRateSchedule
{
    /// <summary>The rate at step 0.</summary>
    public double InitialLearningRate { get; } = NonNegative(initialLearningRate, nameof(initialLearningRate));

    /// <summary>The steps the cosine decay lasts.</summary>
    public double DecaySteps { get; } = PositiveSteps(decaySteps, nameof(decaySteps));

    /// <summary>The final rate as a fraction of the rate the decay starts from.</summary>
    public double Alpha { get; } = UnitInterval(alpha, nameof(alpha));

    /// <summary>The rate reached by the warm-up, or null.</summary>
    public double? WarmupTarget { get; } = warmupTarget is double target ? NonNegative(target, nameof(warmupTarget)) : null;

    /// <summary>The steps of the warm-up.</summary>
    public double WarmupSteps { get; } = warmupSteps >= 0 && double.IsFinite(warmupSteps) ? warmupSteps : throw new ArgumentOutOfRangeException(nameof(warmupSteps), warmupSteps, "warmupSteps must be a finite number >= 0.");

    /// <inheritdoc/>
    public override string Name => "CosineDecay";

    /// <inheritdoc/>
    public override double Rate(long step)
    {
        if (WarmupTarget is not double target)
        {
            return Decay(Math.Min(step, DecaySteps), InitialLearningRate);
        }

        double s = Math.Min(step, DecaySteps + WarmupSteps);
        return s < WarmupSteps
            ? ((target - InitialLearningRate) * (s / WarmupSteps)) + InitialLearningRate
            : Decay(s - WarmupSteps, target);
    }

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = SetSteps(new Config().Set("initial_learning_rate", InitialLearningRate), "decay_steps", DecaySteps).Set("alpha", Alpha);
        config = WarmupTarget is double target ? config.Set("warmup_target", target) : config.Set("warmup_target", (string?)null);
        return SetSteps(config, "warmup_steps", WarmupSteps);
    }

    private double Decay(double step, double from)
    {
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * step / DecaySteps));
        return from * (((1 - Alpha) * cosine) + Alpha);
    }
}
