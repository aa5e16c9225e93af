namespace NeuralNet.Activations;

/// <summary>The identity activation, <c>f(x) = x</c> (Keras <c>linear</c>). Layers skip it entirely.</summary>
public sealed class Linear : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "linear";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        input.CopyTo(output);
    }

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        outputGradient.CopyTo(inputGradient);
    }
}
