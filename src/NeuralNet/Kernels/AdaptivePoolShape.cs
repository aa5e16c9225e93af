namespace NeuralNet.Kernels;

/// <summary>
/// The shape of one adaptive pooling: a channels-last sample (depth, height, width, channels) pooled to
/// (outDepth, outHeight, outWidth, channels). A 1-D or 2-D pooling has depth (and height) 1 in and out.
/// </summary>
internal readonly record struct AdaptivePoolShape(int Depth, int Height, int Width, int Channels, int OutDepth, int OutHeight, int OutWidth)
{
    /// <summary>Floats per input sample.</summary>
    public int InputSize => Depth * Height * Width * Channels;

    /// <summary>Floats per output sample.</summary>
    public int OutputSize => OutDepth * OutHeight * OutWidth * Channels;

    /// <summary>
    /// Output position <paramref name="index"/>'s window along an axis of <paramref name="input"/> positions pooled to
    /// <paramref name="outputs"/>: [⌊index·input / outputs⌋, ⌈(index + 1)·input / outputs⌉), PyTorch's and Keras' rule.
    /// Neighbouring windows overlap when the input is not a multiple of the output; every input position is in one at least.
    /// </summary>
    public static (int First, int End) Window(int index, int input, int outputs) =>
        ((int)((long)index * input / outputs), (int)((((long)(index + 1) * input) + outputs - 1) / outputs));

    /// <summary>Output pixels per sample.</summary>
    public int OutputPixels => OutDepth * OutHeight * OutWidth;

    /// <summary>The window box of output pixel <paramref name="pixel"/> (row-major over (outDepth, outHeight, outWidth)): [first, end) per axis.</summary>
    public (int D0, int D1, int H0, int H1, int W0, int W1) Box(int pixel)
    {
        int ow = pixel % OutWidth, rest = pixel / OutWidth, oh = rest % OutHeight, od = rest / OutHeight;
        (int d0, int d1) = Window(od, Depth, OutDepth);
        (int h0, int h1) = Window(oh, Height, OutHeight);
        (int w0, int w1) = Window(ow, Width, OutWidth);
        return (d0, d1, h0, h1, w0, w1);
    }

    /// <summary>The offset of pixel (d, h, w)'s first channel in a sample.</summary>
    public int Offset(int d, int h, int w) => ((((d * Height) + h) * Width) + w) * Channels;
}
