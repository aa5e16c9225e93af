using System.Numerics;
using System.Numerics.Tensors;

namespace NeuralNet.Activations;

/// <summary>The rectified linear unit, <c>f(x) = max(x, 0)</c>; its derivative is taken as 0 at 0.</summary>
public sealed class Relu : ActivationFunction
{
    /// <inheritdoc/>
    public override string Name => "relu";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        TensorPrimitives.Max(input, 0f, output);
    }

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(output.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(output.Length, inputGradient.Length, columns, nameof(inputGradient));
        // The output is positive exactly where the input is, so the mask is read from the output alone.
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= output.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var y = new Vector<float>(output[i..]);
                var g = new Vector<float>(outputGradient[i..]);
                Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<float>.Zero), g, Vector<float>.Zero).CopyTo(inputGradient[i..]);
            }
        }

        for (; i < output.Length; i++)
        {
            inputGradient[i] = output[i] > 0f ? outputGradient[i] : 0f;
        }
    }
}
