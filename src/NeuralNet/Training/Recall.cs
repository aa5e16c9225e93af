using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>Recall</c>: true positives / (true positives + false negatives), a prediction positive when above
/// <see cref="Threshold"/>, a target when non-zero; every output counts, or only column <see cref="ClassId"/>. 0 when no target was positive.
/// </summary>
public sealed class Recall : Metric
{
    private readonly ConfusionCounts _counts;

    /// <summary>Creates the metric.</summary>
    /// <param name="threshold">The decision threshold, in [0, 1].</param>
    /// <param name="classId">Only this column counts; every output when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is outside [0, 1] or the class id negative.</exception>
    public Recall(double threshold = 0.5, int? classId = null)
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
    public override string Name => "recall";

    /// <inheritdoc/>
    public override void Reset() => _counts.Reset();

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ, or <see cref="ClassId"/> is not a column of the output.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        StreamingMetrics.SameSampleSize(Name, outputShape, targetShape);
        int columns = outputShape.Rank == 0 ? 1 : outputShape[-1];
        if (ClassId >= columns)
        {
            throw new ArgumentException(System.FormattableString.Invariant($"{Name}: classId {ClassId} is not a column of the output {outputShape.ToBatchString()} (0 to {columns - 1})."), "outputShape");
        }
    }

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets) => _counts.Update(Name, predictions, targets);

    /// <inheritdoc/>
    public override double Result()
    {
        long tp = _counts.TruePositives[0], fn = _counts.FalseNegatives[0];
        return tp + fn == 0 ? 0 : (double)tp / (tp + fn);
    }

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("thresholds", Threshold).Set("class_id", (long?)ClassId);
}
