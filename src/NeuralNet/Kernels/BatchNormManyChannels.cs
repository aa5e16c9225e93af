using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
namespace NeuralNet.Kernels;

/// <summary>
/// <see cref="BatchNorm"/>'s passes for <see cref="BatchNormFewChannels.MaxChannels"/> channels or more, and for any
/// channel count with a mask, vectorised over the channels of each row: a row of a wide layer (64 channels after a
/// convolution) is several vectors long, and its channels are independent.
/// </summary>
/// <remarks>
/// <code>
/// x, dy, xhat, y, dx: (rows, channels); mean, invStd, gamma, beta: (channels); sums: (channels) doubles
/// sums:         sums[c] += term(r, c) for r = 0, 1, ..., rows - 1 in order: lane c of a vector is channel c, so each
///               channel is still one sequential chain over the rows, the order of BatchNorm's scalar loop
/// element-wise: the same float/double operations as BatchNorm's scalar loop, lane by lane
/// </code>
/// Every result therefore has the bits of the per-channel scalar loop this replaced (the channels past the last whole
/// vector run that loop), for every vector width (AVX-512, AVX2, SSE, no SIMD) and from run to run. One thread.
/// </remarks>
internal static class BatchNormManyChannels
{
    // Channels per pass of the input gradient: its per-channel mean of dy is kept on the stack, this many at a time.
    private const int ChunkChannels = 256;

    /// <summary>
    /// sums[c] += Σ x[r, c] (<paramref name="squares"/> false) or Σ (x[r, c] − mean[c])² in double, over the rows whose
    /// <paramref name="rowMask"/> entry is non-zero (every row when it is empty), rows in order. Returns the rows counted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Sums(ReadOnlySpan<float> x, int channels, ReadOnlySpan<float> mean, bool squares, ReadOnlySpan<float> rowMask, Span<double> sums)
    {
        int rows = x.Length / channels, vf = Vector<float>.Count, vd = Vector<double>.Count;
        int vectorEnd = channels - (channels % vf);
        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref float meanRef = ref MemoryMarshal.GetReference(mean);
        ref double sumRef = ref MemoryMarshal.GetReference(sums);
        int counted = 0;
        for (int r = 0; r < rows; r++)
        {
            if (!rowMask.IsEmpty && rowMask[r] == 0)
            {
                continue;
            }

            counted++;
            ReadOnlySpan<float> row = x.Slice(r * channels, channels);
            nuint o = (nuint)(r * channels);
            for (int c = 0; c < vectorEnd; c += vf)
            {
                Vector.Widen(Vector.LoadUnsafe(ref xRef, o + (nuint)c), out Vector<double> lo, out Vector<double> hi);
                if (squares)
                {
                    // (double)x − (double)mean, squared: the scalar loop's d * d.
                    Vector.Widen(Vector.LoadUnsafe(ref meanRef, (nuint)c), out Vector<double> meanLo, out Vector<double> meanHi);
                    lo -= meanLo;
                    hi -= meanHi;
                    lo *= lo;
                    hi *= hi;
                }

                (Vector.LoadUnsafe(ref sumRef, (nuint)c) + lo).StoreUnsafe(ref sumRef, (nuint)c);
                (Vector.LoadUnsafe(ref sumRef, (nuint)(c + vd)) + hi).StoreUnsafe(ref sumRef, (nuint)(c + vd));
            }

            for (int c = vectorEnd; c < channels; c++)
            {
                double d = squares ? row[c] - (double)mean[c] : row[c];
                sums[c] += squares ? d * d : d;
            }
        }

        return counted;
    }

