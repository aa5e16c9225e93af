using NeuralNet.Serialization;

namespace NeuralNet.Losses;

/// <summary>
/// Keras' <c>CategoricalFocalCrossentropy</c> (Lin et al. 2018): per row <c>sum_j alpha (1 − q_j)^gamma (−t_j log q_j)</c>,
/// the categorical cross-entropy with each class's term scaled down where it is already predicted well; averaged over
/// the batch.
/// </summary>
/// <remarks>
/// <para>Shapes: predictions and targets (batch, classes), one-hot or soft targets; more leading axes are allowed, every
/// row over the last axis then counts as a sample of the mean. With <c>alpha = 1</c> and <c>gamma = 0</c> it is
/// <see cref="CategoricalCrossEntropy"/>.</para>
/// <para>As in Keras the targets are smoothed first (<c>t (1 − s) + s / classes</c>); with <c>fromLogits</c> the row goes
/// through a (max-subtracted) softmax; q is the row divided by its sum and clipped to [1e-7, 1 − 1e-7]. The model
/// back-propagates through a final softmax the ordinary way: the fused softmax gradient of the plain cross-entropies
/// does not apply to the focal factor.</para>
/// </remarks>
public sealed class CategoricalFocalCrossEntropy : Loss
{
    /// <summary>Creates the loss with Keras' defaults.</summary>
    /// <param name="alpha">The weight of every class's term, finite and at least 0 (Keras' scalar form).</param>
    /// <param name="gamma">The focusing parameter, finite and at least 0; 0 removes the focal effect.</param>
    /// <param name="fromLogits">True when the model outputs logits (no final softmax).</param>
    /// <param name="labelSmoothing">In [0, 1]: targets become <c>t (1 − s) + s / classes</c>.</param>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> or <paramref name="gamma"/> is negative or
    /// not finite, or <paramref name="labelSmoothing"/> is outside [0, 1].</exception>
    public CategoricalFocalCrossEntropy(double alpha = 0.25, double gamma = 2.0, bool fromLogits = false, double labelSmoothing = 0, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        if (!(alpha >= 0 && double.IsFinite(alpha)))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha,
                FormattableString.Invariant($"CategoricalFocalCrossEntropy expects a finite alpha >= 0 but got alpha={alpha}."));
        }

        Alpha = alpha;
        Gamma = FocalFactor.CheckGamma(nameof(CategoricalFocalCrossEntropy), gamma);
        FromLogits = fromLogits;
        LabelSmoothing = LossChecks.LabelSmoothing(nameof(CategoricalFocalCrossEntropy), labelSmoothing);
    }

    /// <summary>The weight of every class's term.</summary>
    public double Alpha { get; }

    /// <summary>The focusing parameter.</summary>
    public double Gamma { get; }

    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <summary>How far targets are spread toward the uniform distribution, in [0, 1].</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc/>
    public override string Name => "categorical_focal_crossentropy";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ: "output (None, 5) does not match targets (None, 10)".</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) =>
        LossChecks.SameSampleShape(Name, outputShape, targetShape, oneHot: true);

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets)
    {
        LossChecks.SameShape(Name, predictions, targets);
        int classes = LossChecks.Classes(predictions);
        return LossLoops.RowMean(predictions, targets, classes, classes, new RowValue(this));
    }

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination)
    {
        LossChecks.SameShape(Name, predictions, targets);
        int classes = LossChecks.Classes(predictions);
        LossLoops.RowMeanPerSample(Name, predictions, targets, classes, classes, destination, new RowValue(this));
    }

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        LossChecks.SameShape(Name, predictions, targets, gradient);
        int classes = LossChecks.Classes(predictions);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        Span<float> g = gradient.AsSpan();
        int rows = p.Length / classes;
        for (int start = 0; start < p.Length; start += classes)
        {
            RowGradient(p.Slice(start, classes), t.Slice(start, classes), g.Slice(start, classes), 1.0 / rows);
        }
    }

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("alpha", Alpha)
        .Set("gamma", Gamma)
        .Set("from_logits", FromLogits)
        .Set("label_smoothing", LabelSmoothing);

    // With r = the row's probabilities (the softmax of the logits, or the predictions), u = r / sum(r), q = clip(u) and
    // dL/dq_j = G_j = alpha (gamma (1 − q_j)^(gamma−1) t_j log q_j − (1 − q_j)^gamma t_j / q_j) (0 where q_j is clipped):
    //   dL/dr_k = (G_k − sum_j G_j u_j) / sum(r); through a softmax, dL/dx_k = r_k (dL/dr_k − sum_m r_m dL/dr_m).
    // The gradient row holds dL/dr until the last pass, so nothing is allocated.
    private void RowGradient(ReadOnlySpan<float> x, ReadOnlySpan<float> targets, Span<float> g, double scale)
    {
        int classes = x.Length;
        double logSumExp = FromLogits ? CategoricalCrossEntropy.LogSumExp(x) : 0;
        double sum = 0;
        for (int j = 0; j < classes; j++)
        {
            sum += Probability(x, j, logSumExp);
        }

        double weighted = 0;
        for (int j = 0; j < classes; j++)
        {
            double u = Probability(x, j, logSumExp) / sum;
            weighted += TermSlope(u, targets[j], classes) * u;
        }

        double through = 0;
        for (int k = 0; k < classes; k++)
        {
            double r = Probability(x, k, logSumExp);
            double d = (TermSlope(r / sum, targets[k], classes) - weighted) / sum;
            g[k] = (float)d;
            through += r * d;
        }

        for (int k = 0; k < classes; k++)
        {
            double d = FromLogits ? Probability(x, k, logSumExp) * (g[k] - through) : g[k];
            g[k] = (float)(d * scale);
        }
    }

    private double Probability(ReadOnlySpan<float> x, int j, double logSumExp) => FromLogits ? Math.Exp(x[j] - logSumExp) : x[j];

    // dL/du_j of one class's term alpha (1 − q)^gamma (−t log q), q = clip(u); 0 where u is clipped.
    private double TermSlope(double u, float target, int classes)
    {
        double t = LossChecks.SmoothCategorical(target, LabelSmoothing, classes);
        if (t == 0 || !LossChecks.Unclipped(u))
        {
            return 0;
        }

        double rest = 1 - u;
        return Alpha * ((FocalFactor.Slope(rest, Gamma) * t * Math.Log(u)) - (FocalFactor.Value(rest, Gamma) * t / u));
    }

    private readonly struct RowValue(CategoricalFocalCrossEntropy loss) : IRowLoss
    {
        private readonly double _alpha = loss.Alpha, _gamma = loss.Gamma, _smoothing = loss.LabelSmoothing;
        private readonly bool _logits = loss.FromLogits;

        public double Value(int row, ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets)
        {
            int classes = predictions.Length;
            double logSumExp = _logits ? CategoricalCrossEntropy.LogSumExp(predictions) : 0;
            double sum = 0;
            for (int j = 0; j < classes; j++)
            {
                sum += _logits ? Math.Exp(predictions[j] - logSumExp) : predictions[j];
            }

            double total = 0;
            for (int j = 0; j < classes; j++)
            {
                double t = LossChecks.SmoothCategorical(targets[j], _smoothing, classes);
                if (t != 0)
                {
                    double q = LossChecks.Clip((_logits ? Math.Exp(predictions[j] - logSumExp) : predictions[j]) / sum);
                    total += _alpha * FocalFactor.Value(1 - q, _gamma) * -t * Math.Log(q);
                }
            }

            return total;
        }
    }
}
