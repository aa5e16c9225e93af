using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NeuralNet.Kernels;

// A nine-tap convolution followed by max pooling over tiling windows (E4.3's Conv2D(32, 3, relu) then MaxPooling2D(2)), one
// image at a time, without the convolution's output: a whole batch of it (11 MB per 128 images) would be written to memory,
// read back by the pooling, and its gradient written and read again.
// <code>
// forward    window by window, each pixel's output is computed as ForwardPixels computes it (and ReLU applied), and the
//            window's maximum kept in registers as MaxForwardTiles keeps it; with ReLU, a window whose maximum is not
//            positive gets argmax -1, since ReLU passes no gradient there
// backward   in the blocks of pixels BackwardFilterSmall takes, each pixel's dz is the pooled gradient where it was its
//            window's argmax, else 0, summed into the kernel and bias gradients as BackwardFilterPixels sums them
// </code>
// The same operations on the same values in the same order as the two layers one after the other: the same bits.
internal static partial class ConvDirect
{
    /// <summary>
    /// Whether <see cref="ForwardMaxPooled"/> takes this convolution (nine taps read in place: no padding, every window
    /// inside the image) and pooling (tiling windows over the convolution's output, at most one block of pixels each).
    /// </summary>
    public static bool SupportsMaxPooled(in ConvGeometry conv, in ConvGeometry pool, int filters) =>
        Supports(conv, filters) && ReadsNineTapsInPlace(conv) && pool.Channels == filters && pool.InHeight == conv.OutHeight && pool.InWidth == conv.OutWidth
        && Pooling.IsTiling(pool);

