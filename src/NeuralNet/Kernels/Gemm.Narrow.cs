using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace NeuralNet.Kernels;

// Driver for narrow products (n <= NarrowMaxN, A not transposed), e.g. a Dense layer with 10 outputs.
internal static unsafe partial class Gemm
{
    private const int NarrowMaxN = 16;
    private const int NarrowMinK = 32;

    /// <summary>A dot-product kernel: C = alpha * A (m x k, rows contiguous) * Bt^T (Bt is n x k, rows contiguous) + beta * C.</summary>
    private interface IDotKernel
    {
        /// <summary>Whether this kernel can run on the current hardware.</summary>
        static abstract bool IsSupported { get; }

        /// <summary>Computes the whole m x n block.</summary>
        static abstract void Run(int m, int n, int k, float alpha, float* a, nint lda, float* bt, nint ldbt, float beta, float* c, nint ldc);
    }

    private static bool TryNarrow(in Arguments args)
    {
        if (args.TransposeA || args.N > NarrowMaxN || args.K < NarrowMinK)
        {
            return false;
        }

        if (Vector512DotKernel.IsSupported)
        {
            return Narrow<Vector512DotKernel>(in args);
        }

        if (Vector256DotKernel.IsSupported)
        {
            return Narrow<Vector256DotKernel>(in args);
        }

        return false;
    }

    private static bool Narrow<TKernel>(in Arguments args)
        where TKernel : struct, IDotKernel
    {
        Arguments work = args;
        if (!args.TransposeB)
        {
            // op(B) columns must be contiguous: transpose the k x n operand into an n x k scratch (small: n <= 16).
            float* bt = RentPackBuffer(out _, out _);
            if ((long)args.N * args.K > PackBufferLength)
            {
                return false;
            }

            TransposeInto(args.B, args.Ldb, args.K, args.N, bt);
            work = args.WithTransposedB(bt, args.K);
        }

        RunInRowBlocks(in work, 4, &NarrowSerial<TKernel>);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowSerial<TKernel>(in Arguments args)
        where TKernel : struct, IDotKernel
    {
        TKernel.Run(args.M, args.N, args.K, args.Alpha, args.A, args.Lda, args.B, args.Ldb, args.Beta, args.C, args.Ldc);
        if (args.Bias != null)
        {
            ApplyEpilogue(args.C, args.Ldc, args.M, args.N, args.Bias, args.Activation);
        }
    }

    // dst (columns x rows, stride rows) = src (rows x columns, stride ld) transposed.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeInto(float* src, nint ld, int rows, int columns, float* dst)
    {
        int r = 0;
        if (Avx.IsSupported)
        {
            for (; r + 8 <= rows; r += 8)
            {
                TransposeRowsInto(src + (r * ld), ld, columns, dst + r, rows);
            }
        }

        for (; r < rows; r++)
        {
            float* s = src + (r * ld);
            for (int j = 0; j < columns; j++)
            {
                dst[(j * rows) + r] = s[j];
            }
        }
    }

    // Adds the k tail to a dot product and stores alpha * sum (+ beta * c).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish(float* c, float sum, float* a, float* b, int p, int k, float alpha, float beta)
    {
        for (; p < k; p++)
        {
            sum = MathF.FusedMultiplyAdd(a[p], b[p], sum);
        }

        StoreScaled(c, sum, alpha, beta);
    }

    // *c = alpha * sum (+ beta * *c): one element as the packed micro-kernels store it, so every path gives the same bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreScaled(float* c, float sum, float alpha, float beta) =>
        *c = beta == 0f ? alpha * sum : MathF.FusedMultiplyAdd(alpha, sum, beta * *c);
}
