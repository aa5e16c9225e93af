using NeuralNet.Serialization;

namespace NeuralNet.Constraints;

/// <summary>
/// Keeps the norm of each group of weights within [<see cref="MinValue"/>, <see cref="MaxValue"/>] (Keras'
/// <c>MinMaxNorm</c>, <c>"min_max_norm"</c>): <c>w * desired / (1e-7 + norm)</c> with
/// <c>desired = rate * clip(norm, minValue, maxValue) + (1 - rate) * norm</c>, the norm taken over <see cref="Axes"/>.
/// A rate below 1 moves the norms toward the interval a step at a time.
/// </summary>
public sealed class MinMaxNorm : Constraint
{
    private readonly NormAxes _axes;

    /// <summary>Creates the constraint.</summary>
    /// <param name="minValue">The smallest norm; Keras' default 0.</param>
    /// <param name="maxValue">The largest norm; Keras' default 1.</param>
    /// <param name="rate">How far each step moves a norm into the interval (1: all the way); Keras' default 1.</param>
    /// <param name="axis">The axes the norm sums over (negative counts from the end); Keras' default 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is NaN or infinite (a finite double beyond float32's range
    /// included), <paramref name="minValue"/> is negative (-1e-50 included) or above <paramref name="maxValue"/>; the
    /// exception's <c>ParamName</c> names the value that is wrong.</exception>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is empty.</exception>
    public MinMaxNorm(double minValue = 0, double maxValue = 1, double rate = 1, params int[] axis)
    {
        // Checked as float32, the values used (1e39 would be infinity); the exception names the value that is wrong.
        float low = Float32Hyperparameter.NonNegative(minValue, nameof(minValue), "MinMaxNorm");
        float high = Float32Hyperparameter.Finite(maxValue, nameof(maxValue), "MinMaxNorm");
        if (low > high)
        {
            throw new ArgumentOutOfRangeException(nameof(minValue), minValue,
                $"MinMaxNorm expects minValue <= maxValue. Received: minValue={Float32Hyperparameter.Format(minValue)}, maxValue={Float32Hyperparameter.Format(maxValue)}.");
        }

        float step = Float32Hyperparameter.Finite(rate, nameof(rate), "MinMaxNorm");
        MinValue = low;
        MaxValue = high;
        Rate = step;
        _axes = new NormAxes(axis is null || axis.Length == 0 ? [0] : axis, nameof(axis));
    }

    /// <summary>The smallest norm, as float32 (the value given, rounded to float32).</summary>
    public float MinValue { get; }

    /// <summary>The largest norm, as float32.</summary>
    public float MaxValue { get; }

    /// <summary>How far each step moves a norm into the interval, as float32.</summary>
    public float Rate { get; }

    /// <summary>The axes the norm sums over.</summary>
    public IReadOnlyList<int> Axes => _axes.Axes;

    /// <inheritdoc/>
    public override string Name => "min_max_norm";

    /// <inheritdoc/>
    public override void Apply(Tensor weights) => _axes.Scale(weights, nameof(MinMaxNorm), new Rule(MinValue, MaxValue, Rate));

    /// <inheritdoc/>
    public override void ValidateShape(TensorShape shape) => _axes.Mask(shape, nameof(MinMaxNorm));

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = new Config().Set("min_value", MinValue).Set("max_value", MaxValue).Set("rate", Rate);
        _axes.Write(config);
        return config;
    }

    private readonly struct Rule(float minValue, float maxValue, float rate) : INormRule
    {
        public bool Divides => false;

        public float Factor(float norm)
        {
            float desired = (rate * Math.Clamp(norm, minValue, maxValue)) + ((1 - rate) * norm);
            return desired / (NormConstraintEpsilon.Value + norm);
        }
    }
}
