using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>Dice</c> loss: <c>1 − 2·Σ(t·p) / (Σt + Σp + 1e-7)</c>, one minus the Sørensen–Dice overlap of targets and
/// predictions (keras/src/losses/losses.py <c>dice</c>; the epsilon is Keras' <c>backend.epsilon()</c>).
/// </summary>
/// <remarks>
/// <para>Shapes: predictions and targets (batch, ...), equal; typically probabilities and 0/1 masks of a segmentation.</para>
/// <para><see cref="Axis"/> says what the sums run over, as Keras' <c>axis</c>: null (Keras' default) sums over every
/// element <em>of the whole batch</em>, batch axis included, so the loss is one number for the batch, which no
/// reduction changes; each sample's value (<see cref="Loss.ComputePerSample"/>) is that number, and sample weights
/// scale it as Keras broadcasts them (the loss becomes L·mean(w), L·Σw for <see cref="LossReduction.Sum"/>, L for
/// <see cref="LossReduction.MeanWithSampleWeight"/>). Every axis but the batch axis (<c>[1, 2, 3]</c> for images, or
/// <c>[-1]</c> for a (batch, features) output) gives one value per sample, reduced like any loss. Keras' other tuples
/// (such as <c>[1, 2]</c>, one value per sample and class) are refused with a message, since a loss here gives at most
/// one value per sample; so is an output mask (Keras itself cannot broadcast a (batch, steps) mask against these values).</para>
/// </remarks>
public sealed class Dice : Loss
{
    /// <summary>Creates the loss.</summary>
    /// <param name="axis">The axes the sums run over (negative counts from the end, the batch axis is 0): null, Keras'
    /// default, for the whole batch; every axis but 0 for one value per sample.</param>
    /// <param name="reduction">How the per-sample values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is empty.</exception>
    public Dice(int[]? axis = null, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        _axis = OverlapLoss.CheckAxis(nameof(Dice), axis);
        Axis = _axis is null ? null : Array.AsReadOnly(_axis);
    }

    private readonly int[]? _axis;

    /// <summary>The axes the sums run over, as given; null for the whole batch (Keras' default).</summary>
    public IReadOnlyList<int>? Axis { get; }

    /// <inheritdoc/>
    public override string Name => "dice";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ, or <see cref="Axis"/> does not fit the output's rank.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        LossChecks.SameSampleShape(Name, outputShape, targetShape);
        OverlapLoss.WholeBatch(Name, _axis, outputShape, perSample: true);
    }

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets) =>
        OverlapLoss.Mean(predictions, targets, WholeBatch(predictions, targets), default(Ratio));

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination) =>
        OverlapLoss.PerSample(Name, predictions, targets, WholeBatch(predictions, targets), destination, default(Ratio));

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.CheckGradient(Name, predictions, gradient);
        OverlapLoss.MeanGradient(predictions, targets, gradient, WholeBatch(predictions, targets), default(Ratio));
    }

    /// <inheritdoc/>
    internal override double ReductionScale(Tensor predictions, ReadOnlySpan<float> sampleWeights) =>
        OverlapLoss.ReductionScale(Reduction, predictions, OverlapLoss.WholeBatch(Name, _axis, predictions.Shape), sampleWeights);

    /// <inheritdoc/>
    internal override bool CouplesSamples(Tensor predictions) => OverlapLoss.WholeBatch(Name, _axis, predictions.Shape);

    /// <inheritdoc/>
    internal override void CheckTakesMask(int rank) => throw OverlapLoss.MaskRefused(Name);

    /// <inheritdoc/>
    internal override string? RefusesEntryWeights(int rank) => OverlapLoss.EntryWeightsRefused(Name);

    /// <inheritdoc/>
    public override Config GetConfig() => OverlapLoss.SetAxis(base.GetConfig(), _axis);

    private bool WholeBatch(Tensor predictions, Tensor targets)
    {
        LossChecks.SameShape(Name, predictions, targets);
        return OverlapLoss.WholeBatch(Name, _axis, predictions.Shape);
    }

    // L = 1 − 2I/D, D = T + P + ε: dL/dp_j = −2 t_j / D + 2I / D² (dI/dp_j = t_j, dD/dp_j = 1).
    private readonly struct Ratio : IOverlapRatio
    {
        public double Loss(OverlapLoss.Sums sums) => 1 - (2 * sums.Intersection / Denominator(sums));

        public double Slope(double target, OverlapLoss.Sums sums)
        {
            double d = Denominator(sums);
            return (-2 * target / d) + (2 * sums.Intersection / (d * d));
        }

        private static double Denominator(OverlapLoss.Sums sums) => sums.Targets + sums.Predictions + LossChecks.Epsilon;
    }
}
