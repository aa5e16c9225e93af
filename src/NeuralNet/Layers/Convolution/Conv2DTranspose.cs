using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A transposed 2-D convolution over channels-last images (Keras <c>Conv2DTranspose</c>, sometimes called a
/// deconvolution): the input gradient of a <see cref="Conv2D"/>, used to upsample with learned filters.
/// </summary>
/// <remarks>
/// <para>Input per sample (height, width, channels); output (outHeight, outWidth, filters). The kernel has Keras' shape
/// (kernelHeight, kernelWidth, filters, channels) and the bias (filters).</para>
/// <para>Every input pixel scatters <c>x[i, j, :] · kernel[a, b, :, :]ᵀ</c> to the output pixel (i·stride + a·dilation,
/// j·stride + b·dilation) of a "full" map of (in − 1)·stride + (kernel − 1)·dilation + 1 rows and columns, which is then
/// cropped (or extended with zeros) to Keras' output size:</para>
/// <list type="bullet">
/// <item>valid: (in − 1)·stride + effectiveKernel + outputPadding, outputPadding defaulting to max(effectiveKernel, stride) − effectiveKernel;</item>
/// <item>same: in·stride without outputPadding, else (in − 1)·stride + effectiveKernel % 2 + outputPadding.</item>
/// </list>
/// <para>Runs as one matrix product per image, <c>x (H·W, channels) · kernelᵀ</c> into a patch matrix that col2im adds
/// into the output; the backward pass is im2col of the output gradient, a product with the kernel for the input
/// gradient and a product with the input for the kernel gradient.</para>
/// </remarks>
/// <example><c>model.Add(new Conv2DTranspose(32, 3, strides: 2, padding: Padding.Same));   // (7, 7, 64) -> (14, 14, 32)</c></example>
public sealed class Conv2DTranspose : Layer, IKernelLayer
{
    private Parameter? _kernel;
    private Parameter? _bias;
    private TransposedConvolutionPass<DilatedConvGeometry>? _pass;

    /// <summary>Creates a transposed convolution with a square kernel and equal strides.</summary>
    /// <param name="filters">The number of output channels, at least 1.</param>
    /// <param name="kernelSize">The height and width of the kernel, at least 1.</param>
    /// <param name="strides">The upsampling step along both axes, at least 1.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> or <see cref="Padding.Same"/> (output in·stride).</param>
    /// <param name="outputPadding">Rows and columns added at the bottom/right of the output, each below the stride; null for Keras' default.</param>
    /// <param name="dilationRate">The spacing of the kernel's taps, at least 1; cannot exceed 1 with strides above 1.</param>
    /// <param name="activation">Applied to the output; null for none (linear).</param>
    /// <param name="useBias">Whether to add a bias per filter.</param>
    /// <param name="kernelInitializer">Fills the kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>conv2d_transpose</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, outputPadding is negative or not below the stride, or strides and dilation both exceed 1.</exception>
    public Conv2DTranspose(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, int? outputPadding = null, int dilationRate = 1,
        ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, string? name = null)
        : this(filters, (kernelSize, kernelSize), (strides, strides), padding, outputPadding is int op ? (op, op) : null, (dilationRate, dilationRate),
            activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, name)
    {
    }

    /// <summary>Creates a transposed convolution with a rectangular kernel and per-axis strides.</summary>
    /// <param name="filters">The number of output channels, at least 1.</param>
    /// <param name="kernelSize">The kernel's (height, width), each at least 1.</param>
    /// <param name="strides">The (vertical, horizontal) upsampling step, each at least 1; (1, 1) when null.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> or <see cref="Padding.Same"/> (output in·stride).</param>
    /// <param name="outputPadding">(rows, columns) added at the bottom/right of the output, each below its stride; null for Keras' default.</param>
    /// <param name="dilationRate">The (vertical, horizontal) spacing of the kernel's taps; (1, 1) when null. Cannot exceed 1 with strides above 1.</param>
    /// <param name="activation">Applied to the output; null for none (linear).</param>
    /// <param name="useBias">Whether to add a bias per filter.</param>
    /// <param name="kernelInitializer">Fills the kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>conv2d_transpose</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, outputPadding is negative or not below the stride, or strides and dilation both exceed 1.</exception>
    public Conv2DTranspose(int filters, (int Height, int Width) kernelSize, (int Height, int Width)? strides = null, Padding padding = Padding.Valid,
        (int Height, int Width)? outputPadding = null, (int Height, int Width)? dilationRate = null, ActivationFunction? activation = null, bool useBias = true,
        Initializer? kernelInitializer = null, Initializer? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null,
        string? name = null)
        : base(name)
    {
        (int Height, int Width) s = strides ?? (1, 1), d = dilationRate ?? (1, 1);
        ConvolutionChecks.Positive(Describe(), filters, nameof(filters), "filters");
        ConvolutionChecks.Window(Describe(), kernelSize, s, d, padding);
        if (outputPadding is (int oh, int ow) && (oh < 0 || ow < 0 || oh >= s.Height || ow >= s.Width))
        {
            throw new ArgumentOutOfRangeException(nameof(outputPadding), outputPadding,
                $"{Describe()}: outputPadding must be non-negative and smaller than the stride on each axis, as in Keras. Received: outputPadding={ConvolutionChecks.Pair((oh, ow))}, strides={ConvolutionChecks.Pair(s)}.");
        }

        Filters = filters;
        KernelSize = kernelSize;
        Strides = s;
        Padding = padding;
        OutputPadding = outputPadding;
        DilationRate = d;
        Activation = activation is Linear ? null : activation;
        UseBias = useBias;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        BiasInitializer = biasInitializer ?? Zeros.Instance;
        KernelRegularizer = kernelRegularizer;
        BiasRegularizer = biasRegularizer;
    }

    /// <summary>The number of output channels.</summary>
    public int Filters { get; }

    /// <summary>The kernel's (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>The (vertical, horizontal) upsampling step.</summary>
    public (int Height, int Width) Strides { get; }

    /// <summary>Valid or Same.</summary>
    public Padding Padding { get; }

    /// <summary>The (rows, columns) of output padding, or null for Keras' default.</summary>
    public (int Height, int Width)? OutputPadding { get; }

    /// <summary>The (vertical, horizontal) spacing of the kernel's taps.</summary>
    public (int Height, int Width) DilationRate { get; }

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
    /// <c>new Conv2DTranspose(32, (3, 3)) { KernelConstraint = new MaxNorm(3, axis: [0, 1, 3]) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>The kernel, (kernelHeight, kernelWidth, filters, channels) as in Keras. Throws until the layer is built.</summary>
    public Parameter Kernel => _kernel ?? throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <summary>The bias, (filters), or null when <see cref="UseBias"/> is false. Throws until the layer is built.</summary>
    public Parameter? Bias => IsBuilt ? _bias : throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "conv2d_transpose";

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = base.GetConfig()
            .Set("filters", Filters)
            .Set("kernel_size", [KernelSize.Height, KernelSize.Width])
            .Set("strides", [Strides.Height, Strides.Width])
            .Set("padding", ConfigChecks.PaddingName(Padding));
        config = OutputPadding is (int oh, int ow) ? config.Set("output_padding", [oh, ow]) : config.SetNull("output_padding");
        return config
            .Set("data_format", "channels_last")
            .Set("dilation_rate", [DilationRate.Height, DilationRate.Width])
            .Set("activation", Activation ?? ActivationFunction.Linear)
            .Set("use_bias", UseBias)
            .Set("kernel_initializer", KernelInitializer)
            .Set("bias_initializer", BiasInitializer)
            .Set("kernel_regularizer", KernelRegularizer)
            .Set("bias_regularizer", BiasRegularizer)
            .Set("kernel_constraint", KernelConstraint)
            .Set("bias_constraint", BiasConstraint);
    }

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static Conv2DTranspose FromConfig(Config config)
    {
        int filters = config.GetInt32("filters", minimum: 1);
        (int, int) kernelSize = ConfigChecks.ReadPair(config, "kernel_size") ?? throw config.Error("\"kernel_size\" is missing.");
        Config d = config.WithDefaults(new Conv2DTranspose(filters, kernelSize).GetConfig());
        ConfigChecks.RequireChannelsLast(config);
        (int Height, int Width) strides = ConfigChecks.ReadPair(d, "strides") ?? (1, 1), dilation = ConfigChecks.ReadPair(d, "dilation_rate") ?? (1, 1);
        (int Height, int Width)? outputPadding = null;
        if (d.Contains("output_padding"))
        {
            int[] op = d.GetNode("output_padding")!.GetValueKind() == System.Text.Json.JsonValueKind.Number
                ? [d.GetInt32("output_padding", minimum: 0), d.GetInt32("output_padding", minimum: 0)]
                : d.GetInt32Array("output_padding", 2, minimum: 0);
            if (op.Length != 2)
            {
                throw config.Error("\"output_padding\" must be an integer or a pair of integers.");
            }

            outputPadding = (op[0], op[1]);
            if (op[0] >= strides.Height || op[1] >= strides.Width)
            {
                throw config.Error($"\"output_padding\" {ConvolutionChecks.Pair(outputPadding.Value)} must be smaller than \"strides\" {ConvolutionChecks.Pair(strides)}.");
            }
        }

        if (Math.Max(strides.Height, strides.Width) > 1 && Math.Max(dilation.Height, dilation.Width) > 1)
        {
            throw config.Error("\"strides\" and \"dilation_rate\" cannot both exceed 1.");
        }

        return new Conv2DTranspose(filters, kernelSize, strides, ConfigChecks.ReadPadding(d), outputPadding, dilation, d.GetActivation("activation"),
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
        ConvolutionChecks.Image(Describe(), inputShape);
        bool same = Padding == Padding.Same;
        (int outHeight, int cropTop) = DilatedConvGeometry.TransposeAxis(inputShape[0], KernelSize.Height, Strides.Height, DilationRate.Height, same, OutputPadding?.Height);
        (int outWidth, int cropLeft) = DilatedConvGeometry.TransposeAxis(inputShape[1], KernelSize.Width, Strides.Width, DilationRate.Width, same, OutputPadding?.Width);
        if (outHeight < 1 || outWidth < 1)
        {
            throw new ArgumentException($"{Describe()} gives an empty output ({outHeight}, {outWidth}) for input {inputShape.ToBatchString()} with kernel {ConvolutionChecks.Pair(KernelSize)} and padding {Padding}.", nameof(inputShape));
        }

        // The convolution whose input gradient this is: its "input" is our output (outHeight, outWidth, filters), its
        // output our input (height, width), and its padding the rows and columns cropped from the full scatter.
        var geometry = new DilatedConvGeometry(outHeight, outWidth, Filters, KernelSize.Height, KernelSize.Width, Strides.Height, Strides.Width,
            DilationRate.Height, DilationRate.Width, cropTop, cropLeft, inputShape[0], inputShape[1]);
        _kernel = AddParameter("kernel", new TensorShape(KernelSize.Height, KernelSize.Width, Filters, inputShape[2]), KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
        if (UseBias)
        {
            _bias = AddParameter("bias", new TensorShape(Filters), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        var outputShape = new TensorShape(outHeight, outWidth, Filters);
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
