using System.Numerics;
using System.Runtime.CompilerServices;
namespace NeuralNet.Kernels;

/// <summary>
/// <see cref="BatchNorm"/>'s unmasked passes for fewer than <see cref="MaxChannels"/> channels (a grayscale or RGB
/// image, (batch, h, w, 1..3)), vectorised over the rows: a row is shorter than a vector there, so a loop per channel
/// runs one scalar chain over every row.
/// </summary>
/// <remarks>
/// <code>
/// x, dy, xhat, y, dx: (rows, channels), read as blocks of BlockRows rows = W = BlockRows * channels values; element e of
/// a block belongs to channel e % channels, so a per-channel constant becomes a W-long tile
/// sums:        acc[e] += value of element e of each block, blocks in order (W double lanes); then sum[c] = the acc[e]
///              with e % channels == c, e in order, then the rows after the last whole block, in order
/// element-wise: the same float/double operations as BatchNorm's loops, lane by lane: the same bits
/// </code>
/// The sums are added in another order than BatchNorm's one chain per channel, so their last bits may differ from it;
/// the order is fixed (BlockRows does not depend on the vector width, and lanes add independently), so the results are
/// the same on every machine, vector width (AVX-512, AVX2, SSE, no SIMD) and thread count, and from run to run.
/// </remarks>
internal static class BatchNormFewChannels
{
    /// <summary>Channels below this take these passes.</summary>
    public const int MaxChannels = 16;

    // Rows per block: a multiple of every Vector<float>.Count (4, 8, 16), so a block is whole vectors for any channels.
    private const int BlockRows = 16;

    /// <summary>sums[c] += Σ x[r, c] (<paramref name="squares"/> false) or Σ (x[r, c] − mean[c])² in double, over every row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sums(ReadOnlySpan<float> x, int channels, ReadOnlySpan<float> mean, bool squares, Span<double> sums)
    {
        int width = BlockRows * channels, blocks = x.Length / width, vf = Vector<float>.Count, vd = Vector<double>.Count;
        Span<double> acc = stackalloc double[width];
        Span<double> meanTile = stackalloc double[width];
        acc.Clear();
        for (int e = 0; e < width; e++)
        {
            meanTile[e] = squares ? mean[e % channels] : 0;
        }

        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<float> block = x.Slice(b * width, width);
            for (int j = 0; j < width; j += vf)
            {
                Vector.Widen(new Vector<float>(block[j..]), out Vector<double> lo, out Vector<double> hi);
                if (squares)
                {
                    lo -= new Vector<double>(meanTile[j..]);
                    hi -= new Vector<double>(meanTile[(j + vd)..]);
                    lo *= lo;
                    hi *= hi;
                }

                (new Vector<double>(acc[j..]) + lo).CopyTo(acc[j..]);
                (new Vector<double>(acc[(j + vd)..]) + hi).CopyTo(acc[(j + vd)..]);
            }
        }

        for (int e = 0; e < width; e++)
        {
            sums[e % channels] += acc[e];
        }

