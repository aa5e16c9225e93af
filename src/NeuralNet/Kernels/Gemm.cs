using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NeuralNet.Kernels;

// Single-precision GEMM, row-major, built the GotoBLAS/BLIS way:
//   for jc in N step Nc          B block (Kc x Nc) packed once per (jc, pc), stays in L2
//     for pc in K step Kc
//       pack B[pc.., jc..]
//       for ic in M step Mr        A micro-panel (Mr x Kc) stays in L1: packed, or read in place when A is
//                                  not transposed (its rows are already contiguous in k)
//         for jr in Nc step Nr     micro-kernel: Mr x Nr tile of C held in registers (12 x 32 on AVX-512)
// A panel's bottom edge of at most MrLower rows runs a shorter kernel; other ragged tiles run the full
// kernel on a padded copy. Narrow products (n <= 16) take a dot-product path instead (Gemm.Narrow.cs), or with A
// transposed a column-accumulating one (Gemm.NarrowTransposedA.cs).
// Threads own disjoint column (or row) ranges of C and run that whole loop nest on their range,
// with thread-local packing buffers. K is never split and every element of C goes through the same
// sequence of operations whichever tile or thread computes it: results are bit-identical for any
// thread count.
internal static unsafe partial class Gemm
{
    // Blocking for Zen 4 (32 KiB L1d, 1 MiB L2 per core): an A micro-panel (12 x 128, 6 KiB) and the B
    // micro-panel it meets (128 x 32, 16 KiB) both fit L1; the packed B block (128 x 1024, 512 KiB) stays in L2.
    // Measured against 256 x 512, 192 x 768 and 320 x 512 (docs/performance.md).
    private const int Kc = 128;
    private const int Nc = 1024;

    /// <summary>
    /// The depth of the blocks every path sums k in (<see cref="Kc"/>): each block's products are one chain from zero,
    /// then folded into C. A product split along k into calls whose parts start at multiples of this, each after the
    /// first with beta 1, therefore gives C the same bits as one call over the whole k (a convolution's kernel gradient
    /// summed over chunks of the batch's patch rows).
    /// </summary>
    internal const int DepthBlock = Kc;
    private const int MaxMr = 16;
    private const int MaxNr = 64;

    // Below this many multiply-adds (m * n * k = 2^25, about 0.6 ms on one Zen 4 core) a product stays on
    // the calling thread. On the 2-vCPU test machine two threads did not beat one at 256^3 (2^24) even when
    // it was quiet (OpenBLAS behaves the same there), while the MNIST products (5 x 2^23) and 512^3 gain.
    private const long ParallelThreshold = 1L << 25;

    [ThreadStatic]
    private static float[]? s_packBuffer;

    [ThreadStatic]
    private static ParallelJob? s_parallelJob;

    /// <summary>Which micro-kernel family <see cref="Multiply(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, PackedB)"/> dispatches to on this machine.</summary>
    internal static string KernelName =>
        Avx512Kernel.IsSupported ? nameof(Avx512Kernel)
        : Avx2Kernel.IsSupported ? nameof(Avx2Kernel)
        : VectorKernel.IsSupported ? nameof(VectorKernel)
        : nameof(ScalarKernel);

