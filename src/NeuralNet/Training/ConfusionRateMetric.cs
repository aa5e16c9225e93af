using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// The base of <see cref="Precision"/> and <see cref="Recall"/>: confusion counts at one threshold (a prediction positive
/// when above <see cref="Threshold"/>, a target when non-zero), over every output or only column <see cref="ClassId"/>.
/// </summary>
public abstract class ConfusionRateMetric : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private readonly ConfusionCounts _counts;

    private protected ConfusionRateMetric(double threshold, int? classId)
    {
        Threshold = threshold is >= 0 and <= 1 ? threshold : throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be in [0, 1].");
        ClassId = classId is null or >= 0 ? classId : throw new ArgumentOutOfRangeException(nameof(classId), classId, "classId must be >= 0.");
        _counts = new ConfusionCounts([threshold], classId);
    }

    /// <summary>The decision threshold.</summary>
    public double Threshold { get; }

    /// <summary>The only column that counts, or null.</summary>
    public int? ClassId { get; }

    /// <inheritdoc/>
    public override void Reset() => _counts.Reset();

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ, or <see cref="ClassId"/> is not a column of the output.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) =>
        StreamingMetrics.SameSampleSizeAndClassColumn(Name, outputShape, targetShape, ClassId);

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets) => _counts.Update(Name, predictions, targets, default);

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights) => _counts.Update(Name, predictions, targets, sampleWeights);

    /// <inheritdoc/>
    public override double Result() => Rate(_counts.TruePositives[0], _counts.FalsePositives[0], _counts.FalseNegatives[0]);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("thresholds", Threshold).Set("class_id", (long?)ClassId);

    /// <summary>The metric from the counts of true positives, false positives and false negatives.</summary>
    private protected abstract double Rate(double truePositives, double falsePositives, double falseNegatives);
}
