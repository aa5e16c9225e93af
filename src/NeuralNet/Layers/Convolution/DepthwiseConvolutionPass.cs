using NeuralNet.Activations;

namespace NeuralNet.Layers;

/// <summary>
/// The forward and backward passes of <see cref="DepthwiseConv1D"/> and <see cref="DepthwiseConv2D"/>: the depthwise step
/// with the bias added in it, then the activation. The layer owns the parameters and passes them in; this owns the reused buffers.
/// </summary>
internal sealed class DepthwiseConvolutionPass(Layer owner, DepthwiseStep step, TensorShape inputShape, TensorShape outputShape,
    ActivationFunction? activation)
{
    private readonly ActivatedOutput _output = new(outputShape, activation);
    private Tensor? _dxBuffer;
    private int _batch = -1;

    /// <summary>Runs the layer on <paramref name="input"/> (B, ...inputShape); the output is a reused buffer.</summary>
    public Tensor Forward(Tensor input, Parameter kernel, Parameter? bias)
    {
        int batch = input.Shape[0];
        _batch = batch;
        step.Forward(input, kernel.Value.AsReadOnlySpan(), bias is null ? default : bias.Value.AsReadOnlySpan(), _output.PreActivation(batch).AsSpan());
        return _output.Activate(batch);
    }

    /// <summary>Adds the parameters' gradients; returns the input gradient, or the output gradient itself when the owner computes none.</summary>
    public Tensor Backward(Tensor outputGradient, Parameter kernel, Parameter? bias)
    {
        if (!_output.HasRun || outputGradient.Shape[0] != _batch)
        {
            throw new InvalidOperationException($"{owner.Description}: backward needs a forward pass with the same batch size first (last forward batch {_batch}, gradient {outputGradient.Shape}).");
        }

        int batch = _batch;
        Tensor dz = _output.Backward(batch, outputGradient, bias);
        Tensor? dx = owner.ComputesInputGradient ? Layer.ReusedBatchView(ref _dxBuffer, batch, inputShape) : null;
        step.Backward(batch, dz.AsReadOnlySpan(), kernel.Value.AsReadOnlySpan(), kernel.Gradient.AsSpan(), dx is null ? default : dx.AsSpan());
        return dx ?? outputGradient;
    }
}
