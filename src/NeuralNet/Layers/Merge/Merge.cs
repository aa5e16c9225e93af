using System.Globalization;
using NeuralNet.Kernels;

namespace NeuralNet.Layers;

/// <summary>
/// The base of the element-wise merge layers (<see cref="Add"/>, <see cref="Subtract"/>, <see cref="Multiply"/>,
/// <see cref="Average"/>, <see cref="Maximum"/>, <see cref="Minimum"/>), as Keras' <c>Merge</c>: inputs combined element
/// by element, broadcast to one shape as Keras broadcasts them.
/// </summary>
/// <remarks>
/// <para>Broadcasting is Keras 3's (<c>Merge._compute_elemwise_op_output_shape</c> and <c>call</c> in
/// keras/src/layers/merging/base_merge.py): the per-sample shapes are aligned on their last axes, a shorter one gets axes
/// of size 1 inserted after the batch axis (Keras' <c>expand_dims(x, axis=1)</c>), and on every axis the sizes must be
/// equal or 1; the output takes the larger. The batch sizes must be equal. Backward, an input's gradient is the output's
/// summed over the axes it was broadcast along.</para>
/// <para>Masks follow Keras 3: the output has a mask only when every input has one, and it is their OR;
/// <see cref="Multiply"/>, <see cref="Maximum"/> and <see cref="Minimum"/> also leave masked positions out of their
/// values, the others combine the values as they are. A broadcast input's mask is broadcast with its values; a mask on
/// an input of lower rank than the output is refused (Keras' rank expansion drops it from the values but still ORs it).
/// <see cref="Divide"/>, which Keras has only as an operation, drops its inputs' masks instead.</para>
/// </remarks>
public abstract class Merge : MultiInputLayer
{
    private Tensor?[] _lastInputs = [];
    private Tensor?[] _lastMasks = [];
    private Tensor? _mask;
    private TensorShape _maskShape;

    // Broadcasting, set up by the build: per input, (batch, aligned sample dims) with the batch entry set at each call,
    // whether it differs from the output, and its buffers (values and mask broadcast, gradient summed back).
    private bool _broadcasting;
    private int[][] _sourceDims = [];
    private int[][] _sourceMaskDims = [];
    private int[] _outputDims = [];
    private int[] _outputMaskDims = [];
    private bool[] _expands = [];
    private bool[] _lowerRank = [];
    private Tensor[] _combined = [];
    private Tensor?[] _expanded = [];
    private Tensor?[] _expandedMasks = [];
    private Tensor?[] _reduced = [];

    /// <summary>Creates a merge layer.</summary>
    /// <param name="name">The layer's name; when null, the model names it after its type.</param>
    protected Merge(string? name)
        : base(name)
    {
    }