    /// <summary>
    /// Forward pass of one image through the convolution, its activation (none or ReLU) and max pooling: writes the pooled
    /// output (pool OH, pool OW, F) and, per element, the window-local index of its maximum, or -1 where ReLU cuts the
    /// gradient (see <see cref="BackwardFilterMaxPooled"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ForwardMaxPooled(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in ConvGeometry conv, in ConvGeometry pool, int filters,
        bool relu, Span<float> pooled, Span<int> argmax)
    {
        ValidateMaxPooled(conv, pool, filters, pooled.Length, argmax.Length);
        Validate(input.Length, kernel.Length, bias.Length, conv.OutputPixels * filters, conv, filters);
        var windows = new PoolingWindows(conv, pool, filters);
        if (UsesVector512(filters))
        {
            ForwardWindows512(ref MemoryMarshal.GetReference(input), windows, new ImageTaps(conv), kernel, bias, relu, pooled, argmax);
        }
        else
        {
            ForwardWindows(ref MemoryMarshal.GetReference(input), windows, new ImageTaps(conv), kernel, bias, relu, pooled, argmax);
        }
    }

    /// <summary>
    /// Backward pass of one image for the kernel and bias from the pooled gradient (pool OH, pool OW, F) and the argmax
    /// of <see cref="ForwardMaxPooled"/>: overwrites kernelGradient (patch, F) and biasGradient (F, or empty) with this
    /// image's contributions, as <see cref="BackwardFilter"/> after the pooling's backward pass would.
    /// </summary>
    [SkipLocalsInit] // the lists are written before they are read
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BackwardFilterMaxPooled(ReadOnlySpan<float> input, ReadOnlySpan<float> pooledGradient, ReadOnlySpan<int> argmax, in ConvGeometry conv, in ConvGeometry pool,
        int filters, Span<float> kernelGradient, Span<float> biasGradient)
    {
        ValidateMaxPooled(conv, pool, filters, pooledGradient.Length, argmax.Length);
        Validate(input.Length, kernelGradient.Length, biasGradient.Length, conv.OutputPixels * filters, conv, filters);
        kernelGradient[..(Small * filters)].Clear();
        if (!biasGradient.IsEmpty)
        {
            biasGradient[..filters].Clear();
        }

        var windows = new PoolingWindows(conv, pool, filters);
        Span<int> lists = stackalloc int[3 * Block];
        Span<int> starts = lists[..Block], cells = lists.Slice(Block, Block), indices = lists.Slice(2 * Block, Block);
        for (int start = 0; start < conv.OutputPixels; start += Block)
        {
            int count = Math.Min(Block, conv.OutputPixels - start);
            windows.Locate(start, starts[..count], cells[..count], indices[..count]);
            if (UsesVector512(filters))
            {
                BackwardWindows512(ref MemoryMarshal.GetReference(input), new ImageTaps(conv), pooledGradient, argmax, starts[..count], cells[..count], indices[..count], filters,
                    kernelGradient, biasGradient);
            }
            else
            {
                BackwardWindows(ref MemoryMarshal.GetReference(input), new ImageTaps(conv), pooledGradient, argmax, starts[..count], cells[..count], indices[..count], filters,
                    kernelGradient, biasGradient);
            }
        }
    }

    /// <summary>Reference twin of <see cref="ForwardMaxPooled"/>: <see cref="ForwardReference"/>, then the naive max pooling.</summary>
    public static void ForwardMaxPooledReference(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in ConvGeometry conv, in ConvGeometry pool, int filters,
        bool relu, Span<float> pooled)
    {
        var output = new float[conv.OutputPixels * filters];
        ForwardReference(input, kernel, bias, conv, filters, relu, output);
        Pooling.MaxReference(output, new float[pool.OutputPixels * filters], pool, 1, pooled, new float[output.Length]);
    }

    /// <summary>
    /// Reference twin of <see cref="BackwardFilterMaxPooled"/>: the naive max pooling's backward pass, then
    /// <see cref="BackwardFilterReference"/>.
    /// </summary>
    public static void BackwardFilterMaxPooledReference(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, ReadOnlySpan<float> pooledGradient,
        in ConvGeometry conv, in ConvGeometry pool, int filters, bool relu, Span<float> kernelGradient, Span<float> biasGradient)
    {
        var output = new float[conv.OutputPixels * filters];
        var outputGradient = new float[output.Length];
        ForwardReference(input, kernel, bias, conv, filters, relu, output);
        Pooling.MaxReference(output, pooledGradient, pool, 1, new float[pool.OutputPixels * filters], outputGradient);
        BackwardFilterReference(input, kernel, output, outputGradient, conv, filters, relu, kernelGradient, biasGradient);
    }

    // Nine taps read where they stand for every output pixel: the windows of a valid convolution.
    private static bool ReadsNineTapsInPlace(in ConvGeometry g) =>
        g.PatchSize == Small && g.PadTop == 0 && g.PadLeft == 0
        && ((g.OutHeight - 1) * g.StrideHeight) + g.KernelHeight <= g.InHeight && ((g.OutWidth - 1) * g.StrideWidth) + g.KernelWidth <= g.InWidth;

    private static void ValidateMaxPooled(in ConvGeometry conv, in ConvGeometry pool, int filters, int pooledLength, int argmaxLength)
    {
        if (!SupportsMaxPooled(conv, pool, filters))
        {
            throw new ArgumentException($"ConvDirect's pooled kernels take a nine-tap convolution without padding, a filter count that is a multiple of {Vector<float>.Count} up to {MaxFilters} (SIMD accelerated), then pooling windows that tile its {conv.OutHeight}x{conv.OutWidth}x{filters} output, but got a {conv.PatchSize}-tap patch with padding ({conv.PadTop}, {conv.PadLeft}), {filters} filters and {pool.KernelHeight}x{pool.KernelWidth} windows with strides {pool.StrideHeight}x{pool.StrideWidth} over {pool.InHeight}x{pool.InWidth}x{pool.Channels}.");
        }

        int length = pool.OutputPixels * filters;
        if (pooledLength < length || argmaxLength < length)
        {
            throw new ArgumentException($"ConvDirect: the pooled values ({pooledLength}) and argmax ({argmaxLength}) need {length} elements.");
        }
    }

    // The windows' output, one pass over the pooling windows per filter vector with the nine weights in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardWindows(ref float x, in PoolingWindows windows, ImageTaps taps, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, bool relu,
        Span<float> pooled, Span<int> argmax)
    {
        int o1 = taps.O1, o2 = taps.O2, o3 = taps.O3, o4 = taps.O4, o5 = taps.O5, o6 = taps.O6, o7 = taps.O7, o8 = taps.O8;
        int filters = windows.Filters, kh = windows.Height, kw = windows.Width, rowStep = windows.RowStep, columnStep = windows.ColumnStep;
        int outHeight = windows.OutHeight, outWidth = windows.OutWidth;
        ref float y = ref MemoryMarshal.GetReference(pooled);
        ref int arg = ref MemoryMarshal.GetReference(argmax);
        for (int j = 0; j < filters; j += Vector<float>.Count)
        {
            Vector<float> w0 = Weight(kernel, 0, Small, filters, j), w1 = Weight(kernel, 1, Small, filters, j), w2 = Weight(kernel, 2, Small, filters, j);
            Vector<float> w3 = Weight(kernel, 3, Small, filters, j), w4 = Weight(kernel, 4, Small, filters, j), w5 = Weight(kernel, 5, Small, filters, j);
            Vector<float> w6 = Weight(kernel, 6, Small, filters, j), w7 = Weight(kernel, 7, Small, filters, j), w8 = Weight(kernel, 8, Small, filters, j);
            Vector<float> b = bias.IsEmpty ? Vector<float>.Zero : Vector.LoadUnsafe(ref MemoryMarshal.GetReference(bias), (nuint)j);
            for (int oy = 0, cell = 0; oy < outHeight; oy++)
            {
                for (int ox = 0; ox < outWidth; ox++, cell++)
                {
                    int corner = (oy * kh * rowStep) + (ox * kw * columnStep);
                    Vector<float> best = Vector<float>.Zero;
                    Vector<int> bestK = Vector<int>.Zero;
                    for (int ky = 0, k = 0; ky < kh; ky++)
                    {
                        for (int kx = 0; kx < kw; kx++, k++)
                        {
                            ref float p = ref Unsafe.Add(ref x, corner + (ky * rowStep) + (kx * columnStep));
                            Vector<float> acc = b + (new Vector<float>(p) * w0) + (new Vector<float>(Unsafe.Add(ref p, o1)) * w1) + (new Vector<float>(Unsafe.Add(ref p, o2)) * w2);
                            acc += (new Vector<float>(Unsafe.Add(ref p, o3)) * w3) + (new Vector<float>(Unsafe.Add(ref p, o4)) * w4) + (new Vector<float>(Unsafe.Add(ref p, o5)) * w5);
                            acc += (new Vector<float>(Unsafe.Add(ref p, o6)) * w6) + (new Vector<float>(Unsafe.Add(ref p, o7)) * w7) + (new Vector<float>(Unsafe.Add(ref p, o8)) * w8);
                            if (relu)
                            {
                                acc = Vector.Max(acc, Vector<float>.Zero);
                            }

                            Vector<int> take = k == 0 ? Vector<int>.AllBitsSet : Vector.GreaterThan(acc, best);
                            best = Vector.ConditionalSelect(take, acc, best);
                            bestK = Vector.ConditionalSelect(take, new Vector<int>(k), bestK);
                        }
                    }

                    nuint o = (nuint)((cell * filters) + j);
                    best.StoreUnsafe(ref y, o);
                    if (relu)
                    {
                        bestK = Vector.ConditionalSelect(Vector.GreaterThan(best, Vector<float>.Zero), bestK, new Vector<int>(-1));
                    }

                    bestK.StoreUnsafe(ref arg, o);
                }
            }
        }
    }

    // Adds the contributions of the pixels whose taps start at starts[q] to kernelGradient and biasGradient, one pass per
    // filter vector; pixel q's dz is the pooled gradient of the window at cells[q] where its argmax is indices[q], else 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardWindows(ref float x, ImageTaps taps, ReadOnlySpan<float> pooledGradient, ReadOnlySpan<int> argmax, ReadOnlySpan<int> starts,
        ReadOnlySpan<int> cells, ReadOnlySpan<int> indices, int filters, Span<float> kernelGradient, Span<float> biasGradient)
    {
        int o1 = taps.O1, o2 = taps.O2, o3 = taps.O3, o4 = taps.O4, o5 = taps.O5, o6 = taps.O6, o7 = taps.O7, o8 = taps.O8;
        ref float g = ref MemoryMarshal.GetReference(pooledGradient);
        ref int arg = ref MemoryMarshal.GetReference(argmax);
        ref int startRef = ref MemoryMarshal.GetReference(starts);
        ref int cellRef = ref MemoryMarshal.GetReference(cells);
        ref int indexRef = ref MemoryMarshal.GetReference(indices);
        for (int j = 0; j < filters; j += Vector<float>.Count)
        {
            Vector<float> d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default, d7 = default, d8 = default, db = default;
            for (int q = 0; q < starts.Length; q++)
            {
                nuint o = (nuint)(Unsafe.Add(ref cellRef, q) + j);
                Vector<float> dz = Vector.ConditionalSelect(Vector.Equals(Vector.LoadUnsafe(ref arg, o), new Vector<int>(Unsafe.Add(ref indexRef, q))), Vector.LoadUnsafe(ref g, o), Vector<float>.Zero);
                ref float p = ref Unsafe.Add(ref x, Unsafe.Add(ref startRef, q));
                db += dz;
                d0 += new Vector<float>(p) * dz;
                d1 += new Vector<float>(Unsafe.Add(ref p, o1)) * dz;
                d2 += new Vector<float>(Unsafe.Add(ref p, o2)) * dz;
                d3 += new Vector<float>(Unsafe.Add(ref p, o3)) * dz;
                d4 += new Vector<float>(Unsafe.Add(ref p, o4)) * dz;
                d5 += new Vector<float>(Unsafe.Add(ref p, o5)) * dz;
                d6 += new Vector<float>(Unsafe.Add(ref p, o6)) * dz;
                d7 += new Vector<float>(Unsafe.Add(ref p, o7)) * dz;
                d8 += new Vector<float>(Unsafe.Add(ref p, o8)) * dz;
            }

            AddWeight(kernelGradient, 0, Small, filters, j, d0);
            AddWeight(kernelGradient, 1, Small, filters, j, d1);
            AddWeight(kernelGradient, 2, Small, filters, j, d2);
            AddWeight(kernelGradient, 3, Small, filters, j, d3);
            AddWeight(kernelGradient, 4, Small, filters, j, d4);
            AddWeight(kernelGradient, 5, Small, filters, j, d5);
            AddWeight(kernelGradient, 6, Small, filters, j, d6);
            AddWeight(kernelGradient, 7, Small, filters, j, d7);
            AddWeight(kernelGradient, 8, Small, filters, j, d8);
            if (!biasGradient.IsEmpty)
            {
                AddWeight(biasGradient, 0, 1, filters, j, db);
            }
        }
    }

    // The convolution's output pixels as the pooling sees them: pixel (r, c) starts at input offset r * RowStep + c * ColumnStep
    // and lies in window (r / Height, c / Width) at index (r % Height) * Width + c % Width; rows and columns past the last
    // whole window belong to none.
    private readonly struct PoolingWindows(in ConvGeometry conv, in ConvGeometry pool, int filters)
    {
        public readonly int Filters = filters;
        public readonly int Height = pool.KernelHeight;
        public readonly int Width = pool.KernelWidth;
        public readonly int OutHeight = pool.OutHeight;
        public readonly int OutWidth = pool.OutWidth;
        public readonly int RowStep = conv.StrideHeight * conv.InWidth * conv.Channels;
        public readonly int ColumnStep = conv.StrideWidth * conv.Channels;
        public readonly int PixelsPerRow = conv.OutWidth;

        // For pixels [start, start + starts.Length): where their taps start, the offset of their window's filter row in the
        // pooled tensors, and their index in it; a pixel in no window gets index -2, which no argmax holds. Rows and columns
        // are stepped, not divided out.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Locate(int start, Span<int> starts, Span<int> cells, Span<int> indices)
        {
            int row = start / PixelsPerRow, column = start - (row * PixelsPerRow);
            int windowRow = row / Height, rowInWindow = row - (windowRow * Height);
            int windowColumn = column / Width, columnInWindow = column - (windowColumn * Width);
            for (int q = 0; q < starts.Length; q++)
            {
                starts[q] = (row * RowStep) + (column * ColumnStep);
                bool covered = windowRow < OutHeight && windowColumn < OutWidth;
                cells[q] = covered ? ((windowRow * OutWidth) + windowColumn) * Filters : 0;
                indices[q] = covered ? (rowInWindow * Width) + columnInWindow : -2;
                if (++column == PixelsPerRow)
                {
                    column = windowColumn = columnInWindow = 0;
                    row++;
                    if (++rowInWindow == Height)
                    {
                        rowInWindow = 0;
                        windowRow++;
                    }
                }
                else if (++columnInWindow == Width)
                {
                    columnInWindow = 0;
                    windowColumn++;
                }
            }
        }
    }
}
