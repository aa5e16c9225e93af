using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Picks entries of its first input along one axis at the integer indices its second input holds at the same position
/// (Keras' <c>ops.take_along_axis(x, indices, axis)</c>, NumPy's <c>take_along_axis</c>): data (batch, 5, 3) and indices
/// (batch, 2, 3) along axis 1 give (batch, 2, 3), <c>y[s, i, c] = data[s, indices[s, i, c], c]</c>. No parameters.
/// </summary>
/// <remarks>
/// <para>Both inputs have the same rank. On every sample axis but the gathered one their sizes are equal or one of them is
/// 1, which is repeated as NumPy broadcasts it; the output has the broadcast sizes, and the indices' size on the gathered
/// axis. The batch axis is never broadcast nor gathered along: each sample reads its own data.</para>
/// <para>The indices are whole numbers held in floats, in [-n, n) for an axis of n entries (a negative index counts from
/// the end, as in NumPy and Keras); any other value fails before anything is written, naming the layer, the value, its
/// position and the range.</para>
/// <para>Backward, the data's gradient is the output's added back at the picked positions (summed over repeats and over
/// broadcast axes), in output order on one thread: the same bits whatever the thread count. The indices get none (null).
/// Keras' operation takes no masks: the layer drops them.</para>
/// </remarks>
/// <example><c>SymbolicTensor best = new TakeAlongAxis(axis: -1).Call(scores, argmaxIndices);</c></example>
public sealed class TakeAlongAxis : IndexedGather
{
    private int _size;
    private int _stride;
    private int[] _dataOffset = [];
    private int[] _indexOffset = [];

    /// <summary>Creates the layer.</summary>
    /// <param name="axis">The axis to pick along, counting the batch axis (negative from the end); not 0.</param>
    /// <param name="name">The layer's name; the model names it <c>take_along_axis</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is 0, the batch axis.</exception>
    public TakeAlongAxis(int axis, string? name = null)
        : base(axis, nameof(TakeAlongAxis), "pick", name)
    {
    }

    /// <summary>The axis picked along, counting the batch axis (as given; negative counts from the end).</summary>
    public int Axis => ConfiguredAxis!.Value;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "take_along_axis";

    /// <inheritdoc/>
    private protected override int IndexedSize => _size;

    /// <summary>Creates the layer from its config.</summary>
    internal static TakeAlongAxis FromConfig(Config config) => new(config.GetInt32("axis"), config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        TensorShape data = inputShapes[0], indices = inputShapes[1];
        string shapes = $"data {data.ToBatchString()} and indices {indices.ToBatchString()}";
        if (data.Rank != indices.Rank)
        {
            throw new ArgumentException($"{Describe()} expects data and indices of the same rank, as NumPy's take_along_axis does; got {shapes}.", nameof(inputShapes));
        }

        int axis = IndexValues.SampleAxis(Axis, data, Describe(), "picks", nameof(inputShapes));
        IndexValues.CheckReachable(data[axis], Describe(), $"axis {Axis} of its data {data.ToBatchString()}", nameof(inputShapes));
        int rank = data.Rank;
        var output = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            output[d] = d == axis || data[d] == indices[d] || data[d] == 1 ? indices[d]
                : indices[d] == 1 ? data[d]
                : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()}: axis {d + 1} has {data[d]} entries in the data and {indices[d]} in the indices; {shapes}, and on every axis but {Axis} they must be equal or one of them 1."), nameof(inputShapes));
        }

        // For each output position p (row-major), the data offset without the gathered axis' part and the indices' offset,
        // size-1 axes pinned at 0: y[s, p] = data[s, dataOffset[p] + index * stride].
        var shape = new TensorShape(output);
        int count = shape.ElementCount;
        _dataOffset = new int[count];
        _indexOffset = new int[count];
        for (int p = 0; p < count; p++)
        {
            int rest = p, dataOffset = 0, indexOffset = 0, dataStride = 1, indexStride = 1;
            for (int d = rank - 1; d >= 0; d--)
            {
                int position = rest % output[d];
                rest /= output[d];
                dataOffset += (d == axis || data[d] == 1 ? 0 : position) * dataStride;
                indexOffset += (indices[d] == 1 ? 0 : position) * indexStride;
                if (d == axis)
                {
                    _stride = dataStride;
                }

                dataStride *= data[d];
                indexStride *= indices[d];
            }

            _dataOffset[p] = dataOffset;
            _indexOffset[p] = indexOffset;
        }

        _size = data[axis];
        return shape;
    }

    // One sample: y[p] = data[dataOffset[p] + indices[indexOffset[p]] * stride].
    private protected override void Gather(ReadOnlySpan<float> x, ReadOnlySpan<int> indices, Span<float> y)
    {
        for (int p = 0; p < _dataOffset.Length; p++)
        {
            y[p] = x[_dataOffset[p] + (indices[_indexOffset[p]] * _stride)];
        }
    }

    // dData[picked(p)] += dY[p], p in order: repeats and broadcast axes sum the same way every run.
    private protected override void ScatterAdd(ReadOnlySpan<float> dy, ReadOnlySpan<int> indices, Span<float> dx)
    {
        for (int p = 0; p < _dataOffset.Length; p++)
        {
            dx[_dataOffset[p] + (indices[_indexOffset[p]] * _stride)] += dy[p];
        }
    }
}
