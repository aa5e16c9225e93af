using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NeuralNet.Kernels;

/// <summary>
/// Direct convolution for small patches (a model's first layers, with few input channels, such as 3x3x1), where
/// im2col + GEMM would spend more time moving a k = 9 patch matrix than multiplying. One image at a time:
/// <code>
/// input x: (H, W, C)   kernel w: (KH*KW*C, F)   bias b: (F) or empty   output y / dy: (OH, OW, F)
/// forward           y[p, f] = act(b[f] + sum_t patch(x, p)[t] * w[t, f]),  act = identity or ReLU
/// backward filter   dw[t, f] = sum_p patch(x, p)[t] * dz[p, f],  db[f] = sum_p dz[p, f]   (overwritten: per-image partials)
///                   dz = dy masked by y &gt; 0 for ReLU, else dy; also written out when a destination is given
/// </code>
/// Filters are processed in SIMD vectors, so F must be a multiple of <see cref="Vector{T}.Count"/>; see <see cref="Supports"/>.
/// </summary>
internal static class ConvDirect
{
    /// <summary>The largest patch (KH*KW*C) the direct kernels take.</summary>
    public const int MaxPatch = 32;

    /// <summary>The largest filter count the direct kernels take.</summary>
    public const int MaxFilters = 128;

    /// <summary>Whether the direct kernels handle this geometry and filter count.</summary>
    public static bool Supports(in ConvGeometry g, int filters) =>
        Vector.IsHardwareAccelerated && g.PatchSize <= MaxPatch && filters <= MaxFilters && filters % Vector<float>.Count == 0;

