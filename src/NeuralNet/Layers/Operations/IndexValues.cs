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
    /// Checks every index of the batch and writes it as an int: whole numbers in [-size, size), a negative one counting
    /// from the end as NumPy's and Keras' do (-1 the last). Nothing is written unless every index is valid.
    /// </summary>
    /// <param name="indices">The batch's indices, (batch, ...) flattened.</param>
    /// <param name="sampleShape">The indices' shape per sample, to name the position of a bad one.</param>
    /// <param name="size">The number of valid targets (the size of the gathered axis).</param>
    /// <param name="resolved">Receives the indices in [0, size).</param>
    /// <param name="layer">The layer, named by the message (described only then: a description is a new string).</param>
    /// <exception cref="ArgumentException">An index is not a whole number in the range; the message names the layer, the value, its position (the batch row first) and the range.</exception>
    public static void Resolve(ReadOnlySpan<float> indices, TensorShape sampleShape, int size, Span<int> resolved, Layer layer)
    {
        int low = -size;
        for (int i = 0; i < indices.Length; i++)
        {
            float v = indices[i];
            if (!(v >= low && v < size && v == MathF.Floor(v)))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{layer.Description} expects indices that are whole numbers in [{low}, {size}) but got {v} at position {Position(i, sampleShape)} of its indices {sampleShape.ToBatchString()}."), "inputs");
            }
        }

        for (int i = 0; i < indices.Length; i++)
        {
            int v = (int)indices[i];
            resolved[i] = v < 0 ? v + size : v;
        }
    }

    /// <summary>
    /// Checks every segment id of the batch and writes it as an int, as Keras' backends read them: a whole number in
    /// [0, numSegments) names its segment; a negative one is written -1 and one at or past numSegments is written
    /// numSegments, both dropped by the reductions (TensorFlow drops negative ids, JAX and Keras' PyTorch backend drop
    /// every id out of range). The clamping keeps the ids' order, so a sorted check reads the written ids. Nothing is
    /// written unless every id is a whole number.
    /// </summary>
    /// <exception cref="ArgumentException">An id is not a whole number (a fraction, NaN, an infinity); the message names the layer, the value and its position.</exception>
    public static void ResolveSegmentIds(ReadOnlySpan<float> ids, TensorShape sampleShape, int numSegments, Span<int> resolved, Layer layer)
    {
        for (int i = 0; i < ids.Length; i++)
        {
            float v = ids[i];
            if (!(float.IsFinite(v) && v == MathF.Floor(v)))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{layer.Description} expects segment ids that are whole numbers (those in [0, {numSegments}) name a segment, the others are dropped, as Keras' backends drop them) but got {v} at position {Position(i, sampleShape)} of its segment ids {sampleShape.ToBatchString()}."), "inputs");
            }
        }

        for (int i = 0; i < ids.Length; i++)
        {
            float v = ids[i];
            resolved[i] = v < 0 ? -1 : v >= numSegments ? numSegments : (int)v;
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
