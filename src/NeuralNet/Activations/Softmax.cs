using System.Numerics.Tensors;

namespace NeuralNet.Activations;

/// <summary>
/// Softmax over the last axis: <c>f(x)_j = exp(x_j - max(x)) / sum_k exp(x_k - max(x))</c>, each row summing to 1.
/// </summary>
/// <remarks>
/// The row maximum is subtracted before exponentiating, so large logits do not overflow. When a layer ending in
/// softmax feeds a cross-entropy loss, the model skips this derivative and uses the fused, stable gradient
/// <c>p - t</c> instead.
/// </remarks>
public sealed class Softmax : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "softmax";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        for (int start = 0; start < input.Length; start += columns)
        {
            Row(input.Slice(start, columns), output.Slice(start, columns));
        }
    }

    /// <summary>Softmax of one row (<paramref name="output"/> may alias <paramref name="input"/>).</summary>
    internal static void Row(ReadOnlySpan<float> input, Span<float> output)
    {
        float max = TensorPrimitives.Max(input);
        TensorPrimitives.Subtract(input, max, output);
        TensorPrimitives.Exp(output, output);
        float sum = TensorPrimitives.Sum(output);
        TensorPrimitives.Multiply(output, 1f / sum, output);
    }

    /// <inheritdoc/>
    /// <remarks>Per row: <c>dx = y * (dy - sum(dy * y))</c>.</remarks>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(output.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(output.Length, inputGradient.Length, columns, nameof(inputGradient));
        for (int start = 0; start < output.Length; start += columns)
        {
            ReadOnlySpan<float> y = output.Slice(start, columns);
            Span<float> dx = inputGradient.Slice(start, columns);
            float dot = TensorPrimitives.Dot(outputGradient.Slice(start, columns), y);
            TensorPrimitives.Subtract(outputGradient.Slice(start, columns), dot, dx);
            TensorPrimitives.Multiply(dx, y, dx);
        }
    }
}
