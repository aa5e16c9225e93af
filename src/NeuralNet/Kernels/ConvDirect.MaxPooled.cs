using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NeuralNet.Kernels;

// A nine-tap convolution followed by max pooling over tiling windows (E4.3's Conv2D(32, 3, relu) then MaxPooling2D(2)), one
// image at a time, with the convolution's output kept in cache instead of a whole batch of it (11 MB per 128 images) written
// to memory, read back by the pooling and its gradient written and read again:
// <code>
// forward    a row of pooling windows at a time: its pixels are convolved into a scratch (ForwardPixels) that the pooling
//            (Pooling.MaxForward) reads back at once; with ReLU, a window whose maximum is not positive gets argmax -1
// backward   a block of output pixels at a time: the pooled gradient goes to each window's maximum in a scratch (0 elsewhere)
//            that the kernel-gradient loop (BackwardFilterPixels) reads back at once
// </code>
// The same kernels run on the same values in the same order as the two layers one after the other, so the results are the
// same bits: ReLU then max equals max then ReLU, and the gradient reaches only a window's maximum, where ReLU passes it when
// that maximum is positive.
internal static partial class ConvDirect
{
    /// <summary>
    /// Whether <see cref="ForwardMaxPooled"/> takes this convolution (nine taps read in place: no padding, every window
    /// inside the image) and pooling (tiling windows over the convolution's output, at most one block of pixels each).
    /// </summary>
    public static bool SupportsMaxPooled(in ConvGeometry conv, in ConvGeometry pool, int filters) =>
        Supports(conv, filters) && ReadsNineTapsInPlace(conv) && pool.Channels == filters && pool.InHeight == conv.OutHeight && pool.InWidth == conv.OutWidth
        && Pooling.IsTiling(pool) && pool.KernelHeight * pool.KernelWidth <= Block;

    /// <summary>
    /// Forward pass of one image through the convolution, its activation (none or ReLU) and max pooling: writes the pooled
    /// output (pool OH, pool OW, F) and, per element, the window-local index of its maximum, or -1 where ReLU cuts the
    /// gradient (see <see cref="BackwardFilterMaxPooled"/>).
    /// </summary>
    [SkipLocalsInit] // the scratch is written before it is read
    public static void ForwardMaxPooled(ReadOnlySpan<float> input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, in ConvGeometry conv, in ConvGeometry pool, int filters,
        bool relu, Span<float> pooled, Span<int> argmax)
    {
        ValidateMaxPooled(conv, pool, filters, pooled.Length, argmax.Length);
        Validate(input.Length, kernel.Length, bias.Length, conv.OutputPixels * filters, conv, filters);
        int kh = pool.KernelHeight, kw = pool.KernelWidth, outWidth = pool.OutWidth, cellsPerChunk = Math.Min(outWidth, Block / (kh * kw));
        Span<float> scratch = stackalloc float[Block * filters];
        Span<int> starts = stackalloc int[Block];
        Span<int> pixels = stackalloc int[Block];
        for (int q = 0; q < Block; q++)
        {
            pixels[q] = q;
        }

        var inPlace = new ImageTaps(conv);
        int rowStep = conv.StrideHeight * conv.InWidth * conv.Channels, columnStep = conv.StrideWidth * conv.Channels;
        for (int oy = 0; oy < pool.OutHeight; oy++)
        {
            for (int ox0 = 0; ox0 < outWidth; ox0 += cellsPerChunk)
            {
                // The chunk's pixels as a small image of kh rows and cells * kw columns, row by row.
                int cells = Math.Min(cellsPerChunk, outWidth - ox0), columns = cells * kw, count = kh * columns;
                for (int ky = 0, q = 0; ky < kh; ky++)
                {
                    int rowStart = ((oy * kh) + ky) * rowStep;
                    for (int c = 0; c < columns; c++, q++)
                    {
                        starts[q] = rowStart + (((ox0 * kw) + c) * columnStep);
                    }
                }

                Span<float> chunk = scratch[..(count * filters)];
                if (UsesVector512(filters))
                {
                    ForwardPixels512(ref MemoryMarshal.GetReference(input), starts[..count], pixels[..count], inPlace, kernel, bias, Small, filters, relu, chunk);
                }
                else
                {
                    ForwardPixels(ref MemoryMarshal.GetReference(input), starts[..count], pixels[..count], inPlace, kernel, bias, Small, filters, relu, chunk);
                }

                var windows = new ConvGeometry(kh, columns, filters, kh, kw, kh, kw, 0, 0, 1, cells);
                int offset = ((oy * outWidth) + ox0) * filters, length = cells * filters;
                Span<float> output = pooled.Slice(offset, length);
                Span<int> best = argmax.Slice(offset, length);
                Pooling.MaxForward(chunk, windows, 1, output, best);
                if (relu)
                {
                    CutNonPositive(output, best);
                }
            }
        }
    }

