using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// The patch-matrix budget of the im2col convolutions (<see cref="Conv1D"/>, <see cref="Conv2D"/>, <see cref="Conv3D"/> and
/// the transposed convolutions' backward pass): a batch whose patch matrix would pass it keeps none, and the layer packs
/// the matrix's rows a bounded chunk at a time instead (docs/convolution.md, "Memory").
/// </summary>
/// <remarks>
/// Chunks are whole multiples of the GEMM's depth block (<see cref="Gemm.DepthBlock"/>), which every GEMM path sums from
/// zero before adding it to C: a product summed over the patch rows (a kernel gradient) split at those rows, each part
/// after the first added with beta 1, has the bits of the one product over the kept matrix, on any thread count. Products
/// whose rows are the patch rows (forward, input gradient) have independent rows and the same bits whatever the split.
/// </remarks>
internal static class PatchChunks
{
    /// <summary>The default budget: 64 MiB (docs/performance.md, "Conv2D's patch-matrix budget").</summary>
    public const long DefaultBudgetBytes = 64L << 20;

    /// <summary>Whether a patch matrix of <paramref name="rows"/> rows of <paramref name="patch"/> values passes the budget.</summary>
    public static bool Exceed(long rows, long patch, long budgetBytes) => rows * patch * sizeof(float) > budgetBytes;

    /// <summary>
    /// Patch rows per chunk: as many as the budget holds for rows of <paramref name="patch"/> values, in whole GEMM depth
    /// blocks (at least one, so a budget below one block's rows still makes progress), and no more than the rows rounded up.
    /// </summary>
    public static int Rows(long budgetBytes, int patch, int rows)
    {
        long budgetRows = budgetBytes / ((long)patch * sizeof(float));
        long blocks = Math.Max(1, budgetRows / Gemm.DepthBlock);
        return (int)Math.Min(blocks * Gemm.DepthBlock, (rows + Gemm.DepthBlock - 1) / Gemm.DepthBlock * (long)Gemm.DepthBlock);
    }

    /// <summary>The first <paramref name="length"/> values of <paramref name="buffer"/>, grown to hold them (kept for the next batch).</summary>
    public static Span<float> Buffer(ref float[] buffer, long length)
    {
        if (buffer.Length < length)
        {
            buffer = length > Array.MaxLength
                ? throw new InvalidOperationException($"A patch chunk of {length} values is more than an array holds.")
                : new float[length];
        }

        return buffer.AsSpan(0, (int)length);
    }
}
