using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Gathers entries of its first input along one axis at the integer indices its second input holds (Keras'
/// <c>ops.take(x, indices, axis)</c>, NumPy's <c>take</c>), for each sample on its own: data (batch, 5, 3) and indices
/// (batch, 4) taken along axis 1 give (batch, 4, 3), row <c>indices[s, j]</c> of sample s for each j. No parameters.
/// </summary>
/// <remarks>
/// <para>The output's shape is the data's with the gathered axis replaced by the indices' sample shape:
/// <c>data.shape[:axis] + indices.shape[1:] + data.shape[axis + 1:]</c>. Each sample reads its own indices, as
/// TensorFlow's <c>gather</c> with <c>batch_dims=1</c> does; the batch axis itself (0) cannot be gathered along. A graph's
/// node features (num_nodes, features) gathered at its edges' endpoints (num_edges) is one sample: data (1, num_nodes,
/// features) and indices (1, num_edges).</para>
/// <para>NeuralNet's tensors hold floats: the indices are whole numbers held in floats, as <see cref="Embedding"/>'s ids
/// are, in [-n, n) for an axis of n entries, a negative index counting from the end as in NumPy and Keras. Any other value
/// fails before anything is written, naming the layer, the value, its position and the range.</para>
/// <para>Backward, the data's gradient is the output's scattered back and added where an index repeats, in index order
/// on one thread (the same bits whatever the thread count); the indices get none (null). Keras' operation takes no
/// masks: the layer drops them.</para>
/// </remarks>
/// <example><c>SymbolicTensor neighbours = new Take(axis: 1).Call(nodeFeatures, edgeTargets);</c></example>
public sealed class Take : MultiInputLayer
{
    private int _outer;
    private int _size;
    private int _inner;
    private int _count;
    private int[] _resolved = [];
    private Tensor? _output;
    private Tensor? _dataGradient;
    private Tensor? _lastData;

    /// <summary>Creates the layer.</summary>
    /// <param name="axis">The data's axis to gather along, counting the batch axis (negative from the end); not 0.</param>
    /// <param name="name">The layer's name; the model names it <c>take</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is 0, the batch axis.</exception>
    public Take(int axis, string? name = null)
        : base(name)
    {
        // Keras' operation takes no masks and warns of none: a mask stops here without a Model.Warnings entry.
        DropsMasks = true;

        if (axis == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, "Take expects a sample axis (1, 2, ..., or negative from the end): each sample gathers from its own data, so the batch axis 0 cannot be gathered along. Received: axis=0.");
        }

        Axis = axis;
    }

    /// <summary>The data's axis gathered along, counting the batch axis (as given; negative counts from the end).</summary>
    public int Axis { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "take";

    /// <inheritdoc/>
    protected override int MinimumInputCount => 2;

    /// <inheritdoc/>
    protected override int MaximumInputCount => 2;

    /// <summary>Keras' <c>get_config</c> of the operation: <c>axis</c>.</summary>
    public override Config GetConfig() => base.GetConfig().Set("axis", Axis);

    /// <summary>Creates the layer from its config.</summary>
    internal static Take FromConfig(Config config) => new(config.GetInt32("axis"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        TensorShape data = inputShapes[0], indices = inputShapes[1];
        int axis = IndexValues.SampleAxis(Axis, data, Describe(), "gathers", nameof(inputShapes));
        IndexValues.CheckReachable(data[axis], Describe(), $"axis {Axis} of its data {data.ToBatchString()}", nameof(inputShapes));
        _outer = 1;
        for (int d = 0; d < axis; d++)
        {
            _outer *= data[d];
        }

        _size = data[axis];
        _inner = data.ElementCount / (_outer * _size);
        _count = indices.ElementCount;
        return new TensorShape([.. data.Dimensions[..axis], .. indices.Dimensions, .. data.Dimensions[(axis + 1)..]]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // data (batch, outer, size, inner), indices (batch, count): y[s, o, j, :] = data[s, o, indices[s, j], :].
        int batch = inputs[0].Shape[0];
        if (_resolved.Length < batch * _count)
        {
            _resolved = new int[batch * _count];
        }

        IndexValues.Resolve(inputs[1].AsReadOnlySpan(), InputShapes[1], _size, negativeFromEnd: true, _resolved, this, "indices");
        Tensor output = BatchView(ref _output, batch, OutputShape);
        ReadOnlySpan<float> x = inputs[0].AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int s = 0; s < batch; s++)
        {
            ReadOnlySpan<int> index = _resolved.AsSpan(s * _count, _count);
            for (int o = 0; o < _outer; o++)
            {
                int from = ((s * _outer) + o) * _size * _inner, to = ((s * _outer) + o) * _count * _inner;
                for (int j = 0; j < _count; j++)
                {
                    x.Slice(from + (index[j] * _inner), _inner).CopyTo(y.Slice(to + (j * _inner), _inner));
                }
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

        // dData[s, o, indices[s, j], :] += dY[s, o, j, :], j in order: a repeated index sums its rows the same way every run.
        int batch = outputGradient.Shape[0];
        Tensor dataGradient = BatchView(ref _dataGradient, batch, InputShapes[0]);
        Span<float> dx = dataGradient.AsSpan();
        dx.Clear();
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        for (int s = 0; s < batch; s++)
        {
            ReadOnlySpan<int> index = _resolved.AsSpan(s * _count, _count);
            for (int o = 0; o < _outer; o++)
            {
                int to = ((s * _outer) + o) * _size * _inner, from = ((s * _outer) + o) * _count * _inner;
                for (int j = 0; j < _count; j++)
                {
                    Span<float> row = dx.Slice(to + (index[j] * _inner), _inner);
                    System.Numerics.Tensors.TensorPrimitives.Add(row, dy.Slice(from + (j * _inner), _inner), row);
                }
            }
        }

        inputGradients[0] = dataGradient;
        inputGradients[1] = null;
    }
}
