using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The base of <see cref="Take"/> and <see cref="TakeAlongAxis"/>: a layer without parameters of two inputs, the data and
/// integer indices held in floats, whose output reads the data at the indices, each sample its own. The base resolves the
/// indices (whole numbers in [-n, n), a negative one counting from the end, as in NumPy and Keras) before anything is
/// written, keeps the buffers, and runs the backward pass as the scatter-add of the output's gradient; the layers say
/// where each output entry is read.
/// </summary>
/// <remarks>
/// The indices get no gradient (null). Keras' operations take no masks: the layers drop them, without a
/// <see cref="Models.Model.Warnings"/> entry.
/// </remarks>
public abstract class IndexedGather : MultiInputLayer
{
    private readonly int? _axis;
    private int[] _resolved = [];
    private Tensor? _output;
    private Tensor? _dataGradient;
    private Tensor? _lastData;

    private protected IndexedGather(int? axis, string operation, string verb, string? name)
        : base(name)
    {
        // Keras' operation takes no masks and warns of none: a mask stops here without a Model.Warnings entry.
        DropsMasks = true;

        if (axis == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"{operation} expects a sample axis (1, 2, ..., or negative from the end): each sample {verb}s from its own data, so the batch axis 0 cannot be {verb}ed along. Received: axis=0.");
        }

        _axis = axis;
    }

    /// <inheritdoc/>
    protected override int MinimumInputCount => 2;

    /// <inheritdoc/>
    protected override int MaximumInputCount => 2;

    /// <summary>The axis as given (null: the sample flattened, for <see cref="Take"/>).</summary>
    private protected int? ConfiguredAxis => _axis;

    /// <summary>The number of entries the indices choose among (the gathered axis' size, or a flattened sample's).</summary>
    private protected abstract int IndexedSize { get; }

    /// <summary>Keras' <c>get_config</c> of the operation: <c>axis</c>.</summary>
    public override Config GetConfig() => base.GetConfig().Set("axis", (long?)_axis);

    /// <summary>Writes one sample's output <paramref name="y"/> from its data <paramref name="x"/> and resolved indices.</summary>
    private protected abstract void Gather(ReadOnlySpan<float> x, ReadOnlySpan<int> indices, Span<float> y);

    /// <summary>Adds one sample's output gradient <paramref name="dy"/> into its data gradient <paramref name="dx"/>, in output order.</summary>
    private protected abstract void ScatterAdd(ReadOnlySpan<float> dy, ReadOnlySpan<int> indices, Span<float> dx);

    /// <inheritdoc/>
    protected sealed override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        int batch = inputs[0].Shape[0], count = InputShapes[1].ElementCount;
        if (_resolved.Length < batch * count)
        {
            _resolved = new int[batch * count];
        }

        IndexValues.Resolve(inputs[1].AsReadOnlySpan(), InputShapes[1], IndexedSize, _resolved, this);
        Tensor output = BatchView(ref _output, batch, OutputShape);
        ReadOnlySpan<float> x = inputs[0].AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        int dataCount = InputShapes[0].ElementCount, outputCount = OutputShape.ElementCount;
        for (int s = 0; s < batch; s++)
        {
            Gather(x.Slice(s * dataCount, dataCount), _resolved.AsSpan(s * count, count), y.Slice(s * outputCount, outputCount));
        }

        _lastData = inputs[0];
        return output;
    }

    /// <inheritdoc/>
    protected sealed override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        CheckForwardRan(_lastData, outputGradient);
        if (!ComputesInputGradient)
        {
            return;
        }

        // Repeated indices (and broadcast axes) add their rows in output order on one thread: the same bits every run.
        int batch = outputGradient.Shape[0], count = InputShapes[1].ElementCount;
        Tensor dataGradient = BatchView(ref _dataGradient, batch, InputShapes[0]);
        Span<float> dx = dataGradient.AsSpan();
        dx.Clear();
        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        int dataCount = InputShapes[0].ElementCount, outputCount = OutputShape.ElementCount;
        for (int s = 0; s < batch; s++)
        {
            ScatterAdd(dy.Slice(s * outputCount, outputCount), _resolved.AsSpan(s * count, count), dx.Slice(s * dataCount, dataCount));
        }

        inputGradients[0] = dataGradient;
        inputGradients[1] = null;
    }
}
