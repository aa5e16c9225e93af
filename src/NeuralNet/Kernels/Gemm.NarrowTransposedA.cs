// Narrow products with A transposed (n <= 16), e.g. the kernel gradient of a Dense layer with 10 outputs:
// dW (inputs x 10) = Xᵀ · dZ. The packed path would pad 10 columns to a 32-wide tile and copy every tile through
// the edge buffer, wasting two thirds of its work. Here a vector runs down 8 rows of C at once (the 8 values of one
// k are contiguous in a transposed A) with one accumulator per column, so no lane is padding. With AVX-512 a zmm
// covers 16 rows and all n columns go in one pass, so each k of a panel is one cache line read once, in place.
// Otherwise (and for an 8-row tail) a panel is first copied out of A: passes over groups of 8 columns re-read it,
// and in place a row stride such as 512 floats would put every k of the panel in the same two L1 sets.
//
// Every element of C sees the arithmetic of the packed path: k in blocks of Kc, each block summed by fused
// multiply-adds in k order from zero and stored as alpha * sum (+ beta * C, beta = 1 after the first block).
// Results are the same bits whichever path, tile or thread computes them.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NeuralNet.Kernels;

internal static unsafe partial class Gemm
{
    private const int NarrowRows = 8;
    private const int NarrowPanelRows = 16;
    private const int NarrowColumns = 8;

