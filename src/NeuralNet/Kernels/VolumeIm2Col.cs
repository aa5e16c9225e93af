using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// im2col and col2im of a 3-D convolution over one channels-last volume.
/// </summary>
/// <remarks>
/// <code>
/// volume: (D, H, W, C)
/// cols:   (OD * OH * OW, KD * KH * KW * C)
/// cols[(od*OH + oh)*OW + ow, ((kd*KH + kh)*KW + kw)*C + c] = volume[od*SD - PD + kd*DD, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW, c], 0 outside
/// </code>
/// The column order is that of a Keras kernel (kd, kh, kw, in, filters) flattened to (kd*kh*kw*in, filters), so one
/// GEMM of the patches by the kernel is the convolution. Each tap copies its C channels as one run.
/// </remarks>
internal static class VolumeIm2Col
{
    /// <summary>cols = im2col(volume); overwrites every element of cols.</summary>
    public static void Pack(ReadOnlySpan<float> volume, in VolumeGeometry g, Span<float> cols)
    {
        Validate(volume.Length, cols.Length, g);
        int patch = g.Taps * g.Channels, row = 0;
        for (int od = 0; od < g.Depth.Output; od++)
        {
            for (int oh = 0; oh < g.Height.Output; oh++)
            {
                for (int ow = 0; ow < g.Width.Output; ow++, row += patch)
                {
                    PackPosition(volume, g, od, oh, ow, cols.Slice(row, patch));
                }
            }
        }
    }

    /// <summary>
    /// Rows [firstRow, firstRow + rows) of the batch's patch matrix (volumes * OutputPositions, Taps * Channels): the values
    /// <see cref="Pack"/> writes volume by volume, for a range that may start and end inside a volume (a convolution too
    /// large to keep the batch's matrix packs it a bounded chunk at a time).
    /// </summary>
    /// <param name="input">The batch, (volumes, D, H, W, C).</param>
    /// <param name="g">The convolution's geometry.</param>
    /// <param name="firstRow">The first patch row, counted over the batch.</param>
    /// <param name="rows">The number of patch rows.</param>
    /// <param name="cols">The destination, (rows, Taps * C); overwritten.</param>
    public static void PackRows(ReadOnlySpan<float> input, in VolumeGeometry g, int firstRow, int rows, Span<float> cols)
    {
        int positions = g.OutputPositions, patch = g.Taps * g.Channels;
        if (firstRow < 0 || rows < 0 || ((long)firstRow + rows + positions - 1) / positions * g.InputSize > input.Length || (long)rows * patch > cols.Length)
        {
            throw new ArgumentException($"VolumeIm2Col rows [{firstRow}, {firstRow + rows}) need the volumes they fall in ({g.InputSize} elements each, {input.Length} given) and {(long)rows * patch} patch elements ({cols.Length} given).");
        }

        int area = g.Height.Output * g.Width.Output;
        for (int r = 0; r < rows; r++)
        {
            int row = firstRow + r, n = row / positions, position = row - (n * positions), od = position / area, rest = position - (od * area);
            PackPosition(input.Slice(n * g.InputSize, g.InputSize), g, od, rest / g.Width.Output, rest % g.Width.Output, cols.Slice(r * patch, patch));
        }
    }

    // The patch row of output position (od, oh, ow): Taps * Channels values.
    private static void PackPosition(ReadOnlySpan<float> volume, in VolumeGeometry g, int od, int oh, int ow, Span<float> patchRow)
    {
        int c = g.Channels, tap = 0;
        for (int kd = 0; kd < g.Depth.Kernel; kd++)
        {
            int id = g.Depth.Start(od) + (kd * g.Depth.Dilation);
            for (int kh = 0; kh < g.Height.Kernel; kh++)
            {
                int ih = g.Height.Start(oh) + (kh * g.Height.Dilation);
                for (int kw = 0; kw < g.Width.Kernel; kw++, tap++)
                {
                    int iw = g.Width.Start(ow) + (kw * g.Width.Dilation);
                    Span<float> destination = patchRow.Slice(tap * c, c);
                    if ((uint)id >= (uint)g.Depth.Input || (uint)ih >= (uint)g.Height.Input || (uint)iw >= (uint)g.Width.Input)
                    {
                        destination.Clear();
                    }
                    else
                    {
                        volume.Slice(g.Offset(id, ih, iw), c).CopyTo(destination);
                    }
                }
            }
        }
    }

    /// <summary>volume += col2im(cols): each patch entry is added to the element it was read from; padding drops its share.</summary>
    public static void AddUnpack(ReadOnlySpan<float> cols, in VolumeGeometry g, Span<float> volume)
    {
        Validate(volume.Length, cols.Length, g);
        int c = g.Channels, patch = g.Taps * c, row = 0;
        for (int od = 0; od < g.Depth.Output; od++)
        {
            for (int oh = 0; oh < g.Height.Output; oh++)
            {
                for (int ow = 0; ow < g.Width.Output; ow++, row += patch)
                {
                    ReadOnlySpan<float> patchRow = cols.Slice(row, patch);
                    int tap = 0;
                    for (int kd = 0; kd < g.Depth.Kernel; kd++)
                    {
                        int id = g.Depth.Start(od) + (kd * g.Depth.Dilation);
                        for (int kh = 0; kh < g.Height.Kernel; kh++)
                        {
                            int ih = g.Height.Start(oh) + (kh * g.Height.Dilation);
                            for (int kw = 0; kw < g.Width.Kernel; kw++, tap++)
                            {
                                int iw = g.Width.Start(ow) + (kw * g.Width.Dilation);
                                if ((uint)id < (uint)g.Depth.Input && (uint)ih < (uint)g.Height.Input && (uint)iw < (uint)g.Width.Input)
                                {
                                    Span<float> target = volume.Slice(g.Offset(id, ih, iw), c);
                                    TensorPrimitives.Add(target, patchRow.Slice(tap * c, c), target);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static void Validate(int volumeLength, int colsLength, in VolumeGeometry g)
    {
        if (volumeLength != g.InputSize)
        {
            throw new ArgumentException($"The volume has {volumeLength} elements; the geometry expects {g.InputSize}.", "volume");
        }

        if (colsLength != g.OutputPositions * g.Taps * g.Channels)
        {
            throw new ArgumentException($"The patch matrix has {colsLength} elements; the geometry expects {g.OutputPositions * g.Taps * g.Channels}.", "cols");
        }
    }
}
