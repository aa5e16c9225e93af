using System.Globalization;

namespace NeuralNet.Layers;

/// <summary>
/// The pieces of one axis that <see cref="Split"/> and <see cref="Unstack"/> give as outputs: with the axes before the
/// split one (the batch axis included) folded into rows and those after it into <c>inner</c>, the input is
/// (rows, n * inner) and piece p the columns <c>start_p * inner</c> to <c>(start_p + size_p) * inner</c> of each row.
/// Backward joins the pieces' gradients (zeros for a piece nothing reads) into the input's.
/// </summary>
internal sealed class AxisPieces
{
    private readonly int[] _chunks;
    private readonly int[] _offsets;
    private readonly int _row;
    private readonly TensorShape _input;
    private readonly TensorShape[] _shapes;
    private readonly TensorShape[] _furtherShapes;
    private readonly Tensor?[] _buffers;
    private readonly Tensor?[] _outputs;
    private readonly Tensor?[] _zeros;
    private readonly Tensor?[] _gradients;
    private readonly Tensor[] _joined;
    private Tensor? _inputGradient;

    /// <param name="input">The per-sample input shape.</param>
    /// <param name="sampleAxis">The split axis among the sample axes (the batch axis excluded).</param>
    /// <param name="sizes">The size of each piece on that axis, summing to its size.</param>
    /// <param name="dropAxis">Whether the pieces (each of size 1) lose the axis, as <c>ops.unstack</c>'s do.</param>
    public AxisPieces(TensorShape input, int sampleAxis, int[] sizes, bool dropAxis)
    {
        int inner = 1;
        for (int d = sampleAxis + 1; d < input.Rank; d++)
        {
            inner *= input[d];
        }

        int n = sizes.Length;
        _input = input;
        _row = input[sampleAxis] * inner;
        _chunks = new int[n];
        _offsets = new int[n];
        _shapes = new TensorShape[n];
        int start = 0;
        int[] dims = input.Dimensions.ToArray();
        for (int p = 0; p < n; p++)
        {
            _chunks[p] = sizes[p] * inner;
            _offsets[p] = start * inner;
            start += sizes[p];
            dims[sampleAxis] = sizes[p];
            _shapes[p] = dropAxis ? new TensorShape([.. dims[..sampleAxis], .. dims[(sampleAxis + 1)..]]) : new TensorShape(dims);
        }

        _furtherShapes = _shapes[1..];
        _buffers = new Tensor?[n];
        _outputs = new Tensor?[n];
        _zeros = new Tensor?[n];
        _gradients = new Tensor?[n];
        _joined = new Tensor[n];
    }

    /// <summary>The per-sample shapes of the pieces, in order.</summary>
    public IReadOnlyList<TensorShape> Shapes => _shapes;

    /// <summary>The shapes of the pieces after the first (the layers' further outputs), kept so that reading them allocates nothing.</summary>
    public IReadOnlyList<TensorShape> FurtherShapes => _furtherShapes;

    /// <summary>Piece <paramref name="index"/> of the last <see cref="Forward"/>.</summary>
    public Tensor Output(int index) => _outputs[index]!;

    /// <summary>Copies each piece of x (batch, ...input) into its own tensor; returns piece 0.</summary>
    public Tensor Forward(Tensor x)
    {
        int batch = x.Shape[0];
        for (int p = 0; p < _chunks.Length; p++)
        {
            Tensor piece = Layer.ReusedBatchView(ref _buffers[p], batch, _shapes[p]);
            RowJoin.Take(x.AsReadOnlySpan(), _row, _offsets[p], _chunks[p], piece.AsSpan());
            _outputs[p] = piece;
        }

        return _outputs[0]!;
    }

    /// <summary>Keeps the gradients of pieces 1 and on (null: nothing reads that piece) for the next <see cref="Backward"/>.</summary>
    public void SetFurtherGradients(ReadOnlySpan<Tensor?> gradients)
    {
        for (int p = 1; p < _gradients.Length; p++)
        {
            _gradients[p] = p - 1 < gradients.Length ? gradients[p - 1] : null;
        }
    }

    /// <summary>dLoss/dx (batch, ...input): the pieces' gradients joined, piece 0's being <paramref name="first"/>.</summary>
    public Tensor Backward(Tensor first)
    {
        int batch = first.Shape[0];
        _joined[0] = first;
        for (int p = 1; p < _joined.Length; p++)
        {
            _joined[p] = _gradients[p] ?? Zeros(p, batch);
        }

        Tensor dx = Layer.ReusedBatchView(ref _inputGradient, batch, _input);
        RowJoin.Join(_joined, _chunks, dx.AsSpan());
        return dx;
    }

    // An unread piece's gradient: zeros, cleared at each use since the buffer is a view that may have held another batch.
    private Tensor Zeros(int piece, int batch)
    {
        Tensor zeros = Layer.ReusedBatchView(ref _zeros[piece], batch, _shapes[piece]);
        zeros.AsSpan().Clear();
        return zeros;
    }

    /// <summary>
    /// The sample axis of a Keras axis (counting the batch axis, negative from the end) of a (batch, ...input) tensor.
    /// </summary>
    /// <exception cref="ArgumentException">The axis is the batch axis or not one of the input's.</exception>
    public static int SampleAxis(int axis, TensorShape input, string layer, string parameterName)
    {
        int rank = input.Rank + 1;
        int full = axis < 0 ? axis + rank : axis;
        if (full < 1 || full >= rank)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{layer} splits along axis {axis}, which an input of shape {input.ToBatchString()} does not have among its sample axes (expected 1 to {rank - 1}, or -1 to -{rank - 1}; the batch axis 0 cannot be split)."), parameterName);
        }

        return full - 1;
    }
}
