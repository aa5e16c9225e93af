namespace NeuralNet.Kernels;

/// <summary>
/// The sizes of a 2-D convolution over NHWC data with dilation, with its padding resolved.
/// </summary>
/// <remarks>
/// Input sample (InHeight, InWidth, Channels); kernel (KernelHeight, KernelWidth) taps spaced
/// (DilationHeight, DilationWidth) apart; output sample (OutHeight, OutWidth, ...). Output pixel (oy, ox), tap
/// (ky, kx) reads input row oy*StrideHeight - PadTop + ky*DilationHeight and column ox*StrideWidth - PadLeft +
/// kx*DilationWidth; positions outside the input read zero (and their gradients are dropped).
/// </remarks>
internal readonly record struct DilatedConvGeometry(
    int InHeight, int InWidth, int Channels,
    int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth,
    int DilationHeight, int DilationWidth,
    int PadTop, int PadLeft,
    int OutHeight, int OutWidth) : IPatchGeometry
{
    /// <summary>Elements of one input sample: InHeight * InWidth * Channels.</summary>
    public int InputSize => InHeight * InWidth * Channels;

    /// <summary>Output pixels of one sample: OutHeight * OutWidth.</summary>
    public int OutputPixels => OutHeight * OutWidth;

    /// <summary>Kernel taps: KernelHeight * KernelWidth.</summary>
    public int Taps => KernelHeight * KernelWidth;

    int IPatchGeometry.OutputPositions => OutputPixels;

    void IPatchGeometry.Pack(ReadOnlySpan<float> sample, Span<float> cols) => DilatedIm2Col.Pack(sample, this, 0, Channels, cols);

    void IPatchGeometry.PackRows(ReadOnlySpan<float> batch, int firstRow, int rows, Span<float> cols) =>
        DilatedIm2Col.PackRows(batch, this, 0, Channels, firstRow, rows, cols);

    void IPatchGeometry.AddUnpack(ReadOnlySpan<float> cols, Span<float> sample) => DilatedIm2Col.AddUnpack(cols, this, 0, Channels, sample);

    /// <summary>The span of a dilated kernel along one axis: (kernel - 1) * dilation + 1.</summary>
    public static int EffectiveKernel(int kernel, int dilation) => ((kernel - 1) * dilation) + 1;

    /// <summary>
    /// Resolves Keras padding for a (dilated) convolution: "valid" keeps whole windows only,
    /// out = (in - effectiveKernel) / stride + 1; "same" gives ceil(in / stride) outputs and pads
    /// max((out - 1) * stride + effectiveKernel - in, 0) in total, the odd one at the bottom/right.
    /// Returns false when no valid window fits.
    /// </summary>
    public static bool TryCreate(int inHeight, int inWidth, int channels, (int Height, int Width) kernel, (int Height, int Width) strides,
        (int Height, int Width) dilation, bool same, out DilatedConvGeometry geometry)
    {
        if (!TryAxis(inHeight, EffectiveKernel(kernel.Height, dilation.Height), strides.Height, same, out int outHeight, out int padTop)
            || !TryAxis(inWidth, EffectiveKernel(kernel.Width, dilation.Width), strides.Width, same, out int outWidth, out int padLeft))
        {
            geometry = default;
            return false;
        }

        geometry = new DilatedConvGeometry(inHeight, inWidth, channels, kernel.Height, kernel.Width, strides.Height, strides.Width,
            dilation.Height, dilation.Width, padTop, padLeft, outHeight, outWidth);
        return true;
    }

    /// <summary>
    /// Keras' transposed-convolution sizes along one axis (keras/src/backend/common/backend_utils.py,
    /// <c>_convert_conv_transpose_padding_args_from_keras_to_jax</c> and <c>_get_output_shape_given_tf_padding</c>):
    /// returns the output length and the rows cropped from the start of the full scatter
    /// (whose length is (in - 1) * stride + effectiveKernel).
    /// </summary>
    /// <remarks>
    /// valid: outputPadding defaults to max(ke, s) - ke; left = ke - 1; right = ke - 1 + outputPadding.
    /// same: padLength = s + ke - 2 without outputPadding, else ke + ke % 2 - 2 + outputPadding; left =
    /// min(padLength / 2 + padLength % 2, ke - 1); right = padLength - left. Output (in - 1) * s + 2 + left + right - ke,
    /// cropped start ke - 1 - left (never negative); a negative crop at the end extends the output with zeros.
    /// </remarks>
    public static (int Output, int CropBefore) TransposeAxis(int input, int kernel, int stride, int dilation, bool same, int? outputPadding)
    {
        int ke = EffectiveKernel(kernel, dilation);
        int left, right;
        if (!same)
        {
            int op = outputPadding ?? (Math.Max(ke, stride) - ke);
            left = ke - 1;
            right = ke - 1 + op;
        }
        else
        {
            int padLength = outputPadding is int op ? ke + (ke % 2) - 2 + op : stride + ke - 2;
            left = Math.Min((padLength / 2) + (padLength % 2), ke - 1);
            right = padLength - left;
        }

        return (((input - 1) * stride) + 2 + left + right - ke, ke - 1 - left);
    }

    private static bool TryAxis(int input, int kernel, int stride, bool same, out int output, out int padBefore)
    {
        if (same)
        {
            output = (input + stride - 1) / stride;
            padBefore = Math.Max(((output - 1) * stride) + kernel - input, 0) / 2;
            return true;
        }

        padBefore = 0;
        output = input >= kernel ? ((input - kernel) / stride) + 1 : 0;
        return output > 0;
    }
}
