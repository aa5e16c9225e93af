using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// An <see cref="EinsumEquation"/> as batched matrix products. Every label falls in one group: shared (input, kernel and
/// output), rows (input and output, the batch among them), columns (kernel and output) or summed (not in the output). The
/// input is read as A[shared, rows, summed], the kernel as B[shared, summed, columns], and each shared index is one GEMM
/// C = A·B into C[shared, rows, columns], which is the output reordered. A summed label missing from one operand is
/// broadcast along (so an input-only label is summed over, as einsum does). Operands already in that order (Dense-like
/// equations such as <c>abc,cde-&gt;abde</c>) are used in place; the others are copied by <see cref="StridedCopy"/>.
/// </summary>
internal sealed class EinsumContraction
{
    private readonly Operand _a, _b, _c;
    private readonly int _batchAxis;
    private readonly int[] _outputDims, _biasStrides, _outputStrides;
    private int _batch = -1;

    public EinsumContraction(EinsumEquation equation, TensorShape inputSample)
    {
        string input = equation.InputLabels, kernel = equation.KernelLabels, output = equation.OutputLabels;
        string shared = new([.. output.Where(l => input.Contains(l) && kernel.Contains(l))]);
        string rows = new([.. output.Where(l => input.Contains(l) && !kernel.Contains(l))]);
        string columns = new([.. output.Where(l => !input.Contains(l) && kernel.Contains(l))]);
        string summed = new([.. input.Where(l => !output.Contains(l)).Concat(kernel.Where(l => !output.Contains(l) && !input.Contains(l)))]);

        int[] inputDims = [1, .. inputSample.Dimensions];
        int[] outputDims = [1, .. equation.OutputSampleShape];
        int Size(char label) => input.Contains(label)
            ? inputDims[input.IndexOf(label)]
            : kernel.Contains(label) ? equation.KernelShape[kernel.IndexOf(label)] : outputDims[output.IndexOf(label)];

        SharedCount = shared.Aggregate(1, (p, l) => p * Size(l));
        RowsPerSample = rows[1..].Aggregate(1, (p, l) => p * Size(l));
        Columns = columns.Aggregate(1, (p, l) => p * Size(l));
        Depth = summed.Aggregate(1, (p, l) => p * Size(l));

        _a = new Operand(shared + rows + summed, input, inputDims, Size);
        _b = new Operand(shared + summed + columns, kernel, equation.KernelShape, Size);
        _c = new Operand(shared + rows + columns, output, outputDims, Size);
        _batchAxis = shared.Length;

        _outputDims = outputDims;
        _outputStrides = new int[outputDims.Length];
        StridedCopy.ContiguousStrides(outputDims, _outputStrides);
        _biasStrides = new int[outputDims.Length];
        if (equation.BiasShape is int[] bias)
        {
            var strides = new int[bias.Length];
            StridedCopy.ContiguousStrides(bias, strides);
            int offset = outputDims.Length - bias.Length;
            for (int i = 0; i < bias.Length; i++)
            {
                _biasStrides[offset + i] = bias[i] == 1 ? 0 : strides[i];
            }
        }

        SetBatch(2);
        InputInPlace = _a.InPlace();
        KernelInPlace = _b.InPlace();
        OutputInPlace = _c.InPlace();
    }

    /// <summary>The number of products (the shared labels' sizes multiplied).</summary>
    public int SharedCount { get; }

    /// <summary>Each product's rows per sample (the row labels after the batch).</summary>
    public int RowsPerSample { get; }

    /// <summary>Each product's columns.</summary>
    public int Columns { get; }

    /// <summary>Each product's inner dimension (the summed labels).</summary>
    public int Depth { get; }

    /// <summary>Whether the input is already A (no copy).</summary>
    public bool InputInPlace { get; }

    /// <summary>Whether the kernel is already B.</summary>
    public bool KernelInPlace { get; }

    /// <summary>Whether C is already the output.</summary>
    public bool OutputInPlace { get; }

    /// <summary>Output = input ⊗ kernel for a batch of <paramref name="batch"/>; the scratches are unused when in place.</summary>
    public void Forward(int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, Span<float> output, Span<float> aScratch, Span<float> bScratch, Span<float> cScratch)
    {
        SetBatch(batch);
        ReadOnlySpan<float> a = InputInPlace ? input : Gather(_a, input, aScratch);
        ReadOnlySpan<float> b = KernelInPlace ? kernel : Gather(_b, kernel, bScratch);
        Span<float> c = OutputInPlace ? output : cScratch;
        int m = batch * RowsPerSample, n = Columns, k = Depth;
        for (int s = 0; s < SharedCount; s++)
        {
            Gemm.Multiply(false, false, m, n, k, 1f, a.Slice(s * m * k, m * k), k, b.Slice(s * k * n, k * n), n, 0f, c.Slice(s * m * n, m * n), n);
        }

        if (!OutputInPlace)
        {
            StridedCopy.Run(c, _c.Contiguous, _c.Dims, output, _c.SourceStrides, accumulate: false);
        }
    }

    /// <summary>Adds the bias, broadcast as numpy does, to each output of the batch.</summary>
    public void AddBias(int batch, ReadOnlySpan<float> bias, Span<float> output)
    {
        SetBatch(batch);
        StridedCopy.Run(bias, _biasStrides, _outputDims, output, _outputStrides, accumulate: true);
    }

