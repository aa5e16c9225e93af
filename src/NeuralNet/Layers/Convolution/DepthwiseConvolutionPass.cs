using NeuralNet.Activations;
using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// The forward and backward passes of <see cref="DepthwiseConv1D"/> and <see cref="DepthwiseConv2D"/>: the depthwise step
/// with the bias added in it, then the activation. The layer owns the parameters and passes them in; this owns the reused buffers.
/// </summary>
internal sealed class DepthwiseConvolutionPass(Layer owner, DepthwiseStep step, TensorShape inputShape, TensorShape outputShape,
    ActivationFunction? activation)
{
    private readonly int _width = outputShape[outputShape.Rank - 1];
    private Tensor? _zBuffer;
    private Tensor? _yBuffer;
    private Tensor? _dzBuffer;
    private Tensor? _dxBuffer;
    private Tensor? _z;
    private Tensor? _y;
    private int _batch = -1;

    /// <summary>Runs the layer on <paramref name="input"/> (B, ...inputShape); the output is a reused buffer.</summary>
    public Tensor Forward(Tensor input, Parameter kernel, Parameter? bias)
    {
        int batch = input.Shape[0];
        _batch = batch;
        _z = Layer.ReusedBatchView(ref _zBuffer, batch, outputShape);
        step.Forward(input, kernel.Value.AsReadOnlySpan(), bias is null ? default : bias.Value.AsReadOnlySpan(), _z.AsSpan());
        if (activation is null)
        {
            _y = _z;
            return _z;
        }

        _y = Layer.ReusedBatchView(ref _yBuffer, batch, outputShape);
        activation.Forward(_z.AsReadOnlySpan(), _y.AsSpan(), _width);
        return _y;
    }

    /// <summary>Adds the parameters' gradients; returns the input gradient, or the output gradient itself when the owner computes none.</summary>
    public Tensor Backward(Tensor outputGradient, Parameter kernel, Parameter? bias)
    {
        if (_z is null || outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{owner.Description}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        int batch = _batch;
        Tensor dz = outputGradient;
        if (activation is not null)
        {
            dz = Layer.ReusedBatchView(ref _dzBuffer, batch, outputShape);
            activation.Backward(_z.AsReadOnlySpan(), _y!.AsReadOnlySpan(), outputGradient.AsReadOnlySpan(), dz.AsSpan(), _width);
        }

        if (bias is not null)
        {
            Convolution.AddColumnSums(dz.AsReadOnlySpan(), _width, bias.Gradient.AsSpan());
        }

        Tensor? dx = owner.ComputesInputGradient ? Layer.ReusedBatchView(ref _dxBuffer, batch, inputShape) : null;
        step.Backward(batch, dz.AsReadOnlySpan(), kernel.Value.AsReadOnlySpan(), kernel.Gradient.AsSpan(), dx is null ? default : dx.AsSpan());
        return dx ?? outputGradient;
    }
}
