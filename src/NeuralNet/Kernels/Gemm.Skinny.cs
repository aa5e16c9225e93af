using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NeuralNet.Kernels;

// Driver for skinny products (m <= SkinnyMaxM rows, neither operand transposed), e.g. a Dense layer on one sample: each
// row of C is built as a sum of B's rows scaled by A's entries, reading B (the weights) in place. Packing B would copy
// the whole weight matrix for a handful of rows; streaming it once is all the arithmetic needs.
internal static unsafe partial class Gemm
{
    private const int SkinnyMaxM = 4;

    // Every C element is one fused multiply-add chain over p = 0..k-1 from zero, whatever the vector width, so this path
    // gives the same bits on AVX-512, AVX2 and the scalar tail.
    private static bool TrySkinny(in Arguments args)
    {
        // Above the parallel threshold the packed path splits the work over threads; this one stays on the calling thread.
        // Only where the packed path runs a fused kernel too (AVX2 + FMA or AVX-512): the two must round alike.
        if (args.TransposeA || args.TransposeB || args.M > SkinnyMaxM || !(Avx512Kernel.IsSupported || Avx2Kernel.IsSupported)
            || ((long)args.M * args.N * args.K >= ParallelThreshold && Parallelism.MaxDegreeOfParallelism > 1))
        {
            return false;
        }

        // A large B is split by columns over the thread team: each thread streams its share of B, which then stays in
        // that core's cache from one call to the next (a served model predicting one sample after another).
        int threads = Parallelism.MaxDegreeOfParallelism;
        int parts = Math.Min(threads, args.N / SkinnyPartColumns);
        if (parts > 1 && (long)args.N * args.K >= SkinnyParallelMinimum)
        {
            int chunk = (args.N + parts - 1) / parts;
            chunk = (chunk + SkinnyPartColumns - 1) / SkinnyPartColumns * SkinnyPartColumns;
            RunParts(in args, splitColumns: true, chunk, (args.N + chunk - 1) / chunk, &SkinnySerial, shortCall: true);
        }
        else
        {
            SkinnySerial(in args);
        }

        return true;
    }

    // Each thread's share of the columns is a multiple of this (the widest block of SkinnyRow); B needs at least
    // SkinnyParallelMinimum elements before a second thread pays for its hand-off.
    private const int SkinnyPartColumns = 128;
    private const long SkinnyParallelMinimum = 1 << 17;

    private static void SkinnySerial(in Arguments args)
    {
        for (int i = 0; i < args.M; i++)
        {
            SkinnyRow(args.A + (i * args.Lda), args.N, args.K, args.B, args.Ldb, args.Alpha, args.Beta, args.C + (i * args.Ldc));
        }

        if (args.Bias != null)
        {
            ApplyEpilogue(args.C, args.Ldc, args.M, args.N, args.Bias, args.Activation);
        }
    }

