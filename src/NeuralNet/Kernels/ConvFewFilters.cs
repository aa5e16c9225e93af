using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NeuralNet.Kernels;

/// <summary>
/// Direct convolution for few filters (1 to <see cref="MaxFilters"/>; a layer routes 4 to 7 here, see <see cref="Supports"/>:
/// a small first layer such as the Siamese tutorial's <c>Conv2D(4, 5)</c> on (28, 28, 1)). <see cref="ConvDirect"/> cannot
/// take them (its vectors run over the filters), and im2col + GEMM is then a matrix-vector product whose time goes into
/// writing and reading a patch matrix KH*KW times the input's size.
/// One image at a time, vectorised over output pixels along a row: the image is copied into a zero-padded planar scratch
/// (C, Rows, Width), in which the input under <see cref="Vector{T}.Count"/> adjacent output pixels for one tap is one
/// contiguous load and every window is whole (no border cases).
/// <code>
/// input x: (H, W, C)   kernel w: (KH, KW, C, F)   bias b: (F) or empty   output y, dz: (OH, OW, F)
/// forward          y[p, f]  = act(b[f] + sum_t patch(x, p)[t] * w[t, f]),  act = identity or ReLU
/// backward filter  dw[t, f] = sum_p patch(x, p)[t] * dz[p, f]          (overwritten: a per-image partial)
/// backward input   dx[i]    = sum over (p, t) with patch(x, p)[t] = x[i] of sum_f dz[p, f] * w[t, f]   (overwritten)
/// </code>
/// Horizontal stride 1 only (adjacent output pixels must read adjacent input pixels); any vertical stride. Each output
/// and gradient element is summed in an order fixed by the geometry alone, so the bits do not depend on threads.
/// </summary>
internal static class ConvFewFilters
{
    /// <summary>The largest filter count the kernels take (one vector accumulator per filter).</summary>
    public const int MaxFilters = 7;

    /// <summary>
    /// The fewest filters <see cref="Supports"/> takes. Below 4 the forward pass is one chain of dependent multiply-adds
    /// per filter, bound by their latency: Conv2D(1, 5, same) on (16, 16, 32) measured 1.31x slower forward than im2col +
    /// GEMM (train step 0.85x), against 0.22x forward and 0.43x train step for Conv2D(4, 5) on (28, 28, 1). That cutoff
    /// rests on that one run on the loaded VM; 2 and 3 filters were not measured.
    /// </summary>
    public const int MinLayerFilters = 4;

    /// <summary>
    /// The most input channels <see cref="Supports"/> takes. Past 8 the kernel lost to im2col + GEMM on the loaded VM
    /// (side by side, one thread, batch 16): a 1x1 convolution on 16, 24 and 32 channels 1.1x to 2.2x slower training,
    /// a 5x5 on 16 channels at 9x9 and 12x12 pixels 3x to 5x. On 1 to 4 channels nearly every measured shape ran faster,
    /// on 8 clearly faster forward and about even in training (docs/performance.md).
    /// </summary>
    public const int MaxLayerChannels = 8;

    /// <summary>
    /// The largest patch (KH*KW*C) <see cref="Supports"/> takes: 8 channels under a 5x5 kernel. 7x7 on 8 channels (392)
    /// measured 0.5x to 2.6x the time of im2col + GEMM training, shape by shape and run by run.
    /// </summary>
    public const int MaxLayerPatchSize = 200;

    /// <summary>
    /// Whether a layer should run this geometry and filter count on these kernels (they compute 1 to <see cref="MaxFilters"/>
    /// filters on any geometry at horizontal stride 1): <see cref="MinLayerFilters"/> to <see cref="MaxFilters"/> filters,
    /// output rows of at least one vector (narrower ones compute a whole vector per row, mostly padding: a 1x1 convolution
    /// on 1x1 pixels, 64 or 256 channels, measured 2.9x to 6.8x slower), at most <see cref="MaxLayerChannels"/> channels and
    /// <see cref="MaxLayerPatchSize"/> patch values.
    /// </summary>
    public static bool Supports(in ConvGeometry g, int filters) =>
        Vector.IsHardwareAccelerated && filters >= MinLayerFilters && filters <= MaxFilters && g.StrideWidth == 1 && g.OutputPixels > 0
        && g.OutWidth >= Vector<float>.Count && g.Channels <= MaxLayerChannels && g.PatchSize <= MaxLayerPatchSize
        && (long)ScratchLengthOf(g, filters) <= Array.MaxLength;

