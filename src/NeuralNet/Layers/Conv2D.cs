using System.Numerics.Tensors;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A 2-D convolution over channels-last images (Keras <c>Conv2D</c>): <c>output = activation(conv(input, kernel) + bias)</c>.
/// </summary>
/// <remarks>
/// <para>Input per sample (height, width, channels); output (outHeight, outWidth, filters). The kernel has Keras' shape
/// (kernelHeight, kernelWidth, channels, filters) and the bias (filters).</para>
/// <para>The forward pass unfolds the batch into a patch matrix (im2col) and multiplies it by the kernel with one
/// matrix product; the backward pass reuses the patch matrix for the kernel gradient and, unless
/// <see cref="Layer.ComputesInputGradient"/> is off, folds dOutput · kernelᵀ back onto the input (col2im). A batch
/// whose patch matrix would pass 64 MiB keeps none: the backward pass packs it again a bounded chunk at a time, with
/// the same results. Every buffer is created for the largest batch seen, so steady-state training allocates nothing.</para>
/// </remarks>
public sealed partial class Conv2D : Layer, IKernelLayer
{
    private readonly Initializer _kernelInitializer;
    private readonly Initializer _biasInitializer;
    private readonly Regularizer? _kernelRegularizer;
    private readonly Regularizer? _biasRegularizer;
    private Step _imageForward = null!;
    private Step _activationBackward = null!;
    private Step _col2im = null!;
    private Step _directForward = null!;
    private Step _directBackward = null!;
    private Step _packColumns = null!;
    private bool _direct;
    private float[] _kernelPartials = [];
    private Tensor? _dzForData;

    // One image's patch-gradient matrix, per thread (see InputGradient).
    [ThreadStatic]
    private static float[]? s_patchGradient;

    // One group's patch matrix in inference (see ColumnsOf), per thread and shared by every Conv2D: an inference pass
    // keeps no patch matrix, which for a batch of large images would be gigabytes per layer.
    [ThreadStatic]
    private static float[]? s_inferenceColumns;
    private Parameter? _kernel;
    private Parameter? _bias;
    private ConvGeometry _geometry;
    private float[] _cols = [];
    private bool _columnsKept;
    private float[] _biasPartials = [];
    private Tensor? _zBuffer;
    private Tensor? _yBuffer;
    private Tensor? _dzBuffer;
    private Tensor? _dxBuffer;
    private Tensor? _z;
    private Tensor? _y;
    private Tensor? _dz;

    // The activation the running backward pass differentiates through: Activation, or null from the logits' gradient.
    private ActivationFunction? _backwardActivation;
    private Tensor? _dx;
    private Tensor? _input;
    private Tensor? _outputGradient;
    private int _batch;
    private int _groupImages = 1;
    private readonly bool _fusedRelu;
    private readonly bool _general;
    private DilatedConvGeometry _dilated;
    private bool _fusedEpilogue;

    /// <summary>Creates a convolution with a square kernel and equal strides.</summary>
    /// <param name="filters">The number of output channels, at least 1.</param>
    /// <param name="kernelSize">The height and width of the kernel, at least 1.</param>
    /// <param name="strides">The step between windows along both axes, at least 1.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (no padding) or <see cref="Padding.Same"/> (zero padding, output ceil(in / stride)).</param>
    /// <param name="dilationRate">The spacing of the kernel's taps along both axes, at least 1; cannot exceed 1 with strides above 1 (Keras).</param>
    /// <param name="groups">The number of channel groups, dividing both the input channels and <paramref name="filters"/>: group g's filters see only group g's channels (Keras <c>groups</c>).</param>
    /// <param name="activation">Applied to the output; null for none (linear).</param>
    /// <param name="useBias">Whether to add a bias per filter.</param>
    /// <param name="kernelInitializer">Fills the kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>conv2d</c>, <c>conv2d_1</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count, size, stride, dilation or group count is below 1, strides and dilation both exceed 1, or the groups do not divide the filters.</exception>
    public Conv2D(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, int dilationRate = 1, int groups = 1,
        ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, string? name = null)
        : this(filters, (kernelSize, kernelSize), (strides, strides), padding, (dilationRate, dilationRate), groups, activation, useBias,
            kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, name)
    {
    }

