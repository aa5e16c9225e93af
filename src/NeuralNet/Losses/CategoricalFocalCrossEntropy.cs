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
/// <para>alpha is one weight for every class, or one per class (Keras' list form), in the class axis's order. With
/// <c>axis</c> the classes lie on another axis than the last, as for <see cref="CategoricalCrossEntropy"/>.</para>
/// </remarks>
public sealed class CategoricalFocalCrossEntropy : Loss
{
    private readonly double[]? _alphas;

    /// <summary>Creates the loss with Keras' defaults.</summary>
    /// <param name="alpha">The weight of every class's term, finite and at least 0 (Keras' scalar form).</param>
    /// <param name="gamma">The focusing parameter, finite and at least 0; 0 removes the focal effect.</param>
    /// <param name="fromLogits">True when the model outputs logits (no final softmax).</param>
    /// <param name="labelSmoothing">In [0, 1]: targets become <c>t (1 − s) + s / classes</c>.</param>
    /// <param name="axis">The class axis (Keras' <c>axis</c>): -1, the last, by default; negative axes count from the end; not 0, the batch axis.</param>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alpha"/> or <paramref name="gamma"/> is negative or
    /// not finite, <paramref name="labelSmoothing"/> is outside [0, 1], or <paramref name="axis"/> is 0.</exception>
    public CategoricalFocalCrossEntropy(double alpha = 0.25, double gamma = 2.0, bool fromLogits = false, double labelSmoothing = 0, int axis = -1, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        Alpha = CheckAlpha(alpha, nameof(alpha));
        Gamma = FocalFactor.CheckGamma(nameof(CategoricalFocalCrossEntropy), gamma);
        FromLogits = fromLogits;
        LabelSmoothing = LossChecks.LabelSmoothing(nameof(CategoricalFocalCrossEntropy), labelSmoothing);
        Axis = ClassAxis.Check(nameof(CategoricalFocalCrossEntropy), axis);
    }

    /// <summary>Creates the loss with one weight per class (Keras' <c>alpha</c> as a list).</summary>
    /// <param name="alpha">The weight of each class's term, in the order of the class axis, each finite and at least 0;
    /// as many as the output has classes (checked against the output).</param>
    /// <param name="gamma">The focusing parameter, finite and at least 0; 0 removes the focal effect.</param>
    /// <param name="fromLogits">True when the model outputs logits (no final softmax).</param>
    /// <param name="labelSmoothing">In [0, 1]: targets become <c>t (1 − s) + s / classes</c>.</param>
    /// <param name="axis">The class axis (Keras' <c>axis</c>): -1, the last, by default; not 0, the batch axis.</param>
    /// <param name="reduction">How the per-entry values become the loss (Keras' <c>reduction</c>); <see cref="LossReduction.SumOverBatchSize"/>, the mean, by default.</param>
    /// <exception cref="ArgumentNullException"><paramref name="alpha"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="alpha"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A weight of <paramref name="alpha"/> or <paramref name="gamma"/> is
    /// negative or not finite, <paramref name="labelSmoothing"/> is outside [0, 1], or <paramref name="axis"/> is 0.</exception>
    public CategoricalFocalCrossEntropy(IReadOnlyList<double> alpha, double gamma = 2.0, bool fromLogits = false, double labelSmoothing = 0, int axis = -1, LossReduction reduction = LossReduction.SumOverBatchSize)
        : base(reduction)
    {
        ArgumentNullException.ThrowIfNull(alpha);
        if (alpha.Count == 0)
        {
            throw new ArgumentException("CategoricalFocalCrossEntropy expects one alpha per class but got an empty list.", nameof(alpha));
        }

        _alphas = new double[alpha.Count];
        for (int j = 0; j < _alphas.Length; j++)
        {
            _alphas[j] = CheckAlpha(alpha[j], FormattableString.Invariant($"alpha[{j}]"));
        }

        AlphaPerClass = Array.AsReadOnly(_alphas);

        Alpha = 1;
        Gamma = FocalFactor.CheckGamma(nameof(CategoricalFocalCrossEntropy), gamma);
        FromLogits = fromLogits;
        LabelSmoothing = LossChecks.LabelSmoothing(nameof(CategoricalFocalCrossEntropy), labelSmoothing);
        Axis = ClassAxis.Check(nameof(CategoricalFocalCrossEntropy), axis);
    }

