using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Distorts images of a batch with random elastic deformations during training, each with a random probability (Keras'
/// <c>RandomElasticTransform</c>); at inference the layer is the identity. Channels-last images (height, width,
/// channels) of any channel count; output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Keras' draws, in its order: a probability p per image, uniform in [factor.Lower, factor.Upper]; a threshold t
/// per image, uniform in [0, 1) (the image is deformed when t &lt; p); one distortion f for the whole batch, uniform in
/// [scale.Lower, scale.Upper] (float32); then the standard normal noise of the horizontal displacements of every image
/// of the batch, then that of the vertical ones (Keras draws them for every image, deformed or not).</para>
/// <para>Keras' formula (see <see cref="ElasticDeformation"/>): alpha = max(H, W) · 0.1 · f and σ = min(H, W) · 0.05 · f;
/// each displacement field is alpha · blur(σ · noise), the blur Keras' Gaussian blur with int(6σ) | 1 taps of standard
/// deviation σ and zero padding; output pixel (x, y) reads the input at (x + dx, y + dy), interpolated and filled as
/// <see cref="Interpolation"/> and <see cref="FillMode"/> say. Every image, deformed or not, is then clipped to
/// <see cref="ValueRange"/>, as Keras clips the whole batch. The numbers are not TensorFlow's.</para>
/// <para>Keras reads factor and scale with <c>_set_factor</c> and bounds [0, 1]: a number s gives (0, s), and a pair
/// (a, b) is refused only when a &gt; 1 or b &lt; 0, so a scale pair may reach above 1. A negative scale is refused here
/// (Keras then builds a negative σ, and for σ ≤ −1/6 an empty kernel). A factor or scale whose upper end is 0 makes
/// the layer the identity, without draws and without the clip (Keras returns no transformation).</para>
/// <para>The draws come from a seeded generator (the constructor's seed, else the model's) that advances with every
/// training call. Backward zeroes the gradient where the clip was active and applies the exact adjoint of the sampling
/// where the image was deformed (the displacements are random draws, not functions of the input).</para>
/// </remarks>
/// <example><c>model.Add(new RandomElasticTransform(factor: 0.5, scale: 0.3, valueRange: (0, 1)));</c></example>
public sealed class RandomElasticTransform : Layer, IRandomLayer
{
    // Beyond this many taps the kernel's own arithmetic (float32 offsets) is no longer exact: a scale far beyond any use.
    private const long MaxKernelSize = 1 << 24;

    private ColorAugmentation _color = new();
    private SeededRandom? _random;
    private Tensor? _unclipped;
    private float[] _noise = [];
    private float[] _displacements = [];
    private float[] _kernel = [];
    private float[] _scaled = [];
    private float[] _scratch = [];
    private float[] _passed = [];
    private float _distortion;

    /// <summary>Creates an elastic-transform layer whose probability and distortion are drawn from [0, factor] and [0, scale], Keras' way.</summary>
    /// <param name="factor">In [0, 1]: each image's probability of being deformed is drawn from [0, factor] (Keras' default 1).</param>
    /// <param name="scale">In [0, 1]: the batch's distortion is drawn from [0, scale] (Keras' default 1).</param>
    /// <param name="interpolation">Bilinear (Keras' default) or nearest.</param>
    /// <param name="fillMode">How points outside the input are filled (Keras' default reflect).</param>
    /// <param name="fillValue">The value of the points outside the input when <paramref name="fillMode"/> is <see cref="FillMode.Constant"/>.</param>
    /// <param name="valueRange">The (low, high) range of the images, outputs are clipped to it (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_elastic_transform</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor or scale is outside [0, 1]; a mode is unknown; the fill value or value range is not finite.</exception>
    public RandomElasticTransform(double factor = 1.0, double scale = 1.0, Interpolation interpolation = Interpolation.Bilinear, FillMode fillMode = FillMode.Reflect,
        double fillValue = 0.0, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(RandomElasticTransform), nameof(factor), factor, 0, 1),
              AugmentationChecks.BaseFactor(nameof(RandomElasticTransform), nameof(scale), scale, 0, 1), interpolation, fillMode, fillValue, valueRange, seed, name)
    {
    }

    /// <summary>Creates an elastic-transform layer whose probability and distortion are drawn from (lower, upper) ranges.</summary>
    /// <param name="factor">(lower, upper), sorted if reversed. Keras' rule (<c>_set_factor</c>): refused only when lower &gt; 1 or
    /// upper &lt; 0 as given; (1, 1) deforms every image.</param>
    /// <param name="scale">(lower, upper), sorted if reversed: Keras' rule as for <paramref name="factor"/>, and no value below 0.</param>
    /// <param name="interpolation">Bilinear (Keras' default) or nearest.</param>
    /// <param name="fillMode">How points outside the input are filled (Keras' default reflect).</param>
    /// <param name="fillValue">The value of the points outside the input when <paramref name="fillMode"/> is <see cref="FillMode.Constant"/>.</param>
    /// <param name="valueRange">The (low, high) range of the images, outputs are clipped to it (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_elastic_transform</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor or scale refused by Keras' rule or not finite; a scale value below 0; a mode
    /// unknown; the fill value or value range not finite.</exception>
    public RandomElasticTransform((double Lower, double Upper) factor, (double Lower, double Upper) scale, Interpolation interpolation = Interpolation.Bilinear,
        FillMode fillMode = FillMode.Reflect, double fillValue = 0.0, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(RandomElasticTransform), nameof(factor), factor, 0, 1);
        Scale = AugmentationChecks.BaseFactor(nameof(RandomElasticTransform), nameof(scale), scale, 0, 1);
        if (Scale.Lower < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale,
                $"RandomElasticTransform expects scale values of at least 0 (a negative distortion gives a negative Gaussian sigma). Received: scale={AugmentationChecks.Format(scale)}.");
        }

        AugmentationChecks.Sampling(nameof(RandomElasticTransform), fillMode, interpolation, fillValue);
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(RandomElasticTransform), range);
        Interpolation = interpolation;
        FillMode = fillMode;
        FillValue = fillValue;
        ValueRange = range.Low <= range.High ? range : (range.High, range.Low);
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range each image's probability of being deformed is drawn from.</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The (lower, upper) range the batch's distortion is drawn from.</summary>
    public (double Lower, double Upper) Scale { get; }

    /// <summary>Bilinear or nearest.</summary>
    public Interpolation Interpolation { get; }

    /// <summary>How points outside the input are filled.</summary>
    public FillMode FillMode { get; }

    /// <summary>The value of the points outside the input in <see cref="FillMode.Constant"/> mode.</summary>
    public double FillValue { get; }

    /// <summary>The (low, high) range of the images; outputs are clipped to it.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_elastic_transform";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>Per image of the last training call, 1 when it was deformed else 0 (empty after an inference or identity call).</summary>
    internal ReadOnlySpan<double> LastApplied => _color.Draws;

    /// <summary>The distortion drawn by the last training call.</summary>
    internal float LastDistortion => _distortion;

    /// <summary>
    /// The noise of the last training call: the horizontal fields of every image (batch · H · W), then the vertical ones.
    /// </summary>
    internal ReadOnlySpan<float> LastNoise => _noise.AsSpan(0, 2 * _color.Draws.Length * InputShape[0] * InputShape[1]);

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("factor", Factor)
        .SetPair("scale", Scale)
        .Set("interpolation", AugmentationConfig.Name(Interpolation))
        .Set("fill_mode", AugmentationConfig.Name(FillMode))
        .Set("fill_value", FillValue)
        .SetPair("value_range", ValueRange)
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: channels last; factor and scale each a number or a pair; fill mode "mirror" is not supported.</summary>
    internal static RandomElasticTransform FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        (double, double) factor = ReadFactor(config, "factor");
        (double, double) scale = ReadFactor(config, "scale");
        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        return new RandomElasticTransform(factor, scale, AugmentationConfig.ReadInterpolation(config), AugmentationConfig.ReadFillMode(config, "reflect"),
            config.GetDouble("fill_value", 0.0), valueRange, config.GetNullableInt64("seed"), config.GetString("name"));
    }

    // A number f is Keras' (0, f), after the number's own check; absent is Keras' default 1.0.
    private static (double, double) ReadFactor(Config config, string key) => AugmentationConfig.ReadFactor(config, key) switch
    {
        null => (0, 1),
        { Number: double number } => AugmentationChecks.BaseFactor(nameof(RandomElasticTransform), key, number, 0, 1),
        { Pair: var pair } => pair,
    };

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);
        int height = inputShape[0], width = inputShape[1], plane = height * width;

        // The largest kernel a draw can ask for (one float32 step above the scale's upper end covers its rounding); taps
        // beyond 2 · max(H, W) − 1 never reach a pixel and are not stored.
        long largest = ElasticDeformation.Parameters(height, width, MathF.BitIncrement((float)Scale.Upper)).KernelSize;
        if (largest > MaxKernelSize)
        {
            throw new ArgumentException($"{Describe()} with scale up to {AugmentationChecks.Format(Scale.Upper)} on {height}x{width} images would blur with Gaussian kernels of up to {largest} taps; expected at most {MaxKernelSize} (a smaller scale).", nameof(inputShape));
        }

        // Made at build, so every instance of a shared layer (one per call) keeps its own draws and buffers.
        _color = new ColorAugmentation();
        _unclipped = null;
        _noise = [];
        _displacements = [];
        _kernel = new float[Math.Min(largest, (2L * Math.Max(height, width)) - 1)];
        _scaled = new float[plane];
        _scratch = new float[plane];
        _passed = new float[inputShape.ElementCount];
        return inputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        if (!training || Factor.Upper == 0 || Scale.Upper == 0)
        {
            _color.Skip(input.Shape[0]);
            return input;
        }

        Span<double> applied = _color.Begin(input);
        int batch = applied.Length, height = InputShape[0], width = InputShape[1], channels = InputShape[2];
        int plane = height * width, size = InputShape.ElementCount;
        SeededRandom random = Random;
        for (int n = 0; n < batch; n++)
        {
            applied[n] = (float)(Factor.Lower + ((Factor.Upper - Factor.Lower) * random.NextDouble()));
        }

        for (int n = 0; n < batch; n++)
        {
            applied[n] = (float)random.NextDouble() < applied[n] ? 1 : 0;
        }

        _distortion = (float)(Scale.Lower + ((Scale.Upper - Scale.Lower) * random.NextDouble()));
        if (_noise.Length < 2 * batch * plane)
        {
            _noise = new float[2 * batch * plane];
            _displacements = new float[2 * batch * plane];
        }

        // Keras draws the horizontal noise of the whole batch, then the vertical noise.
        Span<float> noise = _noise.AsSpan(0, 2 * batch * plane);
        for (int i = 0; i < noise.Length; i++)
        {
            noise[i] = random.NextNormal();
        }

        (float alpha, float sigma, long kernelSize) = ElasticDeformation.Parameters(height, width, _distortion);
        Span<float> kernel = _kernel.AsSpan(0, (int)Math.Min(kernelSize, _kernel.Length));
        if (sigma > 0f)
        {
            ElasticDeformation.Kernel(sigma, kernelSize, kernel);
        }

        Tensor unclipped = BatchView(ref _unclipped, batch, InputShape), output = _color.Output(InputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> z = unclipped.AsSpan();
        for (int n = 0; n < batch; n++)
        {
            if (applied[n] == 0)
            {
                x.Slice(n * size, size).CopyTo(z.Slice(n * size, size));
                continue;
            }

            Span<float> dx = _displacements.AsSpan(n * plane, plane), dy = _displacements.AsSpan((batch + n) * plane, plane);
            ElasticDeformation.Displacement(noise.Slice(n * plane, plane), height, width, alpha, sigma, kernel, _scaled, _scratch, dx);
            ElasticDeformation.Displacement(noise.Slice((batch + n) * plane, plane), height, width, alpha, sigma, kernel, _scaled, _scratch, dy);
            ElasticDeformation.Forward(x.Slice(n * size, size), height, width, channels, dx, dy, Interpolation, FillMode, (float)FillValue, z.Slice(n * size, size));
        }

        ValueRangeClip.Forward(z, ValueRange, output.AsSpan());

        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        if (_color.BeginBackward(outputGradient, this, InputShape) is not Tensor inputGradient)
        {
            return outputGradient;
        }

        ReadOnlySpan<double> applied = _color.Draws;
        ReadOnlySpan<float> z = _unclipped!.AsReadOnlySpan(), g = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        int batch = applied.Length, height = InputShape[0], width = InputShape[1], channels = InputShape[2];
        int plane = height * width, size = InputShape.ElementCount;
        for (int n = 0; n < batch; n++)
        {
            Span<float> passed = applied[n] != 0 ? _passed : dx.Slice(n * size, size);
            ValueRangeClip.Backward(z.Slice(n * size, size), g.Slice(n * size, size), ValueRange, passed[..size]);

            if (applied[n] != 0)
            {
                ElasticDeformation.Backward(passed, height, width, channels, _displacements.AsSpan(n * plane, plane), _displacements.AsSpan((batch + n) * plane, plane),
                    Interpolation, FillMode, dx.Slice(n * size, size));
            }
        }

        return inputGradient;
    }
}
