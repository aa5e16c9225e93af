using NeuralNet.Serialization;

namespace NeuralNet.Constraints;

/// <summary>
/// Caps the norm of each group of weights (Keras' <c>MaxNorm</c>, <c>"max_norm"</c>):
/// <c>w * clip(norm, 0, maxValue) / (1e-7 + norm)</c>, the norm taken over <see cref="Axes"/>. With Keras' default axis 0 a
/// Dense kernel (inputs, units) gets one norm per unit, over its incoming weights; for a Conv2D kernel
/// (rows, cols, channels, filters) Keras advises axes [0, 1, 2], one norm per filter.
/// </summary>
public sealed class MaxNorm : Constraint
{
    private readonly NormAxes _axes;

    /// <summary>Creates the constraint.</summary>
    /// <param name="maxValue">The largest norm allowed; Keras' default 2.</param>
    /// <param name="axis">The axes the norm sums over (negative counts from the end); Keras' default 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxValue"/> is negative, NaN or infinite, or a finite
    /// double beyond float32's range.</exception>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is empty.</exception>
    public MaxNorm(double maxValue = 2, params int[] axis)
    {
        // Checked as float32, the value used: 1e39 would be infinity.
        MaxValue = Float32Hyperparameter.NonNegative(maxValue, nameof(maxValue), "MaxNorm");

        _axes = new NormAxes(axis is null || axis.Length == 0 ? [0] : axis, nameof(axis));
    }

    /// <summary>The largest norm allowed, as float32 (the value given, rounded to float32).</summary>
    public float MaxValue { get; }

    /// <summary>The axes the norm sums over.</summary>
    public IReadOnlyList<int> Axes => _axes.Axes;

    /// <inheritdoc/>
    public override string Name => "max_norm";

    /// <inheritdoc/>
    public override void Apply(Tensor weights) => _axes.Scale(weights, nameof(MaxNorm), new Rule(MaxValue));

    /// <inheritdoc/>
    public override void ValidateShape(TensorShape shape) => _axes.Mask(shape, nameof(MaxNorm));

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = new Config().Set("max_value", MaxValue);
        _axes.Write(config);
        return config;
    }

    private readonly struct Rule(float maxValue) : INormRule
    {
        public bool Divides => false;

        public float Factor(float norm) => Math.Clamp(norm, 0f, maxValue) / (NormConstraintEpsilon.Value + norm);
    }
}
