using NeuralNet.Activations;
using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// The output stage of the convolution passes: the reused pre-activation buffer z, the activation applied to it and,
/// backwards, the gradient through the activation and the bias's gradient (the column sums over the last axis).
/// </summary>
internal sealed class ActivatedOutput(TensorShape outputShape, ActivationFunction? activation)
{
    private readonly int _width = outputShape[outputShape.Rank - 1];
    private Tensor? _zBuffer;
    private Tensor? _yBuffer;
    private Tensor? _dzBuffer;
    private Tensor? _z;
    private Tensor? _y;

    /// <summary>Whether a forward pass has run.</summary>
    public bool HasRun => _z is not null;

    /// <summary>The buffer for a batch's pre-activation, which the pass fills before it calls <see cref="Activate"/>.</summary>
    public Tensor PreActivation(int batch) => _z = Layer.ReusedBatchView(ref _zBuffer, batch, outputShape);

    /// <summary>
    /// The output: the activation of the pre-activation, or the pre-activation itself when there is no activation or
    /// <paramref name="applied"/> (the product fused it; its backward pass, a ReLU's, reads only the output).
    /// </summary>
    public Tensor Activate(int batch, bool applied = false)
    {
        Tensor z = _z!;
        if (activation is null || applied)
        {
            _y = z;
            return z;
        }

        _y = Layer.ReusedBatchView(ref _yBuffer, batch, outputShape);
        activation.Forward(z.AsReadOnlySpan(), _y.AsSpan(), _width);
        return _y;
    }

    /// <summary>The gradient of the pre-activation for <paramref name="outputGradient"/>; adds the bias's gradient when there is a bias.</summary>
    public Tensor Backward(int batch, Tensor outputGradient, Parameter? bias)
    {
        Tensor dz = outputGradient;
        if (activation is not null)
        {
            dz = Layer.ReusedBatchView(ref _dzBuffer, batch, outputShape);
            activation.Backward(_z!.AsReadOnlySpan(), _y!.AsReadOnlySpan(), outputGradient.AsReadOnlySpan(), dz.AsSpan(), _width);
        }

        if (bias is not null)
        {
            Convolution.AddColumnSums(dz.AsReadOnlySpan(), _width, bias.Gradient.AsSpan());
        }

        return dz;
    }
}
