using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NeuralNet.Kernels;

/// <summary>
/// Max, average and global-average pooling over NHWC data, with backward passes and reference twins.
/// </summary>
/// <remarks>
/// <code>
/// input:  (images, H, W, C)      output: (images, OH, OW, C)      argmax: (images, OH, OW, C), window-local index ky*KW + kx
/// max:     y[n,oy,ox,c] = max over the window's valid positions (padding is ignored); the first maximum wins ties
/// average: y[n,oy,ox,c] = mean over the window's valid positions (Keras/TensorFlow: padding is not counted)
/// global:  y[n,c] = mean over all H*W pixels
/// </code>
/// Channels are contiguous in NHWC, so every kernel works on vectors of channels.
/// </remarks>
internal static partial class Pooling
{
    /// <summary>Max pooling forward; remembers the window-local index of each maximum for <see cref="MaxBackward"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxForward(ReadOnlySpan<float> input, in ConvGeometry g, int images, Span<float> output, Span<int> argmax)
    {
        int outSize = g.OutputPixels * g.Channels;
        Validate(input.Length, output.Length, g, images);
        if (argmax.Length < images * outSize)
        {
            throw new ArgumentException($"MaxForward needs {images * outSize} argmax entries but got {argmax.Length}.", nameof(argmax));
        }

        int c = g.Channels, width = Vector<float>.Count, vectorEnd = c - (c % width);
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float y = ref MemoryMarshal.GetReference(output);
        ref int arg = ref MemoryMarshal.GetReference(argmax);
        if (IsTiling(g) && vectorEnd == c)
        {
            MaxForwardTiles(ref x, g, images, ref y, ref arg);
            return;
        }

        for (int n = 0; n < images; n++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy0 = (oy * g.StrideHeight) - g.PadTop;
                int kyFirst = Math.Max(0, -iy0), kyEnd = Math.Min(g.KernelHeight, g.InHeight - iy0);
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                    int kxFirst = Math.Max(0, -ix0), kxEnd = Math.Min(g.KernelWidth, g.InWidth - ix0);
                    int outBase = (n * outSize) + (((oy * g.OutWidth) + ox) * c);
                    int firstBase = (n * g.InputSize) + ((((iy0 + kyFirst) * g.InWidth) + ix0 + kxFirst) * c);
                    int firstK = (kyFirst * g.KernelWidth) + kxFirst;
                    int ch = 0;
                    for (; ch < vectorEnd; ch += width)
                    {
                        Vector<float> best = Vector.LoadUnsafe(ref Unsafe.Add(ref x, firstBase + ch));
                        Vector<int> bestK = new(firstK);
                        for (int ky = kyFirst; ky < kyEnd; ky++)
                        {
                            int rowBase = (n * g.InputSize) + ((((iy0 + ky) * g.InWidth) + ix0) * c) + ch;
                            for (int kx = kxFirst; kx < kxEnd; kx++)
                            {
                                Vector<float> v = Vector.LoadUnsafe(ref Unsafe.Add(ref x, rowBase + (kx * c)));
                                Vector<int> greater = Vector.GreaterThan(v, best);
                                best = Vector.ConditionalSelect(greater, v, best);
                                bestK = Vector.ConditionalSelect(greater, new Vector<int>((ky * g.KernelWidth) + kx), bestK);
                            }
                        }

                        best.StoreUnsafe(ref Unsafe.Add(ref y, outBase + ch));
                        bestK.StoreUnsafe(ref Unsafe.Add(ref arg, outBase + ch));
                    }

                    for (; ch < c; ch++)
                    {
                        float best = Unsafe.Add(ref x, firstBase + ch);
                        int bestK = firstK;
                        for (int ky = kyFirst; ky < kyEnd; ky++)
                        {
                            int rowBase = (n * g.InputSize) + ((((iy0 + ky) * g.InWidth) + ix0) * c) + ch;
                            for (int kx = kxFirst; kx < kxEnd; kx++)
                            {
                                float v = Unsafe.Add(ref x, rowBase + (kx * c));
                                if (v > best)
                                {
                                    best = v;
                                    bestK = (ky * g.KernelWidth) + kx;
                                }
                            }
                        }

                        Unsafe.Add(ref y, outBase + ch) = best;
                        Unsafe.Add(ref arg, outBase + ch) = bestK;
                    }
                }
            }
        }
    }

    /// <summary>Max pooling backward: each output gradient goes to the input position that was the maximum; overwrites inputGradient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxBackward(ReadOnlySpan<float> outputGradient, ReadOnlySpan<int> argmax, in ConvGeometry g, int images, Span<float> inputGradient)
    {
        int outSize = g.OutputPixels * g.Channels;
        Validate(inputGradient.Length, outputGradient.Length, g, images);
        if (argmax.Length < images * outSize)
        {
            throw new ArgumentException($"MaxBackward needs {images * outSize} argmax entries but got {argmax.Length}.", nameof(argmax));
        }

        int c = g.Channels;
        bool tiles = IsTiling(g);
        bool exact = tiles && g.OutHeight * g.KernelHeight == g.InHeight && g.OutWidth * g.KernelWidth == g.InWidth;
        if (!exact)
        {
            inputGradient[..(images * g.InputSize)].Clear();
        }

        ref readonly float dy = ref MemoryMarshal.GetReference(outputGradient);
        ref readonly int arg = ref MemoryMarshal.GetReference(argmax);
        ref float dx = ref MemoryMarshal.GetReference(inputGradient);
        int width = Vector<float>.Count, vectorEnd = tiles ? c - (c % width) : 0;
        if (tiles && vectorEnd == c)
        {
            MaxBackwardTiles(in dy, in arg, g, images, ref dx);
            return;
        }

        for (int n = 0; n < images; n++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy0 = (oy * g.StrideHeight) - g.PadTop;
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                    int outBase = (n * outSize) + (((oy * g.OutWidth) + ox) * c);
                    int ch = 0;

                    // Non-overlapping windows: write every window position once, the gradient where it was the maximum, else 0.
                    for (; ch < vectorEnd; ch += width)
                    {
                        Vector<float> grad = Vector.LoadUnsafe(in dy, (nuint)(outBase + ch));
                        Vector<int> k = Vector.LoadUnsafe(in arg, (nuint)(outBase + ch));
                        for (int ky = 0; ky < g.KernelHeight; ky++)
                        {
                            int rowBase = (n * g.InputSize) + ((((iy0 + ky) * g.InWidth) + ix0) * c) + ch;
                            for (int kx = 0; kx < g.KernelWidth; kx++)
                            {
                                Vector<int> hit = Vector.Equals(k, new Vector<int>((ky * g.KernelWidth) + kx));
                                Vector.ConditionalSelect(hit.As<int, float>(), grad, Vector<float>.Zero).StoreUnsafe(ref Unsafe.Add(ref dx, rowBase + (kx * c)));
                            }
                        }
                    }

                    if (tiles)
                    {
                        for (int chTail = ch; chTail < c; chTail++)
                        {
                            for (int ky = 0; ky < g.KernelHeight; ky++)
                            {
                                for (int kx = 0; kx < g.KernelWidth; kx++)
                                {
                                    Unsafe.Add(ref dx, (n * g.InputSize) + ((((iy0 + ky) * g.InWidth) + ix0 + kx) * c) + chTail) = 0f;
                                }
                            }
                        }
                    }

                    for (; ch < c; ch++)
                    {
                        int k = Unsafe.Add(ref Unsafe.AsRef(in arg), outBase + ch);
                        int iy = iy0 + (k / g.KernelWidth), ix = ix0 + (k % g.KernelWidth);
                        Unsafe.Add(ref dx, (n * g.InputSize) + (((iy * g.InWidth) + ix) * c) + ch) += Unsafe.Add(ref Unsafe.AsRef(in dy), outBase + ch);
                    }
                }
            }
        }
    }

    /// <summary>Average pooling forward: the mean of each window's valid (unpadded) positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AverageForward(ReadOnlySpan<float> input, in ConvGeometry g, int images, Span<float> output)
    {
        Validate(input.Length, output.Length, g, images);
        int c = g.Channels, outSize = g.OutputPixels * c;
        for (int n = 0; n < images; n++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy0 = (oy * g.StrideHeight) - g.PadTop;
                int kyFirst = Math.Max(0, -iy0), kyEnd = Math.Min(g.KernelHeight, g.InHeight - iy0);
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                    int kxFirst = Math.Max(0, -ix0), kxEnd = Math.Min(g.KernelWidth, g.InWidth - ix0);
                    Span<float> y = output.Slice((n * outSize) + (((oy * g.OutWidth) + ox) * c), c);
                    y.Clear();
                    for (int ky = kyFirst; ky < kyEnd; ky++)
                    {
                        for (int kx = kxFirst; kx < kxEnd; kx++)
                        {
                            AddTo(input.Slice((n * g.InputSize) + ((((iy0 + ky) * g.InWidth) + ix0 + kx) * c), c), y);
                        }
                    }

                    Scale(y, 1f / ((kyEnd - kyFirst) * (kxEnd - kxFirst)));
                }
            }
        }
    }

    /// <summary>Average pooling backward: each window's gradient spread evenly over its valid positions; overwrites inputGradient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AverageBackward(ReadOnlySpan<float> outputGradient, in ConvGeometry g, int images, Span<float> inputGradient)
    {
        Validate(inputGradient.Length, outputGradient.Length, g, images);
        int c = g.Channels, outSize = g.OutputPixels * c;
        inputGradient[..(images * g.InputSize)].Clear();
        for (int n = 0; n < images; n++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                int iy0 = (oy * g.StrideHeight) - g.PadTop;
                int kyFirst = Math.Max(0, -iy0), kyEnd = Math.Min(g.KernelHeight, g.InHeight - iy0);
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    int ix0 = (ox * g.StrideWidth) - g.PadLeft;
                    int kxFirst = Math.Max(0, -ix0), kxEnd = Math.Min(g.KernelWidth, g.InWidth - ix0);
                    ReadOnlySpan<float> dy = outputGradient.Slice((n * outSize) + (((oy * g.OutWidth) + ox) * c), c);
                    float share = 1f / ((kyEnd - kyFirst) * (kxEnd - kxFirst));
                    for (int ky = kyFirst; ky < kyEnd; ky++)
                    {
                        for (int kx = kxFirst; kx < kxEnd; kx++)
                        {
                            AddScaledTo(dy, share, inputGradient.Slice((n * g.InputSize) + ((((iy0 + ky) * g.InWidth) + ix0 + kx) * c), c));
                        }
                    }
                }
            }
        }
    }

    /// <summary>Global average pooling forward: output (images, C) = the mean over the pixels of input (images, pixels, C).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalAverageForward(ReadOnlySpan<float> input, int pixels, int channels, int images, Span<float> output)
    {
        ValidateGlobal(input.Length, output.Length, pixels, channels, images);
        float inverse = 1f / pixels;
        for (int n = 0; n < images; n++)
        {
            Span<float> y = output.Slice(n * channels, channels);
            y.Clear();
            for (int p = 0; p < pixels; p++)
            {
                AddTo(input.Slice(((n * pixels) + p) * channels, channels), y);
            }

            Scale(y, inverse);
        }
    }

    /// <summary>Global average pooling backward: inputGradient (images, pixels, C) = outputGradient (images, C) / pixels; overwrites.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalAverageBackward(ReadOnlySpan<float> outputGradient, int pixels, int channels, int images, Span<float> inputGradient)
    {
        ValidateGlobal(inputGradient.Length, outputGradient.Length, pixels, channels, images);
        float inverse = 1f / pixels;
        for (int n = 0; n < images; n++)
        {
            ReadOnlySpan<float> dy = outputGradient.Slice(n * channels, channels);
            Span<float> first = inputGradient.Slice(n * pixels * channels, channels);
            for (int ch = 0; ch < channels; ch++)
            {
                first[ch] = dy[ch] * inverse;
            }

            for (int p = 1; p < pixels; p++)
            {
                first.CopyTo(inputGradient.Slice(((n * pixels) + p) * channels, channels));
            }
        }
    }

    /// <summary>Reference twin of max pooling: outputs and the gradient routed to the first maximum of each window, element by element.</summary>
    public static void MaxReference(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, in ConvGeometry g, int images, Span<float> output, Span<float> inputGradient)
    {
        int c = g.Channels;
        inputGradient[..(images * g.InputSize)].Clear();
        for (int n = 0; n < images; n++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        float best = float.NegativeInfinity;
                        int bestIndex = -1;
                        for (int ky = 0; ky < g.KernelHeight; ky++)
                        {
                            for (int kx = 0; kx < g.KernelWidth; kx++)
                            {
                                int iy = (oy * g.StrideHeight) - g.PadTop + ky, ix = (ox * g.StrideWidth) - g.PadLeft + kx;
                                if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth)
                                {
                                    continue;
                                }

                                int index = (n * g.InputSize) + (((iy * g.InWidth) + ix) * c) + ch;
                                if (bestIndex < 0 || input[index] > best)
                                {
                                    best = input[index];
                                    bestIndex = index;
                                }
                            }
                        }

                        int o = (((((n * g.OutHeight) + oy) * g.OutWidth) + ox) * c) + ch;
                        output[o] = best;
                        inputGradient[bestIndex] += outputGradient[o];
                    }
                }
            }
        }
    }

    /// <summary>Reference twin of average pooling, forward and backward, element by element in double precision.</summary>
    public static void AverageReference(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, in ConvGeometry g, int images, Span<float> output, Span<float> inputGradient)
    {
        int c = g.Channels;
        var dx = new double[images * g.InputSize];
        for (int n = 0; n < images; n++)
        {
            for (int oy = 0; oy < g.OutHeight; oy++)
            {
                for (int ox = 0; ox < g.OutWidth; ox++)
                {
                    for (int ch = 0; ch < c; ch++)
                    {
                        double sum = 0;
                        int count = 0;
                        for (int pass = 0; pass < 2; pass++)
                        {
                            for (int ky = 0; ky < g.KernelHeight; ky++)
                            {
                                for (int kx = 0; kx < g.KernelWidth; kx++)
                                {
                                    int iy = (oy * g.StrideHeight) - g.PadTop + ky, ix = (ox * g.StrideWidth) - g.PadLeft + kx;
                                    if (iy < 0 || iy >= g.InHeight || ix < 0 || ix >= g.InWidth)
                                    {
                                        continue;
                                    }

                                    int index = (n * g.InputSize) + (((iy * g.InWidth) + ix) * c) + ch;
                                    int o = (((((n * g.OutHeight) + oy) * g.OutWidth) + ox) * c) + ch;
                                    if (pass == 0)
                                    {
                                        sum += input[index];
                                        count++;
                                    }
                                    else
                                    {
                                        dx[index] += (double)outputGradient[o] / count;
                                    }
                                }
                            }
                        }

                        output[(((((n * g.OutHeight) + oy) * g.OutWidth) + ox) * c) + ch] = (float)(sum / count);
                    }
                }
            }
        }

        for (int i = 0; i < dx.Length; i++)
        {
            inputGradient[i] = (float)dx[i];
        }
    }

    private static void AddTo(ReadOnlySpan<float> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] += source[i];
        }
    }

    private static void AddScaledTo(ReadOnlySpan<float> source, float scale, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] += source[i] * scale;
        }
    }

    private static void Scale(Span<float> values, float scale)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] *= scale;
        }
    }

    private static void Validate(int inputLength, int outputLength, in ConvGeometry g, int images)
    {
        long needInput = (long)images * g.InputSize, needOutput = (long)images * g.OutputPixels * g.Channels;
        if (images < 0 || inputLength < needInput || outputLength < needOutput)
        {
            throw new ArgumentException($"Pooling of {images} images ({g.InHeight}, {g.InWidth}, {g.Channels}) needs {needInput} input and {needOutput} output elements but got {inputLength} and {outputLength}.");
        }
    }

    private static void ValidateGlobal(int inputLength, int outputLength, int pixels, int channels, int images)
    {
        if (pixels <= 0 || channels <= 0 || images < 0 || inputLength < (long)images * pixels * channels || outputLength < (long)images * channels)
        {
            throw new ArgumentException($"Global pooling of {images} images of {pixels} pixels x {channels} channels needs {(long)images * pixels * channels} input and {(long)images * channels} output elements but got {inputLength} and {outputLength}.");
        }
    }
}
