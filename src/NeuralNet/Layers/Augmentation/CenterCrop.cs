using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Crops the central part of channels-last images to a target size (Keras' <c>CenterCrop</c>), in training and
/// inference alike: (height, width, channels) to (<see cref="Height"/>, <see cref="Width"/>, channels). No parameters.
/// </summary>
/// <remarks>
/// When the image is at least as large as the target on both axes, the window starts at row floor((height − Height) / 2)
/// and column floor((width − Width) / 2). Otherwise, as Keras' <c>smart_resize</c>, the largest centered window with the
/// target's aspect ratio is resized to the target bilinearly. Backward scatters the gradient back to the window (through
/// the adjoint of the resize when there is one).
/// </remarks>
/// <example><c>model.Add(new CenterCrop(24, 24));</c></example>
public sealed class CenterCrop : Layer
{
    private WindowResize? _crop;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Creates a center-crop layer.</summary>
    /// <param name="height">The output height, at least 1.</param>
    /// <param name="width">The output width, at least 1.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>center_crop</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public CenterCrop(int height, int width, string? name = null)
        : base(name)
    {
        ConvolutionChecks.Positive(Describe(), height, nameof(height), "height");
        ConvolutionChecks.Positive(Describe(), width, nameof(width), "width");
        (Height, Width) = (height, width);
    }

    /// <summary>The output height.</summary>
    public int Height { get; }

    /// <summary>The output width.</summary>
    public int Width { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "center_crop";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("height", Height).Set("width", Width).Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static CenterCrop FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return new CenterCrop(config.GetInt32("height", minimum: 1), config.GetInt32("width", minimum: 1), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);
        int height = inputShape[0], width = inputShape[1];
        (int, int, int, int) window = height >= Height && width >= Width
            ? ((height - Height) / 2, (width - Width) / 2, Height, Width)
            : WindowResize.AspectWindow(height, width, Height, Width);
        _crop = new WindowResize(width, inputShape[2], window, Height, Width, Interpolation.Bilinear);
        return new TensorShape(Height, Width, inputShape[2]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount;
        _batch = batch;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        for (int n = 0; n < batch; n++)
        {
            _crop!.Forward(input.AsReadOnlySpan().Slice(n * inSize, inSize), output.AsSpan().Slice(n * outSize, outSize));
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last forward batch {_batch}).");
        }

        int inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount;
        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        for (int n = 0; n < _batch; n++)
        {
            _crop!.Backward(outputGradient.AsReadOnlySpan().Slice(n * outSize, outSize), InputShape[0], inputGradient.AsSpan().Slice(n * inSize, inSize));
        }

        return inputGradient;
    }
}
