using System.Text.Json;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Blurs images of a batch with a random Gaussian kernel during training, each with a random probability (Keras'
/// <c>RandomGaussianBlur</c>); at inference the layer is the identity. Channels-last images (height, width, channels)
/// of any channel count; output shape = input shape.
/// </summary>
/// <remarks>
/// <para>Keras' draws, in its order: a probability p per image, uniform in [factor.Lower, factor.Upper]; a threshold
/// t per image, uniform in [0, 1) (the image is blurred when t &lt; p); then one pair of standard deviations for the
/// whole batch, σ = u + 1e-6 with u uniform in [sigma.Lower, sigma.Upper] (float32): σ[0] blurs the width, σ[1] the
/// height. The kernel is Keras' (see <see cref="GaussianBlur"/>): <see cref="KernelSize"/> taps per side,
/// exp(−0.5 · (d / σ)²) normalised to sum 1, applied with zero padding, so border pixels darken. Every image, blurred or
/// not, is then clipped to <see cref="ValueRange"/>, as Keras clips the whole batch. The numbers are not TensorFlow's.</para>
/// <para>Keras reads factor and sigma with <c>_set_factor</c> and bounds [0, 1]: a number f gives (0, f), and a pair
/// (a, b) is refused only when a &gt; 1 or b &lt; 0. So Keras' default sigma 1.0 draws σ from [0, 1], and larger σ
/// cannot be asked for. factor 0 blurs nothing; the default factor 1 blurs each image with probability ½.</para>
/// <para>The draws come from a seeded generator (the constructor's seed, else the model's) that advances with every
/// training call. Backward zeroes the gradient where the clip was active and blurs it with the same kernels where the
/// image was blurred (the symmetric, zero-padded blur is its own transpose).</para>
/// </remarks>
/// <example><c>model.Add(new RandomGaussianBlur(0.5, kernelSize: 5, valueRange: (0, 1)));</c></example>
public sealed class RandomGaussianBlur : Layer, IRandomLayer
{
    /// <summary>Keras adds 1e-6 to the drawn standard deviations.</summary>
    private const float SigmaOffset = 1e-6f;

    private ColorAugmentation _color = new();
    private float[] _heightKernel = [];
    private float[] _widthKernel = [];
    private SeededRandom? _random;
    private Tensor? _unclipped;
    private float[] _scratch = [];
    private float[] _passed = [];
    private (float Width, float Height) _sigmas;

    /// <summary>Creates a blur layer whose probability is drawn from [0, factor], Keras' way.</summary>
    /// <param name="factor">In [0, 1]: each image's probability of being blurred is drawn from [0, factor] (Keras' default 1).</param>
    /// <param name="kernelSize">The kernel's taps per side: a positive odd number (Keras' default 3).</param>
    /// <param name="sigma">The (lower, upper) range of the standard deviations; null for Keras' default 1.0, which is (0, 1).
    /// Keras' single number s is (0, s).</param>
    /// <param name="valueRange">The (low, high) range of the images, outputs are clipped to it (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_gaussian_blur</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor is outside [0, 1]; the kernel size not positive and odd; sigma refused by Keras' rule; the value range not finite.</exception>
    public RandomGaussianBlur(double factor = 1.0, int kernelSize = 3, (double Lower, double Upper)? sigma = null, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : this(AugmentationChecks.BaseFactor(nameof(RandomGaussianBlur), nameof(factor), factor, 0, 1), kernelSize, sigma, valueRange, seed, name)
    {
    }

    /// <summary>Creates a blur layer whose probability is drawn from (lower, upper).</summary>
    /// <param name="factor">(lower, upper), sorted if reversed. Keras' rule (<c>_set_factor</c>): refused only when lower &gt; 1 or
    /// upper &lt; 0 as given; (1, 1) blurs every image.</param>
    /// <param name="kernelSize">The kernel's taps per side: a positive odd number (Keras' default 3).</param>
    /// <param name="sigma">The (lower, upper) range of the standard deviations, sorted if reversed; null for Keras' default (0, 1).
    /// Keras' rule: refused only when lower &gt; 1 or upper &lt; 0 as given.</param>
    /// <param name="valueRange">The (low, high) range of the images, outputs are clipped to it (sorted if reversed); null for Keras' default (0, 255).</param>
    /// <param name="seed">The seed of the draws; null to derive it from the model's seed.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>random_gaussian_blur</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">The factor or sigma refused by Keras' rule or not finite; the kernel size not positive and odd; the value range not finite.</exception>
    public RandomGaussianBlur((double Lower, double Upper) factor, int kernelSize = 3, (double Lower, double Upper)? sigma = null, (double Low, double High)? valueRange = null, long? seed = null, string? name = null)
        : base(name)
    {
        Factor = AugmentationChecks.BaseFactor(nameof(RandomGaussianBlur), nameof(factor), factor, 0, 1);
        if (kernelSize <= 0 || kernelSize % 2 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(kernelSize), kernelSize, $"RandomGaussianBlur expects kernelSize to be a positive odd number. Received: kernelSize={kernelSize}.");
        }

        Sigma = AugmentationChecks.BaseFactor(nameof(RandomGaussianBlur), nameof(sigma), sigma ?? (0, 1), 0, 1);
        (double Low, double High) range = valueRange ?? (0, 255);
        AugmentationChecks.FiniteRange(nameof(RandomGaussianBlur), range);
        KernelSize = kernelSize;
        ValueRange = range.Low <= range.High ? range : (range.High, range.Low);
        AugmentationSeed = seed;
    }

    /// <summary>The (lower, upper) range each image's blurring probability is drawn from.</summary>
    public (double Lower, double Upper) Factor { get; }

    /// <summary>The kernel's taps per side (odd).</summary>
    public int KernelSize { get; }

    /// <summary>The (lower, upper) range of the standard deviations (1e-6 is added to each draw).</summary>
    public (double Lower, double Upper) Sigma { get; }

    /// <summary>The (low, high) range of the images; outputs are clipped to it.</summary>
    public (double Low, double High) ValueRange { get; }

    /// <summary>The seed given to the constructor, or null when the draws derive from the model's seed.</summary>
    public long? AugmentationSeed { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "random_gaussian_blur";

    /// <inheritdoc/>
    SeededRandom IRandomLayer.LayerRandom => Random;

    /// <summary>Per image of the last training call, 1 when it was blurred else 0 (empty after an inference call).</summary>
    internal ReadOnlySpan<double> LastApplied => _color.Draws;

    /// <summary>The standard deviations of the last training call: σ[0] of the width, σ[1] of the height.</summary>
    internal (float Width, float Height) LastSigmas => _sigmas;

    private SeededRandom Random => _random ??= CreateRandom(AugmentationSeed);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .SetPair("factor", Factor)
        .Set("kernel_size", new int[] { KernelSize, KernelSize })
        .SetPair("sigma", Sigma)
        .SetPair("value_range", ValueRange)
        .Set("seed", AugmentationSeed);

    /// <summary>Keras' <c>from_config</c>: factor and sigma a number or a pair; kernel_size a number or a pair of equal odd numbers.</summary>
    internal static RandomGaussianBlur FromConfig(Config config)
    {
        ConfigChecks.RequireChannelsLast(config);
        AugmentationConfig.Factor? factor = AugmentationConfig.ReadFactor(config, "factor");
        (double, double)? sigma = AugmentationConfig.ReadFactor(config, "sigma") is AugmentationConfig.Factor s
            ? s.Number is double number ? AugmentationChecks.BaseFactor(nameof(RandomGaussianBlur), "sigma", number, 0, 1) : s.Pair
            : null;
        int kernelSize = 3;
        if (config.Contains("kernel_size"))
        {
            if (config.GetNode("kernel_size")!.GetValueKind() == JsonValueKind.Number)
            {
                kernelSize = config.GetInt32("kernel_size");
            }
            else
            {
                int[] sizes = config.GetInt32Array("kernel_size", 2);
                // Keras' backends build a wrong kernel for two different sizes (TensorFlow reshapes the (b, a) outer
                // product to (a, b)), so only a square kernel is read.
                kernelSize = sizes.Length == 2 && sizes[0] == sizes[1] ? sizes[0] : throw config.Error("\"kernel_size\" must be a number or a list of two equal numbers.");
            }
        }

        (double, double) valueRange = config.Contains("value_range") ? AugmentationConfig.ReadPair(config, "value_range") : (0, 255);
        long? seed = config.GetNullableInt64("seed");
        string name = config.GetString("name");
        return factor is { Number: double f } ? new RandomGaussianBlur(f, kernelSize, sigma, valueRange, seed, name)
            : factor is { } pair ? new RandomGaussianBlur(pair.Pair, kernelSize, sigma, valueRange, seed, name)
            : new RandomGaussianBlur(1.0, kernelSize, sigma, valueRange, seed, name);
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);

        // Made at build, so every instance of a shared layer (one per call) keeps its own draws, kernels and buffers.
        _color = new ColorAugmentation();
        _heightKernel = new float[KernelSize];
        _widthKernel = new float[KernelSize];
        _unclipped = null;
        _scratch = new float[inputShape.ElementCount];
        _passed = new float[inputShape.ElementCount];
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

        Span<double> applied = _color.Begin(input);
        SeededRandom random = Random;
        for (int n = 0; n < applied.Length; n++)
        {
            applied[n] = (float)(Factor.Lower + ((Factor.Upper - Factor.Lower) * random.NextDouble()));
        }

        for (int n = 0; n < applied.Length; n++)
        {
            applied[n] = (float)random.NextDouble() < applied[n] ? 1 : 0;
        }

        float sigmaWidth = (float)(Sigma.Lower + ((Sigma.Upper - Sigma.Lower) * random.NextDouble())) + SigmaOffset;
        float sigmaHeight = (float)(Sigma.Lower + ((Sigma.Upper - Sigma.Lower) * random.NextDouble())) + SigmaOffset;
        _sigmas = (sigmaWidth, sigmaHeight);
        GaussianBlur.Kernel(sigmaWidth, _widthKernel);
        GaussianBlur.Kernel(sigmaHeight, _heightKernel);

        Tensor unclipped = BatchView(ref _unclipped, applied.Length, InputShape), output = _color.Output(InputShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        Span<float> z = unclipped.AsSpan();
        int height = InputShape[0], width = InputShape[1], channels = InputShape[2], size = InputShape.ElementCount;
        for (int n = 0; n < applied.Length; n++)
        {
            if (applied[n] != 0)
            {
                GaussianBlur.Blur(x.Slice(n * size, size), height, width, channels, _heightKernel, _widthKernel, _scratch, z.Slice(n * size, size));
            }
            else
            {
                x.Slice(n * size, size).CopyTo(z.Slice(n * size, size));
            }
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
        ReadOnlySpan<float> z = _unclipped!.AsReadOnlySpan(), dy = outputGradient.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        int height = InputShape[0], width = InputShape[1], channels = InputShape[2], size = InputShape.ElementCount;
        for (int n = 0; n < applied.Length; n++)
        {
            Span<float> passed = applied[n] != 0 ? _passed : dx.Slice(n * size, size);
            ValueRangeClip.Backward(z.Slice(n * size, size), dy.Slice(n * size, size), ValueRange, passed[..size]);

            if (applied[n] != 0)
            {
                GaussianBlur.Blur(passed, height, width, channels, _heightKernel, _widthKernel, _scratch, dx.Slice(n * size, size));
            }
        }

        return inputGradient;
    }
}
