using System.Numerics;
using NeuralNet.Kernels;

namespace NeuralNet.Layers;

// The convolution run together with the max pooling that alone reads its output, so that the convolution's output does not
// make a round trip through memory between the two (the model's graph executor decides when: GraphExecutor). Two paths:
// - a nine-tap convolution that passes no gradient back (E4.3's Conv2D(32, 3, relu) then MaxPooling2D(2)) runs image by
//   image without storing its output at all (ConvDirect.ForwardMaxPooled);
// - an im2col + GEMM convolution (E4.3's second) pools each group of images right after its product, while the group's
//   output is in cache, and backward builds dz straight from the pooled gradient: the pooling's gradient, the ReLU mask and
//   the bias sums in one pass instead of three.
// Either way the results are the bits of the two layers run one after the other.
public sealed partial class Conv2D
{
    private Step _pooledForward = null!;
    private Step _pooledBackward = null!;
    private ConvGeometry _poolGeometry;
    private Tensor? _pooledBuffer;
    private Tensor? _pooled;
    private Tensor? _pooledGradient;
    private int[] _pooledArgmax = [];

    /// <summary>
    /// Whether <see cref="ForwardMaxPooled"/> can run this layer together with <paramref name="pooling"/>, which reads its
    /// output, when the input gradient is needed (<paramref name="inputGradient"/>) or not.
    /// </summary>
    internal bool CanFuseMaxPooling(MaxPooling2D pooling, bool inputGradient)
    {
        if (!IsBuilt || !pooling.IsBuilt || _general || pooling.InputShape != OutputShape)
        {
            return false;
        }

        // The few-filter path keeps no patch matrix for the im2col + GEMM pooled steps to write (4 filters are a whole
        // vector where vectors hold 4 floats: without AVX2, on ARM64).
        ConvGeometry pool = pooling.Geometry;
        return _direct
            ? !inputGradient && ConvDirect.SupportsMaxPooled(_geometry, pool, Filters)
            : !_fewFilters && (Activation is null || _fusedRelu) && Pooling.IsTiling(pool) && Filters % Vector<float>.Count == 0;
    }

    /// <summary>
    /// The forward pass of this layer and then <paramref name="pooling"/> (see <see cref="CanFuseMaxPooling"/>): returns the
    /// pooled output, owned by this layer. Its backward pass is <see cref="BackwardMaxPooled"/>.
    /// </summary>
    internal Tensor ForwardMaxPooled(Tensor input, MaxPooling2D pooling, bool training = true)
    {
        if (!CanFuseMaxPooling(pooling, ComputesInputGradient))
        {
            throw new InvalidOperationException($"{Describe()} cannot run together with pooling layer '{pooling.Name}': that needs both built, this layer's output {(IsBuilt ? OutputShape.ToBatchString() : "(not built)")} as the pooling's input, no activation or ReLU, pooling windows that tile it, and for a nine-tap patch without padding no input gradient.");
        }

        CheckInput(input);
        InitializeParameters();
        int batch = input.Shape[0];
        // As OnForward: only training keeps the batch's patch matrix, within the budget (BackwardMaxPooled packs it when
        // inference ran, or chunk by chunk past the budget).
        _columnsKept = training && !ColumnsExceedBudget(batch);
        EnsureScratch(batch);
        int pooledLength = batch * pooling.OutputShape.ElementCount;
        if (_pooledArgmax.Length < pooledLength)
        {
            _pooledArgmax = new int[pooledLength];
        }

        _poolGeometry = pooling.Geometry;
        _input = input;
        _batch = batch;
        _pooled = BatchView(ref _pooledBuffer, batch, pooling.OutputShape);
        if (_direct)
        {
            _z = _y = null;
            ConvParallel.For(batch, _pooledForward);
        }
        else
        {
            _z = BatchView(ref _zBuffer, batch, OutputShape);
            _y = _fusedEpilogue || Activation is null ? _z : BatchView(ref _yBuffer, batch, OutputShape);
            _groupImages = ImagesPerGroup(batch);
            ConvParallel.For(GroupCount(batch), _pooledForward);
        }

        RecordFusedForward(null);
        pooling.RecordFusedForward(_pooled);
        return _pooled;
    }