    /// <summary>The weight of every class's term; 1 when <see cref="AlphaPerClass"/> gives each class its own.</summary>
    public double Alpha { get; }

    /// <summary>The weight of each class's term (Keras' <c>alpha</c> as a list), or null when <see cref="Alpha"/> weighs every class.</summary>
    public IReadOnlyList<double>? AlphaPerClass { get; }

    /// <summary>The focusing parameter.</summary>
    public double Gamma { get; }

    /// <summary>Whether predictions are logits rather than probabilities.</summary>
    public bool FromLogits { get; }

    /// <summary>How far targets are spread toward the uniform distribution, in [0, 1].</summary>
    public double LabelSmoothing { get; }

    /// <summary>The class axis (Keras' <c>axis</c>), -1 for the last; an axis beyond the output's rank is refused when the shapes are checked.</summary>
    public int Axis { get; }

    /// <inheritdoc/>
    public override string Name => "categorical_focal_crossentropy";

    /// <inheritdoc/>
    public override float Compute(Tensor predictions, Tensor targets) => ComputeReduced(predictions, targets);

    /// <inheritdoc/>
    public override void Gradient(Tensor predictions, Tensor targets, Tensor gradient) => GradientReduced(predictions, targets, gradient);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ: "output (None, 5) does not match targets (None, 10)"; or
    /// <see cref="Axis"/> is not an axis of the output after the batch axis; or <see cref="AlphaPerClass"/> does not hold
    /// one weight per class.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        LossChecks.SameSampleShape(Name, outputShape, targetShape, oneHot: true);
        ClassAxis.CheckSampleShape(Name, Axis, outputShape);
        if (_alphas is not null)
        {
            int axis = Axis < 0 ? Axis + outputShape.Rank + 1 : Axis;
            CheckAlphaCount(outputShape.Rank == 0 ? 1 : outputShape[axis - 1], outputShape, perSample: true);
        }
    }

    /// <inheritdoc/>
    internal override float ComputeMean(Tensor predictions, Tensor targets)
    {
        ClassAxis layout = Layout(predictions, targets, null);
        return AxisRows.RowMean(layout, predictions, targets, new RowValue(this, layout.LastAxis));
    }

    /// <inheritdoc/>
    public override void ComputePerSample(Tensor predictions, Tensor targets, Span<float> destination)
    {
        ClassAxis layout = Layout(predictions, targets, null);
        AxisRows.RowMeanPerSample(Name, layout, predictions, targets, destination, new RowValue(this, layout.LastAxis));
    }

    /// <inheritdoc/>
    internal override void MeanGradient(Tensor predictions, Tensor targets, Tensor gradient)
    {
        ArgumentNullException.ThrowIfNull(gradient);
        ClassAxis layout = Layout(predictions, targets, gradient);
        AxisRows.Gradient(layout, predictions, targets, gradient, new RowGradient(this, layout.LastAxis));
    }

    /// <inheritdoc/>
    internal override int EntryCount(Tensor predictions) => ClassAxis.Of(Name, Axis, predictions).Entries;

    /// <inheritdoc/>
    internal override void CheckTakesMask(int rank) => LossChecks.MaskOnLastAxis(Name, Axis, rank);

    /// <inheritdoc/>
    internal override string? RefusesEntryWeights(int rank) => LossChecks.EntryWeightsOnLastAxis(Name, Axis, rank);

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = _alphas is null ? base.GetConfig().Set("alpha", Alpha) : base.GetConfig().Set("alpha", _alphas);
        return config
            .Set("gamma", Gamma)
            .Set("from_logits", FromLogits)
            .Set("label_smoothing", LabelSmoothing)
            .Set("axis", Axis);
    }

    private static double CheckAlpha(double alpha, string name) =>
        alpha >= 0 && double.IsFinite(alpha)
            ? alpha
            : throw new ArgumentOutOfRangeException(name, alpha,
                FormattableString.Invariant($"CategoricalFocalCrossEntropy expects a finite {name} >= 0 but got {name}={alpha}."));

    // The shapes checked, and the classes' layout; a per-class alpha must have one weight per class.
    private ClassAxis Layout(Tensor predictions, Tensor targets, Tensor? gradient)
    {
        LossChecks.SameShape(Name, predictions, targets, gradient);
        ClassAxis layout = ClassAxis.Of(Name, Axis, predictions);
        CheckAlphaCount(layout.Classes, predictions.Shape, perSample: false);
        return layout;
    }

    private void CheckAlphaCount(int classes, TensorShape shape, bool perSample)
    {
        if (_alphas is not null && _alphas.Length != classes)
        {
            throw new ArgumentException(
                FormattableString.Invariant($"{Name}: alpha holds {_alphas.Length} weights but the output {(perSample ? shape.ToBatchString() : shape.ToString())} has {classes} classes on axis {Axis}; expected one alpha per class."),
                "alpha");
        }
    }

    // With r = the row's probabilities (the softmax of the logits, or the predictions), u = r / sum(r), q = clip(u) and
    // dL/dq_j = G_j = alpha_j (gamma (1 − q_j)^(gamma−1) t_j log q_j − (1 − q_j)^gamma t_j / q_j) (0 where q_j is clipped):
    //   dL/dr_k = (G_k − sum_j G_j u_j) / sum(r); through a softmax, dL/dx_k = r_k (dL/dr_k − sum_m r_m dL/dr_m).
    // The gradient row holds dL/dr until the last pass, so nothing is allocated.
    private readonly struct RowGradient(CategoricalFocalCrossEntropy loss, int smoothingClasses) : IRowGradient
    {
        // Read once per batch, not per class: this runs for every element of every step.
        private readonly double _alpha = loss.Alpha;
        private readonly double[]? _alphas = loss._alphas;

        public void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> targets, Span<float> g, int rows)
        {
            double scale = 1.0 / rows;
            int classes = x.Length;
            double logSumExp = loss.FromLogits ? CategoricalCrossEntropy.LogSumExp(x) : 0;
            double sum = 0;
            for (int j = 0; j < classes; j++)
            {
                sum += Probability(x, j, logSumExp);
            }

            double weighted = 0;
            for (int j = 0; j < classes; j++)
            {
                double u = Probability(x, j, logSumExp) / sum;
                weighted += TermSlope(u, targets[j], j) * u;
            }

            double through = 0;
            for (int k = 0; k < classes; k++)
            {
                double r = Probability(x, k, logSumExp);
                double d = (TermSlope(r / sum, targets[k], k) - weighted) / sum;
                g[k] = (float)d;
                through += r * d;
            }

            for (int k = 0; k < classes; k++)
            {
                double d = loss.FromLogits ? Probability(x, k, logSumExp) * (g[k] - through) : g[k];
                g[k] = (float)(d * scale);
            }
        }

        private double Probability(ReadOnlySpan<float> x, int j, double logSumExp) => loss.FromLogits ? Math.Exp(x[j] - logSumExp) : x[j];

        // dL/du_j of one class's term alpha_j (1 − q)^gamma (−t log q), q = clip(u); 0 where u is clipped.
        private double TermSlope(double u, float target, int j)
        {
            double t = LossChecks.SmoothCategorical(target, loss.LabelSmoothing, smoothingClasses);
            if (t == 0 || !LossChecks.Unclipped(u))
            {
                return 0;
            }

            double rest = 1 - u;
            return (_alphas is null ? _alpha : _alphas[j]) * ((FocalFactor.Slope(rest, loss.Gamma) * t * Math.Log(u)) - (FocalFactor.Value(rest, loss.Gamma) * t / u));
        }
    }

    private readonly struct RowValue(CategoricalFocalCrossEntropy loss, int smoothingClasses) : IRowLoss
    {
        private readonly double _alpha = loss.Alpha, _gamma = loss.Gamma, _smoothing = loss.LabelSmoothing;
        private readonly double[]? _alphas = loss._alphas;
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
                double t = LossChecks.SmoothCategorical(targets[j], _smoothing, smoothingClasses);
                if (t != 0)
                {
                    double q = LossChecks.Clip((_logits ? Math.Exp(predictions[j] - logSumExp) : predictions[j]) / sum);
                    total += (_alphas is null ? _alpha : _alphas[j]) * FocalFactor.Value(1 - q, _gamma) * -t * Math.Log(q);
                }
            }

            return total;
        }
    }
}
