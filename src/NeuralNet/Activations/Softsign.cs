namespace NeuralNet.Activations;

/// <summary>Softsign (Keras <c>softsign</c>): <c>f(x) = x / (|x| + 1)</c>.</summary>
public sealed class Softsign : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "softsign";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        for (int i = 0; i < input.Length; i++)
        {
            float x = input[i];
            output[i] = x / (MathF.Abs(x) + 1f);
        }
    }

    /// <inheritdoc/>
    /// <remarks><c>f'(x) = 1 / (|x| + 1)^2</c>.</remarks>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        for (int i = 0; i < input.Length; i++)
        {
            float d = MathF.Abs(input[i]) + 1f;
            inputGradient[i] = outputGradient[i] / (d * d);
        }
    }
}
