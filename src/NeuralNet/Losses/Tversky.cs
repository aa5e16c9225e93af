using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>Tversky</c> loss (Salehi et al. 2017): <c>1 − I / (I + α·Σ t(1−p) + β·Σ p(1−t) + 1e-7)</c> with
/// <c>I = Σ t·p</c>, transcribed from keras/src/losses/losses.py <c>tversky</c>.
/// </summary>
/// <remarks>
/// <para>Keras' docstring calls alpha the weight of false positives and beta that of false negatives, but its code (followed
/// here, since it is what Keras trains) multiplies alpha by <c>Σ t(1−p)</c>, the mass of missed targets, and beta by
/// <c>Σ p(1−t)</c>, the mass predicted where the target is 0. With alpha = beta = 0.5 it is <see cref="Dice"/> but for the
/// epsilon (the ratio is <c>2I / (Σt + Σp + 2e-7)</c>).</para>
/// <para>Shapes, <see cref="Axis"/> (null, Keras' default: the sums run over the whole batch), sample weights and
/// reductions are as for <see cref="Dice"/>.</para>
/// </remarks>
public sealed class Tversky : Loss
{
    /// <summary>Creates the loss with Keras' defaults.</summary>
    /// <param name="alpha">The weight of Σ t(1−p), the targets' mass the predictions miss (Keras' <c>alpha</c>); finite.</param>
    /// <param name="beta">The weight of Σ p(1−t), the predictions' mass outside the targets (Keras' <c>beta</c>); finite.</param>
    /// <param name="axis">The axes the sums run over, as for <see cref="Dice"/>: null (Keras' default) for the whole batch, every axis but 0 for one value per sample.</param>
    /// <param name="reduction">How the per-sample values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> or <paramref name="beta"/> is not finite.</exception>
    /// <exception cref="ArgumentException"><paramref name="axis"/> is empty.</exception>
    public Tversky(double alpha = 0.5, double beta = 0.5, int[]? axis = null, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        Alpha = double.IsFinite(alpha)
            ? alpha
            : throw new ArgumentOutOfRangeException(nameof(alpha), alpha, FormattableString.Invariant($"Tversky expects a finite alpha but got alpha={alpha}."));
        Beta = double.IsFinite(beta)
            ? beta
            : throw new ArgumentOutOfRangeException(nameof(beta), beta, FormattableString.Invariant($"Tversky expects a finite beta but got beta={beta}."));
        _axis = OverlapLoss.CheckAxis(nameof(Tversky), axis);
        Axis = _axis is null ? null : Array.AsReadOnly(_axis);
    }

    private readonly int[]? _axis;

    /// <summary>The weight of Σ t(1−p) (Keras' <c>alpha</c>).</summary>
    public double Alpha { get; }

    /// <summary>The weight of Σ p(1−t) (Keras' <c>beta</c>).</summary>
    public double Beta { get; }

    /// <summary>The axes the sums run over, as given; null for the whole batch (Keras' default).</summary>
    public IReadOnlyList<int>? Axis { get; }

    /// <inheritdoc/>
    public override string Name => "tversky";

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
        OverlapLoss.Mean(predictions, targets, WholeBatch(predictions, targets), new Ratio(Alpha, Beta));

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination) =>
        OverlapLoss.PerSample(Name, predictions, targets, WholeBatch(predictions, targets), destination, new Ratio(Alpha, Beta));

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.CheckGradient(Name, predictions, gradient);
        OverlapLoss.MeanGradient(predictions, targets, gradient, WholeBatch(predictions, targets), new Ratio(Alpha, Beta));
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
    public override Config GetConfig() => OverlapLoss.SetAxis(base.GetConfig().Set("alpha", Alpha).Set("beta", Beta), _axis);

    private bool WholeBatch(Tensor predictions, Tensor targets)
    {
        LossChecks.SameShape(Name, predictions, targets);
        return OverlapLoss.WholeBatch(Name, _axis, predictions.Shape);
    }

    // L = 1 − I/D, D = I + α(T − I) + β(P − I) + ε (Σ t(1−p) = T − I, Σ p(1−t) = P − I):
    // dL/dp_j = −t_j / D + I·dD/dp_j / D², dD/dp_j = t_j − α t_j + β (1 − t_j).
    private readonly struct Ratio(double alpha, double beta) : IOverlapRatio
    {
        public double Loss(OverlapLoss.Sums sums) => 1 - (sums.Intersection / Denominator(sums));

        public double Slope(double target, OverlapLoss.Sums sums)
        {
            double d = Denominator(sums);
            double slope = ((1 - alpha) * target) + (beta * (1 - target));
            return (-target / d) + (sums.Intersection * slope / (d * d));
        }

        private double Denominator(OverlapLoss.Sums sums) =>
            sums.Intersection + (alpha * (sums.Targets - sums.Intersection)) + (beta * (sums.Predictions - sums.Intersection)) + LossChecks.Epsilon;
    }
}
