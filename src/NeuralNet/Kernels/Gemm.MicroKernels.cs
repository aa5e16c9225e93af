// Register-blocked SIMD micro-kernels, fully unrolled over the tile: every accumulator is a local so
// the JIT keeps the whole C tile in registers. Layout contract, shared by all kernels:
//   a: A micro-panel, kc steps of Mr floats (column p of the Mr x kc block) aStep floats apart: Mr when packed,
//      lda when a transposed A is read in place (its Mr values for one p are already contiguous)
//   b: packed B micro-panel, kc steps of Nr floats (row p of the kc x Nr block)
//   c: Mr x Nr tile of C, row stride ldc.  C = alpha * (A * B) + beta * C, beta == 0 ignores old C.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NeuralNet.Kernels;

internal static unsafe partial class Gemm
{
    /// <summary>AVX-512 micro-kernel: 12 x 32 tile, 24 zmm accumulators.</summary>
    private readonly partial struct Avx512Kernel : IMicroKernel
    {
        public static int Mr => 12;

        public static int Nr => 32;

        public static bool IsSupported => Avx512F.IsSupported;

        public static bool SupportsDirectA => true;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, float* a, nint aStep, float* b, float* c, nint ldc, float alpha, float beta)
        {
            Vector512<float> c0x0 = default, c0x1 = default;
            Vector512<float> c1x0 = default, c1x1 = default;
            Vector512<float> c2x0 = default, c2x1 = default;
            Vector512<float> c3x0 = default, c3x1 = default;
            Vector512<float> c4x0 = default, c4x1 = default;
            Vector512<float> c5x0 = default, c5x1 = default;
            Vector512<float> c6x0 = default, c6x1 = default;
            Vector512<float> c7x0 = default, c7x1 = default;
            Vector512<float> c8x0 = default, c8x1 = default;
            Vector512<float> c9x0 = default, c9x1 = default;
            Vector512<float> c10x0 = default, c10x1 = default;
            Vector512<float> c11x0 = default, c11x1 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector512<float> b0 = Vector512.Load(b + 0);
                Vector512<float> b1 = Vector512.Load(b + 16);
                Vector512<float> a0 = Vector512.Create(a[0]);
                c0x0 = Avx512F.FusedMultiplyAdd(a0, b0, c0x0);
                c0x1 = Avx512F.FusedMultiplyAdd(a0, b1, c0x1);
                Vector512<float> a1 = Vector512.Create(a[1]);
                c1x0 = Avx512F.FusedMultiplyAdd(a1, b0, c1x0);
                c1x1 = Avx512F.FusedMultiplyAdd(a1, b1, c1x1);
                Vector512<float> a2 = Vector512.Create(a[2]);
                c2x0 = Avx512F.FusedMultiplyAdd(a2, b0, c2x0);
                c2x1 = Avx512F.FusedMultiplyAdd(a2, b1, c2x1);
                Vector512<float> a3 = Vector512.Create(a[3]);
                c3x0 = Avx512F.FusedMultiplyAdd(a3, b0, c3x0);
                c3x1 = Avx512F.FusedMultiplyAdd(a3, b1, c3x1);
                Vector512<float> a4 = Vector512.Create(a[4]);
                c4x0 = Avx512F.FusedMultiplyAdd(a4, b0, c4x0);
                c4x1 = Avx512F.FusedMultiplyAdd(a4, b1, c4x1);
                Vector512<float> a5 = Vector512.Create(a[5]);
                c5x0 = Avx512F.FusedMultiplyAdd(a5, b0, c5x0);
                c5x1 = Avx512F.FusedMultiplyAdd(a5, b1, c5x1);
                Vector512<float> a6 = Vector512.Create(a[6]);
                c6x0 = Avx512F.FusedMultiplyAdd(a6, b0, c6x0);
                c6x1 = Avx512F.FusedMultiplyAdd(a6, b1, c6x1);
                Vector512<float> a7 = Vector512.Create(a[7]);
                c7x0 = Avx512F.FusedMultiplyAdd(a7, b0, c7x0);
                c7x1 = Avx512F.FusedMultiplyAdd(a7, b1, c7x1);
                Vector512<float> a8 = Vector512.Create(a[8]);
                c8x0 = Avx512F.FusedMultiplyAdd(a8, b0, c8x0);
                c8x1 = Avx512F.FusedMultiplyAdd(a8, b1, c8x1);
                Vector512<float> a9 = Vector512.Create(a[9]);
                c9x0 = Avx512F.FusedMultiplyAdd(a9, b0, c9x0);
                c9x1 = Avx512F.FusedMultiplyAdd(a9, b1, c9x1);
                Vector512<float> a10 = Vector512.Create(a[10]);
                c10x0 = Avx512F.FusedMultiplyAdd(a10, b0, c10x0);
                c10x1 = Avx512F.FusedMultiplyAdd(a10, b1, c10x1);
                Vector512<float> a11 = Vector512.Create(a[11]);
                c11x0 = Avx512F.FusedMultiplyAdd(a11, b0, c11x0);
                c11x1 = Avx512F.FusedMultiplyAdd(a11, b1, c11x1);
                a += aStep;
                b += 32;
            }

