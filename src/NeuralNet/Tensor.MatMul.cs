using System.Globalization;
using NeuralNet.Kernels;

namespace NeuralNet;

// Matrix products on the library's GEMM, for layers written outside the library.
public sealed partial class Tensor
{
    /// <summary>
    /// <c>destination = alpha * op(a) · op(b) + beta * destination</c> on the library's packed, multi-threaded SIMD GEMM,
    /// where op transposes when asked: the building block of a custom layer's forward and backward passes.
    /// </summary>
    /// <remarks>
    /// <para>Without <paramref name="transposeA"/>, <paramref name="a"/> may have any rank of at least 2: its last axis is
    /// the inner dimension k and every leading position is a row, so (batch, time, k) · (k, n) gives (batch, time, n) as
    /// <see cref="Layers.Dense"/> applies its kernel. With <paramref name="transposeA"/>, <paramref name="a"/> is a matrix
    /// (k, m). <paramref name="b"/> is a matrix (k, n), or (n, k) with <paramref name="transposeB"/>.</para>
    /// <para><paramref name="destination"/> has <c>m * n</c> elements and last axis n; with <paramref name="beta"/> 0 its
    /// previous contents are ignored (NaN included). It must not share storage with an input. Results are the same bits
    /// whatever the thread count.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">A shape does not fit (the message names both shapes), or the destination shares storage with an input.</exception>
    public static void MatMul(Tensor a, Tensor b, Tensor destination, bool transposeA = false, bool transposeB = false, float alpha = 1f, float beta = 0f)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(destination);
        (int m, int k, int n) = MatMulShape(a, b, transposeA, transposeB);
        if (destination.Rank < 1 || destination.Shape[-1] != n || destination.Length != (long)m * n)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"MatMul of {a.Shape}{(transposeA ? "ᵀ" : string.Empty)} and {b.Shape}{(transposeB ? "ᵀ" : string.Empty)} gives {m} x {n} but the destination is {destination.Shape}."), nameof(destination));
        }

        if (destination.SharesStorageWith(a) || destination.SharesStorageWith(b))
        {
            throw new ArgumentException("MatMul's destination must not share storage with an input.", nameof(destination));
        }

        Gemm.Multiply(transposeA, transposeB, m, n, k, alpha, a.AsReadOnlySpan(), transposeA ? m : k, b.AsReadOnlySpan(), transposeB ? k : n,
            beta, destination.AsSpan(), n);
    }

    /// <summary>Returns <c>op(a) · op(b)</c> as a new tensor (leading axes of <paramref name="a"/> kept, last axis n); see <see cref="MatMul(Tensor, Tensor, Tensor, bool, bool, float, float)"/>.</summary>
    /// <exception cref="ArgumentException">A shape does not fit.</exception>
    public static Tensor MatMul(Tensor a, Tensor b, bool transposeA = false, bool transposeB = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        (int m, _, int n) = MatMulShape(a, b, transposeA, transposeB);
        int[] dims = transposeA ? [m, n] : [.. a.Shape.Dimensions[..^1], n];
        var result = new Tensor(dims);
        MatMul(a, b, result, transposeA, transposeB);
        return result;
    }

    private static (int M, int K, int N) MatMulShape(Tensor a, Tensor b, bool transposeA, bool transposeB)
    {
        if (a.Rank < 2 || (transposeA && a.Rank != 2) || b.Rank != 2)
        {
            throw new ArgumentException($"MatMul expects a of rank 2 (or more when not transposed) and b of rank 2, but got {a.Shape} and {b.Shape}.", nameof(a));
        }

        int k = transposeA ? a.Shape[0] : a.Shape[-1];
        int m = transposeA ? a.Shape[1] : a.Length / Math.Max(k, 1);
        int kb = transposeB ? b.Shape[1] : b.Shape[0];
        int n = transposeB ? b.Shape[0] : b.Shape[1];
        return k == kb
            ? (m, k, n)
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"MatMul: the inner dimensions differ: {a.Shape}{(transposeA ? "ᵀ" : string.Empty)} has {k} and {b.Shape}{(transposeB ? "ᵀ" : string.Empty)} has {kb}."), nameof(b));
    }
}
