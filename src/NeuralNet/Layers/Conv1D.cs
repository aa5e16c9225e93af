using System.Globalization;
using System.Numerics.Tensors;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A 1-D convolution over time (Keras' <c>Conv1D</c>): input (batch, steps, channels), kernel (kernelSize, channels, filters),
/// output (batch, outSteps, filters) with y[o, f] = act(b[f] + Σ_j Σ_c x[o·strides + j·dilation − padBefore, c] · kernel[j, c, f]).
/// </summary>
/// <remarks>
/// Output length: 'valid' ⌊(steps − dilation·(kernel − 1) − 1) / strides⌋ + 1; 'same' ⌈steps / strides⌉, zeros split
/// evenly with the odd one after; 'causal' pads dilation·(kernel − 1) zeros before the sequence only, so each output step
/// sees only its own and earlier steps. As in Keras, strides and dilation cannot both exceed 1. Runs as one GEMM over
/// the (batch·outSteps, kernel·channels) patches; a batch whose patch matrix would pass 64 MiB keeps none, and each pass
/// gathers the patches a bounded chunk at a time instead, with the same results. The gather and its reverse run one sample
/// per work item on the library's worker threads, with the same bits for every thread count.
/// </remarks>
/// <example><c>model.Add(new Conv1D(64, 5, padding: Padding.Causal, dilationRate: 2, activation: ActivationFunction.Relu));</c></example>
public sealed class Conv1D : Layer, IKernelLayer
{
    private Parameter? _kernel;
    private Parameter? _bias;
    private int _steps;
    private int _channels;
    private int _outSteps;
    private int _padBefore;
    private TensorShape _patchShape;
    private Tensor? _patches;
    private Tensor? _preActivation;

    // The activation (on the layer itself; a copy reads its primary's, see Activation).
    private ActivationFunction _activation = ActivationFunction.Linear;

    // The activation the last forward pass applied, which its backward pass differentiates through.
    private ActivationFunction _ranActivation = ActivationFunction.Linear;
    private Tensor? _output;
    private Tensor? _preActivationGradient;
    private Tensor? _patchGradients;
    private Tensor? _inputGradient;
    private Tensor? _input;
    private float[] _chunk = [];
    private PatchStep? _gather;
    private PatchStep? _scatter;
    private bool _chunked;
    private int _lastBatch = -1;

    /// <summary>Creates a 1-D convolution.</summary>
    /// <param name="filters">The number of output channels.</param>
    /// <param name="kernelSize">The window length.</param>
    /// <param name="strides">The step between windows.</param>
    /// <param name="padding">Valid, Same or Causal.</param>
    /// <param name="dilationRate">The spacing of the window's taps.</param>
    /// <param name="activation">The activation; linear when null.</param>
    /// <param name="useBias">Whether the layer has a bias.</param>
    /// <param name="kernelInitializer">The kernel's initializer; glorot_uniform when null.</param>
    /// <param name="biasInitializer">The bias' initializer; zeros when null.</param>
    /// <param name="kernelRegularizer">The kernel's penalty, if any.</param>
    /// <param name="biasRegularizer">The bias' penalty, if any.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>conv1d</c>, <c>conv1d_1</c>, ...</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is below 1, the padding unknown, or both strides and dilation exceed 1.</exception>
    public Conv1D(int filters, int kernelSize, int strides = 1, Padding padding = Padding.Valid, int dilationRate = 1,
        ActivationFunction? activation = null, bool useBias = true, Initializer? kernelInitializer = null, Initializer? biasInitializer = null,
        Regularizer? kernelRegularizer = null, Regularizer? biasRegularizer = null, string? name = null)
        : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(filters, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(kernelSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(strides, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dilationRate, 1);
        if (!Enum.IsDefined(padding))
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, "Conv1D expects padding Valid, Same or Causal.");
        }

        if (strides > 1 && dilationRate > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dilationRate), dilationRate,
                string.Create(CultureInfo.InvariantCulture, $"Conv1D cannot combine strides > 1 with dilationRate > 1 (got strides={strides}, dilationRate={dilationRate}), as in Keras."));
        }

        Filters = filters;
        KernelSize = kernelSize;
        Strides = strides;
        Padding = padding;
        DilationRate = dilationRate;
        _activation = activation ?? ActivationFunction.Linear;
        UseBias = useBias;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        BiasInitializer = biasInitializer ?? new Zeros();
        KernelRegularizer = kernelRegularizer;
        BiasRegularizer = biasRegularizer;
    }

    /// <summary>The number of output channels.</summary>
    public int Filters { get; }

    /// <summary>The window length.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Strides { get; }

    /// <summary>Valid, Same or Causal.</summary>
    public Padding Padding { get; }

    /// <summary>The spacing of the window's taps.</summary>
    public int DilationRate { get; }

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
        get => ((Conv1D)Primary)._activation;
        set
        {
            if (value is null)
            {
                throw new ArgumentNullException(nameof(value), $"{Describe()}: the activation cannot be null; set ActivationFunction.Linear for none.");
            }

            ((Conv1D)Primary)._activation = value;
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
    /// <c>new Conv1D(32, 3) { KernelConstraint = new MaxNorm(3, axis: [0, 1]) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>The kernel (kernelSize, channels, filters).</summary>
    public Parameter Kernel => _kernel ?? throw new InvalidOperationException($"{Describe()} has no kernel until it is built.");

    /// <summary>The bias (filters), or null without one.</summary>
    public Parameter? Bias => !UseBias ? null : _bias ?? throw new InvalidOperationException($"{Describe()} has no bias until it is built.");

    /// <summary>
    /// The largest batch patch matrix, in bytes, the layer keeps (64 MiB); a larger one is gathered chunk by chunk in each
    /// pass, with the same results. Internal: the tests set a tiny budget to run the chunked path on small shapes.
    /// </summary>
    internal long ColumnsBudgetBytes { get; set; } = PatchChunks.DefaultBudgetBytes;

    /// <summary>The length of the batch patch matrix kept (0 until a batch within the budget runs).</summary>
    internal int KeptColumnsLength => _patches?.Length ?? 0;

    /// <summary>The length of the chunk buffer the passes past the budget gather into (0 until one runs).</summary>
    internal int ChunkColumnsLength => _chunk.Length;

    /// <summary>The zeros padded before the sequence (after building).</summary>
    public int PadBefore => _padBefore;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "conv1d";

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("filters", Filters)
        .Set("kernel_size", [KernelSize])
        .Set("strides", [Strides])
        .Set("padding", ConfigChecks.PaddingName(Padding))
        .Set("data_format", "channels_last")
        .Set("dilation_rate", [DilationRate])
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
    internal static Conv1D FromConfig(Config config)
    {
        int filters = config.GetInt32("filters", minimum: 1);
        int kernelSize = ConfigChecks.ReadSingle(config, "kernel_size") ?? throw config.Error("\"kernel_size\" is missing.");
        Config d = config.WithDefaults(new Conv1D(filters, kernelSize).GetConfig());
        if (d.GetInt32("groups") != 1)
        {
            throw config.Error("\"groups\" other than 1 is not supported.");
        }

        ConfigChecks.RequireChannelsLast(config);
        int strides = ConfigChecks.ReadSingle(d, "strides") ?? 1, dilation = ConfigChecks.ReadSingle(d, "dilation_rate") ?? 1;
        if (strides > 1 && dilation > 1)
        {
            throw config.Error("\"strides\" and \"dilation_rate\" cannot both exceed 1.");
        }

        return new Conv1D(filters, kernelSize, strides, ConfigChecks.ReadCausalPadding(d), dilation, d.GetActivation("activation"),
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
        if (inputShape.Rank != 2)
        {
            throw new ArgumentException($"{Describe()} expects input (None, steps, channels) but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        _steps = inputShape[0];
        _channels = inputShape[1];
        int span = (DilationRate * (KernelSize - 1)) + 1;
        switch (Padding)
        {
            case Padding.Valid:
                _outSteps = _steps >= span ? ((_steps - span) / Strides) + 1 : 0;
                _padBefore = 0;
                break;
            case Padding.Same:
                _outSteps = (_steps + Strides - 1) / Strides;
                _padBefore = Math.Max(((_outSteps - 1) * Strides) + span - _steps, 0) / 2;
                break;
            default:
                _padBefore = span - 1;
                _outSteps = ((_steps - 1) / Strides) + 1;
                break;
        }

        if (_outSteps < 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: a window spanning {span} steps does not fit input {inputShape.ToBatchString()} with 'valid' padding; use 'same' or 'causal' padding or a longer input."), nameof(inputShape));
        }

        _kernel = AddParameter("kernel", new TensorShape(KernelSize, _channels, Filters), KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
        if (UseBias)
        {
            _bias = AddParameter("bias", new TensorShape(Filters), BiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        _patchShape = new TensorShape(_outSteps, KernelSize * _channels);
        return new TensorShape(_outSteps, Filters);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], k = KernelSize * _channels, rows = batch * _outSteps;
        ActivationFunction activation = Activation;
        _ranActivation = activation;
        bool activated = activation is not Linear;
        Tensor z = BatchView(ref _preActivation, batch, OutputShape);
        _chunked = PatchChunks.Exceed(rows, k, ColumnsBudgetBytes);
        if (_chunked)
        {
            // Past the budget: rows are independent in this product, so each chunk's are those of the batch's product.
            int chunkRows = PatchChunks.Rows(ColumnsBudgetBytes, k, rows);
            Span<float> chunk = PatchChunks.Buffer(ref _chunk, (long)chunkRows * k);
            for (int first = 0; first < rows; first += chunkRows)
            {
                int count = Math.Min(chunkRows, rows - first);
                Gather(input, _chunk, 0, first, count);
                Multiply(chunk[..(count * k)], count, z.AsSpan().Slice(first * Filters, count * Filters));
            }
        }
        else
        {
            Tensor patches = BatchView(ref _patches, batch, _patchShape);
            Gather(input, patches.Storage, patches.Offset, 0, rows);
            Multiply(patches.AsReadOnlySpan(), rows, z.AsSpan());
        }

        _input = input;
        _lastBatch = batch;
        if (!activated)
        {
            return z;
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        for (int r = 0; r < rows; r++)
        {
            activation.Forward(z.AsReadOnlySpan().Slice(r * Filters, Filters), output.AsSpan().Slice(r * Filters, Filters), Filters);
        }

        return output;
    }

    // z (rows, F) = patches (rows, K·C) · kernel (K·C, F) + bias.
    private void Multiply(ReadOnlySpan<float> patches, int rows, Span<float> z)
    {
        int k = KernelSize * _channels;
        if (UseBias)
        {
            Gemm.Multiply(false, false, rows, Filters, k, patches, k, Kernel.Value.AsReadOnlySpan(), Filters, _bias!.Value.AsReadOnlySpan(), GemmActivation.None, z, Filters);
        }
        else
        {
            Gemm.Multiply(false, false, rows, Filters, k, 1f, patches, k, Kernel.Value.AsReadOnlySpan(), Filters, 0f, z, Filters);
        }
    }

    /// <inheritdoc/>
    public override bool EndsWithSoftmax => Activation is Activations.Softmax;

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => BackwardFrom(outputGradient, throughActivation: true);

    /// <inheritdoc/>
    protected override Tensor OnBackwardFromLogitsGradient(Tensor logitsGradient) =>
        BackwardFrom(logitsGradient, throughActivation: false); // a per-step softmax: the loss hands dLoss/dz

    // outputGradient is dLoss/dy, or dLoss/dz when not throughActivation.
    private Tensor BackwardFrom(Tensor outputGradient, bool throughActivation)
    {
        int batch = outputGradient.Shape[0], k = KernelSize * _channels, rows = batch * _outSteps;
        if (batch != _lastBatch)
        {
            throw new InvalidOperationException($"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size.");
        }

        Tensor dz = outputGradient;
        if (throughActivation && _ranActivation is not Linear)
        {
            dz = BatchView(ref _preActivationGradient, batch, OutputShape);
            for (int r = 0; r < rows; r++)
            {
                _ranActivation.Backward(_preActivation!.AsReadOnlySpan().Slice(r * Filters, Filters), _output!.AsReadOnlySpan().Slice(r * Filters, Filters),
                    outputGradient.AsReadOnlySpan().Slice(r * Filters, Filters), dz.AsSpan().Slice(r * Filters, Filters), Filters);
            }
        }

        ReadOnlySpan<float> dzSpan = dz.AsReadOnlySpan();
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
                Gemm.Multiply(true, false, k, Filters, rows, 1f, _patches!.AsReadOnlySpan(), k, dzSpan, Filters, beta, kernelGradient, Filters);
            }
        }

        if (UseBias && _bias!.Trainable)
        {
            Span<float> biasGradient = _bias!.Gradient.AsSpan();
            for (int r = 0; r < rows; r++)
            {
                TensorPrimitives.Add(biasGradient, dzSpan.Slice(r * Filters, Filters), biasGradient);
            }
        }

        Tensor inputGradient = BatchView(ref _inputGradient, batch, InputShape);
        if (!ComputesInputGradient)
        {
            return inputGradient;
        }

        // dpatches (rows, K·C) = dz · kernelᵀ, scattered back onto the input: the batch's at once, or past the budget a
        // chunk of rows at a time (the rows are independent, and the scatter adds them in the same order).
        ReadOnlySpan<float> kernel = Kernel.Value.AsReadOnlySpan();
        Span<float> dx = inputGradient.AsSpan();
        dx.Clear();
        if (_chunked)
        {
            int chunkRows = PatchChunks.Rows(ColumnsBudgetBytes, k, rows);
            Span<float> chunk = PatchChunks.Buffer(ref _chunk, (long)chunkRows * k);
            for (int first = 0; first < rows; first += chunkRows)
            {
                int count = Math.Min(chunkRows, rows - first);
                Gemm.Multiply(false, true, count, k, Filters, 1f, dzSpan.Slice(first * Filters, count * Filters), Filters, kernel, Filters, 0f, chunk, k);
                Scatter(_chunk, 0, inputGradient, first, count);
            }

            return inputGradient;
        }

        Tensor patchGradients = BatchView(ref _patchGradients, batch, _patchShape);
        Gemm.Multiply(false, true, rows, k, Filters, 1f, dzSpan, Filters, kernel, Filters, 0f, patchGradients.AsSpan(), k);
        Scatter(patchGradients.Storage, patchGradients.Offset, inputGradient, 0, rows);
        return inputGradient;
    }

    // dkernel += patchesᵀ · dz, gathering the patch rows again a chunk at a time (chunks in whole GEMM depth blocks, each
    // after the first added with beta 1: the bits of the one product over the kept matrix; PatchChunks).
    private void AddKernelGradientByChunks(ReadOnlySpan<float> dz, int rows, Span<float> kernelGradient, float beta)
    {
        int k = KernelSize * _channels, chunkRows = PatchChunks.Rows(ColumnsBudgetBytes, k, rows);
        Span<float> chunk = PatchChunks.Buffer(ref _chunk, (long)chunkRows * k);
        for (int first = 0; first < rows; first += chunkRows)
        {
            int count = Math.Min(chunkRows, rows - first);
            Gather(_input!, _chunk, 0, first, count);
            Gemm.Multiply(true, false, k, Filters, count, 1f, chunk[..(count * k)], k, dz.Slice(first * Filters, count * Filters), Filters,
                first == 0 ? beta : 1f, kernelGradient, Filters);
        }
    }

    // Patch rows [first, first + count) of the batch into patches (row first at 0): patches[r, j·C + c] =
    // x[b, o·strides + j·dilation − padBefore, c] for r = b·outSteps + o, zero outside the sequence. One work item per
    // sample on the worker pool (a copy: any split gives the same values).
    private void Gather(Tensor x, float[] patches, int patchesOffset, int first, int count) =>
        RunPatchStep(_gather ??= new PatchStep(this, gather: true), x.Storage, x.Offset, x.Length, patches, patchesOffset, first, count);

    // The reverse of Gather for rows [first, first + count): each tap's gradient is added to the input step it was read
    // from. One work item per sample: samples own disjoint steps of dx, and within one the adds keep Gather's row order,
    // so every thread count gives the serial loop's bits.
    private void Scatter(float[] patchGradients, int patchGradientsOffset, Tensor dx, int first, int count) =>
        RunPatchStep(_scatter ??= new PatchStep(this, gather: false), patchGradients, patchGradientsOffset, count * KernelSize * _channels, dx.Storage, dx.Offset, first, count);

    private void RunPatchStep(PatchStep step, float[] source, int sourceOffset, int sourceLength, float[] target, int targetOffset, int first, int count)
    {
        int firstSample = first / _outSteps, samples = ((first + count - 1) / _outSteps) - firstSample + 1;
        step.Prepare(source, sourceOffset, sourceLength, target, targetOffset, first, count, firstSample);
        try
        {
            // A small chunk stays on the calling thread: waking a worker costs tens of microseconds.
            if ((long)count * KernelSize * _channels < ParallelPatchValues)
            {
                for (int s = 0; s < samples; s++)
                {
                    step.Run(s);
                }
            }
            else
            {
                ConvParallel.For(samples, step);
            }
        }
        finally
        {
            step.Clear();
        }
    }

    // The smallest patch chunk (values) whose gather or scatter is split over threads.
    private const long ParallelPatchValues = 1 << 15;

    // Rows [from, to) of the chunk that starts at row first: gathered from x into patches, or scattered from patches into dx.
    private void GatherRows(ReadOnlySpan<float> x, Span<float> patches, int first, int from, int to)
    {
        int c = _channels, k = KernelSize * c;
        for (int row = from; row < to; row++)
        {
            int b = row / _outSteps, o = row - (b * _outSteps);
            Span<float> patch = patches.Slice((row - first) * k, k);
            for (int j = 0; j < KernelSize; j++)
            {
                int t = (o * Strides) + (j * DilationRate) - _padBefore;
                Span<float> tap = patch.Slice(j * c, c);
                if (t < 0 || t >= _steps)
                {
                    tap.Clear();
                }
                else
                {
                    x.Slice(((b * _steps) + t) * c, c).CopyTo(tap);
                }
            }
        }
    }

    private void ScatterRows(ReadOnlySpan<float> patchGradients, Span<float> dx, int first, int from, int to)
    {
        int c = _channels, k = KernelSize * c;
        for (int row = from; row < to; row++)
        {
            int b = row / _outSteps, o = row - (b * _outSteps);
            ReadOnlySpan<float> patch = patchGradients.Slice((row - first) * k, k);
            for (int j = 0; j < KernelSize; j++)
            {
                int t = (o * Strides) + (j * DilationRate) - _padBefore;
                if (t >= 0 && t < _steps)
                {
                    Span<float> target = dx.Slice(((b * _steps) + t) * c, c);
                    TensorPrimitives.Add(target, patch.Slice(j * c, c), target);
                }
            }
        }
    }

    // One gather or scatter over rows [first, first + count), work item s being sample firstSample + s's rows in it.
    private sealed class PatchStep(Conv1D layer, bool gather) : ParallelWork
    {
        private float[] _source = [], _target = [];
        private int _sourceOffset, _sourceLength, _targetOffset, _first, _count, _firstSample;

        public void Prepare(float[] source, int sourceOffset, int sourceLength, float[] target, int targetOffset, int first, int count, int firstSample)
        {
            (_source, _sourceOffset, _sourceLength, _target, _targetOffset) = (source, sourceOffset, sourceLength, target, targetOffset);
            (_first, _count, _firstSample) = (first, count, firstSample);
        }

        public void Clear() => (_source, _target) = ([], []);

        public override void Run(int index)
        {
            int sample = _firstSample + index, steps = layer._outSteps;
            int from = Math.Max(_first, sample * steps), to = Math.Min(_first + _count, (sample + 1) * steps);
            var source = new ReadOnlySpan<float>(_source, _sourceOffset, _sourceLength);
            if (gather)
            {
                layer.GatherRows(source, _target.AsSpan(_targetOffset), _first, from, to);
            }
            else
            {
                layer.ScatterRows(source, _target.AsSpan(_targetOffset), _first, from, to);
            }
        }
    }
}