    private static bool TryNarrowTransposedA(in Arguments args)
    {
        if (!args.TransposeA || args.N > NarrowMaxN || !Fma.IsSupported)
        {
            return false;
        }

        RunInRowBlocks(in args, NarrowRows, &NarrowTransposedASerial);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowTransposedASerial(in Arguments args)
    {
        // B[p, j] is b[p * bRowStep + j * bColumnStep] whether or not B is stored transposed.
        nint bRowStep = args.TransposeB ? 1 : args.Ldb;
        nint bColumnStep = args.TransposeB ? args.Ldb : 1;
        float* sums = stackalloc float[NarrowPanelRows * NarrowMaxN];
        RentPackBuffer(out float* panel, out _); // MaxMr x Kc floats: one 16 x Kc panel
        for (int pc = 0; pc < args.K; pc += Kc)
        {
            int kc = Math.Min(Kc, args.K - pc);
            float beta = pc == 0 ? args.Beta : 1f;
            float* a = args.A + (pc * args.Lda);
            float* b = args.B + (pc * bRowStep);
            int i = 0;
            if (Avx512F.IsSupported)
            {
                // 16 rows per zmm and every column in one pass: each k of the panel is one cache line, read once.
                for (; i + NarrowPanelRows <= args.M; i += NarrowPanelRows)
                {
                    SumColumns16(args.N, kc, a + i, args.Lda, b, bRowStep, bColumnStep, sums);
                    StoreColumns(sums, NarrowPanelRows, args.N, args.C + (i * args.Ldc), args.Ldc, args.Alpha, beta);
                }
            }

            while (args.M - i >= NarrowRows)
            {
                int rows = args.M - i >= NarrowPanelRows ? NarrowPanelRows : NarrowRows;
                CopyPanel(a + i, args.Lda, kc, rows, panel);
                for (int half = 0; half < rows; half += NarrowRows)
                {
                    for (int j = 0; j < args.N; j += NarrowColumns)
                    {
                        int columns = Math.Min(NarrowColumns, args.N - j);
                        SumColumns(columns, kc, panel + half, rows, b + (j * bColumnStep), bRowStep, bColumnStep, sums);
                        StoreColumns(sums, NarrowRows, columns, args.C + ((i + half) * args.Ldc) + j, args.Ldc, args.Alpha, beta);
                    }
                }

                i += rows;
            }

            for (; i < args.M; i++)
            {
                for (int j = 0; j < args.N; j++)
                {
                    float sum = 0f;
                    for (int p = 0; p < kc; p++)
                    {
                        sum = MathF.FusedMultiplyAdd(a[(p * args.Lda) + i], b[(p * bRowStep) + (j * bColumnStep)], sum);
                    }

                    StoreScaled(args.C + (i * args.Ldc) + j, sum, args.Alpha, beta);
                }
            }
        }

        if (args.Bias != null)
        {
            ApplyEpilogue(args.C, args.Ldc, args.M, args.N, args.Bias, args.Activation);
        }
    }

    // panel[p * rows + r] = a[p * lda + r] for p < kc, r < rows (8 or 16).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPanel(float* a, nint lda, int kc, int rows, float* panel)
    {
        for (int p = 0; p < kc; p++)
        {
            Vector256.Load(a).Store(panel);
            if (rows == NarrowPanelRows)
            {
                Vector256.Load(a + 8).Store(panel + 8);
            }

            a += lda;
            panel += rows;
        }
    }

    // One JIT specialisation per column count, so the accumulators of a narrower block are never computed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumColumns(int columns, int kc, float* a, nint lda, float* b, nint bRowStep, nint bColumnStep, float* sums)
    {
        switch (columns)
        {
            case 1: SumColumns<Columns1>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 2: SumColumns<Columns2>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 3: SumColumns<Columns3>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 4: SumColumns<Columns4>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 5: SumColumns<Columns5>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 6: SumColumns<Columns6>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 7: SumColumns<Columns7>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            default: SumColumns<Columns8>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
        }
    }

    // sums[c * 8 + r] = sum over p < kc of a[p * lda + r] * B[p, c], for 8 rows r and TColumns columns c.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumColumns<TColumns>(int kc, float* a, nint lda, float* b, nint bRowStep, nint bColumnStep, float* sums)
        where TColumns : struct, IColumnCount
    {
        int n = TColumns.Value;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        Vector256<float> s4 = default, s5 = default, s6 = default, s7 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> va = Vector256.Load(a);
            s0 = Fma.MultiplyAdd(va, Vector256.Create(b[0]), s0);
            if (n > 1) s1 = Fma.MultiplyAdd(va, Vector256.Create(b[bColumnStep]), s1);
            if (n > 2) s2 = Fma.MultiplyAdd(va, Vector256.Create(b[2 * bColumnStep]), s2);
            if (n > 3) s3 = Fma.MultiplyAdd(va, Vector256.Create(b[3 * bColumnStep]), s3);
            if (n > 4) s4 = Fma.MultiplyAdd(va, Vector256.Create(b[4 * bColumnStep]), s4);
            if (n > 5) s5 = Fma.MultiplyAdd(va, Vector256.Create(b[5 * bColumnStep]), s5);
            if (n > 6) s6 = Fma.MultiplyAdd(va, Vector256.Create(b[6 * bColumnStep]), s6);
            if (n > 7) s7 = Fma.MultiplyAdd(va, Vector256.Create(b[7 * bColumnStep]), s7);
            a += lda;
            b += bRowStep;
        }

        s0.Store(sums);
        if (n > 1) s1.Store(sums + 8);
        if (n > 2) s2.Store(sums + 16);
        if (n > 3) s3.Store(sums + 24);
        if (n > 4) s4.Store(sums + 32);
        if (n > 5) s5.Store(sums + 40);
        if (n > 6) s6.Store(sums + 48);
        if (n > 7) s7.Store(sums + 56);
    }

    // The 16-row AVX-512 form of SumColumns over all n <= 16 columns at once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SumColumns16(int columns, int kc, float* a, nint lda, float* b, nint bRowStep, nint bColumnStep, float* sums)
    {
        switch (columns)
        {
            case 1: SumColumns16<Columns1>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 2: SumColumns16<Columns2>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 3: SumColumns16<Columns3>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 4: SumColumns16<Columns4>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 5: SumColumns16<Columns5>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 6: SumColumns16<Columns6>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 7: SumColumns16<Columns7>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 8: SumColumns16<Columns8>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 9: SumColumns16<Columns9>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 10: SumColumns16<Columns10>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 11: SumColumns16<Columns11>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 12: SumColumns16<Columns12>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 13: SumColumns16<Columns13>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 14: SumColumns16<Columns14>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            case 15: SumColumns16<Columns15>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
            default: SumColumns16<Columns16>(kc, a, lda, b, bRowStep, bColumnStep, sums); break;
        }
    }

