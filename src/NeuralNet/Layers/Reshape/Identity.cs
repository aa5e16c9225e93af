using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>Passes its input through unchanged (Keras' <c>Identity</c>): a placeholder, or a named point in a graph.</summary>
public sealed class Identity : Layer
{
    /// <summary>Creates an identity layer.</summary>
    /// <param name="name">The layer's name; the model names it <c>identity</c>, ... when null.</param>
    public Identity(string? name = null)
        : base(name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "identity";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Identity FromConfig(Config config) => new(config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) => input;

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
}
