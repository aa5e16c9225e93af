using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Shifts each image of a batch by its own random offset during training (Keras' <c>RandomTranslation</c>); at
/// inference the layer is the identity. Channels-last images (height, width, channels); output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Per image, a vertical shift dy = u · height is drawn with u uniform in [heightFactor.Lower, heightFactor.Upper]
/// (positive moves the image down) and a horizontal shift dx = v · width with v from the width factor (positive moves it
/// right). Output pixel (x, y) reads the input at (x − dx, y − dy), through Keras' <c>affine_transform</c> with
/// <see cref="FillMode"/> and <see cref="Interpolation"/>.</para>
/// <para>The shifts come from a seeded generator (the constructor's seed, else one derived from the model's seed) that
/// advances with every training call, so the same seed and calls give the same bits. Backward applies the exact
/// adjoint of the sampling for the shifts of the last forward pass.</para>
/// </remarks>
/// <example><c>model.Add(new RandomTranslation(0.1, 0.1));</c> shifts each image by up to a tenth of its size on each axis.</example>
public sealed class RandomTranslation : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private AffineAugmentation? _affine;
    private double[] _shifts = [];
    private int _drawn;

    /// <summary>Creates a translation layer whose factors are symmetric ranges.</summary>
    /// <param name="heightFactor">In [−1, 1]: the vertical shift is u · height, u drawn from [−|heightFactor|, |heightFactor|].</param>
    /// <param name="widthFactor">In [−1, 1]: the horizontal shift is v · width, v drawn from [−|widthFactor|, |widthFactor|].</param>
    /// <param name="fillMode">How points outside the input are filled (Keras' default reflect).</param>
    /// <param name="interpolation">Bilinear (Keras' default) or nearest.</param>
    /// <param name="seed">The seed of the shifts; null to derive it from the model's seed.</param>
    /// <param name="fillValue">The value of the points outside the input when <paramref name="fillMode"/> is <see cref="FillMode.Constant"/>.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_translation</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor is outside [−1, 1], a mode is unknown or the fill value is not finite.</exception>
    public RandomTranslation(double heightFactor, double widthFactor, FillMode fillMode = FillMode.Reflect, Interpolation interpolation = Interpolation.Bilinear,
        long? seed = null, double fillValue = 0.0, string? name = null)
        : this(AugmentationChecks.Factor(nameof(RandomTranslation), nameof(heightFactor), heightFactor, -1, 1),
              AugmentationChecks.Factor(nameof(RandomTranslation), nameof(widthFactor), widthFactor, -1, 1), fillMode, interpolation, seed, fillValue, name)
    {
    }

    /// <summary>Creates a translation layer with (lower, upper) factor ranges.</summary>
    /// <param name="heightFactor">(lower, upper) fractions of the height, each in [−1, 1] (sorted if reversed).</param>
    /// <param name="widthFactor">(lower, upper) fractions of the width, each in [−1, 1] (sorted if reversed).</param>
    /// <param name="fillMode">How points outside the input are filled (Keras' default reflect).</param>
    /// <param name="interpolation">Bilinear (Keras' default) or nearest.</param>
    /// <param name="seed">The seed of the shifts; null to derive it from the model's seed.</param>
    /// <param name="fillValue">The value of the points outside the input when <paramref name="fillMode"/> is <see cref="FillMode.Constant"/>.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_translation</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor is outside [−1, 1], a mode is unknown or the fill value is not finite.</exception>
    public RandomTranslation((double Lower, double Upper) heightFactor, (double Lower, double Upper) widthFactor, FillMode fillMode = FillMode.Reflect,
        Interpolation interpolation = Interpolation.Bilinear, long? seed = null, double fillValue = 0.0, string? name = null)
        : base(name)
    {
        HeightFactor = AugmentationChecks.Factor(nameof(RandomTranslation), nameof(heightFactor), heightFactor, -1, 1);
        WidthFactor = AugmentationChecks.Factor(nameof(RandomTranslation), nameof(widthFactor), widthFactor, -1, 1);
        AugmentationChecks.Sampling(nameof(RandomTranslation), fillMode, interpolation, fillValue);
        FillMode = fillMode;
        Interpolation = interpolation;
        FillValue = fillValue;
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range of the vertical shift, in fractions of the height.</summary>
    public (double Lower, double Upper) HeightFactor { get; }

    /// <summary>The (lower, upper) range of the horizontal shift, in fractions of the width.</summary>
    public (double Lower, double Upper) WidthFactor { get; }

    /// <summary>How points outside the input are filled.</summary>
    public FillMode FillMode { get; }

    /// <summary>Bilinear or nearest.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The value of the points outside the input in <see cref="FillMode.Constant"/> mode.</summary>
    public double FillValue { get; }

    /// <summary>The seed given to the constructor, or null when the shifts derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_translation";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The shifts of the last training call in pixels, (vertical, horizontal) per image (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastShifts => _shifts.AsSpan(0, 2 * _drawn);

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <summary>Makes the layer draw from <paramref name="random"/>, the generator <see cref="RandAugment"/> and <see cref="AugMix"/> hand each operation they apply.</summary>
    internal void ShareRandom(SeededRandom random) => _random = random;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("height_factor", HeightFactor)
        .SetPair("width_factor", WidthFactor)
        .Set("fill_mode", AugmentationConfig.Name(FillMode))
        .Set("interpolation", AugmentationConfig.Name(Interpolation))
        .Set("seed", AugmentationSeed)
        .Set("fill_value", FillValue)
        .Set("data_format", "channels_last");

    /// <summary>Keras' <c>from_config</c>: channels last; each factor a number or a pair.</summary>
    internal static RandomTranslation FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor height = AugmentationConfig.ReadFactor(config, "height_factor") ?? throw config.Error("\"height_factor\" is missing.");
        AugmentationConfig.Factor width = AugmentationConfig.ReadFactor(config, "width_factor") ?? throw config.Error("\"width_factor\" is missing.");
        (double, double) heightRange = height.Number is double h ? AugmentationChecks.Factor(nameof(RandomTranslation), "heightFactor", h, -1, 1) : height.Pair;
        (double, double) widthRange = width.Number is double w ? AugmentationChecks.Factor(nameof(RandomTranslation), "widthFactor", w, -1, 1) : width.Pair;
        return new RandomTranslation(heightRange, widthRange, AugmentationConfig.ReadFillMode(config, "reflect"), AugmentationConfig.ReadInterpolation(config),
            config.GetNullableInt64("seed"), config.GetDouble("fill_value", 0.0), config.GetString("name"));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);
        _affine = new AffineAugmentation(inputShape, Interpolation, FillMode, (float)FillValue);
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        _drawn = 0;
        if (!training)
        {
            _affine!.Skip(batch);
            return input;
        }

        if (_shifts.Length < 2 * batch)
        {
            _shifts = new double[2 * batch];
        }

        _drawn = batch;
        Span<double> transforms = _affine!.Begin(batch);
        SeededRandom random = Random;
        for (int n = 0; n < batch; n++)
        {
            double dy = (HeightFactor.Lower + ((HeightFactor.Upper - HeightFactor.Lower) * random.NextDouble())) * InputShape[0];
            double dx = (WidthFactor.Lower + ((WidthFactor.Upper - WidthFactor.Lower) * random.NextDouble())) * InputShape[1];
            (_shifts[2 * n], _shifts[(2 * n) + 1]) = (dy, dx);
            Span<double> t = transforms.Slice(n * AffineSampling.TransformLength, AffineSampling.TransformLength);
            (t[0], t[1], t[2]) = (1, 0, -dx);
            (t[3], t[4], t[5]) = (0, 1, -dy);
        }

        return _affine.Forward(input);
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _affine!.Backward(outputGradient, this);
}
