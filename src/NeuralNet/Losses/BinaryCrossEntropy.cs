using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// Binary cross-entropy <c>-(t log p + (1 - t) log(1 - p))</c>, averaged over the last axis and the batch
/// (Keras <c>binary_crossentropy</c>), for independent yes/no outputs such as a final sigmoid.
/// </summary>
/// <remarks>
/// Shapes: predictions and targets (batch, ...), equal; targets in [0, 1]. Probabilities are clipped to
/// [1e-7, 1 - 1e-7] as Keras does. With <c>fromLogits</c> the stable form
/// <c>max(x, 0) - x t + log(1 + exp(-|x|))</c> is used. With <c>labelSmoothing</c> s the targets are squeezed toward 0.5,
/// <c>t (1 - s) + 0.5 s</c>, before the loss, as in Keras. With <c>axis</c> the values are averaged over another axis than
/// the last into one entry each (Keras' <c>axis</c>): the mean over the batch is the same, the number of entries (what
/// <see cref="LossReduction.Sum"/> multiplies by) is not.
/// </remarks>
public sealed class BinaryCrossEntropy : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="fromLogits">True when the model outputs logits (no final sigmoid).</param>
    /// <param name="labelSmoothing">In [0, 1]: targets become <c>t (1 - s) + 0.5 s</c>; 0 leaves them unchanged.</param>
    /// <param name="axis">The axis the element values are averaged over into one entry (Keras' <c>axis</c>): -1, the last, by default; negative axes count from the end; not 0, the batch axis.</param>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1], or <paramref name="axis"/> is 0.</exception>
    public BinaryCrossEntropy(bool fromLogits = false, double labelSmoothing = 0, int axis = -1, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        FromLogits = fromLogits;
        LabelSmoothing = LossChecks.LabelSmoothing(nameof(BinaryCrossEntropy), labelSmoothing);
        Axis = ClassAxis.Check(nameof(BinaryCrossEntropy), axis);
    }

    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <summary>How far targets are squeezed toward 0.5, in [0, 1].</summary>
    public double LabelSmoothing { get; }

    /// <summary>The axis averaged over into one entry (Keras' <c>axis</c>), -1 for the last; an axis beyond the output's rank is refused when the shapes are checked.</summary>
    public int Axis { get; }

    /// <inheritdoc/>
    public override string Name => "binary_crossentropy";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ, or <see cref="Axis"/> is not an axis of the output after the batch axis.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        LossChecks.SameSampleShape(Name, outputShape, targetShape);
        ClassAxis.CheckSampleShape(Name, Axis, outputShape);
    }

    /// <inheritdoc/>
    /// <remarks>Targets must be probabilities in [0, 1] (0/1 labels, or soft labels); anything else gives a meaningless, possibly negative loss.</remarks>
    public override void ValidateTargets(Tensor targets) => LossChecks.ProbabilityTargets(Name, targets);

    /// <inheritdoc/>
    /// <remarks>Every entry averages as many elements, whatever the axis, so the mean over entries is the mean over elements.</remarks>
    internal override float ComputeMean(Tensor predictions, Tensor targets)
    {
        ClassAxis.CheckBatch(Name, Axis, predictions);
        return LossLoops.Mean(Name, predictions, targets, new ElementValue(FromLogits, LabelSmoothing));
    }

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination)
    {
        ClassAxis.CheckBatch(Name, Axis, predictions);
        LossLoops.MeanPerSample(Name, predictions, targets, destination, new ElementValue(FromLogits, LabelSmoothing));
    }

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(Name, predictions, targets, gradient);
        ClassAxis.CheckBatch(Name, Axis, predictions);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan();
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        double n = p.Length;
        for (int i = 0; i < p.Length; i++)
        {
            double target = LossChecks.SmoothBinary(t[i], LabelSmoothing);
            double x = p[i];
            double derivative = FromLogits
                ? (1 / (1 + Math.Exp(-x))) - target
                : LossChecks.Unclipped(x) ? ((1 - target) / (1 - x)) - (target / x) : 0;
            g[i] = (float)(derivative / n);
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("from_logits", FromLogits).Set("label_smoothing", LabelSmoothing).Set("axis", Axis);

    /// <inheritdoc/>
    internal override int EntryCount(Tensor predictions) => ClassAxis.Of(Name, Axis, predictions).Entries;

    /// <inheritdoc/>
    internal override void CheckTakesMask(int rank) => LossChecks.MaskOnLastAxis(Name, Axis, rank);

    /// <inheritdoc/>
    internal override string? RefusesEntryWeights(int rank) => LossChecks.EntryWeightsOnLastAxis(Name, Axis, rank);

    private readonly struct ElementValue(bool fromLogits, double labelSmoothing) : IElementLoss
    {
        public double Value(double prediction, double target)
        {
            target = LossChecks.SmoothBinary(target, labelSmoothing);
            if (fromLogits)
            {
                return Math.Max(prediction, 0) - (prediction * target) + Math.Log(1 + Math.Exp(-Math.Abs(prediction)));
            }

            double q = LossChecks.Clip(prediction);
            return -((target * Math.Log(q)) + ((1 - target) * Math.Log(1 - q)));
        }
    }
}
