using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keeps only the top bits of every value of each image during training (Keras' <c>RandomPosterization</c>); at
/// inference the layer is the identity. Channels-last images (height, width, channels) of any channel count; output
/// shape = input shape.
/// </summary>
/// <remarks>
/// <para>Per image, the number of bits b is drawn uniformly from the integers lower, ..., upper − 1 of
/// <see cref="Factor"/> (Keras' <c>randint</c>, whose upper end is excluded), or is lower when both ends are equal. Every
/// value is mapped from <see cref="ValueRange"/> to [0, 255], converted to an 8-bit integer u (truncated; values outside
/// [0, 255] are first clamped, where Keras' cast is backend-specific), becomes (u &gt;&gt; (8 − b)) &lt;&lt; (8 − b),
/// and is mapped back. Keras reads one number f with <c>_set_factor</c> and bounds [1, 8]: the pair (1, f), so
/// <c>RandomPosterization(4)</c> draws 1, 2 or 3 bits and <c>RandomPosterization(1)</c> always 1; pass (b, b) for b
/// bits. One draw per image; the numbers are not TensorFlow's.</para>
/// <para>The output is piecewise constant in the input (Keras casts to an integer type, through which no gradient
/// flows): backward gives a zero input gradient in training. The draws come from a seeded generator (the constructor's
/// seed, else the model's) that advances with every training call.</para>
/// </remarks>
/// <example><c>model.Add(new RandomPosterization((4, 4), valueRange: (0, 1)));</c></example>
public sealed class RandomPosterization : Layer, IRandomLayer
{
    private ColorAugmentation _color = new();
    private SeededRandom? _random;

    /// <summary>Creates a posterization layer from one number, Keras' way.</summary>
    /// <param name="factor">In [1, 8]: the bits are drawn from 1, ..., factor − 1 (1 when factor is 1).</param>
    /// <param name="valueRange">The (low, high) range of the images (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_posterization</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is outside [1, 8], or the value range not finite or empty.</exception>
    public RandomPosterization(int factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : this(Bits(AugmentationChecks.Factor(nameof(RandomPosterization), nameof(factor), factor, 1, 8)), valueRange, seed, name)
    {
    }

    /// <summary>Creates a posterization layer drawing the bits from lower, ..., upper − 1 (lower when equal).</summary>
    /// <param name="factor">(lower, upper), sorted if reversed, each in [1, 8].</param>
    /// <param name="valueRange">The (low, high) range of the images (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_posterization</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor value outside [1, 8], or the value range not finite or empty.</exception>
    public RandomPosterization((int Lower, int Upper) factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : base(name)
    {
        // Keras' _set_factor refuses only lower > 8 or upper < 1; a value outside [1, 8] would shift by a negative or
        // more-than-8 count, which uint8 shifts do not define, so each value is checked.
        Factor = Bits(AugmentationChecks.Factor(nameof(RandomPosterization), nameof(factor), factor, 1, 8));
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(RandomPosterization), range);
        if (range.Low == range.High)
        {
            throw new ArgumentOutOfRangeException(nameof(valueRange), range, $"RandomPosterization expects valueRange (low, high) with low != high (the images are mapped to [0, 255] by dividing by high - low). Received: valueRange={AugmentationChecks.Format(range)}.");
        }

        ValueRange = range.Low <= range.High ? range : (range.High, range.Low);
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) bits: drawn from lower, ..., upper − 1, or lower when equal.</summary>
    public (int Lower, int Upper) Factor { get; }

    /// <summary>The (low, high) range of the images.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_posterization";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The bits kept by the last training call, one per image (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastBits => _color.Draws;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <summary>Makes the layer draw from <paramref name="random"/>, the generator <see cref="RandAugment"/> and <see cref="AugMix"/> hand each operation they apply.</summary>
    internal void ShareRandom(SeededRandom random) => _random = random;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("factor", Factor)
        .SetPair("value_range", ValueRange)
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: the factor an integer or a pair of integers.</summary>
    internal static RandomPosterization FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor factor = AugmentationConfig.ReadFactor(config, "factor") ?? throw config.Error("\"factor\" is missing.");
        int Integer(double value) => value == Math.Floor(value) && value is >= int.MinValue and <= int.MaxValue
            ? (int)value
            : throw config.Error($"\"factor\" must hold integers (bits); got {value.ToString(CultureInfo.InvariantCulture)}.");
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor.Number is double number
            ? new RandomPosterization(Integer(number), valueRange, seed, name)
            : new RandomPosterization((Integer(factor.Pair.Lower), Integer(factor.Pair.Upper)), valueRange, seed, name);
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

        Span<double> bits = _color.Begin(input);
        SeededRandom random = Random;
        for (int n = 0; n < bits.Length; n++)
        {
            bits[n] = Factor.Lower == Factor.Upper ? Factor.Lower : Factor.Lower + random.NextInt(Factor.Upper - Factor.Lower);
        }

        Tensor output = _color.Output(InputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int size = InputShape.ElementCount;
        float low = (float)ValueRange.Low, span = ((float)ValueRange.High - (float)ValueRange.Low);
        bool scaled = ValueRange != (0, 255);
        for (int n = 0; n < bits.Length; n++)
        {
            int shift = 8 - (int)bits[n];
            for (int i = n * size; i < (n + 1) * size; i++)
            {
                // Keras skips the maps when the value range is already (0, 255).
                float v = scaled ? (x[i] - low) / span * 255f : x[i];
                int u = (int)Math.Clamp(v, 0f, 255f);
                float r = (u >> shift) << shift;
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

        inputGradient.AsSpan().Clear();
        return inputGradient;
    }

    private static (int, int) Bits((double Lower, double Upper) factor) => ((int)factor.Lower, (int)factor.Upper);
}
