using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NeuralNet.Kernels;

// Packing: copies a block of op(A) or op(B) into the contiguous, zero-padded micro-panel layout the
// micro-kernels stream through, whatever the source transpose and leading dimension.
internal static unsafe partial class Gemm
{
    // A micro-panel: rows i0..i0+rows of op(A), columns p0..p0+kc, laid out p-major: dst[p * mr + i].
    // Rows rows..mr are zero. op(A)[i, p] = transposeA ? a[p * lda + i] : a[i * lda + p].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackA(bool transposeA, float* a, nint lda, int i0, int p0, int rows, int kc, int mr, float* dst)
    {
        if (transposeA)
        {
            // Each p reads `rows` contiguous floats.
            float* src = a + (p0 * lda) + i0;
            for (int p = 0; p < kc; p++)
            {
                float* d = dst + (p * mr);
                CopyPanelRow(src, d, rows);
                for (int i = rows; i < mr; i++)
                {
                    d[i] = 0f;
                }

                src += lda;
            }

            return;
        }

        // Each row i is contiguous in p: transpose it into the panel, eight rows at a time when possible.
        float* rowStart = a + (i0 * lda) + p0;
        int i8 = 0;
        if (Avx.IsSupported)
        {
            for (; i8 + 8 <= rows; i8 += 8)
            {
                TransposeRowsInto(rowStart + (i8 * lda), lda, kc, dst + i8, mr);
            }
        }

        if (Sse.IsSupported)
        {
            for (; i8 + 4 <= rows; i8 += 4)
            {
                TransposeFourRowsInto(rowStart + (i8 * lda), lda, kc, dst + i8, mr);
            }
        }

        for (int i = i8; i < rows; i++)
        {
            float* src = rowStart + (i * lda);
            float* d = dst + i;
            for (int p = 0; p < kc; p++)
            {
                d[p * mr] = src[p];
            }
        }

        if (rows < mr)
        {
            for (int p = 0; p < kc; p++)
            {
                float* d = dst + (p * mr);
                for (int i = rows; i < mr; i++)
                {
                    d[i] = 0f;
                }
            }
        }
    }

