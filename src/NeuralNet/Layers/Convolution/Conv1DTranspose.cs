using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A transposed 1-D convolution over sequences (Keras <c>Conv1DTranspose</c>, sometimes called a deconvolution): the input
/// gradient of a <see cref="Conv1D"/>, used to upsample a sequence with learned filters.
/// </summary>
/// <remarks>
/// <para>Input per sample (steps, channels); output (outSteps, filters). The kernel has Keras' shape
/// (kernelSize, filters, channels) and the bias (filters).</para>
/// <para>Every input step i scatters <c>x[i, :] · kernel[j, :, :]ᵀ</c> to the output step i·stride + j·dilation of a "full"
/// sequence of (steps − 1)·stride + (kernel − 1)·dilation + 1 steps, which is then cropped (or extended with zeros) to
/// Keras' output length, with effectiveKernel = (kernel − 1)·dilation + 1:</para>
/// <list type="bullet">
/// <item>valid: (steps − 1)·stride + effectiveKernel + outputPadding, outputPadding defaulting to max(effectiveKernel, stride) − effectiveKernel;</item>
/// <item>same: steps·stride without outputPadding, else (steps − 1)·stride + effectiveKernel % 2 + outputPadding.</item>
/// </list>
/// <para>Keras refuses 'causal' padding here. Runs <see cref="Conv2DTranspose"/>'s kernels on a one-row image.</para>
/// </remarks>
/// <example><c>model.Add(new Conv1DTranspose(32, 4, strides: 2, padding: Padding.Same));   // (50, 64) -> (100, 32)</c></example>
public sealed class Conv1DTranspose : Layer, IKernelLayer
{
    private Parameter? _kernel;
    private Parameter? _bias;
    private TransposedConvolutionPass<DilatedConvGeometry>? _pass;

    /// <summary>Creates a transposed 1-D convolution.</summary>
    /// <param name="filters">The number of output channels, at least 1.</param>
    /// <param name="kernelSize">The window length, at least 1.</param>
    /// <param name="strides">The upsampling step, at least 1.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> or <see cref="Padding.Same"/> (output steps·stride).</param>
    /// <param name="outputPadding">Steps added at the end of the output, below the stride; null for Keras' default.</param>
    /// <param name="dilationRate">The spacing of the kernel's taps, at least 1; cannot exceed 1 with strides above 1.</param>
    /// <param name="activation">Applied to the output; null for none (linear).</param>
    /// <param name="useBias">Whether to add a bias per filter.</param>
    /// <param name="kernelInitializer">Fills the kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>conv1d_transpose</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, the padding is not Valid or Same, outputPadding is negative or not below the stride, or strides and dilation both exceed 1.</exception>
    public Conv1DTranspose(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, int? outputPadding = null, int dilationRate = 1,
        ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, string? name = null)
        : base(name)
    {
        ConvolutionChecks.Positive(Describe(), filters, nameof(filters), "filters");
        ConvolutionChecks.Window(Describe(), kernelSize, strides, dilationRate, padding);
        if (outputPadding is int op && (op < 0 || op >= strides))
        {
            throw new ArgumentOutOfRangeException(nameof(outputPadding), outputPadding, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{Describe()}: outputPadding must be non-negative and smaller than the stride, as in Keras. Received: outputPadding={op}, strides={strides}."));
        }

        Filters = filters;
        KernelSize = kernelSize;
        Strides = strides;
        Padding = padding;
        OutputPadding = outputPadding;
        DilationRate = dilationRate;
        Activation = activation is Linear ? null : activation;
        UseBias = useBias;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        BiasInitializer = biasInitializer ?? Zeros.Instance;
        KernelRegularizer = kernelRegularizer;
        BiasRegularizer = biasRegularizer;
    }

    /// <summary>The number of output channels.</summary>
    public int Filters { get; }

    /// <summary>The window length.</summary>
    public int KernelSize { get; }

    /// <summary>The upsampling step.</summary>
    public int Strides { get; }

    /// <summary>Valid or Same.</summary>
    public Padding Padding { get; }

    /// <summary>The steps of output padding, or null for Keras' default.</summary>
    public int? OutputPadding { get; }

    /// <summary>The spacing of the kernel's taps.</summary>
    public int DilationRate { get; }

    /// <summary>The activation applied to the output, or null for none.</summary>
    public ActivationFunction? Activation { get; }

    /// <summary>Whether a bias is added per filter.</summary>
    public bool UseBias { get; }

    /// <summary>The kernel's initializer.</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>The bias's initializer.</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The kernel's penalty, or null.</summary>
    public Regularizer? KernelRegularizer { get; }

    /// <summary>The bias's penalty, or null.</summary>
    public Regularizer? BiasRegularizer { get; }

    /// <summary>
    /// The projection the optimizer applies to the kernel after each step (Keras' <c>kernel_constraint</c>, such as
    /// <c>new Conv1DTranspose(32, 3) { KernelConstraint = new MaxNorm(3, axis: [0, 2]) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>The kernel, (kernelSize, filters, channels) as in Keras. Throws until the layer is built.</summary>
    public Parameter Kernel => _kernel ?? throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <summary>The bias, (filters), or null when <see cref="UseBias"/> is false. Throws until the layer is built.</summary>
    public Parameter? Bias => IsBuilt ? _bias : throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "conv1d_transpose";

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = base.GetConfig()
            .Set("filters", Filters)
            .Set("kernel_size", [KernelSize])
            .Set("strides", [Strides])
            .Set("padding", ConfigChecks.PaddingName(Padding));
        config = OutputPadding is int op ? config.Set("output_padding", [op]) : config.SetNull("output_padding");
        return config
            .Set("data_format", "channels_last")
            .Set("dilation_rate", [DilationRate])
            .Set("activation", Activation ?? ActivationFunction.Linear)
            .Set("use_bias", UseBias)
            .Set("kernel_initializer", KernelInitializer)
            .Set("bias_initializer", BiasInitializer)
            .Set("kernel_regularizer", KernelRegularizer)
            .Set("bias_regularizer", BiasRegularizer)
            .Set("kernel_constraint", KernelConstraint)
            .Set("bias_constraint", BiasConstraint);
    }

