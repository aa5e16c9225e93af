using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The base of <see cref="SegmentSum"/> and <see cref="SegmentMax"/> (Keras' <c>ops.segment_sum</c>,
/// <c>ops.segment_max</c>): a layer without parameters of two inputs, the data and segment ids held in floats, reducing
/// each sample's entries that share an id into (numSegments, the data's remaining axes). The base checks and resolves the
/// ids, checks a <c>sorted</c> promise, keeps the buffers and the forward and backward frame; the layers reduce.
/// </summary>
/// <remarks>
/// <para>The ids' sample shape is the first axes of the data's (one id per entry). An id is a whole number; one in
/// [0, numSegments) names its segment, and the others are dropped, as Keras' backends drop them: JAX
/// (<c>jax.ops.segment_sum</c>, mode drop) and Keras' PyTorch backend drop every id out of range, TensorFlow's
/// <c>unsorted_segment_sum</c> / <c>unsorted_segment_max</c> negative ones (and ids at or past num_segments on a GPU; on a
/// CPU it raises for those instead). A dropped entry gets a zero gradient. An id that is not a whole number (a fraction,
/// NaN, an infinity) fails before anything is written, naming the layer, the value and its position.</para>
/// <para>Keras infers num_segments when it is None; here it fixes the output's shape, so it is required. With
/// <c>sorted</c> (Keras' flag, a promise that the ids do not decrease) the ids are checked to be sorted, as TensorFlow
/// checks them on CPU; the result is the same. The ids get no gradient (null); the layers drop masks, as Keras'
/// operations, which take none, do (without a <see cref="Models.Model.Warnings"/> entry).</para>
/// </remarks>
public abstract class SegmentReduction : MultiInputLayer
{
    private int _count;
    private int _inner;
    private int[] _resolved = [];
    private Tensor? _output;
    private Tensor? _dataGradient;
    private Tensor? _lastData;

    private protected SegmentReduction(int numSegments, bool sorted, string operation, string? name)
        : base(name)
    {
        // Keras' operation takes no masks and warns of none: a mask stops here without a Model.Warnings entry.
        DropsMasks = true;

        NumSegments = Segments.CheckNumSegments(numSegments, operation);
        Sorted = sorted;
    }

    /// <summary>The number of segments (Keras' <c>num_segments</c>).</summary>
    public int NumSegments { get; }

    /// <summary>Whether the ids are promised sorted (Keras' <c>sorted</c>).</summary>
    public bool Sorted { get; }

    /// <inheritdoc/>
    protected override int MinimumInputCount => 2;

    /// <inheritdoc/>
    protected override int MaximumInputCount => 2;

    /// <summary>The entries of the data each id stands for (the data's axes after the ids').</summary>
    private protected int Inner => _inner;

    /// <summary>The data of the last forward pass (batch, ...), for a backward pass that reads it.</summary>
    private protected Tensor LastData => _lastData!;

    /// <summary>The output of the last forward pass, for a backward pass that reads it.</summary>
    private protected Tensor LastOutput => _output!;

    /// <summary>The value of a segment no id names.</summary>
    private protected abstract float EmptyValue { get; }

    /// <summary>Keras' arguments of the operation: <c>num_segments</c> and <c>sorted</c>.</summary>
    public override Config GetConfig() => base.GetConfig().Set("num_segments", NumSegments).Set("sorted", Sorted);

    /// <inheritdoc/>
    protected sealed override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        (_count, _inner, TensorShape output) = Segments.Layout(inputShapes[0], inputShapes[1], NumSegments, Describe());
        return output;
    }

    /// <summary>Folds one entry's row <paramref name="x"/> (inner values) into its segment's row <paramref name="y"/>.</summary>
    private protected abstract void Reduce(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>
    /// Writes the data's gradient for one batch: <paramref name="ids"/> (batch, count) resolved, an id outside
    /// [0, numSegments) dropped (its entries' gradient 0); <paramref name="dy"/> the output's gradient (batch, numSegments, inner).
    /// </summary>
    private protected abstract void Gradient(ReadOnlySpan<int> ids, int count, ReadOnlySpan<float> dy, Span<float> dx);

    /// <inheritdoc/>
    protected sealed override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // data (batch, count, inner), ids (batch, count): y[s, k, :] = the reduction of data[s, j, :] over j with ids[s, j] = k.
        int batch = inputs[0].Shape[0];
        if (_resolved.Length < batch * _count)
        {
            _resolved = new int[batch * _count];
        }

        Span<int> ids = _resolved.AsSpan(0, batch * _count);
        IndexValues.ResolveSegmentIds(inputs[1].AsReadOnlySpan(), InputShapes[1], NumSegments, ids, this);
        if (Sorted)
        {
            Segments.CheckSorted(ids, inputs[1].AsReadOnlySpan(), _count, this);
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        Span<float> y = output.AsSpan();
        y.Fill(EmptyValue);
        ReadOnlySpan<float> x = inputs[0].AsReadOnlySpan();
        for (int s = 0; s < batch; s++)
        {
            for (int j = 0; j < _count; j++)
            {
                int k = ids[(s * _count) + j];
                if ((uint)k < (uint)NumSegments)
                {
                    Reduce(x.Slice(((s * _count) + j) * _inner, _inner), y.Slice(((s * NumSegments) + k) * _inner, _inner));
                }
            }
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

        int batch = outputGradient.Shape[0];
        Tensor dataGradient = BatchView(ref _dataGradient, batch, InputShapes[0]);
        Gradient(_resolved.AsSpan(0, batch * _count), _count, outputGradient.AsReadOnlySpan(), dataGradient.AsSpan());
        inputGradients[0] = dataGradient;
        inputGradients[1] = null;
    }
}
