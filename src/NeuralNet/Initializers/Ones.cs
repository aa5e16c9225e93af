namespace NeuralNet.Initializers;

/// <summary>Fills with 1.</summary>
public sealed class Ones : Initializer
{
    /// <inheritdoc/>
    public override string Name => "ones";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed) => values.Fill(1f);
}
