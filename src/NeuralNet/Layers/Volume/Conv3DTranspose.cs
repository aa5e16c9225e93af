using System.Globalization;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A transposed 3-D convolution over channels-last volumes (Keras' <c>Conv3DTranspose</c>): the input gradient of a
/// <see cref="Conv3D"/>, used to upsample volumes with learned filters (the decoder of a 3-D U-Net).
/// </summary>
/// <remarks>
/// <para>Input per sample (depth, height, width, channels); output (outDepth, outHeight, outWidth, filters). The kernel
/// has Keras' shape (kernelDepth, kernelHeight, kernelWidth, filters, channels) and the bias (filters).</para>
/// <para>Every input position scatters <c>x[i, j, l, :] · kernel[a, b, c, :, :]ᵀ</c> to output position
/// (i·sd + a·dd, j·sh + b·dh, l·sw + c·dw) of a "full" volume, which is then cropped (or extended with zeros) to Keras'
/// output size, per axis as <see cref="Conv2DTranspose"/>:</para>
/// <list type="bullet">
/// <item>valid: (in − 1)·stride + effectiveKernel + outputPadding, outputPadding defaulting to max(effectiveKernel, stride) − effectiveKernel;</item>
/// <item>same: in·stride without outputPadding, else (in − 1)·stride + effectiveKernel % 2 + outputPadding.</item>
/// </list>
/// <para>Runs as one matrix product per sample into a patch matrix that col2im adds into the output; the backward pass
/// is im2col of the output gradient and two products, for the input and the kernel gradients.</para>
/// </remarks>
/// <example><c>model.Add(new Conv3DTranspose(16, 2, strides: 2));   // (8, 16, 16, 32) -> (16, 32, 32, 16)</c></example>
public sealed class Conv3DTranspose : Layer, IKernelLayer
{
    private Parameter? _kernel;
    private Parameter? _bias;
    private TransposedConvolutionPass<VolumeGeometry>? _pass;

    /// <summary>Creates a transposed convolution with a cubic kernel and equal strides.</summary>
    /// <param name="filters">The number of output channels, at least 1.</param>
    /// <param name="kernelSize">The depth, height and width of the kernel, at least 1.</param>
    /// <param name="strides">The upsampling step along every axis, at least 1.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> or <see cref="Padding.Same"/> (output in·stride).</param>
    /// <param name="outputPadding">Positions added at the end of each axis of the output, below the stride; null for Keras' default.</param>
    /// <param name="dilationRate">The spacing of the kernel's taps, at least 1; cannot exceed 1 with strides above 1.</param>
    /// <param name="activation">Applied to the output; null for none (linear).</param>
    /// <param name="useBias">Whether to add a bias per filter.</param>
    /// <param name="kernelInitializer">Fills the kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>conv3d_transpose</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, outputPadding is negative or not below the stride, the padding is not Valid or Same, or strides and dilation both exceed 1.</exception>
    public Conv3DTranspose(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, int? outputPadding = null, int dilationRate = 1,
        ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, string? name = null)
        : this(filters, (kernelSize, kernelSize, kernelSize), (strides, strides, strides), padding, outputPadding is int op ? (op, op, op) : null,
            (dilationRate, dilationRate, dilationRate), activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, name)
    {
    }

    /// <summary>Creates a transposed convolution with a box-shaped kernel and per-axis strides.</summary>
    /// <param name="filters">The number of output channels, at least 1.</param>
    /// <param name="kernelSize">The kernel's (depth, height, width), each at least 1.</param>
    /// <param name="strides">The upsampling step along each axis, each at least 1; (1, 1, 1) when null.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> or <see cref="Padding.Same"/> (output in·stride).</param>
    /// <param name="outputPadding">Positions added at the end of each axis of the output, each below its stride; null for Keras' default.</param>
    /// <param name="dilationRate">The spacing of the kernel's taps along each axis; (1, 1, 1) when null. Cannot exceed 1 with strides above 1.</param>
    /// <param name="activation">Applied to the output; null for none (linear).</param>
    /// <param name="useBias">Whether to add a bias per filter.</param>
    /// <param name="kernelInitializer">Fills the kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>conv3d_transpose</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, outputPadding is negative or not below the stride, the padding is not Valid or Same, or strides and dilation both exceed 1.</exception>
    public Conv3DTranspose(int filters, (int Depth, int Height, int Width) kernelSize, (int Depth, int Height, int Width)? strides = null, Padding padding = Padding.Valid,
        (int Depth, int Height, int Width)? outputPadding = null, (int Depth, int Height, int Width)? dilationRate = null, ActivationFunction? activation = null,
        bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null, Regularizer? kernelRegularizer = null,
        Regularizer? biasRegularizer = null, string? name = null)
        : base(name)
    {
        (int Depth, int Height, int Width) s = strides ?? (1, 1, 1), d = dilationRate ?? (1, 1, 1);
        ConvolutionChecks.Positive(Describe(), filters, nameof(filters), "number of filters");
        VolumeChecks.Positive(Describe(), kernelSize, nameof(kernelSize), "kernel sizes");
        VolumeChecks.Positive(Describe(), s, nameof(strides), "strides");
        VolumeChecks.Positive(Describe(), d, nameof(dilationRate), "dilation rates");
        ConvolutionChecks.ValidOrSame(Describe(), padding);
        VolumeChecks.StridesWithDilation(Describe(), s, d);
        if (outputPadding is (int od, int oh, int ow) && (Math.Min(od, Math.Min(oh, ow)) < 0 || od >= s.Depth || oh >= s.Height || ow >= s.Width))
        {
            throw new ArgumentOutOfRangeException(nameof(outputPadding), outputPadding,
                $"{Describe()}: outputPadding must be non-negative and smaller than the stride on each axis, as in Keras. Received: outputPadding={VolumeChecks.Describe((od, oh, ow))}, strides={VolumeChecks.Describe(s)}.");
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

    /// <summary>The kernel's (depth, height, width).</summary>
    public (int Depth, int Height, int Width) KernelSize { get; }

    /// <summary>The upsampling step along each axis.</summary>
    public (int Depth, int Height, int Width) Strides { get; }

    /// <summary>Valid or Same.</summary>
    public Padding Padding { get; }

    /// <summary>The positions added at the end of each axis of the output, or null for Keras' default.</summary>
    public (int Depth, int Height, int Width)? OutputPadding { get; }

    /// <summary>The spacing of the kernel's taps along each axis.</summary>
    public (int Depth, int Height, int Width) DilationRate { get; }

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
    /// <c>new Conv3DTranspose(8, 3) { KernelConstraint = new MaxNorm(3, axis: [0, 1, 2, 4]) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>The kernel, (kernelDepth, kernelHeight, kernelWidth, filters, channels) as in Keras. Throws until the layer is built.</summary>
    public Parameter Kernel => _kernel ?? throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <summary>The bias, (filters), or null when <see cref="UseBias"/> is false. Throws until the layer is built.</summary>
    public Parameter? Bias => IsBuilt ? _bias : throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "conv3d_transpose";

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = base.GetConfig()
            .Set("filters", Filters)
            .Set("kernel_size", [KernelSize.Depth, KernelSize.Height, KernelSize.Width])
            .Set("strides", [Strides.Depth, Strides.Height, Strides.Width])
            .Set("padding", ConfigChecks.PaddingName(Padding));
        config = OutputPadding is (int od, int oh, int ow) ? config.Set("output_padding", [od, oh, ow]) : config.SetNull("output_padding");
        return config
            .Set("data_format", "channels_last")
            .Set("dilation_rate", [DilationRate.Depth, DilationRate.Height, DilationRate.Width])
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
    internal static Conv3DTranspose FromConfig(Config config)
    {
        int filters = config.GetInt32("filters", minimum: 1);
        (int, int, int) kernelSize = VolumeChecks.ReadTriple(config, "kernel_size") ?? throw config.Error("\"kernel_size\" is missing.");
        Config d = config.WithDefaults(new Conv3DTranspose(filters, kernelSize).GetConfig());
        ConfigChecks.RequireChannelsLast(config);
        (int Depth, int Height, int Width) strides = VolumeChecks.ReadTriple(d, "strides") ?? (1, 1, 1), dilation = VolumeChecks.ReadTriple(d, "dilation_rate") ?? (1, 1, 1);
        (int Depth, int Height, int Width)? outputPadding = VolumeChecks.ReadTriple(d, "output_padding", minimum: 0);
        if (outputPadding is (int od, int oh, int ow) && (od >= strides.Depth || oh >= strides.Height || ow >= strides.Width))
        {
            throw config.Error($"\"output_padding\" {VolumeChecks.Describe(outputPadding.Value)} must be smaller than \"strides\" {VolumeChecks.Describe(strides)}.");
        }

        if (VolumeChecks.BothExceedOne(strides, dilation))
        {
            throw config.Error("\"strides\" and \"dilation_rate\" cannot both exceed 1.");
        }

        return new Conv3DTranspose(filters, kernelSize, strides, ConfigChecks.ReadPadding(d), outputPadding, dilation, d.GetActivation("activation"),
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
        VolumeChecks.Volume(Describe(), inputShape);
        WindowAxis depth = Axis(inputShape[0], KernelSize.Depth, Strides.Depth, DilationRate.Depth, OutputPadding?.Depth);
        WindowAxis height = Axis(inputShape[1], KernelSize.Height, Strides.Height, DilationRate.Height, OutputPadding?.Height);
        WindowAxis width = Axis(inputShape[2], KernelSize.Width, Strides.Width, DilationRate.Width, OutputPadding?.Width);
        if (depth.Input < 1 || height.Input < 1 || width.Input < 1)
        {
            throw new ArgumentException(
                $"{Describe()} gives an empty output ({depth.Input}, {height.Input}, {width.Input}) for input {inputShape.ToBatchString()} with kernel {VolumeChecks.Describe(KernelSize)}, padding {Padding} and outputPadding {(OutputPadding is { } op ? VolumeChecks.Describe(op) : "null")}.",
                nameof(inputShape));
        }

        VolumeChecks.KernelFits(Describe(), KernelSize, inputShape[3], Filters);
        TensorShape outputShape = VolumeChecks.Shape(Describe(), depth.Input, height.Input, width.Input, Filters,
            $"kernel {VolumeChecks.Describe(KernelSize)}, strides {VolumeChecks.Describe(Strides)} and padding {Padding} on input {inputShape.ToBatchString()}");
        _kernel = AddParameter("kernel", new TensorShape(KernelSize.Depth, KernelSize.Height, KernelSize.Width, Filters, inputShape[3]), KernelInitializer, KernelRegularizer,
            constraint: KernelConstraint);
        if (UseBias)
        {
            _bias = AddParameter("bias", new TensorShape(Filters), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        _pass = new TransposedConvolutionPass<VolumeGeometry>(this, new VolumeGeometry(depth, height, width, Filters), inputShape, outputShape, Activation);
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

    // The convolution whose input gradient this is, along one axis: its "input" is our output and its output our input,
    // its padding the positions cropped from the full scatter.
    private WindowAxis Axis(int input, int kernel, int stride, int dilation, int? outputPadding)
    {
        if (((long)(input - 1) * stride) + ((long)(kernel - 1) * dilation) + 1 + stride > int.MaxValue)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: an axis of {input} positions upsampled by stride {stride} with a kernel of {kernel} taps (dilation {dilation}) is longer than a tensor holds."), "inputShape");
        }

        (int output, int cropBefore) = DilatedConvGeometry.TransposeAxis(input, kernel, stride, dilation, Padding == Padding.Same, outputPadding);
        return new WindowAxis(output, kernel, stride, dilation, cropBefore, input);
    }
}
