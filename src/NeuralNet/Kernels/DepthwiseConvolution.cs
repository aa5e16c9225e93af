using System.Runtime.CompilerServices;
using System.Numerics.Tensors;

namespace NeuralNet.Kernels;

/// <summary>
/// Depthwise 2-D convolution over one NHWC image (each channel convolved with its own filters), vectorised over channels.
/// </summary>
/// <remarks>
/// <code>
/// image (H, W, E)   kernel (KH, KW, E)   bias (E) or empty   output (OH, OW, E)
/// output[oy, ox, e] = bias[e] + Σ_{ky, kx} image[oy*SH - PT + ky*DH, ox*SW - PL + kx*DW, e] * kernel[ky, kx, e]
/// </code>
/// A Keras depthwise kernel (KH, KW, C, M) (depth multiplier M) read as (KH, KW, C*M) is this form on the input with
/// every channel repeated M times (<see cref="Expand"/>), since Keras' output channel c*M + m reads input channel c.
/// Each (pixel, tap) is one multiply-add over E contiguous channels.
/// </remarks>
internal static class DepthwiseConvolution
{
    /// <summary>output = depthwise(image, kernel) + bias; overwrites.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> image, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in DilatedConvGeometry g, Span<float> output)
    {
        int e = g.Channels;
        Validate(image.Length, kernel.Length, output.Length, g);
        for (int oy = 0, pixel = 0; oy < g.OutHeight; oy++)
        {
            int iy0 = (oy * g.StrideHeight) - g.PadTop;
            for (int ox = 0; ox < g.OutWidth; ox++, pixel++)
            {
                int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                Span<float> y = output.Slice(pixel * e, e);
                if (bias.IsEmpty)
                {
                    y.Clear();
                }
                else
                {
                    bias[..e].CopyTo(y);
                }

                for (int ky = 0; ky < g.KernelHeight; ky++)
                {
                    int iy = iy0 + (ky * g.DilationHeight);
                    if ((uint)iy >= (uint)g.InHeight)
                    {
                        continue;
                    }

                    for (int kx = 0; kx < g.KernelWidth; kx++)
                    {
                        int ix = ix0 + (kx * g.DilationWidth);
                        if ((uint)ix < (uint)g.InWidth)
                        {
                            TensorPrimitives.MultiplyAdd(image.Slice(((iy * g.InWidth) + ix) * e, e), kernel.Slice(((ky * g.KernelWidth) + kx) * e, e), y, y);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// kernelGradient (KH, KW, E) += Σ outputGradient · image taps; inputGradient (H, W, E) = the input gradient
    /// (overwritten; skipped when empty).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> image, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> kernel, in DilatedConvGeometry g,
        Span<float> kernelGradient, Span<float> inputGradient)
    {
        int e = g.Channels;
        Validate(image.Length, kernel.Length, outputGradient.Length, g);
        if (kernelGradient.Length < kernel.Length || (!inputGradient.IsEmpty && inputGradient.Length < g.InputSize))
        {
            throw new ArgumentException("Depthwise backward: a gradient buffer is too small.", nameof(kernelGradient));
        }

        bool data = !inputGradient.IsEmpty;
        if (data)
        {
            inputGradient[..g.InputSize].Clear();
        }

        for (int oy = 0, pixel = 0; oy < g.OutHeight; oy++)
        {
            int iy0 = (oy * g.StrideHeight) - g.PadTop;
            for (int ox = 0; ox < g.OutWidth; ox++, pixel++)
            {
                int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                ReadOnlySpan<float> dy = outputGradient.Slice(pixel * e, e);
                for (int ky = 0; ky < g.KernelHeight; ky++)
                {
                    int iy = iy0 + (ky * g.DilationHeight);
                    if ((uint)iy >= (uint)g.InHeight)
                    {
                        continue;
                    }

                    for (int kx = 0; kx < g.KernelWidth; kx++)
                    {
                        int ix = ix0 + (kx * g.DilationWidth);
                        if ((uint)ix >= (uint)g.InWidth)
                        {
                            continue;
                        }

                        int at = ((iy * g.InWidth) + ix) * e, tap = ((ky * g.KernelWidth) + kx) * e;
                        Span<float> dk = kernelGradient.Slice(tap, e);
                        TensorPrimitives.MultiplyAdd(dy, image.Slice(at, e), dk, dk);
                        if (data)
                        {
                            Span<float> dx = inputGradient.Slice(at, e);
                            TensorPrimitives.MultiplyAdd(dy, kernel.Slice(tap, e), dx, dx);
                        }
                    }
                }
            }
        }
    }

    /// <summary>expanded (pixels, C*M): expanded[p, c*M + m] = x[p, c].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Expand(ReadOnlySpan<float> x, int channels, int multiplier, Span<float> expanded)
    {
        int pixels = x.Length / channels;
        for (int p = 0, i = 0; p < pixels; p++)
        {
            for (int c = 0; c < channels; c++)
            {
                expanded.Slice(i, multiplier).Fill(x[(p * channels) + c]);
                i += multiplier;
            }
        }
    }

    /// <summary>x (pixels, C) = the sum over m of expanded[p, c*M + m]: the adjoint of <see cref="Expand"/>; overwrites.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Reduce(ReadOnlySpan<float> expanded, int channels, int multiplier, Span<float> x)
    {
        int pixels = x.Length / channels;
        for (int p = 0, i = 0; p < pixels; p++)
        {
            for (int c = 0; c < channels; c++, i += multiplier)
            {
                x[(p * channels) + c] = TensorPrimitives.Sum(expanded.Slice(i, multiplier));
            }
        }
    }

    /// <summary>Reference twin of <see cref="Forward"/> on a Keras kernel (KH, KW, C, M), in float64, straight from Keras' formula.</summary>
    public static void ForwardReference(ReadOnlySpan<float> image, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in DilatedConvGeometry g, int multiplier, Span<double> output)
    {
        int c = g.Channels;
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                for (int ci = 0; ci < c; ci++)
                {
                    for (int m = 0; m < multiplier; m++)
                    {
                        double sum = bias.IsEmpty ? 0 : bias[(ci * multiplier) + m];
                        for (int ky = 0; ky < g.KernelHeight; ky++)
                        {
                            for (int kx = 0; kx < g.KernelWidth; kx++)
                            {
                                int iy = (oy * g.StrideHeight) - g.PadTop + (ky * g.DilationHeight), ix = (ox * g.StrideWidth) - g.PadLeft + (kx * g.DilationWidth);
                                if (iy >= 0 && iy < g.InHeight && ix >= 0 && ix < g.InWidth)
                                {
                                    sum += (double)image[(((iy * g.InWidth) + ix) * c) + ci] * kernel[(((((ky * g.KernelWidth) + kx) * c) + ci) * multiplier) + m];
                                }
                            }
                        }

                        output[(((((oy * g.OutWidth) + ox) * c) + ci) * multiplier) + m] = sum;
                    }
                }
            }
        }
    }

    private static void Validate(int imageLength, int kernelLength, int outputLength, in DilatedConvGeometry g)
    {
        int e = g.Channels;
        if (imageLength < g.InputSize || kernelLength < g.Taps * e || outputLength < g.OutputPixels * e)
        {
            throw new ArgumentException($"Depthwise convolution of an image ({g.InHeight}, {g.InWidth}, {e}) needs {g.InputSize} image, {g.Taps * e} kernel and {g.OutputPixels * e} output elements but got {imageLength}, {kernelLength} and {outputLength}.");
        }
    }
}
