namespace NeuralNet.Activations;

/// <summary>The exponential (Keras <c>exponential</c>): <c>f(x) = exp(x)</c>.</summary>
public sealed class Exponential : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "exponential";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        for (int i = 0; i < input.Length; i++)
        {
            output[i] = MathF.Exp(input[i]);
        }
    }

    /// <inheritdoc/>
    /// <remarks><c>f'(x) = exp(x)</c>, recomputed from the input.</remarks>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        for (int i = 0; i < input.Length; i++)
        {
            inputGradient[i] = outputGradient[i] * MathF.Exp(input[i]);
        }
    }
}
