namespace NeuralNet.Activations;

/// <summary>
/// Hard sigmoid as Keras 3 defines it (Keras <c>hard_sigmoid</c>): <c>f(x) = relu6(x + 3) / 6</c>, that is 0 for
/// <c>x &lt;= -3</c>, 1 for <c>x &gt;= 3</c> and <c>x / 6 + 0.5</c> between.
/// </summary>
/// <remarks>Keras 2 and tf.keras used <c>clip(0.2 x + 0.5, 0, 1)</c> instead; models trained there differ slightly.</remarks>
public sealed class HardSigmoid : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "hard_sigmoid";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        for (int i = 0; i < input.Length; i++)
        {
            output[i] = ActivationMath.HardSigmoid(input[i]);
        }
    }

    /// <inheritdoc/>
    /// <remarks><c>f'(x) = 1/6</c> on (-3, 3), 0 elsewhere.</remarks>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        for (int i = 0; i < input.Length; i++)
        {
            float x = input[i];
            inputGradient[i] = x > -3f && x < 3f ? outputGradient[i] / 6f : 0f;
        }
    }
}
