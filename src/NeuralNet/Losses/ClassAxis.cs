namespace NeuralNet.Losses;

/// <summary>
/// Where a cross-entropy's classes lie in a batch (Keras' <c>axis</c>): the batch seen as (Outer, Classes, Inner), the
/// classes of one entry <see cref="Inner"/> apart. The last axis has Inner = 1, and its entries are the rows the losses'
/// contiguous loops run over; channels-first (batch, classes, h, w) with axis 1 has Outer = batch, Inner = h·w. Entries
/// are numbered in memory order of the remaining axes, so entry e of a channels-first batch is entry e of the same batch
/// transposed to channels-last.
/// </summary>
internal readonly struct ClassAxis
{
    private ClassAxis(int outer, int classes, int inner, int lastAxis)
    {
        Outer = outer;
        Classes = classes;
        Inner = inner;
        LastAxis = lastAxis;
    }

    /// <summary>The number of positions before the class axis (the batch axis included).</summary>
    public int Outer { get; }

    /// <summary>The length of the class axis.</summary>
    public int Classes { get; }

    /// <summary>The number of positions after the class axis: the distance between two classes of an entry.</summary>
    public int Inner { get; }

    /// <summary>The length of the last axis, which Keras' label smoothing divides by whatever the class axis.</summary>
    public int LastAxis { get; }

    /// <summary>The number of entries, each one value of the loss.</summary>
    public int Entries => Outer * Inner;

    /// <summary>Whether the classes are the last axis, laid out in contiguous rows.</summary>
    public bool IsLast => Inner == 1;

    /// <summary>The index of entry <paramref name="entry"/>'s first class.</summary>
    public int Start(int entry) => (entry / Inner * Classes * Inner) + (entry % Inner);

    /// <summary>
    /// Returns <paramref name="axis"/> unless it is 0, the batch axis, which no loss here reduces over (its values would not
    /// be per sample); the rest is checked against the output's rank when it is known.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is 0.</exception>
    public static int Check(string loss, int axis) =>
        axis != 0
            ? axis
            : throw new ArgumentOutOfRangeException(nameof(axis), axis,
                $"{loss} expects axis to name a class (or feature) axis of the output, -1 (the last, Keras' default) or another axis after the batch axis, but got axis=0, the batch axis.");

    /// <summary>
    /// Checks that <paramref name="axis"/> is an axis after the batch axis of outputs of per-sample shape
    /// <paramref name="outputShape"/> (before training; -1 always is).
    /// </summary>
    /// <exception cref="ArgumentException">The axis is not one of the output's axes after the batch axis.</exception>
    public static void CheckSampleShape(string loss, int axis, TensorShape outputShape)
    {
        if (axis != -1)
        {
            Resolve(loss, axis, outputShape, perSample: true);
        }
    }

    /// <summary>Checks that <paramref name="axis"/> is an axis of <paramref name="predictions"/> after the batch axis (-1 always is).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="predictions"/> is null.</exception>
    /// <exception cref="ArgumentException">The axis is not one of the batch's axes after the batch axis.</exception>
    public static void CheckBatch(string loss, int axis, Tensor predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        if (axis != -1)
        {
            Resolve(loss, axis, predictions.Shape, perSample: false);
        }
    }

    /// <summary>
    /// The axis counted from the front (the batch axis being 0), for a batch of shape <paramref name="shape"/>, or of
    /// per-sample shape <paramref name="shape"/> when <paramref name="perSample"/> is set.
    /// </summary>
    /// <exception cref="ArgumentException">The axis is not one of the output's axes after the batch axis.</exception>
    public static int Resolve(string loss, int axis, TensorShape shape, bool perSample)
    {
        int rank = perSample ? shape.Rank + 1 : shape.Rank;
        int resolved = axis < 0 ? axis + rank : axis;
        if (rank < 2)
        {
            // Keras' axis on one value per sample names no axis there; the message must not offer an empty range.
            throw new ArgumentException(
                $"{loss}: axis={axis} needs an output with a class (or feature) axis after the batch axis, but the output {(perSample ? shape.ToBatchString() : shape.ToString())} has one value per sample; use axis -1 (the default), or give the output a last axis, e.g. (batch, 1).",
                nameof(axis));
        }

        if (resolved < 1 || resolved >= rank)
        {
            // The shape is formatted only here: a step that passes the check allocates nothing.
            throw new ArgumentException(
                $"{loss}: axis={axis} is not an axis of the output {(perSample ? shape.ToBatchString() : shape.ToString())} after the batch axis; expected an axis in [1, {rank - 1}] or [-{rank - 1}, -1].",
                nameof(axis));
        }

        return resolved;
    }

    /// <summary>The layout of <paramref name="predictions"/> around <paramref name="axis"/>; -1 on a rank-1 batch is its one value per sample.</summary>
    /// <exception cref="ArgumentException">The axis is not one of the batch's axes after the batch axis.</exception>
    public static ClassAxis Of(string loss, int axis, Tensor predictions)
    {
        ReadOnlySpan<int> dimensions = predictions.Shape.Dimensions;
        int last = dimensions.Length < 2 ? 1 : dimensions[^1];
        if (axis == -1)
        {
            // The contiguous rows the losses always had; a rank-1 output counts as (batch, 1).
            return new ClassAxis(predictions.Length / Math.Max(last, 1), last, 1, last);
        }

        int resolved = Resolve(loss, axis, predictions.Shape, perSample: false);
        int outer = 1, inner = 1;
        for (int d = 0; d < resolved; d++)
        {
            outer *= dimensions[d];
        }

        for (int d = resolved + 1; d < dimensions.Length; d++)
        {
            inner *= dimensions[d];
        }

        return new ClassAxis(outer, dimensions[resolved], inner, last);
    }
}
