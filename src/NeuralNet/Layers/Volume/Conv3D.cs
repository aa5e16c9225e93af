using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A 3-D convolution over channels-last volumes (Keras' <c>Conv3D</c>), such as video clips or medical scans:
/// <c>output = activation(conv(input, kernel) + bias)</c>.
/// </summary>
/// <remarks>
/// <para>Input per sample (depth, height, width, channels); output (outDepth, outHeight, outWidth, filters) with
/// y[od, oh, ow, f] = act(b[f] + Σ x[od·sd − pd + kd·dd, oh·sh − ph + kh·dh, ow·sw − pw + kw·dw, c] · kernel[kd, kh, kw, c, f]),
/// zeros outside the input. The kernel has Keras' shape (kernelDepth, kernelHeight, kernelWidth, channels, filters).
/// Padding per axis as <see cref="Conv2D"/>: 'valid' keeps whole windows, 'same' gives ⌈in / stride⌉ outputs with the odd
/// padded zero after. As in Keras, strides and dilation cannot both exceed 1.</para>
/// <para>The forward pass unfolds the batch into a patch matrix (im2col) and multiplies it by the kernel in one matrix
/// product; the backward pass reuses the patches for the kernel gradient and folds dOutput · kernelᵀ back onto the input
/// one sample at a time. A batch whose patch matrix would pass 64 MiB keeps none: each pass packs the patch rows a bounded
/// chunk at a time, with the same results. Buffers are kept for the largest batch seen, so steady-state training
/// allocates nothing.</para>
/// </remarks>
/// <example><c>model.Add(new Conv3D(16, (3, 3, 3), padding: Padding.Same, activation: ActivationFunction.Relu));</c></example>
public sealed class Conv3D : Layer, IKernelLayer
{
    private Parameter? _kernel;

    // The activation (on the layer itself; a copy reads its primary's, see Activation).
    private ActivationFunction _activation = ActivationFunction.Linear;

    // The activation the last forward pass applied, which its backward pass differentiates through.
    private ActivationFunction _ranActivation = ActivationFunction.Linear;
    private Parameter? _bias;
    private VolumeGeometry _geometry;
    private float[] _cols = [];
    private float[] _patchGradient = [];
    private float[] _chunk = [];
    private bool _chunked;
    private Tensor? _input;
    private Tensor? _zBuffer;
    private Tensor? _yBuffer;
    private Tensor? _dzBuffer;
    private Tensor? _dxBuffer;
    private Tensor? _z;
    private Tensor? _y;
    private int _batch = -1;

    /// <summary>Creates a convolution with a cubic kernel and equal strides.</summary>
    /// <param name="filters">The number of output channels, at least 1.</param>
    /// <param name="kernelSize">The depth, height and width of the kernel, at least 1.</param>
    /// <param name="strides">The step between windows along every axis, at least 1.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (no padding) or <see cref="Padding.Same"/> (zero padding, output ⌈in / stride⌉).</param>
    /// <param name="dilationRate">The spacing of the kernel's taps along every axis, at least 1; cannot exceed 1 with strides above 1 (Keras).</param>
    /// <param name="activation">Applied to the output; linear when null.</param>
    /// <param name="useBias">Whether to add a bias per filter.</param>
    /// <param name="kernelInitializer">Fills the kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>conv3d</c>, <c>conv3d_1</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count, size, stride or dilation is below 1, the padding is not Valid or Same, or strides and dilation both exceed 1.</exception>
    public Conv3D(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, int dilationRate = 1,
        ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, string? name = null)
        : this(filters, (kernelSize, kernelSize, kernelSize), (strides, strides, strides), padding, (dilationRate, dilationRate, dilationRate), activation, useBias,
            kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, name)
    {
    }

    /// <summary>Creates a convolution with a box-shaped kernel and per-axis strides.</summary>
    /// <param name="filters">The number of output channels, at least 1.</param>
    /// <param name="kernelSize">The kernel's (depth, height, width), each at least 1.</param>
    /// <param name="strides">The step between windows along each axis, each at least 1; (1, 1, 1) when null.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (no padding) or <see cref="Padding.Same"/> (zero padding, output ⌈in / stride⌉).</param>
    /// <param name="dilationRate">The spacing of the kernel's taps along each axis, each at least 1; (1, 1, 1) when null. Cannot exceed 1 with strides above 1 (Keras).</param>
    /// <param name="activation">Applied to the output; linear when null.</param>
    /// <param name="useBias">Whether to add a bias per filter.</param>
    /// <param name="kernelInitializer">Fills the kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>conv3d</c>, <c>conv3d_1</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count, size, stride or dilation is below 1, the padding is not Valid or Same, or strides and dilation both exceed 1.</exception>
    public Conv3D(int filters, (int Depth, int Height, int Width) kernelSize, (int Depth, int Height, int Width)? strides = null, Padding padding = Padding.Valid,
        (int Depth, int Height, int Width)? dilationRate = null, ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null,
        Initializer? biasInitializer = null, Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, string? name = null)
        : base(name)
    {
        ConvolutionChecks.Positive(Describe(), filters, nameof(filters), "number of filters");
        VolumeChecks.Positive(Describe(), kernelSize, nameof(kernelSize), "kernel sizes");
        (int Depth, int Height, int Width) s = strides ?? (1, 1, 1), d = dilationRate ?? (1, 1, 1);
        VolumeChecks.Positive(Describe(), s, nameof(strides), "strides");
        VolumeChecks.Positive(Describe(), d, nameof(dilationRate), "dilation rates");
        ConvolutionChecks.ValidOrSame(Describe(), padding);
        VolumeChecks.StridesWithDilation(Describe(), s, d);
        Filters = filters;
        KernelSize = kernelSize;
        Strides = s;
        Padding = padding;
        DilationRate = d;
        _activation = activation ?? ActivationFunction.Linear;
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

    /// <summary>The step between windows along each axis.</summary>
    public (int Depth, int Height, int Width) Strides { get; }

    /// <summary>Valid or Same.</summary>
    public Padding Padding { get; }

    /// <summary>The spacing of the kernel's taps along each axis.</summary>
    public (int Depth, int Height, int Width) DilationRate { get; }

    /// <summary>
    /// The activation applied to the output (linear unless given). Settable before or after the layer is built, as Keras'
    /// <c>layer.activation = ...</c> (transfer learning drops a final softmax this way): the next forward pass applies it
    /// (the layer's every call in a model, and the copies a model runs for other lengths or concurrent predictions), the
    /// next training step differentiates through it (a softmax newly set or removed is paired with a cross-entropy loss, or
    /// no longer, from that step on), and the layer's configuration saves it. Set it between passes, not while another
    /// thread runs the model.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null (for no activation, set <see cref="ActivationFunction.Linear"/>).</exception>
    public ActivationFunction Activation
    {
        get => ((Conv3D)Primary)._activation;
        set
        {
            if (value is null)
            {
                throw new ArgumentNullException(nameof(value), $"{Describe()}: the activation cannot be null; set ActivationFunction.Linear for none.");
            }

            ((Conv3D)Primary)._activation = value;
        }
    }

    /// <summary>Whether the layer has a bias.</summary>
    public bool UseBias { get; }

    /// <summary>The kernel's initializer.</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>The bias' initializer.</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The kernel's penalty, if any.</summary>
    public Regularizer? KernelRegularizer { get; }

    /// <summary>The bias' penalty, if any.</summary>
    public Regularizer? BiasRegularizer { get; }

    /// <summary>
    /// The projection the optimizer applies to the kernel after each step (Keras' <c>kernel_constraint</c>, such as
    /// <c>new Conv3D(8, 3) { KernelConstraint = new MaxNorm(3, axis: [0, 1, 2, 3]) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>The kernel (kernelDepth, kernelHeight, kernelWidth, channels, filters). Throws until the layer is built.</summary>
    public Parameter Kernel => _kernel ?? throw new InvalidOperationException($"{Describe()} has no kernel until it is built.");

    /// <summary>The bias (filters), or null without one. Throws until the layer is built.</summary>
    public Parameter? Bias => !UseBias ? null : _bias ?? throw new InvalidOperationException($"{Describe()} has no bias until it is built.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "conv3d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("filters", Filters)
        .Set("kernel_size", [KernelSize.Depth, KernelSize.Height, KernelSize.Width])
        .Set("strides", [Strides.Depth, Strides.Height, Strides.Width])
        .Set("padding", ConfigChecks.PaddingName(Padding))
        .Set("data_format", "channels_last")
        .Set("dilation_rate", [DilationRate.Depth, DilationRate.Height, DilationRate.Width])
        .Set("groups", 1)
        .Set("activation", Activation)
        .Set("use_bias", UseBias)
        .Set("kernel_initializer", KernelInitializer)
        .Set("bias_initializer", BiasInitializer)
        .Set("kernel_regularizer", KernelRegularizer)
        .Set("bias_regularizer", BiasRegularizer)
        .Set("kernel_constraint", KernelConstraint)
        .Set("bias_constraint", BiasConstraint);

    /// <summary>Keras' <c>from_config</c>: channels last and one group.</summary>
    internal static Conv3D FromConfig(Config config)
    {
        int filters = config.GetInt32("filters", minimum: 1);
        (int, int, int) kernelSize = VolumeChecks.ReadTriple(config, "kernel_size") ?? throw config.Error("\"kernel_size\" is missing.");
        Config d = config.WithDefaults(new Conv3D(filters, kernelSize).GetConfig());
        if (d.GetInt32("groups") != 1)
        {
            throw config.Error("\"groups\" other than 1 is not supported.");
        }

        ConfigChecks.RequireChannelsLast(config);
        (int Depth, int Height, int Width) strides = VolumeChecks.ReadTriple(d, "strides") ?? (1, 1, 1), dilation = VolumeChecks.ReadTriple(d, "dilation_rate") ?? (1, 1, 1);
        if (VolumeChecks.BothExceedOne(strides, dilation))
        {
            throw config.Error("\"strides\" and \"dilation_rate\" cannot both exceed 1.");
        }

        return new Conv3D(filters, kernelSize, strides, ConfigChecks.ReadPadding(d), dilation, d.GetActivation("activation"),
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
        VolumeGeometry geometry = VolumeChecks.Geometry(Describe(), inputShape, KernelSize, Strides, DilationRate, Padding);
        VolumeChecks.KernelFits(Describe(), KernelSize, inputShape[3], Filters);
        TensorShape outputShape = VolumeChecks.Shape(Describe(), geometry.Depth.Output, geometry.Height.Output, geometry.Width.Output, Filters,
            $"{Filters} filters on input {inputShape.ToBatchString()}");
        _geometry = geometry;
        _kernel = AddParameter("kernel", new TensorShape(KernelSize.Depth, KernelSize.Height, KernelSize.Width, inputShape[3], Filters),
            KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
        if (UseBias)
        {
            _bias = AddParameter("bias", new TensorShape(Filters), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        return outputShape;
    }

    /// <summary>
    /// The largest batch patch matrix, in bytes, the layer keeps (64 MiB); a larger one is packed chunk by chunk in each
    /// pass, with the same results. Internal: the tests set a tiny budget to run the chunked path on small shapes.
    /// </summary>
    internal long ColumnsBudgetBytes { get; set; } = PatchChunks.DefaultBudgetBytes;

    /// <summary>The length of the batch patch matrix kept (0 until a batch within the budget runs).</summary>
    internal int KeptColumnsLength => _cols.Length;

    /// <summary>The length of the chunk buffer the passes past the budget pack into (0 until one runs).</summary>
    internal int ChunkColumnsLength => _chunk.Length;

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        VolumeGeometry g = _geometry;
        int batch = input.Shape[0], patch = g.Taps * g.Channels, rows = batch * g.OutputPositions, sampleCols = g.OutputPositions * patch;
        ReadOnlySpan<float> x = input.AsReadOnlySpan(), kernel = Kernel.Value.AsReadOnlySpan();
        _batch = batch;
        _input = input;
        _z = BatchView(ref _zBuffer, batch, OutputShape);
        Span<float> z = _z.AsSpan();
        _chunked = PatchChunks.Exceed(rows, patch, ColumnsBudgetBytes);
        if (_chunked)
        {
            // Past the budget: rows are independent in this product, so each chunk's are those of the batch's product.
            int chunkRows = PatchChunks.Rows(ColumnsBudgetBytes, patch, rows);
            Span<float> chunk = PatchChunks.Buffer(ref _chunk, (long)chunkRows * patch);
            for (int first = 0; first < rows; first += chunkRows)
            {
                int count = Math.Min(chunkRows, rows - first);
                VolumeIm2Col.PackRows(x, g, first, count, chunk);
                Gemm.Multiply(false, false, count, Filters, patch, 1f, chunk[..(count * patch)], patch, kernel, Filters, 0f, z.Slice(first * Filters, count * Filters), Filters);
            }
        }
        else
        {
            long colsLength = (long)rows * patch;
            if (_cols.Length < colsLength)
            {
                _cols = new float[colsLength];
            }

            for (int n = 0; n < batch; n++)
            {
                VolumeIm2Col.Pack(x.Slice(n * g.InputSize, g.InputSize), g, _cols.AsSpan(n * sampleCols, sampleCols));
            }

            Gemm.Multiply(false, false, rows, Filters, patch, 1f, _cols.AsSpan(0, rows * patch), patch, kernel, Filters, 0f, z, Filters);
        }

        if (_bias is not null)
        {
            Convolution.AddBias(_bias.Value.AsReadOnlySpan(), z);
        }

        ActivationFunction activation = Activation;
        _ranActivation = activation;
        if (activation is Linear)
        {
            _y = _z;
            return _z;
        }

        _y = BatchView(ref _yBuffer, batch, OutputShape);
        activation.Forward(_z.AsReadOnlySpan(), _y.AsSpan(), Filters);
        return _y;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        VolumeGeometry g = _geometry;
        int batch = outputGradient.Shape[0], patch = g.Taps * g.Channels, rows = batch * g.OutputPositions;
        if (batch != _batch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last forward batch {_batch}).");
        }

        Tensor dz = outputGradient;
        if (_ranActivation is not Linear)
        {
            dz = BatchView(ref _dzBuffer, batch, OutputShape);
            _ranActivation.Backward(_z!.AsReadOnlySpan(), _y!.AsReadOnlySpan(), outputGradient.AsReadOnlySpan(), dz.AsSpan(), Filters);
        }

        ReadOnlySpan<float> dzSpan = dz.AsReadOnlySpan();
        if (_bias is { Trainable: true })
        {
            Convolution.AddColumnSums(dzSpan, Filters, _bias.Gradient.AsSpan());
        }

        if (Kernel.Trainable)
        {
            // Skipped while frozen: nothing reads a frozen layer's gradients.
            Span<float> kernelGradient = Kernel.GradientForProduct(out float beta);
            if (_chunked)
            {
                AddKernelGradientByChunks(dzSpan, rows, kernelGradient, beta);
            }
            else
            {
                Gemm.Multiply(true, false, patch, Filters, rows, 1f, _cols.AsSpan(0, rows * patch), patch, dzSpan, Filters, beta, kernelGradient, Filters);
            }
        }

        Tensor inputGradient = BatchView(ref _dxBuffer, batch, InputShape);
        if (!ComputesInputGradient)
        {
            return inputGradient;
        }

        int sampleCols = g.OutputPositions * patch, sampleOutput = g.OutputPositions * Filters;
        if (_patchGradient.Length < sampleCols)
        {
            _patchGradient = new float[sampleCols];
        }

        Span<float> dx = inputGradient.AsSpan(), patchGradient = _patchGradient.AsSpan(0, sampleCols);
        dx.Clear();
        ReadOnlySpan<float> kernel = Kernel.Value.AsReadOnlySpan();
        for (int n = 0; n < batch; n++)
        {
            Gemm.Multiply(false, true, g.OutputPositions, patch, Filters, 1f, dzSpan.Slice(n * sampleOutput, sampleOutput), Filters, kernel, Filters, 0f, patchGradient, patch);
            VolumeIm2Col.AddUnpack(patchGradient, g, dx.Slice(n * g.InputSize, g.InputSize));
        }

        return inputGradient;
    }

    // dkernel += colsᵀ · dz, packing the patch rows again a chunk at a time (chunks in whole GEMM depth blocks, each after
    // the first added with beta 1: the bits of the one product over the kept matrix; PatchChunks).
    private void AddKernelGradientByChunks(ReadOnlySpan<float> dz, int rows, Span<float> kernelGradient, float beta)
    {
        VolumeGeometry g = _geometry;
        int patch = g.Taps * g.Channels, chunkRows = PatchChunks.Rows(ColumnsBudgetBytes, patch, rows);
        Span<float> chunk = PatchChunks.Buffer(ref _chunk, (long)chunkRows * patch);
        ReadOnlySpan<float> x = _input!.AsReadOnlySpan();
        for (int first = 0; first < rows; first += chunkRows)
        {
            int count = Math.Min(chunkRows, rows - first);
            VolumeIm2Col.PackRows(x, g, first, count, chunk);
            Gemm.Multiply(true, false, patch, Filters, count, 1f, chunk[..(count * patch)], patch, dz.Slice(first * Filters, count * Filters), Filters,
                first == 0 ? beta : 1f, kernelGradient, Filters);
        }
    }
}
