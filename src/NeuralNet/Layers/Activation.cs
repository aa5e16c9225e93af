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
public sealed class Activation : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastInput;
    private Tensor? _lastOutput;

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

    private int Columns => InputShape.Rank == 0 ? 1 : InputShape[-1];

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        Tensor output = BatchView(ref _output, input.Shape[0], OutputShape);
        Function.Forward(input.AsReadOnlySpan(), output.AsSpan(), Columns);
        _lastInput = input;
        _lastOutput = output;
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        CheckForwardRan(_lastInput, outputGradient);
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, outputGradient.Shape[0], InputShape);
        Function.Backward(_lastInput!.AsReadOnlySpan(), _lastOutput!.AsReadOnlySpan(), outputGradient.AsReadOnlySpan(), inputGradient.AsSpan(), Columns);
        return inputGradient;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackwardFromLogitsGradient(Tensor logitsGradient)
    {
        CheckForwardRan(_lastInput, logitsGradient);
        return logitsGradient;
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("activation", Function);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Activation FromConfig(Config config) =>
        new(config.GetActivation("activation") ?? throw config.Error("\"activation\" is missing."), config.GetString("name"));
}
