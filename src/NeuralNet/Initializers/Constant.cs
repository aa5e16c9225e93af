using NeuralNet.Serialization;

namespace NeuralNet.Initializers;

/// <summary>Fills with one value.</summary>
public sealed class Constant : Initializer
{
    /// <summary>Creates the initializer.</summary>
    /// <param name="value">The value of every element (Keras default 0).</param>
    public Constant(float value = 0f)
    {
        Value = value;
    }

    /// <summary>The value of every element.</summary>
    public float Value { get; }

    /// <inheritdoc/>
    public override string Name => "constant";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed) => values.Fill(Value);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("value", Value);
}
