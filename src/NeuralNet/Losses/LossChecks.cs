namespace NeuralNet.Losses;

/// <summary>Shape checks and constants shared by the losses.</summary>
internal static class LossChecks
{
    /// <summary>Keras' fuzz factor: probabilities are clipped to [Epsilon, 1 - Epsilon] (float32 bounds).</summary>
    public const double Epsilon = 1e-7;

    /// <summary>The upper clipping bound, rounded to float as Keras computes it.</summary>
    public const double OneMinusEpsilon = (double)(1f - 1e-7f);

    /// <summary>The length of the class (last) axis of a batch of predictions.</summary>
    public static int Classes(Tensor predictions) => predictions.Rank < 2 ? 1 : predictions.Shape[-1];

    /// <summary>Throws unless the predictions, targets and optional gradient hold the same elements.</summary>
    public static void SameShape(string loss, Tensor predictions, Tensor targets, Tensor? gradient = null)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        if (predictions.Shape != targets.Shape)
        {
            throw new ArgumentException($"{loss}: output {predictions.Shape} does not match targets {targets.Shape}.", nameof(targets));
        }

        CheckGradient(loss, predictions, gradient);
    }

    /// <summary>Throws unless the gradient has the predictions' shape.</summary>
    public static void CheckGradient(string loss, Tensor predictions, Tensor? gradient)
    {
        if (gradient is not null && gradient.Shape != predictions.Shape)
        {
            throw new ArgumentException($"{loss}: gradient {gradient.Shape} must have the shape of the output {predictions.Shape}.", nameof(gradient));
        }
    }

    /// <summary>The message for outputs and targets of different per-sample shapes (E3.3).</summary>
    public static void SameSampleShape(string loss, TensorShape outputShape, TensorShape targetShape, bool oneHot = false)
    {
        if (outputShape != targetShape)
        {
            bool labels = oneHot && outputShape.Rank == 1 && outputShape[0] > 1 && (targetShape.Rank == 0 || (targetShape.Rank == 1 && targetShape[0] == 1));
            string hint = labels
                ? " The targets look like integer class labels: use SparseCategoricalCrossEntropy, or one-hot encode them (LabeledDataset.OneHot)."
                : outputShape.Rank == 1 && targetShape.Rank == 1
                ? $" The last layer must have {targetShape[0]} units to match the targets."
                : string.Empty;
            throw new ArgumentException($"{loss}: output {outputShape.ToBatchString()} does not match targets {targetShape.ToBatchString()}.{hint}", nameof(targetShape));
        }
    }

    /// <summary>The values each sample of <paramref name="targets"/> holds (at least 1), to name the sample of a bad value.</summary>
    public static int ValuesPerSample(Tensor targets) =>
        targets.Rank == 0 || targets.Shape[0] == 0 ? 1 : Math.Max(targets.Length / targets.Shape[0], 1);

    /// <summary>Throws unless every target is a probability in [0, 1] (the binary cross-entropies), naming the sample and element.</summary>
    public static void ProbabilityTargets(string loss, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        int stride = ValuesPerSample(targets);
        for (int i = 0; i < t.Length; i++)
        {
            if (!(t[i] >= 0f && t[i] <= 1f))
            {
                throw new ArgumentException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{loss}: targets must be in [0, 1], but sample {i / stride} (element {i % stride}) is {t[i]}. For class labels 0, 1, 2, ... use SparseCategoricalCrossEntropy."), nameof(targets));
            }
        }
    }

    /// <summary>Returns <paramref name="labelSmoothing"/> when it is in [0, 1] (Keras' range), else throws naming it.</summary>
    public static double LabelSmoothing(string loss, double labelSmoothing) =>
        labelSmoothing is >= 0 and <= 1
            ? labelSmoothing
            : throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing,
                FormattableString.Invariant($"{loss} expects labelSmoothing in [0, 1] but got labelSmoothing={labelSmoothing}."));

    /// <summary>Keras' binary label smoothing: the target squeezed toward 0.5, t (1 - s) + 0.5 s.</summary>
    public static double SmoothBinary(double target, double labelSmoothing) => (target * (1 - labelSmoothing)) + (0.5 * labelSmoothing);

    /// <summary>Keras' categorical label smoothing over <paramref name="classes"/> classes: t (1 - s) + s / classes.</summary>
    public static double SmoothCategorical(double target, double labelSmoothing, int classes) => (target * (1 - labelSmoothing)) + (labelSmoothing / classes);

    /// <summary>
    /// Throws unless <paramref name="axis"/> names the last axis of an output of rank <paramref name="rank"/> (batch axis
    /// included; -1, or rank - 1 counted from the front, as <see cref="ClassAxis.Of"/> reads it): an output's mask has one
    /// value per row of the last axis, which are not a loss's entries when it reduces over another axis.
    /// </summary>
    /// <exception cref="NotSupportedException">The axis is not the last.</exception>
    public static void MaskOnLastAxis(string loss, int axis, int rank)
    {
        if (axis != -1 && axis != rank - 1)
        {
            throw new NotSupportedException(
                $"{loss} with axis={axis}: an output mask (one value per row of the last axis) does not fit the loss's entries, which lie across axis {axis} of the rank-{rank} output; use axis -1 (classes last) with a masked output.");
        }
    }

    /// <summary>
    /// Why weights per entry do not fit a loss reducing over <paramref name="axis"/> of a rank-<paramref name="rank"/>
    /// output (its values lie across that axis, not one per row of the last), or null when they fit.
    /// </summary>
    public static string? EntryWeightsOnLastAxis(string loss, int axis, int rank) =>
        axis != -1 && axis != rank - 1
            ? $"{loss} with axis={axis} reduces across axis {axis} of the rank-{rank} output, so its values are not one per row of the last axis; use axis -1 (classes last) with weights per entry, or give one weight per sample"
            : null;

    /// <summary>Clips a probability to Keras' [epsilon, 1 - epsilon].</summary>
    public static double Clip(double p) => p < Epsilon ? Epsilon : p > OneMinusEpsilon ? OneMinusEpsilon : p;

    /// <summary>Whether a probability lies inside the clipping range, where the clip's derivative is 1.</summary>
    public static bool Unclipped(double p) => p >= Epsilon && p <= OneMinusEpsilon;
}
