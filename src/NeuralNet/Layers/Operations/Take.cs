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
/// <para>With no axis (null, Keras' default <c>axis=None</c>, which flattens <c>x</c>) each sample's data is read
/// flattened in row-major order: data (batch, 2, 3) and indices (batch, 4) give (batch, 4), entry <c>indices[s, j]</c> of
/// sample s's six; the output has the indices' shape.</para>
/// <para>NeuralNet's tensors hold floats: the indices are whole numbers held in floats, as <see cref="Embedding"/>'s ids
/// are, in [-n, n) for an axis of n entries (the sample's entry count with no axis), a negative index counting from the end
/// as in NumPy and Keras. Any other value fails before anything is written, naming the layer, the value, its position and
/// the range.</para>
/// <para>Backward, the data's gradient is the output's scattered back and added where an index repeats, in index order
/// on one thread (the same bits whatever the thread count); the indices get none (null). Keras' operation takes no
/// masks: the layer drops them.</para>
/// </remarks>
/// <example><c>SymbolicTensor neighbours = new Take(axis: 1).Call(nodeFeatures, edgeTargets);</c></example>
public sealed class Take : IndexedGather
{
    private int _outer;
    private int _size;
    private int _inner;

    /// <summary>Creates the layer.</summary>
    /// <param name="axis">The data's axis to gather along, counting the batch axis (negative from the end); not 0. Null (Keras' default) reads each sample's data flattened.</param>
    /// <param name="name">The layer's name; the model names it <c>take</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is 0, the batch axis.</exception>
    public Take(int? axis = null, string? name = null)
        : base(axis, nameof(Take), "gather", name)
    {
    }

    /// <summary>The data's axis gathered along, counting the batch axis (as given; negative counts from the end); null when each sample is read flattened.</summary>
    public int? Axis => ConfiguredAxis;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "take";

    /// <inheritdoc/>
    private protected override int IndexedSize => _size;

    /// <summary>Creates the layer from its config (<c>axis</c> null or absent: flattened, Keras' default).</summary>
    internal static Take FromConfig(Config config) =>
        new(config.Contains("axis") ? config.GetInt32("axis") : null, config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        TensorShape data = inputShapes[0], indices = inputShapes[1];
        if (Axis is not int given)
        {
            // Keras flattens x: one axis of all the sample's entries, the output the indices' shape.
            IndexValues.CheckReachable(data.ElementCount, Describe(), $"its data {data.ToBatchString()}, read flattened (axis null),", nameof(inputShapes));
            (_outer, _size, _inner) = (1, data.ElementCount, 1);
            return indices;
        }

        int axis = IndexValues.SampleAxis(given, data, Describe(), "gathers", nameof(inputShapes));
        IndexValues.CheckReachable(data[axis], Describe(), $"axis {given} of its data {data.ToBatchString()}", nameof(inputShapes));
        _outer = 1;
        for (int d = 0; d < axis; d++)
        {
            _outer *= data[d];
        }

        _size = data[axis];
        _inner = data.ElementCount / (_outer * _size);
        return new TensorShape([.. data.Dimensions[..axis], .. indices.Dimensions, .. data.Dimensions[(axis + 1)..]]);
    }

    // One sample: data (outer, size, inner), indices (count): y[o, j, :] = data[o, indices[j], :].
    private protected override void Gather(ReadOnlySpan<float> x, ReadOnlySpan<int> indices, Span<float> y)
    {
        int count = indices.Length;
        for (int o = 0; o < _outer; o++)
        {
            int from = o * _size * _inner, to = o * count * _inner;
            for (int j = 0; j < count; j++)
            {
                x.Slice(from + (indices[j] * _inner), _inner).CopyTo(y.Slice(to + (j * _inner), _inner));
            }
        }
    }

    // dData[o, indices[j], :] += dY[o, j, :], j in order.
    private protected override void ScatterAdd(ReadOnlySpan<float> dy, ReadOnlySpan<int> indices, Span<float> dx)
    {
        int count = indices.Length;
        for (int o = 0; o < _outer; o++)
        {
            int to = o * _size * _inner, from = o * count * _inner;
            for (int j = 0; j < count; j++)
            {
                Span<float> row = dx.Slice(to + (indices[j] * _inner), _inner);
                System.Numerics.Tensors.TensorPrimitives.Add(row, dy.Slice(from + (j * _inner), _inner), row);
            }
        }
    }
}
