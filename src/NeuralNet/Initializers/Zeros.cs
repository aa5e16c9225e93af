namespace NeuralNet.Initializers;

/// <summary>Fills with 0, the Dense bias default.</summary>
public sealed class Zeros : Initializer
{
    /// <summary>A shared instance (the initializer has no state).</summary>
    public static Zeros Instance { get; } = new();

    /// <inheritdoc/>
    public override string Name => "zeros";

    /// <inheritdoc/>
    public override void Initialize(Span<float> values, TensorShape shape, long seed) => values.Clear();
}
