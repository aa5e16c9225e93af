// Narrow products (few output columns, A not transposed): C[i, j] is the dot product of row i of A
// with column j of op(B), vectorised along k. Nothing of A is packed and no SIMD lane is wasted on
// padding columns, which the packed path would do for n well below its Nr (32 on AVX-512).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NeuralNet.Kernels;

internal static unsafe partial class Gemm
{
    /// <summary>AVX-512 dot-product kernel: 4 x 4 blocks of outputs, 16 zmm accumulators.</summary>
    private readonly struct Vector512DotKernel : IDotKernel
    {
        public static bool IsSupported => Avx512F.IsSupported;

        public static void Run(int m, int n, int k, float alpha, float* a, nint lda, float* bt, nint ldbt, float beta, float* c, nint ldc)
        {
            int i = 0;
            for (; i + 4 <= m; i += 4)
            {
                float* ai = a + (i * lda);
                float* ci = c + (i * ldc);
                int j = 0;
                for (; j + 4 <= n; j += 4)
                {
                    Dot4x4(ai, lda, bt + (j * ldbt), ldbt, k, ci + j, ldc, alpha, beta);
                }

                for (; j < n; j++)
                {
                    Dot4x1(ai, lda, bt + (j * ldbt), ldbt, k, ci + j, ldc, alpha, beta);
                }
            }

            for (; i < m; i++)
            {
                float* ai = a + (i * lda);
                float* ci = c + (i * ldc);
                int j = 0;
                for (; j + 4 <= n; j += 4)
                {
                    Dot1x4(ai, lda, bt + (j * ldbt), ldbt, k, ci + j, ldc, alpha, beta);
                }

                for (; j < n; j++)
                {
                    Dot1x1(ai, lda, bt + (j * ldbt), ldbt, k, ci + j, ldc, alpha, beta);
                }
            }
        }

        // C[i..i+4, j..j+4] dot products over k; a rows and bt rows are contiguous in k.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Dot4x4(float* a, nint lda, float* bt, nint ldbt, int k, float* c, nint ldc, float alpha, float beta)
        {
            float* a0 = a + (0 * lda);
            float* a1 = a + (1 * lda);
            float* a2 = a + (2 * lda);
            float* a3 = a + (3 * lda);
            float* b0 = bt + (0 * ldbt);
            float* b1 = bt + (1 * ldbt);
            float* b2 = bt + (2 * ldbt);
            float* b3 = bt + (3 * ldbt);
            Vector512<float> s0x0 = default, s0x1 = default, s0x2 = default, s0x3 = default;
            Vector512<float> s1x0 = default, s1x1 = default, s1x2 = default, s1x3 = default;
            Vector512<float> s2x0 = default, s2x1 = default, s2x2 = default, s2x3 = default;
            Vector512<float> s3x0 = default, s3x1 = default, s3x2 = default, s3x3 = default;
            int p = 0;
            for (; p <= k - 16; p += 16)
            {
                Vector512<float> vb0 = Vector512.Load(b0 + p);
                Vector512<float> vb1 = Vector512.Load(b1 + p);
                Vector512<float> vb2 = Vector512.Load(b2 + p);
                Vector512<float> vb3 = Vector512.Load(b3 + p);
                Vector512<float> va0 = Vector512.Load(a0 + p);
                s0x0 = Avx512F.FusedMultiplyAdd(va0, vb0, s0x0);
                s0x1 = Avx512F.FusedMultiplyAdd(va0, vb1, s0x1);
                s0x2 = Avx512F.FusedMultiplyAdd(va0, vb2, s0x2);
                s0x3 = Avx512F.FusedMultiplyAdd(va0, vb3, s0x3);
                Vector512<float> va1 = Vector512.Load(a1 + p);
                s1x0 = Avx512F.FusedMultiplyAdd(va1, vb0, s1x0);
                s1x1 = Avx512F.FusedMultiplyAdd(va1, vb1, s1x1);
                s1x2 = Avx512F.FusedMultiplyAdd(va1, vb2, s1x2);
                s1x3 = Avx512F.FusedMultiplyAdd(va1, vb3, s1x3);
                Vector512<float> va2 = Vector512.Load(a2 + p);
                s2x0 = Avx512F.FusedMultiplyAdd(va2, vb0, s2x0);
                s2x1 = Avx512F.FusedMultiplyAdd(va2, vb1, s2x1);
                s2x2 = Avx512F.FusedMultiplyAdd(va2, vb2, s2x2);
                s2x3 = Avx512F.FusedMultiplyAdd(va2, vb3, s2x3);
                Vector512<float> va3 = Vector512.Load(a3 + p);
                s3x0 = Avx512F.FusedMultiplyAdd(va3, vb0, s3x0);
                s3x1 = Avx512F.FusedMultiplyAdd(va3, vb1, s3x1);
                s3x2 = Avx512F.FusedMultiplyAdd(va3, vb2, s3x2);
                s3x3 = Avx512F.FusedMultiplyAdd(va3, vb3, s3x3);
            }

            Finish(c + (0 * ldc) + 0, Vector512.Sum(s0x0), a0, b0, p, k, alpha, beta);
            Finish(c + (0 * ldc) + 1, Vector512.Sum(s0x1), a0, b1, p, k, alpha, beta);
            Finish(c + (0 * ldc) + 2, Vector512.Sum(s0x2), a0, b2, p, k, alpha, beta);
            Finish(c + (0 * ldc) + 3, Vector512.Sum(s0x3), a0, b3, p, k, alpha, beta);
            Finish(c + (1 * ldc) + 0, Vector512.Sum(s1x0), a1, b0, p, k, alpha, beta);
            Finish(c + (1 * ldc) + 1, Vector512.Sum(s1x1), a1, b1, p, k, alpha, beta);
            Finish(c + (1 * ldc) + 2, Vector512.Sum(s1x2), a1, b2, p, k, alpha, beta);
            Finish(c + (1 * ldc) + 3, Vector512.Sum(s1x3), a1, b3, p, k, alpha, beta);
            Finish(c + (2 * ldc) + 0, Vector512.Sum(s2x0), a2, b0, p, k, alpha, beta);
            Finish(c + (2 * ldc) + 1, Vector512.Sum(s2x1), a2, b1, p, k, alpha, beta);
            Finish(c + (2 * ldc) + 2, Vector512.Sum(s2x2), a2, b2, p, k, alpha, beta);
            Finish(c + (2 * ldc) + 3, Vector512.Sum(s2x3), a2, b3, p, k, alpha, beta);
            Finish(c + (3 * ldc) + 0, Vector512.Sum(s3x0), a3, b0, p, k, alpha, beta);
            Finish(c + (3 * ldc) + 1, Vector512.Sum(s3x1), a3, b1, p, k, alpha, beta);
            Finish(c + (3 * ldc) + 2, Vector512.Sum(s3x2), a3, b2, p, k, alpha, beta);
            Finish(c + (3 * ldc) + 3, Vector512.Sum(s3x3), a3, b3, p, k, alpha, beta);
        }

        // C[i..i+4, j..j+1] dot products over k; a rows and bt rows are contiguous in k.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Dot4x1(float* a, nint lda, float* bt, nint ldbt, int k, float* c, nint ldc, float alpha, float beta)
        {
            float* a0 = a + (0 * lda);
            float* a1 = a + (1 * lda);
            float* a2 = a + (2 * lda);
            float* a3 = a + (3 * lda);
            float* b0 = bt + (0 * ldbt);
            Vector512<float> s0x0 = default;
            Vector512<float> s1x0 = default;
            Vector512<float> s2x0 = default;
            Vector512<float> s3x0 = default;
            int p = 0;
            for (; p <= k - 16; p += 16)
            {
                Vector512<float> vb0 = Vector512.Load(b0 + p);
                Vector512<float> va0 = Vector512.Load(a0 + p);
                s0x0 = Avx512F.FusedMultiplyAdd(va0, vb0, s0x0);
                Vector512<float> va1 = Vector512.Load(a1 + p);
                s1x0 = Avx512F.FusedMultiplyAdd(va1, vb0, s1x0);
                Vector512<float> va2 = Vector512.Load(a2 + p);
                s2x0 = Avx512F.FusedMultiplyAdd(va2, vb0, s2x0);
                Vector512<float> va3 = Vector512.Load(a3 + p);
                s3x0 = Avx512F.FusedMultiplyAdd(va3, vb0, s3x0);
            }

            Finish(c + (0 * ldc) + 0, Vector512.Sum(s0x0), a0, b0, p, k, alpha, beta);
            Finish(c + (1 * ldc) + 0, Vector512.Sum(s1x0), a1, b0, p, k, alpha, beta);
            Finish(c + (2 * ldc) + 0, Vector512.Sum(s2x0), a2, b0, p, k, alpha, beta);
            Finish(c + (3 * ldc) + 0, Vector512.Sum(s3x0), a3, b0, p, k, alpha, beta);
        }

        // C[i..i+1, j..j+4] dot products over k; a rows and bt rows are contiguous in k.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Dot1x4(float* a, nint lda, float* bt, nint ldbt, int k, float* c, nint ldc, float alpha, float beta)
        {
            float* a0 = a + (0 * lda);
            float* b0 = bt + (0 * ldbt);
            float* b1 = bt + (1 * ldbt);
            float* b2 = bt + (2 * ldbt);
            float* b3 = bt + (3 * ldbt);
            Vector512<float> s0x0 = default, s0x1 = default, s0x2 = default, s0x3 = default;
            int p = 0;
            for (; p <= k - 16; p += 16)
            {
                Vector512<float> vb0 = Vector512.Load(b0 + p);
                Vector512<float> vb1 = Vector512.Load(b1 + p);
                Vector512<float> vb2 = Vector512.Load(b2 + p);
                Vector512<float> vb3 = Vector512.Load(b3 + p);
                Vector512<float> va0 = Vector512.Load(a0 + p);
                s0x0 = Avx512F.FusedMultiplyAdd(va0, vb0, s0x0);
                s0x1 = Avx512F.FusedMultiplyAdd(va0, vb1, s0x1);
                s0x2 = Avx512F.FusedMultiplyAdd(va0, vb2, s0x2);
                s0x3 = Avx512F.FusedMultiplyAdd(va0, vb3, s0x3);
            }

            Finish(c + (0 * ldc) + 0, Vector512.Sum(s0x0), a0, b0, p, k, alpha, beta);
            Finish(c + (0 * ldc) + 1, Vector512.Sum(s0x1), a0, b1, p, k, alpha, beta);
            Finish(c + (0 * ldc) + 2, Vector512.Sum(s0x2), a0, b2, p, k, alpha, beta);
            Finish(c + (0 * ldc) + 3, Vector512.Sum(s0x3), a0, b3, p, k, alpha, beta);
        }

        // C[i..i+1, j..j+1] dot products over k; a rows and bt rows are contiguous in k.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Dot1x1(float* a, nint lda, float* bt, nint ldbt, int k, float* c, nint ldc, float alpha, float beta)
        {
            float* a0 = a + (0 * lda);
            float* b0 = bt + (0 * ldbt);
            Vector512<float> s0x0 = default;
            int p = 0;
            for (; p <= k - 16; p += 16)
            {
                Vector512<float> vb0 = Vector512.Load(b0 + p);
                Vector512<float> va0 = Vector512.Load(a0 + p);
                s0x0 = Avx512F.FusedMultiplyAdd(va0, vb0, s0x0);
            }

            Finish(c + (0 * ldc) + 0, Vector512.Sum(s0x0), a0, b0, p, k, alpha, beta);
        }
    }