    /// <summary>
    /// Backward pass of one image for the kernel and bias from the pooled gradient (pool OH, pool OW, F) and the argmax
    /// of <see cref="ForwardMaxPooled"/>: overwrites kernelGradient (patch, F) and biasGradient (F, or empty) with this
    /// image's contributions, as <see cref="BackwardFilter"/> after the pooling's backward pass would.
    /// </summary>
    [SkipLocalsInit] // the scratch is written before it is read
    public static void BackwardFilterMaxPooled(ReadOnlySpan<float> input, ReadOnlySpan<float> pooledGradient, ReadOnlySpan<int> argmax, in ConvGeometry conv, in ConvGeometry pool,
        int filters, Span<float> kernelGradient, Span<float> biasGradient)
    {
        ValidateMaxPooled(conv, pool, filters, pooledGradient.Length, argmax.Length);
        Validate(input.Length, kernelGradient.Length, biasGradient.Length, conv.OutputPixels * filters, conv, filters);
        Span<float> scratch = stackalloc float[Block * filters];
        Span<int> starts = stackalloc int[Block];
        Span<int> pixels = stackalloc int[Block];
        for (int q = 0; q < Block; q++)
        {
            pixels[q] = q;
        }

        var inPlace = new ImageTaps(conv);
        kernelGradient[..(Small * filters)].Clear();
        if (!biasGradient.IsEmpty)
        {
            biasGradient[..filters].Clear();
        }

        // Blocks of pixels in the order BackwardFilterSmall takes them, so that the partial sums are added up alike.
        var spread = new PooledGradientSpread(conv, pool, filters);
        for (int start = 0; start < conv.OutputPixels; start += Block)
        {
            int count = Math.Min(Block, conv.OutputPixels - start);
            Span<float> block = scratch[..(count * filters)];
            spread.Fill(pooledGradient, argmax, start, block, starts);
            var gradients = new PixelGradients(default, block, default);
            if (UsesVector512(filters))
            {
                BackwardFilterPixels512(ref MemoryMarshal.GetReference(input), starts[..count], pixels[..count], inPlace, gradients, Small, filters, relu: false, kernelGradient, biasGradient);
            }
            else
            {
                BackwardFilterPixels(ref MemoryMarshal.GetReference(input), starts[..count], pixels[..count], inPlace, gradients, Small, filters, relu: false, kernelGradient, biasGradient);
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

    // ReLU passes no gradient at a window whose maximum it made 0: no pixel of the window is then the one to receive it.
    private static void CutNonPositive(ReadOnlySpan<float> pooled, Span<int> argmax)
    {
        for (int i = 0; i < pooled.Length; i++)
        {
            if (!(pooled[i] > 0f))
            {
                argmax[i] = -1;
            }
        }
    }

    private static void ValidateMaxPooled(in ConvGeometry conv, in ConvGeometry pool, int filters, int pooledLength, int argmaxLength)
    {
        if (!SupportsMaxPooled(conv, pool, filters))
        {
            throw new ArgumentException($"ConvDirect's pooled kernels take a nine-tap convolution without padding, a filter count that is a multiple of {Vector<float>.Count} up to {MaxFilters} (SIMD accelerated), then pooling windows of at most {Block} taps that tile its {conv.OutHeight}x{conv.OutWidth}x{filters} output, but got a {conv.PatchSize}-tap patch with padding ({conv.PadTop}, {conv.PadLeft}), {filters} filters and {pool.KernelHeight}x{pool.KernelWidth} windows with strides {pool.StrideHeight}x{pool.StrideWidth} over {pool.InHeight}x{pool.InWidth}x{pool.Channels}.");
        }

        int length = pool.OutputPixels * filters;
        if (pooledLength < length || argmaxLength < length)
        {
            throw new ArgumentException($"ConvDirect: the pooled values ({pooledLength}) and argmax ({argmaxLength}) need {length} elements.");
        }
    }

    // Where the pooled gradient goes in a block of the convolution's output pixels: pixel (r, c) lies in window
    // (r / kh, c / kw) at index (r % kh) * kw + c % kw, and takes the window's gradient where that index is the argmax.
    // Rows and columns are stepped, not divided out, as in BlockTaps.
    private readonly struct PooledGradientSpread(in ConvGeometry conv, in ConvGeometry pool, int filters)
    {
        private readonly int _outWidth = conv.OutWidth;
        private readonly int _rowStep = conv.StrideHeight * conv.InWidth * conv.Channels;
        private readonly int _columnStep = conv.StrideWidth * conv.Channels;
        private readonly int _kh = pool.KernelHeight;
        private readonly int _kw = pool.KernelWidth;
        private readonly int _coveredRows = pool.OutHeight * pool.KernelHeight;
        private readonly int _coveredColumns = pool.OutWidth * pool.KernelWidth;
        private readonly int _pooledRowLength = pool.OutWidth * filters;
        private readonly int _filters = filters;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Fill(ReadOnlySpan<float> pooledGradient, ReadOnlySpan<int> argmax, int start, Span<float> block, Span<int> starts)
        {
            int filters = _filters, width = Vector<float>.Count, count = block.Length / filters;
            int r = start / _outWidth, c = start - (r * _outWidth);
            int wy = r / _kh, ky = r - (wy * _kh), wx = c / _kw, kx = c - (wx * _kw);
            ref float dy = ref MemoryMarshal.GetReference(block);
            ref float g = ref MemoryMarshal.GetReference(pooledGradient);
            ref int arg = ref MemoryMarshal.GetReference(argmax);
            for (int q = 0; q < count; q++)
            {
                starts[q] = (r * _rowStep) + (c * _columnStep);
                int o = q * filters;
                if (r < _coveredRows && c < _coveredColumns)
                {
                    var k = new Vector<int>((ky * _kw) + kx);
                    int cell = (wy * _pooledRowLength) + (wx * filters);
                    for (int j = 0; j < filters; j += width)
                    {
                        Vector<int> isMax = Vector.Equals(Vector.LoadUnsafe(ref arg, (nuint)(cell + j)), k);
                        Vector.ConditionalSelect(isMax, Vector.LoadUnsafe(ref g, (nuint)(cell + j)), Vector<float>.Zero).StoreUnsafe(ref dy, (nuint)(o + j));
                    }
                }
                else
                {
                    block.Slice(o, filters).Clear();
                }

                if (++kx == _kw)
                {
                    kx = 0;
                    wx++;
                }

                if (++c == _outWidth)
                {
                    c = 0;
                    wx = 0;
                    kx = 0;
                    r++;
                    if (++ky == _kh)
                    {
                        ky = 0;
                        wy++;
                    }
                }
            }
        }
    }
}
