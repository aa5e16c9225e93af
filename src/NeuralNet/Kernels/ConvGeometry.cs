namespace NeuralNet.Kernels;

/// <summary>
/// The sizes of a 2-D sliding-window operation over NHWC data (convolution or pooling), with its padding resolved.
/// </summary>
/// <remarks>
/// Input sample (InHeight, InWidth, Channels); window (KernelHeight, KernelWidth); output sample
/// (OutHeight, OutWidth, ...). Output pixel (oy, ox) reads input rows oy*StrideHeight - PadTop + ky and columns
/// ox*StrideWidth - PadLeft + kx; positions outside the input are padding (zero for convolution, ignored by pooling).
/// </remarks>
internal readonly struct ConvGeometry
{
    public ConvGeometry(int inHeight, int inWidth, int channels, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int padTop, int padLeft, int outHeight, int outWidth)
    {
        InHeight = inHeight;
        InWidth = inWidth;
        Channels = channels;
        KernelHeight = kernelHeight;
        KernelWidth = kernelWidth;
        StrideHeight = strideHeight;
        StrideWidth = strideWidth;
        PadTop = padTop;
        PadLeft = padLeft;
        OutHeight = outHeight;
        OutWidth = outWidth;
    }

    public int InHeight { get; }

    public int InWidth { get; }

    public int Channels { get; }

    public int KernelHeight { get; }

    public int KernelWidth { get; }

    public int StrideHeight { get; }

    public int StrideWidth { get; }

    public int PadTop { get; }

    public int PadLeft { get; }

    public int OutHeight { get; }

    public int OutWidth { get; }

    /// <summary>Elements of one input sample: InHeight * InWidth * Channels.</summary>
    public int InputSize => InHeight * InWidth * Channels;

    /// <summary>Output pixels of one sample: OutHeight * OutWidth.</summary>
    public int OutputPixels => OutHeight * OutWidth;

    /// <summary>The length of one im2col row: KernelHeight * KernelWidth * Channels.</summary>
    public int PatchSize => KernelHeight * KernelWidth * Channels;

    /// <summary>
    /// Resolves Keras padding: "valid" keeps whole windows only; "same" gives ceil(in / stride) outputs and pads
    /// max((out - 1) * stride + kernel - in, 0) in total, the odd one at the bottom/right.
    /// Returns false when a valid window does not fit (kernel larger than the input).
    /// </summary>
    public static bool TryCreate(int inHeight, int inWidth, int channels, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, bool same, out ConvGeometry geometry)
    {
        if (!TryAxis(inHeight, kernelHeight, strideHeight, same, out int outHeight, out int padTop)
            || !TryAxis(inWidth, kernelWidth, strideWidth, same, out int outWidth, out int padLeft))
        {
            geometry = default;
            return false;
        }

        geometry = new ConvGeometry(inHeight, inWidth, channels, kernelHeight, kernelWidth, strideHeight, strideWidth, padTop, padLeft, outHeight, outWidth);
        return true;
    }

    private static bool TryAxis(int input, int kernel, int stride, bool same, out int output, out int padBefore)
    {
        if (same)
        {
            output = (input + stride - 1) / stride;
            int total = Math.Max(((output - 1) * stride) + kernel - input, 0);
            padBefore = total / 2;
            return true;
        }

        padBefore = 0;
        output = input >= kernel ? ((input - kernel) / stride) + 1 : 0;
        return output > 0;
    }
}
