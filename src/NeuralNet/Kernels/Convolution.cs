using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NeuralNet.Kernels;

/// <summary>
/// 2-D convolution over NHWC data as im2col + GEMM, with its backward passes and a naive reference.
/// </summary>
/// <remarks>
/// <code>
/// input  x: (images, H, W, C)          kernel w: (KH, KW, C, F) = (KH*KW*C, F) as a matrix
/// cols   X: (images*OH*OW, KH*KW*C)     output y: (images, OH, OW, F) = (images*OH*OW, F) as a matrix
/// forward          y  = X · w + bias
/// backward filter  dw += Xᵀ · dy        (accumulates)
/// backward bias    db += column sums of dy
/// backward data    dX = dy · wᵀ, then dx = col2im(dX)
/// </code>
/// Every matrix product goes through the library's single GEMM entry point, <c>Gemm.Multiply</c>.
/// </remarks>
internal static class Convolution
{
    /// <summary>output (rows, filters) = cols (rows, patch) · kernel (patch, filters); overwrites.</summary>
    public static void ForwardGemm(ReadOnlySpan<float> cols, ReadOnlySpan<float> kernel, int rows, int patch, int filters, Span<float> output)
        => Gemm.Multiply(false, false, rows, filters, patch, 1f, cols, patch, kernel, filters, 0f, output, filters);

    /// <summary>kernelGradient (patch, filters) += colsᵀ (patch, rows) · outputGradient (rows, filters).</summary>
    public static void BackwardFilter(ReadOnlySpan<float> cols, ReadOnlySpan<float> outputGradient, int rows, int patch, int filters, Span<float> kernelGradient)
        => Gemm.Multiply(true, false, patch, filters, rows, 1f, cols, patch, outputGradient, filters, 1f, kernelGradient, filters);

    /// <summary>colsGradient (rows, patch) = outputGradient (rows, filters) · kernelᵀ (filters, patch); overwrites.</summary>
    public static void BackwardData(ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> kernel, int rows, int patch, int filters, Span<float> colsGradient)
        => Gemm.Multiply(false, true, rows, patch, filters, 1f, outputGradient, filters, kernel, filters, 0f, colsGradient, patch);

    /// <summary>values (rows, bias.Length) += bias on every row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddBias(ReadOnlySpan<float> bias, Span<float> values)
    {
        int columns = bias.Length;
        if (columns == 0 || values.Length % columns != 0)
        {
            throw new ArgumentException($"AddBias: {values.Length} values are not whole rows of {columns} columns.", nameof(values));
        }

        int width = Vector<float>.Count;
        if (columns % width == 0 && columns <= 16 * width)
        {
            ref float b = ref MemoryMarshal.GetReference(bias);
            ref float v = ref MemoryMarshal.GetReference(values);
            for (int row = 0; row < values.Length; row += columns)
            {
                for (int j = 0; j < columns; j += width)
                {
                    ref float target = ref Unsafe.Add(ref v, row + j);
                    Vector<float> sum = Vector.LoadUnsafe(ref target) + Vector.LoadUnsafe(ref Unsafe.Add(ref b, j));
                    sum.StoreUnsafe(ref target);
                }
            }

            return;
        }

        for (int row = 0; row < values.Length; row += columns)
        {
            Span<float> r = values.Slice(row, columns);
            TensorPrimitives.Add(r, bias, r);
        }
    }

