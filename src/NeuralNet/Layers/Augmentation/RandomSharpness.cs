using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Blurs or sharpens each image of a batch by a random amount during training (Keras' <c>RandomSharpness</c>); at
/// inference the layer is the identity. Channels-last images (height, width, channels) of any channel count; output
/// shape = input shape.
/// </summary>
/// <remarks>
/// <para>Per image, f is drawn uniformly from [factor.Lower, factor.Upper] and s = 2f. Each channel is smoothed by
/// Keras' 3×3 kernel (1/13 around, 5/13 at the centre; zero padding, so border pixels darken when blurring and brighten when sharpening), K·x, and every value
/// becomes clip(x + (1 − s) · (K·x − x), low, high) with (low, high) = <see cref="ValueRange"/>: f = 0 is the smoothed
/// image, 0.5 the image itself, 1 sharpened (2x − K·x). The factor follows Keras' <c>_set_factor</c> with bounds
/// [0, 1]: a number f gives (0, f). One draw per image as Keras draws them; the numbers are not TensorFlow's.</para>
/// <para>The draws come from a seeded generator (the constructor's seed, else the model's) that advances with every
/// training call. Backward, with g zeroed where the clip was active: dx = s · g + (1 − s) · K·g (K is symmetric and
/// zero-padded, so it is its own transpose).</para>
/// </remarks>
/// <example><c>model.Add(new RandomSharpness((0.3, 0.7), valueRange: (0, 1)));</c></example>
public sealed class RandomSharpness : Layer, IRandomLayer
{
    private const float Edge = 1f / 13f, Centre = 5f / 13f;

    private ColorAugmentation _color = new();
    private SeededRandom? _random;
    private float[] _passed = [];

    /// <summary>Creates a sharpness layer from one number, Keras' way.</summary>
    /// <param name="factor">In [0, 1]: f is drawn from [0, factor].</param>
    /// <param name="valueRange">The (low, high) range of the images, outputs are clipped to it (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the factors; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_sharpness</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is outside [0, 1], or the value range not finite.</exception>
    public RandomSharpness(double factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(RandomSharpness), nameof(factor), factor, 0, 1), valueRange, seed, name)
    {
    }

    /// <summary>Creates a sharpness layer drawing f from (lower, upper).</summary>
    /// <param name="factor">(lower, upper), sorted if reversed; (0.5, 0.5) keeps every image. Keras' rule (<c>_set_factor</c>):
    /// refused only when lower &gt; 1 or upper &lt; 0 as given.</param>
    /// <param name="valueRange">The (low, high) range of the images, outputs are clipped to it (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the factors; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_sharpness</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">lower &gt; 1, upper &lt; 0 or a factor not finite; or the value range not finite.</exception>
    public RandomSharpness((double Lower, double Upper) factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(RandomSharpness), nameof(factor), factor, 0, 1);
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(RandomSharpness), range);
        ValueRange = range.Low <= range.High ? range : (range.High, range.Low);
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range of f.</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The (low, high) range of the images; outputs are clipped to it.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The seed given to the constructor, or null when the factors derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_sharpness";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The factors f of the last training call, one per image (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastFactors => _color.Draws;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <summary>Makes the layer draw from <paramref name="random"/>, the generator <see cref="RandAugment"/> and <see cref="AugMix"/> hand each operation they apply.</summary>
    internal void ShareRandom(SeededRandom random) => _random = random;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("factor", Factor)
        .SetPair("value_range", ValueRange)
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: the factor a number or a pair.</summary>
    internal static RandomSharpness FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor factor = AugmentationConfig.ReadFactor(config, "factor") ?? throw config.Error("\"factor\" is missing.");
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor.Number is double number ? new RandomSharpness(number, valueRange, seed, name) : new RandomSharpness(factor.Pair, valueRange, seed, name);
    }

    /// <summary>
    /// Keras' smoothing of one channels-last image: K·x at every value, the 3×3 kernel (1/13 around, 5/13 at the
    /// centre) over the same channel with zero padding (<c>depthwise_conv</c>, padding "same").
    /// </summary>
    internal static float Smoothed(ReadOnlySpan<float> image, int height, int width, int channels, int row, int column, int channel)
    {
        float sum = 0f;
        for (int dr = -1; dr <= 1; dr++)
        {
            int r = row + dr;
            if (r < 0 || r >= height)
            {
                continue;
            }

            for (int dc = -1; dc <= 1; dc++)
            {
                int c = column + dc;
                if (c >= 0 && c < width)
                {
                    sum += (dr == 0 && dc == 0 ? Centre : Edge) * image[(((r * width) + c) * channels) + channel];
                }
            }
        }

        return sum;
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        // Made at build, so every instance of a shared layer (one per call, or per concurrent prediction) has its own.
        _color = new ColorAugmentation();
        ConvolutionChecks.Image(Describe(), inputShape);
        _passed = [];
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        if (!training)
        {
            _color.Skip(input.Shape[0]);
            return input;
        }

        Span<double> factors = _color.Begin(input);
        SeededRandom random = Random;
        for (int n = 0; n < factors.Length; n++)
        {
            factors[n] = (float)(Factor.Lower + ((Factor.Upper - Factor.Lower) * random.NextDouble()));
        }

        Tensor output = _color.Output(InputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int height = InputShape[0], width = InputShape[1], channels = InputShape[2], size = InputShape.ElementCount;
        float low = (float)ValueRange.Low, high = (float)ValueRange.High;
        for (int n = 0; n < factors.Length; n++)
        {
            float blend = 1f - ((float)factors[n] * 2f);
            ReadOnlySpan<float> image = x.Slice(n * size, size);
            Span<float> target = y.Slice(n * size, size);
            for (int i = 0; i < size; i++)
            {
                int channel = i % channels, pixel = i / channels;
                float smooth = Smoothed(image, height, width, channels, pixel / width, pixel % width, channel);
                target[i] = Math.Clamp(image[i] + (blend * (smooth - image[i])), low, high);
            }
        }

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (_color.BeginBackward(outputGradient, this, InputShape) is not Tensor inputGradient)
        {
            return outputGradient;
        }

        int height = InputShape[0], width = InputShape[1], channels = InputShape[2], size = InputShape.ElementCount;
        if (_passed.Length != size)
        {
            // One image of scratch, made at the first backward pass.
            _passed = new float[size];
        }

        ReadOnlySpan<double> factors = _color.Draws;
        ReadOnlySpan<float> x = _color.Input.AsReadOnlySpan(), dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan(), passed = _passed;
        float low = (float)ValueRange.Low, high = (float)ValueRange.High;
        for (int n = 0; n < factors.Length; n++)
        {
            float s = (float)factors[n] * 2f, blend = 1f - s;
            ReadOnlySpan<float> image = x.Slice(n * size, size), g = dy.Slice(n * size, size);
            for (int i = 0; i < size; i++)
            {
                int channel = i % channels, pixel = i / channels;
                float z = image[i] + (blend * (Smoothed(image, height, width, channels, pixel / width, pixel % width, channel) - image[i]));
                passed[i] = z >= low && z <= high ? g[i] : 0f;
            }

            Span<float> target = dx.Slice(n * size, size);
            for (int i = 0; i < size; i++)
            {
                int channel = i % channels, pixel = i / channels;
                target[i] = (s * passed[i]) + (blend * Smoothed(passed, height, width, channels, pixel / width, pixel % width, channel));
            }
        }

        return inputGradient;
    }
}
