namespace NeuralNet.Activations;

/// <summary>
/// Hard SiLU, also called hard swish (Keras <c>hard_silu</c>, alias <c>hard_swish</c>): <c>f(x) = x * hard_sigmoid(x)</c>
/// with Keras 3's <c>hard_sigmoid(x) = relu6(x + 3) / 6</c>: 0 for <c>x &lt;= -3</c>, <c>x</c> for <c>x &gt;= 3</c>,
/// <c>x (x + 3) / 6</c> between.
/// </summary>
public sealed class HardSilu : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "hard_silu";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        for (int i = 0; i < input.Length; i++)
        {
            float x = input[i];
            output[i] = x * ActivationMath.HardSigmoid(x);
        }
    }

    /// <inheritdoc/>
    /// <remarks><c>f'(x) = 0</c> below -3, 1 above 3, <c>(2 x + 3) / 6</c> between.</remarks>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        for (int i = 0; i < input.Length; i++)
        {
            float x = input[i];
            float derivative = x <= -3f ? 0f : x >= 3f ? 1f : ((2f * x) + 3f) / 6f;
            inputGradient[i] = outputGradient[i] * derivative;
        }
    }
}