    // C (m x n) = alpha * op(A) * op(B) + beta * C, row-major.
    // op(A) is m x k: A stored m x k (lda >= k) or, transposed, k x m (lda >= m).
    // op(B) is k x n: B stored k x n (ldb >= n) or, transposed, n x k (ldb >= k). ldc >= n.
    // beta == 0 overwrites C (old contents ignored, even NaN).
    // reuse: as for the fused overload below.
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, PackedB? reuse = null)
    {
        Validate(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        Execute(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, default, GemmActivation.None, epilogue: false, reuse);
    }

    // Fused dense-layer product: C (m x n) = activation(op(A) * op(B) + bias), bias has n entries (one per column).
    // Same layout rules as the general overload; C is overwritten. Bias and activation are applied to each
    // output tile while it is still in cache.
    // When reuse is given and the product takes the blocked path, op(B) is packed into it once and read from it until
    // the caller invalidates it (Gemm.PackedB.cs); the results are the same bits either way.
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, ReadOnlySpan<float> bias, GemmActivation activation,
        Span<float> c, int ldc, PackedB? reuse = null)
    {
        Validate(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (bias.Length < n)
        {
            throw new ArgumentException($"Bias needs one entry per output column (n={n}) but has {bias.Length}.", nameof(bias));
        }

        if (activation is not (GemmActivation.None or GemmActivation.Relu))
        {
            throw new ArgumentException($"Unknown GEMM activation {activation}.", nameof(activation));
        }

        Execute(transposeA, transposeB, m, n, k, 1f, a, lda, b, ldb, 0f, c, ldc, bias, activation, epilogue: true, reuse);
    }

    // Plain triple loop with double accumulation: the reference the tests compare against.
    public static void MultiplyReference(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float aip = transposeA ? a[(p * lda) + i] : a[(i * lda) + p];
                    float bpj = transposeB ? b[(j * ldb) + p] : b[(p * ldb) + j];
                    sum += (double)aip * bpj;
                }

                double old = beta == 0f ? 0 : beta * (double)c[(i * ldc) + j];
                c[(i * ldc) + j] = (float)((alpha * sum) + old);
            }
        }
    }

    private static void Execute(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        ReadOnlySpan<float> bias, GemmActivation activation, bool epilogue, PackedB? reuse = null)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        fixed (float* pa = a, pb = b, pc = c, pBias = bias)
        {
            var args = new Arguments(transposeA, transposeB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, epilogue ? pBias : null, activation);
            if (k == 0 || alpha == 0f)
            {
                ScaleOnly(in args);
            }
            else if (!TryNarrow(in args) && !TrySkinny(in args) && !TryNarrowTransposedA(in args))
            {
                DispatchPacked(in args, reuse);
            }
        }
    }

    // The packed GotoBLAS path with the widest micro-kernel this CPU runs.
    private static void DispatchPacked(in Arguments args, PackedB? reuse = null)
    {
        if (Avx512Kernel.IsSupported)
        {
            Dispatch<Avx512Kernel>(in args, reuse);
        }
        else if (Avx2Kernel.IsSupported)
        {
            Dispatch<Avx2Kernel>(in args, reuse);
        }
        else if (VectorKernel.IsSupported)
        {
            Dispatch<VectorKernel>(in args, reuse);
        }
        else
        {
            Dispatch<ScalarKernel>(in args, reuse);
        }
    }

    // k == 0 or alpha == 0: C = beta * C (then the epilogue), without touching A or B.
    private static void ScaleOnly(in Arguments args)
    {
        for (int i = 0; i < args.M; i++)
        {
            var row = new Span<float>(args.C + (i * args.Ldc), args.N);
            if (args.Beta == 0f)
            {
                row.Clear();
            }
            else if (args.Beta != 1f)
            {
                TensorPrimitives.Multiply(row, args.Beta, row);
            }
        }

        if (args.Bias != null)
        {
            ApplyEpilogue(args.C, args.Ldc, args.M, args.N, args.Bias, args.Activation);
        }
    }

    private static void Dispatch<TKernel>(in Arguments args, PackedB? reuse)
        where TKernel : struct, IMicroKernel
    {
        if (reuse is not null)
        {
            PrepareReuse<TKernel>(in args, reuse);
            fixed (float* packed = reuse.Buffer)
            {
                Arguments withPacked = UsePackedB<TKernel>(in args, reuse, packed);
                Dispatch<TKernel>(in withPacked, null);
            }

            return;
        }

        int threads = Parallelism.MaxDegreeOfParallelism;
        if (threads == 1 || (long)args.M * args.N * args.K < ParallelThreshold)
        {
            Serial<TKernel>(in args);
            return;
        }

        int columnTiles = (args.N + TKernel.Nr - 1) / TKernel.Nr;
        int rowTiles = (args.M + TKernel.Mr - 1) / TKernel.Mr;
        bool splitColumns = columnTiles >= 2 && (rowTiles < 2 || PreferColumnSplit<TKernel>(in args, Math.Min(threads, Math.Min(columnTiles, rowTiles))));
        int tiles = splitColumns ? columnTiles : rowTiles;
        int parts = Math.Min(threads, tiles);
        if (parts <= 1)
        {
            Serial<TKernel>(in args);
            return;
        }

        RunParts(in args, splitColumns, (tiles + parts - 1) / parts * (splitColumns ? TKernel.Nr : TKernel.Mr), parts, &Serial<TKernel>);
    }

    // Runs serial over row ranges of whole blocks of blockRows rows, one per thread, or on the calling thread when the
    // product is below the parallel threshold: the narrow paths' split.
    private static void RunInRowBlocks(in Arguments args, int blockRows, delegate*<in Arguments, void> serial)
    {
        int rowBlocks = (args.M + blockRows - 1) / blockRows;
        int parts = (long)args.M * args.N * args.K < ParallelThreshold ? 1 : Math.Min(Parallelism.MaxDegreeOfParallelism, rowBlocks);
        if (parts <= 1)
        {
            serial(in args);
            return;
        }

        RunParts(in args, splitColumns: false, (rowBlocks + parts - 1) / parts * blockRows, parts, serial);
    }

    // Runs serial on parts disjoint ranges of C's columns or rows, chunk wide (the last one shorter), on the thread team;
    // a short product (one sample's) wakes a sleeping worker only within a burst (GemmThreadTeam.RunShort).
    private static void RunParts(in Arguments args, bool splitColumns, int chunk, int parts, delegate*<in Arguments, void> serial, bool shortCall = false)
    {
        ParallelJob job = s_parallelJob ??= new ParallelJob();
        job.Prepare(args, splitColumns, chunk, serial);
        try
        {
            if (shortCall)
            {
                GemmThreadTeam.Instance.RunShort(job, parts);
            }
            else
            {
                GemmThreadTeam.Instance.Run(job, parts);
            }
        }
        finally
        {
            job.Clear();
        }
    }

    // Which split duplicates less packing. Splitting columns makes every thread pack all of A, once per Nc block of
    // its own columns, and its share of B; splitting rows, its share of A once per Nc block of all columns, and all of
    // B. Packing A transposes 4x4 and 8x8 blocks and costs about twice as much per element as copying B's rows: at
    // 1024^3 with A packed, splitting rows was 1-3 % faster on two threads, at 2048^3 splitting columns was 2 % faster
    // (docs/performance.md). When A is read in place, the rule stays the one that measured best across the
    // MNIST and convolution products: columns unless A is the taller operand.
    private static bool PreferColumnSplit<TKernel>(in Arguments args, int parts)
        where TKernel : struct, IMicroKernel
    {
        bool aPacked = !StrideAllowsInPlace(args.Lda) || (!args.TransposeA && !TKernel.SupportsDirectA);
        if (!aPacked)
        {
            return args.M <= args.N;
        }

        long m = args.M, n = args.N, k = args.K;
        long columnsPerPart = (n + parts - 1) / parts, rowsPerPart = (m + parts - 1) / parts;
        long columnSplitCost = (2 * m * k * ((columnsPerPart + Nc - 1) / Nc)) + (k * columnsPerPart);
        long rowSplitCost = (2 * rowsPerPart * k * ((n + Nc - 1) / Nc)) + (k * n);
        return columnSplitCost <= rowSplitCost;
    }

    // Rows of A (or of a transposed A's storage) 2 KiB apart would fight over a few L1 sets when read in place.
    private static bool StrideAllowsInPlace(nint ld) => ((ld * sizeof(float)) & 2047) != 0;

    // The whole blocked loop nest on one thread.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Serial<TKernel>(in Arguments args)
        where TKernel : struct, IMicroKernel
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        int m = args.M, n = args.N, k = args.K;
        nint lda = args.Lda, ldb = args.Ldb, ldc = args.Ldc;
        float* bPack = RentPackBuffer(out float* aPack, out float* cTile);

        // A not transposed is read in place (its Mr rows are contiguous in k), saving the packing transpose,
        // unless the row stride is a multiple of 2 KiB: then the Mr rows would fight over a few L1 sets.
        bool directA = TKernel.SupportsDirectA && !args.TransposeA && StrideAllowsInPlace(lda);

        // A transposed is stored k x m, so the Mr values of one k for rows ic.. are already contiguous: the packed
        // layout with stride lda. Full micro-panels are read in place (same stride rule), saving a transposing copy
        // that costs about a third of the arithmetic when n is small (a convolution's kernel gradient, n = filters).
        bool directTransposedA = args.TransposeA && StrideAllowsInPlace(lda);

        for (int jc = 0; jc < n; jc += Nc)
        {
            int nc = Math.Min(Nc, n - jc);
            for (int pc = 0; pc < k; pc += Kc)
            {
                int kc = Math.Min(Kc, k - pc);
                float beta = pc == 0 ? args.Beta : 1f;
                bool lastBlock = pc + kc == k;
                float* bBlock = bPack;
                if (args.PackedB != null)
                {
                    bBlock = PackedBlock(in args, pc, jc, kc);
                }
                else
                {
                    PackB(args.TransposeB, args.B, ldb, pc, jc, kc, nc, nr, bPack);
                }

                for (int ic = 0; ic < m; ic += mr)
                {
                    int rows = Math.Min(mr, m - ic);

                    // A bottom edge of at most MrLower rows runs the shorter kernel.
                    bool lower = rows <= TKernel.MrLower;
                    int kernelRows = lower ? TKernel.MrLower : mr;
                    float* aDirect = null, aInPlace = null;
                    if (rows == kernelRows && directA)
                    {
                        aDirect = args.A + (ic * lda) + pc;
                    }
                    else if (rows == mr && directTransposedA)
                    {
                        aInPlace = args.A + (pc * lda) + ic;
                    }
                    else
                    {
                        PackA(args.TransposeA, args.A, lda, ic, pc, rows, kc, mr, aPack);
                    }

                    float* cRow = args.C + (ic * ldc) + jc;
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int cols = Math.Min(nr, nc - jr);
                        float* bPanel = bBlock + ((nint)jr * kc);
                        if (cols == nr && rows == kernelRows)
                        {
                            RunTile<TKernel>(lower, kc, aPack, aDirect, aInPlace, lda, bPanel, cRow + jr, ldc, args.Alpha, beta);
                        }
                        else
                        {
                            // Edge tile: run the same kernel on a padded copy so every element sees the same arithmetic.
                            RunEdge<TKernel>(lower, kc, aPack, aDirect, aInPlace, lda, bPanel, cRow + jr, ldc, rows, cols, args.Alpha, beta, cTile);
                        }

                        if (lastBlock && args.Bias != null)
                        {
                            ApplyEpilogue(cRow + jr, ldc, rows, cols, args.Bias + jc + jr, args.Activation);
                        }
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunTile<TKernel>(bool lower, int kc, float* aPack, float* aDirect, float* aInPlace, nint lda, float* bPanel, float* c, nint ldc, float alpha, float beta)
        where TKernel : struct, IMicroKernel
    {
        if (aInPlace != null)
        {
            TKernel.Run(kc, aInPlace, lda, bPanel, c, ldc, alpha, beta);
        }
        else if (lower)
        {
            if (aDirect != null)
            {
                TKernel.RunLowerDirectA(kc, aDirect, lda, bPanel, c, ldc, alpha, beta);
            }
            else
            {
                TKernel.RunLower(kc, aPack, bPanel, c, ldc, alpha, beta);
            }
        }
        else if (aDirect != null)
        {
            TKernel.RunDirectA(kc, aDirect, lda, bPanel, c, ldc, alpha, beta);
        }
        else
        {
            TKernel.Run(kc, aPack, TKernel.Mr, bPanel, c, ldc, alpha, beta);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunEdge<TKernel>(bool lower, int kc, float* aPack, float* aDirect, float* aInPlace, nint lda, float* bPanel, float* c, nint ldc, int rows, int cols, float alpha, float beta, float* tile)
        where TKernel : struct, IMicroKernel
    {
        int nr = TKernel.Nr;
        uint bytes = (uint)(cols * sizeof(float));
        if (beta != 0f)
        {
            for (int i = 0; i < rows; i++)
            {
                Unsafe.CopyBlockUnaligned(tile + (i * nr), c + (i * ldc), bytes);
            }
        }

        RunTile<TKernel>(lower, kc, aPack, aDirect, aInPlace, lda, bPanel, tile, nr, alpha, beta);
        for (int i = 0; i < rows; i++)
        {
            Unsafe.CopyBlockUnaligned(c + (i * ldc), tile + (i * nr), bytes);
        }
    }

    // C tile (rows x cols) += bias[0..cols] per column, then the activation. Called once per output tile, so tile
    // widths that are whole vectors (16 or 32 columns) are done in place on Vector256 lanes instead of paying two
    // library calls per row; other widths take the general path. Both compute round(c + bias), then max(., 0): the
    // same bits.
    private static void ApplyEpilogue(float* c, nint ldc, int rows, int cols, float* bias, GemmActivation activation)
    {
        bool relu = activation == GemmActivation.Relu;
        if (Vector256.IsHardwareAccelerated && cols % Vector256<float>.Count == 0)
        {
            for (int i = 0; i < rows; i++)
            {
                float* row = c + (i * ldc);
                for (int j = 0; j < cols; j += Vector256<float>.Count)
                {
                    Vector256<float> v = Vector256.Load(row + j) + Vector256.Load(bias + j);
                    if (relu)
                    {
                        v = Vector256.Max(v, Vector256<float>.Zero);
                    }

                    v.Store(row + j);
                }
            }

            return;
        }

        var biasSpan = new ReadOnlySpan<float>(bias, cols);
        for (int i = 0; i < rows; i++)
        {
            var row = new Span<float>(c + (i * ldc), cols);
            TensorPrimitives.Add(row, biasSpan, row);
            if (relu)
            {
                TensorPrimitives.Max(row, 0f, row);
            }
        }
    }

    // Thread-local packing memory, allocated once per thread on the pinned heap and 64-byte aligned:
    // a Kc x Nc block of B, an MaxMr x Kc micro-panel of A and an MaxMr x MaxNr edge tile of C.
    private const int PackBufferLength = Kc * (Nc + MaxNr);

    private static float* RentPackBuffer(out float* aPack, out float* cTile)
    {
        const int BSize = Kc * (Nc + MaxNr);
        const int ASize = MaxMr * Kc;
        const int CSize = MaxMr * MaxNr;
        float[] buffer = s_packBuffer ??= GC.AllocateUninitializedArray<float>(BSize + ASize + CSize + 16, pinned: true);
        float* start = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        float* aligned = (float*)(((nint)start + 63) & ~(nint)63);
        aPack = aligned + BSize;
        cTile = aPack + ASize;
        return aligned;
    }

    private static void Validate(bool transposeA, bool transposeB, int m, int n, int k, int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0)
        {
            throw new ArgumentException($"GEMM size m must be non-negative but got m={m} (n={n}, k={k}).", nameof(m));
        }

        if (n < 0)
        {
            throw new ArgumentException($"GEMM size n must be non-negative but got n={n} (m={m}, k={k}).", nameof(n));
        }

        if (k < 0)
        {
            throw new ArgumentException($"GEMM size k must be non-negative but got k={k} (m={m}, n={n}).", nameof(k));
        }

        int aRows = transposeA ? k : m, aColumns = transposeA ? m : k;
        int bRows = transposeB ? n : k, bColumns = transposeB ? k : n;
        CheckMatrix("a", "lda", transposeA, aRows, aColumns, lda, aLength);
        CheckMatrix("b", "ldb", transposeB, bRows, bColumns, ldb, bLength);
        CheckMatrix("c", "ldc", false, m, n, ldc, cLength);
    }

    private static void CheckMatrix(string name, string ldName, bool transposed, int rows, int columns, int leadingDimension, int length)
    {
        string stored = transposed ? " (stored transposed)" : string.Empty;
        if (leadingDimension < Math.Max(columns, 1))
        {
            throw new ArgumentException(
                $"{ldName} is {leadingDimension} but {name}{stored} is stored {rows} x {columns}, so {ldName} must be at least {Math.Max(columns, 1)}.", ldName);
        }

        long needed = rows == 0 || columns == 0 ? 0 : ((long)(rows - 1) * leadingDimension) + columns;
        if (length < needed)
        {
            throw new ArgumentException(
                $"{name}{stored} is {rows} x {columns} with {ldName}={leadingDimension}, which needs {needed} elements, but the span has {length}.", name);
        }
    }

    // One product's operands as raw pointers, so they can cross into worker threads.
    private readonly struct Arguments(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc, float* bias, GemmActivation activation,
        float* packedB = null, nint packedBStride = 0, int packedBColumn = 0)
    {
        public readonly bool TransposeA = transposeA;
        public readonly bool TransposeB = transposeB;
        public readonly int M = m;
        public readonly int N = n;
        public readonly int K = k;
        public readonly float Alpha = alpha;
        public readonly float* A = a;
        public readonly nint Lda = lda;
        public readonly float* B = b;
        public readonly nint Ldb = ldb;
        public readonly float Beta = beta;
        public readonly float* C = c;
        public readonly nint Ldc = ldc;
        public readonly float* Bias = bias;
        public readonly GemmActivation Activation = activation;

        // op(B) already packed (Gemm.PackedB.cs), or null: every Kc block for all columns, PackedBStride (n rounded up to
        // whole panels) columns apart; PackedBColumn is the column of op(B) this product's column 0 is.
        public readonly float* PackedB = packedB;
        public readonly nint PackedBStride = packedBStride;
        public readonly int PackedBColumn = packedBColumn;

        public Arguments WithPackedB(float* packed, nint stride) =>
            new(TransposeA, TransposeB, M, N, K, Alpha, A, Lda, B, Ldb, Beta, C, Ldc, Bias, Activation, packed, stride, 0);

        // The same product with op(B) given as its transpose bt (n x k, stride ldbt).
        public Arguments WithTransposedB(float* bt, nint ldbt) => new(TransposeA, true, M, N, K, Alpha, A, Lda, bt, ldbt, Beta, C, Ldc, Bias, Activation, PackedB, PackedBStride, PackedBColumn);

        // The sub-product computing rows [i0, i0 + rows) of C.
        public Arguments Rows(int i0, int rows) => new(TransposeA, TransposeB, rows, N, K, Alpha,
            TransposeA ? A + i0 : A + (i0 * Lda), Lda, B, Ldb, Beta, C + (i0 * Ldc), Ldc, Bias, Activation, PackedB, PackedBStride, PackedBColumn);

        // The sub-product computing columns [j0, j0 + columns) of C.
        public Arguments Columns(int j0, int columns) => new(TransposeA, TransposeB, M, columns, K, Alpha,
            A, Lda, TransposeB ? B + (j0 * Ldb) : B + j0, Ldb, Beta, C + j0, Ldc, Bias == null ? null : Bias + j0, Activation,
            PackedB, PackedBStride, PackedBColumn + j0);
    }

    // Reusable per-calling-thread state for one parallel product: nothing is allocated per call.
    private sealed class ParallelJob : GemmThreadTeam.IPartitionedWork
    {
        private Arguments _args;
        private bool _splitColumns;
        private int _chunk;
        private delegate*<in Arguments, void> _serial;

        public void Prepare(in Arguments args, bool splitColumns, int chunk, delegate*<in Arguments, void> serial)
        {
            _args = args;
            _splitColumns = splitColumns;
            _chunk = chunk;
            _serial = serial;
        }

        public void Clear()
        {
            _args = default;
            _serial = null;
        }

        public void RunPart(int part)
        {
            int start = part * _chunk;
            int total = _splitColumns ? _args.N : _args.M;
            int count = Math.Min(_chunk, total - start);
            if (count <= 0)
            {
                return;
            }

            Arguments sub = _splitColumns ? _args.Columns(start, count) : _args.Rows(start, count);
            _serial(in sub);
        }
    }
}
