using System.Globalization;

namespace NeuralNet.Layers;

/// <summary>
/// The base of the element-wise merge layers (<see cref="Add"/>, <see cref="Subtract"/>, <see cref="Multiply"/>,
/// <see cref="Average"/>, <see cref="Maximum"/>, <see cref="Minimum"/>), as Keras' <c>Merge</c>: inputs of one shape,
/// combined element by element into an output of that shape.
/// </summary>
/// <remarks>
/// Unlike Keras, the inputs must have equal per-sample shapes: no broadcasting of size-1 axes. Masks follow Keras 3: the
/// output has a mask only when every input has one, and it is their OR; <see cref="Multiply"/>, <see cref="Maximum"/> and
/// <see cref="Minimum"/> also leave masked positions out of their values, the others combine the values as they are.
/// </remarks>
public abstract class Merge : MultiInputLayer
{
    private Tensor?[] _lastInputs = [];
    private Tensor?[] _lastMasks = [];
    private Tensor? _mask;
    private TensorShape _maskShape;

    /// <summary>Creates a merge layer.</summary>
    /// <param name="name">The layer's name; when null, the model names it after its type.</param>
    protected Merge(string? name)
        : base(name)
    {
    }

    /// <summary>The inputs of the last forward call, for the backward pass.</summary>
    protected ReadOnlySpan<Tensor?> LastInputs => _lastInputs;

    /// <summary>The batch size of the last forward call.</summary>
    protected int LastBatch { get; private set; }

    /// <summary>
    /// The masks of the inputs of the last forward call, one per input (null for an input without one): shaped like the
    /// output without its last axis, so mask entry <c>r</c> covers values <c>r * features</c> to <c>(r + 1) * features - 1</c>.
    /// </summary>
    private protected ReadOnlySpan<Tensor?> LastMasks => _lastMasks;

    /// <summary>Whether any input of the last forward call had a mask.</summary>
    private protected bool AnyMasked { get; private set; }

    /// <summary>Whether every input of the last forward call had a mask (then, and only then, the output has one).</summary>
    private protected bool AllMasked { get; private set; }

    /// <summary>The number of values one mask entry covers: the size of the last axis.</summary>
    private protected int Features => OutputShape[-1];

    /// <inheritdoc/>
    protected sealed override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes)
    {
        for (int i = 1; i < inputShapes.Length; i++)
        {
            if (inputShapes[i] != inputShapes[0])
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} expects inputs of equal shape but got {inputShapes[0].ToBatchString()} and {inputShapes[i].ToBatchString()} (input {i})."), nameof(inputShapes));
            }
        }

        _lastInputs = new Tensor?[inputShapes.Length];
        _lastMasks = new Tensor?[inputShapes.Length];
        _maskShape = new TensorShape(inputShapes[0].Dimensions[..^1]);
        return inputShapes[0];
    }

    /// <inheritdoc/>
    protected sealed override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // InputMasks is empty when the layer was never called with masks, and all null when called without them.
        ReadOnlySpan<Tensor?> masks = InputMasks;
        AnyMasked = false;
        AllMasked = true;
        for (int i = 0; i < inputs.Length; i++)
        {
            _lastInputs[i] = inputs[i];
            _lastMasks[i] = i < masks.Length ? masks[i] : null;
            AnyMasked |= _lastMasks[i] is not null;
            AllMasked &= _lastMasks[i] is not null;
        }

        LastBatch = inputs[0].Shape[0];
        return Combine(inputs);
    }

    /// <inheritdoc/>
    protected sealed override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        if (_lastInputs.Length == 0 || _lastInputs[0] is null || outputGradient.Shape[0] != LastBatch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {LastBatch}, gradient {outputGradient.Shape}).");
        }

        if (ComputesInputGradient)
        {
            Distribute(outputGradient, inputGradients);
        }
    }

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <summary>
    /// Keras 3's merge mask (<c>Merge.compute_mask</c>): no mask when any input has none; otherwise a position is real
    /// when it is real in any input (the masks ORed).
    /// </summary>
    /// <param name="inputs">The inputs of the forward pass.</param>
    /// <param name="output">The merged output.</param>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output)
    {
        // Keras 3 ORs where Keras 2 ANDed: a step real in one branch is a real step of the sum. An input without a mask
        // makes every position real, and Keras then sets no mask at all.
        if (!AllMasked)
        {
            return null;
        }

        if (_lastMasks.Length == 1)
        {
            return _lastMasks[0];
        }

        Tensor result = BatchView(ref _mask, output.Shape[0], _maskShape);
        Span<float> r = result.AsSpan();
        r.Clear();
        foreach (Tensor? mask in _lastMasks)
        {
            ReadOnlySpan<float> m = mask!.AsReadOnlySpan();
            for (int i = 0; i < r.Length; i++)
            {
                r[i] = m[i] != 0f ? 1f : r[i];
            }
        }

        return result;
    }

    /// <summary>Combines the inputs (equal shapes, checked) into a tensor the layer owns (see <see cref="Buffer"/>).</summary>
    /// <param name="inputs">One batch per input, all of the output's shape.</param>
    /// <returns>The output, (batch, ...<see cref="Layer.OutputShape"/>).</returns>
    protected abstract Tensor Combine(ReadOnlySpan<Tensor> inputs);

    /// <summary>Writes dLoss/dInput for every input (tensors the layer owns, or the output gradient itself), given dLoss/dOutput and <see cref="LastInputs"/>.</summary>
    /// <param name="outputGradient">dLoss/dOutput of the last forward call.</param>
    /// <param name="inputGradients">One slot per input, to fill.</param>
    protected abstract void Distribute(Tensor outputGradient, Span<Tensor?> inputGradients);

    /// <summary>A (batch, ...<see cref="Layer.OutputShape"/>) view of a buffer the layer owns, created on the largest batch seen.</summary>
    /// <param name="buffer">The field that keeps the buffer.</param>
    /// <param name="batch">The batch size.</param>
    /// <returns>The view.</returns>
    protected Tensor Buffer(ref Tensor? buffer, int batch) => BatchView(ref buffer, batch, OutputShape);
}
