using System.Numerics.Tensors;

namespace NeuralNet.Activations;

/// <summary>The hyperbolic tangent; <c>f'(x) = 1 - f(x)^2</c>.</summary>
public sealed class Tanh : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "tanh";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        TensorPrimitives.Tanh(input, output);
    }

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(output.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(output.Length, inputGradient.Length, columns, nameof(inputGradient));
        for (int i = 0; i < output.Length; i++)
        {
            float y = output[i];
            inputGradient[i] = outputGradient[i] * (1f - (y * y));
        }
    }
}
