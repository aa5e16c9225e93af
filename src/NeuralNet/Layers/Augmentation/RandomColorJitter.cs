using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Applies random brightness, contrast, saturation and hue changes to each image of a batch during training, in that
/// order (Keras' <c>RandomColorJitter</c>); at inference the layer is the identity. Channels-last images (height,
/// width, channels), RGB (3 channels) when a saturation or hue factor is given; output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Each factor that is given adds one step, run by the layer it names: <see cref="RandomBrightness"/>,
/// <see cref="RandomContrast"/>, <see cref="RandomSaturation"/>, <see cref="RandomHue"/>, each with this layer's
/// <see cref="ValueRange"/> and its own rules and formula (see those layers). As in Keras, the steps draw from this
/// layer's one seeded generator, in that order, so a jitter with only a brightness factor draws and computes exactly as
/// a <see cref="RandomBrightness"/> of the same seed.</para>
/// <para>The factors are pairs (lower, upper); Keras' single number f is (−f, f) for brightness and saturation and
/// (0, f) for contrast and hue (the sub-layers' <c>_set_factor</c>), which is how the configuration reads it. Backward
/// runs the steps' backward passes in reverse order.</para>
/// </remarks>
/// <example><c>model.Add(new RandomColorJitter((0, 1), brightnessFactor: (-0.1, 0.1), hueFactor: (0, 0.1)));</c></example>
public sealed class RandomColorJitter : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private RandomBrightness? _brightness;
    private RandomContrast? _contrast;
    private RandomSaturation? _saturation;
    private RandomHue? _hue;
    private int _batch = -1;
    private bool _transformed;

    /// <summary>Creates a colour jitter layer.</summary>
    /// <param name="valueRange">The (low, high) range of the images, low &lt; high; null for Keras' default (0, 255).</param>
    /// <param name="brightnessFactor">The brightness step's (lower, upper) range (<see cref="RandomBrightness"/>); null for no brightness step.</param>
    /// <param name="contrastFactor">The contrast step's (lower, upper): factors in [1 − lower, 1 + upper] (<see cref="RandomContrast"/>); null for no contrast step.</param>
    /// <param name="saturationFactor">The saturation step's (lower, upper) range; (0.5, 0.5) keeps the images (<see cref="RandomSaturation"/>); null for no saturation step.</param>
    /// <param name="hueFactor">The hue step's (lower, upper) range (<see cref="RandomHue"/>); null for no hue step.</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_color_jitter</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor refused by its layer's Keras rule (brightness and saturation: lower &gt; 1 or
    /// upper &lt; −1; contrast and hue: lower &gt; 1 or upper &lt; 0) or not finite; the value range not finite, or low &gt;= high.</exception>
    public RandomColorJitter((double Low, double High)? valueRange = null, (double Lower, double Upper)? brightnessFactor = null, (double Lower, double Upper)? contrastFactor = null,
        (double Lower, double Upper)? saturationFactor = null, (double Lower, double Upper)? hueFactor = null, long? seed = null, string? name = null)
        : base(name)
    {
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(RandomColorJitter), range);
        if (!(range.Low < range.High))
        {
            // RandomContrast refuses low > high and RandomHue low = high (it divides by high - low).
            throw new ArgumentOutOfRangeException(nameof(valueRange), range, $"RandomColorJitter expects valueRange (low, high) with low < high. Received: valueRange={AugmentationChecks.Format(range)}.");
        }

        BrightnessFactor = Checked(nameof(brightnessFactor), brightnessFactor, -1);
        ContrastFactor = Checked(nameof(contrastFactor), contrastFactor, 0);
        SaturationFactor = Checked(nameof(saturationFactor), saturationFactor, -1);
        HueFactor = Checked(nameof(hueFactor), hueFactor, 0);
        ValueRange = range;
        AugmentationSeed = seed;
    }

    /// <summary>The (low, high) range of the images, given to every step.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The brightness step's (lower, upper) range, or null when there is no brightness step.</summary>
    public (double Lower, double Upper)? BrightnessFactor { get; }

    /// <summary>The contrast step's (lower, upper) pair, or null when there is no contrast step.</summary>
    public (double Lower, double Upper)? ContrastFactor { get; }

    /// <summary>The saturation step's (lower, upper) range, or null when there is no saturation step.</summary>
    public (double Lower, double Upper)? SaturationFactor { get; }

    /// <summary>The hue step's (lower, upper) range, or null when there is no hue step.</summary>
    public (double Lower, double Upper)? HueFactor { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_color_jitter";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The steps' layers, in order (null where absent); created when the layer is built.</summary>
    internal (RandomBrightness? Brightness, RandomContrast? Contrast, RandomSaturation? Saturation, RandomHue? Hue) Steps => (_brightness, _contrast, _saturation, _hue);

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("value_range", ValueRange)
        .SetFactor("brightness_factor", BrightnessFactor)
        .SetFactor("contrast_factor", ContrastFactor)
        .SetFactor("saturation_factor", SaturationFactor)
        .SetFactor("hue_factor", HueFactor)
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: each factor null, a number (read as its layer reads it) or a pair.</summary>
    internal static RandomColorJitter FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        return new RandomColorJitter(
            valueRange,
            ReadFactor(config, "brightness_factor", "brightnessFactor", -1),
            ReadFactor(config, "contrast_factor", "contrastFactor", 0),
            ReadFactor(config, "saturation_factor", "saturationFactor", -1),
            ReadFactor(config, "hue_factor", "hueFactor", 0),
            config.GetNullableInt64("seed"),
            config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (SaturationFactor is not null || HueFactor is not null)
        {
            AugmentationChecks.Rgb(Describe(), inputShape);
        }
        else
        {
            ConvolutionChecks.Image(Describe(), inputShape);
        }

        // The steps are made here, not in the constructor, so every instance of a shared layer has its own.
        _brightness = BrightnessFactor is { } brightness ? new RandomBrightness(brightness, ValueRange) : null;
        _contrast = ContrastFactor is { } contrast ? new RandomContrast(contrast, ValueRange) : null;
        _saturation = SaturationFactor is { } saturation ? new RandomSaturation(saturation, ValueRange) : null;
        _hue = HueFactor is { } hue ? new RandomHue(hue, ValueRange) : null;
        _brightness?.Build(inputShape);
        _contrast?.Build(inputShape);
        _saturation?.Build(inputShape);
        _hue?.Build(inputShape);
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        _batch = input.Shape[0];
        _transformed = training;
        if (!training)
        {
            return input;
        }

        SeededRandom random = Random;
        Tensor images = input;
        if (_brightness is not null)
        {
            _brightness.ShareRandom(random);
            images = _brightness.Forward(images, training: true);
        }

        if (_contrast is not null)
        {
            _contrast.ShareRandom(random);
            images = _contrast.Forward(images, training: true);
        }

        if (_saturation is not null)
        {
            _saturation.ShareRandom(random);
            images = _saturation.Forward(images, training: true);
        }

        if (_hue is not null)
        {
            _hue.ShareRandom(random);
            images = _hue.Forward(images, training: true);
        }

        return images;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last forward batch {_batch}).");
        }

        if (!_transformed || !ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor gradient = outputGradient;
        gradient = _hue?.Backward(gradient) ?? gradient;
        gradient = _saturation?.Backward(gradient) ?? gradient;
        gradient = _contrast?.Backward(gradient) ?? gradient;
        return _brightness?.Backward(gradient) ?? gradient;
    }

    // The sub-layers' _set_factor pair rule, named as this layer's parameter: brightness and saturation have bounds
    // [-1, 1], contrast and hue [0, 1].
    private static (double Lower, double Upper)? Checked(string parameter, (double Lower, double Upper)? factor, double min) =>
        factor is { } pair ? AugmentationChecks.BaseFactor(nameof(RandomColorJitter), parameter, pair, min, 1) : null;

    private static (double Lower, double Upper)? ReadFactor(Config config, string key, string parameter, double min) =>
        AugmentationConfig.ReadFactor(config, key) is not AugmentationConfig.Factor factor ? null
            : factor.Number is double number ? AugmentationChecks.BaseFactor(nameof(RandomColorJitter), parameter, number, min, 1)
            : factor.Pair;
}
