using NeuralNet.Serialization;

namespace NeuralNet.Activations;

/// <summary>
/// Leaky ReLU: <c>f(x) = x</c> for <c>x &gt;= 0</c>, <c>negativeSlope * x</c> otherwise.
/// </summary>
/// <remarks>
/// The default slope 0.2 is that of Keras' <c>leaky_relu</c> activation function; note that Keras' separate
/// <c>LeakyReLU</c> layer defaults to 0.3.
/// </remarks>
public sealed class LeakyRelu : ActivationFunction
{
    /// <summary>Creates a leaky ReLU.</summary>
    /// <param name="negativeSlope">The slope for negative inputs, finite and at least 0 (Keras default 0.2).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="negativeSlope"/> is negative or not finite.</exception>
    public LeakyRelu(double negativeSlope = 0.2)
    {
        NegativeSlope = Float32Hyperparameter.NonNegative(negativeSlope, nameof(negativeSlope), "LeakyRelu");

    }

    /// <summary>The slope for negative inputs, as float32 (the value given, rounded to float32).</summary>
    public float NegativeSlope { get; }

    /// <inheritdoc/>
    public override string Name => "leaky_relu";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        float slope = NegativeSlope;
        for (int i = 0; i < input.Length; i++)
        {
            float x = input[i];
            output[i] = x >= 0f ? x : slope * x;
        }
    }

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        float slope = NegativeSlope;
        for (int i = 0; i < input.Length; i++)
        {
            inputGradient[i] = input[i] >= 0f ? outputGradient[i] : slope * outputGradient[i];
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("negative_slope", NegativeSlope);
}
