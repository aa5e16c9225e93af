using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A depthwise 1-D convolution over sequences (Keras <c>DepthwiseConv1D</c>): each input channel is convolved with its own
/// <c>depthMultiplier</c> filters, <c>output = activation(depthwise(input, kernel) + bias)</c>.
/// </summary>
/// <remarks>
/// <para>Input per sample (steps, channels); output (outSteps, channels·depthMultiplier). The kernel has Keras' shape
/// (kernelSize, channels, depthMultiplier) and the bias (channels·depthMultiplier):</para>
/// <para><c>y[o, c·M + m] = bias[c·M + m] + Σ_j xpad[o·strides + j·dilation, c] · kernel[j, c, m]</c>,</para>
/// <para>with the output length of <see cref="Conv1D"/>: 'valid' ⌊(steps − span) / strides⌋ + 1, 'same' ⌈steps / strides⌉
/// (span = (kernel − 1)·dilation + 1). Keras refuses 'causal' padding here. Runs the <see cref="DepthwiseConv2D"/>
/// kernels on a one-row image.</para>
/// </remarks>
/// <example><c>model.Add(new DepthwiseConv1D(5, padding: Padding.Same, depthMultiplier: 2));</c></example>
public sealed class DepthwiseConv1D : Layer, IKernelLayer
{
    private Parameter? _kernel;
    private Parameter? _bias;
    private DepthwiseConvolutionPass? _pass;

    /// <summary>Creates a depthwise 1-D convolution.</summary>
    /// <param name="kernelSize">The window length, at least 1.</param>
    /// <param name="strides">The step between windows, at least 1.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> or <see cref="Padding.Same"/>.</param>
    /// <param name="depthMultiplier">The filters per input channel, at least 1.</param>
    /// <param name="dilationRate">The spacing of the kernel's taps, at least 1; cannot exceed 1 with strides above 1.</param>
    /// <param name="activation">Applied to the output; null for none (linear).</param>
    /// <param name="useBias">Whether to add a bias per output channel.</param>
    /// <param name="depthwiseInitializer">Fills the kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="depthwiseRegularizer">A penalty on the kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>depthwise_conv1d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, the padding is not Valid or Same, or strides and dilation both exceed 1.</exception>
    public DepthwiseConv1D(int kernelSize, int strides = 1, Padding padding = Padding.Valid, int depthMultiplier = 1, int dilationRate = 1,
        ActivationFunction? activation = null, bool useBias = true, Initializer? depthwiseInitializer = null, Initializer? biasInitializer = null,
        Regularizer? depthwiseRegularizer = null, Regularizer? biasRegularizer = null, string? name = null)
        : base(name)
    {
        ConvolutionChecks.Window(Describe(), kernelSize, strides, dilationRate, padding, depthMultiplier);
        KernelSize = kernelSize;
        Strides = strides;
        Padding = padding;
        DepthMultiplier = depthMultiplier;
        DilationRate = dilationRate;
        Activation = activation is Linear ? null : activation;
        UseBias = useBias;
        DepthwiseInitializer = depthwiseInitializer ?? new GlorotUniform();
        BiasInitializer = biasInitializer ?? Zeros.Instance;
        DepthwiseRegularizer = depthwiseRegularizer;
        BiasRegularizer = biasRegularizer;
    }

    /// <summary>The window length.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Strides { get; }

    /// <summary>Valid or Same.</summary>
    public Padding Padding { get; }

    /// <summary>The filters per input channel.</summary>
    public int DepthMultiplier { get; }

    /// <summary>The spacing of the kernel's taps.</summary>
    public int DilationRate { get; }

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
    /// <c>new DepthwiseConv1D(3) { DepthwiseConstraint = new MaxNorm(2f, axis: [0]) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? DepthwiseConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>The kernel (Keras weight name <c>kernel</c>), (kernelSize, channels, depthMultiplier). Throws until built.</summary>
    public Parameter Kernel => _kernel ?? throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <summary>The bias, (channels·depthMultiplier), or null when <see cref="UseBias"/> is false. Throws until built.</summary>
    public Parameter? Bias => IsBuilt ? _bias : throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "depthwise_conv1d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("depth_multiplier", DepthMultiplier)
        .Set("kernel_size", [KernelSize])
        .Set("strides", [Strides])
        .Set("padding", ConfigChecks.PaddingName(Padding))
        .Set("data_format", "channels_last")
        .Set("dilation_rate", [DilationRate])
        .Set("activation", Activation ?? ActivationFunction.Linear)
        .Set("use_bias", UseBias)
        .Set("depthwise_initializer", DepthwiseInitializer)
        .Set("bias_initializer", BiasInitializer)
        .Set("depthwise_regularizer", DepthwiseRegularizer)
        .Set("bias_regularizer", BiasRegularizer)
        .Set("depthwise_constraint", DepthwiseConstraint)
        .Set("bias_constraint", BiasConstraint);

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static DepthwiseConv1D FromConfig(Config config)
    {
        int kernelSize = ConfigChecks.ReadSingle(config, "kernel_size") ?? throw config.Error("\"kernel_size\" is missing.");
        Config d = config.WithDefaults(new DepthwiseConv1D(kernelSize).GetConfig());
        ConfigChecks.RequireChannelsLast(config);
        int strides = ConfigChecks.ReadSingle(d, "strides") ?? 1, dilation = ConfigChecks.ReadSingle(d, "dilation_rate") ?? 1;
        if (strides > 1 && dilation > 1)
        {
            throw config.Error("\"strides\" and \"dilation_rate\" cannot both exceed 1.");
        }

        return new DepthwiseConv1D(kernelSize, strides, ConfigChecks.ReadPadding(d), d.GetInt32("depth_multiplier", minimum: 1), dilation,
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
        ConvolutionChecks.Sequence(Describe(), inputShape);
        int channels = inputShape[1], expanded = channels * DepthMultiplier;
        DilatedConvGeometry g = ConvolutionChecks.SequenceGeometry(Describe(), inputShape, expanded, KernelSize, Strides, DilationRate, Padding);
        _kernel = AddParameter("kernel", new TensorShape(KernelSize, channels, DepthMultiplier), DepthwiseInitializer, DepthwiseRegularizer, constraint: DepthwiseConstraint);
        if (UseBias)
        {
            _bias = AddParameter("bias", new TensorShape(expanded), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        var outputShape = new TensorShape(g.OutWidth, expanded);
        _pass = new DepthwiseConvolutionPass(this, new DepthwiseStep(g, channels, DepthMultiplier), inputShape, outputShape, Activation);
        return outputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) => _pass!.Forward(input, _kernel!, _bias);

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _pass!.Backward(outputGradient, _kernel!, _bias);
}
