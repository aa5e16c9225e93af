namespace NeuralNet.Activations;

/// <summary>
/// Sigmoid linear unit, also called swish (Keras <c>silu</c>, alias <c>swish</c>): <c>f(x) = x * sigmoid(x)</c>.
/// </summary>
public sealed class Silu : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "silu";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        for (int i = 0; i < input.Length; i++)
        {
            double x = input[i];
            output[i] = (float)(x * ActivationMath.Logistic(x));
        }
    }

    /// <inheritdoc/>
    /// <remarks><c>f'(x) = s (1 + x (1 - s))</c> with <c>s = sigmoid(x)</c>.</remarks>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        for (int i = 0; i < input.Length; i++)
        {
            double x = input[i], s = ActivationMath.Logistic(x);
            inputGradient[i] = (float)(outputGradient[i] * s * (1.0 + (x * (1.0 - s))));
        }
    }
}
