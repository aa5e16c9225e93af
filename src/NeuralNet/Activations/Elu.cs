using NeuralNet.Serialization;

namespace NeuralNet.Activations;

/// <summary>
/// Exponential linear unit: <c>f(x) = x</c> for <c>x &gt; 0</c>, <c>alpha (exp(x) - 1)</c> otherwise.
/// </summary>
public sealed class Elu : ActivationFunction
{
    /// <summary>Creates an ELU.</summary>
    /// <param name="alpha">The negative saturation level, finite (Keras default 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> is not finite.</exception>
    public Elu(double alpha = 1)
    {
        Alpha = Float32Hyperparameter.Finite(alpha, nameof(alpha), "Elu");

    }

    /// <summary>The negative saturation level, as float32 (the value given, rounded to float32).</summary>
    public float Alpha { get; }

    /// <inheritdoc/>
    public override string Name => "elu";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        float alpha = Alpha;
        for (int i = 0; i < input.Length; i++)
        {
            float x = input[i];
            output[i] = x > 0f ? x : alpha * (float)(Math.Exp(x) - 1.0);
        }
    }

    /// <inheritdoc/>
    /// <remarks>For <c>x &lt;= 0</c>, <c>f'(x) = alpha exp(x) = f(x) + alpha</c>.</remarks>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        float alpha = Alpha;
        for (int i = 0; i < input.Length; i++)
        {
            inputGradient[i] = input[i] > 0f ? outputGradient[i] : outputGradient[i] * alpha * MathF.Exp(input[i]);
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("alpha", Alpha);
}