    /// <summary>
    /// The backward pass of the last <see cref="ForwardMaxPooled"/> from the gradient of the pooled output: accumulates the
    /// kernel and bias gradients, as the pooling's backward pass and then this layer's would, and returns the input
    /// gradient when <see cref="Layer.ComputesInputGradient"/> (else null).
    /// </summary>
    internal Tensor? BackwardMaxPooled(Tensor pooledGradient)
    {
        if (!RanFused || _pooled is null || pooledGradient.Shape != _pooled.Shape)
        {
            throw new InvalidOperationException($"{Describe()}: the pooled backward pass needs a pooled forward pass of the same shape first (last {(RanFused ? _pooled?.Shape.ToString() : "not pooled")}, gradient {pooledGradient.Shape}).");
        }

        _pooledGradient = pooledGradient;
        if (_direct)
        {
            EnsureKernelPartials(_batch);
            ConvParallel.For(_batch, _pooledBackward);
            _pooledGradient = null;
            AddPartials();
            return null;
        }

        // dz for the whole batch, then the products of the layer's own backward pass.
        Tensor dz = BatchView(ref _dzBuffer, _batch, OutputShape);
        _dz = dz;
        ConvParallel.For(_batch, _pooledBackward);
        _pooledGradient = null;
        AddBiasPartials();
        if (_kernel!.Trainable)
        {
            AddKernelGradient(dz.AsReadOnlySpan());
        }

        return ComputesInputGradient ? InputGradient(dz) : null;
    }

    // Work item n of the pooled forward pass: one image (direct) or one group of images (im2col + GEMM).
    private void RunPooledForward(int n)
    {
        ConvGeometry g = _geometry, pool = _poolGeometry;
        int pooledSize = pool.OutputPixels * Filters;
        if (_direct)
        {
            ConvDirect.ForwardMaxPooled(_input!.AsReadOnlySpan().Slice(n * g.InputSize, g.InputSize), _kernel!.Value.AsReadOnlySpan(),
                _bias is null ? default : _bias.Value.AsReadOnlySpan(), g, pool, Filters, _fusedRelu, _pooled!.AsSpan().Slice(n * pooledSize, pooledSize),
                _pooledArgmax.AsSpan(n * pooledSize, pooledSize));
            return;
        }

        // The group's product, then its pooling while the group's output is in cache.
        RunStep(StepKind.ImageForward, n);
        (int first, int images) = Group(n);
        int outSize = g.OutputPixels * Filters;
        Span<float> pooled = _pooled!.AsSpan().Slice(first * pooledSize, images * pooledSize);
        Span<int> best = _pooledArgmax.AsSpan(first * pooledSize, images * pooledSize);
        Pooling.MaxForward(_y!.AsReadOnlySpan().Slice(first * outSize, images * outSize), pool, images, pooled, best);
        if (_fusedRelu)
        {
            Pooling.CutNonPositive(pooled, best);
        }
    }

    // Work item n of the pooled backward pass: image n.
    private void RunPooledBackward(int n)
    {
        ConvGeometry g = _geometry, pool = _poolGeometry;
        int pooledSize = pool.OutputPixels * Filters, outSize = g.OutputPixels * Filters, kernelSize = g.PatchSize * Filters;
        ReadOnlySpan<int> argmax = _pooledArgmax.AsSpan(n * pooledSize, pooledSize);
        ReadOnlySpan<float> pooledGradient = _pooledGradient!.AsReadOnlySpan().Slice(n * pooledSize, pooledSize);
        if (_direct)
        {
            ConvDirect.BackwardFilterMaxPooled(_input!.AsReadOnlySpan().Slice(n * g.InputSize, g.InputSize), pooledGradient, argmax, g, pool, Filters,
                _kernelPartials.AsSpan(n * kernelSize, kernelSize), _bias is null ? default : _biasPartials.AsSpan(n * Filters, Filters));
            return;
        }

        // The pooling's gradient through the cut argmax is already ReLU's dz: 0 wherever ReLU had cut it.
        Span<float> dz = _dz!.AsSpan().Slice(n * outSize, outSize);
        Pooling.MaxBackward(pooledGradient, argmax, pool, 1, dz);
        BiasPartial(n, dz);
    }
}
