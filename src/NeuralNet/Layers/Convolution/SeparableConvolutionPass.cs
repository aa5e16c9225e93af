using NeuralNet.Activations;
using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// The forward and backward passes of <see cref="SeparableConv1D"/> and <see cref="SeparableConv2D"/>: the depthwise step,
/// one matrix product over the batch, (B·pixels, C·M) · (C·M, filters), with the bias and a ReLU fused into it when it can,
/// then the activation. The layer owns the parameters and passes them in; this owns the reused buffers.
/// </summary>
internal sealed class SeparableConvolutionPass(Layer owner, DepthwiseStep step, TensorShape depthwiseShape, TensorShape inputShape,
    TensorShape outputShape, int filters, ActivationFunction? activation)
{
    private readonly ActivatedOutput _output = new(outputShape, activation);
    private Tensor? _depthwiseBuffer;
    private Tensor? _depthwiseGradientBuffer;
    private Tensor? _dxBuffer;
    private Tensor? _depthwise;
    private int _batch = -1;

    /// <summary>Runs the layer on <paramref name="input"/> (B, ...inputShape); the output is a reused buffer.</summary>
    public Tensor Forward(Tensor input, Parameter depthwiseKernel, Parameter pointwiseKernel, Parameter? bias)
    {
        int batch = input.Shape[0], expanded = step.Geometry.Channels, rows = batch * step.Geometry.OutputPixels;
        _batch = batch;
        _depthwise = Layer.ReusedBatchView(ref _depthwiseBuffer, batch, depthwiseShape);
        step.Forward(input, depthwiseKernel.Value.AsReadOnlySpan(), default, _depthwise.AsSpan());
        Span<float> z = _output.PreActivation(batch).AsSpan();
        ReadOnlySpan<float> pointwise = pointwiseKernel.Value.AsReadOnlySpan();
        bool fused = bias is not null && activation is null or Relu;
        if (fused)
        {
            Gemm.Multiply(false, false, rows, filters, expanded, _depthwise.AsReadOnlySpan(), expanded, pointwise, filters, bias!.Value.AsReadOnlySpan(),
                activation is Relu ? GemmActivation.Relu : GemmActivation.None, z, filters);
            return _output.Activate(batch, applied: true);
        }

        Gemm.Multiply(false, false, rows, filters, expanded, 1f, _depthwise.AsReadOnlySpan(), expanded, pointwise, filters, 0f, z, filters);
        if (bias is not null)
        {
            Convolution.AddBias(bias.Value.AsReadOnlySpan(), z);
        }

        return _output.Activate(batch);
    }

    /// <summary>Adds the parameters' gradients; returns the input gradient, or the output gradient itself when the owner computes none.</summary>
    public Tensor Backward(Tensor outputGradient, Parameter depthwiseKernel, Parameter pointwiseKernel, Parameter? bias)
    {
        if (_depthwise is null || outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{owner.Description}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        int batch = _batch, expanded = step.Geometry.Channels, rows = batch * step.Geometry.OutputPixels;
        ReadOnlySpan<float> dzSpan = _output.Backward(batch, outputGradient, bias).AsReadOnlySpan();
        Span<float> pointwiseGradient = pointwiseKernel.GradientForProduct(out float beta);
        Gemm.Multiply(true, false, expanded, filters, rows, 1f, _depthwise.AsReadOnlySpan(), expanded, dzSpan, filters, beta, pointwiseGradient, filters);
        Tensor depthwiseGradient = Layer.ReusedBatchView(ref _depthwiseGradientBuffer, batch, depthwiseShape);
        Gemm.Multiply(false, true, rows, expanded, filters, 1f, dzSpan, filters, pointwiseKernel.Value.AsReadOnlySpan(), filters, 0f, depthwiseGradient.AsSpan(), expanded);
        Tensor? dx = owner.ComputesInputGradient ? Layer.ReusedBatchView(ref _dxBuffer, batch, inputShape) : null;
        step.Backward(batch, depthwiseGradient.AsReadOnlySpan(), depthwiseKernel.Value.AsReadOnlySpan(), depthwiseKernel.Gradient.AsSpan(), dx is null ? default : dx.AsSpan());
        return dx ?? outputGradient;
    }
}
