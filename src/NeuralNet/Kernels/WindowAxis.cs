namespace NeuralNet.Kernels;

/// <summary>
/// One axis of a sliding window with Keras' padding resolved: output position o's tap j reads input position
/// o * Stride - PadBefore + j * Dilation; positions outside [0, Input) read zero (convolution) or are skipped (pooling).
/// </summary>
internal readonly record struct WindowAxis(int Input, int Kernel, int Stride, int Dilation, int PadBefore, int Output)
{
    /// <summary>The span of the (dilated) window: (Kernel - 1) * Dilation + 1.</summary>
    public int Span => ((Kernel - 1) * Dilation) + 1;

    /// <summary>The input position of output position <paramref name="output"/>'s first tap (negative inside the padding).</summary>
    public int Start(int output) => (output * Stride) - PadBefore;

    /// <summary>
    /// Resolves Keras padding: "valid" keeps whole windows, ⌊(input − span) / stride⌋ + 1 of them; "same" gives
    /// ⌈input / stride⌉ outputs and pads max((output − 1)·stride + span − input, 0) in total, the odd one after.
    /// Returns false when no valid window fits.
    /// </summary>
    public static bool TryCreate(int input, int kernel, int stride, int dilation, bool same, out WindowAxis axis)
    {
        // In long: a huge dilation or stride must not wrap into a plausible size.
        long span = ((long)(kernel - 1) * dilation) + 1, output, padBefore = 0;
        if (same)
        {
            output = ((long)input + stride - 1) / stride;
            padBefore = Math.Max(((output - 1) * stride) + span - input, 0) / 2;
        }
        else
        {
            output = input >= span ? ((input - span) / stride) + 1 : 0;
        }

        bool fits = output > 0 && span <= int.MaxValue && padBefore <= int.MaxValue;
        axis = fits ? new WindowAxis(input, kernel, stride, dilation, (int)padBefore, (int)output) : default;
        return fits;
    }
}
