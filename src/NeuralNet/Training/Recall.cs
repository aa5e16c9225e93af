namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>Recall</c>: true positives / (true positives + false negatives), a prediction positive when above the
/// threshold, a target when non-zero; every output counts, or only column <see cref="ConfusionRateMetric.ClassId"/>; with
/// <see cref="ConfusionRateMetric.TopK"/>, only the k largest predictions of each row can be positive. 0 when no target was
/// positive. With a list of thresholds, one recall per threshold (<see cref="ConfusionRateMetric.Results"/>).
/// </summary>
public sealed class Recall : ConfusionRateMetric
{
    /// <summary>Creates the metric with one threshold.</summary>
    /// <param name="threshold">The decision threshold, in [0, 1]; null for Keras' default, 0.5, or −1e10 with <paramref name="topK"/> (every kept prediction positive).</param>
    /// <param name="classId">Only this column counts; every output when null.</param>
    /// <param name="topK">Only the k largest predictions of each row can be positive (Keras' <c>top_k</c>); all when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is outside [0, 1], the class id negative or topK below 1.</exception>
    public Recall(double? threshold = null, int? classId = null, int? topK = null)
        : base(threshold, null, classId, topK)
    {
    }

    /// <summary>Creates the metric with several thresholds, one result each (Keras' <c>thresholds</c> list).</summary>
    /// <param name="thresholds">The decision thresholds, each in [0, 1].</param>
    /// <param name="classId">Only this column counts; every output when null.</param>
    /// <param name="topK">Only the k largest predictions of each row can be positive (Keras' <c>top_k</c>); all when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="thresholds"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="thresholds"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A threshold is outside [0, 1], the class id negative or topK below 1.</exception>
    public Recall(IReadOnlyList<double> thresholds, int? classId = null, int? topK = null)
        : base(null, thresholds ?? throw new ArgumentNullException(nameof(thresholds)), classId, topK)
    {
    }

    /// <inheritdoc/>
    protected override string DefaultName => "recall";

    private protected override double Rate(double truePositives, double falsePositives, double falseNegatives) =>
        MetricMath.DivideNoNan(truePositives, truePositives + falseNegatives);
}