    /// <summary>sumDy[c] += Σ dy[r, c] and sumDyXhat[c] += Σ dy[r, c]·xhat[r, c] in double, over every row in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GradientSums(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, int channels, Span<double> sumDy, Span<double> sumDyXhat)
    {
        int rows = dy.Length / channels, vf = Vector<float>.Count, vd = Vector<double>.Count;
        int vectorEnd = channels - (channels % vf);
        ref float dyRef = ref MemoryMarshal.GetReference(dy);
        ref float xhatRef = ref MemoryMarshal.GetReference(xhat);
        ref double sumDyRef = ref MemoryMarshal.GetReference(sumDy);
        ref double sumDyXhatRef = ref MemoryMarshal.GetReference(sumDyXhat);
        for (int r = 0; r < rows; r++)
        {
            int o = r * channels;
            for (int c = 0; c < vectorEnd; c += vf)
            {
                nuint i = (nuint)(o + c), lo = (nuint)c, hi = (nuint)(c + vd);
                Vector.Widen(Vector.LoadUnsafe(ref dyRef, i), out Vector<double> dLo, out Vector<double> dHi);
                Vector.Widen(Vector.LoadUnsafe(ref xhatRef, i), out Vector<double> hLo, out Vector<double> hHi);
                (Vector.LoadUnsafe(ref sumDyRef, lo) + dLo).StoreUnsafe(ref sumDyRef, lo);
                (Vector.LoadUnsafe(ref sumDyRef, hi) + dHi).StoreUnsafe(ref sumDyRef, hi);
                (Vector.LoadUnsafe(ref sumDyXhatRef, lo) + (dLo * hLo)).StoreUnsafe(ref sumDyXhatRef, lo);
                (Vector.LoadUnsafe(ref sumDyXhatRef, hi) + (dHi * hHi)).StoreUnsafe(ref sumDyXhatRef, hi);
            }

            for (int c = vectorEnd; c < channels; c++)
            {
                sumDy[c] += dy[o + c];
                sumDyXhat[c] += (double)dy[o + c] * xhat[o + c];
            }
        }
    }

    /// <summary>
    /// xhat = (x − mean)·invStd and y = gamma·xhat + beta (gamma/beta empty: 1/0), as BatchNorm's scalar loop; xhat empty:
    /// y only (inference keeps no xhat).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int channels, Span<float> xhat, Span<float> y)
    {
        int rows = x.Length / channels, vf = Vector<float>.Count;
        int vectorEnd = channels - (channels % vf);
        ref float xRef = ref MemoryMarshal.GetReference(x);
        ref float meanRef = ref MemoryMarshal.GetReference(mean);
        ref float invRef = ref MemoryMarshal.GetReference(invStd);
        ref float gammaRef = ref MemoryMarshal.GetReference(gamma);
        ref float betaRef = ref MemoryMarshal.GetReference(beta);
        ref float xhatRef = ref MemoryMarshal.GetReference(xhat);
        ref float yRef = ref MemoryMarshal.GetReference(y);
        bool hasGamma = !gamma.IsEmpty, hasBeta = !beta.IsEmpty, keepXhat = !xhat.IsEmpty;
        for (int r = 0; r < rows; r++)
        {
            int o = r * channels;
            for (int c = 0; c < vectorEnd; c += vf)
            {
                nuint i = (nuint)(o + c), k = (nuint)c;
                Vector<float> h = (Vector.LoadUnsafe(ref xRef, i) - Vector.LoadUnsafe(ref meanRef, k)) * Vector.LoadUnsafe(ref invRef, k);
                if (keepXhat)
                {
                    h.StoreUnsafe(ref xhatRef, i);
                }

                // The scalar loop's (gamma ? gamma·h : h) + (beta ? beta : 0f), the + 0f included (it turns −0 into +0).
                Vector<float> scaled = hasGamma ? Vector.LoadUnsafe(ref gammaRef, k) * h : h;
                (scaled + (hasBeta ? Vector.LoadUnsafe(ref betaRef, k) : Vector<float>.Zero)).StoreUnsafe(ref yRef, i);
            }

            for (int c = vectorEnd; c < channels; c++)
            {
                float h = (x[o + c] - mean[c]) * invStd[c];
                if (keepXhat)
                {
                    xhat[o + c] = h;
                }

                y[o + c] = (gamma.IsEmpty ? h : gamma[c] * h) + (beta.IsEmpty ? 0f : beta[c]);
            }
        }
    }

