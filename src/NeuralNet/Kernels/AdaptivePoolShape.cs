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

    /// <summary>The offset of pixel (d, h, w)'s first channel in a sample.</summary>
    public int Offset(int d, int h, int w) => ((((d * Height) + h) * Width) + w) * Channels;
}
