using NeuralNet.Kernels;

namespace NeuralNet.Layers;

// Training without the batch's patch matrix, for convolutions whose matrix would pass a budget (ColumnsBudgetBytes).
// The matrix is (B*OH*OW, KH*KW*C): a cGAN generator's last layer, Conv2D(1, 7, same) on (64, 28, 28, 128), would keep
// 50,176 x 6,272 floats (1.26 GB) to compute a 6,272-value kernel gradient. PyTorch and Keras hold no such matrix.
//
//   forward          as inference: each group of images packed into a per-thread matrix, multiplied at once
//   backward filter  for each chunk of R patch rows (R a multiple of Gemm.DepthBlock, R * patch * 4 <= budget):
//                      chunk (R, P) = im2col rows [r, r + R) of the batch             packed in parallel
//                      dkernel (P, F) += chunkᵀ · dz[r .. r + R)                       one GEMM per chunk
//   backward data    unchanged: per group of images, dz · kernelᵀ into a per-thread matrix, then col2im
//
// The GEMM sums k (here the patch rows) in blocks of Gemm.DepthBlock rows, each block from zero and then added to the
// gradient; chunks that start at multiples of that block make the same blocks in the same order, so the kernel gradient
// has the bits of the one product over the kept matrix, on any thread count. Smaller layers keep the matrix as before.
public sealed partial class Conv2D
{
    /// <summary>The default for <see cref="ColumnsBudgetBytes"/>: 64 MiB (docs/performance.md, "Conv2D's patch-matrix budget").</summary>
    internal const long DefaultColumnsBudgetBytes = PatchChunks.DefaultBudgetBytes;

    private Step _packChunk = null!;
    private float[] _chunkColumns = [];
    private int _chunkFirstRow;
    private int _chunkRows;
    private int _chunkPieceRows;

    /// <summary>
    /// The largest batch patch matrix, in bytes, that training keeps for the kernel gradient; a larger one is packed again
    /// chunk by chunk in the backward pass. Internal: the tests set a tiny budget to run the chunked path on small shapes.
    /// </summary>
    internal long ColumnsBudgetBytes { get; set; } = DefaultColumnsBudgetBytes;

    /// <summary>The length of the chunk matrix the chunked backward pass packs into (0 until it runs).</summary>
    internal int ChunkColumnsLength => _chunkColumns.Length;

    // Whether the batch's patch matrix of the im2col + GEMM path (plain or general: every group's) passes the budget.
    private bool ColumnsExceedBudget(int batch)
    {
        long values = _general
            ? (long)batch * _dilated.OutputPixels * _dilated.Taps * _dilated.Channels
            : (long)batch * _geometry.OutputPixels * _geometry.PatchSize;
        return !_direct && !_fewFilters && values * sizeof(float) > ColumnsBudgetBytes;
    }

    // Patch rows per chunk, in whole GEMM depth blocks (PatchChunks.Rows).
    private int ChunkRows(int patch, int rows) => PatchChunks.Rows(ColumnsBudgetBytes, patch, rows);

    private Span<float> ChunkColumns(long length) => PatchChunks.Buffer(ref _chunkColumns, length);

    // dkernel += colsᵀ · dz over the batch, packing the patch rows a chunk at a time (see the top of this file).
    private void AddKernelGradientByChunks(ReadOnlySpan<float> dz)
    {
        int patch = _geometry.PatchSize, rows = _batch * _geometry.OutputPixels, chunkRows = ChunkRows(patch, rows);
        Span<float> columns = ChunkColumns((long)chunkRows * patch);
        Span<float> kernelGradient = _kernel!.Gradient.AsSpan();
        int pieces = Math.Max(1, Math.Min(chunkRows, 4 * Parallelism.MaxDegreeOfParallelism));
        for (int first = 0; first < rows; first += chunkRows)
        {
            int count = Math.Min(chunkRows, rows - first);
            _chunkFirstRow = first;
            _chunkRows = count;
            _chunkPieceRows = (count + pieces - 1) / pieces;
            ConvParallel.For((count + _chunkPieceRows - 1) / _chunkPieceRows, _packChunk);
            Convolution.BackwardFilter(columns[..(count * patch)], dz.Slice(first * Filters, count * Filters), count, patch, Filters, kernelGradient);
        }
    }

    // Piece `piece` of the current chunk: its rows of the patch matrix, packed from the input.
    private void PackChunkPiece(int piece)
    {
        int start = piece * _chunkPieceRows, count = Math.Min(_chunkPieceRows, _chunkRows - start), patch = _geometry.PatchSize;
        Im2Col.PackRows(_input!.AsReadOnlySpan(), _geometry, _chunkFirstRow + start, count, _chunkColumns.AsSpan(start * patch, count * patch));
    }
}
