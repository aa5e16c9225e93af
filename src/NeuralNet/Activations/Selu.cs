namespace NeuralNet.Activations;

/// <summary>
/// Scaled exponential linear unit (Keras <c>selu</c>): <c>f(x) = scale * x</c> for <c>x &gt; 0</c>,
/// <c>scale * alpha * (exp(x) - 1)</c> otherwise, with <c>alpha = 1.6732632423543772</c> and <c>scale = 1.0507009873554805</c>.
/// </summary>
/// <remarks>
/// The constants make the mean and variance of the activations self-normalizing when the weights are drawn with
/// <see cref="Initializers.LeCunNormal"/>, as Keras documents (and without dropout, or with alpha dropout).
/// </remarks>
public sealed class Selu : ActivationFunction
{
    /// <summary>Keras' <c>alpha</c> of SELU.</summary>
    public const double Alpha = 1.6732632423543772848170429916717;

    /// <summary>Keras' <c>scale</c> of SELU.</summary>
    public const double Scale = 1.0507009873554804934193349852946;

    /// <inheritdoc/>
    public override string Name => "selu";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        for (int i = 0; i < input.Length; i++)
        {
            double x = input[i];
            output[i] = (float)(x > 0 ? Scale * x : Scale * Alpha * (Math.Exp(x) - 1.0));
        }
    }

    /// <inheritdoc/>
    /// <remarks><c>f'(x) = scale</c> for <c>x &gt; 0</c>, <c>scale * alpha * exp(x)</c> otherwise.</remarks>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        for (int i = 0; i < input.Length; i++)
        {
            double x = input[i];
            inputGradient[i] = (float)(outputGradient[i] * (x > 0 ? Scale : Scale * Alpha * Math.Exp(x)));
        }
    }
}
