using NeuralNet.Activations;

namespace NeuralNet.Layers;

/// <summary>
/// The buffers and the forward/backward steps of a parameterless activation layer that applies an
/// <see cref="ActivationFunction"/> over the last axis (what <see cref="Activation"/> does), for the Keras activation
/// layers (<see cref="ReLU"/>, <see cref="LeakyReLU"/>, <see cref="ELU"/>). Created by the layer's build, so each call
/// of a shared layer has its own.
/// </summary>
internal sealed class ActivationPass(ActivationFunction function, TensorShape sampleShape)
{
    private readonly int _columns = sampleShape.Rank == 0 ? 1 : sampleShape[-1];
    private Tensor? _output;
    private Tensor? _inputGradient;
    private Tensor? _lastInput;
    private Tensor? _lastOutput;

    public Tensor Forward(Tensor input)
    {
        Tensor output = View(ref _output, input.Shape[0]);
        function.Forward(input.AsReadOnlySpan(), output.AsSpan(), _columns);
        _lastInput = input;
        _lastOutput = output;
        return output;
    }

    public Tensor Backward(Tensor outputGradient, Layer layer)
    {
        if (_lastInput is null || _lastInput.Shape[0] != outputGradient.Shape[0])
        {
            throw new InvalidOperationException(
                $"{layer} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last input: {_lastInput?.Shape.ToString() ?? "none"}).");
        }

        if (!layer.ComputesInputGradient)
        {
            return outputGradient;
        }

        Tensor inputGradient = View(ref _inputGradient, outputGradient.Shape[0]);
        function.Backward(_lastInput.AsReadOnlySpan(), _lastOutput!.AsReadOnlySpan(), outputGradient.AsReadOnlySpan(), inputGradient.AsSpan(), _columns);
        return inputGradient;
    }

    private Tensor View(ref Tensor? buffer, int batch)
    {
        if (buffer is null || buffer.Shape[0] < batch)
        {
            buffer = new Tensor(sampleShape.Prepend(batch));
        }

        return buffer.FirstRows(batch);
    }
}
