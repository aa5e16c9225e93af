using System.Globalization;
using NeuralNet.Kernels;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The matrix product of two inputs over their last two axes, for each index of the axes before them (Keras'
/// <c>ops.matmul</c>, NumPy's <c>matmul</c>, which <c>NeuralNet.Keras</c> reads as this layer for inputs of rank 3 and
/// more): (batch, h, n, k) @ (batch, h, k, m) = (batch, h, n, m), as in a hand-written multi-head attention's
/// <c>q @ ops.transpose(k, (0, 1, 3, 2))</c>. No parameters.
/// </summary>
/// <remarks>
/// Both inputs have the same rank, at least 3. Each axis between the batch axis and the last two has the same size in
/// both inputs, or size 1 in one of them, which is then repeated as NumPy broadcasts it (its gradient is the sum over
/// the repeats). The batch axis itself is never broadcast: each sample is multiplied on its own.
/// </remarks>
public sealed class MatMul : MultiInputLayer
{
    private int _n;
    private int _k;
    private int _m;
    private int _aMatrices;
    private int _bMatrices;
    private int[] _aIndex = [];
    private int[] _bIndex = [];
    private Tensor? _output;
    private Tensor? _aGradient;
    private Tensor? _bGradient;
    private Tensor? _lastA;
    private Tensor? _lastB;

    /// <summary>Creates the layer.</summary>
    /// <param name="name">The layer's name; the model names it <c>matmul</c>, ... when null.</param>
    public MatMul(string? name = null)
        : base(name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "matmul";

    /// <inheritdoc/>
    protected override int MinimumInputCount => 2;

    /// <inheritdoc/>
    protected override int MaximumInputCount => 2;

    /// <summary>Creates the layer from its config.</summary>
    internal static MatMul FromConfig(Config config) => new(config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        TensorShape a = inputShapes[0], b = inputShapes[1];
        string shapes = $"{a.ToBatchString()} and {b.ToBatchString()}";
        if (a.Rank != b.Rank || a.Rank < 2)
        {
            throw new ArgumentException($"{Describe()} multiplies inputs of the same rank, at least 3 with the batch axis; got {shapes}.", nameof(inputShapes));
        }

        int rank = a.Rank;
        if (a[rank - 1] != b[rank - 2])
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()}: the first input's last axis has {a[rank - 1]} entries and the second's next-to-last axis {b[rank - 2]}; inputs {shapes}, and a matrix product needs them equal."), nameof(inputShapes));
        }

        int[] leading = new int[rank - 2];
        for (int d = 0; d < leading.Length; d++)
        {
            leading[d] = a[d] == b[d] || b[d] == 1 ? a[d]
                : a[d] == 1 ? b[d]
                : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()}: axis {d + 1} has {a[d]} entries in the first input and {b[d]} in the second; inputs {shapes}, and they must be equal or one of them 1."), nameof(inputShapes));
        }

        _n = a[rank - 2];
        _k = a[rank - 1];
        _m = b[rank - 1];
        _aIndex = BroadcastIndex(leading, a);
        _bIndex = BroadcastIndex(leading, b);
        _aMatrices = a.ElementCount / (_n * _k);
        _bMatrices = b.ElementCount / (_k * _m);
        return new TensorShape([.. leading, _n, _m]);
    }

    // For each matrix of the output, in row-major order over the leading axes, the matrix of the input it reads (an
    // axis of size 1 repeated).
    private static int[] BroadcastIndex(int[] leading, TensorShape input)
    {
        int count = leading.Aggregate(1, (p, d) => p * d);
        var index = new int[count];
        for (int p = 0; p < count; p++)
        {
            int remainder = p, offset = 0, stride = 1;
            for (int d = leading.Length - 1; d >= 0; d--)
            {
                int position = remainder % leading[d];
                remainder /= leading[d];
                offset += (input[d] == 1 ? 0 : position) * stride;
                stride *= input[d];
            }

            index[p] = offset;
        }

        return index;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // Per sample: C[p] (n, m) = A[index_a[p]] (n, k) · B[index_b[p]] (k, m).
        int batch = inputs[0].Shape[0];
        int nk = _n * _k, km = _k * _m, nm = _n * _m, matrices = _aIndex.Length;
        Tensor output = BatchView(ref _output, batch, OutputShape);
        ReadOnlySpan<float> a = inputs[0].AsReadOnlySpan(), b = inputs[1].AsReadOnlySpan();
        Span<float> c = output.AsSpan();
        for (int s = 0; s < batch; s++)
        {
            for (int p = 0; p < matrices; p++)
            {
                int ia = ((s * _aMatrices) + _aIndex[p]) * nk, ib = ((s * _bMatrices) + _bIndex[p]) * km;
                Gemm.Multiply(false, false, _n, _m, _k, 1f, a.Slice(ia, nk), _k, b.Slice(ib, km), _m, 0f, c.Slice(((s * matrices) + p) * nm, nm), _m);
            }
        }

        _lastA = inputs[0];
        _lastB = inputs[1];
        return output;
    }

    /// <inheritdoc/>
    protected override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        CheckForwardRan(_lastA, outputGradient);
        if (!ComputesInputGradient)
        {
            return;
        }

        // dA[index_a[p]] += dC[p] · B[index_b[p]]ᵀ and dB[index_b[p]] += A[index_a[p]]ᵀ · dC[p]: a repeated matrix
        // gathers the gradients of every product it took part in.
        int batch = outputGradient.Shape[0];
        int nk = _n * _k, km = _k * _m, nm = _n * _m, matrices = _aIndex.Length;
        Tensor aGradient = BatchView(ref _aGradient, batch, InputShapes[0]), bGradient = BatchView(ref _bGradient, batch, InputShapes[1]);
        Span<float> da = aGradient.AsSpan(), db = bGradient.AsSpan();
        da.Clear();
        db.Clear();
        ReadOnlySpan<float> a = _lastA!.AsReadOnlySpan(), b = _lastB!.AsReadOnlySpan(), dc = outputGradient.AsReadOnlySpan();
        for (int s = 0; s < batch; s++)
        {
            for (int p = 0; p < matrices; p++)
            {
                int ia = ((s * _aMatrices) + _aIndex[p]) * nk, ib = ((s * _bMatrices) + _bIndex[p]) * km;
                ReadOnlySpan<float> g = dc.Slice(((s * matrices) + p) * nm, nm);
                Gemm.Multiply(false, true, _n, _k, _m, 1f, g, _m, b.Slice(ib, km), _m, 1f, da.Slice(ia, nk), _k);
                Gemm.Multiply(true, false, _k, _m, _n, 1f, a.Slice(ia, nk), _k, g, _m, 1f, db.Slice(ib, km), _m);
            }
        }

        inputGradients[0] = aGradient;
        inputGradients[1] = bGradient;
    }
}
