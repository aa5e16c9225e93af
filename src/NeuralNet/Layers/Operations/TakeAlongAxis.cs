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
public sealed class TakeAlongAxis : MultiInputLayer
{
    private int _size;
    private int _stride;
    private int _dataCount;
    private int _indexCount;
    private int[] _dataOffset = [];
    private int[] _indexOffset = [];
    private int[] _resolved = [];
    private Tensor? _output;
    private Tensor? _dataGradient;
    private Tensor? _lastData;

    /// <summary>Creates the layer.</summary>
    /// <param name="axis">The axis to pick along, counting the batch axis (negative from the end); not 0.</param>
    /// <param name="name">The layer's name; the model names it <c>take_along_axis</c>, ... when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is 0, the batch axis.</exception>
    public TakeAlongAxis(int axis, string? name = null)
        : base(name)
    {
        // Keras' operation takes no masks and warns of none: a mask stops here without a Model.Warnings entry.
        DropsMasks = true;

        if (axis == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, "TakeAlongAxis expects a sample axis (1, 2, ..., or negative from the end): each sample picks from its own data, so the batch axis 0 cannot be picked along. Received: axis=0.");
        }

        Axis = axis;
    }

    /// <summary>The axis picked along, counting the batch axis (as given; negative counts from the end).</summary>
    public int Axis { get; }

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "take_along_axis";

    /// <inheritdoc/>
    protected override int MinimumInputCount => 2;

    /// <inheritdoc/>
    protected override int MaximumInputCount => 2;

    /// <summary>Keras' <c>get_config</c> of the operation: <c>axis</c>.</summary>
    public override Config GetConfig() => base.GetConfig().Set("axis", Axis);

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
        _dataCount = data.ElementCount;
        _indexCount = indices.ElementCount;
        return shape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        int batch = inputs[0].Shape[0];
        if (_resolved.Length < batch * _indexCount)
        {
            _resolved = new int[batch * _indexCount];
        }

        IndexValues.Resolve(inputs[1].AsReadOnlySpan(), InputShapes[1], _size, negativeFromEnd: true, _resolved, this, "indices");
        Tensor output = BatchView(ref _output, batch, OutputShape);
        ReadOnlySpan<float> x = inputs[0].AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int count = _dataOffset.Length;
        for (int s = 0; s < batch; s++)
        {
            int dataBase = s * _dataCount, indexBase = s * _indexCount, outputBase = s * count;
            for (int p = 0; p < count; p++)
            {
                y[outputBase + p] = x[dataBase + _dataOffset[p] + (_resolved[indexBase + _indexOffset[p]] * _stride)];
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

        // dData[s, picked(p)] += dY[s, p], p in order: repeats and broadcast axes sum the same way every run.
        int batch = outputGradient.Shape[0];
        Tensor dataGradient = BatchView(ref _dataGradient, batch, InputShapes[0]);
        Span<float> dx = dataGradient.AsSpan();
        dx.Clear();
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        int count = _dataOffset.Length;
        for (int s = 0; s < batch; s++)
        {
            int dataBase = s * _dataCount, indexBase = s * _indexCount, outputBase = s * count;
            for (int p = 0; p < count; p++)
            {
                dx[dataBase + _dataOffset[p] + (_resolved[indexBase + _indexOffset[p]] * _stride)] += dy[outputBase + p];
            }
        }

        inputGradients[0] = dataGradient;
        inputGradients[1] = null;
    }
}
