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
/// <c>t (1 - s) + 0.5 s</c>, before the loss, as in Keras.
/// </remarks>
public sealed class BinaryCrossEntropy : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="fromLogits">True when the model outputs logits (no final sigmoid).</param>
    /// <param name="labelSmoothing">In [0, 1]: targets become <c>t (1 - s) + 0.5 s</c>; 0 leaves them unchanged.</param>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1].</exception>
    public BinaryCrossEntropy(bool fromLogits = false, double labelSmoothing = 0, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        FromLogits = fromLogits;
        LabelSmoothing = LossChecks.LabelSmoothing(nameof(BinaryCrossEntropy), labelSmoothing);
    }

    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <summary>How far targets are squeezed toward 0.5, in [0, 1].</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc/>
    public override string Name => "binary_crossentropy";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) =>
        LossChecks.SameSampleShape(Name, outputShape, targetShape);

    /// <inheritdoc/>
    /// <remarks>Targets must be probabilities in [0, 1] (0/1 labels, or soft labels); anything else gives a meaningless, possibly negative loss.</remarks>
    public override void ValidateTargets(Tensor targets) => LossChecks.ProbabilityTargets(Name, targets);

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets) => LossLoops.Mean(Name, predictions, targets, new ElementValue(FromLogits, LabelSmoothing));

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination) =>
        LossLoops.MeanPerSample(Name, predictions, targets, destination, new ElementValue(FromLogits, LabelSmoothing));

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(Name, predictions, targets, gradient);
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
    public override Config GetConfig() => base.GetConfig().Set("from_logits", FromLogits).Set("label_smoothing", LabelSmoothing);

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
