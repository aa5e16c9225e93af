using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Flattens each sample to one axis: input (batch, d1, d2, ...) -&gt; output (batch, d1 * d2 * ...), row-major
/// (channels last), as Keras does. No parameters.
/// </summary>
/// <remarks>
/// The output is a view of the input (no copy), and the input gradient a view of the output gradient. Views are
/// cached per tensor, so repeated batches from the same buffers allocate nothing.
/// </remarks>
public sealed class Flatten : Layer
{
    private Tensor? _viewedInput;
    private Tensor? _outputView;
    private Tensor? _viewedGradient;
    private Tensor? _gradientView;

    /// <summary>Creates a flattening layer.</summary>
    /// <param name="name">The layer's name; null to have the model name it <c>flatten</c>, <c>flatten_1</c>, ...</param>
    public Flatten(string? name = null)
        : base(name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "flatten";

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => new(inputShape.ElementCount);

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        if (!ReferenceEquals(input, _viewedInput))
        {
            _outputView = input.Reshape(input.Shape[0], OutputShape[0]);
            _viewedInput = input;
        }

        return _outputView!;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        if (!ReferenceEquals(outputGradient, _viewedGradient))
        {
            _gradientView = outputGradient.Reshape(InputShape.Prepend(outputGradient.Shape[0]).Dimensions);
            _viewedGradient = outputGradient;
        }

        return _gradientView!;
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Flatten FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return new Flatten(config.GetString("name"));
    }
}
