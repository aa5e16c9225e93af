namespace NeuralNet.Activations;

/// <summary>Mish (Keras <c>mish</c>): <c>f(x) = x * tanh(softplus(x))</c>.</summary>
public sealed class Mish : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "mish";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        for (int i = 0; i < input.Length; i++)
        {
            double x = input[i];
            output[i] = (float)(x * Math.Tanh(ActivationMath.Softplus(x)));
        }
    }

    /// <inheritdoc/>
    /// <remarks><c>f'(x) = tanh(sp) + x (1 - tanh(sp)^2) sigmoid(x)</c> with <c>sp = softplus(x)</c>.</remarks>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        for (int i = 0; i < input.Length; i++)
        {
            double x = input[i], t = Math.Tanh(ActivationMath.Softplus(x));
            inputGradient[i] = (float)(outputGradient[i] * (t + (x * (1.0 - (t * t)) * ActivationMath.Logistic(x))));
        }
    }
}
