using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

// Placeholder until the packed SIMD kernel lands: correct, vectorised through TensorPrimitives, single-threaded.
internal static partial class Gemm
{
    // C (m x n) = alpha * op(A) * op(B) + beta * C, row-major.
    // op(A) is m x k: A stored m x k (lda >= k) or, transposed, k x m (lda >= m).
    // op(B) is k x n: B stored k x n (ldb >= n) or, transposed, n x k (ldb >= k). ldc >= n.
    // beta == 0 overwrites C (old contents ignored, even NaN).
    public static void Multiply(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        Validate(transposeA, transposeB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        for (int i = 0; i < m; i++)
        {
            Span<float> cRow = c.Slice(i * ldc, n);
            if (beta == 0f)
            {
                cRow.Clear();
            }
            else if (beta != 1f)
            {
                TensorPrimitives.Multiply(cRow, beta, cRow);
            }

            for (int p = 0; p < k; p++)
            {
                float aip = alpha * (transposeA ? a[(p * lda) + i] : a[(i * lda) + p]);
                if (!transposeB)
                {
                    TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), aip, cRow, cRow);
                }
                else
                {
                    for (int j = 0; j < n; j++)
                    {
                        cRow[j] += aip * b[(j * ldb) + p];
                    }
                }
            }
        }
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

    private static void Validate(bool transposeA, bool transposeB, int m, int n, int k, int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentException($"Gemm sizes must be non-negative but got m={m}, n={n}, k={k}.");
        }

        int aRows = transposeA ? k : m, aColumns = transposeA ? m : k;
        int bRows = transposeB ? n : k, bColumns = transposeB ? k : n;
        CheckMatrix("a", aRows, aColumns, lda, aLength);
        CheckMatrix("b", bRows, bColumns, ldb, bLength);
        CheckMatrix("c", m, n, ldc, cLength);
    }

    private static void CheckMatrix(string name, int rows, int columns, int leadingDimension, int length)
    {
        if (leadingDimension < Math.Max(columns, 1))
        {
            throw new ArgumentException($"Leading dimension of {name} is {leadingDimension} but the matrix has {columns} columns.", "ld" + name);
        }

        long needed = rows == 0 ? 0 : ((long)(rows - 1) * leadingDimension) + columns;
        if (length < needed)
        {
            throw new ArgumentException($"Matrix {name} ({rows} x {columns}, leading dimension {leadingDimension}) needs {needed} elements but the span has {length}.", name);
        }
    }
}
