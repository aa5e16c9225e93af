using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Distorts the perspective of some images of a batch during training by moving their corners (Keras'
/// <c>RandomPerspective</c>); at inference the layer is the identity. Channels-last images (height, width, channels) of
/// at least 2 × 2 pixels in training; output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Keras' draws, in its order, for a batch of N: N probabilities p uniform in [factor.Lower, factor.Upper], then N
/// thresholds u uniform in [0, 1) (image n is transformed when u &lt; p), then N × 4 × 2 offsets d uniform in
/// [−scale / 2, scale / 2]. The start points are the corners (0, 0), (W − 1, 0), (0, H − 1), (W − 1, H − 1) as (x, y);
/// each end point is start + start · d (so the corner (0, 0) never moves). The image goes through Keras'
/// <c>perspective_transform</c>: output pixel (x, y) reads the input at the homography of the end points onto the start
/// points (Keras' <c>compute_homography_matrix</c>, 8 coefficients from an 8 × 8 solve), always in constant mode with
/// <see cref="FillValue"/>; images not transformed are passed as they are.</para>
/// <para>With Keras' default factor 1.0 (read (0, 1)) an image is transformed with probability 1/2, not always; (1, 1)
/// transforms every image. The draws come from a seeded generator (the constructor's seed, else one derived from the
/// model's seed) that advances with every training call. Backward applies the exact adjoint of the sampling for the
/// transforms of the last forward pass (the identity for the images left as they are).</para>
/// </remarks>
/// <example><c>model.Add(new RandomPerspective((1, 1), scale: 0.3));</c> moves the corners of every image by up to 15 %.</example>
public sealed class RandomPerspective : Layer, IRandomLayer
{
    private const int Offsets = 8;
    private SeededRandom? _random;
    private AffineAugmentation? _affine;
    private double[] _draws = [];
    private int _drawn;

    /// <summary>Creates a perspective layer whose probability of transforming an image is drawn from [0, factor].</summary>
    /// <param name="factor">In [0, 1]: each image's probability is drawn from [0, factor] (Keras' default 1.0).</param>
    /// <param name="scale">In [0, 1]: the corners move by up to scale / 2 of their coordinates (Keras' default 1.0).</param>
    /// <param name="interpolation">Bilinear (Keras' default) or nearest.</param>
    /// <param name="fillValue">The value of the points that fall outside the input.</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_perspective</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor or the scale is outside [0, 1], the interpolation is unknown or the fill value is not finite.</exception>
    public RandomPerspective(double factor = 1.0, double scale = 1.0, Interpolation interpolation = Interpolation.Bilinear, double fillValue = 0.0,
        long? seed = null, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(RandomPerspective), nameof(factor), factor, 0, 1), scale, interpolation, fillValue, seed, name)
    {
    }

    /// <summary>Creates a perspective layer whose probability of transforming an image is drawn from [lower, upper].</summary>
    /// <param name="factor">(lower, upper), sorted if reversed; Keras' rule (<c>_set_factor</c>): refused only when lower &gt; 1 or upper &lt; 0 as given.</param>
    /// <param name="scale">In [0, 1]: the corners move by up to scale / 2 of their coordinates (Keras' default 1.0).</param>
    /// <param name="interpolation">Bilinear (Keras' default) or nearest.</param>
    /// <param name="fillValue">The value of the points that fall outside the input.</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_perspective</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor breaks Keras' rule, the scale is outside [0, 1], the interpolation is unknown or the fill value is not finite.</exception>
    public RandomPerspective((double Lower, double Upper) factor, double scale = 1.0, Interpolation interpolation = Interpolation.Bilinear, double fillValue = 0.0,
        long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(RandomPerspective), nameof(factor), factor, 0, 1);
        Scale = AugmentationChecks.Probability(nameof(RandomPerspective), nameof(scale), scale, 0, 1);
        AugmentationChecks.Sampling(nameof(RandomPerspective), FillMode.Constant, interpolation, fillValue);
        Interpolation = interpolation;
        FillValue = fillValue;
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range of each image's probability of being transformed.</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The relative amount the corners move: offsets are drawn from [−scale / 2, scale / 2].</summary>
    public double Scale { get; }

    /// <summary>Bilinear or nearest.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>The value of the points that fall outside the input (Keras' perspective transform is always constant mode).</summary>
    public double FillValue { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_perspective";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>
    /// The draws of the last training call, per image: whether it was transformed (1 or 0), then its 8 offsets d
    /// (x, y of each corner in Keras' order); empty after an inference call.
    /// </summary>
    internal ReadOnlySpan<double> LastDraws => _draws.AsSpan(0, (1 + Offsets) * _drawn);

    /// <summary>The transforms of the last training call, <see cref="AffineSampling.ProjectiveLength"/> per image.</summary>
    internal ReadOnlySpan<double> LastTransforms => _affine is null ? [] : _affine.Transforms;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("factor", Factor)
        .Set("scale", Scale)
        .Set("interpolation", AugmentationConfig.Name(Interpolation))
        .Set("fill_value", FillValue)
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: channels last; the factor a number or a pair (1.0 when absent).</summary>
    internal static RandomPerspective FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor factor = AugmentationConfig.ReadFactor(config, "factor") ?? new AugmentationConfig.Factor(1.0, default);
        double scale = config.GetDouble("scale", 1.0);
        Interpolation interpolation = AugmentationConfig.ReadInterpolation(config);
        double fillValue = config.GetDouble("fill_value", 0.0);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor.Number is double number
            ? new RandomPerspective(number, scale, interpolation, fillValue, seed, name)
            : new RandomPerspective(factor.Pair, scale, interpolation, fillValue, seed, name);
    }

    /// <summary>Writes the transform of one image from its 8 offsets: the homography of the moved corners onto the corners.</summary>
    internal static void Transform(int height, int width, ReadOnlySpan<double> offsets, Span<double> transform)
    {
        Span<double> start = stackalloc double[Homography.PointsLength];
        Span<double> end = stackalloc double[Homography.PointsLength];
        start.Clear();
        (start[2], start[5], start[6], start[7]) = (width - 1, height - 1, width - 1, height - 1);
        for (int i = 0; i < Homography.PointsLength; i++)
        {
            end[i] = start[i] + (start[i] * offsets[i]);
        }

        Homography.Solve(start, end, transform);
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);

        // Made at build, so every instance of a shared layer (one per call, or per concurrent prediction) has its own.
        _affine = new AffineAugmentation(inputShape, Interpolation, FillMode.Constant, (float)FillValue, AffineSampling.ProjectiveLength);
        _draws = [];
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

        int height = InputShape[0], width = InputShape[1];
        if (height < 2 || width < 2)
        {
            // Keras' corners would coincide and its solve fail (a singular matrix).
            throw new ArgumentException($"{Describe()} transforms images of at least 2 x 2 pixels in training (its four corners must differ); got {height} x {width}.", nameof(input));
        }

        const int perImage = 1 + Offsets;
        if (_draws.Length < perImage * batch)
        {
            _draws = new double[perImage * batch];
        }

        _drawn = batch;
        SeededRandom random = Random;

        // Keras' order: every probability of the batch, then every threshold, then every corner offset.
        for (int n = 0; n < batch; n++)
        {
            _draws[perImage * n] = Factor.Lower + ((Factor.Upper - Factor.Lower) * random.NextDouble());
        }

        for (int n = 0; n < batch; n++)
        {
            _draws[perImage * n] = random.NextDouble() < _draws[perImage * n] ? 1 : 0;
        }

        for (int n = 0; n < batch; n++)
        {
            for (int i = 1; i <= Offsets; i++)
            {
                _draws[(perImage * n) + i] = Scale * (random.NextDouble() - 0.5);
            }
        }

        Span<double> transforms = _affine!.Begin(batch);
        for (int n = 0; n < batch; n++)
        {
            Span<double> t = transforms.Slice(n * AffineSampling.ProjectiveLength, AffineSampling.ProjectiveLength);
            if (_draws[perImage * n] == 1)
            {
                Transform(height, width, _draws.AsSpan((perImage * n) + 1, Offsets), t);
            }
            else
            {
                // Keras keeps the image (a where): the identity transform samples every pixel at itself, weight 1.
                t.Clear();
                (t[0], t[4]) = (1, 1);
            }
        }

        return _affine.Forward(input);
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _affine!.Backward(outputGradient, this);
}