    // c (n) = alpha * (a (k) times B (k x n, stride ldb)) + beta * c, in blocks of Kc along k as the packed kernels:
    // each block's products are one fused chain from zero, folded into c with c = alpha * block + beta * c (the first
    // block; beta == 0 ignores c) or c = alpha * block + c (the later ones). A row predicted alone therefore gets the
    // bits it gets inside a batch, on AVX-512 and AVX2 alike.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SkinnyRow(float* a, int n, int k, float* b, nint ldb, float alpha, float beta, float* c)
    {
        for (int pc = 0; pc < k; pc += Kc)
        {
            int kc = Math.Min(Kc, k - pc);
            SkinnyRowBlock(a + pc, n, kc, b + (pc * ldb), ldb, alpha, pc == 0 ? beta : 1f, pc == 0, c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SkinnyRowBlock(float* a, int n, int kc, float* b, nint ldb, float alpha, float beta, bool first, float* c)
    {
        bool overwrite = first && beta == 0f;
        int j = 0;
        if (Avx512F.IsSupported)
        {
            for (; j + 128 <= n; j += 128)
            {
                SkinnyBlock512x8(a, kc, b + j, ldb, alpha, beta, overwrite, c + j);
            }

            for (; j + 16 <= n; j += 16)
            {
                Vector512<float> acc = Vector512<float>.Zero;
                float* bp = b + j;
                for (int p = 0; p < kc; p++, bp += ldb)
                {
                    acc = Avx512F.FusedMultiplyAdd(Vector512.Create(a[p]), Avx512F.LoadVector512(bp), acc);
                }

                Store(acc, alpha, beta, overwrite, c + j);
            }
        }
        else
        {
            for (; j + 64 <= n; j += 64)
            {
                SkinnyBlock256x8(a, kc, b + j, ldb, alpha, beta, overwrite, c + j);
            }
        }

        for (; j + 8 <= n; j += 8)
        {
            Vector256<float> acc = Vector256<float>.Zero;
            float* bp = b + j;
            for (int p = 0; p < kc; p++, bp += ldb)
            {
                acc = Fma.MultiplyAdd(Vector256.Create(a[p]), Avx.LoadVector256(bp), acc);
            }

            Store(acc, alpha, beta, overwrite, c + j);
        }

        for (; j < n; j++)
        {
            float acc = 0f;
            float* bp = b + j;
            for (int p = 0; p < kc; p++, bp += ldb)
            {
                acc = MathF.FusedMultiplyAdd(a[p], *bp, acc);
            }

            c[j] = overwrite ? alpha * acc : MathF.FusedMultiplyAdd(alpha, acc, beta * c[j]);
        }
    }

    // 128 columns: eight 16-float accumulators over the block.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SkinnyBlock512x8(float* a, int kc, float* b, nint ldb, float alpha, float beta, bool overwrite, float* c)
    {
        Vector512<float> c0 = Vector512<float>.Zero, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int p = 0; p < kc; p++, b += ldb)
        {
            Vector512<float> ap = Vector512.Create(a[p]);
            c0 = Avx512F.FusedMultiplyAdd(ap, Avx512F.LoadVector512(b), c0);
            c1 = Avx512F.FusedMultiplyAdd(ap, Avx512F.LoadVector512(b + 16), c1);
            c2 = Avx512F.FusedMultiplyAdd(ap, Avx512F.LoadVector512(b + 32), c2);
            c3 = Avx512F.FusedMultiplyAdd(ap, Avx512F.LoadVector512(b + 48), c3);
            c4 = Avx512F.FusedMultiplyAdd(ap, Avx512F.LoadVector512(b + 64), c4);
            c5 = Avx512F.FusedMultiplyAdd(ap, Avx512F.LoadVector512(b + 80), c5);
            c6 = Avx512F.FusedMultiplyAdd(ap, Avx512F.LoadVector512(b + 96), c6);
            c7 = Avx512F.FusedMultiplyAdd(ap, Avx512F.LoadVector512(b + 112), c7);
        }

        Store(c0, alpha, beta, overwrite, c);
        Store(c1, alpha, beta, overwrite, c + 16);
        Store(c2, alpha, beta, overwrite, c + 32);
        Store(c3, alpha, beta, overwrite, c + 48);
        Store(c4, alpha, beta, overwrite, c + 64);
        Store(c5, alpha, beta, overwrite, c + 80);
        Store(c6, alpha, beta, overwrite, c + 96);
        Store(c7, alpha, beta, overwrite, c + 112);
    }

    // 64 columns: eight 8-float accumulators over the block.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SkinnyBlock256x8(float* a, int kc, float* b, nint ldb, float alpha, float beta, bool overwrite, float* c)
    {
        Vector256<float> c0 = Vector256<float>.Zero, c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int p = 0; p < kc; p++, b += ldb)
        {
            Vector256<float> ap = Vector256.Create(a[p]);
            c0 = Fma.MultiplyAdd(ap, Avx.LoadVector256(b), c0);
            c1 = Fma.MultiplyAdd(ap, Avx.LoadVector256(b + 8), c1);
            c2 = Fma.MultiplyAdd(ap, Avx.LoadVector256(b + 16), c2);
            c3 = Fma.MultiplyAdd(ap, Avx.LoadVector256(b + 24), c3);
            c4 = Fma.MultiplyAdd(ap, Avx.LoadVector256(b + 32), c4);
            c5 = Fma.MultiplyAdd(ap, Avx.LoadVector256(b + 40), c5);
            c6 = Fma.MultiplyAdd(ap, Avx.LoadVector256(b + 48), c6);
            c7 = Fma.MultiplyAdd(ap, Avx.LoadVector256(b + 56), c7);
        }

        Store(c0, alpha, beta, overwrite, c);
        Store(c1, alpha, beta, overwrite, c + 8);
        Store(c2, alpha, beta, overwrite, c + 16);
        Store(c3, alpha, beta, overwrite, c + 24);
        Store(c4, alpha, beta, overwrite, c + 32);
        Store(c5, alpha, beta, overwrite, c + 40);
        Store(c6, alpha, beta, overwrite, c + 48);
        Store(c7, alpha, beta, overwrite, c + 56);
    }

    // The micro-kernels' store: c = alpha * acc, or fma(alpha, acc, beta * c).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector512<float> acc, float alpha, float beta, bool overwrite, float* c)
    {
        Vector512<float> va = Vector512.Create(alpha);
        Vector512<float> result = overwrite ? va * acc : Avx512F.FusedMultiplyAdd(va, acc, Vector512.Create(beta) * Avx512F.LoadVector512(c));
        Avx512F.Store(c, result);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> acc, float alpha, float beta, bool overwrite, float* c)
    {
        Vector256<float> va = Vector256.Create(alpha);
        Vector256<float> result = overwrite ? va * acc : Fma.MultiplyAdd(va, acc, Vector256.Create(beta) * Avx.LoadVector256(c));
        Avx.Store(c, result);
    }
}
