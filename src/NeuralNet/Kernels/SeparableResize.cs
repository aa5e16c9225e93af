using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// A separable resize of one NHWC image by per-axis weight tables (<see cref="ResizeTable"/>): rows first, then columns,
/// and its adjoint. The forward map is linear, y = R · x · Cᵀ per channel, so backward is dx = Rᵀ · dy · C.
/// </summary>
/// <remarks>
/// <code>
/// x (·, imageWidth, C), the window's columns left .. left + windowWidth − 1 are read
/// rows[oh, j, :] = Σk R[oh, k] · x[rowStart[oh] + k, left + j, :]                 (outHeight, windowWidth, C)
/// y[oh, ow, :]   = Σk C[ow, k] · rows[oh, columnStart[ow] − left + k, :]           (outHeight, outWidth, C)
/// </code>
/// Taps of weight 0 are skipped, so an infinite pixel reaches only the outputs that weigh it. No allocation; one thread
/// (the callers loop over images), so results do not depend on the thread count.
/// </remarks>
internal static class SeparableResize
{
    /// <summary>y (outHeight, outWidth, C) = the resized window of x; <paramref name="rows"/> (outHeight · windowWidth · C) is scratch.</summary>
    public static void Forward(ReadOnlySpan<float> x, int imageWidth, int channels, int left, int windowWidth, ResizeTable rowTable, ResizeTable columnTable,
        Span<float> rows, Span<float> y)
    {
        int outHeight = rowTable.Output, outWidth = columnTable.Output, rowLength = windowWidth * channels;
        Check(rows.Length >= outHeight * rowLength && y.Length >= outHeight * outWidth * channels, nameof(y));
        for (int oh = 0; oh < outHeight; oh++)
        {
            Span<float> row = rows.Slice(oh * rowLength, rowLength);
            row.Clear();
            for (int k = 0; k < rowTable.Span; k++)
            {
                float w = rowTable.Weight[(oh * rowTable.Span) + k];
                if (w != 0f)
                {
                    ReadOnlySpan<float> source = x.Slice((((rowTable.Start[oh] + k) * imageWidth) + left) * channels, rowLength);
                    TensorPrimitives.MultiplyAdd(source, w, row, row);
                }
            }
        }

        for (int oh = 0; oh < outHeight; oh++)
        {
            ReadOnlySpan<float> row = rows.Slice(oh * rowLength, rowLength);
            for (int ow = 0; ow < outWidth; ow++)
            {
                Span<float> pixel = y.Slice(((oh * outWidth) + ow) * channels, channels);
                pixel.Clear();
                for (int k = 0; k < columnTable.Span; k++)
                {
                    float w = columnTable.Weight[(ow * columnTable.Span) + k];
                    if (w != 0f)
                    {
                        TensorPrimitives.MultiplyAdd(row.Slice((columnTable.Start[ow] - left + k) * channels, channels), w, pixel, pixel);
                    }
                }
            }
        }
    }

    /// <summary>
    /// dx (imageHeight, imageWidth, C) = the adjoint of <see cref="Forward"/> applied to dy (zero outside what the window
    /// reads); <paramref name="rows"/> (outHeight · windowWidth · C) is scratch; overwrites dx.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> dy, int imageHeight, int imageWidth, int channels, int left, int windowWidth, ResizeTable rowTable,
        ResizeTable columnTable, Span<float> rows, Span<float> dx)
    {
        int outHeight = rowTable.Output, outWidth = columnTable.Output, rowLength = windowWidth * channels;
        Check(rows.Length >= outHeight * rowLength && dx.Length >= imageHeight * imageWidth * channels, nameof(dx));
        rows[..(outHeight * rowLength)].Clear();
        for (int oh = 0; oh < outHeight; oh++)
        {
            Span<float> row = rows.Slice(oh * rowLength, rowLength);
            for (int ow = 0; ow < outWidth; ow++)
            {
                ReadOnlySpan<float> pixel = dy.Slice(((oh * outWidth) + ow) * channels, channels);
                for (int k = 0; k < columnTable.Span; k++)
                {
                    float w = columnTable.Weight[(ow * columnTable.Span) + k];
                    if (w != 0f)
                    {
                        Span<float> target = row.Slice((columnTable.Start[ow] - left + k) * channels, channels);
                        TensorPrimitives.MultiplyAdd(pixel, w, target, target);
                    }
                }
            }
        }

        dx[..(imageHeight * imageWidth * channels)].Clear();
        for (int oh = 0; oh < outHeight; oh++)
        {
            ReadOnlySpan<float> row = rows.Slice(oh * rowLength, rowLength);
            for (int k = 0; k < rowTable.Span; k++)
            {
                float w = rowTable.Weight[(oh * rowTable.Span) + k];
                if (w != 0f)
                {
                    Span<float> target = dx.Slice((((rowTable.Start[oh] + k) * imageWidth) + left) * channels, rowLength);
                    TensorPrimitives.MultiplyAdd(row, w, target, target);
                }
            }
        }
    }

    /// <summary>
    /// The float64 reference: y[oh, ow, c] = Σi Σj R[oh, i] · C[ow, j] · x[top + i, left + j, c] with the dense matrices of
    /// <see cref="ResizeTables.Reference"/> (every pair of input indices, no tables); allocates.
    /// </summary>
    public static double[] Reference(ReadOnlySpan<float> x, int imageWidth, int channels, (int Top, int Left) window, double[,] rowMatrix, double[,] columnMatrix)
    {
        int outHeight = rowMatrix.GetLength(0), inHeight = rowMatrix.GetLength(1), outWidth = columnMatrix.GetLength(0), inWidth = columnMatrix.GetLength(1);
        var y = new double[outHeight * outWidth * channels];
        for (int oh = 0; oh < outHeight; oh++)
        {
            for (int ow = 0; ow < outWidth; ow++)
            {
                for (int c = 0; c < channels; c++)
                {
                    double sum = 0;
                    for (int i = 0; i < inHeight; i++)
                    {
                        for (int j = 0; j < inWidth; j++)
                        {
                            double w = rowMatrix[oh, i] * columnMatrix[ow, j];
                            sum += w == 0 ? 0 : w * x[((((window.Top + i) * imageWidth) + window.Left + j) * channels) + c];
                        }
                    }

                    y[(((oh * outWidth) + ow) * channels) + c] = sum;
                }
            }
        }

        return y;
    }

    private static void Check(bool condition, string parameter)
    {
        if (!condition)
        {
            throw new ArgumentException("A buffer is shorter than the resize's shapes need.", parameter);
        }
    }
}