    /// <summary>Creates a convolution with a rectangular kernel and per-axis strides.</summary>
    /// <param name="filters">The number of output channels, at least 1.</param>
    /// <param name="kernelSize">The kernel's (height, width), each at least 1.</param>
    /// <param name="strides">The (vertical, horizontal) step between windows, each at least 1; (1, 1) when null.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (no padding) or <see cref="Padding.Same"/> (zero padding, output ceil(in / stride)).</param>
    /// <param name="dilationRate">The (vertical, horizontal) spacing of the kernel's taps, each at least 1; (1, 1) when null. Cannot exceed 1 with strides above 1 (Keras).</param>
    /// <param name="groups">The number of channel groups, dividing both the input channels and <paramref name="filters"/>: group g's filters see only group g's channels (Keras <c>groups</c>).</param>
    /// <param name="activation">Applied to the output; null for none (linear).</param>
    /// <param name="useBias">Whether to add a bias per filter.</param>
    /// <param name="kernelInitializer">Fills the kernel; Glorot uniform when null.</param>
    /// <param name="biasInitializer">Fills the bias; zeros when null.</param>
    /// <param name="kernelRegularizer">A penalty on the kernel, if any.</param>
    /// <param name="biasRegularizer">A penalty on the bias, if any.</param>
    /// <param name="name">The layer's name; the model names it <c>conv2d</c>, <c>conv2d_1</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count, size, stride, dilation or group count is below 1, strides and dilation both exceed 1, or the groups do not divide the filters.</exception>
    public Conv2D(int filters, (int Height, int Width) kernelSize, (int Height, int Width)? strides = null, Padding padding = Padding.Valid,
        (int Height, int Width)? dilationRate = null, int groups = 1, ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, string? name = null)
        : base(name)
    {
        (int Height, int Width) s = strides ?? (1, 1);
        RequirePositive(filters, nameof(filters), "filters");
        RequirePositive(kernelSize.Height, nameof(kernelSize), "kernel height");
        RequirePositive(kernelSize.Width, nameof(kernelSize), "kernel width");
        RequirePositive(s.Height, nameof(strides), "vertical stride");
        RequirePositive(s.Width, nameof(strides), "horizontal stride");
        if (padding is not (Padding.Valid or Padding.Same))
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{Describe()} expects padding Valid or Same. Received: padding={padding}.");
        }

