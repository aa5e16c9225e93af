using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Turns each RGB image of a batch into grayscale with probability <see cref="Factor"/> during training (Keras'
/// <c>RandomGrayscale</c>); at inference the layer is the identity. Channels-last RGB images (height, width, 3); the
/// output keeps the 3 channels, all equal in a converted image.
/// </summary>
/// <remarks>
/// <para>Per image, u is drawn uniformly from [0, 1) and the image is converted when u &lt; factor, every pixel
/// becoming 0.2989 r + 0.5870 g + 0.1140 b in each channel (Keras' <c>rgb_to_grayscale</c>; the weights sum to
/// 0.9999, as in Keras). One draw per image, as Keras draws them; the numbers are not TensorFlow's.</para>
/// <para>The draws come from a seeded generator (the constructor's seed, else one derived from the model's seed) that
/// advances with every training call. Keras' layer takes a seed but does not save it (older Keras 3 releases refuse the key); the config holds <c>"seed"</c> only when one was
/// given. Backward: a converted image's gradient is dx_c = w_c · (g_r + g_g + g_b); another's is the output gradient.</para>
/// </remarks>
/// <example><c>model.Add(new RandomGrayscale(0.2));</c></example>
public sealed class RandomGrayscale : Layer, IRandomLayer
{
    private ColorAugmentation _color = new();
    private SeededRandom? _random;

    /// <summary>Creates a grayscale layer.</summary>
    /// <param name="factor">The probability in [0, 1] that an image is converted; Keras' default 0.5.</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_grayscale</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is not in [0, 1].</exception>
    public RandomGrayscale(double factor = 0.5, long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.Probability(nameof(RandomGrayscale), nameof(factor), factor, 0, 1);
        AugmentationSeed = seed;
    }

    /// <summary>The probability that an image is converted.</summary>
    public double Factor { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_grayscale";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>1 for each image the last training call converted, else 0 (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastConverted => _color.Draws;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = base.GetConfig().Set("factor", Factor);
        return AugmentationSeed is null ? config : config.Set("seed", AugmentationSeed);
    }

    /// <summary>Keras' <c>from_config</c>: the factor 0.5 when absent.</summary>
    internal static RandomGrayscale FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        return new RandomGrayscale(config.Contains("factor") ? config.GetDouble("factor") : 0.5, config.GetNullableInt64("seed"), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        // Made at build, so every instance of a shared layer (one per call, or per concurrent prediction) has its own.
        _color = new ColorAugmentation();
        AugmentationChecks.Rgb(Describe(), inputShape);
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

        Span<double> converted = _color.Begin(input);
        SeededRandom random = Random;
        for (int n = 0; n < converted.Length; n++)
        {
            converted[n] = random.NextDouble() < Factor ? 1 : 0;
        }

        Tensor output = _color.Output(InputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int size = InputShape.ElementCount;
        for (int n = 0; n < converted.Length; n++)
        {
            ReadOnlySpan<float> image = x.Slice(n * size, size);
            Span<float> target = y.Slice(n * size, size);
            if (converted[n] == 0)
            {
                image.CopyTo(target);
                continue;
            }

            for (int i = 0; i < size; i += 3)
            {
                float gray = ColorSpace.Gray(image[i], image[i + 1], image[i + 2]);
                target[i] = target[i + 1] = target[i + 2] = gray;
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

        ReadOnlySpan<double> converted = _color.Draws;
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        int size = InputShape.ElementCount;
        for (int n = 0; n < converted.Length; n++)
        {
            ReadOnlySpan<float> g = dy.Slice(n * size, size);
            Span<float> target = dx.Slice(n * size, size);
            if (converted[n] == 0)
            {
                g.CopyTo(target);
                continue;
            }

            for (int i = 0; i < size; i += 3)
            {
                float sum = g[i] + g[i + 1] + g[i + 2];
                target[i] = ColorSpace.RedWeight * sum;
                target[i + 1] = ColorSpace.GreenWeight * sum;
                target[i + 2] = ColorSpace.BlueWeight * sum;
            }
        }

        return inputGradient;
    }
}
