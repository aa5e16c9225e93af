using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        // The output is positive exactly where the input is, so the mask is read from the output alone. The widest
        // vectors the machine runs: the pass reads the forward output back from the last-level cache.
        ref float y = ref MemoryMarshal.GetReference(output);
        ref float g = ref MemoryMarshal.GetReference(outputGradient);
        ref float d = ref MemoryMarshal.GetReference(inputGradient);
        nuint length = (nuint)output.Length, i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector512<float>.Count <= length; i += (nuint)Vector512<float>.Count)
            {
                Vector512<float> positive = Vector512.GreaterThan(Vector512.LoadUnsafe(ref y, i), Vector512<float>.Zero);
                (positive & Vector512.LoadUnsafe(ref g, i)).StoreUnsafe(ref d, i);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i + (nuint)Vector256<float>.Count <= length; i += (nuint)Vector256<float>.Count)
            {
                Vector256<float> positive = Vector256.GreaterThan(Vector256.LoadUnsafe(ref y, i), Vector256<float>.Zero);
                (positive & Vector256.LoadUnsafe(ref g, i)).StoreUnsafe(ref d, i);
            }
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref d, i) = Unsafe.Add(ref y, i) > 0f ? Unsafe.Add(ref g, i) : 0f;
        }
    }
}