    /// <summary>Forward pass of one image: output (OH, OW, F) = act(conv(input) + bias).</summary>
    public static void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in ConvGeometry g, int filters, bool relu, Span<float> output)
    {
        Validate(input.Length, kernel.Length, bias.Length, output.Length, g, filters);
        if (g.PatchSize <= Small)
        {
            ForwardSmall(input, kernel, bias, g, filters, relu, output);
            return;
        }

        int patchSize = g.PatchSize, width = Vector<float>.Count;
        Span<float> patch = stackalloc float[MaxPatch];
        ref float w = ref MemoryMarshal.GetReference(kernel);
        ref float y = ref MemoryMarshal.GetReference(output);
        for (int p = 0; p < g.OutputPixels; p++)
        {
            GatherPatch(input, g, p, patch);
            for (int j = 0; j < filters; j += width)
            {
                Vector<float> acc = bias.IsEmpty ? Vector<float>.Zero : Vector.LoadUnsafe(ref MemoryMarshal.GetReference(bias), (nuint)j);
                for (int t = 0; t < patchSize; t++)
                {
                    acc += new Vector<float>(patch[t]) * Vector.LoadUnsafe(ref w, (nuint)((t * filters) + j));
                }

                if (relu)
                {
                    acc = Vector.Max(acc, Vector<float>.Zero);
                }

                acc.StoreUnsafe(ref y, (nuint)((p * filters) + j));
            }
        }
    }

    /// <summary>
    /// Backward pass of one image for the kernel and bias: overwrites kernelGradient (patch, F) and biasGradient (F, or
    /// empty) with this image's contributions; writes dz to preActivationGradient when it is not empty.
    /// </summary>
    public static void BackwardFilter(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, in ConvGeometry g, int filters, bool relu,
        Span<float> kernelGradient, Span<float> biasGradient, Span<float> preActivationGradient)
    {
        Validate(input.Length, kernelGradient.Length, biasGradient.Length, outputGradient.Length, g, filters);
        if (output.Length < outputGradient.Length || (!preActivationGradient.IsEmpty && preActivationGradient.Length < outputGradient.Length))
        {
            throw new ArgumentException($"ConvDirect.BackwardFilter: output ({output.Length}) and dz ({preActivationGradient.Length}) need {g.OutputPixels * filters} elements.");
        }

        if (g.PatchSize <= Small)
        {
            BackwardFilterSmall(input, output, outputGradient, g, filters, relu, kernelGradient, biasGradient, preActivationGradient);
            return;
        }

        int patchSize = g.PatchSize, width = Vector<float>.Count, vectors = filters / width;
        Span<float> patch = stackalloc float[MaxPatch];
        Span<Vector<float>> dw = stackalloc Vector<float>[patchSize * vectors];
        Span<Vector<float>> db = stackalloc Vector<float>[vectors];
        dw.Clear();
        db.Clear();
        ref float yRef = ref MemoryMarshal.GetReference(output);
        ref float dyRef = ref MemoryMarshal.GetReference(outputGradient);
        bool storeDz = !preActivationGradient.IsEmpty;
        for (int p = 0; p < g.OutputPixels; p++)
        {
            GatherPatch(input, g, p, patch);
            for (int v = 0; v < vectors; v++)
            {
                nuint o = (nuint)((p * filters) + (v * width));
                Vector<float> dz = Vector.LoadUnsafe(ref dyRef, o);
                if (relu)
                {
                    dz = Vector.ConditionalSelect(Vector.GreaterThan(Vector.LoadUnsafe(ref yRef, o), Vector<float>.Zero), dz, Vector<float>.Zero);
                }

                if (storeDz)
                {
                    dz.StoreUnsafe(ref MemoryMarshal.GetReference(preActivationGradient), o);
                }

                db[v] += dz;
                for (int t = 0; t < patchSize; t++)
                {
                    ref Vector<float> acc = ref dw[(t * vectors) + v];
                    acc += new Vector<float>(patch[t]) * dz;
                }
            }
        }

        for (int t = 0; t < patchSize; t++)
        {
            for (int v = 0; v < vectors; v++)
            {
                dw[(t * vectors) + v].StoreUnsafe(ref MemoryMarshal.GetReference(kernelGradient), (nuint)((t * filters) + (v * width)));
            }
        }

        if (!biasGradient.IsEmpty)
        {
            for (int v = 0; v < vectors; v++)
            {
                db[v].StoreUnsafe(ref MemoryMarshal.GetReference(biasGradient), (nuint)(v * width));
            }
        }
    }

    // Patches of at most 9 taps (3x3 on one channel, 1x1..3x3 on few channels): the taps of a block of pixels are gathered
    // once (zero-padded to 9), then each filter vector is a pass over the block with its 9 weights, or its 9 kernel
    // gradient sums, held in registers.
    private const int Small = 9;
    private const int Block = 128;

    private static void ForwardSmall(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in ConvGeometry g, int filters, bool relu, Span<float> output)
    {
        int patchSize = g.PatchSize, width = Vector<float>.Count, pixels = g.OutputPixels;
        Span<float> patches = stackalloc float[Block * Small];
        ref float y = ref MemoryMarshal.GetReference(output);
        for (int start = 0; start < pixels; start += Block)
        {
            int count = Math.Min(Block, pixels - start);
            GatherBlock(input, g, start, count, patches);
            ref float pt = ref MemoryMarshal.GetReference(patches);
            for (int j = 0; j < filters; j += width)
            {
                Vector<float> w0 = Weight(kernel, 0, patchSize, filters, j), w1 = Weight(kernel, 1, patchSize, filters, j), w2 = Weight(kernel, 2, patchSize, filters, j);
                Vector<float> w3 = Weight(kernel, 3, patchSize, filters, j), w4 = Weight(kernel, 4, patchSize, filters, j), w5 = Weight(kernel, 5, patchSize, filters, j);
                Vector<float> w6 = Weight(kernel, 6, patchSize, filters, j), w7 = Weight(kernel, 7, patchSize, filters, j), w8 = Weight(kernel, 8, patchSize, filters, j);
                Vector<float> b = bias.IsEmpty ? Vector<float>.Zero : Vector.LoadUnsafe(ref MemoryMarshal.GetReference(bias), (nuint)j);
                for (int q = 0; q < count; q++)
                {
                    ref float x = ref Unsafe.Add(ref pt, q * Small);
                    Vector<float> acc = b + (new Vector<float>(x) * w0) + (new Vector<float>(Unsafe.Add(ref x, 1)) * w1) + (new Vector<float>(Unsafe.Add(ref x, 2)) * w2);
                    acc += (new Vector<float>(Unsafe.Add(ref x, 3)) * w3) + (new Vector<float>(Unsafe.Add(ref x, 4)) * w4) + (new Vector<float>(Unsafe.Add(ref x, 5)) * w5);
                    acc += (new Vector<float>(Unsafe.Add(ref x, 6)) * w6) + (new Vector<float>(Unsafe.Add(ref x, 7)) * w7) + (new Vector<float>(Unsafe.Add(ref x, 8)) * w8);
                    if (relu)
                    {
                        acc = Vector.Max(acc, Vector<float>.Zero);
                    }

                    acc.StoreUnsafe(ref y, (nuint)(((start + q) * filters) + j));
                }
            }
        }
    }

    private static void BackwardFilterSmall(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, in ConvGeometry g, int filters, bool relu,
        Span<float> kernelGradient, Span<float> biasGradient, Span<float> preActivationGradient)
    {
        int patchSize = g.PatchSize, width = Vector<float>.Count, pixels = g.OutputPixels;
        Span<float> patches = stackalloc float[Block * Small];
        kernelGradient[..(patchSize * filters)].Clear();
        if (!biasGradient.IsEmpty)
        {
            biasGradient[..filters].Clear();
        }

        ref float yRef = ref MemoryMarshal.GetReference(output);
        ref float dyRef = ref MemoryMarshal.GetReference(outputGradient);
        bool storeDz = !preActivationGradient.IsEmpty;
        for (int start = 0; start < pixels; start += Block)
        {
            int count = Math.Min(Block, pixels - start);
            GatherBlock(input, g, start, count, patches);
            ref float pt = ref MemoryMarshal.GetReference(patches);
            for (int j = 0; j < filters; j += width)
            {
                Vector<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default, d8 = default, db = default;
                for (int q = 0; q < count; q++)
                {
                    nuint o = (nuint)(((start + q) * filters) + j);
                    Vector<float> dz = Vector.LoadUnsafe(ref dyRef, o);
                    if (relu)
                    {
                        dz = Vector.ConditionalSelect(Vector.GreaterThan(Vector.LoadUnsafe(ref yRef, o), Vector<float>.Zero), dz, Vector<float>.Zero);
                    }

                    if (storeDz)
                    {
                        dz.StoreUnsafe(ref MemoryMarshal.GetReference(preActivationGradient), o);
                    }

                    ref float x = ref Unsafe.Add(ref pt, q * Small);
                    db += dz;
                    d0 += new Vector<float>(x) * dz;
                    d1 += new Vector<float>(Unsafe.Add(ref x, 1)) * dz;
                    d2 += new Vector<float>(Unsafe.Add(ref x, 2)) * dz;
                    d3 += new Vector<float>(Unsafe.Add(ref x, 3)) * dz;
                    d4 += new Vector<float>(Unsafe.Add(ref x, 4)) * dz;
                    d5 += new Vector<float>(Unsafe.Add(ref x, 5)) * dz;
                    d6 += new Vector<float>(Unsafe.Add(ref x, 6)) * dz;
                    d7 += new Vector<float>(Unsafe.Add(ref x, 7)) * dz;
                    d8 += new Vector<float>(Unsafe.Add(ref x, 8)) * dz;
                }

                AddWeight(kernelGradient, 0, patchSize, filters, j, d0);
                AddWeight(kernelGradient, 1, patchSize, filters, j, d1);
                AddWeight(kernelGradient, 2, patchSize, filters, j, d2);
                AddWeight(kernelGradient, 3, patchSize, filters, j, d3);
                AddWeight(kernelGradient, 4, patchSize, filters, j, d4);
                AddWeight(kernelGradient, 5, patchSize, filters, j, d5);
                AddWeight(kernelGradient, 6, patchSize, filters, j, d6);
                AddWeight(kernelGradient, 7, patchSize, filters, j, d7);
                AddWeight(kernelGradient, 8, patchSize, filters, j, d8);
                if (!biasGradient.IsEmpty)
                {
                    AddWeight(biasGradient, 0, 1, filters, j, db);
                }
            }
        }
    }

    // Weight row t of filter vector j, or zero beyond the patch (its taps are zero-padded too).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Weight(ReadOnlySpan<float> kernel, int t, int patchSize, int filters, int j) =>
        t < patchSize ? Vector.LoadUnsafe(ref MemoryMarshal.GetReference(kernel), (nuint)((t * filters) + j)) : Vector<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddWeight(Span<float> destination, int t, int patchSize, int filters, int j, Vector<float> value)
    {
        if (t < patchSize)
        {
            ref float target = ref Unsafe.Add(ref MemoryMarshal.GetReference(destination), (t * filters) + j);
            (Vector.LoadUnsafe(ref target) + value).StoreUnsafe(ref target);
        }
    }

    // The taps of pixels [start, start + count) into rows of 9 (zero beyond the patch).
    private static void GatherBlock(ReadOnlySpan<float> input, in ConvGeometry g, int start, int count, Span<float> patches)
    {
        for (int q = 0; q < count; q++)
        {
            Span<float> row = patches.Slice(q * Small, Small);
            GatherPatch(input, g, start + q, row);
            row[g.PatchSize..].Clear();
        }
    }

    /// <summary>Reference twin of <see cref="Forward"/>: the naive seven-loop convolution, then the activation.</summary>
    public static void ForwardReference(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in ConvGeometry g, int filters, bool relu, Span<float> output)
    {
        Convolution.ForwardReference(input, kernel, bias, g, filters, 1, output);
        if (relu)
        {
            for (int i = 0; i < g.OutputPixels * filters; i++)
            {
                output[i] = Math.Max(output[i], 0f);
            }
        }
    }

    /// <summary>Reference twin of <see cref="BackwardFilter"/>: dz masked element by element, then the naive backward pass.</summary>
    public static void BackwardFilterReference(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient,
        in ConvGeometry g, int filters, bool relu, Span<float> kernelGradient, Span<float> biasGradient)
    {
        var dz = new float[g.OutputPixels * filters];
        for (int i = 0; i < dz.Length; i++)
        {
            dz[i] = !relu || output[i] > 0f ? outputGradient[i] : 0f;
        }

        Convolution.BackwardReference(input, kernel, dz, g, filters, 1, new float[g.InputSize], kernelGradient, biasGradient);
    }

    // patch[t] for output pixel p of one image, t = (ky*KW + kx)*C + c, zero in the padding.
    // Element by element: the runs are a few floats long, far below what a span copy call is worth.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatherPatch(ReadOnlySpan<float> input, in ConvGeometry g, int p, Span<float> patch)
    {
        int oy = p / g.OutWidth, ox = p - (oy * g.OutWidth);
        int iy0 = (oy * g.StrideHeight) - g.PadTop, ix0 = (ox * g.StrideWidth) - g.PadLeft, c = g.Channels;
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float dst = ref MemoryMarshal.GetReference(patch);
        bool inside = iy0 >= 0 && ix0 >= 0 && iy0 + g.KernelHeight <= g.InHeight && ix0 + g.KernelWidth <= g.InWidth;
        int t = 0;
        for (int ky = 0; ky < g.KernelHeight; ky++)
        {
            int iy = iy0 + ky;
            int rowBase = ((iy * g.InWidth) + ix0) * c;
            for (int kx = 0; kx < g.KernelWidth; kx++)
            {
                int ix = ix0 + kx;
                bool valid = inside || ((uint)iy < (uint)g.InHeight && (uint)ix < (uint)g.InWidth);
                for (int ci = 0; ci < c; ci++, t++)
                {
                    Unsafe.Add(ref dst, t) = valid ? Unsafe.Add(ref x, rowBase + (kx * c) + ci) : 0f;
                }
            }
        }
    }

    private static void Validate(int inputLength, int kernelLength, int biasLength, int outputLength, in ConvGeometry g, int filters)
    {
        if (g.PatchSize > MaxPatch || filters > MaxFilters || filters % Vector<float>.Count != 0)
        {
            throw new ArgumentException($"ConvDirect takes patches up to {MaxPatch} and filter counts that are multiples of {Vector<float>.Count} up to {MaxFilters}, but got patch {g.PatchSize} and {filters} filters.");
        }

        if (inputLength < g.InputSize || kernelLength < g.PatchSize * filters || (biasLength != 0 && biasLength < filters) || outputLength < g.OutputPixels * filters)
        {
            throw new ArgumentException($"ConvDirect: image ({inputLength}), kernel ({kernelLength}), bias ({biasLength}) or output ({outputLength}) is shorter than the geometry needs ({g.InputSize}, {g.PatchSize * filters}, {filters}, {g.OutputPixels * filters}).");
        }
    }
}
