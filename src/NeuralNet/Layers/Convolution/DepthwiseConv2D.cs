using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A depthwise 2-D convolution over channels-last images (Keras <c>DepthwiseConv2D</c>): each input channel is convolved
/// with its own <c>depthMultiplier</c> filters, <c>output = activation(depthwise(input, kernel) + bias)</c>.
/// </summary>
/// <remarks>
/// <para>Input per sample (height, width, channels); output (outHeight, outWidth, channels·depthMultiplier). The kernel has
/// Keras' shape (kernelHeight, kernelWidth, channels, depthMultiplier) and the bias (channels·depthMultiplier):</para>
/// <para><c>y[oy, ox, c·M + m] = bias[c·M + m] + Σ_{i,j} xpad[oy·sh + i·dh, ox·sw + j·dw, c] · kernel[i, j, c, m]</c>,</para>
/// <para>with the output size and padding of <see cref="Conv2D"/> (dilated kernel span (k − 1)·dilation + 1).</para>
/// </remarks>
/// <example><c>model.Add(new DepthwiseConv2D(3, padding: Padding.Same, depthMultiplier: 2));</c></example>
public sealed class DepthwiseConv2D : Layer, IKernelLayer
{
    private Parameter? _kernel;
    private Parameter? _bias;
    private DepthwiseConvolutionPass? _pass;

    /// <summary>Creates a depthwise convolution with a square kernel and equal strides.</summary>
    /// <param name="kernelSize">The height and width of the kernel, at least 1.</param>
    /// <param name="strides">The step between windows along both axes, at least 1.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> or <see cref="Padding.Same"/>.</param>
    /// <param name="depthMultiplier">The filters per input channel, at least 1.</param>
    /// <param name="dilationRate">The spacing of the kernel's taps, at least 1; cannot exceed 1 with strides above 1.</param>
    /// <param name="activation">Applied to the output; null for none (linear).</param>
    /// <param name="useBias">Whether to add a bias per output channel.</param>
    /// <param name="depthwiseInitializer">Fills the kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="depthwiseRegularizer">A penalty on the kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>depthwise_conv2d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, or strides and dilation both exceed 1.</exception>
    public DepthwiseConv2D(int kernelSize, int strides = 1, Padding padding = Padding.Valid, int depthMultiplier = 1, int dilationRate = 1,
        ActivationFunction? activation = null, bool useBias = true, Initializer? depthwiseInitializer = null, Initializer? biasInitializer = null,
        Regularizer? depthwiseRegularizer = null, Regularizer? biasRegularizer = null, string? name = null)
        : this((kernelSize, kernelSize), (strides, strides), padding, depthMultiplier, (dilationRate, dilationRate), activation, useBias,
            depthwiseInitializer, biasInitializer, depthwiseRegularizer, biasRegularizer, name)
    {
    }

    /// <summary>Creates a depthwise convolution with a rectangular kernel and per-axis strides.</summary>
    /// <param name="kernelSize">The kernel's (height, width), each at least 1.</param>
    /// <param name="strides">The (vertical, horizontal) step between windows; (1, 1) when null.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> or <see cref="Padding.Same"/>.</param>
    /// <param name="depthMultiplier">The filters per input channel, at least 1.</param>
    /// <param name="dilationRate">The (vertical, horizontal) spacing of the kernel's taps; (1, 1) when null.</param>
    /// <param name="activation">Applied to the output; null for none (linear).</param>
    /// <param name="useBias">Whether to add a bias per output channel.</param>
    /// <param name="depthwiseInitializer">Fills the kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="depthwiseRegularizer">A penalty on the kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>depthwise_conv2d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, or strides and dilation both exceed 1.</exception>
    public DepthwiseConv2D((int Height, int Width) kernelSize, (int Height, int Width)? strides = null, Padding padding = Padding.Valid, int depthMultiplier = 1,
        (int Height, int Width)? dilationRate = null, ActivationFunction? activation = null, bool useBias = true, Initializer? depthwiseInitializer = null,
        Initializer? biasInitializer = null, Regularizer? depthwiseRegularizer = null, Regularizer? biasRegularizer = null, string? name = null)
        : base(name)
    {
        (int Height, int Width) s = strides ?? (1, 1), d = dilationRate ?? (1, 1);
        ConvolutionChecks.Window(Describe(), kernelSize, s, d, padding, depthMultiplier);
        KernelSize = kernelSize;
        Strides = s;
        Padding = padding;
        DepthMultiplier = depthMultiplier;
        DilationRate = d;
        Activation = activation is Linear ? null : activation;
        UseBias = useBias;
        DepthwiseInitializer = depthwiseInitializer ?? new GlorotUniform();
        BiasInitializer = biasInitializer ?? Zeros.Instance;
        DepthwiseRegularizer = depthwiseRegularizer;
        BiasRegularizer = biasRegularizer;
    }

    /// <summary>The kernel's (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>The (vertical, horizontal) step between windows.</summary>
    public (int Height, int Width) Strides { get; }

    /// <summary>Valid or Same.</summary>
    public Padding Padding { get; }

