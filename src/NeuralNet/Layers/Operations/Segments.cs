using System.Globalization;

namespace NeuralNet.Layers;

/// <summary>
/// The shapes and checks shared by <see cref="SegmentSum"/> and <see cref="SegmentMax"/> (Keras' <c>ops.segment_sum</c>,
/// <c>ops.segment_max</c>), per sample: data (count, ...inner) with its first axes the segment ids' shape (count), and an
/// output of (numSegments, ...inner).
/// </summary>
internal static class Segments
{
    /// <summary>Refuses a number of segments that is not positive or that float32 ids cannot all name.</summary>
    public static int CheckNumSegments(int numSegments, string layer)
    {
        if (numSegments < 1 || numSegments > IndexValues.MaxExactSize)
        {
            throw new ArgumentOutOfRangeException(nameof(numSegments), numSegments, string.Create(CultureInfo.InvariantCulture,
                $"{layer} expects numSegments (Keras' num_segments) to be a positive number of segments, at most {IndexValues.MaxExactSize:N0} (2^24: ids arrive as float32 values). It fixes the output's first sample axis, so it cannot be inferred from the ids. Received: numSegments={numSegments}."));
        }

        return numSegments;
    }

    /// <summary>The ids per sample, the entries each id sums or compares, and the output shape (numSegments, ...inner).</summary>
    /// <exception cref="ArgumentException">The ids' sample shape is not the first axes of the data's.</exception>
    public static (int Count, int Inner, TensorShape Output) Layout(TensorShape data, TensorShape ids, int numSegments, string layer)
    {
        if (ids.Rank > data.Rank || !data.Dimensions[..ids.Rank].SequenceEqual(ids.Dimensions))
        {
            throw new ArgumentException(
                $"{layer} expects segment ids whose shape is the first axes of the data's (Keras: data.shape[:len(segment_ids.shape)] should match), one id per entry; got data {data.ToBatchString()} and segment ids {ids.ToBatchString()}.", "inputShapes");
        }

        int count = ids.ElementCount;
        return (count, data.ElementCount / count, new TensorShape([numSegments, .. data.Dimensions[ids.Rank..]]));
    }

    /// <summary>
    /// With Keras' <c>sorted=True</c>, refuses ids that decrease within a sample (TensorFlow checks them so on CPU).
    /// <paramref name="ids"/> are the resolved ids (dropped ones clamped to -1 or numSegments, which keeps their order);
    /// <paramref name="given"/> the ids as given, for the message.
    /// </summary>
    public static void CheckSorted(ReadOnlySpan<int> ids, ReadOnlySpan<float> given, int perSample, Layer layer)
    {
        for (int i = 1; i < ids.Length; i++)
        {
            if (i % perSample != 0 && ids[i] < ids[i - 1])
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{layer.Description} was told its segment ids are sorted (sorted: true) but row {i / perSample} holds {given[i - 1]} then {given[i]} at positions {(i % perSample) - 1} and {i % perSample}; sort them, or pass sorted: false."), "inputs");
            }
        }
    }
}
