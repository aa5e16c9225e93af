using System.Numerics.Tensors;

namespace NeuralNet.Activations;

/// <summary>
/// Log-softmax over the last axis (Keras <c>log_softmax</c>, axis -1): <c>f(x)_j = x_j - max(x) - log(sum_k exp(x_k - max(x)))</c>.
/// </summary>
/// <remarks>The row maximum is subtracted first, so large logits neither overflow nor lose the small ones.</remarks>
public sealed class LogSoftmax : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "log_softmax";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        for (int start = 0; start < input.Length; start += columns)
        {
            ReadOnlySpan<float> x = input.Slice(start, columns);
            Span<float> y = output.Slice(start, columns);
            float max = TensorPrimitives.Max(x);
            double sum = 0;
            for (int j = 0; j < x.Length; j++)
            {
                sum += Math.Exp(x[j] - (double)max);
            }

            // x - max is exact for the largest values, so they keep their precision: (x - max) - log(sum).
            TensorPrimitives.Subtract(x, max, y);
            TensorPrimitives.Subtract(y, (float)Math.Log(sum), y);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Per row: <c>dx = dy - softmax(x) * sum(dy)</c>, with <c>softmax(x) = exp(f(x))</c>.</remarks>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(output.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(output.Length, inputGradient.Length, columns, nameof(inputGradient));
        for (int start = 0; start < output.Length; start += columns)
        {
            ReadOnlySpan<float> y = output.Slice(start, columns);
            ReadOnlySpan<float> g = outputGradient.Slice(start, columns);
            Span<float> dx = inputGradient.Slice(start, columns);
            float sum = TensorPrimitives.Sum(g);
            for (int j = 0; j < y.Length; j++)
            {
                dx[j] = g[j] - (MathF.Exp(y[j]) * sum);
            }
        }
    }
}
