using System.Numerics.Tensors;

namespace NeuralNet.Layers;

/// <summary>
/// The element-wise largest or smallest of several inputs, shared by <see cref="Maximum"/> and <see cref="Minimum"/>:
/// the forward fold, and the backward pass that routes each output gradient to the input holding the extreme (the first
/// such input on ties), with 0 for the others.
/// </summary>
internal static class Extremum
{
    /// <summary>Writes the element-wise extreme of <paramref name="inputs"/> into <paramref name="output"/>.</summary>
    public static void Combine(ReadOnlySpan<Tensor> inputs, Span<float> output, bool largest)
    {
        inputs[0].AsReadOnlySpan().CopyTo(output);
        for (int i = 1; i < inputs.Length; i++)
        {
            if (largest)
            {
                TensorPrimitives.Max(output, inputs[i].AsReadOnlySpan(), output);
            }
            else
            {
                TensorPrimitives.Min(output, inputs[i].AsReadOnlySpan(), output);
            }
        }
    }

    /// <summary>Fills each input's gradient buffer (cleared first) with the output gradient where that input holds the extreme.</summary>
    public static void Distribute(ReadOnlySpan<Tensor?> inputs, ReadOnlySpan<float> outputGradient, Span<Tensor?> inputGradients, bool largest)
    {
        foreach (Tensor? gradient in inputGradients)
        {
            gradient!.AsSpan().Clear();
        }

        for (int e = 0; e < outputGradient.Length; e++)
        {
            int best = 0;
            float bestValue = inputs[0]!.AsReadOnlySpan()[e];
            for (int i = 1; i < inputs.Length; i++)
            {
                float value = inputs[i]!.AsReadOnlySpan()[e];
                if (largest ? value > bestValue : value < bestValue)
                {
                    best = i;
                    bestValue = value;
                }
            }

            inputGradients[best]!.AsSpan()[e] = outputGradient[e];
        }
    }
}
