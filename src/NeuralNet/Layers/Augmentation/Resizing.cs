using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Resizes channels-last images to a target height and width (Keras' <c>Resizing</c>), in training and inference alike:
/// (height, width, channels) to (<see cref="Height"/>, <see cref="Width"/>, channels). No parameters.
/// </summary>
/// <remarks>
/// <para>Keras' <c>ops.image.resize</c> as its TensorFlow backend computes it (tf.image.resize, half-pixel centers):
/// bilinear (output index o samples (o + 0.5) · in / out − 0.5, clamped to the image), nearest (source index
/// floor((o + 0.5) · in / out)), bicubic (Keys' cubic, a = −0.5), lanczos3, lanczos5 and area (see
/// <see cref="Layers.Interpolation"/>). With <see cref="Antialias"/>, bilinear, bicubic and Lanczos widen their kernel by
/// in / out when shrinking an axis (tf.image.resize's scale_and_translate); nearest and area ignore it, as TensorFlow.</para>
/// <para><see cref="CropToAspectRatio"/> first takes the largest centered window with the target's aspect ratio;
/// <see cref="PadToAspectRatio"/> first pads the short side on both ends with <see cref="FillValue"/>, by
/// floor((padded − size) / 2) pixels each, as Keras does. Backward applies the adjoint of the interpolation.</para>
/// </remarks>
/// <example><c>model.Add(new Resizing(64, 64, cropToAspectRatio: true));</c></example>
public sealed class Resizing : Layer
{
    private WindowResize? _resize;
    private float[] _padded = [];
    private float[] _paddedGradient = [];
    private (int Height, int Width, int Top, int Left) _pad;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int _batch = -1;

    /// <summary>Creates a resizing layer.</summary>
    /// <param name="height">The output height, at least 1.</param>
    /// <param name="width">The output width, at least 1.</param>
    /// <param name="interpolation">Bilinear (Keras' default), nearest, bicubic, Lanczos3, Lanczos5 or area.</param>
    /// <param name="cropToAspectRatio">Whether to crop to the target's aspect ratio first, so nothing is distorted.</param>
    /// <param name="padToAspectRatio">Whether to pad to the target's aspect ratio first, so nothing is distorted.</param>
    /// <param name="fillValue">The value of the padding of <paramref name="padToAspectRatio"/>.</param>
    /// <param name="antialias">Whether to antialias when shrinking (Keras' <c>antialias</c>, default false).</param>
    /// <param name="name">The layer's name; null to have the model name it <c>resizing</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, the interpolation unknown or the fill value not finite.</exception>
    /// <exception cref="ArgumentException">Both <paramref name="cropToAspectRatio"/> and <paramref name="padToAspectRatio"/> are true.</exception>
    public Resizing(int height, int width, Interpolation interpolation = Interpolation.Bilinear, bool cropToAspectRatio = false, bool padToAspectRatio = false,
        double fillValue = 0.0, bool antialias = false, string? name = null)
        : base(name)
    {
        ConvolutionChecks.Positive(Describe(), height, nameof(height), "height");
        ConvolutionChecks.Positive(Describe(), width, nameof(width), "width");
        if (!Enum.IsDefined(interpolation))
        {
            throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation,
                $"{Describe()} expects interpolation Nearest, Bilinear, Bicubic, Lanczos3, Lanczos5 or Area. Received: interpolation={interpolation}.");
        }

        AugmentationChecks.Sampling(Describe(), FillMode.Constant, Interpolation.Bilinear, fillValue);
        if (cropToAspectRatio && padToAspectRatio)
        {
            throw new ArgumentException($"{Describe()}: only one of cropToAspectRatio and padToAspectRatio can be true.", nameof(padToAspectRatio));
        }

        (Height, Width, Interpolation, CropToAspectRatio, PadToAspectRatio, FillValue, Antialias) = (height, width, interpolation, cropToAspectRatio, padToAspectRatio, fillValue, antialias);
    }

    /// <summary>The output height.</summary>
    public int Height { get; }

    /// <summary>The output width.</summary>
    public int Width { get; }

    /// <summary>The interpolation: bilinear, nearest, bicubic, Lanczos3, Lanczos5 or area.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>Whether bilinear, bicubic and Lanczos antialias when shrinking (nearest and area ignore it).</summary>
    public bool Antialias { get; }

    /// <summary>Whether the image is first cropped to the target's aspect ratio.</summary>
    public bool CropToAspectRatio { get; }

    /// <summary>Whether the image is first padded to the target's aspect ratio.</summary>
    public bool PadToAspectRatio { get; }

    /// <summary>The value of the padding.</summary>
    public double FillValue { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "resizing";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("height", Height)
        .Set("width", Width)
        .Set("interpolation", AugmentationConfig.Name(Interpolation))
        .Set("crop_to_aspect_ratio", CropToAspectRatio)
        .Set("pad_to_aspect_ratio", PadToAspectRatio)
        .Set("fill_mode", "constant")
        .Set("fill_value", FillValue)
        .Set("antialias", Antialias)
        .Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last, constant fill.</summary>
    internal static Resizing FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        if (AugmentationConfig.ReadFillMode(config, "constant") != FillMode.Constant)
        {
            throw config.Error("only \"fill_mode\": \"constant\" is supported, as in Keras.");
        }

        Interpolation interpolation = AugmentationConfig.ReadInterpolation(config, "bilinear", Interpolation.Bilinear, Interpolation.Nearest, Interpolation.Bicubic,
            Interpolation.Lanczos3, Interpolation.Lanczos5, Interpolation.Area);
        return new Resizing(config.GetInt32("height", minimum: 1), config.GetInt32("width", minimum: 1), interpolation, config.GetBoolean("crop_to_aspect_ratio", false),
            config.GetBoolean("pad_to_aspect_ratio", false), config.GetDouble("fill_value", 0.0), config.GetBoolean("antialias", false), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);
        int height = inputShape[0], width = inputShape[1], channels = inputShape[2];
        _pad = (height, width, 0, 0);
        if (PadToAspectRatio)
        {
            // Keras pads floor((target-ratio size − size) / 2) on both ends of one axis, so an odd difference loses a pixel.
            int top = (Math.Max(height, (int)((double)width * Height / Width)) - height) / 2;
            int left = (Math.Max(width, (int)((double)height * Width / Height)) - width) / 2;
            _pad = top > 0 ? (height + (2 * top), width, top, 0) : left > 0 ? (height, width + (2 * left), 0, left) : _pad;
        }

        // The padded image's buffers are made at the first image, not here (see PaddedImage).
        (_padded, _paddedGradient) = ([], []);

        (int, int, int, int) window = CropToAspectRatio ? WindowResize.AspectWindow(height, width, Height, Width) : (0, 0, _pad.Height, _pad.Width);
        _resize = new WindowResize(_pad.Width, channels, window, Height, Width, Interpolation, Antialias);
        return new TensorShape(Height, Width, channels);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount;
        _batch = batch;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> image = x.Slice(n * inSize, inSize);
            if (Pads)
            {
                Span<float> padded = PaddedImage();
                Resampling.CopyWindow(image, InputShape[1], 0, 0, padded, _pad.Width, _pad.Top, _pad.Left, InputShape[0], InputShape[1], InputShape[2]);
                image = padded;
            }

            _resize!.Forward(image, y.Slice(n * outSize, outSize));
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
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        for (int n = 0; n < _batch; n++)
        {
            Span<float> target = dx.Slice(n * inSize, inSize);
            if (!Pads)
            {
                _resize!.Backward(dy.Slice(n * outSize, outSize), InputShape[0], target);
                continue;
            }

            PaddedImage();
            _resize!.Backward(dy.Slice(n * outSize, outSize), _pad.Height, _paddedGradient);
            Resampling.CopyWindow(_paddedGradient, _pad.Width, _pad.Top, _pad.Left, target, InputShape[1], 0, 0, InputShape[0], InputShape[1], InputShape[2]);
        }

        return inputGradient;
    }

    private bool Pads => _pad.Height != InputShape[0] || _pad.Width != InputShape[1];

    // The padded image (filled with FillValue around the window the input is copied into) and its gradient, made at the
    // first image rather than at build: a small file naming a huge image must not allocate it while it loads.
    private Span<float> PaddedImage()
    {
        if (_padded.Length == 0)
        {
            var padded = new float[_pad.Height * _pad.Width * InputShape[2]];
            padded.AsSpan().Fill((float)FillValue);
            _paddedGradient = new float[padded.Length];
            _padded = padded;
        }

        return _padded;
    }
}