    /// <summary>The filters per input channel.</summary>
    public int DepthMultiplier { get; }

    /// <summary>The (vertical, horizontal) spacing of the kernel's taps.</summary>
    public (int Height, int Width) DilationRate { get; }

    /// <summary>The activation applied to the output, or null for none.</summary>
    public ActivationFunction? Activation { get; }

    /// <summary>Whether a bias is added per output channel.</summary>
    public bool UseBias { get; }

    /// <summary>The kernel's initializer.</summary>
    public Initializer DepthwiseInitializer { get; }

    /// <summary>The bias's initializer.</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The kernel's penalty, or null.</summary>
    public Regularizer? DepthwiseRegularizer { get; }

    /// <summary>The bias's penalty, or null.</summary>
    public Regularizer? BiasRegularizer { get; }

    /// <summary>
    /// The projection the optimizer applies to the kernel after each step (Keras' <c>depthwise_constraint</c>, such as
    /// <c>new DepthwiseConv2D(3) { DepthwiseConstraint = new MaxNorm(2f, axis: [0, 1]) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? DepthwiseConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>The kernel (Keras weight name <c>kernel</c>), (kernelHeight, kernelWidth, channels, depthMultiplier). Throws until built.</summary>
    public Parameter Kernel => _kernel ?? throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <summary>The bias, (channels·depthMultiplier), or null when <see cref="UseBias"/> is false. Throws until built.</summary>
    public Parameter? Bias => IsBuilt ? _bias : throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "depthwise_conv2d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("depth_multiplier", DepthMultiplier)
        .Set("kernel_size", [KernelSize.Height, KernelSize.Width])
        .Set("strides", [Strides.Height, Strides.Width])
        .Set("padding", ConfigChecks.PaddingName(Padding))
        .Set("data_format", "channels_last")
        .Set("dilation_rate", [DilationRate.Height, DilationRate.Width])
        .Set("activation", Activation ?? ActivationFunction.Linear)
        .Set("use_bias", UseBias)
        .Set("depthwise_initializer", DepthwiseInitializer)
        .Set("bias_initializer", BiasInitializer)
        .Set("depthwise_regularizer", DepthwiseRegularizer)
        .Set("bias_regularizer", BiasRegularizer)
        .Set("depthwise_constraint", DepthwiseConstraint)
        .Set("bias_constraint", BiasConstraint);

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static DepthwiseConv2D FromConfig(Config config)
    {
        (int, int) kernelSize = ConfigChecks.ReadPair(config, "kernel_size") ?? throw config.Error("\"kernel_size\" is missing.");
        Config d = config.WithDefaults(new DepthwiseConv2D(kernelSize).GetConfig());
        ConfigChecks.RequireChannelsLast(config);
        (int Height, int Width) strides = ConfigChecks.ReadPair(d, "strides") ?? (1, 1), dilation = ConfigChecks.ReadPair(d, "dilation_rate") ?? (1, 1);
        if (Math.Max(strides.Height, strides.Width) > 1 && Math.Max(dilation.Height, dilation.Width) > 1)
        {
            throw config.Error("\"strides\" and \"dilation_rate\" cannot both exceed 1.");
        }

        return new DepthwiseConv2D(kernelSize, strides, ConfigChecks.ReadPadding(d), d.GetInt32("depth_multiplier", minimum: 1), dilation,
            d.GetActivation("activation"), d.GetBoolean("use_bias"), d.GetInitializer("depthwise_initializer"), d.GetInitializer("bias_initializer"),
            d.GetRegularizer("depthwise_regularizer"), d.GetRegularizer("bias_regularizer"), config.GetString("name"))
        {
            DepthwiseConstraint = d.GetConstraint("depthwise_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
        };
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Image(Describe(), inputShape);
        int channels = inputShape[2], expanded = channels * DepthMultiplier;
        if (!DilatedConvGeometry.TryCreate(inputShape[0], inputShape[1], expanded, KernelSize, Strides, DilationRate, Padding == Padding.Same, out DilatedConvGeometry g))
        {
            throw new ArgumentException(
                $"{Describe()} kernel {ConvolutionChecks.Pair(KernelSize)} with dilation {ConvolutionChecks.Pair(DilationRate)} is larger than its input {inputShape.ToBatchString()} with padding {Padding}.",
                nameof(inputShape));
        }

        _kernel = AddParameter("kernel", new TensorShape(KernelSize.Height, KernelSize.Width, channels, DepthMultiplier), DepthwiseInitializer, DepthwiseRegularizer, constraint: DepthwiseConstraint);
        if (UseBias)
        {
            _bias = AddParameter("bias", new TensorShape(expanded), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        var outputShape = new TensorShape(g.OutHeight, g.OutWidth, expanded);
        _pass = new DepthwiseConvolutionPass(this, new DepthwiseStep(g, channels, DepthMultiplier), inputShape, outputShape, Activation);
        return outputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) => _pass!.Forward(input, _kernel!, _bias);

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _pass!.Backward(outputGradient, _kernel!, _bias);
}
