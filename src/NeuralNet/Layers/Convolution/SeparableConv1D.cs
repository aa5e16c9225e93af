using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A depthwise separable 1-D convolution (Keras <c>SeparableConv1D</c>): a depthwise convolution (each input channel with
/// its own <c>depthMultiplier</c> filters, no bias) followed by a pointwise (kernel size 1) convolution that mixes the
/// channels, then bias and activation.
/// </summary>
/// <remarks>
/// <para>Input per sample (steps, channels); output (outSteps, filters). Keras' weights: <c>depthwise_kernel</c>
/// (kernelSize, channels, depthMultiplier), <c>pointwise_kernel</c> (1, channels·depthMultiplier, filters) and
/// <c>bias</c> (filters). Strides, padding and dilation apply to the depthwise step, with the output length of
/// <see cref="Conv1D"/>: 'valid' ⌊(steps − span) / strides⌋ + 1, 'same' ⌈steps / strides⌉ (span = (kernel − 1)·dilation + 1).
/// Keras refuses 'causal' padding here.</para>
/// <para>Runs <see cref="SeparableConv2D"/>'s kernels on a one-row image: the depthwise step, then one matrix product over
/// the batch, (B·outSteps, C·M) · (C·M, filters), with the bias and a ReLU fused into it.</para>
/// </remarks>
/// <example><c>model.Add(new SeparableConv1D(64, 5, padding: Padding.Same, activation: ActivationFunction.Relu));</c></example>
public sealed class SeparableConv1D : Layer
{
    private Parameter? _depthwiseKernel;
    private Parameter? _pointwiseKernel;
    private Parameter? _bias;
    private SeparableConvolutionPass? _pass;

    /// <summary>Creates a separable 1-D convolution.</summary>
    /// <param name="filters">The number of output channels, at least 1.</param>
    /// <param name="kernelSize">The depthwise window length, at least 1.</param>
    /// <param name="strides">The step between windows, at least 1.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> or <see cref="Padding.Same"/>.</param>
    /// <param name="depthMultiplier">The depthwise filters per input channel, at least 1.</param>
    /// <param name="dilationRate">The spacing of the depthwise kernel's taps, at least 1; cannot exceed 1 with strides above 1.</param>
    /// <param name="activation">Applied to the output; null for none (linear).</param>
    /// <param name="useBias">Whether to add a bias per filter.</param>
    /// <param name="depthwiseInitializer">Fills the depthwise kernel; Glorot uniform when null.</param>
    /// <param name="pointwiseInitializer">Fills the pointwise kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="depthwiseRegularizer">A penalty on the depthwise kernel, if any.</param>
    /// <param name="pointwiseRegularizer">A penalty on the pointwise kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>separable_conv1d</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, the padding is not Valid or Same, or strides and dilation both exceed 1.</exception>
    public SeparableConv1D(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, int depthMultiplier = 1, int dilationRate = 1,
        ActivationFunction? activation = null, bool useBias = true, Initializer? depthwiseInitializer = null, Initializer? pointwiseInitializer = null,
        Initializer? biasInitializer = null, Regularizer? depthwiseRegularizer = null, Regularizer? pointwiseRegularizer = null,
        Regularizer? biasRegularizer = null, string? name = null)
        : base(name)
    {
        ConvolutionChecks.Positive(Describe(), filters, nameof(filters), "filters");
        ConvolutionChecks.Window(Describe(), kernelSize, strides, dilationRate, padding, depthMultiplier);
        Filters = filters;
        KernelSize = kernelSize;
        Strides = strides;
        Padding = padding;
        DepthMultiplier = depthMultiplier;
        DilationRate = dilationRate;
        Activation = activation is Linear ? null : activation;
        UseBias = useBias;
        DepthwiseInitializer = depthwiseInitializer ?? new GlorotUniform();
        PointwiseInitializer = pointwiseInitializer ?? new GlorotUniform();
        BiasInitializer = biasInitializer ?? Zeros.Instance;
        DepthwiseRegularizer = depthwiseRegularizer;
        PointwiseRegularizer = pointwiseRegularizer;
        BiasRegularizer = biasRegularizer;
    }

    /// <summary>The number of output channels.</summary>
    public int Filters { get; }

    /// <summary>The depthwise window length.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Strides { get; }

    /// <summary>Valid or Same.</summary>
    public Padding Padding { get; }

    /// <summary>The depthwise filters per input channel.</summary>
    public int DepthMultiplier { get; }

    /// <summary>The spacing of the depthwise kernel's taps.</summary>
    public int DilationRate { get; }

    /// <summary>The activation applied to the output, or null for none.</summary>
    public ActivationFunction? Activation { get; }

    /// <summary>Whether a bias is added per filter.</summary>
    public bool UseBias { get; }

    /// <summary>The depthwise kernel's initializer.</summary>
    public Initializer DepthwiseInitializer { get; }

    /// <summary>The pointwise kernel's initializer.</summary>
    public Initializer PointwiseInitializer { get; }

    /// <summary>The bias's initializer.</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The depthwise kernel's penalty, or null.</summary>
    public Regularizer? DepthwiseRegularizer { get; }

    /// <summary>The pointwise kernel's penalty, or null.</summary>
    public Regularizer? PointwiseRegularizer { get; }

    /// <summary>The bias's penalty, or null.</summary>
    public Regularizer? BiasRegularizer { get; }

    /// <summary>
    /// The projection the optimizer applies to the depthwise kernel after each step (Keras' <c>depthwise_constraint</c>, such as
    /// <c>new SeparableConv1D(8, 3) { DepthwiseConstraint = new MaxNorm(2f, axis: [0]) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? DepthwiseConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the pointwise kernel after each step (Keras' <c>pointwise_constraint</c>), or null.</summary>
    public Constraint? PointwiseConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>The depthwise kernel, (kernelSize, channels, depthMultiplier). Throws until built.</summary>
    public Parameter DepthwiseKernel => _depthwiseKernel ?? throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <summary>The pointwise kernel, (1, channels·depthMultiplier, filters). Throws until built.</summary>
    public Parameter PointwiseKernel => _pointwiseKernel ?? throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <summary>The bias, (filters), or null when <see cref="UseBias"/> is false. Throws until built.</summary>
    public Parameter? Bias => IsBuilt ? _bias : throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "separable_conv1d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("filters", Filters)
        .Set("depth_multiplier", DepthMultiplier)
        .Set("kernel_size", [KernelSize])
        .Set("strides", [Strides])
        .Set("padding", ConfigChecks.PaddingName(Padding))
        .Set("data_format", "channels_last")
        .Set("dilation_rate", [DilationRate])
        .Set("activation", Activation ?? ActivationFunction.Linear)
        .Set("use_bias", UseBias)
        .Set("depthwise_initializer", DepthwiseInitializer)
        .Set("pointwise_initializer", PointwiseInitializer)
        .Set("bias_initializer", BiasInitializer)
        .Set("depthwise_regularizer", DepthwiseRegularizer)
        .Set("pointwise_regularizer", PointwiseRegularizer)
        .Set("bias_regularizer", BiasRegularizer)
        .Set("depthwise_constraint", DepthwiseConstraint)
        .Set("pointwise_constraint", PointwiseConstraint)
        .Set("bias_constraint", BiasConstraint);

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static SeparableConv1D FromConfig(Config config)
    {
        int filters = config.GetInt32("filters", minimum: 1);
        int kernelSize = ConfigChecks.ReadSingle(config, "kernel_size") ?? throw config.Error("\"kernel_size\" is missing.");
        Config d = config.WithDefaults(new SeparableConv1D(filters, kernelSize).GetConfig());
        ConfigChecks.RequireChannelsLast(config);
        int strides = ConfigChecks.ReadSingle(d, "strides") ?? 1, dilation = ConfigChecks.ReadSingle(d, "dilation_rate") ?? 1;
        if (strides > 1 && dilation > 1)
        {
            throw config.Error("\"strides\" and \"dilation_rate\" cannot both exceed 1.");
        }

        return new SeparableConv1D(filters, kernelSize, strides, ConfigChecks.ReadPadding(d), d.GetInt32("depth_multiplier", minimum: 1), dilation,
            d.GetActivation("activation"), d.GetBoolean("use_bias"), d.GetInitializer("depthwise_initializer"), d.GetInitializer("pointwise_initializer"),
            d.GetInitializer("bias_initializer"), d.GetRegularizer("depthwise_regularizer"), d.GetRegularizer("pointwise_regularizer"),
            d.GetRegularizer("bias_regularizer"), config.GetString("name"))
        {
            DepthwiseConstraint = d.GetConstraint("depthwise_constraint"),
            PointwiseConstraint = d.GetConstraint("pointwise_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
        };
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Sequence(Describe(), inputShape);
        int channels = inputShape[1], expanded = channels * DepthMultiplier;
        DilatedConvGeometry g = ConvolutionChecks.SequenceGeometry(Describe(), inputShape, expanded, KernelSize, Strides, DilationRate, Padding);
        _depthwiseKernel = AddParameter("depthwise_kernel", new TensorShape(KernelSize, channels, DepthMultiplier), DepthwiseInitializer, DepthwiseRegularizer, constraint: DepthwiseConstraint);
        _pointwiseKernel = AddParameter("pointwise_kernel", new TensorShape(1, expanded, Filters), PointwiseInitializer, PointwiseRegularizer, constraint: PointwiseConstraint);
        if (UseBias)
        {
            _bias = AddParameter("bias", new TensorShape(Filters), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        var outputShape = new TensorShape(g.OutWidth, Filters);
        _pass = new SeparableConvolutionPass(this, new DepthwiseStep(g, channels, DepthMultiplier), new TensorShape(g.OutWidth, expanded), inputShape, outputShape, Filters, Activation);
        return outputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) => _pass!.Forward(input, _depthwiseKernel!, _pointwiseKernel!, _bias);

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _pass!.Backward(outputGradient, _depthwiseKernel!, _pointwiseKernel!, _bias);
}
