using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Adds a random brightness offset to each image of a batch during training (Keras' <c>RandomBrightness</c>); at
/// inference the layer is the identity. Channels-last images (height, width, channels); output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Per image, δ = u · (high − low) is drawn with u uniform in [factor.Lower, factor.Upper] and
/// (low, high) = <see cref="ValueRange"/>; every value becomes clip(x + δ, low, high). A factor of −1 makes the image
/// black, +1 white.</para>
/// <para>The offsets come from a seeded generator (the constructor's seed, else one derived from the model's seed) that
/// advances with every training call, so the same seed and calls give the same bits. Backward passes the gradient
/// where low ≤ x + δ ≤ high and stops it where the clip was active.</para>
/// </remarks>
/// <example><c>model.Add(new RandomBrightness(0.2, valueRange: (0, 1)));</c></example>
public sealed class RandomBrightness : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastInput;
    private double[] _deltas = [];
    private int _drawn;
    private int _batch = -1;

    /// <summary>Creates a brightness layer with a symmetric range.</summary>
    /// <param name="factor">In [−1, 1]: u is drawn from [−|factor|, |factor|].</param>
    /// <param name="valueRange">The (low, high) range of the images (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the offsets; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_brightness</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is outside [−1, 1] or the value range not finite.</exception>
    public RandomBrightness(double factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(RandomBrightness), nameof(factor), factor, -1, 1), valueRange, seed, name)
    {
    }

    /// <summary>Creates a brightness layer with a (lower, upper) range.</summary>
    /// <param name="factor">(lower, upper), sorted if reversed: u is drawn from it. Keras' rule (<c>_set_factor</c>): refused only
    /// when lower &gt; 1 or upper &lt; −1 as given, so an end may lie outside [−1, 1] (the output is clipped anyway).</param>
    /// <param name="valueRange">The (low, high) range of the images (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the offsets; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_brightness</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">lower &gt; 1, upper &lt; −1 or a factor not finite; or the value range not finite.</exception>
    public RandomBrightness((double Lower, double Upper) factor, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(RandomBrightness), nameof(factor), factor, -1, 1);
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(RandomBrightness), range);
        ValueRange = range.Low <= range.High ? range : (range.High, range.Low);
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range of u, in fractions of the value range.</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The (low, high) range of the images; outputs are clipped to it.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The seed given to the constructor, or null when the offsets derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_brightness";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The offsets δ of the last training call, one per image (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastDeltas => _deltas.AsSpan(0, _drawn);

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <summary>Makes the layer draw from <paramref name="random"/>, the generator of the <see cref="RandomColorJitter"/> that runs it (Keras' sub-layers draw from the jitter's seed generator).</summary>
    internal void ShareRandom(SeededRandom random) => _random = random;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("factor", Factor)
        .SetPair("value_range", ValueRange)
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: the factor a number or a pair.</summary>
    internal static RandomBrightness FromConfig(Config config)
    {
        AugmentationConfig.Factor factor = AugmentationConfig.ReadFactor(config, "factor") ?? throw config.Error("\"factor\" is missing.");
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor.Number is double number ? new RandomBrightness(number, valueRange, seed, name) : new RandomBrightness(factor.Pair, valueRange, seed, name);
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
        int batch = input.Shape[0], size = InputShape.ElementCount;
        _batch = batch;
        _drawn = 0;
        if (!training)
        {
            return input;
        }

        if (_deltas.Length < batch)
        {
            _deltas = new double[batch];
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
            double u = Factor.Lower + ((Factor.Upper - Factor.Lower) * random.NextDouble());
            _deltas[n] = u * (ValueRange.High - ValueRange.Low);
            float delta = (float)_deltas[n];
            for (int i = n * size; i < (n + 1) * size; i++)
            {
                y[i] = Math.Clamp(x[i] + delta, low, high);
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

        int size = InputShape.ElementCount;
        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        ReadOnlySpan<float> x = _lastInput!.AsReadOnlySpan(), dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        float low = (float)ValueRange.Low, high = (float)ValueRange.High;
        for (int n = 0; n < _batch; n++)
        {
            float delta = (float)_deltas[n];
            for (int i = n * size; i < (n + 1) * size; i++)
            {
                float shifted = x[i] + delta;
                dx[i] = shifted >= low && shifted <= high ? dy[i] : 0f;
            }
        }

        return inputGradient;
    }
}
