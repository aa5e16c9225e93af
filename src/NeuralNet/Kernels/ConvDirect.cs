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
internal static partial class ConvDirect
{
    /// <summary>The largest patch (KH*KW*C) the direct kernels take.</summary>
    public const int MaxPatch = 32;

    /// <summary>The largest filter count the direct kernels take.</summary>
    public const int MaxFilters = 128;

    /// <summary>Whether the direct kernels handle this geometry and filter count.</summary>
    public static bool Supports(in ConvGeometry g, int filters) =>
        Vector.IsHardwareAccelerated && g.PatchSize <= MaxPatch && filters <= MaxFilters && filters % Vector<float>.Count == 0;

    /// <summary>Forward pass of one image: output (OH, OW, F) = act(conv(input) + bias).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in ConvGeometry g, int filters, bool relu, Span<float> output)
    {
        Validate(input.Length, kernel.Length, bias.Length, output.Length, g, filters);
        if (g.PatchSize <= Small)
        {
            ForwardSmall(input, kernel, bias, g, filters, relu, output);
            return;
        }

        int patchSize = g.PatchSize, width = Vector<float>.Count;
        var taps = new PatchTaps(g, stackalloc float[MaxPatch], stackalloc int[MaxPatch], stackalloc int[MaxPatch]);
        ref float w = ref MemoryMarshal.GetReference(kernel);
        ref float y = ref MemoryMarshal.GetReference(output);
        for (int p = 0; p < g.OutputPixels; p++)
        {
            ref float x = ref taps.Locate(input, g, p, out ReadOnlySpan<int> offsets);
            ref int offset = ref MemoryMarshal.GetReference(offsets);
            for (int j = 0; j < filters; j += width)
            {
                Vector<float> acc = bias.IsEmpty ? Vector<float>.Zero : Vector.LoadUnsafe(ref MemoryMarshal.GetReference(bias), (nuint)j);
                for (int t = 0; t < patchSize; t++)
                {
                    acc += new Vector<float>(Unsafe.Add(ref x, Unsafe.Add(ref offset, t))) * Vector.LoadUnsafe(ref w, (nuint)((t * filters) + j));
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
        var taps = new PatchTaps(g, stackalloc float[MaxPatch], stackalloc int[MaxPatch], stackalloc int[MaxPatch]);
        Span<Vector<float>> dw = stackalloc Vector<float>[patchSize * vectors];
        Span<Vector<float>> db = stackalloc Vector<float>[vectors];
        dw.Clear();
        db.Clear();
        ref float yRef = ref MemoryMarshal.GetReference(output);
        ref float dyRef = ref MemoryMarshal.GetReference(outputGradient);
        bool storeDz = !preActivationGradient.IsEmpty;
        for (int p = 0; p < g.OutputPixels; p++)
        {
            ref float x = ref taps.Locate(input, g, p, out ReadOnlySpan<int> offsets);
            ref int offset = ref MemoryMarshal.GetReference(offsets);
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
                    acc += new Vector<float>(Unsafe.Add(ref x, Unsafe.Add(ref offset, t))) * dz;
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

    // Patches of at most 9 taps (3x3 on one channel, 1x1..3x3 on few channels), a block of pixels at a time: each filter
    // vector is a pass over the block with its 9 weights, or its 9 kernel gradient sums, held in registers. A full 3x3
    // window on one channel is three runs of three floats, so copying it out cost as much as the products: windows inside
    // the image are read where they stand; those reaching into the padding, and short patches, are gathered into rows of
    // nine, zero beyond the patch (a short patch's unused weights then multiply zeros).
    private const int Small = 9;
    private const int Block = 128;

    [SkipLocalsInit] // every buffer below is written before it is read
    private static void ForwardSmall(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in ConvGeometry g, int filters, bool relu, Span<float> output)
    {
        var taps = new BlockTaps(stackalloc float[Block * Small], stackalloc int[Block * 4]);
        var inPlace = new ImageTaps(g);
        for (int start = 0; start < g.OutputPixels; start += Block)
        {
            (int inside, int gathered) = taps.Locate(input, g, start, Math.Min(Block, g.OutputPixels - start));
            if (UsesVector512(filters))
            {
                ForwardPixels512(ref MemoryMarshal.GetReference(input), taps.InsideStarts[..inside], taps.InsidePixels[..inside], inPlace, kernel, bias, g.PatchSize, filters, relu, output);
                ForwardPixels512(ref MemoryMarshal.GetReference(taps.Patches), taps.GatheredStarts[..gathered], taps.GatheredPixels[..gathered], default(GatheredTaps), kernel, bias, g.PatchSize, filters, relu, output);
            }
            else
            {
                ForwardPixels(ref MemoryMarshal.GetReference(input), taps.InsideStarts[..inside], taps.InsidePixels[..inside], inPlace, kernel, bias, g.PatchSize, filters, relu, output);
                ForwardPixels(ref MemoryMarshal.GetReference(taps.Patches), taps.GatheredStarts[..gathered], taps.GatheredPixels[..gathered], default(GatheredTaps), kernel, bias, g.PatchSize, filters, relu, output);
            }
        }
    }

    // Output rows pixels[q]; pixel q's tap t is origin[starts[q] + taps.Ot].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardPixels<TTaps>(ref float origin, ReadOnlySpan<int> starts, ReadOnlySpan<int> pixels, TTaps taps, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, int patchSize,
        int filters, bool relu, Span<float> output)
        where TTaps : struct, ITapOffsets
    {
        if (starts.IsEmpty)
        {
            return; // a block with no pixels of this kind: nothing to load the weights for or to add
        }

        int o1 = taps.O1, o2 = taps.O2, o3 = taps.O3, o4 = taps.O4, o5 = taps.O5, o6 = taps.O6, o7 = taps.O7, o8 = taps.O8;
        ref int startRef = ref MemoryMarshal.GetReference(starts);
        ref int pixelRef = ref MemoryMarshal.GetReference(pixels);
        ref float y = ref MemoryMarshal.GetReference(output);
        for (int j = 0; j < filters; j += Vector<float>.Count)
        {
            Vector<float> w0 = Weight(kernel, 0, patchSize, filters, j), w1 = Weight(kernel, 1, patchSize, filters, j), w2 = Weight(kernel, 2, patchSize, filters, j);
            Vector<float> w3 = Weight(kernel, 3, patchSize, filters, j), w4 = Weight(kernel, 4, patchSize, filters, j), w5 = Weight(kernel, 5, patchSize, filters, j);
            Vector<float> w6 = Weight(kernel, 6, patchSize, filters, j), w7 = Weight(kernel, 7, patchSize, filters, j), w8 = Weight(kernel, 8, patchSize, filters, j);
            Vector<float> b = bias.IsEmpty ? Vector<float>.Zero : Vector.LoadUnsafe(ref MemoryMarshal.GetReference(bias), (nuint)j);
            for (int q = 0; q < starts.Length; q++)
            {
                ref float x = ref Unsafe.Add(ref origin, Unsafe.Add(ref startRef, q));
                Vector<float> acc = b + (new Vector<float>(x) * w0) + (new Vector<float>(Unsafe.Add(ref x, o1)) * w1) + (new Vector<float>(Unsafe.Add(ref x, o2)) * w2);
                acc += (new Vector<float>(Unsafe.Add(ref x, o3)) * w3) + (new Vector<float>(Unsafe.Add(ref x, o4)) * w4) + (new Vector<float>(Unsafe.Add(ref x, o5)) * w5);
                acc += (new Vector<float>(Unsafe.Add(ref x, o6)) * w6) + (new Vector<float>(Unsafe.Add(ref x, o7)) * w7) + (new Vector<float>(Unsafe.Add(ref x, o8)) * w8);
                if (relu)
                {
                    acc = Vector.Max(acc, Vector<float>.Zero);
                }

                acc.StoreUnsafe(ref y, (nuint)((Unsafe.Add(ref pixelRef, q) * filters) + j));
            }
        }
    }

    [SkipLocalsInit] // every buffer below is written before it is read
    private static void BackwardFilterSmall(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, in ConvGeometry g, int filters, bool relu,
        Span<float> kernelGradient, Span<float> biasGradient, Span<float> preActivationGradient)
    {
        var taps = new BlockTaps(stackalloc float[Block * Small], stackalloc int[Block * 4]);
        var inPlace = new ImageTaps(g);
        var gradients = new PixelGradients(output, outputGradient, preActivationGradient);
        kernelGradient[..(g.PatchSize * filters)].Clear();
        if (!biasGradient.IsEmpty)
        {
            biasGradient[..filters].Clear();
        }

        for (int start = 0; start < g.OutputPixels; start += Block)
        {
            (int inside, int gathered) = taps.Locate(input, g, start, Math.Min(Block, g.OutputPixels - start));
            if (UsesVector512(filters))
            {
                BackwardFilterPixels512(ref MemoryMarshal.GetReference(input), taps.InsideStarts[..inside], taps.InsidePixels[..inside], inPlace, gradients, g.PatchSize, filters, relu,
                    kernelGradient, biasGradient);
                BackwardFilterPixels512(ref MemoryMarshal.GetReference(taps.Patches), taps.GatheredStarts[..gathered], taps.GatheredPixels[..gathered], default(GatheredTaps), gradients,
                    g.PatchSize, filters, relu, kernelGradient, biasGradient);
            }
            else
            {
                BackwardFilterPixels(ref MemoryMarshal.GetReference(input), taps.InsideStarts[..inside], taps.InsidePixels[..inside], inPlace, gradients, g.PatchSize, filters, relu,
                    kernelGradient, biasGradient);
                BackwardFilterPixels(ref MemoryMarshal.GetReference(taps.Patches), taps.GatheredStarts[..gathered], taps.GatheredPixels[..gathered], default(GatheredTaps), gradients,
                    g.PatchSize, filters, relu, kernelGradient, biasGradient);
            }
        }
    }

    // One image's y, dy and dz (dz empty when not wanted), rows by output pixel.
    private readonly ref struct PixelGradients(ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> preActivationGradient)
    {
        public readonly ReadOnlySpan<float> Output = output;
        public readonly ReadOnlySpan<float> OutputGradient = outputGradient;
        public readonly Span<float> PreActivationGradient = preActivationGradient;
    }

    // Adds the contributions of output pixels pixels[q] to kernelGradient and biasGradient; pixel q's tap t is origin[starts[q] + taps.Ot].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardFilterPixels<TTaps>(ref float origin, ReadOnlySpan<int> starts, ReadOnlySpan<int> pixels, TTaps taps, PixelGradients block, int patchSize, int filters,
        bool relu, Span<float> kernelGradient, Span<float> biasGradient)
        where TTaps : struct, ITapOffsets
    {
        if (starts.IsEmpty)
        {
            return; // a block with no pixels of this kind: nothing to add to the gradients
        }

        int o1 = taps.O1, o2 = taps.O2, o3 = taps.O3, o4 = taps.O4, o5 = taps.O5, o6 = taps.O6, o7 = taps.O7, o8 = taps.O8;
        ref int startRef = ref MemoryMarshal.GetReference(starts);
        ref int pixelRef = ref MemoryMarshal.GetReference(pixels);
        ref float yRef = ref MemoryMarshal.GetReference(block.Output);
        ref float dyRef = ref MemoryMarshal.GetReference(block.OutputGradient);
        ref float dzRef = ref MemoryMarshal.GetReference(block.PreActivationGradient);
        bool storeDz = !block.PreActivationGradient.IsEmpty;
        for (int j = 0; j < filters; j += Vector<float>.Count)
        {
            Vector<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default, d8 = default, db = default;
            for (int q = 0; q < starts.Length; q++)
            {
                nuint o = (nuint)((Unsafe.Add(ref pixelRef, q) * filters) + j);
                Vector<float> dz = Vector.LoadUnsafe(ref dyRef, o);
                if (relu)
                {
                    dz = Vector.ConditionalSelect(Vector.GreaterThan(Vector.LoadUnsafe(ref yRef, o), Vector<float>.Zero), dz, Vector<float>.Zero);
                }

                if (storeDz)
                {
                    dz.StoreUnsafe(ref dzRef, o);
                }

                ref float x = ref Unsafe.Add(ref origin, Unsafe.Add(ref startRef, q));
                db += dz;
                d0 += new Vector<float>(x) * dz;
                d1 += new Vector<float>(Unsafe.Add(ref x, o1)) * dz;
                d2 += new Vector<float>(Unsafe.Add(ref x, o2)) * dz;
                d3 += new Vector<float>(Unsafe.Add(ref x, o3)) * dz;
                d4 += new Vector<float>(Unsafe.Add(ref x, o4)) * dz;
                d5 += new Vector<float>(Unsafe.Add(ref x, o5)) * dz;
                d6 += new Vector<float>(Unsafe.Add(ref x, o6)) * dz;
                d7 += new Vector<float>(Unsafe.Add(ref x, o7)) * dz;
                d8 += new Vector<float>(Unsafe.Add(ref x, o8)) * dz;
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

    // Where taps 1..8 of a pixel lie relative to its tap 0.
    private interface ITapOffsets
    {
        int O1 { get; }

        int O2 { get; }

        int O3 { get; }

        int O4 { get; }

        int O5 { get; }

        int O6 { get; }

        int O7 { get; }

        int O8 { get; }
    }

    // Rows of nine gathered taps: constants the JIT folds into the addressing.
    private readonly struct GatheredTaps : ITapOffsets
    {
        public int O1 => 1;

        public int O2 => 2;

        public int O3 => 3;

        public int O4 => 4;

        public int O5 => 5;

        public int O6 => 6;

        public int O7 => 7;

        public int O8 => 8;
    }

    // A nine-tap window read in place in the image (t = (ky*KW + kx)*C + c); meaningful only when the patch has nine taps.
    private readonly struct ImageTaps : ITapOffsets
    {
        private readonly int _o1, _o2, _o3, _o4, _o5, _o6, _o7, _o8;

        public ImageTaps(in ConvGeometry g)
        {
            Span<int> offsets = stackalloc int[Small];
            int t = 0;
            for (int ky = 0; ky < g.KernelHeight && t < Small; ky++)
            {
                for (int kx = 0; kx < g.KernelWidth && t < Small; kx++)
                {
                    for (int ci = 0; ci < g.Channels && t < Small; ci++, t++)
                    {
                        offsets[t] = (((ky * g.InWidth) + kx) * g.Channels) + ci;
                    }
                }
            }

            (_o1, _o2, _o3, _o4, _o5, _o6, _o7, _o8) = (offsets[1], offsets[2], offsets[3], offsets[4], offsets[5], offsets[6], offsets[7], offsets[8]);
        }

        public int O1 => _o1;

        public int O2 => _o2;

        public int O3 => _o3;

        public int O4 => _o4;

        public int O5 => _o5;

        public int O6 => _o6;

        public int O7 => _o7;

        public int O8 => _o8;
    }

    // The taps of one pixel for patches of up to MaxPatch taps: tap t is at x[offsets[t]], in the image when the window lies
    // inside it (fixed offsets from its corner, no copy), else in the gathered patch (offsets 0, 1, 2, ...). Either way the
    // same values in the same order, so the same bits.
    private readonly ref struct PatchTaps
    {
        private readonly Span<float> _patch;
        private readonly Span<int> _imageOffsets;
        private readonly Span<int> _patchOffsets;

        public PatchTaps(in ConvGeometry g, Span<float> patch, Span<int> imageOffsets, Span<int> patchOffsets)
        {
            _patch = patch;
            _imageOffsets = imageOffsets;
            _patchOffsets = patchOffsets;
            int t = 0;
            for (int ky = 0; ky < g.KernelHeight; ky++)
            {
                for (int kx = 0; kx < g.KernelWidth; kx++)
                {
                    for (int ci = 0; ci < g.Channels; ci++, t++)
                    {
                        imageOffsets[t] = (((ky * g.InWidth) + kx) * g.Channels) + ci;
                        patchOffsets[t] = t;
                    }
                }
            }
        }

        public ref float Locate(ReadOnlySpan<float> input, in ConvGeometry g, int p, out ReadOnlySpan<int> offsets)
        {
            int oy = p / g.OutWidth, ox = p - (oy * g.OutWidth);
            int iy0 = (oy * g.StrideHeight) - g.PadTop, ix0 = (ox * g.StrideWidth) - g.PadLeft;
            if (iy0 >= 0 && ix0 >= 0 && iy0 + g.KernelHeight <= g.InHeight && ix0 + g.KernelWidth <= g.InWidth)
            {
                offsets = _imageOffsets;
                return ref Unsafe.Add(ref MemoryMarshal.GetReference(input), ((iy0 * g.InWidth) + ix0) * g.Channels);
            }

            GatherPatch(input, g, p, _patch);
            offsets = _patchOffsets;
            return ref MemoryMarshal.GetReference(_patch);
        }
    }

    // Where the taps of a block's pixels are: a nine-tap window lying inside the image is read in place (InsideStarts: the
    // index of its corner in the image); any other is gathered into a row of Patches (GatheredStarts: where the row begins).
    // The pixel lists hold the output pixel each start belongs to.
    private readonly ref struct BlockTaps(Span<float> patches, Span<int> lists)
    {
        public readonly Span<float> Patches = patches;
        public readonly Span<int> InsideStarts = lists[..Block];
        public readonly Span<int> InsidePixels = lists.Slice(Block, Block);
        public readonly Span<int> GatheredStarts = lists.Slice(2 * Block, Block);
        public readonly Span<int> GatheredPixels = lists.Slice(3 * Block, Block);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public (int Inside, int Gathered) Locate(ReadOnlySpan<float> input, in ConvGeometry g, int start, int count)
        {
            // Called for every block of every image, forward and backward: the geometry is read once into locals and the
            // pixel's row and column are stepped, not divided out.
            int outWidth = g.OutWidth, strideHeight = g.StrideHeight, strideWidth = g.StrideWidth, padTop = g.PadTop, padLeft = g.PadLeft;
            int lastRow = g.InHeight - g.KernelHeight, lastColumn = g.InWidth - g.KernelWidth, rowStride = g.InWidth * g.Channels, channels = g.Channels;
            // Only a full nine-tap patch is read in place: ImageTaps has no offsets for the zero-weight taps of a shorter one.
            bool readsInPlace = g.PatchSize == Small && lastRow >= 0 && lastColumn >= 0;
            int inside = 0, gathered = 0;
            int oy = start / outWidth, ox = start - (oy * outWidth);
            for (int p = start; p < start + count; p++)
            {
                int iy0 = (oy * strideHeight) - padTop, ix0 = (ox * strideWidth) - padLeft;
                if (readsInPlace && (uint)iy0 <= (uint)lastRow && (uint)ix0 <= (uint)lastColumn)
                {
                    InsideStarts[inside] = (iy0 * rowStride) + (ix0 * channels);
                    InsidePixels[inside++] = p;
                }
                else
                {
                    Span<float> row = Patches.Slice(gathered * Small, Small);
                    GatherPatch(input, g, p, row);
                    row[g.PatchSize..].Clear();
                    GatheredStarts[gathered] = gathered * Small;
                    GatheredPixels[gathered++] = p;
                }

                if (++ox == outWidth)
                {
                    ox = 0;
                    oy++;
                }
            }

            return (inside, gathered);
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
