using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>BinaryFocalCrossentropy</c> (Lin et al. 2018): binary cross-entropy scaled by the focal factor
/// <c>(1 − p_t)^gamma</c>, <c>p_t = t p + (1 − t)(1 − p)</c>, so that easy examples weigh less; optionally weighted by
/// <c>alpha</c> for class 1 and <c>1 − alpha</c> for class 0. Averaged over the last axis and the batch.
/// </summary>
/// <remarks>
/// <para>Shapes: predictions and targets (batch, ...), equal; targets in [0, 1]. With <c>gamma = 0</c> and no class
/// balancing it is <see cref="BinaryCrossEntropy"/>.</para>
/// <para>As in Keras the targets are smoothed first (<c>t (1 − s) + 0.5 s</c>); the cross-entropy clips probabilities to
/// [1e-7, 1 − 1e-7] while <c>p_t</c> uses the prediction itself. With <c>fromLogits</c>, p = sigmoid(x) and the
/// cross-entropy is the stable <c>max(x, 0) − x t + log(1 + e^−|x|)</c> (Keras' TensorFlow backend; its JAX backend
/// clips sigmoid(x) instead, which differs only for |x| above about 16).</para>
/// <para>With <c>axis</c> the values are averaged over another axis than the last into one entry each (Keras'
/// <c>axis</c>), as for <see cref="BinaryCrossEntropy"/>.</para>
/// </remarks>
public sealed class BinaryFocalCrossEntropy : Loss
{
    /// <summary>Creates the loss with Keras' defaults.</summary>
    /// <param name="applyClassBalancing">Whether to weight class 1 by <paramref name="alpha"/> and class 0 by 1 − alpha.</param>
    /// <param name="alpha">The weight of class 1 when balancing, in [0, 1].</param>
    /// <param name="gamma">The focusing parameter, finite and at least 0; 0 gives the plain cross-entropy.</param>
    /// <param name="fromLogits">True when the model outputs logits (no final sigmoid).</param>
    /// <param name="labelSmoothing">In [0, 1]: targets become <c>t (1 − s) + 0.5 s</c>.</param>
    /// <param name="axis">The axis the element values are averaged over into one entry (Keras' <c>axis</c>): -1, the last, by default; negative axes count from the end; not 0, the batch axis.</param>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> or <paramref name="labelSmoothing"/> is outside
    /// [0, 1], <paramref name="gamma"/> is negative or not finite, or <paramref name="axis"/> is 0.</exception>
    public BinaryFocalCrossEntropy(bool applyClassBalancing = false, double alpha = 0.25, double gamma = 2.0, bool fromLogits = false, double labelSmoothing = 0, int axis = -1, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        if (alpha is not (>= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha,
                FormattableString.Invariant($"BinaryFocalCrossEntropy expects alpha in [0, 1] (the weight of class 1) but got alpha={alpha}."));
        }

        ApplyClassBalancing = applyClassBalancing;
        Alpha = alpha;
        Gamma = FocalFactor.CheckGamma(nameof(BinaryFocalCrossEntropy), gamma);
        FromLogits = fromLogits;
        LabelSmoothing = LossChecks.LabelSmoothing(nameof(BinaryFocalCrossEntropy), labelSmoothing);
        Axis = ClassAxis.Check(nameof(BinaryFocalCrossEntropy), axis);
    }

    /// <summary>Whether class 1 is weighted by <see cref="Alpha"/> and class 0 by 1 − alpha.</summary>
    public bool ApplyClassBalancing { get; }

    /// <summary>The weight of class 1 when <see cref="ApplyClassBalancing"/> is set.</summary>
    public double Alpha { get; }

    /// <summary>The focusing parameter.</summary>
    public double Gamma { get; }

    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <summary>How far targets are squeezed toward 0.5, in [0, 1].</summary>
    public double LabelSmoothing { get; }

    /// <summary>The axis averaged over into one entry (Keras' <c>axis</c>), -1 for the last; an axis beyond the output's rank is refused when the shapes are checked.</summary>
    public int Axis { get; }

