using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Crops a random window of a target size out of the images during training (Keras' <c>RandomCrop</c>):
/// (height, width, channels) to (<see cref="Height"/>, <see cref="Width"/>, channels). No parameters.
/// </summary>
/// <remarks>
/// <para>Training, when the image is larger than the target on both axes (strictly, as Keras tests it): one window
/// position is drawn per batch, top uniform in [0, height − Height] and left in [0, width − Width], and every image
/// of the batch is cropped there (Keras crops the whole batch at one location).</para>
/// <para>Training, when an axis is not larger than the target: Keras 3's code (<c>random_crop.py</c>). The corner is
/// that of the largest centered window with the target's aspect ratio; from it the target's size is sliced, clipped at
/// the image's edge, and the slice is resized bilinearly to the target when it is smaller (the aspect ratio is then not
/// kept). A 1×4 image [0, 1, 2, 3] cropped to 2×2 slices [1, 2] (corner (0, 1)) and gives [[1, 2], [1, 2]].</para>
/// <para>At inference: Keras' documented behaviour (its <c>smart_resize</c>), the largest centered window with the
/// target's aspect ratio resized bilinearly to the target. Keras 3's code skips the crop at inference, returning
/// another shape than the layer declares (keras-team/keras#21868); a layer here has one output shape. When the image
/// has the target's aspect ratio that window is the whole image, so 32×32 images into <c>RandomCrop(28, 28)</c> are
/// seen shrunk by 0.875 at inference, not center-cropped: for a center crop, predict with a model that has a
/// <see cref="CenterCrop"/> of the same size in its place (neither layer has weights).</para>
/// <para>Both fallbacks are deterministic, and the identity when the image already has the target size. The positions
/// come from a seeded generator (the constructor's seed, else one derived from the model's seed) that advances with
/// every random crop, so the same seed and calls give the same bits. Backward scatters the gradient back to the window
/// (through the adjoint of the resize in the fallbacks).</para>
/// </remarks>
/// <example><c>model.Add(new RandomCrop(24, 24));</c></example>
public sealed class RandomCrop : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private WindowResize? _inference;
    private WindowResize? _noRoom;
    private WindowResize? _lastFallback;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private (int Top, int Left)? _lastWindow;
    private int _batch = -1;

    /// <summary>Creates a random-crop layer.</summary>
    /// <param name="height">The output height, at least 1.</param>
    /// <param name="width">The output width, at least 1.</param>
    /// <param name="seed">The seed of the window positions; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_crop</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1.</exception>
    public RandomCrop(int height, int width, long? seed = null, string? name = null)
        : base(name)
    {
        ConvolutionChecks.Positive(Describe(), height, nameof(height), "height");
        ConvolutionChecks.Positive(Describe(), width, nameof(width), "width");
        (Height, Width, AugmentationSeed) = (height, width, seed);
    }

    /// <summary>The output height.</summary>
    public int Height { get; }

    /// <summary>The output width.</summary>
    public int Width { get; }

    /// <summary>The seed given to the constructor, or null when the positions derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_crop";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The (top, left) corner of the last random crop, or null when the last call used a fallback.</summary>
    internal (int Top, int Left)? LastWindow => _lastWindow;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("height", Height)
        .Set("width", Width)
        .Set("seed", AugmentationSeed)
        .Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static RandomCrop FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return new RandomCrop(config.GetInt32("height", minimum: 1), config.GetInt32("width", minimum: 1), config.GetNullableInt64("seed"), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);
        int height = inputShape[0], width = inputShape[1], channels = inputShape[2];
        (int top, int left, int windowHeight, int windowWidth) = WindowResize.AspectWindow(height, width, Height, Width);

        // Inference: smart_resize, the aspect-ratio window resized. Training without room: Keras slices the target's
        // size from that window's corner, clipped at the edge, and resizes the slice if it is smaller.
        _inference = new WindowResize(width, channels, (top, left, windowHeight, windowWidth), Height, Width, Interpolation.Bilinear);
        _noRoom = new WindowResize(width, channels, (top, left, Math.Min(Height, height - top), Math.Min(Width, width - left)), Height, Width, Interpolation.Bilinear);
        return new TensorShape(Height, Width, channels);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], inSize = InputShape.ElementCount, outSize = OutputShape.ElementCount;
        _batch = batch;
        _lastWindow = null;
        _lastFallback = null;
        if (training && InputShape[0] > Height && InputShape[1] > Width)
        {
            SeededRandom random = Random;
            int top = random.NextInt(InputShape[0] - Height + 1);
            _lastWindow = (top, random.NextInt(InputShape[1] - Width + 1));
        }
        else
        {
            _lastFallback = training ? _noRoom : _inference;
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int n = 0; n < batch; n++)
        {
            if (_lastWindow is (int top, int left))
            {
                Resampling.CopyWindow(x.Slice(n * inSize, inSize), InputShape[1], top, left, y.Slice(n * outSize, outSize), Width, 0, 0, Height, Width, InputShape[2]);
            }
            else
            {
                _lastFallback!.Forward(x.Slice(n * inSize, inSize), y.Slice(n * outSize, outSize));
            }
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
            if (_lastWindow is (int top, int left))
            {
                target.Clear();
                Resampling.CopyWindow(dy.Slice(n * outSize, outSize), Width, 0, 0, target, InputShape[1], top, left, Height, Width, InputShape[2]);
            }
            else
            {
                _lastFallback!.Backward(dy.Slice(n * outSize, outSize), InputShape[0], target);
            }
        }

        return inputGradient;
    }
}
