using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Inverts each image of a batch with a random probability during training (Keras' <c>RandomInvert</c>); at inference
/// the layer is the identity. Channels-last images (height, width, channels) of any channel count; output shape = input
/// shape.
/// </summary>
/// <remarks>
/// <para>Per image, a probability p is drawn uniformly from [factor.Lower, factor.Upper], then a threshold t uniformly
/// from [0, 1) (all the probabilities of a batch before its thresholds, as Keras draws them; the numbers are not
/// TensorFlow's); the image is inverted when t &lt; p, every value becoming high − x with high the second element of
/// <see cref="ValueRange"/> as given (Keras' formula: not low + high − x, so with a range such as (20, 200) the result
/// leaves the range). The default factor 1 gives p uniform in [0, 1), so half the images are inverted.</para>
/// <para>The draws come from a seeded generator (the constructor's seed, else the model's) that advances with every
/// training call. Backward: −g for an inverted image, g for the others.</para>
/// </remarks>
/// <example><c>model.Add(new RandomInvert(0.5, valueRange: (0, 1)));</c></example>
public sealed class RandomInvert : Layer, IRandomLayer
{
    private ColorAugmentation _color = new();
    private SeededRandom? _random;

    /// <summary>Creates an invert layer from one number, Keras' way.</summary>
    /// <param name="factor">In [0, 1]: p is drawn from [0, factor]; Keras' default 1.</param>
    /// <param name="valueRange">The (low, high) range of the images, kept as given (Keras does not sort it); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_invert</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is outside [0, 1], or the value range not finite.</exception>
    public RandomInvert(double factor = 1.0, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(RandomInvert), nameof(factor), factor, 0, 1), valueRange, seed, name)
    {
    }

    /// <summary>Creates an invert layer drawing p from (lower, upper).</summary>
    /// <param name="factor">(lower, upper), sorted if reversed. Keras' rule (<c>_set_factor</c>): refused only when lower &gt; 1 or
    /// upper &lt; 0 as given.</param>
    /// <param name="valueRange">The (low, high) range of the images, kept as given (Keras does not sort it); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_invert</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">lower &gt; 1, upper &lt; 0 or a factor not finite; or the value range not finite.</exception>
    public RandomInvert((double Lower, double Upper) factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(RandomInvert), nameof(factor), factor, 0, 1);
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(RandomInvert), range);
        ValueRange = range;
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range of the inversion probability p.</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The (low, high) range of the images as given; an inverted value is High − x.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_invert";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>1 for each image the last training call inverted, else 0 (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastInverted => _color.Draws;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("factor", Factor)
        .SetPair("value_range", ValueRange)
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: the factor a number or a pair (1 when absent).</summary>
    internal static RandomInvert FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor factor = AugmentationConfig.ReadFactor(config, "factor") ?? new AugmentationConfig.Factor(1.0, default);
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor.Number is double number ? new RandomInvert(number, valueRange, seed, name) : new RandomInvert(factor.Pair, valueRange, seed, name);
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        // Made at build, so every instance of a shared layer (one per call, or per concurrent prediction) has its own.
        _color = new ColorAugmentation();
        ConvolutionChecks.Image(Describe(), inputShape);
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

        Span<double> inverted = _color.Begin(input);
        SeededRandom random = Random;
        for (int n = 0; n < inverted.Length; n++)
        {
            inverted[n] = Factor.Lower + ((Factor.Upper - Factor.Lower) * random.NextDouble());
        }

        for (int n = 0; n < inverted.Length; n++)
        {
            inverted[n] = random.NextDouble() < inverted[n] ? 1 : 0;
        }

        Tensor output = _color.Output(InputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int size = InputShape.ElementCount;
        float high = (float)ValueRange.High;
        for (int n = 0; n < inverted.Length; n++)
        {
            ReadOnlySpan<float> image = x.Slice(n * size, size);
            Span<float> target = y.Slice(n * size, size);
            if (inverted[n] == 0)
            {
                image.CopyTo(target);
                continue;
            }

            for (int i = 0; i < size; i++)
            {
                target[i] = high - image[i];
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

        ReadOnlySpan<double> inverted = _color.Draws;
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        int size = InputShape.ElementCount;
        for (int n = 0; n < inverted.Length; n++)
        {
            ReadOnlySpan<float> g = dy.Slice(n * size, size);
            Span<float> target = dx.Slice(n * size, size);
            if (inverted[n] == 0)
            {
                g.CopyTo(target);
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Negate(g, target);
            }
        }

        return inputGradient;
    }
}