    /// <summary>AVX2 dot-product kernel: 3 x 3 blocks of outputs, 9 ymm accumulators (fits the 16 AVX2 registers).</summary>
    private readonly struct Vector256DotKernel : IDotKernel
    {
        public static bool IsSupported => Fma.IsSupported && Avx2.IsSupported;

        public static void Run(int m, int n, int k, float alpha, float* a, nint lda, float* bt, nint ldbt, float beta, float* c, nint ldc)
        {
            int i = 0;
            for (; i + 3 <= m; i += 3)
            {
                float* ai = a + (i * lda);
                float* ci = c + (i * ldc);
                int j = 0;
                for (; j + 3 <= n; j += 3)
                {
                    Dot3x3(ai, lda, bt + (j * ldbt), ldbt, k, ci + j, ldc, alpha, beta);
                }

                for (; j < n; j++)
                {
                    Dot3x1(ai, lda, bt + (j * ldbt), ldbt, k, ci + j, ldc, alpha, beta);
                }
            }

            for (; i < m; i++)
            {
                float* ai = a + (i * lda);
                float* ci = c + (i * ldc);
                int j = 0;
                for (; j + 3 <= n; j += 3)
                {
                    Dot1x3(ai, lda, bt + (j * ldbt), ldbt, k, ci + j, ldc, alpha, beta);
                }

                for (; j < n; j++)
                {
                    Dot1x1(ai, lda, bt + (j * ldbt), ldbt, k, ci + j, ldc, alpha, beta);
                }
            }
        }

        // C[i..i+3, j..j+3] dot products over k; a rows and bt rows are contiguous in k.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Dot3x3(float* a, nint lda, float* bt, nint ldbt, int k, float* c, nint ldc, float alpha, float beta)
        {
            float* a0 = a + (0 * lda);
            float* a1 = a + (1 * lda);
            float* a2 = a + (2 * lda);
            float* b0 = bt + (0 * ldbt);
            float* b1 = bt + (1 * ldbt);
            float* b2 = bt + (2 * ldbt);
            Vector256<float> s0x0 = default, s0x1 = default, s0x2 = default;
            Vector256<float> s1x0 = default, s1x1 = default, s1x2 = default;
            Vector256<float> s2x0 = default, s2x1 = default, s2x2 = default;
            int p = 0;
            for (; p <= k - 8; p += 8)
            {
                Vector256<float> vb0 = Vector256.Load(b0 + p);
                Vector256<float> vb1 = Vector256.Load(b1 + p);
                Vector256<float> vb2 = Vector256.Load(b2 + p);
                Vector256<float> va0 = Vector256.Load(a0 + p);
                s0x0 = Fma.MultiplyAdd(va0, vb0, s0x0);
                s0x1 = Fma.MultiplyAdd(va0, vb1, s0x1);
                s0x2 = Fma.MultiplyAdd(va0, vb2, s0x2);
                Vector256<float> va1 = Vector256.Load(a1 + p);
                s1x0 = Fma.MultiplyAdd(va1, vb0, s1x0);
                s1x1 = Fma.MultiplyAdd(va1, vb1, s1x1);
                s1x2 = Fma.MultiplyAdd(va1, vb2, s1x2);
                Vector256<float> va2 = Vector256.Load(a2 + p);
                s2x0 = Fma.MultiplyAdd(va2, vb0, s2x0);
                s2x1 = Fma.MultiplyAdd(va2, vb1, s2x1);
                s2x2 = Fma.MultiplyAdd(va2, vb2, s2x2);
            }

            Finish(c + (0 * ldc) + 0, Vector256.Sum(s0x0), a0, b0, p, k, alpha, beta);
            Finish(c + (0 * ldc) + 1, Vector256.Sum(s0x1), a0, b1, p, k, alpha, beta);
            Finish(c + (0 * ldc) + 2, Vector256.Sum(s0x2), a0, b2, p, k, alpha, beta);
            Finish(c + (1 * ldc) + 0, Vector256.Sum(s1x0), a1, b0, p, k, alpha, beta);
            Finish(c + (1 * ldc) + 1, Vector256.Sum(s1x1), a1, b1, p, k, alpha, beta);
            Finish(c + (1 * ldc) + 2, Vector256.Sum(s1x2), a1, b2, p, k, alpha, beta);
            Finish(c + (2 * ldc) + 0, Vector256.Sum(s2x0), a2, b0, p, k, alpha, beta);
            Finish(c + (2 * ldc) + 1, Vector256.Sum(s2x1), a2, b1, p, k, alpha, beta);
            Finish(c + (2 * ldc) + 2, Vector256.Sum(s2x2), a2, b2, p, k, alpha, beta);
        }

        // C[i..i+3, j..j+1] dot products over k; a rows and bt rows are contiguous in k.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Dot3x1(float* a, nint lda, float* bt, nint ldbt, int k, float* c, nint ldc, float alpha, float beta)
        {
            float* a0 = a + (0 * lda);
            float* a1 = a + (1 * lda);
            float* a2 = a + (2 * lda);
            float* b0 = bt + (0 * ldbt);
            Vector256<float> s0x0 = default;
            Vector256<float> s1x0 = default;
            Vector256<float> s2x0 = default;
            int p = 0;
            for (; p <= k - 8; p += 8)
            {
                Vector256<float> vb0 = Vector256.Load(b0 + p);
                Vector256<float> va0 = Vector256.Load(a0 + p);
                s0x0 = Fma.MultiplyAdd(va0, vb0, s0x0);
                Vector256<float> va1 = Vector256.Load(a1 + p);
                s1x0 = Fma.MultiplyAdd(va1, vb0, s1x0);
                Vector256<float> va2 = Vector256.Load(a2 + p);
                s2x0 = Fma.MultiplyAdd(va2, vb0, s2x0);
            }

            Finish(c + (0 * ldc) + 0, Vector256.Sum(s0x0), a0, b0, p, k, alpha, beta);
            Finish(c + (1 * ldc) + 0, Vector256.Sum(s1x0), a1, b0, p, k, alpha, beta);
            Finish(c + (2 * ldc) + 0, Vector256.Sum(s2x0), a2, b0, p, k, alpha, beta);
        }

        // C[i..i+1, j..j+3] dot products over k; a rows and bt rows are contiguous in k.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Dot1x3(float* a, nint lda, float* bt, nint ldbt, int k, float* c, nint ldc, float alpha, float beta)
        {
            float* a0 = a + (0 * lda);
            float* b0 = bt + (0 * ldbt);
            float* b1 = bt + (1 * ldbt);
            float* b2 = bt + (2 * ldbt);
            Vector256<float> s0x0 = default, s0x1 = default, s0x2 = default;
            int p = 0;
            for (; p <= k - 8; p += 8)
            {
                Vector256<float> vb0 = Vector256.Load(b0 + p);
                Vector256<float> vb1 = Vector256.Load(b1 + p);
                Vector256<float> vb2 = Vector256.Load(b2 + p);
                Vector256<float> va0 = Vector256.Load(a0 + p);
                s0x0 = Fma.MultiplyAdd(va0, vb0, s0x0);
                s0x1 = Fma.MultiplyAdd(va0, vb1, s0x1);
                s0x2 = Fma.MultiplyAdd(va0, vb2, s0x2);
            }

            Finish(c + (0 * ldc) + 0, Vector256.Sum(s0x0), a0, b0, p, k, alpha, beta);
            Finish(c + (0 * ldc) + 1, Vector256.Sum(s0x1), a0, b1, p, k, alpha, beta);
            Finish(c + (0 * ldc) + 2, Vector256.Sum(s0x2), a0, b2, p, k, alpha, beta);
        }

        // C[i..i+1, j..j+1] dot products over k; a rows and bt rows are contiguous in k.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Dot1x1(float* a, nint lda, float* bt, nint ldbt, int k, float* c, nint ldc, float alpha, float beta)
        {
            float* a0 = a + (0 * lda);
            float* b0 = bt + (0 * ldbt);
            Vector256<float> s0x0 = default;
            int p = 0;
            for (; p <= k - 8; p += 8)
            {
                Vector256<float> vb0 = Vector256.Load(b0 + p);
                Vector256<float> va0 = Vector256.Load(a0 + p);
                s0x0 = Fma.MultiplyAdd(va0, vb0, s0x0);
            }

            Finish(c + (0 * ldc) + 0, Vector256.Sum(s0x0), a0, b0, p, k, alpha, beta);
        }
    }
}
