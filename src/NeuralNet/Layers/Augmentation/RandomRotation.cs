using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Rotates each image of a batch by its own random angle during training (Keras' <c>RandomRotation</c>); at inference
/// the layer is the identity. Channels-last images (height, width, channels); output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Per image, an angle θ is drawn uniformly from [factor.Lower · 360°, factor.Upper · 360°] (positive turns
/// counter-clockwise) and the image goes through Keras' <c>affine_transform</c> with the matrix Keras builds about the
/// center (cx, cy) = ((width − 1) / 2, (height − 1) / 2): output pixel (x, y) reads the input at
/// (cos θ · x − sin θ · y + cx − cx cos θ + cy sin θ, sin θ · x + cos θ · y + cy − cx sin θ − cy cos θ), filled and
/// interpolated as <see cref="FillMode"/> and <see cref="Interpolation"/> say.</para>
/// <para>The angles come from a seeded generator (the constructor's seed, else one derived from the model's seed) that
/// advances with every training call, so the same seed and calls give the same bits. Backward applies the exact adjoint
/// of the sampling for the angles of the last forward pass.</para>
/// </remarks>
/// <example><c>model.Add(new RandomRotation(0.1));</c> turns each image by up to ±36°.</example>
public sealed class RandomRotation : Layer, IRandomLayer
{
    private SeededRandom? _random;
    private AffineAugmentation? _affine;
    private double[] _angles = [];
    private int _drawn;

    /// <summary>Creates a rotation layer whose angles lie in [−|factor|, |factor|] turns.</summary>
    /// <param name="factor">A fraction of a full turn, in [−1, 1]: the angle is drawn from [−|factor| · 360°, |factor| · 360°].</param>
    /// <param name="fillMode">How points outside the input are filled (Keras' default reflect).</param>
    /// <param name="interpolation">Bilinear (Keras' default) or nearest.</param>
    /// <param name="seed">The seed of the angles; null to derive it from the model's seed.</param>
    /// <param name="fillValue">The value of the points outside the input when <paramref name="fillMode"/> is <see cref="FillMode.Constant"/>.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_rotation</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is outside [−1, 1], a mode is unknown or the fill value is not finite.</exception>
    public RandomRotation(double factor, FillMode fillMode = FillMode.Reflect, Interpolation interpolation = Interpolation.Bilinear, long? seed = null,
        double fillValue = 0.0, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(RandomRotation), nameof(factor), factor, -1, 1), fillMode, interpolation, seed, fillValue, name)
    {
    }

    /// <summary>Creates a rotation layer whose angles lie in [lower, upper] turns.</summary>
    /// <param name="factor">(lower, upper) fractions of a full turn, sorted if reversed. Keras' rule (<c>_set_factor</c>): refused
    /// only when lower &gt; 1 or upper &lt; −1 as given, so (−2, 2) draws angles from [−720°, 720°].</param>
    /// <param name="fillMode">How points outside the input are filled (Keras' default reflect).</param>
    /// <param name="interpolation">Bilinear (Keras' default) or nearest.</param>
    /// <param name="seed">The seed of the angles; null to derive it from the model's seed.</param>
    /// <param name="fillValue">The value of the points outside the input when <paramref name="fillMode"/> is <see cref="FillMode.Constant"/>.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_rotation</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">lower &gt; 1, upper &lt; −1 or a factor not finite, a mode is unknown or the fill value is not finite.</exception>
    public RandomRotation((double Lower, double Upper) factor, FillMode fillMode = FillMode.Reflect, Interpolation interpolation = Interpolation.Bilinear,
        long? seed = null, double fillValue = 0.0, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(RandomRotation), nameof(factor), factor, -1, 1);
        AugmentationChecks.Sampling(nameof(RandomRotation), fillMode, interpolation, fillValue);
        FillMode = fillMode;
        Interpolation = interpolation;
        FillValue = fillValue;
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) bounds of the angle, in fractions of a full turn.</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>How points outside the input are filled.</summary>
    public FillMode FillMode { get; }

    /// <summary>Bilinear or nearest.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The value of the points outside the input in <see cref="FillMode.Constant"/> mode.</summary>
    public double FillValue { get; }

    /// <summary>The seed given to the constructor, or null when the angles derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_rotation";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>The angles of the last training call, in degrees, one per image (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastAngles => _angles.AsSpan(0, _drawn);

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <summary>Makes the layer draw from <paramref name="random"/>, the generator <see cref="RandAugment"/> and <see cref="AugMix"/> hand each operation they apply.</summary>
    internal void ShareRandom(SeededRandom random) => _random = random;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("factor", Factor)
        .Set("data_format", "channels_last")
        .Set("fill_mode", AugmentationConfig.Name(FillMode))
        .Set("fill_value", FillValue)
        .Set("interpolation", AugmentationConfig.Name(Interpolation))
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: channels last; the factor a number or a pair.</summary>
    internal static RandomRotation FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor factor = AugmentationConfig.ReadFactor(config, "factor") ?? throw config.Error("\"factor\" is missing.");
        FillMode fillMode = AugmentationConfig.ReadFillMode(config, "reflect");
        Interpolation interpolation = AugmentationConfig.ReadInterpolation(config);
        double fillValue = config.GetDouble("fill_value", 0.0);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor.Number is double number
            ? new RandomRotation(number, fillMode, interpolation, seed, fillValue, name)
            : new RandomRotation(factor.Pair, fillMode, interpolation, seed, fillValue, name);
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

        if (_angles.Length < batch)
        {
            _angles = new double[batch];
        }

        _drawn = batch;
        Span<double> transforms = _affine!.Begin(batch);
        double cx = 0.5 * (InputShape[1] - 1), cy = 0.5 * (InputShape[0] - 1);
        SeededRandom random = Random;
        for (int n = 0; n < batch; n++)
        {
            double degrees = (Factor.Lower * 360.0) + ((Factor.Upper - Factor.Lower) * 360.0 * random.NextDouble());
            _angles[n] = degrees;
            double radians = degrees * (Math.PI / 180.0), cos = Math.Cos(radians), sin = Math.Sin(radians);
            Span<double> t = transforms.Slice(n * AffineSampling.TransformLength, AffineSampling.TransformLength);
            (t[0], t[1], t[2]) = (cos, -sin, cx - (cx * cos) + (cy * sin));
            (t[3], t[4], t[5]) = (sin, cos, cy - (cx * sin) - (cy * cos));
        }

        return _affine.Forward(input);
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _affine!.Backward(outputGradient, this);
}