    // sums[c * 16 + r] = sum over p < kc of a[p * lda + r] * B[p, c], for 16 rows r and TColumns columns c.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SumColumns16<TColumns>(int kc, float* a, nint lda, float* b, nint bRowStep, nint bColumnStep, float* sums)
        where TColumns : struct, IColumnCount
    {
        int n = TColumns.Value;
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
        Vector512<float> s8 = default, s9 = default, s10 = default, s11 = default, s12 = default, s13 = default, s14 = default, s15 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> va = Vector512.Load(a);
            s0 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[0]), s0);
            if (n > 1) s1 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[bColumnStep]), s1);
            if (n > 2) s2 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[2 * bColumnStep]), s2);
            if (n > 3) s3 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[3 * bColumnStep]), s3);
            if (n > 4) s4 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[4 * bColumnStep]), s4);
            if (n > 5) s5 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[5 * bColumnStep]), s5);
            if (n > 6) s6 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[6 * bColumnStep]), s6);
            if (n > 7) s7 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[7 * bColumnStep]), s7);
            if (n > 8) s8 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[8 * bColumnStep]), s8);
            if (n > 9) s9 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[9 * bColumnStep]), s9);
            if (n > 10) s10 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[10 * bColumnStep]), s10);
            if (n > 11) s11 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[11 * bColumnStep]), s11);
            if (n > 12) s12 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[12 * bColumnStep]), s12);
            if (n > 13) s13 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[13 * bColumnStep]), s13);
            if (n > 14) s14 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[14 * bColumnStep]), s14);
            if (n > 15) s15 = Avx512F.FusedMultiplyAdd(va, Vector512.Create(b[15 * bColumnStep]), s15);
            a += lda;
            b += bRowStep;
        }

        s0.Store(sums);
        if (n > 1) s1.Store(sums + 16);
        if (n > 2) s2.Store(sums + 32);
        if (n > 3) s3.Store(sums + 48);
        if (n > 4) s4.Store(sums + 64);
        if (n > 5) s5.Store(sums + 80);
        if (n > 6) s6.Store(sums + 96);
        if (n > 7) s7.Store(sums + 112);
        if (n > 8) s8.Store(sums + 128);
        if (n > 9) s9.Store(sums + 144);
        if (n > 10) s10.Store(sums + 160);
        if (n > 11) s11.Store(sums + 176);
        if (n > 12) s12.Store(sums + 192);
        if (n > 13) s13.Store(sums + 208);
        if (n > 14) s14.Store(sums + 224);
        if (n > 15) s15.Store(sums + 240);
    }

    // C[r, c] = alpha * sums[c * rows + r] (+ beta * C[r, c]) for the rows of the block: the micro-kernels' store.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumns(float* sums, int rows, int columns, float* c, nint ldc, float alpha, float beta)
    {
        for (int r = 0; r < rows; r++)
        {
            float* row = c + (r * ldc);
            for (int col = 0; col < columns; col++)
            {
                StoreScaled(row + col, sums[(col * rows) + r], alpha, beta);
            }
        }
    }

    private interface IColumnCount
    {
        static abstract int Value { get; }
    }

    private readonly struct Columns1 : IColumnCount { public static int Value => 1; }

    private readonly struct Columns2 : IColumnCount { public static int Value => 2; }

    private readonly struct Columns3 : IColumnCount { public static int Value => 3; }

    private readonly struct Columns4 : IColumnCount { public static int Value => 4; }

    private readonly struct Columns5 : IColumnCount { public static int Value => 5; }

    private readonly struct Columns6 : IColumnCount { public static int Value => 6; }

    private readonly struct Columns7 : IColumnCount { public static int Value => 7; }

    private readonly struct Columns8 : IColumnCount { public static int Value => 8; }

    private readonly struct Columns9 : IColumnCount { public static int Value => 9; }

    private readonly struct Columns10 : IColumnCount { public static int Value => 10; }

    private readonly struct Columns11 : IColumnCount { public static int Value => 11; }

    private readonly struct Columns12 : IColumnCount { public static int Value => 12; }

    private readonly struct Columns13 : IColumnCount { public static int Value => 13; }

    private readonly struct Columns14 : IColumnCount { public static int Value => 14; }

    private readonly struct Columns15 : IColumnCount { public static int Value => 15; }

    private readonly struct Columns16 : IColumnCount { public static int Value => 16; }
}
