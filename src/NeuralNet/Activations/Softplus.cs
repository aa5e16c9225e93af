namespace NeuralNet.Activations;

/// <summary>
/// Softplus (Keras <c>softplus</c>): <c>f(x) = log(1 + exp(x))</c>, computed stably as <c>max(x, 0) + log(1 + exp(-|x|))</c>.
/// </summary>
public sealed class Softplus : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "softplus";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        for (int i = 0; i < input.Length; i++)
        {
            output[i] = (float)ActivationMath.Softplus(input[i]);
        }
    }

    /// <inheritdoc/>
    /// <remarks><c>f'(x) = sigmoid(x)</c>.</remarks>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        for (int i = 0; i < input.Length; i++)
        {
            inputGradient[i] = (float)(outputGradient[i] * ActivationMath.Logistic(input[i]));
        }
    }
}
