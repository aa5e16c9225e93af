using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// Cross-entropy between one-hot (or soft) targets and predicted class probabilities:
/// <c>-sum_j t_j log(p_j)</c> per sample, averaged over the batch by default (Keras <c>categorical_crossentropy</c>).
/// </summary>
/// <remarks>
/// <para>Shapes: predictions and targets (batch, classes); more leading axes are allowed, every row over the last
/// axis then counts as a sample of the mean.</para>
/// <para>With <c>fromLogits: false</c> (the default) each prediction row is first divided by its sum and clipped to
/// [1e-7, 1 - 1e-7], as Keras does. With <c>fromLogits: true</c> the predictions are logits and the loss is computed
/// through a max-subtracted log-sum-exp. When the model ends with softmax, the model uses the fused gradient
/// (see <see cref="ISoftmaxCrossEntropy"/>). With <c>labelSmoothing</c> s the targets become
/// <c>t (1 - s) + s / classes</c> before the loss, as in Keras.</para>
/// <para>With <c>axis</c> (Keras' <c>axis</c>) the classes lie on another axis than the last, e.g. axis 1 for channels-first
/// (batch, classes, h, w) segmentation: every position of the other axes is an entry of the mean. As in Keras, label
/// smoothing then still divides by the length of the last axis.</para>
/// </remarks>
public sealed class CategoricalCrossEntropy : Loss, ISoftmaxCrossEntropy
{
    /// <summary>Creates the loss.</summary>
    /// <param name="fromLogits">True when the model outputs logits (no final softmax).</param>
    /// <param name="labelSmoothing">In [0, 1]: targets become <c>t (1 - s) + s / classes</c>; 0 leaves them unchanged.</param>
    /// <param name="axis">The class axis (Keras' <c>axis</c>): -1, the last, by default; negative axes count from the end; not 0, the batch axis.</param>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1], or <paramref name="axis"/> is 0.</exception>
    public CategoricalCrossEntropy(bool fromLogits = false, double labelSmoothing = 0, int axis = -1, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        FromLogits = fromLogits;
        LabelSmoothing = LossChecks.LabelSmoothing(nameof(CategoricalCrossEntropy), labelSmoothing);
        Axis = ClassAxis.Check(nameof(CategoricalCrossEntropy), axis);
    }

    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <summary>How far targets are spread toward the uniform distribution, in [0, 1].</summary>
    public double LabelSmoothing { get; }

    /// <summary>The class axis (Keras' <c>axis</c>), -1 for the last; an axis beyond the output's rank is refused when the shapes are checked.</summary>
    public int Axis { get; }

