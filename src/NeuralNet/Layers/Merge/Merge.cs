using System.Globalization;

namespace NeuralNet.Layers;

/// <summary>
/// The base of the element-wise merge layers (<see cref="Add"/>, <see cref="Subtract"/>, <see cref="Multiply"/>,
/// <see cref="Average"/>, <see cref="Maximum"/>, <see cref="Minimum"/>), as Keras' <c>Merge</c>: inputs of one shape,
/// combined element by element into an output of that shape.
/// </summary>
/// <remarks>
/// Unlike Keras, the inputs must have equal per-sample shapes: no broadcasting of size-1 axes.
/// </remarks>
public abstract class Merge : MultiInputLayer
{
    private Tensor?[] _lastInputs = [];
    private Tensor? _mask;
    private TensorShape? _maskShape;

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
        return inputShapes[0];
    }

    /// <inheritdoc/>
    protected sealed override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        for (int i = 0; i < inputs.Length; i++)
        {
            _lastInputs[i] = inputs[i];
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
    /// Keras' merge mask: a position is real when it is real in every input that has a mask; no mask when no input has one.
    /// </summary>
    /// <param name="inputs">The inputs of the forward pass.</param>
    /// <param name="output">The merged output.</param>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output)
    {
        Tensor? only = null;
        int count = 0;
        foreach (Tensor? mask in InputMasks)
        {
            if (mask is not null)
            {
                only ??= mask;
                count++;
            }
        }

        if (count <= 1)
        {
            return only;
        }

        _maskShape ??= new TensorShape(OutputShape.Dimensions[..^1].ToArray());
        Tensor result = BatchView(ref _mask, output.Shape[0], _maskShape.Value);
        Span<float> r = result.AsSpan();
        r.Fill(1f);
        foreach (Tensor? mask in InputMasks)
        {
            if (mask is not null)
            {
                ReadOnlySpan<float> m = mask.AsReadOnlySpan();
                for (int i = 0; i < r.Length; i++)
                {
                    r[i] = m[i] == 0f ? 0f : r[i];
                }
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