    // B panel: rows p0..p0+kc of op(B), columns j0..j0+cols, cut into micro-panels of nr columns, each
    // laid out p-major (dst[q * nr * kc + p * nr + j]); columns past cols are zero.
    // op(B)[p, j] = transposeB ? b[j * ldb + p] : b[p * ldb + j].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB(bool transposeB, float* b, nint ldb, int p0, int j0, int kc, int cols, int nr, float* dst)
    {
        for (int jr = 0; jr < cols; jr += nr)
        {
            int width = Math.Min(nr, cols - jr);
            float* panel = dst + ((nint)jr * kc);
            if (!transposeB)
            {
                float* src = b + (p0 * ldb) + j0 + jr;
                for (int p = 0; p < kc; p++)
                {
                    float* d = panel + (p * nr);
                    CopyPanelRow(src, d, width);
                    for (int j = width; j < nr; j++)
                    {
                        d[j] = 0f;
                    }

                    src += ldb;
                }

                continue;
            }

            // Transposed: column j of op(B) is the contiguous row j of b.
            float* colStart = b + ((j0 + jr) * ldb) + p0;
            int j8 = 0;
            if (Avx.IsSupported)
            {
                for (; j8 + 8 <= width; j8 += 8)
                {
                    TransposeRowsInto(colStart + (j8 * ldb), ldb, kc, panel + j8, nr);
                }
            }

            for (int j = j8; j < width; j++)
            {
                float* src = colStart + (j * ldb);
                float* d = panel + j;
                for (int p = 0; p < kc; p++)
                {
                    d[p * nr] = src[p];
                }
            }

            if (width < nr)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* d = panel + (p * nr);
                    for (int j = width; j < nr; j++)
                    {
                        d[j] = 0f;
                    }
                }
            }
        }
    }

    // One row of a micro-panel is 4-32 floats: inline vector moves cost a fraction of a Memmove call per row,
    // which took as long as the packing's memory traffic (5 % of an MLP epoch).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPanelRow(float* src, float* dst, int count)
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; j + 16 <= count; j += 16)
            {
                Vector512.Store(Vector512.Load(src + j), dst + j);
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= count; j += 8)
            {
                Vector256.Store(Vector256.Load(src + j), dst + j);
            }
        }

        if (Vector128.IsHardwareAccelerated)
        {
            for (; j + 4 <= count; j += 4)
            {
                Vector128.Store(Vector128.Load(src + j), dst + j);
            }
        }

        for (; j < count; j++)
        {
            dst[j] = src[j];
        }
    }

    // Eight source rows (stride ld), each `count` contiguous floats, written as columns:
    // dst[p * dstStride + r] = src[r * ld + p] for r in 0..8, p in 0..count.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeRowsInto(float* src, nint ld, int count, float* dst, int dstStride)
    {
        int p = 0;
        for (; p + 8 <= count; p += 8)
        {
            float* s = src + p;
            Vector256<float> r0 = Avx.LoadVector256(s);
            Vector256<float> r1 = Avx.LoadVector256(s + ld);
            Vector256<float> r2 = Avx.LoadVector256(s + (2 * ld));
            Vector256<float> r3 = Avx.LoadVector256(s + (3 * ld));
            Vector256<float> r4 = Avx.LoadVector256(s + (4 * ld));
            Vector256<float> r5 = Avx.LoadVector256(s + (5 * ld));
            Vector256<float> r6 = Avx.LoadVector256(s + (6 * ld));
            Vector256<float> r7 = Avx.LoadVector256(s + (7 * ld));

            Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
            Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
            Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
            Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);

            Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE);
            Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE);
            Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);

            float* d = dst + (p * dstStride);
            Avx.Store(d, Avx.Permute2x128(s0, s4, 0x20));
            Avx.Store(d + dstStride, Avx.Permute2x128(s1, s5, 0x20));
            Avx.Store(d + (2 * dstStride), Avx.Permute2x128(s2, s6, 0x20));
            Avx.Store(d + (3 * dstStride), Avx.Permute2x128(s3, s7, 0x20));
            Avx.Store(d + (4 * dstStride), Avx.Permute2x128(s0, s4, 0x31));
            Avx.Store(d + (5 * dstStride), Avx.Permute2x128(s1, s5, 0x31));
            Avx.Store(d + (6 * dstStride), Avx.Permute2x128(s2, s6, 0x31));
            Avx.Store(d + (7 * dstStride), Avx.Permute2x128(s3, s7, 0x31));
        }

        TransposeTail(src, ld, p, count, 8, dst, dstStride);
    }

    // Four source rows (stride ld) written as columns, as TransposeRowsInto: the last four rows of a 12-row panel.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeFourRowsInto(float* src, nint ld, int count, float* dst, int dstStride)
    {
        int p = 0;
        for (; p + 4 <= count; p += 4)
        {
            float* s = src + p;
            Vector128<float> r0 = Sse.LoadVector128(s);
            Vector128<float> r1 = Sse.LoadVector128(s + ld);
            Vector128<float> r2 = Sse.LoadVector128(s + (2 * ld));
            Vector128<float> r3 = Sse.LoadVector128(s + (3 * ld));
            Vector128<float> t0 = Sse.UnpackLow(r0, r1), t1 = Sse.UnpackHigh(r0, r1);
            Vector128<float> t2 = Sse.UnpackLow(r2, r3), t3 = Sse.UnpackHigh(r2, r3);
            float* d = dst + (p * dstStride);
            Sse.Store(d, Sse.MoveLowToHigh(t0, t2));
            Sse.Store(d + dstStride, Sse.MoveHighToLow(t2, t0));
            Sse.Store(d + (2 * dstStride), Sse.MoveLowToHigh(t1, t3));
            Sse.Store(d + (3 * dstStride), Sse.MoveHighToLow(t3, t1));
        }

        TransposeTail(src, ld, p, count, 4, dst, dstStride);
    }

    // The columns p0..count of `rows` source rows that did not fill a whole vector, one element at a time.
    private static void TransposeTail(float* src, nint ld, int p0, int count, int rows, float* dst, int dstStride)
    {
        for (int p = p0; p < count; p++)
        {
            float* d = dst + (p * dstStride);
            for (int r = 0; r < rows; r++)
            {
                d[r] = src[(r * ld) + p];
            }
        }
    }
}
