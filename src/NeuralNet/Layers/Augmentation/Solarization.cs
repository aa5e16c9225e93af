using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Solarizes each image of a batch during training (Keras' <c>Solarization</c>): values at or above a random threshold
/// become 255 − x on Keras' 0..255 scale, after a random addition; at inference the layer is the identity.
/// Channels-last images (height, width, channels) of any channel count; output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Per image, an addition a is drawn uniformly from [additionFactor.Lower, 255 · additionFactor.Upper], then a
/// threshold t from [thresholdFactor.Lower, 255 · thresholdFactor.Upper] (all the additions of a batch before its
/// thresholds; the numbers are not TensorFlow's). The lower ends are <b>not</b> multiplied by 255: that is Keras' code,
/// although its docstring says both are. Every value is mapped from <see cref="ValueRange"/> to [0, 255],
/// r = clip(x + a, 0, 255), r becomes 255 − r where r ≥ t, and the result is mapped back. With the defaults (0, 0) every
/// value is solarized: (0, 255) images become 255 − x.</para>
/// <para>Both factors follow Keras' rule: a number f in [0, 1] means (0, f), a pair has both values in [0, 1] and is
/// sorted. The draws come from a seeded generator (the constructor's seed, else the model's) that advances with every
/// training call. Backward: g where the value was solarized is negated, where the clip was active it is 0, elsewhere
/// it passes (the maps to and from [0, 255] cancel).</para>
/// </remarks>
/// <example><c>model.Add(new Solarization(0.1, 0.5, valueRange: (0, 1)));</c></example>
public sealed class Solarization : Layer, IRandomLayer
{
    private ColorAugmentation _color = new();
    private SeededRandom? _random;

    /// <summary>Creates a solarization layer from two numbers, Keras' way.</summary>
    /// <param name="additionFactor">In [0, 1]: the addition is drawn from [0, 255 · additionFactor]; Keras' default 0.</param>
    /// <param name="thresholdFactor">In [0, 1]: the threshold is drawn from [0, 255 · thresholdFactor]; Keras' default 0.</param>
    /// <param name="valueRange">The (low, high) range of the images (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>solarization</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor outside [0, 1], or the value range not finite or empty.</exception>
    public Solarization(double additionFactor = 0.0, double thresholdFactor = 0.0, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : this(
            AugmentationChecks.Factor(nameof(Solarization), nameof(additionFactor), additionFactor, 0, 1),
            AugmentationChecks.Factor(nameof(Solarization), nameof(thresholdFactor), thresholdFactor, 0, 1),
            valueRange,
            seed,
            name)
    {
    }

    /// <summary>Creates a solarization layer from two pairs.</summary>
    /// <param name="additionFactor">(lower, upper), each in [0, 1], sorted if reversed: the addition is drawn from [lower, 255 · upper].</param>
    /// <param name="thresholdFactor">(lower, upper), each in [0, 1], sorted if reversed: the threshold is drawn from [lower, 255 · upper].</param>
    /// <param name="valueRange">The (low, high) range of the images (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>solarization</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor value outside [0, 1], or the value range not finite or empty.</exception>
    public Solarization((double Lower, double Upper) additionFactor, (double Lower, double Upper) thresholdFactor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : base(name)
    {
        AdditionFactor = AugmentationChecks.Factor(nameof(Solarization), nameof(additionFactor), additionFactor, 0, 1);
        ThresholdFactor = AugmentationChecks.Factor(nameof(Solarization), nameof(thresholdFactor), thresholdFactor, 0, 1);
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(Solarization), range);
        if (range.Low == range.High)
        {
            // Keras divides by high - low to map the images to [0, 255].
            throw new ArgumentOutOfRangeException(nameof(valueRange), range, $"Solarization expects valueRange (low, high) with low != high (the images are mapped to [0, 255] by dividing by high - low). Received: valueRange={AugmentationChecks.Format(range)}.");
        }

        ValueRange = range.Low <= range.High ? range : (range.High, range.Low);
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) factor of the addition, drawn from [Lower, 255 · Upper].</summary>
    public (double Lower, double Upper) AdditionFactor { get; }

    /// <summary>The (lower, upper) factor of the threshold, drawn from [Lower, 255 · Upper].</summary>
    public (double Lower, double Upper) ThresholdFactor { get; }

    /// <summary>The (low, high) range of the images.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "solarization";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The (addition, threshold) pairs of the last training call, two values per image (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastDraws => _color.Draws;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <summary>Makes the layer draw from <paramref name="random"/>, the generator <see cref="RandAugment"/> and <see cref="AugMix"/> hand each operation they apply.</summary>
    internal void ShareRandom(SeededRandom random) => _random = random;

    private bool Scaled => ValueRange != (0, 255);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("value_range", ValueRange)
        .SetPair("addition_factor", AdditionFactor)
        .SetPair("threshold_factor", ThresholdFactor)
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: each factor a number or a pair (0 when absent).</summary>
    internal static Solarization FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        (double, double) Read(string key, string parameter) => AugmentationConfig.ReadFactor(config, key) switch
        {
            null => (0, 0),
            { Number: double number } => AugmentationChecks.Factor(nameof(Solarization), parameter, number, 0, 1),
            { Pair: var pair } => pair,
        };

        // A bad number read from a file is named by its config key.
        (double, double) addition = Read("addition_factor", "addition_factor"), threshold = Read("threshold_factor", "threshold_factor");
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        return new Solarization(addition, threshold, valueRange, config.GetNullableInt64("seed"), config.GetString("name"));
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

        Span<double> draws = _color.Begin(input, perImage: 2);
        SeededRandom random = Random;
        int batch = input.Shape[0];
        for (int n = 0; n < batch; n++)
        {
            draws[2 * n] = (float)(AdditionFactor.Lower + (((AdditionFactor.Upper * 255) - AdditionFactor.Lower) * random.NextDouble()));
        }

        for (int n = 0; n < batch; n++)
        {
            draws[(2 * n) + 1] = (float)(ThresholdFactor.Lower + (((ThresholdFactor.Upper * 255) - ThresholdFactor.Lower) * random.NextDouble()));
        }

        Tensor output = _color.Output(InputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int size = InputShape.ElementCount;
        float low = (float)ValueRange.Low, span = ((float)ValueRange.High - (float)ValueRange.Low);
        bool scaled = Scaled;
        for (int n = 0; n < batch; n++)
        {
            float addition = (float)draws[2 * n], threshold = (float)draws[(2 * n) + 1];
            for (int i = n * size; i < (n + 1) * size; i++)
            {
                // Keras skips the maps when the value range is already (0, 255).
                float v = scaled ? (x[i] - low) / span * 255f : x[i];
                float r = Math.Clamp(v + addition, 0f, 255f);
                r = r < threshold ? r : 255f - r;
                y[i] = scaled ? (r / 255f * span) + low : r;
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

        ReadOnlySpan<double> draws = _color.Draws;
        ReadOnlySpan<float> x = _color.Input.AsReadOnlySpan(), dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        int size = InputShape.ElementCount, batch = outputGradient.Shape[0];
        float low = (float)ValueRange.Low, span = ((float)ValueRange.High - (float)ValueRange.Low);
        bool scaled = Scaled;
        for (int n = 0; n < batch; n++)
        {
            float addition = (float)draws[2 * n], threshold = (float)draws[(2 * n) + 1];
            for (int i = n * size; i < (n + 1) * size; i++)
            {
                float v = (scaled ? (x[i] - low) / span * 255f : x[i]) + addition;
                float r = Math.Clamp(v, 0f, 255f);
                dx[i] = v < 0f || v > 255f ? 0f : r < threshold ? dy[i] : -dy[i];
            }
        }

        return inputGradient;
    }
}
