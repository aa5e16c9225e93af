namespace NeuralNet.Activations;

/// <summary>ReLU capped at 6 (Keras <c>relu6</c>): <c>f(x) = min(max(x, 0), 6)</c>.</summary>
public sealed class Relu6 : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "relu6";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        for (int i = 0; i < input.Length; i++)
        {
            output[i] = Math.Clamp(input[i], 0f, 6f);
        }
    }

    /// <inheritdoc/>
    /// <remarks><c>f'(x) = 1</c> on (0, 6), 0 elsewhere.</remarks>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        for (int i = 0; i < input.Length; i++)
        {
            float x = input[i];
            inputGradient[i] = x > 0f && x < 6f ? outputGradient[i] : 0f;
        }
    }
}
