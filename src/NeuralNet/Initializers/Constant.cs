using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>Fills with one value.</summary>
public sealed class Constant : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="value">The value of every element (Keras default 0); a double, as Keras' literal reads in C#, used as
    /// float32.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is a finite double beyond float32's range
    /// (it would fill with infinity).</exception>
    public Constant(double value = 0)
    {
        if (double.IsFinite(value) && !float.IsFinite((float)value))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"Constant expects a value within float32's range, the type of the weights it fills. Received: value={Float32Hyperparameter.Format(value)}.");
        }

        Value = (float)value;
    }

    /// <summary>The value of every element, as float32 (the value given, rounded to float32).</summary>
    public float Value { get; }

    /// <inheritdoc/>
    public override string Name => "constant";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed) => values.Fill(Value);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("value", Value);
}
