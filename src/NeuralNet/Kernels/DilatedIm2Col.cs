using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// im2col and col2im for dilated and grouped convolutions: one image, a slice of its channels.
/// </summary>
/// <remarks>
/// <code>
/// image: (InHeight, InWidth, Channels)       slice: channels [offset, offset + count)
/// cols:  (OutHeight * OutWidth, KernelHeight * KernelWidth * count)
/// cols[oy*OW + ox, (ky*KW + kx)*count + c] = image[oy*SH - PT + ky*DH, ox*SW - PL + kx*DW, offset + c], 0 outside
/// </code>
/// The column order is that of a Keras kernel (kh, kw, in, filters) flattened to (kh*kw*in, filters). When the slice is
/// every channel and DilationWidth is 1, the taps of a kernel row are contiguous in NHWC and copy as one run; otherwise
/// each tap copies its <c>count</c> channels. <see cref="Im2Col"/> stays the fast path of a plain convolution.
/// </remarks>
internal static class DilatedIm2Col
{
    /// <summary>cols = im2col(image[..., offset : offset + count]); overwrites every element of cols.</summary>
    public static void Pack(ReadOnlySpan<float> image, in DilatedConvGeometry g, int offset, int count, Span<float> cols)
    {
        Validate(image.Length, cols.Length, g, offset, count);
        int patch = g.Taps * count;
        int row = 0;
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            for (int ox = 0; ox < g.OutWidth; ox++, row += patch)
            {
                PackPixel(image, g, offset, count, oy, ox, cols.Slice(row, patch));
            }
        }
    }

    /// <summary>
    /// Rows [firstRow, firstRow + rows) of the batch's patch matrix (images * OutHeight * OutWidth, Taps * count) for the
    /// channel slice: the same values <see cref="Pack"/> writes image by image, for a range that may start and end inside
    /// an image (a convolution too large to keep the batch's matrix packs it a bounded chunk at a time).
    /// </summary>
    /// <param name="input">The batch, (images, InHeight, InWidth, Channels).</param>
    /// <param name="g">The convolution's geometry.</param>
    /// <param name="offset">The first channel of the slice.</param>
    /// <param name="count">The number of channels in the slice.</param>
    /// <param name="firstRow">The first patch row, counted over the batch.</param>
    /// <param name="rows">The number of patch rows.</param>
    /// <param name="cols">The destination, (rows, Taps * count); overwritten.</param>
    public static void PackRows(ReadOnlySpan<float> input, in DilatedConvGeometry g, int offset, int count, int firstRow, int rows, Span<float> cols)
    {
        int pixels = g.OutputPixels, patch = g.Taps * count;
        if (offset < 0 || count < 1 || offset + count > g.Channels || firstRow < 0 || rows < 0
            || ((long)firstRow + rows + pixels - 1) / pixels * g.InputSize > input.Length || (long)rows * patch > cols.Length)
        {
            throw new ArgumentException($"DilatedIm2Col rows [{firstRow}, {firstRow + rows}) of channels [{offset}, {offset + count}) of {g.Channels} need the images they fall in ({g.InputSize} elements each, {input.Length} given) and {(long)rows * patch} patch elements ({cols.Length} given).");
        }

        for (int r = 0; r < rows; r++)
        {
            int row = firstRow + r, n = row / pixels, pixel = row - (n * pixels);
            PackPixel(input.Slice(n * g.InputSize, g.InputSize), g, offset, count, pixel / g.OutWidth, pixel % g.OutWidth, cols.Slice(r * patch, patch));
        }
    }

    // The patch row of output pixel (oy, ox): Taps * count values.
    private static void PackPixel(ReadOnlySpan<float> image, in DilatedConvGeometry g, int offset, int count, int oy, int ox, Span<float> patchRow)
    {
        int c = g.Channels;
        bool runs = g.DilationWidth == 1 && count == c;
        int iy0 = (oy * g.StrideHeight) - g.PadTop, ix0 = (ox * g.StrideWidth) - g.PadLeft;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            Span<float> segment = patchRow.Slice(ky * g.KernelWidth * count, g.KernelWidth * count);
            int iy = iy0 + (ky * g.DilationHeight);
            if ((uint)iy >= (uint)g.InHeight)
            {
                segment.Clear();
                continue;
            }

            int rowStart = iy * g.InWidth * c;
            if (runs)
            {
                int kxFirst = Math.Max(0, -ix0), kxEnd = Math.Clamp(g.InWidth - ix0, 0, g.KernelWidth);
                if (kxFirst >= kxEnd)
                {
                    segment.Clear();
                    continue;
                }

                segment[..(kxFirst * c)].Clear();
                segment[(kxEnd * c)..].Clear();
                image.Slice(rowStart + ((ix0 + kxFirst) * c), (kxEnd - kxFirst) * c).CopyTo(segment.Slice(kxFirst * c));
                continue;
            }

            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                Span<float> tap = segment.Slice(kx * count, count);
                int ix = ix0 + (kx * g.DilationWidth);
                if ((uint)ix >= (uint)g.InWidth)
                {
                    tap.Clear();
                }
                else
                {
                    image.Slice(rowStart + (ix * c) + offset, count).CopyTo(tap);
                }
            }
        }
    }

    /// <summary>image[..., offset : offset + count] += col2im(cols): each patch entry added to the pixel it was read from.</summary>
    public static void AddUnpack(ReadOnlySpan<float> cols, in DilatedConvGeometry g, int offset, int count, Span<float> image)
    {
        Validate(image.Length, cols.Length, g, offset, count);
        int c = g.Channels, patch = g.Taps * count;
        int row = 0;
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            int iy0 = (oy * g.StrideHeight) - g.PadTop;
            for (int ox = 0; ox < g.OutWidth; ox++, row += patch)
            {
                int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                ReadOnlySpan<float> patchRow = cols.Slice(row, patch);
                for (int ky = 0; ky < g.KernelHeight; ky++)
                {
                    int iy = iy0 + (ky * g.DilationHeight);
                    if ((uint)iy >= (uint)g.InHeight)
                    {
                        continue;
                    }

                    int rowStart = iy * g.InWidth * c;
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                    {
                        int ix = ix0 + (kx * g.DilationWidth);
                        if ((uint)ix < (uint)g.InWidth)
                        {
                            Span<float> target = image.Slice(rowStart + (ix * c) + offset, count);
                            TensorPrimitives.Add(target, patchRow.Slice(((ky * g.KernelWidth) + kx) * count, count), target);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Reference twin of <see cref="Pack"/>: one element at a time, straight from the definition.</summary>
    public static void PackReference(ReadOnlySpan<float> image, in DilatedConvGeometry g, int offset, int count, Span<float> cols)
    {
        Validate(image.Length, cols.Length, g, offset, count);
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                for (int ky = 0; ky < g.KernelHeight; ky++)
                {
                    for (int kx = 0; kx < g.KernelWidth; kx++)
                    {
                        for (int ci = 0; ci < count; ci++)
                        {
                            int iy = (oy * g.StrideHeight) - g.PadTop + (ky * g.DilationHeight);
                            int ix = (ox * g.StrideWidth) - g.PadLeft + (kx * g.DilationWidth);
                            bool inside = iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth;
                            cols[(((oy * g.OutWidth) + ox) * g.Taps * count) + (((ky * g.KernelWidth) + kx) * count) + ci] =
                                inside ? image[(((iy * g.InWidth) + ix) * g.Channels) + offset + ci] : 0f;
                        }
                    }
                }
            }
        }
    }

    private static void Validate(int imageLength, int colsLength, in DilatedConvGeometry g, int offset, int count)
    {
        if (offset < 0 || count < 1 || offset + count > g.Channels)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Channels [{offset}, {offset + count}) are not within the image's {g.Channels} channels.");
        }

        long needCols = (long)g.OutputPixels * g.Taps * count;
        if (imageLength < g.InputSize || colsLength < needCols)
        {
            throw new ArgumentException($"DilatedIm2Col of an image ({g.InHeight}, {g.InWidth}, {g.Channels}) needs {g.InputSize} image elements and {needCols} patch elements but got {imageLength} and {colsLength}.");
        }
    }
}