        (int Height, int Width) d = dilationRate ?? (1, 1);
        ConvolutionChecks.Positive(Describe(), d, nameof(dilationRate), "dilation rates");
        ConvolutionChecks.StridesWithDilation(Describe(), s, d);
        RequirePositive(groups, nameof(groups), "groups");
        if (filters % groups != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(groups), groups,
                $"{Describe()}: the number of filters must be evenly divisible by the number of groups. Received: groups={groups}, filters={filters}.");
        }

        DilationRate = d;
        Groups = groups;
        _general = d != (1, 1) || groups != 1;

        Filters = filters;
        KernelSize = kernelSize;
        Strides = s;
        Padding = padding;
        Activation = activation is Linear ? null : activation;
        UseBias = useBias;
        _fusedRelu = Activation is Relu;
        _kernelInitializer = kernelInitializer ?? new GlorotUniform();
        _biasInitializer = biasInitializer ?? Zeros.Instance;
        _kernelRegularizer = kernelRegularizer;
        _biasRegularizer = biasRegularizer;
    }

    private enum StepKind
    {
        DirectForward,
        DirectBackward,
        ImageForward,
        ActivationBackward,
        Col2Im,
        PooledForward,
        PooledBackward,
        PackColumns,
        FewForward,
        FewBackward,
        PackChunk,
    }

    /// <summary>The number of output channels.</summary>
    public int Filters { get; }

    /// <summary>The kernel's (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>The (vertical, horizontal) step between windows.</summary>
    public (int Height, int Width) Strides { get; }

    /// <summary>How borders are handled.</summary>
    public Padding Padding { get; }

    /// <summary>The (vertical, horizontal) spacing of the kernel's taps; (1, 1) for a plain convolution.</summary>
    public (int Height, int Width) DilationRate { get; }

    /// <summary>The number of channel groups; 1 for a plain convolution.</summary>
    public int Groups { get; }

    /// <summary>The activation applied to the output, or null for none.</summary>
    public ActivationFunction? Activation { get; }

    /// <summary>Whether a bias is added per filter.</summary>
    public bool UseBias { get; }

    /// <summary>The kernel's initializer (saved in model files).</summary>
    public Initializer KernelInitializer => _kernelInitializer;

    /// <summary>The bias's initializer (saved in model files).</summary>
    public Initializer BiasInitializer => _biasInitializer;

    /// <summary>The kernel's penalty, or null.</summary>
    public Regularizer? KernelRegularizer => _kernelRegularizer;

    /// <summary>The bias's penalty, or null.</summary>
    public Regularizer? BiasRegularizer => _biasRegularizer;

    /// <summary>
    /// The projection the optimizer applies to the kernel after each step (Keras' <c>kernel_constraint</c>, such as
    /// <c>new Conv2D(32, (3, 3)) { KernelConstraint = new MaxNorm(3, axis: [0, 1, 2]) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>The kernel, (kernelHeight, kernelWidth, channels / groups, filters). Throws until the layer is built.</summary>
    public Parameter Kernel => _kernel ?? throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <summary>The bias, (filters), or null when <see cref="UseBias"/> is false. Throws until the layer is built.</summary>
    public Parameter? Bias => IsBuilt ? _bias : throw new InvalidOperationException($"{Describe()} has not been built yet.");

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "conv2d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("filters", Filters)
        .Set("kernel_size", [KernelSize.Height, KernelSize.Width])
        .Set("strides", [Strides.Height, Strides.Width])
        .Set("padding", ConfigChecks.PaddingName(Padding))
        .Set("data_format", "channels_last")
        .Set("dilation_rate", [DilationRate.Height, DilationRate.Width])
        .Set("groups", Groups)
        .Set("activation", Activation ?? ActivationFunction.Linear)
        .Set("use_bias", UseBias)
        .Set("kernel_initializer", KernelInitializer)
        .Set("bias_initializer", BiasInitializer)
        .Set("kernel_regularizer", KernelRegularizer)
        .Set("bias_regularizer", BiasRegularizer)
        .Set("kernel_constraint", KernelConstraint)
        .Set("bias_constraint", BiasConstraint);

    /// <summary>Keras' <c>from_config</c>: channels last.</summary>
    internal static Conv2D FromConfig(Config config)
    {
        int filters = config.GetInt32("filters", minimum: 1);
        (int, int) kernelSize = ConfigChecks.ReadPair(config, "kernel_size") ?? throw config.Error("\"kernel_size\" is missing.");
        Config d = config.WithDefaults(new Conv2D(filters, kernelSize).GetConfig());
        ConfigChecks.RequireChannelsLast(config);
        (int, int)? strides = ConfigChecks.ReadPair(d, "strides"), dilation = ConfigChecks.ReadPair(d, "dilation_rate");
        int groups = d.GetInt32("groups", minimum: 1);
        if (filters % groups != 0)
        {
            throw config.Error($"\"groups\" ({groups}) must divide \"filters\" ({filters}).");
        }

        if (strides is (> 1, _) or (_, > 1) && dilation is (> 1, _) or (_, > 1))
        {
            throw config.Error("\"strides\" and \"dilation_rate\" cannot both exceed 1.");
        }

        return new Conv2D(
            filters,
            kernelSize,
            strides,
            ConfigChecks.ReadPadding(d),
            dilation,
            groups,
            d.GetActivation("activation"),
            d.GetBoolean("use_bias"),
            d.GetInitializer("kernel_initializer"),
            d.GetInitializer("bias_initializer"),
            d.GetRegularizer("kernel_regularizer"),
            d.GetRegularizer("bias_regularizer"),
            config.GetString("name"))
        {
            KernelConstraint = d.GetConstraint("kernel_constraint"),
            BiasConstraint = d.GetConstraint("bias_constraint"),
        };
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != 3)
        {
            throw new ArgumentException($"{Describe()} expects input of rank 3 per sample (height, width, channels), such as (None, 28, 28, 1), but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        if (_general)
        {
            return BuildGeneral(inputShape);
        }

        if (!ConvGeometry.TryCreate(inputShape[0], inputShape[1], inputShape[2], KernelSize.Height, KernelSize.Width,
            Strides.Height, Strides.Width, Padding == Padding.Same, out _geometry))
        {
            throw new ArgumentException($"{Describe()} kernel ({KernelSize.Height}, {KernelSize.Width}) is larger than its input {inputShape.ToBatchString()} with padding {Padding}.", nameof(inputShape));
        }

        _kernel = AddParameter("kernel", new TensorShape(KernelSize.Height, KernelSize.Width, inputShape[2], Filters), _kernelInitializer, _kernelRegularizer, constraint: KernelConstraint);
        if (UseBias)
        {
            _bias = AddParameter("bias", new TensorShape(Filters), _biasInitializer, _biasRegularizer, constraint: BiasConstraint);
        }

        _fusedEpilogue = _bias is not null && (Activation is null || _fusedRelu);

        // Made here, not in the constructor: each instance of a shared layer runs its own steps.
        _imageForward = new Step(this, StepKind.ImageForward);
        _activationBackward = new Step(this, StepKind.ActivationBackward);
        _col2im = new Step(this, StepKind.Col2Im);
        _directForward = new Step(this, StepKind.DirectForward);
        _directBackward = new Step(this, StepKind.DirectBackward);
        _packColumns = new Step(this, StepKind.PackColumns);
        _packChunk = new Step(this, StepKind.PackChunk);
        _pooledForward = new Step(this, StepKind.PooledForward);
        _pooledBackward = new Step(this, StepKind.PooledBackward);

        // Small patches (a first layer on few channels) convolve directly; im2col + GEMM would mostly move data.
        _direct = ConvDirect.Supports(_geometry, Filters) && (Activation is null || _fusedRelu);
        BuildFewFilters();
        return new TensorShape(_geometry.OutHeight, _geometry.OutWidth, Filters);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0];
        if (_general)
        {
            return ForwardGeneral(input);
        }

        // Training keeps the whole batch's patch matrix for the kernel gradient, unless it would pass the budget;
        // inference packs each group into a per-thread matrix instead (a backward pass after it packs the batch again,
        // see KeepColumns, or chunk by chunk past the budget: Conv2D.Chunked.cs).
        _columnsKept = training && !ColumnsExceedBudget(batch);
        EnsureScratch(batch);
        _input = input;
        _batch = batch;
        if (_direct)
        {
            _z = BatchView(ref _zBuffer, batch, OutputShape);
            _y = _z;
            ConvParallel.For(batch, _directForward);
            return _z;
        }

        _z = BatchView(ref _zBuffer, batch, OutputShape);
        _y = _fusedEpilogue || Activation is null ? _z : BatchView(ref _yBuffer, batch, OutputShape);
        if (_fewFilters)
        {
            ConvParallel.For(batch, _fewForward);
            return _y;
        }

        // One work item per image: im2col into the image's rows of the patch matrix (kept for the kernel gradient),
        // then the image's product while those rows are in cache. With a bias and no activation or ReLU, the GEMM
        // applies both to each output tile (ReLU's backward pass needs only the output, so no pre-activation is kept).
        _groupImages = ImagesPerGroup(batch);
        ConvParallel.For(GroupCount(batch), _imageForward);
        return _y;
    }

    /// <inheritdoc/>
    public override bool EndsWithSoftmax => Activation is Activations.Softmax;

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        _backwardActivation = Activation;
        return BackwardFrom(outputGradient);
    }

    /// <inheritdoc/>
    protected override Tensor OnBackwardFromLogitsGradient(Tensor logitsGradient)
    {
        // A per-pixel softmax over the filters: the loss hands dLoss/dz, so the softmax derivative is skipped.
        _backwardActivation = null;
        return BackwardFrom(logitsGradient);
    }

    // outputGradient is dLoss/dy, or dLoss/dz when _backwardActivation is null.
    private Tensor BackwardFrom(Tensor outputGradient)
    {
        if (_input is null || outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        if (_general)
        {
            return BackwardGeneral(outputGradient);
        }

        int batch = _batch;
        _outputGradient = outputGradient;
        Tensor dz = outputGradient;
        if (_backwardActivation is not null)
        {
            _dz = BatchView(ref _dzBuffer, batch, OutputShape);
            dz = _dz;
        }

        if (_direct)
        {
            return DirectBackward(outputGradient, dz);
        }

        if (_backwardActivation is not null || _bias is not null)
        {
            ConvParallel.For(batch, _activationBackward);
        }

        if (_fewFilters)
        {
            return FewFiltersBackward(outputGradient, dz);
        }

        AddBiasPartials();

        // Skipped while frozen: nothing reads a frozen layer's gradients, and this product is as large as the forward one.
        if (_kernel!.Trainable)
        {
            AddKernelGradient(dz.AsReadOnlySpan());
        }

        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        return InputGradient(dz);
    }

    // dkernel += colsᵀ · dz: from the kept patch matrix, or the batch's packed again now, or past the budget chunk by chunk.
    private void AddKernelGradient(ReadOnlySpan<float> dz)
    {
        if (!_columnsKept && ColumnsExceedBudget(_batch))
        {
            AddKernelGradientByChunks(dz);
            return;
        }

        int rows = _batch * _geometry.OutputPixels, patch = _geometry.PatchSize;
        KeepColumns();
        Convolution.BackwardFilter(_cols.AsSpan(0, rows * patch), dz, rows, patch, Filters, _kernel!.Gradient.AsSpan());
    }

    // Image n's bias-gradient partial: the column sums of its dz.
    private void BiasPartial(int n, ReadOnlySpan<float> dz)
    {
        if (_bias is not null)
        {
            Span<float> partial = _biasPartials.AsSpan(n * Filters, Filters);
            partial.Clear();
            Convolution.AddColumnSums(dz, Filters, partial);
        }
    }

    // Per-image kernel and bias partials from the direct kernel, summed in image order (the same bits on any
    // thread count); then, when the input gradient is needed, dX = col2im(dZ · kernelᵀ) as in the GEMM path.
    private Tensor DirectBackward(Tensor outputGradient, Tensor dz)
    {
        EnsureKernelPartials(_batch);
        ConvParallel.For(_batch, _directBackward);
        AddPartials();
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        return InputGradient(dz);
    }

    // The direct kernels' per-image kernel and bias partials, added in image order: the same bits on any thread count.
    private void AddPartials()
    {
        int kernelSize = _geometry.PatchSize * Filters;
        if (_kernel!.Trainable)
        {
            Span<float> kernelGradient = _kernel.Gradient.AsSpan();
            for (int n = 0; n < _batch; n++)
            {
                TensorPrimitives.Add(kernelGradient, _kernelPartials.AsSpan(n * kernelSize, kernelSize), kernelGradient);
            }
        }

        AddBiasPartials();
    }

    private void AddBiasPartials()
    {
        if (_bias is { Trainable: true })
        {
            Span<float> biasGradient = _bias.Gradient.AsSpan();
            for (int n = 0; n < _batch; n++)
            {
                TensorPrimitives.Add(biasGradient, _biasPartials.AsSpan(n * Filters, Filters), biasGradient);
            }
        }
    }

    // dX = col2im(dZ · kernelᵀ), one image per work item: the image's patch-gradient matrix (OH*OW, KH*KW*C) goes
    // to a per-thread scratch that col2im reads back while it is still in cache, instead of a whole-batch matrix
    // that would make a round trip through memory. Each image's product is small enough for Gemm to keep it on the
    // calling thread, so the images spread over the threads.
    private Tensor InputGradient(Tensor dz)
    {
        _dzForData = dz;
        _dx = BatchView(ref _dxBuffer, _batch, InputShape);
        _groupImages = ImagesPerGroup(_batch);
        ConvParallel.For(GroupCount(_batch), _col2im);
        _dzForData = null;
        return _dx;
    }

    /// <summary>The length of the whole batch's patch matrix the layer holds (0 until a training pass or a backward pass needs one).</summary>
    internal int KeptColumnsLength => _cols.Length;

    /// <summary>The length of the direct or few-filter path's per-image kernel-gradient partials (0 until a training pass or a backward pass needs them).</summary>
    internal int KeptKernelPartialsLength => _kernelPartials.Length;

    // The whole batch's patch matrix (not for the direct and few-filter paths, which have none); refused before anything
    // runs when no array can hold it.
    private void EnsureColumns(int batch)
    {
        if (_direct || _fewFilters)
        {
            return;
        }

        long colsLength = (long)batch * _geometry.OutputPixels * _geometry.PatchSize;
        if (colsLength > Array.MaxLength)
        {
            throw new InvalidOperationException($"{Describe()}: a batch of {batch} needs a patch matrix of {colsLength} elements, more than an array holds; use smaller batches.");
        }

        if (_cols.Length < colsLength)
        {
            _cols = new float[colsLength];
        }
    }

    // The direct and few-filter paths' per-image kernel-gradient partials, (batch, KH*KW*C, F): only a backward pass
    // reads them, so a training forward pass makes them (refused there, before anything runs, when no array can hold
    // them) and so does a backward pass after an inference one; inference alone never does.
    private void EnsureKernelPartials(int batch)
    {
        if (!_direct && !_fewFilters)
        {
            return;
        }

        long length = (long)batch * _geometry.PatchSize * Filters;
        if (length > Array.MaxLength)
        {
            throw new InvalidOperationException($"{Describe()}: a batch of {batch} needs {length} kernel-gradient partials ({_geometry.PatchSize} x {Filters} per image), more than an array holds; use smaller batches.");
        }

        if (_kernelPartials.Length < length)
        {
            _kernelPartials = new float[length];
        }
    }

    // The patch rows of the group starting at image first: in the whole batch's matrix when the forward pass keeps it
    // (training), else in this thread's matrix, which the group's product reads at once.
    private Span<float> ColumnsOf(int first, int rows)
    {
        int patch = _geometry.PatchSize;
        if (_columnsKept)
        {
            return _cols.AsSpan(first * _geometry.OutputPixels * patch, rows * patch);
        }

        int length = rows * patch;
        float[] columns = s_inferenceColumns is { } held && held.Length >= length ? held : s_inferenceColumns = new float[length];
        return columns.AsSpan(0, length);
    }

    // The kernel gradient reads the whole batch's patch matrix, which an inference pass did not keep (a gradient with
    // respect to the input of a model run with training: false, say): packed again here, the same values.
    private void KeepColumns()
    {
        if (_columnsKept)
        {
            return;
        }

        EnsureColumns(_batch);
        _groupImages = ImagesPerGroup(_batch);
        ConvParallel.For(GroupCount(_batch), _packColumns);
        _columnsKept = true;
    }

    private void EnsureScratch(int batch)
    {
        if (_columnsKept)
        {
            EnsureColumns(batch);
            EnsureKernelPartials(batch);
        }

        if (_biasPartials.Length < batch * Filters)
        {
            _biasPartials = new float[batch * Filters];
        }
    }

    private void RunStep(StepKind kind, int n)
    {
        ConvGeometry g = _geometry;
        int pixels = g.OutputPixels, patch = g.PatchSize, outSize = pixels * Filters;
        switch (kind)
        {
            case StepKind.DirectForward:
                ConvDirect.Forward(_input!.AsReadOnlySpan().Slice(n * g.InputSize, g.InputSize), _kernel!.Value.AsReadOnlySpan(),
                    _bias is null ? default : _bias.Value.AsReadOnlySpan(), g, Filters, _fusedRelu, _z!.AsSpan().Slice(n * outSize, outSize));
                break;
            case StepKind.DirectBackward:
                ConvDirect.BackwardFilter(_input!.AsReadOnlySpan().Slice(n * g.InputSize, g.InputSize), _y!.AsReadOnlySpan().Slice(n * outSize, outSize),
                    _outputGradient!.AsReadOnlySpan().Slice(n * outSize, outSize), g, Filters, _fusedRelu,
                    _kernelPartials.AsSpan(n * patch * Filters, patch * Filters), _bias is null ? default : _biasPartials.AsSpan(n * Filters, Filters),
                    ComputesInputGradient && _backwardActivation is not null ? _dz!.AsSpan().Slice(n * outSize, outSize) : default);
                break;
            case StepKind.ImageForward:
            {
                (int first, int images) = Group(n);
                int rows = images * pixels;
                Span<float> cols = ColumnsOf(first, rows);
                Span<float> z = _z!.AsSpan().Slice(first * outSize, images * outSize);
                ReadOnlySpan<float> kernel = _kernel!.Value.AsReadOnlySpan();
                Im2Col.Pack(_input!.AsReadOnlySpan().Slice(first * g.InputSize, images * g.InputSize), g, images, cols);
                if (_fusedEpilogue)
                {
                    Gemm.Multiply(false, false, rows, Filters, patch, cols, patch, kernel, Filters, _bias!.Value.AsReadOnlySpan(),
                        _fusedRelu ? GemmActivation.Relu : GemmActivation.None, z, Filters);
                    break;
                }

                Convolution.ForwardGemm(cols, kernel, rows, patch, Filters, z);
                if (_bias is not null)
                {
                    Convolution.AddBias(_bias.Value.AsReadOnlySpan(), z);
                }

                // Image by image: TensorPrimitives computes spans of under four floats with scalar code and longer ones
                // with vector code, which can differ in the last bit, and how many images a work item holds depends on
                // the thread count.
                if (Activation is not null)
                {
                    Span<float> y = _y!.AsSpan().Slice(first * outSize, images * outSize);
                    for (int i = 0; i < images; i++)
                    {
                        Activation.Forward(z.Slice(i * outSize, outSize), y.Slice(i * outSize, outSize), Filters);
                    }
                }

                break;
            }

            case StepKind.ActivationBackward:
            {
                ReadOnlySpan<float> dy = _outputGradient!.AsReadOnlySpan().Slice(n * outSize, outSize);
                if (_backwardActivation is not null)
                {
                    Span<float> dz = _dz!.AsSpan().Slice(n * outSize, outSize);
                    _backwardActivation.Backward(_z!.AsReadOnlySpan().Slice(n * outSize, outSize), _y!.AsReadOnlySpan().Slice(n * outSize, outSize), dy, dz, Filters);
                    dy = dz;
                }

                BiasPartial(n, dy);
                break;
            }

            case StepKind.PooledForward:
                RunPooledForward(n);
                break;
            case StepKind.PackColumns:
            {
                (int first, int images) = Group(n);
                Im2Col.Pack(_input!.AsReadOnlySpan().Slice(first * g.InputSize, images * g.InputSize), g, images, _cols.AsSpan(first * pixels * patch, images * pixels * patch));
                break;
            }

            case StepKind.PooledBackward:
                RunPooledBackward(n);
                break;
            case StepKind.FewForward:
                RunFewForward(n);
                break;
            case StepKind.FewBackward:
                RunFewBackward(n);
                break;
            case StepKind.PackChunk:
                PackChunkPiece(n);
                break;
            case StepKind.Col2Im:
            {
                (int first, int images) = Group(n);
                int rows = images * pixels;
                float[] scratch = s_patchGradient is { } buffer && buffer.Length >= rows * patch ? buffer : (s_patchGradient = new float[rows * patch]);
                Span<float> patchGradient = scratch.AsSpan(0, rows * patch);
                Convolution.BackwardData(_dzForData!.AsReadOnlySpan().Slice(first * outSize, images * outSize), _kernel!.Value.AsReadOnlySpan(), rows, patch, Filters, patchGradient);
                Im2Col.Unpack(patchGradient, g, images, _dx!.AsSpan().Slice(first * g.InputSize, images * g.InputSize));
                break;
            }
        }
    }

    // Images per work item of the im2col + GEMM steps. One image of E4.3's second convolution is 121 patch rows, so its
    // product ends in a 1-row tile (121 = 10 x 12 + 1) and repacks the kernel for only 121 rows; a few images per item
    // amortise both while their patch matrix still fits the per-core L2 cache. Enough items remain to share out over
    // the threads, and the arithmetic per output element does not depend on the grouping.
    private int ImagesPerGroup(int batch)
    {
        const long L2Budget = 512 * 1024;
        long bytesPerImage = (long)_geometry.OutputPixels * _geometry.PatchSize * sizeof(float);
        int images = (int)Math.Clamp(L2Budget / Math.Max(1, bytesPerImage), 1, MaxImagesPerGroup);
        int minimumItems = 4 * Math.Max(1, Parallelism.MaxDegreeOfParallelism);
        return Math.Max(1, Math.Min(images, batch / minimumItems));
    }

    private const int MaxImagesPerGroup = 4;

    private int GroupCount(int batch) => (batch + _groupImages - 1) / _groupImages;

    private (int First, int Images) Group(int item)
    {
        int first = item * _groupImages;
        return (first, Math.Min(_groupImages, _batch - first));
    }

    private void RequirePositive(int value, string parameter, string what)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(parameter, value, $"{Describe()} expects a positive {what}. Received: {parameter}={value}.");
        }
    }

    private sealed class Step(Conv2D layer, StepKind kind) : ParallelWork
    {
        public override void Run(int index) => layer.RunStep(kind, index);
    }
}
