using System.Globalization;
using NeuralNet.Models;

namespace NeuralNet.Layers;

/// <summary>
/// The base of <see cref="Split"/> and <see cref="Unstack"/>: a layer without parameters whose outputs are the pieces of
/// its input along one sample axis (output k is <see cref="Layer.GetOutput"/>(k); in a functional model
/// <c>CallOutputs</c> gives one symbolic tensor per piece). Backward, the input's gradient is the pieces' gradients put
/// back in place, a piece nothing reads contributing 0.
/// </summary>
/// <remarks>
/// The axis counts the batch axis, as in Keras; the batch axis itself (0, Keras' default) cannot be split, each sample being
/// computed on its own, and neither can a variable axis (None), whose pieces would change in number or size from batch to
/// batch while a model's outputs are fixed. The layers drop their input's mask, as Keras' operations, which take none, do.
/// </remarks>
public abstract class AxisPiecesLayer : Layer
{
    private AxisPieces? _pieces;
    private Tensor? _lastInput;

    private protected AxisPiecesLayer(int axis, string operation, string? name)
        : base(name)
    {
        if (axis == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"{operation} cannot take the batch axis (axis=0, Keras' default) apart; use an axis of the samples (1, 2, ... or -1).");
        }

        Axis = axis;
    }

    /// <summary>The axis taken apart, counting the batch axis (negative from the end).</summary>
    public int Axis { get; }

    /// <inheritdoc/>
    private protected override IReadOnlyList<TensorShape> AdditionalOutputShapes => Pieces.FurtherShapes;

    private AxisPieces Pieces => _pieces ?? throw new InvalidOperationException($"{Describe()} has not been built.");

    /// <summary>The sizes of the pieces along the axis, summing to <paramref name="size"/>.</summary>
    /// <exception cref="ArgumentException">The layer's arguments do not fit the axis' size.</exception>
    private protected abstract int[] PieceSizes(TensorShape inputShape, int size);

    /// <summary>Whether the pieces (each of size 1) lose the axis, as <c>ops.unstack</c>'s do.</summary>
    private protected abstract bool DropsAxis { get; }

    /// <inheritdoc/>
    private protected override void CheckVariableAxes(ReadOnlySpan<SymbolicTensor> inputs)
    {
        SymbolicTensor input = inputs[0];
        int axis = AxisPieces.SampleAxis(Axis, input.Shape, Describe(), nameof(inputs));
        if (input.VariableAxes.Contains(axis))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} takes apart axis {Axis} of {input.BatchString}, a variable axis (None): the number or the sizes of its outputs would follow each batch's length, while a model's outputs are fixed; give that axis a fixed length, or take apart another axis."), nameof(inputs));
        }
    }

    /// <inheritdoc/>
    protected sealed override TensorShape OnBuild(TensorShape inputShape)
    {
        int axis = AxisPieces.SampleAxis(Axis, inputShape, Describe(), nameof(inputShape));
        _pieces = new AxisPieces(inputShape, axis, PieceSizes(inputShape, inputShape[axis]), DropsAxis);
        return _pieces.Shapes[0];
    }

    /// <inheritdoc/>
    protected sealed override Tensor OnForward(Tensor input, bool training)
    {
        _lastInput = input;
        return Pieces.Forward(input);
    }

    /// <inheritdoc/>
    protected sealed override Tensor OnBackward(Tensor outputGradient)
    {
        CheckForwardRan(_lastInput, outputGradient);
        return Pieces.Backward(outputGradient);
    }

    /// <inheritdoc/>
    private protected sealed override Tensor AdditionalOutput(int index) => Pieces.Output(index + 1);

    /// <inheritdoc/>
    private protected sealed override void SetAdditionalOutputGradients(ReadOnlySpan<Tensor?> gradients) => _pieces?.SetFurtherGradients(gradients);
}
