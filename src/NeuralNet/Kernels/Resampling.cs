using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// Upsampling and resizing (nearest and bilinear) and window copies (zero padding, cropping) of NHWC images, vectorised
/// over channels.
/// </summary>
/// <remarks>
/// <code>
/// nearest   y[oy, ox, :] = x[oy / fh, ox / fw, :]
/// gather    y[oy, ox, :] = x[rows[oy], columns[ox], :]   (nearest resize to any size)
/// bilinear  y[oy, ox, :] = Σ over the two source rows and columns of each axis' weights · x, per BilinearAxis
/// window    destination[dTop + r, dLeft + c, :] = source[sTop + r, sLeft + c, :] for r &lt; rows, c &lt; columns
/// </code>
/// </remarks>
internal static class Resampling
{
    /// <summary>
    /// One axis of Keras' bilinear resize (tf.image.resize / jax.image.resize with half-pixel centers, no antialiasing when
    /// upsampling): output index o samples s = (o + 0.5) · input / output − 0.5 clamped to [0, input − 1] and blends
    /// rows floor(s) and ceil(s) with weights 1 − (s − floor(s)) and s − floor(s). When s is whole (at the clamped edges,
    /// or where the grids align) both taps are row s, as in TensorFlow's kernel (upper = min(ceil(s), input − 1)): the
    /// next row, whose weight is 0, is not read, so an infinite neighbour does not make 0 · ∞ = NaN there.
    /// </summary>
    public static void BilinearAxis(int input, int output, Span<int> lower, Span<int> upper, Span<float> weight)
    {
        double scale = (double)input / output;
        for (int o = 0; o < output; o++)
        {
            double s = Math.Clamp(((o + 0.5) * scale) - 0.5, 0, input - 1);
            int i0 = (int)Math.Floor(s);
            lower[o] = i0;
            upper[o] = s == i0 ? i0 : i0 + 1;
            weight[o] = (float)(s - i0);
        }
    }

    /// <summary>y (OH, OW, C) = nearest-neighbour upsampling of one image x (H, W, C) by (fh, fw); overwrites.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void NearestForward(ReadOnlySpan<float> x, int height, int width, int channels, int fh, int fw, Span<float> y)
    {
        int outWidth = width * fw;
        for (int oy = 0; oy < height * fh; oy++)
        {
            ReadOnlySpan<float> sourceRow = x.Slice(oy / fh * width * channels, width * channels);
            Span<float> row = y.Slice(oy * outWidth * channels, outWidth * channels);
            for (int ix = 0, ox = 0; ix < width; ix++)
            {
                ReadOnlySpan<float> pixel = sourceRow.Slice(ix * channels, channels);
                for (int r = 0; r < fw; r++, ox++)
                {
                    pixel.CopyTo(row.Slice(ox * channels, channels));
                }
            }
        }
    }

    /// <summary>dx (H, W, C) = the sum of dy over each pixel's (fh, fw) copies; overwrites.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void NearestBackward(ReadOnlySpan<float> dy, int height, int width, int channels, int fh, int fw, Span<float> dx)
    {
        int outWidth = width * fw;
        dx[..(height * width * channels)].Clear();
        for (int oy = 0; oy < height * fh; oy++)
        {
            Span<float> targetRow = dx.Slice(oy / fh * width * channels, width * channels);
            ReadOnlySpan<float> row = dy.Slice(oy * outWidth * channels, outWidth * channels);
            for (int ox = 0; ox < outWidth; ox++)
            {
                Span<float> target = targetRow.Slice(ox / fw * channels, channels);
                TensorPrimitives.Add(target, row.Slice(ox * channels, channels), target);
            }
        }
    }

    /// <summary>
    /// y (OH, OW, C) = the pixel of one image x (·, width, C) at source row rows[oy] and column columns[ox] of each output
    /// pixel (a nearest-neighbour resize); overwrites. The value is copied, so ±∞ and NaN pass through unchanged.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GatherForward(ReadOnlySpan<float> x, int width, int channels, ReadOnlySpan<int> rows, ReadOnlySpan<int> columns, Span<float> y)
    {
        int outWidth = columns.Length;
        for (int oy = 0; oy < rows.Length; oy++)
        {
            ReadOnlySpan<float> sourceRow = x.Slice(rows[oy] * width * channels, width * channels);
            Span<float> row = y.Slice(oy * outWidth * channels, outWidth * channels);
            for (int ox = 0; ox < outWidth; ox++)
            {
                sourceRow.Slice(columns[ox] * channels, channels).CopyTo(row.Slice(ox * channels, channels));
            }
        }
    }

