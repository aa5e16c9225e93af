using System.Runtime.InteropServices;

namespace NeuralNet.Benchmarks;

/// <summary>
/// OpenBLAS <c>cblas_sgemm</c> through function pointers resolved at run time, so the benchmarks still
/// run (and say they skipped the baseline) when <c>libopenblas.so.0</c> is not installed.
/// </summary>
internal static unsafe class OpenBlas
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;

    private static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> s_sgemm;
    private static readonly delegate* unmanaged<int, void> s_setNumThreads;

    static OpenBlas()
    {
        foreach (string name in new[] { "libopenblas.so.0", "libopenblas.so", "libopenblas" })
        {
            if (NativeLibrary.TryLoad(name, out IntPtr handle)
                && NativeLibrary.TryGetExport(handle, "cblas_sgemm", out IntPtr sgemm))
            {
                s_sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
                if (NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out IntPtr setThreads))
                {
                    s_setNumThreads = (delegate* unmanaged<int, void>)setThreads;
                }

                LibraryName = name;
                return;
            }
        }
    }

    /// <summary>Gets whether cblas_sgemm was found.</summary>
    public static bool IsAvailable => s_sgemm != null;

    /// <summary>Gets the library name that was loaded, if any.</summary>
    public static string? LibraryName { get; }

    /// <summary>Sets OpenBLAS's own thread count (no-op when the export is missing).</summary>
    public static void SetThreads(int threads)
    {
        if (s_setNumThreads != null)
        {
            s_setNumThreads(threads);
        }
    }

    /// <summary>Row-major C = alpha * op(A) * op(B) + beta * C, the same contract as Gemm.Multiply.</summary>
    public static void Sgemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        if (s_sgemm == null)
        {
            throw new InvalidOperationException("OpenBLAS (libopenblas.so.0) is not installed.");
        }

        fixed (float* pa = a, pb = b, pc = c)
        {
            s_sgemm(RowMajor, transposeA ? Trans : NoTrans, transposeB ? Trans : NoTrans, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }
}
