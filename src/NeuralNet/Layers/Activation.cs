using NeuralNet.Activations;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Applies an activation function on its own: output = f(input), same shape as the input. No parameters.
/// </summary>
/// <remarks>
/// Row-wise functions (softmax) act over the last axis. As the last layer with <see cref="Activations.Softmax"/>, it takes the
/// fused softmax + cross-entropy gradient like a Dense with a softmax activation does.
/// </remarks>
public sealed class Activation : ElementwiseLayer
{
    /// <summary>Creates an activation layer.</summary>
    /// <param name="function">The function to apply, such as <see cref="ActivationFunction.Relu"/>.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>activation</c>, <c>activation_1</c>, ...</param>
    /// <exception cref="ArgumentNullException"><paramref name="function"/> is null.</exception>
    public Activation(ActivationFunction function, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(function);
        Function = function;
    }

    /// <summary>The function applied.</summary>
    public ActivationFunction Function { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "activation";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override bool EndsWithSoftmax => Function is Activations.Softmax;

    /// <inheritdoc/>
    protected override void ForwardElements(ReadOnlySpan<float> input, Span<float> output) => Function.Forward(input, output, LastAxisLength);

    /// <inheritdoc/>
    protected override void BackwardElements(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient) =>
        Function.Backward(input, output, outputGradient, inputGradient, LastAxisLength);

    /// <inheritdoc/>
    protected override Tensor OnBackwardFromLogitsGradient(Tensor logitsGradient)
    {
        CheckForwardRan(logitsGradient);
        return logitsGradient;
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("activation", Function);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Activation FromConfig(Config config) =>
        new(config.GetActivation("activation") ?? throw config.Error("\"activation\" is missing."), config.GetString("name"));
}
