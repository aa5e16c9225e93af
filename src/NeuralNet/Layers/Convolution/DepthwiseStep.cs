using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// The depthwise convolution of a batch, shared by <see cref="DepthwiseConvolutionPass"/> and <see cref="SeparableConvolutionPass"/>:
/// a Keras kernel (KH, KW, C, M) applied to (B, H, W, C), output (B, OH, OW, C·M) with channel c·M + m from input channel c.
/// </summary>
/// <remarks>
/// With a depth multiplier above 1 every input channel is first repeated M times (kept for the backward pass), so each
/// (pixel, tap) is one vectorised multiply-add over C·M channels; the input gradient is summed back over the copies.
/// Images run one after another: the kernel gradient is a sum in image order, the same bits on any thread count.
/// </remarks>
internal sealed class DepthwiseStep(DilatedConvGeometry expanded, int channels, int multiplier)
{
    private float[] _expanded = [];
    private float[] _expandedGradient = [];
    private Tensor? _input;

    /// <summary>The geometry over the expanded channels (Channels = C·M).</summary>
    public DilatedConvGeometry Geometry { get; } = expanded;

    /// <summary>output = depthwise(input, kernel) + bias (bias empty for none); overwrites.</summary>
    public void Forward(Tensor input, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, Span<float> output)
    {
        DilatedConvGeometry g = Geometry;
        int batch = input.Shape[0], inSize = g.InHeight * g.InWidth * channels, outSize = g.OutputPixels * g.Channels;
        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        if (multiplier > 1)
        {
            int length = batch * g.InputSize;
            if (_expanded.Length < length)
            {
                _expanded = new float[length];
            }

            DepthwiseConvolution.Expand(x[..(batch * inSize)], channels, multiplier, _expanded.AsSpan(0, length));
            x = _expanded.AsSpan(0, length);
        }

        _input = input;
        for (int n = 0; n < batch; n++)
        {
            DepthwiseConvolution.Forward(x.Slice(n * g.InputSize, g.InputSize), kernel, bias, g, output.Slice(n * outSize, outSize));
        }
    }

    /// <summary>kernelGradient += the kernel gradient; inputGradient (B, H, W, C) = the input gradient unless empty.</summary>
    public void Backward(int batch, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> kernel, Span<float> kernelGradient, Span<float> inputGradient)
    {
        DilatedConvGeometry g = Geometry;
        int outSize = g.OutputPixels * g.Channels;
        ReadOnlySpan<float> x = multiplier > 1 ? _expanded : _input!.AsReadOnlySpan();
        Span<float> dx = inputGradient;
        if (multiplier > 1 && !inputGradient.IsEmpty)
        {
            if (_expandedGradient.Length < batch * g.InputSize)
            {
                _expandedGradient = new float[batch * g.InputSize];
            }

            dx = _expandedGradient.AsSpan(0, batch * g.InputSize);
        }

        for (int n = 0; n < batch; n++)
        {
            DepthwiseConvolution.Backward(x.Slice(n * g.InputSize, g.InputSize), outputGradient.Slice(n * outSize, outSize), kernel, g,
                kernelGradient, dx.IsEmpty ? default : dx.Slice(n * g.InputSize, g.InputSize));
        }

        if (multiplier > 1 && !inputGradient.IsEmpty)
        {
            DepthwiseConvolution.Reduce(dx, channels, multiplier, inputGradient[..(batch * g.InHeight * g.InWidth * channels)]);
        }
    }
}
