using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Blends each RGB image of a batch towards its grayscale version by a random amount during training (Keras'
/// <c>RandomColorDegeneration</c>); at inference the layer is the identity. Channels-last RGB images (height, width, 3);
/// output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Per image, f is drawn uniformly from [factor.Lower, factor.Upper]; every value becomes
/// clip(x + f · (gray − x), low, high), gray = 0.2989 r + 0.5870 g + 0.1140 b of its pixel (Keras'
/// <c>rgb_to_grayscale</c>) and (low, high) = <see cref="ValueRange"/>. f = 0 keeps the image, 1 makes it gray.</para>
/// <para>Keras reads the factor with <c>BaseImagePreprocessingLayer._set_factor</c> and bounds [−1, 1]: a number f
/// gives (−f, f), not (0, f) as its docstring says; a negative f moves the colours away from gray. One draw per image as
/// Keras draws them; the numbers are not TensorFlow's. The draws come from a seeded generator (the constructor's seed,
/// else the model's) that advances with every training call.</para>
/// <para>Backward, where the clip is inactive: dx_j = (1 − f) · g_j + f · w_j · Σ_c g_c per pixel (w the grayscale
/// weights); nothing passes through a clipped value.</para>
/// </remarks>
/// <example><c>model.Add(new RandomColorDegeneration((0.0, 0.5), valueRange: (0, 1)));</c></example>
public sealed class RandomColorDegeneration : Layer, IRandomLayer
{
    private ColorAugmentation _color = new();
    private SeededRandom? _random;

    /// <summary>Creates a colour degeneration layer from one number, Keras' way.</summary>
    /// <param name="factor">In [−1, 1]: f is drawn from [−|factor|, |factor|] (Keras' <c>_set_factor</c>).</param>
    /// <param name="valueRange">The (low, high) range of the images, outputs are clipped to it (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the factors; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_color_degeneration</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is outside [−1, 1], or the value range not finite.</exception>
    public RandomColorDegeneration(double factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(RandomColorDegeneration), nameof(factor), factor, -1, 1), valueRange, seed, name)
    {
    }

    /// <summary>Creates a colour degeneration layer drawing f from (lower, upper).</summary>
    /// <param name="factor">(lower, upper), sorted if reversed. Keras' rule (<c>_set_factor</c>): refused only when lower &gt; 1 or
    /// upper &lt; −1 as given.</param>
    /// <param name="valueRange">The (low, high) range of the images, outputs are clipped to it (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the factors; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_color_degeneration</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">lower &gt; 1, upper &lt; −1 or a factor not finite; or the value range not finite.</exception>
    public RandomColorDegeneration((double Lower, double Upper) factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(RandomColorDegeneration), nameof(factor), factor, -1, 1);
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(RandomColorDegeneration), range);
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
    public override string DefaultNamePrefix => "random_color_degeneration";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The blend factors f of the last training call, one per image (empty after an inference call).</summary>
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
    internal static RandomColorDegeneration FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor factor = AugmentationConfig.ReadFactor(config, "factor") ?? throw config.Error("\"factor\" is missing.");
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor.Number is double number ? new RandomColorDegeneration(number, valueRange, seed, name) : new RandomColorDegeneration(factor.Pair, valueRange, seed, name);
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

        Span<double> factors = _color.Begin(input);
        SeededRandom random = Random;
        for (int n = 0; n < factors.Length; n++)
        {
            factors[n] = (float)(Factor.Lower + ((Factor.Upper - Factor.Lower) * random.NextDouble()));
        }

        Tensor output = _color.Output(InputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int size = InputShape.ElementCount;
        float low = (float)ValueRange.Low, high = (float)ValueRange.High;
        for (int n = 0; n < factors.Length; n++)
        {
            float f = (float)factors[n];
            for (int i = n * size; i < (n + 1) * size; i += 3)
            {
                float gray = ColorSpace.Gray(x[i], x[i + 1], x[i + 2]);
                y[i] = Math.Clamp(x[i] + (f * (gray - x[i])), low, high);
                y[i + 1] = Math.Clamp(x[i + 1] + (f * (gray - x[i + 1])), low, high);
                y[i + 2] = Math.Clamp(x[i + 2] + (f * (gray - x[i + 2])), low, high);
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

        ReadOnlySpan<double> factors = _color.Draws;
        ReadOnlySpan<float> x = _color.Input.AsReadOnlySpan(), dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        int size = InputShape.ElementCount;
        float low = (float)ValueRange.Low, high = (float)ValueRange.High;
        for (int n = 0; n < factors.Length; n++)
        {
            float f = (float)factors[n];
            for (int i = n * size; i < (n + 1) * size; i += 3)
            {
                float gray = ColorSpace.Gray(x[i], x[i + 1], x[i + 2]);
                float g0 = Passed(x[i], gray, f, low, high, dy[i]), g1 = Passed(x[i + 1], gray, f, low, high, dy[i + 1]), g2 = Passed(x[i + 2], gray, f, low, high, dy[i + 2]);
                float toGray = f * (g0 + g1 + g2);
                dx[i] = ((1 - f) * g0) + (ColorSpace.RedWeight * toGray);
                dx[i + 1] = ((1 - f) * g1) + (ColorSpace.GreenWeight * toGray);
                dx[i + 2] = ((1 - f) * g2) + (ColorSpace.BlueWeight * toGray);
            }
        }

        return inputGradient;
    }

    // The output gradient where the forward value was inside the clip, else 0.
    private static float Passed(float x, float gray, float f, float low, float high, float g)
    {
        float z = x + (f * (gray - x));
        return z >= low && z <= high ? g : 0f;
    }
}
