using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Rotates the hue of each RGB image of a batch by a random amount during training (Keras' <c>RandomHue</c>); at
/// inference the layer is the identity. Channels-last RGB images (height, width, 3); output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Per image, a sign is drawn first (−1 when u &gt; 0.5, else +1, u uniform in [0, 1)), then f uniformly from
/// [factor.Lower, factor.Upper]; the hue shift is δ = sign · f / 2 (all the signs of a batch are drawn before its
/// factors, as Keras draws them; the numbers are not TensorFlow's). Every value is mapped from
/// <see cref="ValueRange"/> to [0, 1], the pixel goes to HSV (Keras' <c>rgb_to_hsv</c>, see <see cref="ColorSpace"/>),
/// h + δ is wrapped into [0, 1] by adding or subtracting 1 once, the pixel returns to RGB, is clipped to [0, 1] and
/// mapped back to the value range.</para>
/// <para>The factor follows Keras' <c>_set_factor</c> with bounds [0, 1]: a number f gives (0, f), so the shift is at
/// most half a turn either way. The draws come from a seeded generator (the constructor's seed, else the model's) that
/// advances with every training call. Backward applies the transpose of each pixel's 3×3 Jacobian of that formula,
/// taken through the same operations as TensorFlow's autodiff (a tied max or min gives its gradient to the first channel;
/// the final clip passes no gradient where active).</para>
/// </remarks>
/// <example><c>model.Add(new RandomHue(0.2, valueRange: (0, 1)));</c></example>
public sealed class RandomHue : Layer, IRandomLayer
{
    private ColorAugmentation _color = new();
    private SeededRandom? _random;

    /// <summary>Creates a hue layer from one number, Keras' way.</summary>
    /// <param name="factor">In [0, 1]: f is drawn from [0, factor].</param>
    /// <param name="valueRange">The (low, high) range of the images (Keras has no default). low &gt; high is kept as Keras keeps it.</param>
    /// <param name="seed">The seed of the shifts; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_hue</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is outside [0, 1], or the value range not finite or empty (low = high).</exception>
    public RandomHue(double factor, (double Low, double High) valueRange, long? seed = null, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(RandomHue), nameof(factor), factor, 0, 1), valueRange, seed, name)
    {
    }

    /// <summary>Creates a hue layer drawing f from (lower, upper).</summary>
    /// <param name="factor">(lower, upper), sorted if reversed. Keras' rule (<c>_set_factor</c>): refused only when lower &gt; 1 or
    /// upper &lt; 0 as given.</param>
    /// <param name="valueRange">The (low, high) range of the images (Keras has no default). low &gt; high is kept as Keras keeps it.</param>
    /// <param name="seed">The seed of the shifts; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_hue</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">lower &gt; 1, upper &lt; 0 or a factor not finite; or the value range not finite or empty.</exception>
    public RandomHue((double Lower, double Upper) factor, (double Low, double High) valueRange, long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(RandomHue), nameof(factor), factor, 0, 1);
        AugmentationChecks.FiniteRange(nameof(RandomHue), valueRange);
        if (valueRange.Low == valueRange.High)
        {
            // Keras divides by high - low to map the images to [0, 1].
            throw new ArgumentOutOfRangeException(nameof(valueRange), valueRange, $"RandomHue expects valueRange (low, high) with low != high (the images are mapped to [0, 1] by dividing by high - low). Received: valueRange={AugmentationChecks.Format(valueRange)}.");
        }

        ValueRange = valueRange;
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range of f; the hue shift is ±f / 2.</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The (low, high) range of the images.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The seed given to the constructor, or null when the shifts derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_hue";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The hue shifts δ of the last training call, one per image (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastShifts => _color.Draws;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <summary>Makes the layer draw from <paramref name="random"/>, the generator of the <see cref="RandomColorJitter"/> that runs it (Keras' sub-layers draw from the jitter's seed generator).</summary>
    internal void ShareRandom(SeededRandom random) => _random = random;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("factor", Factor)
        .SetPair("value_range", ValueRange)
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: the factor a number or a pair; the value range required.</summary>
    internal static RandomHue FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor factor = AugmentationConfig.ReadFactor(config, "factor") ?? throw config.Error("\"factor\" is missing.");
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : throw config.Error("\"value_range\" is missing.");
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor.Number is double number ? new RandomHue(number, valueRange, seed, name) : new RandomHue(factor.Pair, valueRange, seed, name);
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

        Span<double> shifts = _color.Begin(input);
        SeededRandom random = Random;
        for (int n = 0; n < shifts.Length; n++)
        {
            shifts[n] = random.NextDouble() > 0.5 ? -1 : 1;
        }

        for (int n = 0; n < shifts.Length; n++)
        {
            float f = (float)(Factor.Lower + ((Factor.Upper - Factor.Lower) * random.NextDouble()));
            shifts[n] = (float)(shifts[n] * f * 0.5f);
        }

        Tensor output = _color.Output(InputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int size = InputShape.ElementCount;
        float low = (float)ValueRange.Low, scale = ((float)ValueRange.High - (float)ValueRange.Low);
        for (int n = 0; n < shifts.Length; n++)
        {
            float delta = (float)shifts[n];
            for (int i = n * size; i < (n + 1) * size; i += 3)
            {
                (float h, float s, float v) = ColorSpace.RgbToHsv((x[i] - low) / scale, (x[i + 1] - low) / scale, (x[i + 2] - low) / scale);
                h += delta;
                h = h > 1f ? h - 1f : h;
                h = h < 0f ? h + 1f : h;
                (float r, float g, float b) = ColorSpace.HsvToRgb(h, s, v);
                y[i] = (Math.Clamp(r, 0f, 1f) * scale) + low;
                y[i + 1] = (Math.Clamp(g, 0f, 1f) * scale) + low;
                y[i + 2] = (Math.Clamp(b, 0f, 1f) * scale) + low;
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

        ReadOnlySpan<double> shifts = _color.Draws;
        ReadOnlySpan<float> x = _color.Input.AsReadOnlySpan(), dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        int size = InputShape.ElementCount;
        double low = (float)ValueRange.Low, scale = ((float)ValueRange.High - (float)ValueRange.Low);
        for (int n = 0; n < shifts.Length; n++)
        {
            for (int i = n * size; i < (n + 1) * size; i += 3)
            {
                // The map to [0, 1] divides by the scale and the map back multiplies by it: the Jacobian in [0, 1]
                // units is the layer's.
                (PixelDual h, PixelDual s, PixelDual v) = ColorSpace.RgbToHsv(
                    PixelDual.Channel((x[i] - low) / scale, 0), PixelDual.Channel((x[i + 1] - low) / scale, 1), PixelDual.Channel((x[i + 2] - low) / scale, 2));
                h += shifts[n];
                (PixelDual r, PixelDual g, PixelDual b) = ColorSpace.HsvToRgb(h, s, v);
                ColorAugmentation.PixelBackward(PixelDual.Clip(r, 0, 1), PixelDual.Clip(g, 0, 1), PixelDual.Clip(b, 0, 1), dy.Slice(i, 3), dx.Slice(i, 3));
            }
        }

        return inputGradient;
    }
}
