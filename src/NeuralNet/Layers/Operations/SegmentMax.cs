using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The element-wise maximum of the entries of its first input that share a segment id in its second (Keras'
/// <c>ops.segment_max(data, segment_ids, num_segments, sorted)</c>), for each sample on its own: data (batch, 6, 4) and ids
/// (batch, 6) with <c>numSegments: 3</c> give (batch, 3, 4). No parameters.
/// </summary>
/// <remarks>
/// <para>Shapes, ids (an id outside [0, numSegments) dropped), <c>numSegments</c> and <c>sorted</c> are as for
/// <see cref="SegmentSum"/>. A segment no id names holds
/// <see cref="float.MinValue"/> (-3.4028235e38), as with Keras' default TensorFlow backend (<c>unsorted_segment_max</c>
/// gives the lowest value of the type; the JAX and PyTorch backends give -inf).</para>
/// <para>Backward, a segment's gradient goes to the entries that hold its maximum, split evenly among ties (as
/// TensorFlow's gradient of <c>unsorted_segment_max</c> splits it); an empty segment's goes nowhere, an entry of a dropped
/// id gets 0, and the ids get none
/// (null). One thread, in id order: the same bits whatever the thread count. Keras' operation takes no masks: the layer
/// drops them.</para>
/// </remarks>
/// <example><c>SymbolicTensor pooled = new SegmentMax(numSegments: nodes).Call(messages, edgeTargets);</c></example>
public sealed class SegmentMax : SegmentReduction
{
    private Tensor? _ties;

    /// <summary>Creates the layer.</summary>
    /// <param name="numSegments">The number of segments (Keras' <c>num_segments</c>): the output's first sample axis; ids run from 0 to numSegments - 1.</param>
    /// <param name="sorted">Whether the ids are promised not to decrease within a sample (Keras' <c>sorted</c>); checked.</param>
    /// <param name="name">The layer's name; the model names it <c>segment_max</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numSegments"/> is less than 1 or more than 2^24.</exception>
    public SegmentMax(int numSegments, bool sorted = false, string? name = null)
        : base(numSegments, sorted, nameof(SegmentMax), name)
    {
    }

    /// <summary>The value of a segment no id names: float32's lowest, as TensorFlow's <c>unsorted_segment_max</c> gives.</summary>
    public const float EmptySegmentValue = float.MinValue;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "segment_max";

    /// <inheritdoc/>
    private protected override float EmptyValue => EmptySegmentValue;

    /// <summary>Creates the layer from its config.</summary>
    internal static SegmentMax FromConfig(Config config) => new(config.GetInt32("num_segments"), config.GetBoolean("sorted"), config.GetString("name"));

    /// <inheritdoc/>
    private protected override void Reduce(ReadOnlySpan<float> x, Span<float> y) => System.Numerics.Tensors.TensorPrimitives.Max(y, x, y);

    // ties[s, k, i] = how many entries of segment k hold its maximum at i; dData[s, j, i] = dY[s, k, i] / ties[s, k, i]
    // where data[s, j, i] is that maximum (k = ids[s, j]), 0 elsewhere and for a dropped id.
    private protected override void Gradient(ReadOnlySpan<int> ids, int count, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int inner = Inner, batch = ids.Length / count;
        Span<float> ties = BatchView(ref _ties, batch, OutputShape).AsSpan();
        ties.Clear();
        ReadOnlySpan<float> x = LastData.AsReadOnlySpan(), y = LastOutput.AsReadOnlySpan();
        for (int pass = 0; pass < 2; pass++)
        {
            for (int e = 0; e < ids.Length; e++)
            {
                int k = ids[e], entry = e * inner;
                if ((uint)k >= (uint)NumSegments)
                {
                    if (pass == 1)
                    {
                        dx.Slice(entry, inner).Clear();
                    }

                    continue;
                }

                int segment = (((e / count) * NumSegments) + k) * inner;
                for (int i = 0; i < inner; i++)
                {
                    bool holds = x[entry + i] == y[segment + i];
                    if (pass == 0)
                    {
                        ties[segment + i] += holds ? 1f : 0f;
                    }
                    else
                    {
                        dx[entry + i] = holds ? dy[segment + i] / ties[segment + i] : 0f;
                    }
                }
            }
        }
    }
}
