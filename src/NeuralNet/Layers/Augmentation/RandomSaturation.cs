using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Scales the saturation of each RGB image of a batch by a random factor during training (Keras'
/// <c>RandomSaturation</c>); at inference the layer is the identity. Channels-last RGB images (height, width, 3);
/// output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Per image, f is drawn uniformly from [factor.Lower, factor.Upper] and k = f / (1 − f + 1e-7) (so f = 0.5
/// keeps the image, 0 makes it gray, 1 fully saturated). Each pixel goes to HSV (Keras' <c>rgb_to_hsv</c>, see
/// <see cref="ColorSpace"/>), its saturation becomes clip(s · k, low, high) with (low, high) = <see cref="ValueRange"/>,
/// and it returns to RGB. As in Keras, the image values are not rescaled and the saturation is clipped to the value
/// range itself (not to [0, 1]): with the default (0, 255) a saturation above 1 gives values outside the image's range.
/// Pass the images' true range, (0, 1) for images in [0, 1].</para>
/// <para>Keras reads the factor with <c>BaseImagePreprocessingLayer._set_factor</c> and bounds [−1, 1]: a number f
/// gives the range (−f, f) (not (0, f) as Keras' docstring says), and a negative draw gives k &lt; 0, a saturation
/// clipped to low. One draw per image as Keras draws them; the numbers are not TensorFlow's. The draws come from a
/// seeded generator (the constructor's seed, else the model's) that advances with every training call.</para>
/// <para>Backward applies the transpose of each pixel's 3×3 Jacobian of that formula, taken through the same
/// operations as TensorFlow's autodiff (a tied max or min gives its gradient to the first channel, the clip passes no
/// gradient where active).</para>
/// </remarks>
/// <example><c>model.Add(new RandomSaturation((0.3, 0.7), valueRange: (0, 1)));</c></example>
public sealed class RandomSaturation : Layer, IRandomLayer
{
    /// <summary>Keras' <c>backend.epsilon()</c>, added to 1 − f.</summary>
    private const float Epsilon = 1e-7f;

    private ColorAugmentation _color = new();
    private SeededRandom? _random;

    /// <summary>Creates a saturation layer from one number, Keras' way.</summary>
    /// <param name="factor">In [−1, 1]: f is drawn from [−|factor|, |factor|] (Keras' <c>_set_factor</c>).</param>
    /// <param name="valueRange">The (low, high) range the saturation is clipped to (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the factors; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_saturation</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is outside [−1, 1], or the value range not finite.</exception>
    public RandomSaturation(double factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(RandomSaturation), nameof(factor), factor, -1, 1), valueRange, seed, name)
    {
    }

    /// <summary>Creates a saturation layer drawing f from (lower, upper).</summary>
    /// <param name="factor">(lower, upper), sorted if reversed; (0.5, 0.5) keeps every image. Keras' rule (<c>_set_factor</c>):
    /// refused only when lower &gt; 1 or upper &lt; −1 as given.</param>
    /// <param name="valueRange">The (low, high) range the saturation is clipped to (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the factors; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_saturation</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">lower &gt; 1, upper &lt; −1 or a factor not finite; or the value range not finite.</exception>
    public RandomSaturation((double Lower, double Upper) factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(RandomSaturation), nameof(factor), factor, -1, 1);
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(RandomSaturation), range);
        ValueRange = range.Low <= range.High ? range : (range.High, range.Low);
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range of f.</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The (low, high) range the scaled saturation is clipped to.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The seed given to the constructor, or null when the factors derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_saturation";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The saturation multipliers k of the last training call, one per image (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastMultipliers => _color.Draws;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <summary>Makes the layer draw from <paramref name="random"/>, the generator of the <see cref="RandomColorJitter"/> that runs it (Keras' sub-layers draw from the jitter's seed generator).</summary>
    internal void ShareRandom(SeededRandom random) => _random = random;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("factor", Factor)
        .SetPair("value_range", ValueRange)
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: the factor a number or a pair.</summary>
    internal static RandomSaturation FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor factor = AugmentationConfig.ReadFactor(config, "factor") ?? throw config.Error("\"factor\" is missing.");
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor.Number is double number ? new RandomSaturation(number, valueRange, seed, name) : new RandomSaturation(factor.Pair, valueRange, seed, name);
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

        Span<double> multipliers = _color.Begin(input);
        SeededRandom random = Random;
        for (int n = 0; n < multipliers.Length; n++)
        {
            // float32 as Keras computes it: the uniform draw, then f / (1 - f + epsilon).
            float f = (float)(Factor.Lower + ((Factor.Upper - Factor.Lower) * random.NextDouble()));
            multipliers[n] = f / (1f - f + Epsilon);
        }

        Tensor output = _color.Output(InputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int size = InputShape.ElementCount;
        float low = (float)ValueRange.Low, high = (float)ValueRange.High;
        for (int n = 0; n < multipliers.Length; n++)
        {
            float k = (float)multipliers[n];
            for (int i = n * size; i < (n + 1) * size; i += 3)
            {
                (float h, float s, float v) = ColorSpace.RgbToHsv(x[i], x[i + 1], x[i + 2]);
                (y[i], y[i + 1], y[i + 2]) = ColorSpace.HsvToRgb(h, Math.Clamp(s * k, low, high), v);
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

        ReadOnlySpan<double> multipliers = _color.Draws;
        ReadOnlySpan<float> x = _color.Input.AsReadOnlySpan(), dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        int size = InputShape.ElementCount;
        for (int n = 0; n < multipliers.Length; n++)
        {
            double k = (float)multipliers[n];
            for (int i = n * size; i < (n + 1) * size; i += 3)
            {
                (PixelDual h, PixelDual s, PixelDual v) = ColorSpace.RgbToHsv(PixelDual.Channel(x[i], 0), PixelDual.Channel(x[i + 1], 1), PixelDual.Channel(x[i + 2], 2));
                (PixelDual r, PixelDual g, PixelDual b) = ColorSpace.HsvToRgb(h, PixelDual.Clip(s * k, ValueRange.Low, ValueRange.High), v);
                ColorAugmentation.PixelBackward(r, g, b, dy.Slice(i, 3), dx.Slice(i, 3));
            }
        }

        return inputGradient;
    }
}
