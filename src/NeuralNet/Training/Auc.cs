using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>AUC</c> with its default interpolation: confusion counts at <see cref="NumThresholds"/> thresholds (−1e-7, then
/// i / (n − 1) for i = 1 … n − 2, then 1 + 1e-7), a prediction positive when above; the ROC area by the trapezoid rule over
/// (false-positive rate, recall), the PR area by Davis and Goadrich's interpolation. Targets must be 0 or 1.
/// </summary>
public sealed class Auc : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private const double Epsilon = 1e-7;
    private readonly ConfusionCounts _counts;

    /// <summary>Creates the metric.</summary>
    /// <param name="numThresholds">The number of thresholds; more than 1.</param>
    /// <param name="curve">The ROC or PR curve.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numThresholds"/> is below 2.</exception>
    public Auc(int numThresholds = 200, AucCurve curve = AucCurve.Roc)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numThresholds, 2);
        NumThresholds = numThresholds;
        Curve = curve;
        var thresholds = new double[numThresholds];
        thresholds[0] = -Epsilon;
        for (int i = 1; i < numThresholds - 1; i++)
        {
            thresholds[i] = (double)i / (numThresholds - 1);
        }

        thresholds[^1] = 1 + Epsilon;
        _counts = new ConfusionCounts(thresholds, null);
    }

    /// <summary>The number of thresholds.</summary>
    public int NumThresholds { get; }

    /// <summary>The curve integrated.</summary>
    public AucCurve Curve { get; }

    /// <summary>The thresholds, increasing.</summary>
    public IReadOnlyList<double> Thresholds => _counts.Thresholds;

    /// <inheritdoc/>
    protected override string DefaultName => "auc";

    /// <inheritdoc/>
    public override void Reset() => _counts.Reset();

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => StreamingMetrics.SameSampleSize(Name, outputShape, targetShape);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A target is not 0 or 1 (the message names it).</exception>
    public override void ValidateTargets(Tensor targets, TensorShape outputShape) => CheckBinary(targets);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A target is not 0 or 1 (the message names it).</exception>
    public override void Update(Tensor predictions, Tensor targets) => Update(predictions, targets, default);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A target is not 0 or 1 (the message names it).</exception>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        CheckBinary(targets);
        _counts.Update(Name, predictions, targets, sampleWeights);
    }

    private static void CheckBinary(Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        for (int i = 0; i < t.Length; i++)
        {
            if (t[i] is not (0f or 1f))
            {
                throw new ArgumentException(System.FormattableString.Invariant($"auc: targets must be 0 or 1, but element {i} is {t[i]}."), nameof(targets));
            }
        }
    }

    /// <inheritdoc/>
    public override double Result()
    {
        double[] tp = _counts.TruePositives, fp = _counts.FalsePositives, tn = _counts.TrueNegatives, fn = _counts.FalseNegatives;
        int n = NumThresholds;
        double area = 0;
        if (Curve == AucCurve.Roc)
        {
            for (int i = 0; i < n - 1; i++)
            {
                double x0 = Ratio(fp[i], fp[i] + tn[i]), x1 = Ratio(fp[i + 1], fp[i + 1] + tn[i + 1]);
                double y0 = Ratio(tp[i], tp[i] + fn[i]), y1 = Ratio(tp[i + 1], tp[i + 1] + fn[i + 1]);
                area += (x0 - x1) * (y0 + y1) / 2;
            }

            return area;
        }

        for (int i = 0; i < n - 1; i++)
        {
            double dtp = tp[i] - tp[i + 1];
            double p0 = tp[i] + fp[i], p1 = tp[i + 1] + fp[i + 1];
            double slope = Ratio(dtp, Math.Max(p0 - p1, 0));
            double intercept = tp[i + 1] - (slope * p1);
            double pRatio = p0 > 0 && p1 > 0 ? p0 / Math.Max(p1, 0) : 1;
            area += Ratio(slope * (dtp + (intercept * Math.Log(pRatio))), Math.Max(tp[i + 1] + fn[i + 1], 0));
        }

        return area;
    }

    /// <summary>
    /// The ROC curve through the counts accumulated since the last <see cref="Metric.Reset"/>: the false and true positive
    /// rates at each of <see cref="Thresholds"/>, from the lowest threshold (near (1, 1)) to the highest (near (0, 0)) —
    /// the points whose trapezoids <see cref="Result"/> sums for the ROC curve. Read it after <c>Evaluate</c> to plot the curve.
    /// </summary>
    /// <returns>The false positive rates (x) and true positive rates (y), one per threshold.</returns>
    public (double[] FalsePositiveRates, double[] TruePositiveRates) RocCurve()
    {
        double[] tp = _counts.TruePositives, fp = _counts.FalsePositives, tn = _counts.TrueNegatives, fn = _counts.FalseNegatives;
        var x = new double[tp.Length];
        var y = new double[tp.Length];
        for (int i = 0; i < tp.Length; i++)
        {
            x[i] = Ratio(fp[i], fp[i] + tn[i]);
            y[i] = Ratio(tp[i], tp[i] + fn[i]);
        }

        return (x, y);
    }

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("num_thresholds", NumThresholds).Set("curve", Curve == AucCurve.Roc ? "ROC" : "PR");

    // TensorFlow's divide_no_nan.
    private static double Ratio(double numerator, double denominator) => denominator == 0 ? 0 : numerator / denominator;
}
