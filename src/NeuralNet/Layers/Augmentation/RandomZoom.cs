using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Zooms each image of a batch in or out by its own random amount during training (Keras' <c>RandomZoom</c>); at
/// inference the layer is the identity. Channels-last images (height, width, channels); output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Per image, a vertical zoom zy = 1 + u is drawn with u uniform in [heightFactor.Lower, heightFactor.Upper], and a
/// horizontal zoom zx the same way from the width factor, or zx = zy when there is none (the aspect ratio is kept).
/// A positive factor zooms out (the image shrinks), a negative one zooms in. Output pixel (x, y) reads the input at
/// (zx · x + (width − 1) / 2 · (1 − zx), zy · y + (height − 1) / 2 · (1 − zy)), through Keras' <c>affine_transform</c>
/// with <see cref="FillMode"/> and <see cref="Interpolation"/>.</para>
/// <para>The zooms come from a seeded generator (the constructor's seed, else one derived from the model's seed) that
/// advances with every training call, so the same seed and calls give the same bits. Backward applies the exact
/// adjoint of the sampling for the zooms of the last forward pass.</para>
/// </remarks>
/// <example><c>model.Add(new RandomZoom(0.2));</c> zooms each image by a factor in [0.8, 1.2] on both axes.</example>
public sealed class RandomZoom : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private AffineAugmentation? _affine;
    private double[] _zooms = [];
    private int _drawn;

    /// <summary>Creates a zoom layer whose factors are symmetric ranges.</summary>
    /// <param name="heightFactor">In [−1, 1]: the vertical zoom is 1 + u, u drawn from [−|heightFactor|, |heightFactor|].</param>
    /// <param name="widthFactor">In [−1, 1], the same for the horizontal zoom; null (Keras' default) to reuse the vertical zoom.</param>
    /// <param name="fillMode">How points outside the input are filled (Keras' default reflect).</param>
    /// <param name="interpolation">Bilinear (Keras' default) or nearest.</param>
    /// <param name="seed">The seed of the zooms; null to derive it from the model's seed.</param>
    /// <param name="fillValue">The value of the points outside the input when <paramref name="fillMode"/> is <see cref="FillMode.Constant"/>.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_zoom</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor is outside [−1, 1], a mode is unknown or the fill value is not finite.</exception>
    public RandomZoom(double heightFactor, double? widthFactor = null, FillMode fillMode = FillMode.Reflect, Interpolation interpolation = Interpolation.Bilinear,
        long? seed = null, double fillValue = 0.0, string? name = null)
        : this(AugmentationChecks.Factor(nameof(RandomZoom), nameof(heightFactor), heightFactor, -1, 1),
              widthFactor is double w ? AugmentationChecks.Factor(nameof(RandomZoom), nameof(widthFactor), w, -1, 1) : null,
              fillMode, interpolation, seed, fillValue, name)
    {
    }

    /// <summary>Creates a zoom layer with (lower, upper) factor ranges.</summary>
    /// <param name="heightFactor">(lower, upper), each in [−1, 1] (sorted if reversed): the vertical zoom is 1 + u, u drawn from it.</param>
    /// <param name="widthFactor">The same for the horizontal zoom; null (Keras' default) to reuse the vertical zoom.</param>
    /// <param name="fillMode">How points outside the input are filled (Keras' default reflect).</param>
    /// <param name="interpolation">Bilinear (Keras' default) or nearest.</param>
    /// <param name="seed">The seed of the zooms; null to derive it from the model's seed.</param>
    /// <param name="fillValue">The value of the points outside the input when <paramref name="fillMode"/> is <see cref="FillMode.Constant"/>.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_zoom</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor is outside [−1, 1], a mode is unknown or the fill value is not finite.</exception>
    public RandomZoom((double Lower, double Upper) heightFactor, (double Lower, double Upper)? widthFactor = null, FillMode fillMode = FillMode.Reflect,
        Interpolation interpolation = Interpolation.Bilinear, long? seed = null, double fillValue = 0.0, string? name = null)
        : base(name)
    {
        HeightFactor = AugmentationChecks.Factor(nameof(RandomZoom), nameof(heightFactor), heightFactor, -1, 1);
        WidthFactor = widthFactor is { } w ? AugmentationChecks.Factor(nameof(RandomZoom), nameof(widthFactor), w, -1, 1) : null;
        AugmentationChecks.Sampling(nameof(RandomZoom), fillMode, interpolation, fillValue);
        FillMode = fillMode;
        Interpolation = interpolation;
        FillValue = fillValue;
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range of the vertical zoom minus 1.</summary>
    public (double Lower, double Upper) HeightFactor { get; }

    /// <summary>The (lower, upper) range of the horizontal zoom minus 1, or null when it reuses the vertical zoom.</summary>
    public (double Lower, double Upper)? WidthFactor { get; }

    /// <summary>How points outside the input are filled.</summary>
    public FillMode FillMode { get; }

    /// <summary>Bilinear or nearest.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The value of the points outside the input in <see cref="FillMode.Constant"/> mode.</summary>
    public double FillValue { get; }

    /// <summary>The seed given to the constructor, or null when the zooms derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_zoom";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The zooms of the last training call, (vertical, horizontal) per image (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastZooms => _zooms.AsSpan(0, 2 * _drawn);

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = base.GetConfig().SetPair("height_factor", HeightFactor);
        config = WidthFactor is { } w ? config.SetPair("width_factor", w) : config.SetNull("width_factor");
        return config
            .Set("fill_mode", AugmentationConfig.Name(FillMode))
            .Set("interpolation", AugmentationConfig.Name(Interpolation))
            .Set("seed", AugmentationSeed)
            .Set("fill_value", FillValue)
            .Set("data_format", "channels_last");
    }

    /// <summary>Keras' <c>from_config</c>: channels last; each factor a number or a pair, the width factor possibly null.</summary>
    internal static RandomZoom FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor height = AugmentationConfig.ReadFactor(config, "height_factor") ?? throw config.Error("\"height_factor\" is missing.");
        AugmentationConfig.Factor? width = AugmentationConfig.ReadFactor(config, "width_factor");
        FillMode fillMode = AugmentationConfig.ReadFillMode(config, "reflect");
        Interpolation interpolation = AugmentationConfig.ReadInterpolation(config);
        double fillValue = config.GetDouble("fill_value", 0.0);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        (double, double) heightRange = height.Number is double h ? AugmentationChecks.Factor(nameof(RandomZoom), "heightFactor", h, -1, 1) : height.Pair;
        (double, double)? widthRange = width is { } w ? w.Number is double wn ? AugmentationChecks.Factor(nameof(RandomZoom), "widthFactor", wn, -1, 1) : w.Pair : null;
        return new RandomZoom(heightRange, widthRange, fillMode, interpolation, seed, fillValue, name);
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

        if (_zooms.Length < 2 * batch)
        {
            _zooms = new double[2 * batch];
        }

        _drawn = batch;
        Span<double> transforms = _affine!.Begin(batch);
        double halfWidth = (InputShape[1] - 1) / 2.0, halfHeight = (InputShape[0] - 1) / 2.0;
        SeededRandom random = Random;
        for (int n = 0; n < batch; n++)
        {
            double zy = 1.0 + HeightFactor.Lower + ((HeightFactor.Upper - HeightFactor.Lower) * random.NextDouble());
            double zx = WidthFactor is { } w ? 1.0 + w.Lower + ((w.Upper - w.Lower) * random.NextDouble()) : zy;
            (_zooms[2 * n], _zooms[(2 * n) + 1]) = (zy, zx);
            Span<double> t = transforms.Slice(n * AffineSampling.TransformLength, AffineSampling.TransformLength);
            (t[0], t[1], t[2]) = (zx, 0, halfWidth * (1 - zx));
            (t[3], t[4], t[5]) = (0, zy, halfHeight * (1 - zy));
        }

        return _affine.Forward(input);
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _affine!.Backward(outputGradient, this);
}