    /// <summary>
    /// The input gradient, as BatchNorm's scalar loop: scale·(float)(dy − sumDy/count − xhat·sumDyXhat/count) on a row
    /// that took part in the batch's statistics, else scale·dy; scale = gamma·invStd (gamma empty: 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma, ReadOnlySpan<float> invStd,
        int channels, bool batchStatistics, ReadOnlySpan<float> rowMask, ReadOnlySpan<double> sumDy, ReadOnlySpan<double> sumDyXhat, double count,
        Span<float> dx)
    {
        Span<double> meanDyChunk = stackalloc double[ChunkChannels];
        Span<float> scaleChunk = stackalloc float[ChunkChannels];
        for (int start = 0; start < channels; start += ChunkChannels)
        {
            int width = Math.Min(ChunkChannels, channels - start);
            for (int c = 0; c < width; c++)
            {
                // 1f·invStd is invStd: the scalar loop's scale without gamma.
                meanDyChunk[c] = sumDy[start + c] / count;
                scaleChunk[c] = (gamma.IsEmpty ? 1f : gamma[start + c]) * invStd[start + c];
            }

            InputGradientChunk(dy, xhat, channels, start, width, batchStatistics, rowMask, meanDyChunk, scaleChunk, sumDyXhat.Slice(start, width), count, dx);
        }
    }

    // Channels [start, start + width) of every row; meanDy, scale and sumDyXhat hold those channels from index 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGradientChunk(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, int channels, int start, int width, bool batchStatistics,
        ReadOnlySpan<float> rowMask, ReadOnlySpan<double> meanDy, ReadOnlySpan<float> scale, ReadOnlySpan<double> sumDyXhat, double count, Span<float> dx)
    {
        int rows = dy.Length / channels, vf = Vector<float>.Count, vd = Vector<double>.Count;
        int vectorEnd = width - (width % vf);
        ref float dyRef = ref MemoryMarshal.GetReference(dy);
        ref float xhatRef = ref MemoryMarshal.GetReference(xhat);
        ref float dxRef = ref MemoryMarshal.GetReference(dx);
        ref double meanDyRef = ref MemoryMarshal.GetReference(meanDy);
        ref float scaleRef = ref MemoryMarshal.GetReference(scale);
        ref double sumDyXhatRef = ref MemoryMarshal.GetReference(sumDyXhat);
        var countVector = new Vector<double>(count);
        for (int r = 0; r < rows; r++)
        {
            int o = (r * channels) + start;

            // A masked row took no part in the statistics, so only its own output depends on it.
            bool inStatistics = batchStatistics && (rowMask.IsEmpty || rowMask[r] != 0);
            for (int c = 0; c < vectorEnd; c += vf)
            {
                nuint i = (nuint)(o + c), k = (nuint)c;
                Vector<float> s = Vector.LoadUnsafe(ref scaleRef, k);
                if (!inStatistics)
                {
                    (s * Vector.LoadUnsafe(ref dyRef, i)).StoreUnsafe(ref dxRef, i);
                    continue;
                }

                Vector.Widen(Vector.LoadUnsafe(ref dyRef, i), out Vector<double> dLo, out Vector<double> dHi);
                Vector.Widen(Vector.LoadUnsafe(ref xhatRef, i), out Vector<double> hLo, out Vector<double> hHi);
                Vector<double> lo = dLo - Vector.LoadUnsafe(ref meanDyRef, k) - (hLo * Vector.LoadUnsafe(ref sumDyXhatRef, k) / countVector);
                Vector<double> hi = dHi - Vector.LoadUnsafe(ref meanDyRef, k + (nuint)vd) - (hHi * Vector.LoadUnsafe(ref sumDyXhatRef, k + (nuint)vd) / countVector);
                (s * Vector.Narrow(lo, hi)).StoreUnsafe(ref dxRef, i);
            }

            for (int c = vectorEnd; c < width; c++)
            {
                dx[o + c] = inStatistics
                    ? scale[c] * (float)(dy[o + c] - meanDy[c] - (xhat[o + c] * sumDyXhat[c] / count))
                    : scale[c] * dy[o + c];
            }
        }
    }
}