    /// <summary>Keras' <c>from_config</c>: channels last; <c>output_padding</c> an integer, a one-element list or null.</summary>
    internal static Conv1DTranspose FromConfig(Config config)
    {
        int filters = config.GetInt32("filters", minimum: 1);
        int kernelSize = ConfigChecks.ReadSingle(config, "kernel_size") ?? throw config.Error("\"kernel_size\" is missing.");
        Config d = config.WithDefaults(new Conv1DTranspose(filters, kernelSize).GetConfig());
        ConfigChecks.RequireChannelsLast(config);
        int strides = ConfigChecks.ReadSingle(d, "strides") ?? 1, dilation = ConfigChecks.ReadSingle(d, "dilation_rate") ?? 1;
        int? outputPadding = null;
        if (d.Contains("output_padding"))
        {
            int[] op = d.GetNode("output_padding")!.GetValueKind() == System.Text.Json.JsonValueKind.Number
                ? [d.GetInt32("output_padding", minimum: 0)]
                : d.GetInt32Array("output_padding", 1, minimum: 0);
            if (op.Length != 1)
            {
                throw config.Error("\"output_padding\" must be an integer or a list of one integer.");
            }

            outputPadding = op[0];
            if (op[0] >= strides)
            {
                throw config.Error($"\"output_padding\" {op[0]} must be smaller than \"strides\" {strides}.");
            }
        }

        if (strides > 1 && dilation > 1)
        {
            throw config.Error("\"strides\" and \"dilation_rate\" cannot both exceed 1.");
        }

        return new Conv1DTranspose(filters, kernelSize, strides, ConfigChecks.ReadPadding(d), outputPadding, dilation, d.GetActivation("activation"),
            d.GetBoolean("use_bias"), d.GetInitializer("kernel_initializer"), d.GetInitializer("bias_initializer"),
            d.GetRegularizer("kernel_regularizer"), d.GetRegularizer("bias_regularizer"), config.GetString("name"))
        {
            KernelConstraint = d.GetConstraint("kernel_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
        };
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        ConvolutionChecks.Sequence(Describe(), inputShape);
        (int outSteps, int cropBefore) = DilatedConvGeometry.TransposeAxis(inputShape[0], KernelSize, Strides, DilationRate, Padding == Padding.Same, OutputPadding);
        if (outSteps < 1)
        {
            throw new ArgumentException($"{Describe()} gives an empty output ({outSteps} steps) for input {inputShape.ToBatchString()} with kernel {KernelSize} and padding {Padding}.", nameof(inputShape));
        }

        // The convolution whose input gradient this is, on a one-row image: its "input" is our output (1, outSteps,
        // filters), its output our input (1, steps), and its padding the steps cropped from the start of the full scatter.
        var geometry = new DilatedConvGeometry(1, outSteps, Filters, 1, KernelSize, 1, Strides, 1, DilationRate, 0, cropBefore, 1, inputShape[0]);
        _kernel = AddParameter("kernel", new TensorShape(KernelSize, Filters, inputShape[1]), KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
        if (UseBias)
        {
            _bias = AddParameter("bias", new TensorShape(Filters), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        var outputShape = new TensorShape(outSteps, Filters);
        _pass = new TransposedConvolutionPass<DilatedConvGeometry>(this, geometry, inputShape, outputShape, Activation);
        return outputShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) => _pass!.Forward(input, _kernel!, _bias);

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => _pass!.Backward(outputGradient, _kernel!, _bias, ColumnsBudgetBytes);

    /// <summary>
    /// The largest batch patch matrix, in bytes, the backward pass keeps (64 MiB); a larger one is packed chunk by chunk,
    /// with the same results. Internal: the tests set a tiny budget to run the chunked path on small shapes.
    /// </summary>
    internal long ColumnsBudgetBytes { get; set; } = PatchChunks.DefaultBudgetBytes;

    /// <summary>The length of the patch matrix the backward pass kept (0 before the first pass).</summary>
    internal int KeptColumnsLength => _pass?.KeptColumnsLength ?? 0;

    /// <summary>The length of the chunk buffer the backward pass packs into past the budget (0 until it runs).</summary>
    internal int ChunkColumnsLength => _pass?.ChunkColumnsLength ?? 0;
}
