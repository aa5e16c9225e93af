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
/// <para>The ids are whole numbers held in floats, in [0, numSegments); any other value fails before anything is written,
/// naming the layer, the value, its position and the range (TensorFlow drops negative ids and JAX out-of-range ones
/// silently). Keras infers num_segments when it is None; here it fixes the output's shape, so it is required. With
/// <c>sorted</c> (Keras' flag, a promise that the ids do not decrease) the ids are checked to be sorted, as TensorFlow
/// checks them on CPU; the result is the same.</para>
/// <para>Backward, each entry's gradient is its segment's (a gather); the ids get none (null). The sums add in id order on
/// one thread: the same bits whatever the thread count. Keras' operation takes no masks: the layer drops them.</para>
/// </remarks>
/// <example><c>SymbolicTensor aggregated = new SegmentSum(numSegments: nodes).Call(messages, edgeTargets);</c></example>
public sealed class SegmentSum : MultiInputLayer
{
    private int _count;
    private int _inner;
    private int[] _resolved = [];
    private Tensor? _output;
    private Tensor? _dataGradient;
    private Tensor? _lastData;

    /// <summary>Creates the layer.</summary>
    /// <param name="numSegments">The number of segments (Keras' <c>num_segments</c>): the output's first sample axis; ids run from 0 to numSegments - 1.</param>
    /// <param name="sorted">Whether the ids are promised not to decrease within a sample (Keras' <c>sorted</c>); checked.</param>
    /// <param name="name">The layer's name; the model names it <c>segment_sum</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numSegments"/> is less than 1 or more than 2^24.</exception>
    public SegmentSum(int numSegments, bool sorted = false, string? name = null)
        : base(name)
    {
        // Keras' operation takes no masks and warns of none: a mask stops here without a Model.Warnings entry.
        DropsMasks = true;

        NumSegments = Segments.CheckNumSegments(numSegments, nameof(SegmentSum));
        Sorted = sorted;
    }

    /// <summary>The number of segments (Keras' <c>num_segments</c>).</summary>
    public int NumSegments { get; }

    /// <summary>Whether the ids are promised sorted (Keras' <c>sorted</c>).</summary>
    public bool Sorted { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "segment_sum";

    /// <inheritdoc/>
    protected override int MinimumInputCount => 2;

    /// <inheritdoc/>
    protected override int MaximumInputCount => 2;

    /// <summary>Keras' arguments of the operation: <c>num_segments</c> and <c>sorted</c>.</summary>
    public override Config GetConfig() => base.GetConfig().Set("num_segments", NumSegments).Set("sorted", Sorted);

    /// <summary>Creates the layer from its config.</summary>
    internal static SegmentSum FromConfig(Config config) => new(config.GetInt32("num_segments"), config.GetBoolean("sorted"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        (_count, _inner, TensorShape output) = Segments.Layout(inputShapes[0], inputShapes[1], NumSegments, Describe());
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // data (batch, count, inner), ids (batch, count): y[s, k, :] = sum of data[s, j, :] over j with ids[s, j] = k.
        int batch = inputs[0].Shape[0];
        if (_resolved.Length < batch * _count)
        {
            _resolved = new int[batch * _count];
        }

        Span<int> ids = _resolved.AsSpan(0, batch * _count);
        IndexValues.Resolve(inputs[1].AsReadOnlySpan(), InputShapes[1], NumSegments, negativeFromEnd: false, ids, this, "segment ids");
        if (Sorted)
        {
            Segments.CheckSorted(ids, _count, this);
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        Span<float> y = output.AsSpan();
        y.Clear();
        ReadOnlySpan<float> x = inputs[0].AsReadOnlySpan();
        for (int s = 0; s < batch; s++)
        {
            for (int j = 0; j < _count; j++)
            {
                Span<float> row = y.Slice(((s * NumSegments) + ids[(s * _count) + j]) * _inner, _inner);
                System.Numerics.Tensors.TensorPrimitives.Add(row, x.Slice(((s * _count) + j) * _inner, _inner), row);
            }
        }

        _lastData = inputs[0];
        return output;
    }

    /// <inheritdoc/>
    protected override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        CheckForwardRan(_lastData, outputGradient);
        if (!ComputesInputGradient)
        {
            return;
        }

        // dData[s, j, :] = dY[s, ids[s, j], :].
        int batch = outputGradient.Shape[0];
        Tensor dataGradient = BatchView(ref _dataGradient, batch, InputShapes[0]);
        Span<float> dx = dataGradient.AsSpan();
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        for (int s = 0; s < batch; s++)
        {
            for (int j = 0; j < _count; j++)
            {
                dy.Slice(((s * NumSegments) + _resolved[(s * _count) + j]) * _inner, _inner).CopyTo(dx.Slice(((s * _count) + j) * _inner, _inner));
            }
        }

        inputGradients[0] = dataGradient;
        inputGradients[1] = null;
    }
}
