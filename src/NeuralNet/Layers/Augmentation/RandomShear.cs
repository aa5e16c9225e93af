using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Shears each image of a batch by its own random amounts during training (Keras' <c>RandomShear</c>); at inference the
/// layer is the identity. Channels-last images (height, width, channels); output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Keras' draws, in its order, for a batch of N: N signs (u uniform in [0, 1): −1 when u &gt; 0.5, else +1), then
/// N vertical amounts t uniform in [yFactor.Lower, yFactor.Upper], then N horizontal amounts s from the x factor; the
/// shear of image n is (sx, sy) = (s · sign, t · sign). The image goes through Keras' <c>affine_transform</c> with its
/// matrix [[1, sx, 0], [sy, 1, 0]], about the top-left corner (not the center): output pixel (x, y) reads the input at
/// (x + sx · y, sy · x + y), filled and interpolated as <see cref="FillMode"/> and <see cref="Interpolation"/> say.</para>
/// <para>A factor given as one number f in [0, 1] means (−f, f), as Keras' code reads it (its docstring says (0, f)); a
/// pair has both values in [0, 1] and is sorted, or is (−f, f), the number f's range. The draws come from a seeded generator (the constructor's seed, else one
/// derived from the model's seed) that advances with every training call. Backward applies the exact adjoint of the
/// sampling for the shears of the last forward pass.</para>
/// </remarks>
/// <example><c>model.Add(new RandomShear(0.2, 0.2));</c> shears each image by up to 0.2 pixels per pixel on each axis.</example>
public sealed class RandomShear : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private AffineAugmentation? _affine;
    private double[] _shears = [];
    private int _drawn;

    /// <summary>Creates a shear layer whose factors are symmetric ranges (Keras' number form).</summary>
    /// <param name="xFactor">In [0, 1]: the horizontal shear is drawn from [−xFactor, xFactor]; Keras' default 0.</param>
    /// <param name="yFactor">In [0, 1]: the vertical shear is drawn from [−yFactor, yFactor]; Keras' default 0.</param>
    /// <param name="interpolation">Bilinear (Keras' default) or nearest.</param>
    /// <param name="fillMode">How points outside the input are filled (Keras' default reflect).</param>
    /// <param name="fillValue">The value of the points outside the input when <paramref name="fillMode"/> is <see cref="FillMode.Constant"/>.</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_shear</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor is outside [0, 1], a mode is unknown or the fill value is not finite.</exception>
    public RandomShear(double xFactor = 0.0, double yFactor = 0.0, Interpolation interpolation = Interpolation.Bilinear, FillMode fillMode = FillMode.Reflect,
        double fillValue = 0.0, long? seed = null, string? name = null)
        : this(new Ranges(AugmentationChecks.SymmetricFactor(nameof(RandomShear), nameof(xFactor), xFactor, 1),
              AugmentationChecks.SymmetricFactor(nameof(RandomShear), nameof(yFactor), yFactor, 1)), interpolation, fillMode, fillValue, seed, name)
    {
    }

    /// <summary>Creates a shear layer with (lower, upper) ranges.</summary>
    /// <param name="xFactor">(lower, upper), each in [0, 1] (sorted if reversed): the horizontal shear before the random sign;
    /// or (−f, f) with f in [0, 1], the range of the number f (Keras' get_config writes a number so), e.g. to mix a
    /// symmetric x factor with a y pair.</param>
    /// <param name="yFactor">(lower, upper), each in [0, 1] (sorted if reversed), or (−f, f): as <paramref name="xFactor"/>, for the vertical shear.</param>
    /// <param name="interpolation">Bilinear (Keras' default) or nearest.</param>
    /// <param name="fillMode">How points outside the input are filled (Keras' default reflect).</param>
    /// <param name="fillValue">The value of the points outside the input when <paramref name="fillMode"/> is <see cref="FillMode.Constant"/>.</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_shear</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A factor value is outside [0, 1], a mode is unknown or the fill value is not finite.</exception>
    public RandomShear((double Lower, double Upper) xFactor, (double Lower, double Upper) yFactor, Interpolation interpolation = Interpolation.Bilinear,
        FillMode fillMode = FillMode.Reflect, double fillValue = 0.0, long? seed = null, string? name = null)
        : this(new Ranges(Pair(nameof(xFactor), xFactor), Pair(nameof(yFactor), yFactor)), interpolation, fillMode, fillValue, seed, name)
    {
    }

    // Both public constructors end here with ranges already checked (a number's (−f, f) is no pair of values in [0, 1]).
    private RandomShear(Ranges ranges, Interpolation interpolation, FillMode fillMode, double fillValue, long? seed, string? name)
        : base(name)
    {
        AugmentationChecks.Sampling(nameof(RandomShear), fillMode, interpolation, fillValue);
        XFactor = ranges.X;
        YFactor = ranges.Y;
        Interpolation = interpolation;
        FillMode = fillMode;
        FillValue = fillValue;
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range of the horizontal shear before the random sign.</summary>
    public (double Lower, double Upper) XFactor { get; }

    /// <summary>The (lower, upper) range of the vertical shear before the random sign.</summary>
    public (double Lower, double Upper) YFactor { get; }

    /// <summary>Bilinear or nearest.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>How points outside the input are filled.</summary>
    public FillMode FillMode { get; }

    /// <summary>The value of the points outside the input in <see cref="FillMode.Constant"/> mode.</summary>
    public double FillValue { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_shear";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The shears of the last training call, (sx, sy) per image with the sign applied (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastShears => _shears.AsSpan(0, 2 * _drawn);

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <summary>Makes the layer draw from <paramref name="random"/>, the generator <see cref="RandAugment"/> and <see cref="AugMix"/> hand each operation they apply.</summary>
    internal void ShareRandom(SeededRandom random) => _random = random;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("x_factor", XFactor)
        .SetPair("y_factor", YFactor)
        .Set("fill_mode", AugmentationConfig.Name(FillMode))
        .Set("interpolation", AugmentationConfig.Name(Interpolation))
        .Set("seed", AugmentationSeed)
        .Set("fill_value", FillValue)
        .Set("data_format", "channels_last");

    /// <summary>
    /// Keras' <c>from_config</c>: channels last; each factor a number or a pair. Keras writes a number f as the pair
    /// (−f, f), which its own constructor then refuses (−f &lt; 0); such a pair is read back as the number f.
    /// </summary>
    internal static RandomShear FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        (double, double) x = ReadFactor(config, "x_factor", "xFactor");
        (double, double) y = ReadFactor(config, "y_factor", "yFactor");
        return new RandomShear(x, y, AugmentationConfig.ReadInterpolation(config), AugmentationConfig.ReadFillMode(config, "reflect"),
            config.GetDouble("fill_value", 0.0), config.GetNullableInt64("seed"), config.GetString("name"));
    }

    private static (double, double) ReadFactor(Config config, string key, string parameter) => AugmentationConfig.ReadFactor(config, key) switch
    {
        null => (0, 0),
        { Number: double number } => AugmentationChecks.SymmetricFactor(nameof(RandomShear), parameter, number, 1),
        { Pair: var pair } => pair,
    };

    // A pair (−f, f) or (f, −f), f ≠ 0, is the number |f|'s range; any other pair has both values in [0, 1].
    private static (double Lower, double Upper) Pair(string parameter, (double Lower, double Upper) factor) =>
        factor.Lower != 0 && factor.Lower == -factor.Upper
            ? AugmentationChecks.SymmetricFactor(nameof(RandomShear), parameter, Math.Abs(factor.Upper), 1)
            : AugmentationChecks.Factor(nameof(RandomShear), parameter, factor, 0, 1);

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);

        // Made at build, so every instance of a shared layer (one per call, or per concurrent prediction) has its own.
        _affine = new AffineAugmentation(inputShape, Interpolation, FillMode, (float)FillValue);
        _shears = [];
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

        if (_shears.Length < 2 * batch)
        {
            _shears = new double[2 * batch];
        }

        _drawn = batch;
        SeededRandom random = Random;

        // Keras' order: every sign of the batch, then every vertical amount, then every horizontal one.
        for (int n = 0; n < batch; n++)
        {
            _shears[2 * n] = random.NextDouble() > 0.5 ? -1.0 : 1.0;
        }

        for (int n = 0; n < batch; n++)
        {
            _shears[(2 * n) + 1] = _shears[2 * n] * (YFactor.Lower + ((YFactor.Upper - YFactor.Lower) * random.NextDouble()));
        }

        for (int n = 0; n < batch; n++)
        {
            _shears[2 * n] *= XFactor.Lower + ((XFactor.Upper - XFactor.Lower) * random.NextDouble());
        }

        Span<double> transforms = _affine!.Begin(batch);
        for (int n = 0; n < batch; n++)
        {
            Span<double> t = transforms.Slice(n * AffineSampling.TransformLength, AffineSampling.TransformLength);
            (t[0], t[1], t[2]) = (1, _shears[2 * n], 0);
            (t[3], t[4], t[5]) = (_shears[(2 * n) + 1], 1, 0);
        }

        return _affine.Forward(input);
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _affine!.Backward(outputGradient, this);

    private readonly record struct Ranges((double Lower, double Upper) X, (double Lower, double Upper) Y);
}
