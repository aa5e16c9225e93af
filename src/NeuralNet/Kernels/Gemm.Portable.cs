using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace NeuralNet.Kernels;

internal static unsafe partial class Gemm
{
    /// <summary>The contract every micro-kernel meets; the packed driver is generic over it so the JIT specialises each path.</summary>
    private interface IMicroKernel
    {
        /// <summary>Rows of the C tile (and of a packed A micro-panel).</summary>
        static abstract int Mr { get; }

        /// <summary>Columns of the C tile (and of a packed B micro-panel).</summary>
        static abstract int Nr { get; }

        /// <summary>Whether this kernel can run on the current hardware.</summary>
        static abstract bool IsSupported { get; }

        /// <summary>Whether <see cref="RunDirectA"/> is implemented.</summary>
        static abstract bool SupportsDirectA { get; }

        /// <summary>
        /// C (Mr x Nr, stride ldc) = alpha * Apanel (Mr x kc) * Bpanel (kc x Nr) + beta * C; beta == 0 ignores C. The Mr
        /// values of column p of Apanel are contiguous at a + p * aStep (aStep = Mr for a packed panel).
        /// </summary>
        static abstract void Run(int kc, float* a, nint aStep, float* b, float* c, nint ldc, float alpha, float beta);

        /// <summary>As <see cref="Run"/> with A read in place: row r of the Mr x kc block is a + r * lda (unit stride in p).</summary>
        static abstract void RunDirectA(int kc, float* a, nint lda, float* b, float* c, nint ldc, float alpha, float beta);

        /// <summary>Rows of the shorter tile <see cref="RunLower"/> computes for a panel's bottom edge (0: none).</summary>
        static abstract int MrLower { get; }

        /// <summary>As <see cref="Run"/> for the first <see cref="MrLower"/> rows only (A still packed Mr rows wide).</summary>
        static abstract void RunLower(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta);

        /// <summary>As <see cref="RunDirectA"/> for the first <see cref="MrLower"/> rows only.</summary>
        static abstract void RunLowerDirectA(int kc, float* a, nint lda, float* b, float* c, nint ldc, float alpha, float beta);
    }

    /// <summary>Portable micro-kernel over <see cref="Vector{T}"/>: 4 x (2 vectors), multiply then add (no FMA guarantee).</summary>
    private readonly struct VectorKernel : IMicroKernel
    {
        public static int Mr => 4;

        public static int Nr => 2 * Vector<float>.Count;

        public static bool IsSupported => Vector.IsHardwareAccelerated;

        public static bool SupportsDirectA => false;

        public static void RunDirectA(int kc, float* a, nint lda, float* b, float* c, nint ldc, float alpha, float beta) => throw new UnreachableException();

        public static int MrLower => 0;

        public static void RunLower(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta) => throw new UnreachableException();

        public static void RunLowerDirectA(int kc, float* a, nint lda, float* b, float* c, nint ldc, float alpha, float beta) => throw new UnreachableException();

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Run(int kc, float* a, nint aStep, float* b, float* c, nint ldc, float alpha, float beta)
        {
            int w = Vector<float>.Count;
            Vector<float> c00 = default, c01 = default, c10 = default, c11 = default;
            Vector<float> c20 = default, c21 = default, c30 = default, c31 = default;
            for (int p = 0; p < kc; p++)
            {
                Vector<float> b0 = Unsafe.ReadUnaligned<Vector<float>>(b);
                Vector<float> b1 = Unsafe.ReadUnaligned<Vector<float>>(b + w);
                Vector<float> a0 = new(a[0]);
                c00 += a0 * b0;
                c01 += a0 * b1;
                Vector<float> a1 = new(a[1]);
                c10 += a1 * b0;
                c11 += a1 * b1;
                Vector<float> a2 = new(a[2]);
                c20 += a2 * b0;
                c21 += a2 * b1;
                Vector<float> a3 = new(a[3]);
                c30 += a3 * b0;
                c31 += a3 * b1;
                a += aStep;
                b += 2 * w;
            }

            StoreRow(c, c00, c01, w, alpha, beta);
            StoreRow(c + ldc, c10, c11, w, alpha, beta);
            StoreRow(c + (2 * ldc), c20, c21, w, alpha, beta);
            StoreRow(c + (3 * ldc), c30, c31, w, alpha, beta);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void StoreRow(float* c, Vector<float> v0, Vector<float> v1, int w, float alpha, float beta)
        {
            if (beta == 0f)
            {
                Unsafe.WriteUnaligned(c, v0 * alpha);
                Unsafe.WriteUnaligned(c + w, v1 * alpha);
            }
            else
            {
                Unsafe.WriteUnaligned(c, (v0 * alpha) + (Unsafe.ReadUnaligned<Vector<float>>(c) * beta));
                Unsafe.WriteUnaligned(c + w, (v1 * alpha) + (Unsafe.ReadUnaligned<Vector<float>>(c + w) * beta));
            }
        }
    }

    /// <summary>Scalar micro-kernel (4 x 4) for runtimes without SIMD acceleration.</summary>
    private readonly struct ScalarKernel : IMicroKernel
    {
        public static int Mr => 4;

        public static int Nr => 4;

        public static bool IsSupported => true;

        public static bool SupportsDirectA => false;

        public static void RunDirectA(int kc, float* a, nint lda, float* b, float* c, nint ldc, float alpha, float beta) => throw new UnreachableException();

        public static int MrLower => 0;

        public static void RunLower(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta) => throw new UnreachableException();

        public static void RunLowerDirectA(int kc, float* a, nint lda, float* b, float* c, nint ldc, float alpha, float beta) => throw new UnreachableException();

        public static void Run(int kc, float* a, nint aStep, float* b, float* c, nint ldc, float alpha, float beta)
        {
            float* acc = stackalloc float[16];
            for (int i = 0; i < 16; i++)
            {
                acc[i] = 0f;
            }

            for (int p = 0; p < kc; p++)
            {
                for (int i = 0; i < 4; i++)
                {
                    float ai = a[i];
                    float* row = acc + (i * 4);
                    row[0] += ai * b[0];
                    row[1] += ai * b[1];
                    row[2] += ai * b[2];
                    row[3] += ai * b[3];
                }

                a += aStep;
                b += 4;
            }

            for (int i = 0; i < 4; i++)
            {
                float* cRow = c + (i * ldc);
                for (int j = 0; j < 4; j++)
                {
                    cRow[j] = beta == 0f ? alpha * acc[(i * 4) + j] : (alpha * acc[(i * 4) + j]) + (beta * cRow[j]);
                }
            }
        }
    }
}