        for (int i = blocks * width; i < x.Length; i++)
        {
            int c = i % channels;
            double d = squares ? x[i] - (double)mean[c] : x[i];
            sums[c] += squares ? d * d : d;
        }
    }

    /// <summary>sumDy[c] += Σ dy[r, c] and sumDyXhat[c] += Σ dy[r, c]·xhat[r, c] in double, over every row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GradientSums(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, int channels, Span<double> sumDy, Span<double> sumDyXhat)
    {
        int width = BlockRows * channels, blocks = dy.Length / width, vf = Vector<float>.Count, vd = Vector<double>.Count;
        Span<double> accDy = stackalloc double[width];
        Span<double> accDyXhat = stackalloc double[width];
        accDy.Clear();
        accDyXhat.Clear();
        for (int b = 0; b < blocks; b++)
        {
            int o = b * width;
            for (int j = 0; j < width; j += vf)
            {
                Vector.Widen(new Vector<float>(dy[(o + j)..]), out Vector<double> dLo, out Vector<double> dHi);
                Vector.Widen(new Vector<float>(xhat[(o + j)..]), out Vector<double> hLo, out Vector<double> hHi);
                (new Vector<double>(accDy[j..]) + dLo).CopyTo(accDy[j..]);
                (new Vector<double>(accDy[(j + vd)..]) + dHi).CopyTo(accDy[(j + vd)..]);
                (new Vector<double>(accDyXhat[j..]) + (dLo * hLo)).CopyTo(accDyXhat[j..]);
                (new Vector<double>(accDyXhat[(j + vd)..]) + (dHi * hHi)).CopyTo(accDyXhat[(j + vd)..]);
            }
        }

        for (int e = 0; e < width; e++)
        {
            sumDy[e % channels] += accDy[e];
            sumDyXhat[e % channels] += accDyXhat[e];
        }

        for (int i = blocks * width; i < dy.Length; i++)
        {
            int c = i % channels;
            sumDy[c] += dy[i];
            sumDyXhat[c] += (double)dy[i] * xhat[i];
        }
    }

    /// <summary>BatchNorm.Normalize's xhat = (x − mean)·invStd, y = gamma·xhat + beta, with the same bits (xhat empty: y only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Normalize(ReadOnlySpan<float> x, ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd,
        ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int channels, Span<float> xhat, Span<float> y)
    {
        int width = BlockRows * channels, blocks = x.Length / width, vf = Vector<float>.Count;
        bool keepXhat = !xhat.IsEmpty;
        Span<float> tiles = stackalloc float[4 * width];
        Span<float> meanTile = tiles[..width], invTile = tiles.Slice(width, width), gammaTile = tiles.Slice(2 * width, width), betaTile = tiles[(3 * width)..];
        for (int e = 0; e < width; e++)
        {
            int c = e % channels;
            meanTile[e] = mean[c];
            invTile[e] = invStd[c];

            // 1·h is h and h + 0 is BatchNorm's h + 0f: the same bits as its missing gamma or beta.
            gammaTile[e] = gamma.IsEmpty ? 1f : gamma[c];
            betaTile[e] = beta.IsEmpty ? 0f : beta[c];
        }

        for (int b = 0; b < blocks; b++)
        {
            int o = b * width;
            for (int j = 0; j < width; j += vf)
            {
                Vector<float> h = (new Vector<float>(x[(o + j)..]) - new Vector<float>(meanTile[j..])) * new Vector<float>(invTile[j..]);
                if (keepXhat)
                {
                    h.CopyTo(xhat[(o + j)..]);
                }

                ((new Vector<float>(gammaTile[j..]) * h) + new Vector<float>(betaTile[j..])).CopyTo(y[(o + j)..]);
            }
        }

        for (int i = blocks * width; i < x.Length; i++)
        {
            int c = i % channels;
            float h = (x[i] - mean[c]) * invStd[c];
            if (keepXhat)
            {
                xhat[i] = h;
            }

            y[i] = (gamma.IsEmpty ? h : gamma[c] * h) + (beta.IsEmpty ? 0f : beta[c]);
        }
    }

    /// <summary>
    /// BatchNorm.Backward's input gradient without a mask, with the same bits: dx = scale·(float)(dy − sumDy/count −
    /// xhat·sumDyXhat/count) with the batch's statistics, else scale·dy; scale = gamma·invStd.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient(ReadOnlySpan<float> dy, ReadOnlySpan<float> xhat, ReadOnlySpan<float> gamma, ReadOnlySpan<float> invStd,
        int channels, bool batchStatistics, ReadOnlySpan<double> sumDy, ReadOnlySpan<double> sumDyXhat, double count, Span<float> dx)
    {
        int width = BlockRows * channels, blocks = dy.Length / width, vf = Vector<float>.Count, vd = Vector<double>.Count;
        Span<float> scaleTile = stackalloc float[width];
        Span<double> meanDyTile = stackalloc double[width];
        Span<double> sumDyXhatTile = stackalloc double[width];
        for (int e = 0; e < width; e++)
        {
            int c = e % channels;
            scaleTile[e] = (gamma.IsEmpty ? 1f : gamma[c]) * invStd[c];
            meanDyTile[e] = sumDy[c] / count;
            sumDyXhatTile[e] = sumDyXhat[c];
        }

        var countVector = new Vector<double>(count);
        for (int b = 0; b < blocks; b++)
        {
            int o = b * width;
            for (int j = 0; j < width; j += vf)
            {
                var scale = new Vector<float>(scaleTile[j..]);
                if (!batchStatistics)
                {
                    (scale * new Vector<float>(dy[(o + j)..])).CopyTo(dx[(o + j)..]);
                    continue;
                }

                Vector.Widen(new Vector<float>(dy[(o + j)..]), out Vector<double> dLo, out Vector<double> dHi);
                Vector.Widen(new Vector<float>(xhat[(o + j)..]), out Vector<double> hLo, out Vector<double> hHi);
                Vector<double> lo = dLo - new Vector<double>(meanDyTile[j..]) - (hLo * new Vector<double>(sumDyXhatTile[j..]) / countVector);
                Vector<double> hi = dHi - new Vector<double>(meanDyTile[(j + vd)..]) - (hHi * new Vector<double>(sumDyXhatTile[(j + vd)..]) / countVector);
                (scale * Vector.Narrow(lo, hi)).CopyTo(dx[(o + j)..]);
            }
        }

        for (int i = blocks * width; i < dy.Length; i++)
        {
            int c = i % channels;
            float scale = (gamma.IsEmpty ? 1f : gamma[c]) * invStd[c];
            dx[i] = batchStatistics ? scale * (float)(dy[i] - (sumDy[c] / count) - (xhat[i] * sumDyXhat[c] / count)) : scale * dy[i];
        }
    }
}
