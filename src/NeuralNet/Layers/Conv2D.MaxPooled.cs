using NeuralNet.Kernels;

namespace NeuralNet.Layers;

// The convolution run together with the max pooling that alone reads its output (E4.3's Conv2D(32, 3, relu) then
// MaxPooling2D(2)), image by image, so that the convolution's output never leaves the cache (ConvDirect.ForwardMaxPooled).
// The model's graph executor decides when (GraphExecutor); the results are the bits of the two layers run one after the other.
public sealed partial class Conv2D
{
    private Step _pooledForward = null!;
    private Step _pooledBackward = null!;
    private ConvGeometry _poolGeometry;
    private Tensor? _pooledBuffer;
    private Tensor? _pooled;
    private Tensor? _pooledGradient;
    private int[] _pooledArgmax = [];
    private bool _lastForwardPooled;

    /// <summary>Whether <see cref="ForwardMaxPooled"/> can run this layer together with <paramref name="pooling"/>, which reads its output.</summary>
    internal bool CanFuseMaxPooling(MaxPooling2D pooling) =>
        IsBuilt && pooling.IsBuilt && !_general && _direct && ConvDirect.SupportsMaxPooled(_geometry, pooling.Geometry, Filters);

    /// <summary>
    /// The forward pass of this layer and then <paramref name="pooling"/> (see <see cref="CanFuseMaxPooling"/>): returns the
    /// pooled output, owned by this layer; the convolution's own output is not kept. Its backward pass is
    /// <see cref="BackwardMaxPooled"/>.
    /// </summary>
    internal Tensor ForwardMaxPooled(Tensor input, MaxPooling2D pooling)
    {
        if (!CanFuseMaxPooling(pooling) || pooling.InputShape != OutputShape)
        {
            throw new InvalidOperationException($"{Describe()} cannot run together with pooling layer '{pooling.Name}': that needs both built, this layer's output {(IsBuilt ? OutputShape.ToBatchString() : "(not built)")} as the pooling's input, a nine-tap patch without padding and pooling windows that tile it.");
        }

        CheckInput(input);
        InitializeParameters();
        int batch = input.Shape[0];
        EnsureScratch(batch);
        int pooledLength = batch * pooling.OutputShape.ElementCount;
        if (_pooledArgmax.Length < pooledLength)
        {
            _pooledArgmax = new int[pooledLength];
        }

        _poolGeometry = pooling.Geometry;
        _input = input;
        _batch = batch;
        _z = _y = null;
        _pooled = BatchView(ref _pooledBuffer, batch, pooling.OutputShape);
        _lastForwardPooled = true;
        ConvParallel.For(batch, _pooledForward);
        RecordFusedForward(null);
        pooling.RecordFusedForward(_pooled);
        return _pooled;
    }

    /// <summary>
    /// The backward pass of the last <see cref="ForwardMaxPooled"/> from the gradient of the pooled output: accumulates the
    /// kernel and bias gradients, as the pooling's backward pass and then this layer's would.
    /// </summary>
    internal void BackwardMaxPooled(Tensor pooledGradient)
    {
        if (!_lastForwardPooled || _pooled is null || pooledGradient.Shape != _pooled.Shape)
        {
            throw new InvalidOperationException($"{Describe()}: the pooled backward pass needs a pooled forward pass of the same shape first (last {(_lastForwardPooled ? _pooled?.Shape.ToString() : "not pooled")}, gradient {pooledGradient.Shape}).");
        }

        _pooledGradient = pooledGradient;
        ConvParallel.For(_batch, _pooledBackward);
        _pooledGradient = null;
        AddPartials();
    }

    private void RunPooledStep(bool forward, int n)
    {
        ConvGeometry g = _geometry, pool = _poolGeometry;
        int pooledSize = pool.OutputPixels * Filters, patch = g.PatchSize;
        ReadOnlySpan<float> image = _input!.AsReadOnlySpan().Slice(n * g.InputSize, g.InputSize);
        Span<int> argmax = _pooledArgmax.AsSpan(n * pooledSize, pooledSize);
        if (forward)
        {
            ConvDirect.ForwardMaxPooled(image, _kernel!.Value.AsReadOnlySpan(), _bias is null ? default : _bias.Value.AsReadOnlySpan(), g, pool, Filters, _fusedRelu,
                _pooled!.AsSpan().Slice(n * pooledSize, pooledSize), argmax);
            return;
        }

        ConvDirect.BackwardFilterMaxPooled(image, _pooledGradient!.AsReadOnlySpan().Slice(n * pooledSize, pooledSize), argmax, g, pool, Filters,
            _kernelPartials.AsSpan(n * patch * Filters, patch * Filters), _bias is null ? default : _biasPartials.AsSpan(n * Filters, Filters));
    }
}
