using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Sums the entries of its first input that share a segment id in its second (Keras' <c>ops.segment_sum(data,
/// segment_ids, num_segments, sorted)</c>), for each sample on its own: data (batch, 6, 4) and ids (batch, 6) with
/// <c>numSegments: 3</c> give (batch, 3, 4), row k the sum of the rows whose id is k. No parameters.
/// </summary>
/// <remarks>
/// <para>The ids' sample shape is the first axes of the data's (one id per entry); the output is (numSegments, the data's
/// remaining axes). A segment no id names sums to 0. This is a graph network's aggregation: messages (1, num_edges,
/// features) summed at their target nodes (1, num_edges) with <c>numSegments</c> = num_nodes.</para>
/// <para>The ids are whole numbers held in floats; an id outside [0, numSegments) is dropped, as Keras' backends drop it,
/// and a value that is not a whole number fails before anything is written, naming the layer, the value and its position
/// (see <see cref="SegmentReduction"/>). Keras infers num_segments when it is None; here it fixes the output's shape, so
/// it is required. With <c>sorted</c> (Keras' flag, a promise that the ids do not decrease) the ids are checked to be
/// sorted, as TensorFlow checks them on CPU; the result is the same.</para>
/// <para>Backward, each entry's gradient is its segment's (a gather), 0 for a dropped id; the ids get none (null). The sums add in id order on
/// one thread: the same bits whatever the thread count. Keras' operation takes no masks: the layer drops them.</para>
/// </remarks>
/// <example><c>SymbolicTensor aggregated = new SegmentSum(numSegments: nodes).Call(messages, edgeTargets);</c></example>
public sealed class SegmentSum : SegmentReduction
{
    /// <summary>Creates the layer.</summary>
    /// <param name="numSegments">The number of segments (Keras' <c>num_segments</c>): the output's first sample axis; ids run from 0 to numSegments - 1.</param>
    /// <param name="sorted">Whether the ids are promised not to decrease within a sample (Keras' <c>sorted</c>); checked.</param>
    /// <param name="name">The layer's name; the model names it <c>segment_sum</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numSegments"/> is less than 1 or more than 2^24.</exception>
    public SegmentSum(int numSegments, bool sorted = false, string? name = null)
        : base(numSegments, sorted, nameof(SegmentSum), name)
    {
    }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "segment_sum";

    /// <inheritdoc/>
    private protected override float EmptyValue => 0f;

    /// <summary>Creates the layer from its config.</summary>
    internal static SegmentSum FromConfig(Config config) => new(config.GetInt32("num_segments"), config.GetBoolean("sorted"), config.GetString("name"));

    /// <inheritdoc/>
    private protected override void Reduce(ReadOnlySpan<float> x, Span<float> y) => System.Numerics.Tensors.TensorPrimitives.Add(y, x, y);

    // dData[s, j, :] = dY[s, ids[s, j], :]; 0 for a dropped id.
    private protected override void Gradient(ReadOnlySpan<int> ids, int count, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int inner = Inner;
        for (int i = 0; i < ids.Length; i++)
        {
            Span<float> row = dx.Slice(i * inner, inner);
            int k = ids[i];
            if ((uint)k < (uint)NumSegments)
            {
                dy.Slice((((i / count) * NumSegments) + k) * inner, inner).CopyTo(row);
            }
            else
            {
                row.Clear();
            }
        }
    }
}
