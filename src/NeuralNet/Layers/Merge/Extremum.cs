using System.Numerics.Tensors;

namespace NeuralNet.Layers;

/// <summary>
/// The element-wise largest or smallest of several inputs, shared by <see cref="Maximum"/> and <see cref="Minimum"/>:
/// the forward fold, and the backward pass that routes each output gradient to the input holding the extreme (the first
/// such input on ties), with 0 for the others.
/// </summary>
/// <remarks>
/// With masks it is Keras 3's <c>Merge._apply_merge_op_and_or_mask</c>: max and min have no neutral value to put at a
/// masked position, so the fold skips masked entries instead. Folding input i into the running result r at one position:
/// a masked x_i leaves r as it is; a real x_i replaces r where r is still masked (every input so far masked there);
/// otherwise r = op(r, x_i). A position masked in every input keeps the first input's value. An input without a mask is
/// real everywhere. Keras sets the output's mask (the masks ORed, or none when an input has none) as
/// <see cref="Merge"/> computes it.
/// </remarks>
internal static class Extremum
{
    /// <summary>Writes the element-wise extreme of <paramref name="inputs"/> into <paramref name="output"/>.</summary>
    /// <param name="inputs">The inputs, all of the output's shape.</param>
    /// <param name="masks">One mask per input (null entries for inputs without one), each covering <paramref name="features"/> values per entry.</param>
    /// <param name="features">The values per mask entry (the last axis).</param>
    /// <param name="output">The destination.</param>
    /// <param name="largest">True for the maximum, false for the minimum.</param>
    public static void Combine(ReadOnlySpan<Tensor> inputs, ReadOnlySpan<Tensor?> masks, int features, Span<float> output, bool largest)
    {
        if (!AnyMask(masks))
        {
            inputs[0].AsReadOnlySpan().CopyTo(output);
            for (int i = 1; i < inputs.Length; i++)
            {
                Fold(output, inputs[i].AsReadOnlySpan(), largest);
            }

            return;
        }

        int rows = output.Length / features;
        for (int r = 0; r < rows; r++)
        {
            int start = r * features;
            Span<float> y = output.Slice(start, features);
            inputs[0].AsReadOnlySpan().Slice(start, features).CopyTo(y);
            bool real = IsReal(masks[0], r);
            for (int i = 1; i < inputs.Length; i++)
            {
                if (!IsReal(masks[i], r))
                {
                    continue;
                }

                ReadOnlySpan<float> x = inputs[i].AsReadOnlySpan().Slice(start, features);
                if (real)
                {
                    Fold(y, x, largest);
                }
                else
                {
                    x.CopyTo(y);
                    real = true;
                }
            }
        }
    }

    /// <summary>Fills each input's gradient buffer (cleared first) with the output gradient where that input gave the output's value.</summary>
    /// <param name="inputs">The inputs of the forward pass.</param>
    /// <param name="masks">Their masks, as given to <see cref="Combine"/>.</param>
    /// <param name="features">The values per mask entry.</param>
    /// <param name="outputGradient">dLoss/dOutput.</param>
    /// <param name="inputGradients">One buffer per input, of the output's shape.</param>
    /// <param name="largest">True for the maximum, false for the minimum.</param>
    public static void Distribute(ReadOnlySpan<Tensor?> inputs, ReadOnlySpan<Tensor?> masks, int features, ReadOnlySpan<float> outputGradient, Span<Tensor?> inputGradients, bool largest)
    {
        foreach (Tensor? gradient in inputGradients)
        {
            gradient!.AsSpan().Clear();
        }

        // The same fold as the forward pass, on indices: the input whose value the output holds gets the gradient.
        for (int e = 0; e < outputGradient.Length; e++)
        {
            int row = e / features;
            int best = 0;
            float bestValue = inputs[0]!.AsReadOnlySpan()[e];
            bool real = IsReal(masks[0], row);
            for (int i = 1; i < inputs.Length; i++)
            {
                if (!IsReal(masks[i], row))
                {
                    continue;
                }

                float value = inputs[i]!.AsReadOnlySpan()[e];
                if (!real || (largest ? value > bestValue : value < bestValue))
                {
                    best = i;
                    bestValue = value;
                    real = true;
                }
            }

            inputGradients[best]!.AsSpan()[e] = outputGradient[e];
        }
    }

    private static void Fold(Span<float> y, ReadOnlySpan<float> x, bool largest)
    {
        if (largest)
        {
            TensorPrimitives.Max(y, x, y);
        }
        else
        {
            TensorPrimitives.Min(y, x, y);
        }
    }

    private static bool IsReal(Tensor? mask, int row) => mask is null || mask.AsReadOnlySpan()[row] != 0f;

    private static bool AnyMask(ReadOnlySpan<Tensor?> masks)
    {
        foreach (Tensor? mask in masks)
        {
            if (mask is not null)
            {
                return true;
            }
        }

        return false;
    }
}