    /// <inheritdoc/>
    public override string Name => "binary_focal_crossentropy";

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
    /// <remarks>Targets must be probabilities in [0, 1], as for <see cref="BinaryCrossEntropy"/>.</remarks>
    public override void ValidateTargets(Tensor targets) => LossChecks.ProbabilityTargets(Name, targets);

    /// <inheritdoc/>
    /// <remarks>Every entry averages as many elements, whatever the axis, so the mean over entries is the mean over elements.</remarks>
    internal override float ComputeMean(Tensor predictions, Tensor targets)
    {
        ClassAxis.CheckBatch(Name, Axis, predictions);
        return LossLoops.Mean(Name, predictions, targets, new Focal(this, derivative: false));
    }

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination)
    {
        ClassAxis.CheckBatch(Name, Axis, predictions);
        LossLoops.MeanPerSample(Name, predictions, targets, destination, new Focal(this, derivative: false));
    }

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ClassAxis.CheckBatch(Name, Axis, predictions);
        LossLoops.MeanGradient(Name, predictions, targets, gradient, new Focal(this, derivative: true));
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("apply_class_balancing", ApplyClassBalancing)
        .Set("alpha", Alpha)
        .Set("gamma", Gamma)
        .Set("from_logits", FromLogits)
        .Set("label_smoothing", LabelSmoothing)
        .Set("axis", Axis);

    /// <inheritdoc/>
    internal override int EntryCount(Tensor predictions) => ClassAxis.Of(Name, Axis, predictions).Entries;

    /// <inheritdoc/>
    internal override void CheckTakesMask(int rank) => LossChecks.MaskOnLastAxis(Name, Axis, rank);

    /// <inheritdoc/>
    internal override string? RefusesEntryWeights(int rank) => LossChecks.EntryWeightsOnLastAxis(Name, Axis, rank);

    // One element's loss w · m^gamma · bce, or its derivative with respect to the prediction (a probability or a logit),
    // where m = 1 − p_t = t (1 − p) + (1 − t) p:
    //   d/dp = w (gamma m^(gamma−1) (1 − 2t) bce + m^gamma dbce/dp), dbce/dp = (1 − t)/(1 − p) − t/p (0 where clipped);
    //   for a logit x, p = sigmoid(x): dp/dx = p (1 − p) and dbce/dx = p − t.
    private readonly struct Focal(BinaryFocalCrossEntropy loss, bool derivative) : IElementLoss
    {
        private readonly bool _balance = loss.ApplyClassBalancing, _logits = loss.FromLogits, _derivative = derivative;
        private readonly double _alpha = loss.Alpha, _gamma = loss.Gamma, _smoothing = loss.LabelSmoothing;

        public double Value(double prediction, double target)
        {
            double t = LossChecks.SmoothBinary(target, _smoothing);
            double weight = _balance ? (t * _alpha) + ((1 - t) * (1 - _alpha)) : 1;
            double p, bce;
            if (_logits)
            {
                p = Sigmoid(prediction);
                bce = Math.Max(prediction, 0) - (prediction * t) + Math.Log(1 + Math.Exp(-Math.Abs(prediction)));
            }
            else
            {
                p = prediction;
                double q = LossChecks.Clip(p);
                bce = -((t * Math.Log(q)) + ((1 - t) * Math.Log(1 - q)));
            }

            double m = (t * (1 - p)) + ((1 - t) * p);
            double factor = FocalFactor.Value(m, _gamma);
            if (!_derivative)
            {
                return weight * factor * bce;
            }

            double slope = FocalFactor.Slope(m, _gamma) * (1 - (2 * t));
            double bceSlope;
            if (_logits)
            {
                slope *= p * (1 - p);
                bceSlope = p - t;
            }
            else
            {
                bceSlope = LossChecks.Unclipped(p) ? ((1 - t) / (1 - p)) - (t / p) : 0;
            }

            return weight * ((slope * bce) + (factor * bceSlope));
        }

        private static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
    }
}
