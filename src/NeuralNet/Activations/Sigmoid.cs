using System.Numerics;
using System.Numerics.Tensors;

namespace NeuralNet.Activations;

/// <summary>The logistic sigmoid, <c>f(x) = 1 / (1 + exp(-x))</c>; <c>f'(x) = f(x) (1 - f(x))</c>.</summary>
public sealed class Sigmoid : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "sigmoid";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        TensorPrimitives.Sigmoid(input, output);
    }

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(output.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(output.Length, inputGradient.Length, columns, nameof(inputGradient));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= output.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var y = new Vector<float>(output[i..]);
                (new Vector<float>(outputGradient[i..]) * y * (Vector<float>.One - y)).CopyTo(inputGradient[i..]);
            }
        }

        for (; i < output.Length; i++)
        {
            float y = output[i];
            inputGradient[i] = outputGradient[i] * y * (1f - y);
        }
    }
}
