using System.Globalization;

namespace NeuralNet.Layers;

/// <summary>
/// The checks shared by the gather and segment layers (<see cref="Take"/>, <see cref="TakeAlongAxis"/>,
/// <see cref="SegmentSum"/>, <see cref="SegmentMax"/>): which sample axis a Keras axis names, and integer indices held in
/// floats (as <see cref="Embedding"/> takes its ids) checked and resolved to ints before anything is written.
/// </summary>
internal static class IndexValues
{
    /// <summary>The largest axis size whose indices a float32 holds exactly, 2^24 (as <see cref="Embedding.MaxInputDim"/>).</summary>
    public const int MaxExactSize = 1 << 24;

    /// <summary>The sample axis (0-based, without the batch axis) that Keras' <paramref name="axis"/> names in an input shaped <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">The axis is the batch axis or outside the input's axes.</exception>
    public static int SampleAxis(int axis, TensorShape input, string layer, string what, string parameterName)
    {
        int rank = input.Rank + 1;
        int full = axis < 0 ? axis + rank : axis;
        if (full < 1 || full >= rank)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{layer} {what} along axis {axis}, which its data input {input.ToBatchString()} does not have among its sample axes (expected 1 to {rank - 1}, or -1 to -{rank - 1}; the batch axis 0 is not gathered across: each sample reads its own data)."), parameterName);
        }

        return full - 1;
    }

    /// <summary>
    /// Checks every index of the batch and writes it as an int: whole numbers in [-size, size) when
    /// <paramref name="negativeFromEnd"/> (NumPy's and Keras' negative indices count from the end, -1 the last), in
    /// [0, size) otherwise. Nothing is written unless every index is valid.
    /// </summary>
    /// <param name="indices">The batch's indices, (batch, ...) flattened.</param>
    /// <param name="sampleShape">The indices' shape per sample, to name the position of a bad one.</param>
    /// <param name="size">The number of valid targets (the size of the gathered axis, the number of segments).</param>
    /// <param name="negativeFromEnd">Whether negative indices count from the end.</param>
    /// <param name="resolved">Receives the indices in [0, size).</param>
    /// <param name="layer">The layer, named by the message (described only then: a description is a new string).</param>
    /// <param name="what">What the indices are, for the message ("indices", "segment ids").</param>
    /// <exception cref="ArgumentException">An index is not a whole number in the range; the message names the layer, the value, its position (the batch row first) and the range.</exception>
    public static void Resolve(ReadOnlySpan<float> indices, TensorShape sampleShape, int size, bool negativeFromEnd, Span<int> resolved, Layer layer, string what)
    {
        int low = negativeFromEnd ? -size : 0;
        for (int i = 0; i < indices.Length; i++)
        {
            float v = indices[i];
            if (!(v >= low && v < size && v == MathF.Floor(v)))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{layer.Description} expects {what} that are whole numbers in [{low}, {size}) but got {v} at position {Position(i, sampleShape)} of its {what} {sampleShape.ToBatchString()}."), "inputs");
            }
        }

        for (int i = 0; i < indices.Length; i++)
        {
            int v = (int)indices[i];
            resolved[i] = v < 0 ? v + size : v;
        }
    }

    // The flat position i of a (batch, ...sampleShape) tensor as a NumPy index, the batch row first: (1, 0, 3).
    private static string Position(int i, TensorShape sampleShape)
    {
        int perSample = sampleShape.ElementCount;
        var parts = new int[sampleShape.Rank + 1];
        int rest = i % perSample;
        for (int d = sampleShape.Rank - 1; d >= 0; d--)
        {
            parts[d + 1] = rest % sampleShape[d];
            rest /= sampleShape[d];
        }

        parts[0] = i / perSample;
        return $"({string.Join(", ", parts)})";
    }

    /// <summary>Throws when the axis is larger than float32 indices can reach exactly.</summary>
    public static void CheckReachable(int size, string layer, string axisName, string parameterName)
    {
        if (size > MaxExactSize)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{layer}: {axisName} has {size:N0} entries, but indices arrive as float32 values, which hold every whole number only up to {MaxExactSize:N0} (2^24)."), parameterName);
        }
    }
}
