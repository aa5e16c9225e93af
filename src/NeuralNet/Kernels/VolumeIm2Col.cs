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
        int c = g.Channels, patch = g.Taps * c, row = 0;
        for (int od = 0; od < g.Depth.Output; od++)
        {
            for (int oh = 0; oh < g.Height.Output; oh++)
            {
                for (int ow = 0; ow < g.Width.Output; ow++, row += patch)
                {
                    Span<float> patchRow = cols.Slice(row, patch);
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
