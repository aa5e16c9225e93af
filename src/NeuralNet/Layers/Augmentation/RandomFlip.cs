using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Flips each image of a batch with probability ½ during training (Keras' <c>RandomFlip</c>); at inference the layer is
/// the identity. Channels-last images (height, width, channels); output shape = input shape.
/// </summary>
/// <remarks>
/// <para>One uniform u in [0, 1) is drawn per image and the image is flipped when u ≤ 0.5, as Keras does: left-right for
/// <see cref="FlipMode.Horizontal"/>, top-bottom for <see cref="FlipMode.Vertical"/>, and both together for
/// <see cref="FlipMode.HorizontalAndVertical"/> (the one draw decides both, as in Keras 3).</para>
/// <para>The draws come from a seeded generator (the constructor's seed, else one derived from the model's seed) that
/// advances with every training call, so the same seed and calls give the same bits. A flip is its own adjoint:
/// backward flips the gradient of each flipped image back.</para>
/// </remarks>
/// <example><c>model.Add(new RandomFlip(FlipMode.Horizontal));</c></example>
public sealed class RandomFlip : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private double[] _flips = [];
    private int _drawn;
    private int _batch = -1;

    /// <summary>Creates a flip layer.</summary>
    /// <param name="mode">Which axes to flip (Keras' default: both).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_flip</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The mode is unknown.</exception>
    public RandomFlip(FlipMode mode = FlipMode.HorizontalAndVertical, long? seed = null, string? name = null)
        : base(name)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, $"RandomFlip expects mode Horizontal, Vertical or HorizontalAndVertical. Received: mode={mode}.");
        }

        Mode = mode;
        AugmentationSeed = seed;
    }

    /// <summary>Which axes are flipped.</summary>
    public FlipMode Mode { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_flip";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>Which images the last training call flipped: 1 or 0 per image (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastFlips => _flips.AsSpan(0, _drawn);

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("seed", AugmentationSeed)
        .Set("mode", Mode switch
        {
            FlipMode.Horizontal => "horizontal",
            FlipMode.Vertical => "vertical",
            _ => "horizontal_and_vertical",
        })
        .Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static RandomFlip FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        FlipMode mode = config.GetString("mode", "horizontal_and_vertical") switch
        {
            "horizontal" => FlipMode.Horizontal,
            "vertical" => FlipMode.Vertical,
            "horizontal_and_vertical" => FlipMode.HorizontalAndVertical,
            string other => throw config.Error($"\"mode\" is \"{FormatError.Shorten(other)}\"; expected \"horizontal\", \"vertical\" or \"horizontal_and_vertical\"."),
        };
        return new RandomFlip(mode, config.GetNullableInt64("seed"), config.GetString("name"));
    }

    /// <summary>y (H, W, C) = x flipped left-right and/or top-bottom; overwrites. Its own adjoint.</summary>
    internal static void Flip(ReadOnlySpan<float> x, int height, int width, int channels, bool horizontal, bool vertical, Span<float> y)
    {
        for (int r = 0; r < height; r++)
        {
            int sourceRow = vertical ? height - 1 - r : r;
            if (!horizontal)
            {
                x.Slice(sourceRow * width * channels, width * channels).CopyTo(y.Slice(r * width * channels, width * channels));
                continue;
            }

            for (int c = 0; c < width; c++)
            {
                x.Slice(((sourceRow * width) + (width - 1 - c)) * channels, channels).CopyTo(y.Slice(((r * width) + c) * channels, channels));
            }
        }
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        _batch = batch;
        _drawn = 0;
        if (!training)
        {
            return input;
        }

        if (_flips.Length < batch)
        {
            _flips = new double[batch];
        }

        _drawn = batch;
        SeededRandom random = Random;
        for (int n = 0; n < batch; n++)
        {
            _flips[n] = random.NextDouble() <= 0.5 ? 1 : 0;
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        Apply(input.AsReadOnlySpan(), output.AsSpan());
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last forward batch {_batch}).");
        }

        if (_drawn == 0 || !ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        Apply(outputGradient.AsReadOnlySpan(), inputGradient.AsSpan());
        return inputGradient;
    }

    private void Apply(ReadOnlySpan<float> source, Span<float> destination)
    {
        int size = InputShape.ElementCount;
        bool horizontal = Mode != FlipMode.Vertical, vertical = Mode != FlipMode.Horizontal;
        for (int n = 0; n < _drawn; n++)
        {
            bool flip = _flips[n] != 0;
            Flip(source.Slice(n * size, size), InputShape[0], InputShape[1], InputShape[2], flip && horizontal, flip && vertical, destination.Slice(n * size, size));
        }
    }
}
