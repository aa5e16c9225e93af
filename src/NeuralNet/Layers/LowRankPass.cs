using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// LoRA in its low-rank form for one layer call (Dense, Embedding): the output gets <c>scale · P·B</c> added, P the
/// input's rows projected on A (<c>input·A</c>, or A's rows of the ids), so neither the merged weight nor its gradient is
/// ever formed. Backward: <c>G = scale · dOut·Bᵀ</c>, <c>dB += scale · Pᵀ·dOut</c>, and from G, <c>dA += inputᵀ·G</c>
/// (or G's rows added to A's rows of the ids) and <c>dInput += G·Aᵀ</c>.
/// </summary>
/// <remarks>
/// Against merging <c>W + scale · A·B</c> each pass, a training step of a Dense (n rows, I inputs, U units, rank r) does
/// <c>3nr(I + U)</c> multiply-adds instead of <c>nIU + 3IUr</c> (the full dW product, the merge and the two reductions of dW);
/// an Embedding's products touch the rows of the ids only, though each step still clears A's whole (inputDim, rank)
/// gradient (<see cref="ScatterA"/> reads it) and the optimizer updates all of A: O(inputDim · rank) per step, against the
/// table's O(inputDim · outputDim) of merging. Each layer copy owns one instance: P and G grow to the
/// largest batch, so nothing is allocated after the first batch.
/// </remarks>
internal sealed class LowRankPass
{
    private float[] _projected = [];
    private float[] _gradient = [];
    private int _rows;

    /// <summary>Dense: P (rows, rank) = input (rows, inputs) · A (inputs, rank); output (rows, columns) += scale · P·B.</summary>
    public void Forward(LowRankAdaptation lora, ReadOnlySpan<float> input, int rows, Span<float> output)
    {
        Span<float> projected = Projected(lora, rows);
        Gemm.Multiply(false, false, rows, lora.Rank, lora.Rows, 1f, input, lora.Rows, lora.A.Value.AsReadOnlySpan(), lora.Rank, 0f, projected, lora.Rank);
        AddProduct(lora, projected, output);
    }

    /// <summary>Embedding: P (ids, rank) = A's rows of the ids; output (ids, columns) += scale · P·B.</summary>
    public void ForwardRows(LowRankAdaptation lora, ReadOnlySpan<float> ids, Span<float> output)
    {
        Span<float> projected = Projected(lora, ids.Length);
        EmbeddingRows.Gather(ids, lora.A.Value.AsReadOnlySpan(), lora.Rank, projected);
        AddProduct(lora, projected, output);
    }

    /// <summary>
    /// From dOut (rows, columns) of the last forward pass: G (rows, rank) = scale · dOut·Bᵀ, kept for
    /// <see cref="AccumulateA"/>, <see cref="ScatterA"/> and <see cref="AddInputGradient"/>; dB += scale · Pᵀ·dOut when B is trainable.
    /// </summary>
    public void Backward(LowRankAdaptation lora, ReadOnlySpan<float> outputGradient)
    {
        int rows = _rows, rank = lora.Rank, columns = lora.Columns;
        if (outputGradient.Length != rows * columns)
        {
            throw new InvalidOperationException($"LoRA's backward pass got {outputGradient.Length} gradient values; the forward pass before it gave {rows} rows of {columns}.");
        }

        Span<float> gradient = _gradient.AsSpan(0, rows * rank);
        Gemm.Multiply(false, true, rows, rank, columns, lora.Scale, outputGradient, columns, lora.B.Value.AsReadOnlySpan(), columns, 0f, gradient, rank);
        if (lora.B.Trainable)
        {
            Span<float> db = lora.B.GradientForProduct(out float beta);
            Gemm.Multiply(true, false, rank, columns, rows, lora.Scale, _projected.AsSpan(0, rows * rank), rank, outputGradient, columns, beta, db, columns);
        }
    }

    /// <summary>Dense, after <see cref="Backward"/>: dA (inputs, rank) += inputᵀ·G when A is trainable.</summary>
    public void AccumulateA(LowRankAdaptation lora, ReadOnlySpan<float> input)
    {
        if (lora.A.Trainable)
        {
            Span<float> da = lora.A.GradientForProduct(out float beta);
            Gemm.Multiply(true, false, lora.Rows, lora.Rank, _rows, 1f, input, lora.Rows, _gradient.AsSpan(0, _rows * lora.Rank), lora.Rank, beta, da, lora.Rank);
        }
    }

    /// <summary>Embedding, after <see cref="Backward"/>: G's rows added to A's gradient rows of the ids (repeated ids accumulate) when A is trainable.</summary>
    public void ScatterA(LowRankAdaptation lora, ReadOnlySpan<float> ids)
    {
        if (lora.A.Trainable)
        {
            EmbeddingRows.ScatterAdd(ids, _gradient.AsSpan(0, _rows * lora.Rank), lora.Rank, lora.A.Gradient.AsSpan());
        }
    }

    /// <summary>Dense, after <see cref="Backward"/>: dInput (rows, inputs) += G·Aᵀ, dInput already holding dOut·Wᵀ.</summary>
    public void AddInputGradient(LowRankAdaptation lora, Span<float> inputGradient) =>
        Gemm.Multiply(false, true, _rows, lora.Rows, lora.Rank, 1f, _gradient.AsSpan(0, _rows * lora.Rank), lora.Rank, lora.A.Value.AsReadOnlySpan(), lora.Rank, 1f, inputGradient, lora.Rows);

    // output (rows, columns) += scale · P·B.
    private static void AddProduct(LowRankAdaptation lora, ReadOnlySpan<float> projected, Span<float> output)
    {
        int rows = projected.Length / lora.Rank;
        Gemm.Multiply(false, false, rows, lora.Columns, lora.Rank, lora.Scale, projected, lora.Rank, lora.B.Value.AsReadOnlySpan(), lora.Columns, 1f, output, lora.Columns);
    }

    // P for `rows` rows; P and G grow together, only for a batch larger than any before.
    private Span<float> Projected(LowRankAdaptation lora, int rows)
    {
        int length = rows * lora.Rank;
        if (_projected.Length < length)
        {
            _projected = new float[length];
            _gradient = new float[length];
        }

        _rows = rows;
        return _projected.AsSpan(0, length);
    }
}