    /// <summary>dx (H, W, C) = the adjoint of <see cref="GatherForward"/>: each output gradient added to its source pixel; overwrites.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GatherBackward(ReadOnlySpan<float> dy, int height, int width, int channels, ReadOnlySpan<int> rows, ReadOnlySpan<int> columns, Span<float> dx)
    {
        int outWidth = columns.Length;
        dx[..(height * width * channels)].Clear();
        for (int oy = 0; oy < rows.Length; oy++)
        {
            Span<float> targetRow = dx.Slice(rows[oy] * width * channels, width * channels);
            ReadOnlySpan<float> row = dy.Slice(oy * outWidth * channels, outWidth * channels);
            for (int ox = 0; ox < outWidth; ox++)
            {
                Span<float> target = targetRow.Slice(columns[ox] * channels, channels);
                TensorPrimitives.Add(target, row.Slice(ox * channels, channels), target);
            }
        }
    }

    /// <summary>y (OH, OW, C) = bilinear resize of one image x (H, W, C) with the axis tables of <see cref="BilinearAxis"/>; overwrites.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BilinearForward(ReadOnlySpan<float> x, int width, int channels, ReadOnlySpan<int> rowLow, ReadOnlySpan<int> rowHigh, ReadOnlySpan<float> rowWeight,
        ReadOnlySpan<int> colLow, ReadOnlySpan<int> colHigh, ReadOnlySpan<float> colWeight, Span<float> y)
    {
        int outHeight = rowLow.Length, outWidth = colLow.Length;
        for (int oy = 0; oy < outHeight; oy++)
        {
            float wy = rowWeight[oy];
            int top = rowLow[oy] * width, bottom = rowHigh[oy] * width;
            for (int ox = 0; ox < outWidth; ox++)
            {
                float wx = colWeight[ox];
                Span<float> target = y.Slice(((oy * outWidth) + ox) * channels, channels);
                TensorPrimitives.Multiply(x.Slice((top + colLow[ox]) * channels, channels), (1 - wy) * (1 - wx), target);
                TensorPrimitives.MultiplyAdd(x.Slice((top + colHigh[ox]) * channels, channels), (1 - wy) * wx, target, target);
                TensorPrimitives.MultiplyAdd(x.Slice((bottom + colLow[ox]) * channels, channels), wy * (1 - wx), target, target);
                TensorPrimitives.MultiplyAdd(x.Slice((bottom + colHigh[ox]) * channels, channels), wy * wx, target, target);
            }
        }
    }

    /// <summary>dx (H, W, C) = the adjoint of <see cref="BilinearForward"/> applied to dy; overwrites.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BilinearBackward(ReadOnlySpan<float> dy, int height, int width, int channels, ReadOnlySpan<int> rowLow, ReadOnlySpan<int> rowHigh,
        ReadOnlySpan<float> rowWeight, ReadOnlySpan<int> colLow, ReadOnlySpan<int> colHigh, ReadOnlySpan<float> colWeight, Span<float> dx)
    {
        int outHeight = rowLow.Length, outWidth = colLow.Length;
        dx[..(height * width * channels)].Clear();
        for (int oy = 0; oy < outHeight; oy++)
        {
            float wy = rowWeight[oy];
            int top = rowLow[oy] * width, bottom = rowHigh[oy] * width;
            for (int ox = 0; ox < outWidth; ox++)
            {
                float wx = colWeight[ox];
                ReadOnlySpan<float> g = dy.Slice(((oy * outWidth) + ox) * channels, channels);
                Accumulate(g, (1 - wy) * (1 - wx), dx.Slice((top + colLow[ox]) * channels, channels));
                Accumulate(g, (1 - wy) * wx, dx.Slice((top + colHigh[ox]) * channels, channels));
                Accumulate(g, wy * (1 - wx), dx.Slice((bottom + colLow[ox]) * channels, channels));
                Accumulate(g, wy * wx, dx.Slice((bottom + colHigh[ox]) * channels, channels));
            }
        }
    }

    /// <summary>Copies a (rows, columns) window of pixels between two images of the same channel count.</summary>
    public static void CopyWindow(ReadOnlySpan<float> source, int sourceWidth, int sourceTop, int sourceLeft,
        Span<float> destination, int destinationWidth, int destinationTop, int destinationLeft, int rows, int columns, int channels)
    {
        for (int r = 0; r < rows; r++)
        {
            source.Slice((((sourceTop + r) * sourceWidth) + sourceLeft) * channels, columns * channels)
                .CopyTo(destination.Slice((((destinationTop + r) * destinationWidth) + destinationLeft) * channels, columns * channels));
        }
    }

    private static void Accumulate(ReadOnlySpan<float> g, float weight, Span<float> target)
    {
        if (weight != 0f)
        {
            TensorPrimitives.MultiplyAdd(g, weight, target, target);
        }
    }
}