    /// <inheritdoc/>
    public override string Name => "categorical_crossentropy";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ: "output (None, 5) does not match targets (None, 10)"; or
    /// <see cref="Axis"/> is not an axis of the output after the batch axis.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        LossChecks.SameSampleShape(Name, outputShape, targetShape, oneHot: true);
        ClassAxis.CheckSampleShape(Name, Axis, outputShape);
    }

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets)
    {
        LossChecks.SameShape(Name, predictions, targets);
        ClassAxis layout = ClassAxis.Of(Name, Axis, predictions);
        return AxisRows.RowMean(layout, predictions, targets, new RowValue(FromLogits, LabelSmoothing, layout.LastAxis));
    }

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination)
    {
        LossChecks.SameShape(Name, predictions, targets);
        ClassAxis layout = ClassAxis.Of(Name, Axis, predictions);
        AxisRows.RowMeanPerSample(Name, layout, predictions, targets, destination, new RowValue(FromLogits, LabelSmoothing, layout.LastAxis));
    }

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(Name, predictions, targets, gradient);
        ClassAxis layout = ClassAxis.Of(Name, Axis, predictions);
        AxisRows.Gradient(layout, predictions, targets, gradient, new RowGradient(FromLogits, LabelSmoothing, layout.LastAxis));
    }

    /// <inheritdoc/>
    internal override int EntryCount(Tensor predictions) => ClassAxis.Of(Name, Axis, predictions).Entries;

    /// <inheritdoc/>
    internal override void CheckTakesMask(int rank) => LossChecks.MaskOnLastAxis(Name, Axis, rank);

    /// <inheritdoc/>
    internal override string? RefusesEntryWeights(int rank) => LossChecks.EntryWeightsOnLastAxis(Name, Axis, rank);

    /// <inheritdoc/>
    /// <remarks>With label smoothing the targets t are the smoothed ones; the form <c>(p · Σt − t) / rows</c> is unchanged
    /// (times the number of rows for <see cref="LossReduction.Sum"/>).</remarks>
    void ISoftmaxCrossEntropy.LogitsGradient(Tensor probabilities, Tensor targets, Tensor gradient)
    {
        ThrowIfUnreduced(nameof(ISoftmaxCrossEntropy.LogitsGradient));
        MeanLogitsGradient(probabilities, targets, gradient);
        ScaleToReduction(probabilities, targets, gradient);
    }

    /// <summary>The fused gradient of the mean over rows, <c>(p · Σt − t) / rows</c>.</summary>
    internal override void MeanLogitsGradient(Tensor probabilities, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(Name, probabilities, targets, gradient);
        if (FromLogits)
        {
            throw new InvalidOperationException($"{Name} with fromLogits: true expects logits; the fused softmax gradient does not apply.");
        }

        // Rows of the last axis must be the classes: not with classes on axis 1 of (batch, classes, 1) either.
        ClassAxis layout = ClassAxis.Of(Name, Axis, probabilities);
        if (!layout.IsLast || layout.Classes != layout.LastAxis)
        {
            throw new InvalidOperationException(
                $"{Name} with axis={Axis} on {probabilities.Shape}: the fused softmax gradient applies to a softmax over the last axis only; back-propagate Gradient through the softmax instead.");
        }

        int classes = LossChecks.Classes(probabilities);
        ReadOnlySpan<float> p = probabilities.AsReadOnlySpan();
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        float inverseRows = (float)classes / p.Length;
        double s = LabelSmoothing;
        for (int start = 0; start < p.Length; start += classes)
        {
            float targetSum = (float)SmoothedSum(t.Slice(start, classes), s, classes);
            for (int j = start; j < start + classes; j++)
            {
                float target = s == 0 ? t[j] : (float)LossChecks.SmoothCategorical(t[j], s, classes);
                g[j] = ((p[j] * targetSum) - target) * inverseRows;
            }
        }
    }

    internal static double RowSum(ReadOnlySpan<float> row)
    {
        double sum = 0;
        foreach (float v in row)
        {
            sum += v;
        }

        return sum;
    }

    internal static double LogSumExp(ReadOnlySpan<float> row)
    {
        float max = float.NegativeInfinity;
        foreach (float v in row)
        {
            max = Math.Max(max, v);
        }

        double sum = 0;
        foreach (float v in row)
        {
            sum += Math.Exp(v - (double)max);
        }

        return max + Math.Log(sum);
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("from_logits", FromLogits).Set("label_smoothing", LabelSmoothing).Set("axis", Axis);

    // The sum of a row's smoothed targets: (1 - s) sum(t) + s, or (1 - s) sum(t) + s · classes / K when Keras smooths by
    // the last axis's length K while the classes lie on another axis.
    private static double SmoothedSum(ReadOnlySpan<float> targets, double labelSmoothing, int smoothingClasses) =>
        smoothingClasses == targets.Length
            ? (RowSum(targets) * (1 - labelSmoothing)) + labelSmoothing
            : (RowSum(targets) * (1 - labelSmoothing)) + (labelSmoothing * targets.Length / smoothingClasses);

    // L = -sum_i t_i log(clip(p_i / s)), s = sum_i p_i:
    // dL/dp_j = (sum_i t_i c_i - t_j c_j / q_j) / s, with q = p / s and c_i = 1 where q_i is not clipped. From logits,
    // dL/dx_j = softmax_j sum(t) - t_j. The targets t are smoothed over smoothingClasses classes.
    private readonly struct RowGradient(bool fromLogits, double labelSmoothing, int smoothingClasses) : IRowGradient
    {
        public void Gradient(ReadOnlySpan<float> pRow, ReadOnlySpan<float> tRow, Span<float> g, int rows)
        {
            int classes = pRow.Length;
            double s = labelSmoothing;
            if (fromLogits)
            {
                double logSumExp = LogSumExp(pRow);
                double targetSum = SmoothedSum(tRow, s, smoothingClasses);
                for (int j = 0; j < classes; j++)
                {
                    double softmax = Math.Exp(pRow[j] - logSumExp);
                    g[j] = (float)(((softmax * targetSum) - LossChecks.SmoothCategorical(tRow[j], s, smoothingClasses)) / rows);
                }

                return;
            }

            double sum = RowSum(pRow);
            double active = 0;
            for (int i = 0; i < classes; i++)
            {
                if (LossChecks.Unclipped(pRow[i] / sum))
                {
                    active += LossChecks.SmoothCategorical(tRow[i], s, smoothingClasses);
                }
            }

            for (int j = 0; j < classes; j++)
            {
                double q = pRow[j] / sum;
                double own = LossChecks.Unclipped(q) ? LossChecks.SmoothCategorical(tRow[j], s, smoothingClasses) / q : 0;
                g[j] = (float)((active - own) / sum / rows);
            }
        }
    }

    private readonly struct RowValue(bool fromLogits, double labelSmoothing, int smoothingClasses) : IRowLoss
    {
        public double Value(int row, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets)
        {
            int classes = predictions.Length;
            double total = 0;
            if (fromLogits)
            {
                double logSumExp = LogSumExp(predictions);
                for (int j = 0; j < classes; j++)
                {
                    total -= LossChecks.SmoothCategorical(targets[j], labelSmoothing, smoothingClasses) * (predictions[j] - logSumExp);
                }

                return total;
            }

            double sum = RowSum(predictions);
            for (int j = 0; j < classes; j++)
            {
                double target = LossChecks.SmoothCategorical(targets[j], labelSmoothing, smoothingClasses);
                if (target != 0)
                {
                    total -= target * Math.Log(LossChecks.Clip(predictions[j] / sum));
                }
            }

            return total;
        }
    }
}
