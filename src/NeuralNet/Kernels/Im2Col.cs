using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// Unfolds NHWC images into the patch matrix of a convolution (im2col) and folds gradients back (col2im).
/// </summary>
/// <remarks>
/// <code>
/// input: (images, InHeight, InWidth, Channels)
/// cols:  (images * OutHeight * OutWidth, KernelHeight * KernelWidth * Channels)
/// cols[(n*OH + oy)*OW + ox, (ky*KW + kx)*C + c] = input[n, oy*SH - PT + ky, ox*SW - PL + kx, c], 0 in the padding
/// </code>
/// The column order is that of a Keras kernel (kh, kw, in, filters) flattened to (kh*kw*in, filters), so the
/// convolution is cols · kernel with no transposition. For a fixed ky the kx taps of a row are contiguous in NHWC,
/// so each (pixel, ky) copies one run of KW*C floats.
/// </remarks>
internal static class Im2Col
{
    /// <summary>cols = im2col(input) for <paramref name="images"/> images.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(ReadOnlySpan<float> input, in ConvGeometry g, int images, Span<float> cols)
    {
        Validate(input.Length, cols.Length, g, images);
        int channels = g.Channels, kw = g.KernelWidth, patch = g.PatchSize, run = kw * channels;
        int rowStride = g.InWidth * channels;
        int colsIndex = 0;
        for (int n = 0; n < images; n++)
        {
            ReadOnlySpan<float> image = input.Slice(n * g.InputSize, g.InputSize);
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy0 = (oy * g.StrideHeight) - g.PadTop;
                for (int ox = 0; ox < g.OutWidth; ox++, colsIndex += patch)
                {
                    int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                    Span<float> row = cols.Slice(colsIndex, patch);
                    int kxFirst = Math.Max(0, -ix0), kxEnd = Math.Min(kw, g.InWidth - ix0);
                    for (int ky = 0; ky < g.KernelHeight; ky++)
                    {
                        Span<float> segment = row.Slice(ky * run, run);
                        int iy = iy0 + ky;
                        if ((uint)iy >= (uint)g.InHeight || kxFirst >= kxEnd)
                        {
                            segment.Clear();
                            continue;
                        }

                        if (kxFirst > 0 || kxEnd < kw)
                        {
                            segment.Clear();
                        }

                        int start = (iy * rowStride) + ((ix0 + kxFirst) * channels);
                        int length = (kxEnd - kxFirst) * channels;
                        Copy(image.Slice(start, length), segment.Slice(kxFirst * channels, length));
                    }
                }
            }
        }
    }

    /// <summary>
    /// Rows [firstRow, firstRow + rows) of the batch's patch matrix (images * OutHeight * OutWidth, KernelHeight *
    /// KernelWidth * Channels): the values <see cref="Pack"/> writes there, for a range that may start and end inside an
    /// image. A convolution whose batch matrix would be too large packs it a bounded chunk at a time with this.
    /// </summary>
    /// <param name="input">The batch, (images, InHeight, InWidth, Channels).</param>
    /// <param name="g">The convolution's geometry.</param>
    /// <param name="firstRow">The first patch row, counted over the batch.</param>
    /// <param name="rows">The number of patch rows.</param>
    /// <param name="cols">The destination, (rows, PatchSize); overwritten.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackRows(ReadOnlySpan<float> input, in ConvGeometry g, int firstRow, int rows, Span<float> cols)
    {
        int pixels = g.OutputPixels, patch = g.PatchSize;
        if (firstRow < 0 || rows < 0 || ((long)firstRow + rows + pixels - 1) / pixels * g.InputSize > input.Length || (long)rows * patch > cols.Length)
        {
            throw new ArgumentException($"Im2Col rows [{firstRow}, {firstRow + rows}) need the images they fall in ({g.InputSize} elements each, {input.Length} given) and {(long)rows * patch} patch elements ({cols.Length} given).");
        }

        int channels = g.Channels, kw = g.KernelWidth, run = kw * channels, rowStride = g.InWidth * channels;
        for (int r = 0; r < rows; r++)
        {
            int row = firstRow + r, n = row / pixels, pixel = row - (n * pixels), oy = pixel / g.OutWidth, ox = pixel - (oy * g.OutWidth);
            ReadOnlySpan<float> image = input.Slice(n * g.InputSize, g.InputSize);
            Span<float> patchRow = cols.Slice(r * patch, patch);

            // Pack's body for one pixel (Pack keeps its own loop: the plain convolution's hot path is left as it was).
            int iy0 = (oy * g.StrideHeight) - g.PadTop, ix0 = (ox * g.StrideWidth) - g.PadLeft;
            int kxFirst = Math.Max(0, -ix0), kxEnd = Math.Min(kw, g.InWidth - ix0);
            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                Span<float> segment = patchRow.Slice(ky * run, run);
                int iy = iy0 + ky;
                if ((uint)iy >= (uint)g.InHeight || kxFirst >= kxEnd)
                {
                    segment.Clear();
                    continue;
                }

                if (kxFirst > 0 || kxEnd < kw)
                {
                    segment.Clear();
                }

                int start = (iy * rowStride) + ((ix0 + kxFirst) * channels);
                int length = (kxEnd - kxFirst) * channels;
                Copy(image.Slice(start, length), segment.Slice(kxFirst * channels, length));
            }
        }
    }

    /// <summary>input gradient = col2im(cols): every patch entry added back to the pixel it came from; overwrites the destination.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unpack(ReadOnlySpan<float> cols, in ConvGeometry g, int images, Span<float> inputGradient)
    {
        Validate(inputGradient.Length, cols.Length, g, images);
        int channels = g.Channels, kw = g.KernelWidth, patch = g.PatchSize, run = kw * channels;
        int rowStride = g.InWidth * channels;
        inputGradient[..(images * g.InputSize)].Clear();
        int colsIndex = 0;
        for (int n = 0; n < images; n++)
        {
            Span<float> image = inputGradient.Slice(n * g.InputSize, g.InputSize);
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy0 = (oy * g.StrideHeight) - g.PadTop;
                for (int ox = 0; ox < g.OutWidth; ox++, colsIndex += patch)
                {
                    int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                    ReadOnlySpan<float> row = cols.Slice(colsIndex, patch);
                    int kxFirst = Math.Max(0, -ix0), kxEnd = Math.Min(kw, g.InWidth - ix0);
                    if (kxFirst >= kxEnd)
                    {
                        continue;
                    }

                    for (int ky = 0; ky < g.KernelHeight; ky++)
                    {
                        int iy = iy0 + ky;
                        if ((uint)iy >= (uint)g.InHeight)
                        {
                            continue;
                        }

                        int start = (iy * rowStride) + ((ix0 + kxFirst) * channels);
                        int length = (kxEnd - kxFirst) * channels;
                        AddTo(row.Slice((ky * run) + (kxFirst * channels), length), image.Slice(start, length));
                    }
                }
            }
        }
    }

    /// <summary>Reference twin of <see cref="Pack"/>: one element at a time, straight from the definition.</summary>
    public static void PackReference(ReadOnlySpan<float> input, in ConvGeometry g, int images, Span<float> cols)
    {
        Validate(input.Length, cols.Length, g, images);
        int c = g.Channels;
        for (int n = 0; n < images; n++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int row = (((n * g.OutHeight) + oy) * g.OutWidth) + ox;
                    for (int ky = 0; ky < g.KernelHeight; ky++)
                    {
                        for (int kx = 0; kx < g.KernelWidth; kx++)
                        {
                            for (int ci = 0; ci < c; ci++)
                            {
                                int iy = (oy * g.StrideHeight) - g.PadTop + ky, ix = (ox * g.StrideWidth) - g.PadLeft + kx;
                                bool inside = iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth;
                                cols[(row * g.PatchSize) + (((ky * g.KernelWidth) + kx) * c) + ci] =
                                    inside ? input[(n * g.InputSize) + (((iy * g.InWidth) + ix) * c) + ci] : 0f;
                            }
                        }
                    }
                }
            }
        }
    }

    private static void Copy(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.Length <= 8)
        {
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] = source[i];
            }
        }
        else
        {
            source.CopyTo(destination);
        }
    }

    private static void AddTo(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.Length <= 8)
        {
            for (int i = 0; i < source.Length; i++)
            {
                destination[i] += source[i];
            }
        }
        else
        {
            TensorPrimitives.Add(destination, source, destination);
        }
    }

    private static void Validate(int imageLength, int colsLength, in ConvGeometry g, int images)
    {
        if (images < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(images), images, "The image count must be non-negative.");
        }

        long needInput = (long)images * g.InputSize, needCols = (long)images * g.OutputPixels * g.PatchSize;
        if (imageLength < needInput || colsLength < needCols)
        {
            throw new ArgumentException($"Im2Col of {images} images ({g.InHeight}, {g.InWidth}, {g.Channels}) needs {needInput} image elements and {needCols} patch elements but got {imageLength} and {colsLength}.");
        }
    }
}