    /// <summary>destination (columns) += the column sums of values (rows, columns), rows added in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddColumnSums(ReadOnlySpan<float> values, int columns, Span<float> destination)
    {
        if (columns <= 0 || values.Length % columns != 0 || destination.Length != columns)
        {
            throw new ArgumentException($"AddColumnSums: {values.Length} values are not whole rows of {columns} columns, or the destination ({destination.Length}) is not one row.", nameof(values));
        }

        int width = Vector<float>.Count;
        if (columns % width == 0 && columns <= 8 * width)
        {
            ref float d = ref MemoryMarshal.GetReference(destination);
            ref float v = ref MemoryMarshal.GetReference(values);
            for (int j = 0; j < columns; j += width)
            {
                Vector<float> sum = Vector<float>.Zero;
                for (int row = 0; row < values.Length; row += columns)
                {
                    sum += Vector.LoadUnsafe(ref Unsafe.Add(ref v, row + j));
                }

                (Vector.LoadUnsafe(ref Unsafe.Add(ref d, j)) + sum).StoreUnsafe(ref Unsafe.Add(ref d, j));
            }

            return;
        }

        for (int row = 0; row < values.Length; row += columns)
        {
            TensorPrimitives.Add(destination, values.Slice(row, columns), destination);
        }
    }

    /// <summary>
    /// Reference twin of the forward pass: the naive seven-loop convolution with double accumulation.
    /// output (images, OH, OW, F) = conv(input (images, H, W, C), kernel (KH, KW, C, F)) + bias (F, or empty for none).
    /// </summary>
    public static void ForwardReference(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias,
        in ConvGeometry g, int filters, int images, Span<float> output)
    {
        int c = g.Channels;
        for (int n = 0; n < images; n++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    for (int f = 0; f < filters; f++)
                    {
                        double sum = bias.IsEmpty ? 0 : bias[f];
                        for (int ky = 0; ky < g.KernelHeight; ky++)
                        {
                            for (int kx = 0; kx < g.KernelWidth; kx++)
                            {
                                int iy = (oy * g.StrideHeight) - g.PadTop + ky, ix = (ox * g.StrideWidth) - g.PadLeft + kx;
                                if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth)
                                {
                                    continue;
                                }

                                for (int ci = 0; ci < c; ci++)
                                {
                                    sum += (double)input[(n * g.InputSize) + (((iy * g.InWidth) + ix) * c) + ci]
                                        * kernel[(((((ky * g.KernelWidth) + kx) * c) + ci) * filters) + f];
                                }
                            }
                        }

                        output[(((((n * g.OutHeight) + oy) * g.OutWidth) + ox) * filters) + f] = (float)sum;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Reference twin of the three backward passes, straight from the definition with double accumulation:
    /// inputGradient = dL/dx (overwritten), kernelGradient and biasGradient overwritten (not accumulated).
    /// </summary>
    public static void BackwardReference(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> outputGradient,
        in ConvGeometry g, int filters, int images, Span<float> inputGradient, Span<float> kernelGradient, Span<float> biasGradient)
    {
        int c = g.Channels;
        var dx = new double[images * g.InputSize];
        var dw = new double[g.PatchSize * filters];
        var db = new double[filters];
        for (int n = 0; n < images; n++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    for (int f = 0; f < filters; f++)
                    {
                        double dy = outputGradient[(((((n * g.OutHeight) + oy) * g.OutWidth) + ox) * filters) + f];
                        db[f] += dy;
                        for (int ky = 0; ky < g.KernelHeight; ky++)
                        {
                            for (int kx = 0; kx < g.KernelWidth; kx++)
                            {
                                int iy = (oy * g.StrideHeight) - g.PadTop + ky, ix = (ox * g.StrideWidth) - g.PadLeft + kx;
                                if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth)
                                {
                                    continue;
                                }

                                for (int ci = 0; ci < c; ci++)
                                {
                                    int xi = (n * g.InputSize) + (((iy * g.InWidth) + ix) * c) + ci;
                                    int wi = (((((ky * g.KernelWidth) + kx) * c) + ci) * filters) + f;
                                    dx[xi] += dy * kernel[wi];
                                    dw[wi] += dy * input[xi];
                                }
                            }
                        }
                    }
                }
            }
        }

        for (int i = 0; i < dx.Length; i++)
        {
            inputGradient[i] = (float)dx[i];
        }

        for (int i = 0; i < dw.Length; i++)
        {
            kernelGradient[i] = (float)dw[i];
        }

        for (int i = 0; i < db.Length && i < biasGradient.Length; i++)
        {
            biasGradient[i] = (float)db[i];
        }
    }
}