    /// <summary>The scratch <see cref="Forward"/> and <see cref="Backward"/> need for one image.</summary>
    public static int ScratchLength(in ConvGeometry g, int filters) => checked((int)ScratchLengthOf(g, filters));

    private static long ScratchLengthOf(in ConvGeometry g, int filters)
    {
        var p = new Planar(g);
        return (2L * g.Channels * p.PlaneSize) + ((long)filters * g.OutHeight * p.RowWidth);
    }

    /// <summary>Forward pass of one image: output (OH, OW, F) = act(conv(input) + bias).</summary>
    public static void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in ConvGeometry g, int filters, bool relu,
        Span<float> scratch, Span<float> output)
    {
        Validate(input.Length, kernel.Length, bias.Length, output.Length, "output", scratch.Length, g, filters);
        var p = new Planar(g);
        Span<float> image = scratch[..(g.Channels * p.PlaneSize)];
        PackImage(input, g, p, image);
        switch (filters)
        {
            case 1: ForwardRows<N1>(image, kernel, bias, g, p, relu, output); break;
            case 2: ForwardRows<N2>(image, kernel, bias, g, p, relu, output); break;
            case 3: ForwardRows<N3>(image, kernel, bias, g, p, relu, output); break;
            case 4: ForwardRows<N4>(image, kernel, bias, g, p, relu, output); break;
            case 5: ForwardRows<N5>(image, kernel, bias, g, p, relu, output); break;
            case 6: ForwardRows<N6>(image, kernel, bias, g, p, relu, output); break;
            default: ForwardRows<N7>(image, kernel, bias, g, p, relu, output); break;
        }
    }

    /// <summary>
    /// Backward pass of one image from dz (OH, OW, F), the gradient before the activation: overwrites kernelGradient
    /// (KH*KW*C, F) with this image's contribution unless it is empty, and inputGradient (H, W, C) unless it is empty.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> outputGradient, in ConvGeometry g, int filters,
        Span<float> scratch, Span<float> kernelGradient, Span<float> inputGradient)
    {
        Validate(input.Length, kernel.Length, 0, outputGradient.Length, "output gradient", scratch.Length, g, filters);
        if ((!kernelGradient.IsEmpty && kernelGradient.Length < g.PatchSize * filters) || (!inputGradient.IsEmpty && inputGradient.Length < g.InputSize))
        {
            throw new ArgumentException($"ConvFewFilters.Backward: the kernel gradient ({kernelGradient.Length}) needs {g.PatchSize * filters} elements and the input gradient ({inputGradient.Length}) {g.InputSize}, or none.");
        }

        var p = new Planar(g);
        int imageLength = g.Channels * p.PlaneSize;
        Span<float> image = scratch[..imageLength];
        Span<float> imageGradient = scratch.Slice(imageLength, imageLength);
        Span<float> dz = scratch.Slice(2 * imageLength, filters * g.OutHeight * p.RowWidth);
        PackGradient(outputGradient, g, p, filters, dz);
        if (!kernelGradient.IsEmpty)
        {
            PackImage(input, g, p, image);
            switch (filters)
            {
                case 1: FilterTaps<N1>(image, dz, g, p, kernelGradient); break;
                case 2: FilterTaps<N2>(image, dz, g, p, kernelGradient); break;
                case 3: FilterTaps<N3>(image, dz, g, p, kernelGradient); break;
                case 4: FilterTaps<N4>(image, dz, g, p, kernelGradient); break;
                case 5: FilterTaps<N5>(image, dz, g, p, kernelGradient); break;
                case 6: FilterTaps<N6>(image, dz, g, p, kernelGradient); break;
                default: FilterTaps<N7>(image, dz, g, p, kernelGradient); break;
            }
        }

        if (!inputGradient.IsEmpty)
        {
            imageGradient.Clear();
            switch (filters)
            {
                case 1: InputTaps<N1>(kernel, dz, g, p, imageGradient); break;
                case 2: InputTaps<N2>(kernel, dz, g, p, imageGradient); break;
                case 3: InputTaps<N3>(kernel, dz, g, p, imageGradient); break;
                case 4: InputTaps<N4>(kernel, dz, g, p, imageGradient); break;
                case 5: InputTaps<N5>(kernel, dz, g, p, imageGradient); break;
                case 6: InputTaps<N6>(kernel, dz, g, p, imageGradient); break;
                default: InputTaps<N7>(kernel, dz, g, p, imageGradient); break;
            }

            UnpackImage(imageGradient, g, p, inputGradient);
        }
    }

    // Output rows in blocks of V pixels, the F accumulators in registers across all taps (c, ky, kx).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit] // lanes is written before it is read
    private static void ForwardRows<TN>(ReadOnlySpan<float> image, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in ConvGeometry g, in Planar p, bool relu, Span<float> output)
        where TN : struct, IFilterCount
    {
        int n = TN.Value, v = Vector<float>.Count, c = g.Channels, kh = g.KernelHeight, kw = g.KernelWidth, outWidth = g.OutWidth;
        int tapStep = c * n, rows = p.Rows, width = p.Width;
        Span<float> lanes = stackalloc float[MaxFilters * Vector<float>.Count];
        ref float x = ref MemoryMarshal.GetReference(image);
        ref float w = ref MemoryMarshal.GetReference(kernel);
        ref float y = ref MemoryMarshal.GetReference(output);
        Vector<float> b0 = Start(bias, 0), b1 = Start(bias, 1), b2 = Start(bias, 2), b3 = Start(bias, 3), b4 = Start(bias, 4), b5 = Start(bias, 5), b6 = Start(bias, 6);
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            for (int start = 0; start < outWidth; start += v)
            {
                Vector<float> a0 = b0, a1 = b1, a2 = b2, a3 = b3, a4 = b4, a5 = b5, a6 = b6;
                for (int ci = 0; ci < c; ci++)
                {
                    for (int ky = 0; ky < kh; ky++)
                    {
                        ref float row = ref Unsafe.Add(ref x, (((ci * rows) + (oy * g.StrideHeight) + ky) * width) + start);
                        ref float taps = ref Unsafe.Add(ref w, ((ky * kw * c) + ci) * n);
                        for (int kx = 0; kx < kw; kx++)
                        {
                            Vector<float> xv = Vector.LoadUnsafe(ref row, (nuint)kx);
                            ref float t = ref Unsafe.Add(ref taps, kx * tapStep);
                            a0 = Mad(xv, new Vector<float>(t), a0);
                            if (TN.Value > 1) { a1 = Mad(xv, new Vector<float>(Unsafe.Add(ref t, 1)), a1); }
                            if (TN.Value > 2) { a2 = Mad(xv, new Vector<float>(Unsafe.Add(ref t, 2)), a2); }
                            if (TN.Value > 3) { a3 = Mad(xv, new Vector<float>(Unsafe.Add(ref t, 3)), a3); }
                            if (TN.Value > 4) { a4 = Mad(xv, new Vector<float>(Unsafe.Add(ref t, 4)), a4); }
                            if (TN.Value > 5) { a5 = Mad(xv, new Vector<float>(Unsafe.Add(ref t, 5)), a5); }
                            if (TN.Value > 6) { a6 = Mad(xv, new Vector<float>(Unsafe.Add(ref t, 6)), a6); }
                        }
                    }
                }

                if (relu)
                {
                    (a0, a1, a2, a3) = (Vector.Max(a0, default), Vector.Max(a1, default), Vector.Max(a2, default), Vector.Max(a3, default));
                    (a4, a5, a6) = (Vector.Max(a4, default), Vector.Max(a5, default), Vector.Max(a6, default));
                }

                // The block's F vectors into (pixel, filter) order: F is below a vector, so element by element.
                ref float l = ref MemoryMarshal.GetReference(lanes);
                a0.StoreUnsafe(ref l, 0);
                if (TN.Value > 1) { a1.StoreUnsafe(ref l, (nuint)v); }
                if (TN.Value > 2) { a2.StoreUnsafe(ref l, (nuint)(2 * v)); }
                if (TN.Value > 3) { a3.StoreUnsafe(ref l, (nuint)(3 * v)); }
                if (TN.Value > 4) { a4.StoreUnsafe(ref l, (nuint)(4 * v)); }
                if (TN.Value > 5) { a5.StoreUnsafe(ref l, (nuint)(5 * v)); }
                if (TN.Value > 6) { a6.StoreUnsafe(ref l, (nuint)(6 * v)); }
                int count = Math.Min(v, outWidth - start);
                ref float target = ref Unsafe.Add(ref y, ((oy * outWidth) + start) * n);
                for (int j = 0; j < count; j++)
                {
                    for (int f = 0; f < n; f++)
                    {
                        Unsafe.Add(ref target, (j * n) + f) = Unsafe.Add(ref l, (f * v) + j);
                    }
                }
            }
        }
    }

    // One tap (c, ky, kx) at a time, its F sums in registers over every output pixel; the zero dz beyond each output row
    // cancels the lanes past its end.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FilterTaps<TN>(ReadOnlySpan<float> image, ReadOnlySpan<float> dz, in ConvGeometry g, in Planar p, Span<float> kernelGradient)
        where TN : struct, IFilterCount
    {
        int n = TN.Value, v = Vector<float>.Count, c = g.Channels, kw = g.KernelWidth, rows = p.Rows, width = p.Width, rowWidth = p.RowWidth;
        int dzPlane = g.OutHeight * rowWidth;
        ref float x = ref MemoryMarshal.GetReference(image);
        ref float d = ref MemoryMarshal.GetReference(dz);
        ref float dw = ref MemoryMarshal.GetReference(kernelGradient);
        for (int ci = 0; ci < c; ci++)
        {
            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                for (int kx = 0; kx < kw; kx++)
                {
                    Vector<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default;
                    for (int oy = 0; oy < g.OutHeight; oy++)
                    {
                        ref float row = ref Unsafe.Add(ref x, (((ci * rows) + (oy * g.StrideHeight) + ky) * width) + kx);
                        ref float dzRow = ref Unsafe.Add(ref d, oy * rowWidth);
                        for (int start = 0; start < rowWidth; start += v)
                        {
                            Vector<float> xv = Vector.LoadUnsafe(ref row, (nuint)start);
                            ref float dzAt = ref Unsafe.Add(ref dzRow, start);
                            a0 = Mad(xv, Vector.LoadUnsafe(ref dzAt), a0);
                            if (TN.Value > 1) { a1 = Mad(xv, Vector.LoadUnsafe(ref dzAt, (nuint)dzPlane), a1); }
                            if (TN.Value > 2) { a2 = Mad(xv, Vector.LoadUnsafe(ref dzAt, (nuint)(2 * dzPlane)), a2); }
                            if (TN.Value > 3) { a3 = Mad(xv, Vector.LoadUnsafe(ref dzAt, (nuint)(3 * dzPlane)), a3); }
                            if (TN.Value > 4) { a4 = Mad(xv, Vector.LoadUnsafe(ref dzAt, (nuint)(4 * dzPlane)), a4); }
                            if (TN.Value > 5) { a5 = Mad(xv, Vector.LoadUnsafe(ref dzAt, (nuint)(5 * dzPlane)), a5); }
                            if (TN.Value > 6) { a6 = Mad(xv, Vector.LoadUnsafe(ref dzAt, (nuint)(6 * dzPlane)), a6); }
                        }
                    }

                    ref float target = ref Unsafe.Add(ref dw, ((((ky * kw) + kx) * c) + ci) * n);
                    target = Vector.Sum(a0);
                    if (TN.Value > 1) { Unsafe.Add(ref target, 1) = Vector.Sum(a1); }
                    if (TN.Value > 2) { Unsafe.Add(ref target, 2) = Vector.Sum(a2); }
                    if (TN.Value > 3) { Unsafe.Add(ref target, 3) = Vector.Sum(a3); }
                    if (TN.Value > 4) { Unsafe.Add(ref target, 4) = Vector.Sum(a4); }
                    if (TN.Value > 5) { Unsafe.Add(ref target, 5) = Vector.Sum(a5); }
                    if (TN.Value > 6) { Unsafe.Add(ref target, 6) = Vector.Sum(a6); }
                }
            }
        }
    }

    // One tap (c, ky, kx) at a time, its F weights in registers: every output pixel's sum_f dz * w added to the padded
    // image gradient under it. Taps outermost, so consecutive read-modify-writes never overlap (a load that overlaps a
    // store still in flight stalls).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputTaps<TN>(ReadOnlySpan<float> kernel, ReadOnlySpan<float> dz, in ConvGeometry g, in Planar p, Span<float> imageGradient)
        where TN : struct, IFilterCount
    {
        int n = TN.Value, v = Vector<float>.Count, c = g.Channels, kw = g.KernelWidth, rows = p.Rows, width = p.Width, rowWidth = p.RowWidth;
        int dzPlane = g.OutHeight * rowWidth;
        ref float w = ref MemoryMarshal.GetReference(kernel);
        ref float d = ref MemoryMarshal.GetReference(dz);
        ref float dx = ref MemoryMarshal.GetReference(imageGradient);
        for (int ci = 0; ci < c; ci++)
        {
            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                for (int kx = 0; kx < kw; kx++)
                {
                    ref float t = ref Unsafe.Add(ref w, ((((ky * kw) + kx) * c) + ci) * n);
                    Vector<float> w0 = new(t), w1 = Tap<TN>(ref t, 1), w2 = Tap<TN>(ref t, 2), w3 = Tap<TN>(ref t, 3), w4 = Tap<TN>(ref t, 4), w5 = Tap<TN>(ref t, 5), w6 = Tap<TN>(ref t, 6);
                    for (int oy = 0; oy < g.OutHeight; oy++)
                    {
                        ref float row = ref Unsafe.Add(ref dx, (((ci * rows) + (oy * g.StrideHeight) + ky) * width) + kx);
                        ref float dzRow = ref Unsafe.Add(ref d, oy * rowWidth);
                        for (int start = 0; start < rowWidth; start += v)
                        {
                            ref float dzAt = ref Unsafe.Add(ref dzRow, start);
                            Vector<float> sum = Mad(Vector.LoadUnsafe(ref dzAt), w0, Vector.LoadUnsafe(ref row, (nuint)start));
                            if (TN.Value > 1) { sum = Mad(Vector.LoadUnsafe(ref dzAt, (nuint)dzPlane), w1, sum); }
                            if (TN.Value > 2) { sum = Mad(Vector.LoadUnsafe(ref dzAt, (nuint)(2 * dzPlane)), w2, sum); }
                            if (TN.Value > 3) { sum = Mad(Vector.LoadUnsafe(ref dzAt, (nuint)(3 * dzPlane)), w3, sum); }
                            if (TN.Value > 4) { sum = Mad(Vector.LoadUnsafe(ref dzAt, (nuint)(4 * dzPlane)), w4, sum); }
                            if (TN.Value > 5) { sum = Mad(Vector.LoadUnsafe(ref dzAt, (nuint)(5 * dzPlane)), w5, sum); }
                            if (TN.Value > 6) { sum = Mad(Vector.LoadUnsafe(ref dzAt, (nuint)(6 * dzPlane)), w6, sum); }
                            sum.StoreUnsafe(ref row, (nuint)start);
                        }
                    }
                }
            }
        }
    }

    // image[c, Y, X] = input[Y - PadTop, X - PadLeft, c], zero outside the input.
    private static void PackImage(ReadOnlySpan<float> input, in ConvGeometry g, in Planar p, Span<float> image)
    {
        image.Clear();
        int c = g.Channels, rowsInside = Math.Min(g.InHeight, p.Rows - g.PadTop);
        for (int iy = 0; iy < rowsInside; iy++)
        {
            int y = iy + g.PadTop;
            for (int ix = 0; ix < g.InWidth; ix++)
            {
                ReadOnlySpan<float> pixel = input.Slice(((iy * g.InWidth) + ix) * c, c);
                int at = (y * p.Width) + ix + g.PadLeft;
                for (int ci = 0; ci < c; ci++)
                {
                    image[(ci * p.PlaneSize) + at] = pixel[ci];
                }
            }
        }
    }

    // inputGradient[iy, ix, c] = image[c, iy + PadTop, ix + PadLeft]; rows below the last window's get no gradient.
    private static void UnpackImage(ReadOnlySpan<float> image, in ConvGeometry g, in Planar p, Span<float> inputGradient)
    {
        int c = g.Channels, rowsInside = Math.Min(g.InHeight, p.Rows - g.PadTop);
        inputGradient[(rowsInside * g.InWidth * c)..g.InputSize].Clear();
        for (int iy = 0; iy < rowsInside; iy++)
        {
            int y = iy + g.PadTop;
            for (int ix = 0; ix < g.InWidth; ix++)
            {
                Span<float> pixel = inputGradient.Slice(((iy * g.InWidth) + ix) * c, c);
                int at = (y * p.Width) + ix + g.PadLeft;
                for (int ci = 0; ci < c; ci++)
                {
                    pixel[ci] = image[(ci * p.PlaneSize) + at];
                }
            }
        }
    }

    // dz[f, oy, ox] = outputGradient[oy, ox, f], zero for ox in [OW, RowWidth).
    private static void PackGradient(ReadOnlySpan<float> outputGradient, in ConvGeometry g, in Planar p, int filters, Span<float> dz)
    {
        dz.Clear();
        int plane = g.OutHeight * p.RowWidth;
        for (int oy = 0; oy < g.OutHeight; oy++)
        {
            for (int ox = 0; ox < g.OutWidth; ox++)
            {
                ReadOnlySpan<float> pixel = outputGradient.Slice(((oy * g.OutWidth) + ox) * filters, filters);
                int at = (oy * p.RowWidth) + ox;
                for (int f = 0; f < filters; f++)
                {
                    dz[(f * plane) + at] = pixel[f];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Start(ReadOnlySpan<float> bias, int f) => f < bias.Length ? new Vector<float>(bias[f]) : Vector<float>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Tap<TN>(ref float taps, int f)
        where TN : struct, IFilterCount => f < TN.Value ? new Vector<float>(Unsafe.Add(ref taps, f)) : Vector<float>.Zero;

    // a * b + c, fused where the hardware has it (one rounding; the same on every thread count either way).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Mad(Vector<float> a, Vector<float> b, Vector<float> c)
    {
        if (Fma.IsSupported && Vector<float>.Count == Vector256<float>.Count)
        {
            return Fma.MultiplyAdd(a.AsVector256(), b.AsVector256(), c.AsVector256()).AsVector();
        }

        return (a * b) + c;
    }

    /// <summary>Reference twin of <see cref="Forward"/>: the naive seven-loop convolution, then the activation.</summary>
    public static void ForwardReference(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in ConvGeometry g, int filters, bool relu, Span<float> output) =>
        ConvDirect.ForwardReference(input, kernel, bias, g, filters, relu, output);

    /// <summary>Reference twin of <see cref="Backward"/>: the naive backward pass from dz (its bias gradient dropped).</summary>
    public static void BackwardReference(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> outputGradient, in ConvGeometry g, int filters,
        Span<float> kernelGradient, Span<float> inputGradient) =>
        Convolution.BackwardReference(input, kernel, outputGradient, g, filters, 1, inputGradient, kernelGradient, []);

    // outputName: "output" (forward) or "output gradient" (backward), the (OH, OW, F) span the message names.
    private static void Validate(int inputLength, int kernelLength, int biasLength, int outputLength, string outputName, int scratchLength, in ConvGeometry g, int filters)
    {
        if (filters < 1 || filters > MaxFilters || g.StrideWidth != 1)
        {
            throw new ArgumentException($"ConvFewFilters takes 1 to {MaxFilters} filters and a horizontal stride of 1, but got {filters} filters and stride {g.StrideWidth}.");
        }

        if (inputLength < g.InputSize || kernelLength < g.PatchSize * filters || (biasLength != 0 && biasLength < filters) || outputLength < g.OutputPixels * filters
            || scratchLength < ScratchLengthOf(g, filters))
        {
            throw new ArgumentException($"ConvFewFilters: image ({inputLength}), kernel ({kernelLength}), bias ({biasLength}), {outputName} ({outputLength}) or scratch ({scratchLength}) is shorter than the geometry needs ({g.InputSize}, {g.PatchSize * filters}, {filters}, {g.OutputPixels * filters}, {ScratchLengthOf(g, filters)}).");
        }
    }

    // The padded planar layout: Rows = the rows the windows reach, RowWidth = OW rounded up to whole vectors, Width = the
    // columns a block's loads reach.
    private readonly struct Planar
    {
        public Planar(in ConvGeometry g)
        {
            int v = Vector<float>.Count;
            Rows = ((g.OutHeight - 1) * g.StrideHeight) + g.KernelHeight;
            RowWidth = (g.OutWidth + v - 1) / v * v;
            Width = RowWidth + g.KernelWidth - 1;
        }

        public int Rows { get; }

        public int RowWidth { get; }

        public int Width { get; }

        public int PlaneSize => Rows * Width;
    }

    // The filter count as a type, so the JIT compiles one loop per count with its accumulators in registers.
    private interface IFilterCount
    {
        static abstract int Value { get; }
    }

    private readonly struct N1 : IFilterCount { public static int Value => 1; }

    private readonly struct N2 : IFilterCount { public static int Value => 2; }

    private readonly struct N3 : IFilterCount { public static int Value => 3; }

    private readonly struct N4 : IFilterCount { public static int Value => 4; }

    private readonly struct N5 : IFilterCount { public static int Value => 5; }

    private readonly struct N6 : IFilterCount { public static int Value => 6; }

    private readonly struct N7 : IFilterCount { public static int Value => 7; }
}