    /// <summary>The inputs of the last forward call, for the backward pass, broadcast to the output's shape.</summary>
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
        TensorShape output = inputShapes[0];
        for (int i = 1; i < inputShapes.Length; i++)
        {
            if (!TryBroadcast(output, inputShapes[i], out TensorShape next))
            {
                string sofar = i == 1 ? "input 0" : $"inputs 0 to {i - 1}, broadcast together,";
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} cannot broadcast {sofar} of shape {output.ToBatchString()} with input {i} of shape {inputShapes[i].ToBatchString()}: aligned on their last axes, the sizes must be equal or 1 (Keras: \"Inputs have incompatible shapes\")."),
                    nameof(inputShapes));
            }

            output = next;
        }

        int n = inputShapes.Length, rank = output.Rank;
        _lastInputs = new Tensor?[n];
        _lastMasks = new Tensor?[n];
        _maskShape = new TensorShape(output.Dimensions[..^1]);
        _broadcasting = false;
        _expands = new bool[n];
        _lowerRank = new bool[n];
        _sourceDims = new int[n][];
        _sourceMaskDims = new int[n][];
        _outputDims = [0, .. output.Dimensions];
        _outputMaskDims = _outputDims[..^1];
        for (int i = 0; i < n; i++)
        {
            // Keras inserts the missing axes after the batch axis: the sample shape is padded with 1s in front.
            int[] aligned = new int[rank + 1];
            aligned.AsSpan(1, rank - inputShapes[i].Rank).Fill(1);
            inputShapes[i].Dimensions.CopyTo(aligned.AsSpan(1 + rank - inputShapes[i].Rank));
            _sourceDims[i] = aligned;
            _sourceMaskDims[i] = aligned[..^1];
            _expands[i] = inputShapes[i] != output;
            _lowerRank[i] = inputShapes[i].Rank < rank;
            _broadcasting |= _expands[i];
        }

        _combined = new Tensor[n];
        _expanded = new Tensor?[n];
        _expandedMasks = new Tensor?[n];
        _reduced = new Tensor?[n];
        return output;
    }

    // Keras' _compute_elemwise_op_output_shape: the shapes aligned on their last axes, sizes equal or 1 on each.
    private static bool TryBroadcast(TensorShape first, TensorShape second, out TensorShape result)
    {
        TensorShape longer = first.Rank >= second.Rank ? first : second, shorter = first.Rank >= second.Rank ? second : first;
        int[] dims = longer.Dimensions.ToArray();
        int offset = longer.Rank - shorter.Rank;
        for (int d = 0; d < shorter.Rank; d++)
        {
            int a = longer[offset + d], b = shorter[d];
            if (a != b && a != 1 && b != 1)
            {
                result = default;
                return false;
            }

            dims[offset + d] = a == 1 ? b : a;
        }

        result = new TensorShape(dims);
        return true;
    }

    /// <inheritdoc/>
    protected sealed override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // InputMasks is empty when the layer was never called with masks, and all null when called without them.
        ReadOnlySpan<Tensor?> masks = InputMasks;
        for (int i = 0; i < inputs.Length && i < masks.Length; i++)
        {
            if (masks[i] is not null && _lowerRank[i])
            {
                throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()}: input {i} of shape {InputShapes[i].ToBatchString()} has a mask and fewer axes than the output {OutputShape.ToBatchString()}; masks are broadcast only from inputs of the output's rank (use a Reshape to give it the missing axes of size 1)."));
            }
        }

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
        if (!_broadcasting)
        {
            return Combine(inputs);
        }

        // The broadcast inputs (and masks) are expanded to the output's shape, so the layers combine equal shapes.
        int batch = LastBatch;
        _outputDims[0] = batch;
        for (int i = 0; i < inputs.Length; i++)
        {
            _combined[i] = inputs[i];
            if (!_expands[i])
            {
                continue;
            }

            _sourceDims[i][0] = batch;
            Tensor expanded = Buffer(ref _expanded[i], batch);
            Broadcasting.Expand(inputs[i].AsReadOnlySpan(), _sourceDims[i], _outputDims, expanded.AsSpan());
            _combined[i] = expanded;
            _lastInputs[i] = expanded;
            if (_lastMasks[i] is Tensor mask)
            {
                _sourceMaskDims[i][0] = batch;
                _outputMaskDims[0] = batch;
                Tensor expandedMask = BatchView(ref _expandedMasks[i], batch, _maskShape);
                Broadcasting.Expand(mask.AsReadOnlySpan(), _sourceMaskDims[i], _outputMaskDims, expandedMask.AsSpan());
                _lastMasks[i] = expandedMask;
            }
        }

        return Combine(_combined);
    }

    /// <inheritdoc/>
    protected sealed override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        if (_lastInputs.Length == 0 || _lastInputs[0] is null || outputGradient.Shape[0] != LastBatch)
        {
            throw new InvalidOperationException($"{Describe()}: backward needs a forward pass with the same batch size first (last forward batch {LastBatch}, gradient {outputGradient.Shape}).");
        }

        if (!ComputesInputGradient)
        {
            return;
        }

        Distribute(outputGradient, inputGradients);
        if (!_broadcasting)
        {
            return;
        }

        // Each broadcast input gets the gradient of its expanded copy summed over the axes it was broadcast along.
        int batch = outputGradient.Shape[0];
        _outputDims[0] = batch;
        for (int i = 0; i < inputGradients.Length; i++)
        {
            if (_expands[i] && inputGradients[i] is Tensor gradient)
            {
                _sourceDims[i][0] = batch;
                Tensor reduced = BatchView(ref _reduced[i], batch, InputShapes[i]);
                Broadcasting.ReduceSum(gradient.AsReadOnlySpan(), _outputDims, _sourceDims[i], reduced.AsSpan());
                inputGradients[i] = reduced;
            }
        }
    }

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    internal override bool MasksSurely(ReadOnlySpan<bool> inputsMasked) => IsLibraryType && !DropsMasks && inputsMasked.Length > 0 && !inputsMasked.Contains(false);

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

    /// <summary>Combines the inputs (broadcast to the output's shape first) into a tensor the layer owns (see <see cref="Buffer"/>).</summary>
    /// <param name="inputs">One batch per input, all of the output's shape.</param>
    /// <returns>The output, (batch, ...<see cref="Layer.OutputShape"/>).</returns>
    protected abstract Tensor Combine(ReadOnlySpan<Tensor> inputs);

    /// <summary>
    /// Writes dLoss/dInput for every input (tensors the layer owns, or the output gradient itself), given dLoss/dOutput and
    /// <see cref="LastInputs"/>; for a broadcast input, the gradient of its copy expanded to the output's shape (the base
    /// class sums it back).
    /// </summary>
    /// <param name="outputGradient">dLoss/dOutput of the last forward call.</param>
    /// <param name="inputGradients">One slot per input, to fill.</param>
    protected abstract void Distribute(Tensor outputGradient, Span<Tensor?> inputGradients);

    /// <summary>A (batch, ...<see cref="Layer.OutputShape"/>) view of a buffer the layer owns, created on the largest batch seen.</summary>
    /// <param name="buffer">The field that keeps the buffer.</param>
    /// <param name="batch">The batch size.</param>
    /// <returns>The view.</returns>
    protected Tensor Buffer(ref Tensor? buffer, int batch) => BatchView(ref buffer, batch, OutputShape);
}
