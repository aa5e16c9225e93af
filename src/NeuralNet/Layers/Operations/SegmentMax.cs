using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The element-wise maximum of the entries of its first input that share a segment id in its second (Keras'
/// <c>ops.segment_max(data, segment_ids, num_segments, sorted)</c>), for each sample on its own: data (batch, 6, 4) and ids
/// (batch, 6) with <c>numSegments: 3</c> give (batch, 3, 4). No parameters.
/// </summary>
/// <remarks>
/// <para>Shapes, ids, <c>numSegments</c> and <c>sorted</c> are as for <see cref="SegmentSum"/>. A segment no id names holds
/// <see cref="float.MinValue"/> (-3.4028235e38), as with Keras' default TensorFlow backend (<c>unsorted_segment_max</c>
/// gives the lowest value of the type; the JAX and PyTorch backends give -inf).</para>
/// <para>Backward, a segment's gradient goes to the entries that hold its maximum, split evenly among ties (as
/// TensorFlow's gradient of <c>unsorted_segment_max</c> splits it); an empty segment's goes nowhere and the ids get none
/// (null). One thread, in id order: the same bits whatever the thread count. Keras' operation takes no masks: the layer
/// drops them.</para>
/// </remarks>
/// <example><c>SymbolicTensor pooled = new SegmentMax(numSegments: nodes).Call(messages, edgeTargets);</c></example>
public sealed class SegmentMax : MultiInputLayer
{
    private int _count;
    private int _inner;
    private int[] _resolved = [];
    private Tensor? _output;
    private Tensor? _ties;
    private Tensor? _dataGradient;
    private Tensor? _lastData;

    /// <summary>Creates the layer.</summary>
    /// <param name="numSegments">The number of segments (Keras' <c>num_segments</c>): the output's first sample axis; ids run from 0 to numSegments - 1.</param>
    /// <param name="sorted">Whether the ids are promised not to decrease within a sample (Keras' <c>sorted</c>); checked.</param>
    /// <param name="name">The layer's name; the model names it <c>segment_max</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numSegments"/> is less than 1 or more than 2^24.</exception>
    public SegmentMax(int numSegments, bool sorted = false, string? name = null)
        : base(name)
    {
        // Keras' operation takes no masks and warns of none: a mask stops here without a Model.Warnings entry.
        DropsMasks = true;

        NumSegments = Segments.CheckNumSegments(numSegments, nameof(SegmentMax));
        Sorted = sorted;
    }

    /// <summary>The value of a segment no id names: float32's lowest, as TensorFlow's <c>unsorted_segment_max</c> gives.</summary>
    public const float EmptySegmentValue = float.MinValue;

    /// <summary>The number of segments (Keras' <c>num_segments</c>).</summary>
    public int NumSegments { get; }

    /// <summary>Whether the ids are promised sorted (Keras' <c>sorted</c>).</summary>
    public bool Sorted { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "segment_max";

    /// <inheritdoc/>
    protected override int MinimumInputCount => 2;

    /// <inheritdoc/>
    protected override int MaximumInputCount => 2;

    /// <summary>Keras' arguments of the operation: <c>num_segments</c> and <c>sorted</c>.</summary>
    public override Config GetConfig() => base.GetConfig().Set("num_segments", NumSegments).Set("sorted", Sorted);

    /// <summary>Creates the layer from its config.</summary>
    internal static SegmentMax FromConfig(Config config) => new(config.GetInt32("num_segments"), config.GetBoolean("sorted"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        (_count, _inner, TensorShape output) = Segments.Layout(inputShapes[0], inputShapes[1], NumSegments, Describe());
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // data (batch, count, inner), ids (batch, count): y[s, k, :] = max of data[s, j, :] over j with ids[s, j] = k.
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
        y.Fill(EmptySegmentValue);
        ReadOnlySpan<float> x = inputs[0].AsReadOnlySpan();
        for (int s = 0; s < batch; s++)
        {
            for (int j = 0; j < _count; j++)
            {
                Span<float> row = y.Slice(((s * NumSegments) + ids[(s * _count) + j]) * _inner, _inner);
                System.Numerics.Tensors.TensorPrimitives.Max(row, x.Slice(((s * _count) + j) * _inner, _inner), row);
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

        // ties[s, k, i] = how many entries of segment k hold its maximum at i; dData[s, j, i] = dY[s, k, i] / ties[s, k, i]
        // where data[s, j, i] is that maximum (k = ids[s, j]), 0 elsewhere.
        int batch = outputGradient.Shape[0];
        Tensor dataGradient = BatchView(ref _dataGradient, batch, InputShapes[0]);
        Span<float> ties = BatchView(ref _ties, batch, OutputShape).AsSpan();
        Span<float> dx = dataGradient.AsSpan();
        ties.Clear();
        ReadOnlySpan<float> x = _lastData!.AsReadOnlySpan(), y = _output!.AsReadOnlySpan(), dy = outputGradient.AsReadOnlySpan();
        for (int pass = 0; pass < 2; pass++)
        {
            for (int s = 0; s < batch; s++)
            {
                for (int j = 0; j < _count; j++)
                {
                    int segment = ((s * NumSegments) + _resolved[(s * _count) + j]) * _inner, entry = ((s * _count) + j) * _inner;
                    for (int i = 0; i < _inner; i++)
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

        inputGradients[0] = dataGradient;
        inputGradients[1] = null;
    }
}