    /// <summary>Adds the output gradient's sum over the broadcast axes to the bias gradient.</summary>
    public void AccumulateBiasGradient(int batch, ReadOnlySpan<float> outputGradient, Span<float> biasGradient)
    {
        SetBatch(batch);
        StridedCopy.Run(outputGradient, _outputStrides, _outputDims, biasGradient, _biasStrides, accumulate: true);
    }

    /// <summary>The output gradient laid out as C (itself when the output is in place).</summary>
    public ReadOnlySpan<float> OutputGradientAsC(int batch, ReadOnlySpan<float> outputGradient, Span<float> cScratch)
    {
        SetBatch(batch);
        return OutputInPlace ? outputGradient : Gather(_c, outputGradient, cScratch);
    }

    /// <summary>
    /// dB = Aᵀ·dC per product, then into the kernel gradient: written with <paramref name="beta"/> (0 overwrites) when the
    /// kernel is in place, else added (after clearing when <paramref name="beta"/> is 0).
    /// </summary>
    public void KernelGradient(int batch, ReadOnlySpan<float> input, ReadOnlySpan<float> dc, Span<float> kernelGradient, float beta, Span<float> aScratch, Span<float> bScratch)
    {
        SetBatch(batch);
        ReadOnlySpan<float> a = InputInPlace ? input : Gather(_a, input, aScratch);
        Span<float> db = KernelInPlace ? kernelGradient : bScratch;
        int m = batch * RowsPerSample, n = Columns, k = Depth;
        for (int s = 0; s < SharedCount; s++)
        {
            Gemm.Multiply(true, false, k, n, m, 1f, a.Slice(s * m * k, m * k), k, dc.Slice(s * m * n, m * n), n, KernelInPlace ? beta : 0f, db.Slice(s * k * n, k * n), n);
        }

        if (!KernelInPlace)
        {
            if (beta == 0f)
            {
                kernelGradient.Clear();
            }

            StridedCopy.Run(db, _b.Contiguous, _b.Dims, kernelGradient, _b.SourceStrides, accumulate: true);
        }
    }

    /// <summary>dA = dC·Bᵀ per product, then into the input gradient (summing over the labels A broadcast).</summary>
    public void InputGradient(int batch, ReadOnlySpan<float> dc, ReadOnlySpan<float> kernel, Span<float> inputGradient, Span<float> aScratch, Span<float> bScratch)
    {
        SetBatch(batch);
        ReadOnlySpan<float> b = KernelInPlace ? kernel : Gather(_b, kernel, bScratch);
        Span<float> da = InputInPlace ? inputGradient : aScratch;
        int m = batch * RowsPerSample, n = Columns, k = Depth;
        for (int s = 0; s < SharedCount; s++)
        {
            Gemm.Multiply(false, true, m, k, n, 1f, dc.Slice(s * m * n, m * n), n, b.Slice(s * k * n, k * n), n, 0f, da.Slice(s * m * k, m * k), k);
        }

        if (!InputInPlace)
        {
            inputGradient.Clear();
            StridedCopy.Run(da, _a.Contiguous, _a.Dims, inputGradient, _a.SourceStrides, accumulate: true);
        }
    }

    private static ReadOnlySpan<float> Gather(Operand operand, ReadOnlySpan<float> source, Span<float> scratch)
    {
        StridedCopy.Run(source, operand.SourceStrides, operand.Dims, scratch, operand.Contiguous, accumulate: false);
        return scratch;
    }

    private void SetBatch(int batch)
    {
        if (batch == _batch)
        {
            return;
        }

        _batch = batch;
        _outputDims[0] = batch;
        _a.SetDim(_batchAxis, batch);
        _c.SetDim(_batchAxis, batch);
    }

    /// <summary>A view of a tensor in the contraction's label order: its dims, the tensor's strides for them, and the view's own.</summary>
    private sealed class Operand
    {
        public Operand(string order, string labels, int[] sourceDims, Func<char, int> size)
        {
            var sourceStrides = new int[sourceDims.Length];
            StridedCopy.ContiguousStrides(sourceDims, sourceStrides);
            Dims = [.. order.Select(size)];
            SourceStrides = [.. order.Select(l => labels.Contains(l) ? sourceStrides[labels.IndexOf(l)] : 0)];
            Contiguous = new int[order.Length];
        }

        public int[] Dims { get; }

        public int[] SourceStrides { get; }

        public int[] Contiguous { get; }

        public void SetDim(int axis, int size)
        {
            Dims[axis] = size;
            StridedCopy.ContiguousStrides(Dims, Contiguous);
        }

        // In place: the view visits the tensor's elements in storage order (every label of the tensor is in the view, so
        // matching strides make it a one-to-one walk; axes of size 1 may have any stride).
        public bool InPlace()
        {
            StridedCopy.ContiguousStrides(Dims, Contiguous);
            for (int i = 0; i < Dims.Length; i++)
            {
                if (Dims[i] > 1 && SourceStrides[i] != Contiguous[i])
                {
                    return false;
                }
            }

            return true;
        }
    }
}