            float* row0 = c + (0 * ldc);
            float* row1 = c + (1 * ldc);
            float* row2 = c + (2 * ldc);
            float* row3 = c + (3 * ldc);
            float* row4 = c + (4 * ldc);
            float* row5 = c + (5 * ldc);
            float* row6 = c + (6 * ldc);
            float* row7 = c + (7 * ldc);
            float* row8 = c + (8 * ldc);
            float* row9 = c + (9 * ldc);
            float* row10 = c + (10 * ldc);
            float* row11 = c + (11 * ldc);
            if (beta == 0f)
            {
                Vector512<float> va = Vector512.Create(alpha);
                (va * c0x0).Store(row0 + 0);
                (va * c0x1).Store(row0 + 16);
                (va * c1x0).Store(row1 + 0);
                (va * c1x1).Store(row1 + 16);
                (va * c2x0).Store(row2 + 0);
                (va * c2x1).Store(row2 + 16);
                (va * c3x0).Store(row3 + 0);
                (va * c3x1).Store(row3 + 16);
                (va * c4x0).Store(row4 + 0);
                (va * c4x1).Store(row4 + 16);
                (va * c5x0).Store(row5 + 0);
                (va * c5x1).Store(row5 + 16);
                (va * c6x0).Store(row6 + 0);
                (va * c6x1).Store(row6 + 16);
                (va * c7x0).Store(row7 + 0);
                (va * c7x1).Store(row7 + 16);
                (va * c8x0).Store(row8 + 0);
                (va * c8x1).Store(row8 + 16);
                (va * c9x0).Store(row9 + 0);
                (va * c9x1).Store(row9 + 16);
                (va * c10x0).Store(row10 + 0);
                (va * c10x1).Store(row10 + 16);
                (va * c11x0).Store(row11 + 0);
                (va * c11x1).Store(row11 + 16);
            }
            else
            {
                Vector512<float> va = Vector512.Create(alpha);
                Vector512<float> vb = Vector512.Create(beta);
                Avx512F.FusedMultiplyAdd(va, c0x0, (vb * Vector512.Load(row0 + 0))).Store(row0 + 0);
                Avx512F.FusedMultiplyAdd(va, c0x1, (vb * Vector512.Load(row0 + 16))).Store(row0 + 16);
                Avx512F.FusedMultiplyAdd(va, c1x0, (vb * Vector512.Load(row1 + 0))).Store(row1 + 0);
                Avx512F.FusedMultiplyAdd(va, c1x1, (vb * Vector512.Load(row1 + 16))).Store(row1 + 16);
                Avx512F.FusedMultiplyAdd(va, c2x0, (vb * Vector512.Load(row2 + 0))).Store(row2 + 0);
                Avx512F.FusedMultiplyAdd(va, c2x1, (vb * Vector512.Load(row2 + 16))).Store(row2 + 16);
                Avx512F.FusedMultiplyAdd(va, c3x0, (vb * Vector512.Load(row3 + 0))).Store(row3 + 0);
                Avx512F.FusedMultiplyAdd(va, c3x1, (vb * Vector512.Load(row3 + 16))).Store(row3 + 16);
                Avx512F.FusedMultiplyAdd(va, c4x0, (vb * Vector512.Load(row4 + 0))).Store(row4 + 0);
                Avx512F.FusedMultiplyAdd(va, c4x1, (vb * Vector512.Load(row4 + 16))).Store(row4 + 16);
                Avx512F.FusedMultiplyAdd(va, c5x0, (vb * Vector512.Load(row5 + 0))).Store(row5 + 0);
                Avx512F.FusedMultiplyAdd(va, c5x1, (vb * Vector512.Load(row5 + 16))).Store(row5 + 16);
                Avx512F.FusedMultiplyAdd(va, c6x0, (vb * Vector512.Load(row6 + 0))).Store(row6 + 0);
                Avx512F.FusedMultiplyAdd(va, c6x1, (vb * Vector512.Load(row6 + 16))).Store(row6 + 16);
                Avx512F.FusedMultiplyAdd(va, c7x0, (vb * Vector512.Load(row7 + 0))).Store(row7 + 0);
                Avx512F.FusedMultiplyAdd(va, c7x1, (vb * Vector512.Load(row7 + 16))).Store(row7 + 16);
                Avx512F.FusedMultiplyAdd(va, c8x0, (vb * Vector512.Load(row8 + 0))).Store(row8 + 0);
                Avx512F.FusedMultiplyAdd(va, c8x1, (vb * Vector512.Load(row8 + 16))).Store(row8 + 16);
                Avx512F.FusedMultiplyAdd(va, c9x0, (vb * Vector512.Load(row9 + 0))).Store(row9 + 0);
                Avx512F.FusedMultiplyAdd(va, c9x1, (vb * Vector512.Load(row9 + 16))).Store(row9 + 16);
                Avx512F.FusedMultiplyAdd(va, c10x0, (vb * Vector512.Load(row10 + 0))).Store(row10 + 0);
                Avx512F.FusedMultiplyAdd(va, c10x1, (vb * Vector512.Load(row10 + 16))).Store(row10 + 16);
                Avx512F.FusedMultiplyAdd(va, c11x0, (vb * Vector512.Load(row11 + 0))).Store(row11 + 0);
                Avx512F.FusedMultiplyAdd(va, c11x1, (vb * Vector512.Load(row11 + 16))).Store(row11 + 16);
            }
        }
    }

    // The same kernel reading A unpacked: row r of the micro-panel is a + r * lda, contiguous in p.
    private readonly partial struct Avx512Kernel
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunDirectA(int kc, float* a, nint lda, float* b, float* c, nint ldc, float alpha, float beta)
        {
            nint lda2 = 2 * lda;
            float* r0 = a;
            float* r3 = a + (3 * lda);
            float* r6 = a + (6 * lda);
            float* r9 = a + (9 * lda);
            Vector512<float> c0x0 = default, c0x1 = default;
            Vector512<float> c1x0 = default, c1x1 = default;
            Vector512<float> c2x0 = default, c2x1 = default;
            Vector512<float> c3x0 = default, c3x1 = default;
            Vector512<float> c4x0 = default, c4x1 = default;
            Vector512<float> c5x0 = default, c5x1 = default;
            Vector512<float> c6x0 = default, c6x1 = default;
            Vector512<float> c7x0 = default, c7x1 = default;
            Vector512<float> c8x0 = default, c8x1 = default;
            Vector512<float> c9x0 = default, c9x1 = default;
            Vector512<float> c10x0 = default, c10x1 = default;
            Vector512<float> c11x0 = default, c11x1 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector512<float> b0 = Vector512.Load(b + 0);
                Vector512<float> b1 = Vector512.Load(b + 16);
                Vector512<float> a0 = Vector512.Create(*r0);
                c0x0 = Avx512F.FusedMultiplyAdd(a0, b0, c0x0);
                c0x1 = Avx512F.FusedMultiplyAdd(a0, b1, c0x1);
                Vector512<float> a1 = Vector512.Create(r0[lda]);
                c1x0 = Avx512F.FusedMultiplyAdd(a1, b0, c1x0);
                c1x1 = Avx512F.FusedMultiplyAdd(a1, b1, c1x1);
                Vector512<float> a2 = Vector512.Create(r0[lda2]);
                c2x0 = Avx512F.FusedMultiplyAdd(a2, b0, c2x0);
                c2x1 = Avx512F.FusedMultiplyAdd(a2, b1, c2x1);
                Vector512<float> a3 = Vector512.Create(*r3);
                c3x0 = Avx512F.FusedMultiplyAdd(a3, b0, c3x0);
                c3x1 = Avx512F.FusedMultiplyAdd(a3, b1, c3x1);
                Vector512<float> a4 = Vector512.Create(r3[lda]);
                c4x0 = Avx512F.FusedMultiplyAdd(a4, b0, c4x0);
                c4x1 = Avx512F.FusedMultiplyAdd(a4, b1, c4x1);
                Vector512<float> a5 = Vector512.Create(r3[lda2]);
                c5x0 = Avx512F.FusedMultiplyAdd(a5, b0, c5x0);
                c5x1 = Avx512F.FusedMultiplyAdd(a5, b1, c5x1);
                Vector512<float> a6 = Vector512.Create(*r6);
                c6x0 = Avx512F.FusedMultiplyAdd(a6, b0, c6x0);
                c6x1 = Avx512F.FusedMultiplyAdd(a6, b1, c6x1);
                Vector512<float> a7 = Vector512.Create(r6[lda]);
                c7x0 = Avx512F.FusedMultiplyAdd(a7, b0, c7x0);
                c7x1 = Avx512F.FusedMultiplyAdd(a7, b1, c7x1);
                Vector512<float> a8 = Vector512.Create(r6[lda2]);
                c8x0 = Avx512F.FusedMultiplyAdd(a8, b0, c8x0);
                c8x1 = Avx512F.FusedMultiplyAdd(a8, b1, c8x1);
                Vector512<float> a9 = Vector512.Create(*r9);
                c9x0 = Avx512F.FusedMultiplyAdd(a9, b0, c9x0);
                c9x1 = Avx512F.FusedMultiplyAdd(a9, b1, c9x1);
                Vector512<float> a10 = Vector512.Create(r9[lda]);
                c10x0 = Avx512F.FusedMultiplyAdd(a10, b0, c10x0);
                c10x1 = Avx512F.FusedMultiplyAdd(a10, b1, c10x1);
                Vector512<float> a11 = Vector512.Create(r9[lda2]);
                c11x0 = Avx512F.FusedMultiplyAdd(a11, b0, c11x0);
                c11x1 = Avx512F.FusedMultiplyAdd(a11, b1, c11x1);
                r0++;
                r3++;
                r6++;
                r9++;
                b += 32;
            }

            float* row0 = c + (0 * ldc);
            float* row1 = c + (1 * ldc);
            float* row2 = c + (2 * ldc);
            float* row3 = c + (3 * ldc);
            float* row4 = c + (4 * ldc);
            float* row5 = c + (5 * ldc);
            float* row6 = c + (6 * ldc);
            float* row7 = c + (7 * ldc);
            float* row8 = c + (8 * ldc);
            float* row9 = c + (9 * ldc);
            float* row10 = c + (10 * ldc);
            float* row11 = c + (11 * ldc);
            if (beta == 0f)
            {
                Vector512<float> va = Vector512.Create(alpha);
                (va * c0x0).Store(row0 + 0);
                (va * c0x1).Store(row0 + 16);
                (va * c1x0).Store(row1 + 0);
                (va * c1x1).Store(row1 + 16);
                (va * c2x0).Store(row2 + 0);
                (va * c2x1).Store(row2 + 16);
                (va * c3x0).Store(row3 + 0);
                (va * c3x1).Store(row3 + 16);
                (va * c4x0).Store(row4 + 0);
                (va * c4x1).Store(row4 + 16);
                (va * c5x0).Store(row5 + 0);
                (va * c5x1).Store(row5 + 16);
                (va * c6x0).Store(row6 + 0);
                (va * c6x1).Store(row6 + 16);
                (va * c7x0).Store(row7 + 0);
                (va * c7x1).Store(row7 + 16);
                (va * c8x0).Store(row8 + 0);
                (va * c8x1).Store(row8 + 16);
                (va * c9x0).Store(row9 + 0);
                (va * c9x1).Store(row9 + 16);
                (va * c10x0).Store(row10 + 0);
                (va * c10x1).Store(row10 + 16);
                (va * c11x0).Store(row11 + 0);
                (va * c11x1).Store(row11 + 16);
            }
            else
            {
                Vector512<float> va = Vector512.Create(alpha);
                Vector512<float> vb = Vector512.Create(beta);
                Avx512F.FusedMultiplyAdd(va, c0x0, (vb * Vector512.Load(row0 + 0))).Store(row0 + 0);
                Avx512F.FusedMultiplyAdd(va, c0x1, (vb * Vector512.Load(row0 + 16))).Store(row0 + 16);
                Avx512F.FusedMultiplyAdd(va, c1x0, (vb * Vector512.Load(row1 + 0))).Store(row1 + 0);
                Avx512F.FusedMultiplyAdd(va, c1x1, (vb * Vector512.Load(row1 + 16))).Store(row1 + 16);
                Avx512F.FusedMultiplyAdd(va, c2x0, (vb * Vector512.Load(row2 + 0))).Store(row2 + 0);
                Avx512F.FusedMultiplyAdd(va, c2x1, (vb * Vector512.Load(row2 + 16))).Store(row2 + 16);
                Avx512F.FusedMultiplyAdd(va, c3x0, (vb * Vector512.Load(row3 + 0))).Store(row3 + 0);
                Avx512F.FusedMultiplyAdd(va, c3x1, (vb * Vector512.Load(row3 + 16))).Store(row3 + 16);
                Avx512F.FusedMultiplyAdd(va, c4x0, (vb * Vector512.Load(row4 + 0))).Store(row4 + 0);
                Avx512F.FusedMultiplyAdd(va, c4x1, (vb * Vector512.Load(row4 + 16))).Store(row4 + 16);
                Avx512F.FusedMultiplyAdd(va, c5x0, (vb * Vector512.Load(row5 + 0))).Store(row5 + 0);
                Avx512F.FusedMultiplyAdd(va, c5x1, (vb * Vector512.Load(row5 + 16))).Store(row5 + 16);
                Avx512F.FusedMultiplyAdd(va, c6x0, (vb * Vector512.Load(row6 + 0))).Store(row6 + 0);
                Avx512F.FusedMultiplyAdd(va, c6x1, (vb * Vector512.Load(row6 + 16))).Store(row6 + 16);
                Avx512F.FusedMultiplyAdd(va, c7x0, (vb * Vector512.Load(row7 + 0))).Store(row7 + 0);
                Avx512F.FusedMultiplyAdd(va, c7x1, (vb * Vector512.Load(row7 + 16))).Store(row7 + 16);
                Avx512F.FusedMultiplyAdd(va, c8x0, (vb * Vector512.Load(row8 + 0))).Store(row8 + 0);
                Avx512F.FusedMultiplyAdd(va, c8x1, (vb * Vector512.Load(row8 + 16))).Store(row8 + 16);
                Avx512F.FusedMultiplyAdd(va, c9x0, (vb * Vector512.Load(row9 + 0))).Store(row9 + 0);
                Avx512F.FusedMultiplyAdd(va, c9x1, (vb * Vector512.Load(row9 + 16))).Store(row9 + 16);
                Avx512F.FusedMultiplyAdd(va, c10x0, (vb * Vector512.Load(row10 + 0))).Store(row10 + 0);
                Avx512F.FusedMultiplyAdd(va, c10x1, (vb * Vector512.Load(row10 + 16))).Store(row10 + 16);
                Avx512F.FusedMultiplyAdd(va, c11x0, (vb * Vector512.Load(row11 + 0))).Store(row11 + 0);
                Avx512F.FusedMultiplyAdd(va, c11x1, (vb * Vector512.Load(row11 + 16))).Store(row11 + 16);
            }
        }
    }

    // The bottom edge of a panel: only the first 8 rows of the (still 12-row) packed A micro-panel,
    // so an m remainder of up to 8 rows costs 8 rows of work, not 12. Same arithmetic per element.
    private readonly partial struct Avx512Kernel
    {
        public static int MrLower => 8;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunLower(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        {
            Vector512<float> c0x0 = default, c0x1 = default;
            Vector512<float> c1x0 = default, c1x1 = default;
            Vector512<float> c2x0 = default, c2x1 = default;
            Vector512<float> c3x0 = default, c3x1 = default;
            Vector512<float> c4x0 = default, c4x1 = default;
            Vector512<float> c5x0 = default, c5x1 = default;
            Vector512<float> c6x0 = default, c6x1 = default;
            Vector512<float> c7x0 = default, c7x1 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector512<float> b0 = Vector512.Load(b + 0);
                Vector512<float> b1 = Vector512.Load(b + 16);
                Vector512<float> a0 = Vector512.Create(a[0]);
                c0x0 = Avx512F.FusedMultiplyAdd(a0, b0, c0x0);
                c0x1 = Avx512F.FusedMultiplyAdd(a0, b1, c0x1);
                Vector512<float> a1 = Vector512.Create(a[1]);
                c1x0 = Avx512F.FusedMultiplyAdd(a1, b0, c1x0);
                c1x1 = Avx512F.FusedMultiplyAdd(a1, b1, c1x1);
                Vector512<float> a2 = Vector512.Create(a[2]);
                c2x0 = Avx512F.FusedMultiplyAdd(a2, b0, c2x0);
                c2x1 = Avx512F.FusedMultiplyAdd(a2, b1, c2x1);
                Vector512<float> a3 = Vector512.Create(a[3]);
                c3x0 = Avx512F.FusedMultiplyAdd(a3, b0, c3x0);
                c3x1 = Avx512F.FusedMultiplyAdd(a3, b1, c3x1);
                Vector512<float> a4 = Vector512.Create(a[4]);
                c4x0 = Avx512F.FusedMultiplyAdd(a4, b0, c4x0);
                c4x1 = Avx512F.FusedMultiplyAdd(a4, b1, c4x1);
                Vector512<float> a5 = Vector512.Create(a[5]);
                c5x0 = Avx512F.FusedMultiplyAdd(a5, b0, c5x0);
                c5x1 = Avx512F.FusedMultiplyAdd(a5, b1, c5x1);
                Vector512<float> a6 = Vector512.Create(a[6]);
                c6x0 = Avx512F.FusedMultiplyAdd(a6, b0, c6x0);
                c6x1 = Avx512F.FusedMultiplyAdd(a6, b1, c6x1);
                Vector512<float> a7 = Vector512.Create(a[7]);
                c7x0 = Avx512F.FusedMultiplyAdd(a7, b0, c7x0);
                c7x1 = Avx512F.FusedMultiplyAdd(a7, b1, c7x1);
                a += 12;
                b += 32;
            }

            float* row0 = c + (0 * ldc);
            float* row1 = c + (1 * ldc);
            float* row2 = c + (2 * ldc);
            float* row3 = c + (3 * ldc);
            float* row4 = c + (4 * ldc);
            float* row5 = c + (5 * ldc);
            float* row6 = c + (6 * ldc);
            float* row7 = c + (7 * ldc);
            if (beta == 0f)
            {
                Vector512<float> va = Vector512.Create(alpha);
                (va * c0x0).Store(row0 + 0);
                (va * c0x1).Store(row0 + 16);
                (va * c1x0).Store(row1 + 0);
                (va * c1x1).Store(row1 + 16);
                (va * c2x0).Store(row2 + 0);
                (va * c2x1).Store(row2 + 16);
                (va * c3x0).Store(row3 + 0);
                (va * c3x1).Store(row3 + 16);
                (va * c4x0).Store(row4 + 0);
                (va * c4x1).Store(row4 + 16);
                (va * c5x0).Store(row5 + 0);
                (va * c5x1).Store(row5 + 16);
                (va * c6x0).Store(row6 + 0);
                (va * c6x1).Store(row6 + 16);
                (va * c7x0).Store(row7 + 0);
                (va * c7x1).Store(row7 + 16);
            }
            else
            {
                Vector512<float> va = Vector512.Create(alpha);
                Vector512<float> vb = Vector512.Create(beta);
                Avx512F.FusedMultiplyAdd(va, c0x0, (vb * Vector512.Load(row0 + 0))).Store(row0 + 0);
                Avx512F.FusedMultiplyAdd(va, c0x1, (vb * Vector512.Load(row0 + 16))).Store(row0 + 16);
                Avx512F.FusedMultiplyAdd(va, c1x0, (vb * Vector512.Load(row1 + 0))).Store(row1 + 0);
                Avx512F.FusedMultiplyAdd(va, c1x1, (vb * Vector512.Load(row1 + 16))).Store(row1 + 16);
                Avx512F.FusedMultiplyAdd(va, c2x0, (vb * Vector512.Load(row2 + 0))).Store(row2 + 0);
                Avx512F.FusedMultiplyAdd(va, c2x1, (vb * Vector512.Load(row2 + 16))).Store(row2 + 16);
                Avx512F.FusedMultiplyAdd(va, c3x0, (vb * Vector512.Load(row3 + 0))).Store(row3 + 0);
                Avx512F.FusedMultiplyAdd(va, c3x1, (vb * Vector512.Load(row3 + 16))).Store(row3 + 16);
                Avx512F.FusedMultiplyAdd(va, c4x0, (vb * Vector512.Load(row4 + 0))).Store(row4 + 0);
                Avx512F.FusedMultiplyAdd(va, c4x1, (vb * Vector512.Load(row4 + 16))).Store(row4 + 16);
                Avx512F.FusedMultiplyAdd(va, c5x0, (vb * Vector512.Load(row5 + 0))).Store(row5 + 0);
                Avx512F.FusedMultiplyAdd(va, c5x1, (vb * Vector512.Load(row5 + 16))).Store(row5 + 16);
                Avx512F.FusedMultiplyAdd(va, c6x0, (vb * Vector512.Load(row6 + 0))).Store(row6 + 0);
                Avx512F.FusedMultiplyAdd(va, c6x1, (vb * Vector512.Load(row6 + 16))).Store(row6 + 16);
                Avx512F.FusedMultiplyAdd(va, c7x0, (vb * Vector512.Load(row7 + 0))).Store(row7 + 0);
                Avx512F.FusedMultiplyAdd(va, c7x1, (vb * Vector512.Load(row7 + 16))).Store(row7 + 16);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunLowerDirectA(int kc, float* a, nint lda, float* b, float* c, nint ldc, float alpha, float beta)
        {
            nint lda2 = 2 * lda;
            float* r0 = a;
            float* r3 = a + (3 * lda);
            float* r6 = a + (6 * lda);
            Vector512<float> c0x0 = default, c0x1 = default;
            Vector512<float> c1x0 = default, c1x1 = default;
            Vector512<float> c2x0 = default, c2x1 = default;
            Vector512<float> c3x0 = default, c3x1 = default;
            Vector512<float> c4x0 = default, c4x1 = default;
            Vector512<float> c5x0 = default, c5x1 = default;
            Vector512<float> c6x0 = default, c6x1 = default;
            Vector512<float> c7x0 = default, c7x1 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector512<float> b0 = Vector512.Load(b + 0);
                Vector512<float> b1 = Vector512.Load(b + 16);
                Vector512<float> a0 = Vector512.Create(*r0);
                c0x0 = Avx512F.FusedMultiplyAdd(a0, b0, c0x0);
                c0x1 = Avx512F.FusedMultiplyAdd(a0, b1, c0x1);
                Vector512<float> a1 = Vector512.Create(r0[lda]);
                c1x0 = Avx512F.FusedMultiplyAdd(a1, b0, c1x0);
                c1x1 = Avx512F.FusedMultiplyAdd(a1, b1, c1x1);
                Vector512<float> a2 = Vector512.Create(r0[lda2]);
                c2x0 = Avx512F.FusedMultiplyAdd(a2, b0, c2x0);
                c2x1 = Avx512F.FusedMultiplyAdd(a2, b1, c2x1);
                Vector512<float> a3 = Vector512.Create(*r3);
                c3x0 = Avx512F.FusedMultiplyAdd(a3, b0, c3x0);
                c3x1 = Avx512F.FusedMultiplyAdd(a3, b1, c3x1);
                Vector512<float> a4 = Vector512.Create(r3[lda]);
                c4x0 = Avx512F.FusedMultiplyAdd(a4, b0, c4x0);
                c4x1 = Avx512F.FusedMultiplyAdd(a4, b1, c4x1);
                Vector512<float> a5 = Vector512.Create(r3[lda2]);
                c5x0 = Avx512F.FusedMultiplyAdd(a5, b0, c5x0);
                c5x1 = Avx512F.FusedMultiplyAdd(a5, b1, c5x1);
                Vector512<float> a6 = Vector512.Create(*r6);
                c6x0 = Avx512F.FusedMultiplyAdd(a6, b0, c6x0);
                c6x1 = Avx512F.FusedMultiplyAdd(a6, b1, c6x1);
                Vector512<float> a7 = Vector512.Create(r6[lda]);
                c7x0 = Avx512F.FusedMultiplyAdd(a7, b0, c7x0);
                c7x1 = Avx512F.FusedMultiplyAdd(a7, b1, c7x1);
                r0++;
                r3++;
                r6++;
                b += 32;
            }

            float* row0 = c + (0 * ldc);
            float* row1 = c + (1 * ldc);
            float* row2 = c + (2 * ldc);
            float* row3 = c + (3 * ldc);
            float* row4 = c + (4 * ldc);
            float* row5 = c + (5 * ldc);
            float* row6 = c + (6 * ldc);
            float* row7 = c + (7 * ldc);
            if (beta == 0f)
            {
                Vector512<float> va = Vector512.Create(alpha);
                (va * c0x0).Store(row0 + 0);
                (va * c0x1).Store(row0 + 16);
                (va * c1x0).Store(row1 + 0);
                (va * c1x1).Store(row1 + 16);
                (va * c2x0).Store(row2 + 0);
                (va * c2x1).Store(row2 + 16);
                (va * c3x0).Store(row3 + 0);
                (va * c3x1).Store(row3 + 16);
                (va * c4x0).Store(row4 + 0);
                (va * c4x1).Store(row4 + 16);
                (va * c5x0).Store(row5 + 0);
                (va * c5x1).Store(row5 + 16);
                (va * c6x0).Store(row6 + 0);
                (va * c6x1).Store(row6 + 16);
                (va * c7x0).Store(row7 + 0);
                (va * c7x1).Store(row7 + 16);
            }
            else
            {
                Vector512<float> va = Vector512.Create(alpha);
                Vector512<float> vb = Vector512.Create(beta);
                Avx512F.FusedMultiplyAdd(va, c0x0, (vb * Vector512.Load(row0 + 0))).Store(row0 + 0);
                Avx512F.FusedMultiplyAdd(va, c0x1, (vb * Vector512.Load(row0 + 16))).Store(row0 + 16);
                Avx512F.FusedMultiplyAdd(va, c1x0, (vb * Vector512.Load(row1 + 0))).Store(row1 + 0);
                Avx512F.FusedMultiplyAdd(va, c1x1, (vb * Vector512.Load(row1 + 16))).Store(row1 + 16);
                Avx512F.FusedMultiplyAdd(va, c2x0, (vb * Vector512.Load(row2 + 0))).Store(row2 + 0);
                Avx512F.FusedMultiplyAdd(va, c2x1, (vb * Vector512.Load(row2 + 16))).Store(row2 + 16);
                Avx512F.FusedMultiplyAdd(va, c3x0, (vb * Vector512.Load(row3 + 0))).Store(row3 + 0);
                Avx512F.FusedMultiplyAdd(va, c3x1, (vb * Vector512.Load(row3 + 16))).Store(row3 + 16);
                Avx512F.FusedMultiplyAdd(va, c4x0, (vb * Vector512.Load(row4 + 0))).Store(row4 + 0);
                Avx512F.FusedMultiplyAdd(va, c4x1, (vb * Vector512.Load(row4 + 16))).Store(row4 + 16);
                Avx512F.FusedMultiplyAdd(va, c5x0, (vb * Vector512.Load(row5 + 0))).Store(row5 + 0);
                Avx512F.FusedMultiplyAdd(va, c5x1, (vb * Vector512.Load(row5 + 16))).Store(row5 + 16);
                Avx512F.FusedMultiplyAdd(va, c6x0, (vb * Vector512.Load(row6 + 0))).Store(row6 + 0);
                Avx512F.FusedMultiplyAdd(va, c6x1, (vb * Vector512.Load(row6 + 16))).Store(row6 + 16);
                Avx512F.FusedMultiplyAdd(va, c7x0, (vb * Vector512.Load(row7 + 0))).Store(row7 + 0);
                Avx512F.FusedMultiplyAdd(va, c7x1, (vb * Vector512.Load(row7 + 16))).Store(row7 + 16);
            }
        }
    }

    /// <summary>AVX2 + FMA micro-kernel: 6 x 16 tile, 12 ymm accumulators (the BLIS Haswell shape).</summary>
    private readonly partial struct Avx2Kernel : IMicroKernel
    {
        public static int Mr => 6;

        public static int Nr => 16;

        public static bool IsSupported => Fma.IsSupported && Avx2.IsSupported;

        public static bool SupportsDirectA => true;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, float* a, nint aStep, float* b, float* c, nint ldc, float alpha, float beta)
        {
            Vector256<float> c0x0 = default, c0x1 = default;
            Vector256<float> c1x0 = default, c1x1 = default;
            Vector256<float> c2x0 = default, c2x1 = default;
            Vector256<float> c3x0 = default, c3x1 = default;
            Vector256<float> c4x0 = default, c4x1 = default;
            Vector256<float> c5x0 = default, c5x1 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector256<float> b0 = Vector256.Load(b + 0);
                Vector256<float> b1 = Vector256.Load(b + 8);
                Vector256<float> a0 = Vector256.Create(a[0]);
                c0x0 = Fma.MultiplyAdd(a0, b0, c0x0);
                c0x1 = Fma.MultiplyAdd(a0, b1, c0x1);
                Vector256<float> a1 = Vector256.Create(a[1]);
                c1x0 = Fma.MultiplyAdd(a1, b0, c1x0);
                c1x1 = Fma.MultiplyAdd(a1, b1, c1x1);
                Vector256<float> a2 = Vector256.Create(a[2]);
                c2x0 = Fma.MultiplyAdd(a2, b0, c2x0);
                c2x1 = Fma.MultiplyAdd(a2, b1, c2x1);
                Vector256<float> a3 = Vector256.Create(a[3]);
                c3x0 = Fma.MultiplyAdd(a3, b0, c3x0);
                c3x1 = Fma.MultiplyAdd(a3, b1, c3x1);
                Vector256<float> a4 = Vector256.Create(a[4]);
                c4x0 = Fma.MultiplyAdd(a4, b0, c4x0);
                c4x1 = Fma.MultiplyAdd(a4, b1, c4x1);
                Vector256<float> a5 = Vector256.Create(a[5]);
                c5x0 = Fma.MultiplyAdd(a5, b0, c5x0);
                c5x1 = Fma.MultiplyAdd(a5, b1, c5x1);
                a += aStep;
                b += 16;
            }

            float* row0 = c + (0 * ldc);
            float* row1 = c + (1 * ldc);
            float* row2 = c + (2 * ldc);
            float* row3 = c + (3 * ldc);
            float* row4 = c + (4 * ldc);
            float* row5 = c + (5 * ldc);
            if (beta == 0f)
            {
                Vector256<float> va = Vector256.Create(alpha);
                (va * c0x0).Store(row0 + 0);
                (va * c0x1).Store(row0 + 8);
                (va * c1x0).Store(row1 + 0);
                (va * c1x1).Store(row1 + 8);
                (va * c2x0).Store(row2 + 0);
                (va * c2x1).Store(row2 + 8);
                (va * c3x0).Store(row3 + 0);
                (va * c3x1).Store(row3 + 8);
                (va * c4x0).Store(row4 + 0);
                (va * c4x1).Store(row4 + 8);
                (va * c5x0).Store(row5 + 0);
                (va * c5x1).Store(row5 + 8);
            }
            else
            {
                Vector256<float> va = Vector256.Create(alpha);
                Vector256<float> vb = Vector256.Create(beta);
                Fma.MultiplyAdd(va, c0x0, (vb * Vector256.Load(row0 + 0))).Store(row0 + 0);
                Fma.MultiplyAdd(va, c0x1, (vb * Vector256.Load(row0 + 8))).Store(row0 + 8);
                Fma.MultiplyAdd(va, c1x0, (vb * Vector256.Load(row1 + 0))).Store(row1 + 0);
                Fma.MultiplyAdd(va, c1x1, (vb * Vector256.Load(row1 + 8))).Store(row1 + 8);
                Fma.MultiplyAdd(va, c2x0, (vb * Vector256.Load(row2 + 0))).Store(row2 + 0);
                Fma.MultiplyAdd(va, c2x1, (vb * Vector256.Load(row2 + 8))).Store(row2 + 8);
                Fma.MultiplyAdd(va, c3x0, (vb * Vector256.Load(row3 + 0))).Store(row3 + 0);
                Fma.MultiplyAdd(va, c3x1, (vb * Vector256.Load(row3 + 8))).Store(row3 + 8);
                Fma.MultiplyAdd(va, c4x0, (vb * Vector256.Load(row4 + 0))).Store(row4 + 0);
                Fma.MultiplyAdd(va, c4x1, (vb * Vector256.Load(row4 + 8))).Store(row4 + 8);
                Fma.MultiplyAdd(va, c5x0, (vb * Vector256.Load(row5 + 0))).Store(row5 + 0);
                Fma.MultiplyAdd(va, c5x1, (vb * Vector256.Load(row5 + 8))).Store(row5 + 8);
            }
        }
    }

    // The same kernel reading A unpacked: row r of the micro-panel is a + r * lda, contiguous in p.
    private readonly partial struct Avx2Kernel
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunDirectA(int kc, float* a, nint lda, float* b, float* c, nint ldc, float alpha, float beta)
        {
            nint lda2 = 2 * lda;
            float* r0 = a;
            float* r3 = a + (3 * lda);
            Vector256<float> c0x0 = default, c0x1 = default;
            Vector256<float> c1x0 = default, c1x1 = default;
            Vector256<float> c2x0 = default, c2x1 = default;
            Vector256<float> c3x0 = default, c3x1 = default;
            Vector256<float> c4x0 = default, c4x1 = default;
            Vector256<float> c5x0 = default, c5x1 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector256<float> b0 = Vector256.Load(b + 0);
                Vector256<float> b1 = Vector256.Load(b + 8);
                Vector256<float> a0 = Vector256.Create(*r0);
                c0x0 = Fma.MultiplyAdd(a0, b0, c0x0);
                c0x1 = Fma.MultiplyAdd(a0, b1, c0x1);
                Vector256<float> a1 = Vector256.Create(r0[lda]);
                c1x0 = Fma.MultiplyAdd(a1, b0, c1x0);
                c1x1 = Fma.MultiplyAdd(a1, b1, c1x1);
                Vector256<float> a2 = Vector256.Create(r0[lda2]);
                c2x0 = Fma.MultiplyAdd(a2, b0, c2x0);
                c2x1 = Fma.MultiplyAdd(a2, b1, c2x1);
                Vector256<float> a3 = Vector256.Create(*r3);
                c3x0 = Fma.MultiplyAdd(a3, b0, c3x0);
                c3x1 = Fma.MultiplyAdd(a3, b1, c3x1);
                Vector256<float> a4 = Vector256.Create(r3[lda]);
                c4x0 = Fma.MultiplyAdd(a4, b0, c4x0);
                c4x1 = Fma.MultiplyAdd(a4, b1, c4x1);
                Vector256<float> a5 = Vector256.Create(r3[lda2]);
                c5x0 = Fma.MultiplyAdd(a5, b0, c5x0);
                c5x1 = Fma.MultiplyAdd(a5, b1, c5x1);
                r0++;
                r3++;
                b += 16;
            }

            float* row0 = c + (0 * ldc);
            float* row1 = c + (1 * ldc);
            float* row2 = c + (2 * ldc);
            float* row3 = c + (3 * ldc);
            float* row4 = c + (4 * ldc);
            float* row5 = c + (5 * ldc);
            if (beta == 0f)
            {
                Vector256<float> va = Vector256.Create(alpha);
                (va * c0x0).Store(row0 + 0);
                (va * c0x1).Store(row0 + 8);
                (va * c1x0).Store(row1 + 0);
                (va * c1x1).Store(row1 + 8);
                (va * c2x0).Store(row2 + 0);
                (va * c2x1).Store(row2 + 8);
                (va * c3x0).Store(row3 + 0);
                (va * c3x1).Store(row3 + 8);
                (va * c4x0).Store(row4 + 0);
                (va * c4x1).Store(row4 + 8);
                (va * c5x0).Store(row5 + 0);
                (va * c5x1).Store(row5 + 8);
            }
            else
            {
                Vector256<float> va = Vector256.Create(alpha);
                Vector256<float> vb = Vector256.Create(beta);
                Fma.MultiplyAdd(va, c0x0, (vb * Vector256.Load(row0 + 0))).Store(row0 + 0);
                Fma.MultiplyAdd(va, c0x1, (vb * Vector256.Load(row0 + 8))).Store(row0 + 8);
                Fma.MultiplyAdd(va, c1x0, (vb * Vector256.Load(row1 + 0))).Store(row1 + 0);
                Fma.MultiplyAdd(va, c1x1, (vb * Vector256.Load(row1 + 8))).Store(row1 + 8);
                Fma.MultiplyAdd(va, c2x0, (vb * Vector256.Load(row2 + 0))).Store(row2 + 0);
                Fma.MultiplyAdd(va, c2x1, (vb * Vector256.Load(row2 + 8))).Store(row2 + 8);
                Fma.MultiplyAdd(va, c3x0, (vb * Vector256.Load(row3 + 0))).Store(row3 + 0);
                Fma.MultiplyAdd(va, c3x1, (vb * Vector256.Load(row3 + 8))).Store(row3 + 8);
                Fma.MultiplyAdd(va, c4x0, (vb * Vector256.Load(row4 + 0))).Store(row4 + 0);
                Fma.MultiplyAdd(va, c4x1, (vb * Vector256.Load(row4 + 8))).Store(row4 + 8);
                Fma.MultiplyAdd(va, c5x0, (vb * Vector256.Load(row5 + 0))).Store(row5 + 0);
                Fma.MultiplyAdd(va, c5x1, (vb * Vector256.Load(row5 + 8))).Store(row5 + 8);
            }
        }
    }

    // The bottom edge of a panel: only the first 4 rows of the (still 6-row) packed A micro-panel,
    // so an m remainder of up to 4 rows costs 4 rows of work, not 6. Same arithmetic per element.
    private readonly partial struct Avx2Kernel
    {
        public static int MrLower => 4;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunLower(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
        {
            Vector256<float> c0x0 = default, c0x1 = default;
            Vector256<float> c1x0 = default, c1x1 = default;
            Vector256<float> c2x0 = default, c2x1 = default;
            Vector256<float> c3x0 = default, c3x1 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector256<float> b0 = Vector256.Load(b + 0);
                Vector256<float> b1 = Vector256.Load(b + 8);
                Vector256<float> a0 = Vector256.Create(a[0]);
                c0x0 = Fma.MultiplyAdd(a0, b0, c0x0);
                c0x1 = Fma.MultiplyAdd(a0, b1, c0x1);
                Vector256<float> a1 = Vector256.Create(a[1]);
                c1x0 = Fma.MultiplyAdd(a1, b0, c1x0);
                c1x1 = Fma.MultiplyAdd(a1, b1, c1x1);
                Vector256<float> a2 = Vector256.Create(a[2]);
                c2x0 = Fma.MultiplyAdd(a2, b0, c2x0);
                c2x1 = Fma.MultiplyAdd(a2, b1, c2x1);
                Vector256<float> a3 = Vector256.Create(a[3]);
                c3x0 = Fma.MultiplyAdd(a3, b0, c3x0);
                c3x1 = Fma.MultiplyAdd(a3, b1, c3x1);
                a += 6;
                b += 16;
            }

            float* row0 = c + (0 * ldc);
            float* row1 = c + (1 * ldc);
            float* row2 = c + (2 * ldc);
            float* row3 = c + (3 * ldc);
            if (beta == 0f)
            {
                Vector256<float> va = Vector256.Create(alpha);
                (va * c0x0).Store(row0 + 0);
                (va * c0x1).Store(row0 + 8);
                (va * c1x0).Store(row1 + 0);
                (va * c1x1).Store(row1 + 8);
                (va * c2x0).Store(row2 + 0);
                (va * c2x1).Store(row2 + 8);
                (va * c3x0).Store(row3 + 0);
                (va * c3x1).Store(row3 + 8);
            }
            else
            {
                Vector256<float> va = Vector256.Create(alpha);
                Vector256<float> vb = Vector256.Create(beta);
                Fma.MultiplyAdd(va, c0x0, (vb * Vector256.Load(row0 + 0))).Store(row0 + 0);
                Fma.MultiplyAdd(va, c0x1, (vb * Vector256.Load(row0 + 8))).Store(row0 + 8);
                Fma.MultiplyAdd(va, c1x0, (vb * Vector256.Load(row1 + 0))).Store(row1 + 0);
                Fma.MultiplyAdd(va, c1x1, (vb * Vector256.Load(row1 + 8))).Store(row1 + 8);
                Fma.MultiplyAdd(va, c2x0, (vb * Vector256.Load(row2 + 0))).Store(row2 + 0);
                Fma.MultiplyAdd(va, c2x1, (vb * Vector256.Load(row2 + 8))).Store(row2 + 8);
                Fma.MultiplyAdd(va, c3x0, (vb * Vector256.Load(row3 + 0))).Store(row3 + 0);
                Fma.MultiplyAdd(va, c3x1, (vb * Vector256.Load(row3 + 8))).Store(row3 + 8);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void RunLowerDirectA(int kc, float* a, nint lda, float* b, float* c, nint ldc, float alpha, float beta)
        {
            nint lda2 = 2 * lda;
            float* r0 = a;
            float* r3 = a + (3 * lda);
            Vector256<float> c0x0 = default, c0x1 = default;
            Vector256<float> c1x0 = default, c1x1 = default;
            Vector256<float> c2x0 = default, c2x1 = default;
            Vector256<float> c3x0 = default, c3x1 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector256<float> b0 = Vector256.Load(b + 0);
                Vector256<float> b1 = Vector256.Load(b + 8);
                Vector256<float> a0 = Vector256.Create(*r0);
                c0x0 = Fma.MultiplyAdd(a0, b0, c0x0);
                c0x1 = Fma.MultiplyAdd(a0, b1, c0x1);
                Vector256<float> a1 = Vector256.Create(r0[lda]);
                c1x0 = Fma.MultiplyAdd(a1, b0, c1x0);
                c1x1 = Fma.MultiplyAdd(a1, b1, c1x1);
                Vector256<float> a2 = Vector256.Create(r0[lda2]);
                c2x0 = Fma.MultiplyAdd(a2, b0, c2x0);
                c2x1 = Fma.MultiplyAdd(a2, b1, c2x1);
                Vector256<float> a3 = Vector256.Create(*r3);
                c3x0 = Fma.MultiplyAdd(a3, b0, c3x0);
                c3x1 = Fma.MultiplyAdd(a3, b1, c3x1);
                r0++;
                r3++;
                b += 16;
            }

            float* row0 = c + (0 * ldc);
            float* row1 = c + (1 * ldc);
            float* row2 = c + (2 * ldc);
            float* row3 = c + (3 * ldc);
            if (beta == 0f)
            {
                Vector256<float> va = Vector256.Create(alpha);
                (va * c0x0).Store(row0 + 0);
                (va * c0x1).Store(row0 + 8);
                (va * c1x0).Store(row1 + 0);
                (va * c1x1).Store(row1 + 8);
                (va * c2x0).Store(row2 + 0);
                (va * c2x1).Store(row2 + 8);
                (va * c3x0).Store(row3 + 0);
                (va * c3x1).Store(row3 + 8);
            }
            else
            {
                Vector256<float> va = Vector256.Create(alpha);
                Vector256<float> vb = Vector256.Create(beta);
                Fma.MultiplyAdd(va, c0x0, (vb * Vector256.Load(row0 + 0))).Store(row0 + 0);
                Fma.MultiplyAdd(va, c0x1, (vb * Vector256.Load(row0 + 8))).Store(row0 + 8);
                Fma.MultiplyAdd(va, c1x0, (vb * Vector256.Load(row1 + 0))).Store(row1 + 0);
                Fma.MultiplyAdd(va, c1x1, (vb * Vector256.Load(row1 + 8))).Store(row1 + 8);
                Fma.MultiplyAdd(va, c2x0, (vb * Vector256.Load(row2 + 0))).Store(row2 + 0);
                Fma.MultiplyAdd(va, c2x1, (vb * Vector256.Load(row2 + 8))).Store(row2 + 8);
                Fma.MultiplyAdd(va, c3x0, (vb * Vector256.Load(row3 + 0))).Store(row3 + 0);
                Fma.MultiplyAdd(va, c3x1, (vb * Vector256.Load(row3 + 8))).Store(row3 + 8);
            }
        }
    }
}
