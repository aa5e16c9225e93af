using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Upsamples channels-last images by integer factors (Keras <c>UpSampling2D</c>): (height, width, channels) to
/// (height·sizeH, width·sizeW, channels).
/// </summary>
/// <remarks>
/// <para><see cref="Interpolation.Nearest"/> repeats every pixel sizeH × sizeW times. The others are Keras'
/// <c>ops.image.resize(..., interpolation=...)</c> as tf.image.resize computes them (half-pixel centers, no
/// antialiasing, which only matters when shrinking): <see cref="Interpolation.Bilinear"/> samples (o + 0.5) / size − 0.5,
/// clamped to the image, and blends its two neighbours linearly; <see cref="Interpolation.Bicubic"/>,
/// <see cref="Interpolation.Lanczos3"/> and <see cref="Interpolation.Lanczos5"/> weigh 4, 6 and 10 neighbours (see
/// <see cref="Layers.Interpolation"/>); <see cref="Interpolation.Area"/> is TensorFlow's ResizeArea, which Keras' layer
/// (which does not check the name) runs on the TensorFlow backend. No parameters.</para>
/// </remarks>
/// <example><c>model.Add(new UpSampling2D(2, Interpolation.Bilinear));</c></example>
public sealed class UpSampling2D : Layer
{
    private Tensor? _output;
    private Tensor? _inputGradient;
    private WindowResize? _resize;
    private int _batch = -1;

    /// <summary>Creates an upsampling layer with the same factor on both axes.</summary>
    /// <param name="size">The factor, at least 1 (Keras' default 2).</param>
    /// <param name="interpolation">Nearest (Keras' default), bilinear, bicubic, Lanczos3 or Lanczos5.</param>
    /// <param name="name">The layer's name; the model names it <c>up_sampling2d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is below 1 or the interpolation unknown.</exception>
    public UpSampling2D(int size = 2, Interpolation interpolation = Interpolation.Nearest, string? name = null)
        : this((size, size), interpolation, name)
    {
    }

    /// <summary>Creates an upsampling layer with per-axis factors.</summary>
    /// <param name="size">The (rows, columns) factors, each at least 1.</param>
    /// <param name="interpolation">Nearest (Keras' default), bilinear, bicubic, Lanczos3 or Lanczos5.</param>
    /// <param name="name">The layer's name; the model names it <c>up_sampling2d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor is below 1 or the interpolation unknown.</exception>
    public UpSampling2D((int Height, int Width) size, Interpolation interpolation = Interpolation.Nearest, string? name = null)
        : base(name)
    {
        ConvolutionChecks.Positive(Describe(), size, nameof(size), "sizes");
        if (!s_accepted.Contains(interpolation))
        {
            throw new ArgumentOutOfRangeException(nameof(interpolation), interpolation,
                $"{Describe()} expects interpolation Nearest, Bilinear, Bicubic, Lanczos3, Lanczos5 or Area. Received: interpolation={interpolation}.");
        }

        Size = size;
        Interpolation = interpolation;
    }

    /// <summary>The (rows, columns) upsampling factors.</summary>
    public (int Height, int Width) Size { get; }

    /// <summary>Nearest, bilinear, bicubic, Lanczos3, Lanczos5 or area.</summary>
    public Interpolation Interpolation { get; }

    // Keras' UpSampling2D passes its interpolation to ops.image.resize unchecked: its TensorFlow backend's resizes.
    private static readonly Interpolation[] s_accepted = [Interpolation.Nearest, Interpolation.Bilinear, Interpolation.Bicubic, Interpolation.Lanczos3, Interpolation.Lanczos5, Interpolation.Area];

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "up_sampling2d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("size", [Size.Height, Size.Width])
        .Set("data_format", "channels_last")
        .Set("interpolation", AugmentationConfig.Name(Interpolation));

    /// <summary>Keras' <c>from_config</c>: channels last; nearest, bilinear, bicubic, lanczos3, lanczos5 or area.</summary>
    internal static UpSampling2D FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        Interpolation interpolation = AugmentationConfig.ReadInterpolation(config, "nearest", s_accepted);
        return new UpSampling2D(ConfigChecks.ReadPair(config, "size") ?? (2, 2), interpolation, config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);
        int height = inputShape[0], width = inputShape[1], channels = inputShape[2], outHeight = height * Size.Height, outWidth = width * Size.Width;
        if (Interpolation != Interpolation.Nearest)
        {
            // Its axis tables are made at the first image, not here: a file naming a huge image loads without them.
            _resize = new WindowResize(width, channels, (0, 0, height, width), outHeight, outWidth, Interpolation);
        }

        return new TensorShape(outHeight, outWidth, inputShape[2]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], height = InputShape[0], width = InputShape[1], channels = InputShape[2];
        int inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount;
        _batch = batch;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int n = 0; n < batch; n++)
        {
            if (Interpolation == Interpolation.Nearest)
            {
                Resampling.NearestForward(x.Slice(n * inSize, inSize), height, width, channels, Size.Height, Size.Width, y.Slice(n * outSize, outSize));
            }
            else
            {
                _resize!.Forward(x.Slice(n * inSize, inSize), y.Slice(n * outSize, outSize));
            }
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        int batch = _batch, height = InputShape[0], width = InputShape[1], channels = InputShape[2];
        int inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount;
        Tensor inputGradient = BatchView(ref _inputGradient, batch, InputShape);
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        for (int n = 0; n < batch; n++)
        {
            if (Interpolation == Interpolation.Nearest)
            {
                Resampling.NearestBackward(dy.Slice(n * outSize, outSize), height, width, channels, Size.Height, Size.Width, dx.Slice(n * inSize, inSize));
            }
            else
            {
                _resize!.Backward(dy.Slice(n * outSize, outSize), height, dx.Slice(n * inSize, inSize));
            }
        }

        return inputGradient;
    }
}
