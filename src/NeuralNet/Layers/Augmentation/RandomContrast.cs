using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Scales the contrast of each image of a batch by a random factor during training (Keras' <c>RandomContrast</c>); at
/// inference the layer is the identity. Channels-last images (height, width, channels); output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Per image, a contrast factor f is drawn uniformly from [1 − factor.Lower, 1 + factor.Upper]; each channel's
/// mean m over the image's pixels is kept and every value becomes clip((x − m) · f + m, low, high) with (low, high) =
/// <see cref="ValueRange"/>. As in Keras 3, a single number f gives the range (0, f), so the contrast only ever
/// increases, within [1, 1 + f]; pass (f, f) for [1 − f, 1 + f].</para>
/// <para>The factors come from a seeded generator (the constructor's seed, else one derived from the model's seed) that
/// advances with every training call, so the same seed and calls give the same bits. Backward applies the linear map's
/// transpose where the clip was inactive: dx = f · g + (1 − f) · mean(g) per image and channel, g the gradient with
/// the clipped values zeroed.</para>
/// </remarks>
/// <example><c>model.Add(new RandomContrast((0.2, 0.2), valueRange: (0, 1)));</c></example>
public sealed class RandomContrast : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastInput;
    private double[] _factors = [];
    private float[] _means = [];
    private float[] _gradientSums = [];
    private int _drawn;
    private int _batch = -1;

    /// <summary>Creates a contrast layer from one number, Keras' way.</summary>
    /// <param name="factor">In [0, 1]: the contrast factor is drawn from [1, 1 + factor] (Keras 3 reads one number as the range (0, factor)).</param>
    /// <param name="valueRange">The (low, high) range of the images, outputs are clipped to it; null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the factors; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_contrast</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is outside [0, 1], or the value range not finite or reversed.</exception>
    public RandomContrast(double factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(RandomContrast), nameof(factor), factor, 0, 1), valueRange, seed, name)
    {
    }

    /// <summary>Creates a contrast layer drawing its factors from [1 − lower, 1 + upper].</summary>
    /// <param name="factor">(lower, upper), sorted if reversed. Keras' rule (<c>_set_factor</c>): refused only when lower &gt; 1 or
    /// upper &lt; 0 as given, so an end may lie outside [0, 1]: (0.2, 1.5) draws contrast factors from [0.8, 2.5].</param>
    /// <param name="valueRange">The (low, high) range of the images, outputs are clipped to it; null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the factors; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_contrast</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">lower &gt; 1, upper &lt; 0 or a factor not finite; or the value range not finite or reversed.</exception>
    public RandomContrast((double Lower, double Upper) factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(RandomContrast), nameof(factor), factor, 0, 1);
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(RandomContrast), range);
        if (range.Low > range.High)
        {
            // Keras keeps a reversed range and clips with low > high, which makes every value `high` on all its
            // backends (NumPy's clip, tf.clip_by_value, torch.clamp, jnp.clip): a constant image, so it is refused.
            throw new ArgumentOutOfRangeException(nameof(valueRange), range, $"RandomContrast expects valueRange (low, high) with low <= high (Keras would clip every value to high). Received: valueRange={AugmentationChecks.Format(range)}.");
        }

        ValueRange = range;
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) pair: contrast factors are drawn from [1 − lower, 1 + upper].</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The (low, high) range of the images; outputs are clipped to it.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The seed given to the constructor, or null when the factors derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_contrast";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The contrast factors of the last training call, one per image (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastFactors => _factors.AsSpan(0, _drawn);

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <summary>Makes the layer draw from <paramref name="random"/>, the generator of the <see cref="RandomColorJitter"/> that runs it (Keras' sub-layers draw from the jitter's seed generator).</summary>
    internal void ShareRandom(SeededRandom random) => _random = random;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("factor", Factor)
        .SetPair("value_range", ValueRange)
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: the factor a number or a pair.</summary>
    internal static RandomContrast FromConfig(Config config)
    {
        AugmentationConfig.Factor factor = AugmentationConfig.ReadFactor(config, "factor") ?? throw config.Error("\"factor\" is missing.");
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor.Number is double number ? new RandomContrast(number, valueRange, seed, name) : new RandomContrast(factor.Pair, valueRange, seed, name);
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);
        _gradientSums = [];
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], channels = InputShape[2], pixels = InputShape[0] * InputShape[1], size = InputShape.ElementCount;
        _batch = batch;
        _drawn = 0;
        if (!training)
        {
            return input;
        }

        if (_factors.Length < batch)
        {
            _factors = new double[batch];
            _means = new float[batch * channels];
        }

        _drawn = batch;
        _lastInput = input;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        float low = (float)ValueRange.Low, high = (float)ValueRange.High;
        SeededRandom random = Random;
        for (int n = 0; n < batch; n++)
        {
            _factors[n] = 1.0 - Factor.Lower + ((Factor.Upper + Factor.Lower) * random.NextDouble());
            float f = (float)_factors[n];
            ReadOnlySpan<float> image = x.Slice(n * size, size);
            Span<float> means = _means.AsSpan(n * channels, channels);
            ChannelMeans(image, pixels, channels, means);
            Span<float> target = y.Slice(n * size, size);
            for (int i = 0; i < size; i++)
            {
                float m = means[i % channels];
                target[i] = Math.Clamp(((image[i] - m) * f) + m, low, high);
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

        if (_drawn == 0 || !ComputesInputGradient)
        {
            return outputGradient;
        }

        int channels = InputShape[2], pixels = InputShape[0] * InputShape[1], size = InputShape.ElementCount;
        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        ReadOnlySpan<float> x = _lastInput!.AsReadOnlySpan(), dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        float low = (float)ValueRange.Low, high = (float)ValueRange.High;
        if (_gradientSums.Length != channels)
        {
            // Per channel, so made at the first backward pass rather than when a file naming a huge image loads.
            _gradientSums = new float[channels];
        }

        Span<float> sums = _gradientSums;
        for (int n = 0; n < _batch; n++)
        {
            float f = (float)_factors[n];
            ReadOnlySpan<float> means = _means.AsSpan(n * channels, channels);
            ReadOnlySpan<float> image = x.Slice(n * size, size), g = dy.Slice(n * size, size);
            Span<float> target = dx.Slice(n * size, size);

            // The gradient through the clip, then the transpose of z = f·x + (1 − f)·mean(x).
            sums.Clear();
            for (int i = 0; i < size; i++)
            {
                float m = means[i % channels], z = ((image[i] - m) * f) + m;
                float passed = z >= low && z <= high ? g[i] : 0f;
                target[i] = passed;
                sums[i % channels] += passed;
            }

            for (int i = 0; i < size; i++)
            {
                target[i] = (f * target[i]) + ((1 - f) * sums[i % channels] / pixels);
            }
        }

        return inputGradient;
    }

    // The per-channel mean over the pixels, accumulated in double so that large images lose no precision.
    private static void ChannelMeans(ReadOnlySpan<float> image, int pixels, int channels, Span<float> means)
    {
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int p = 0; p < pixels; p++)
            {
                sum += image[(p * channels) + c];
            }

            means[c] = (float)(sum / pixels);
        }
    }
}
