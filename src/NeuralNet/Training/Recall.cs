namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>Recall</c>: true positives / (true positives + false negatives), a prediction positive when above
/// <see cref="ConfusionRateMetric.Threshold"/>, a target when non-zero; every output counts, or only column
/// <see cref="ConfusionRateMetric.ClassId"/>. 0 when no target was positive.
/// </summary>
/// <param name="threshold">The decision threshold, in [0, 1].</param>
/// <param name="classId">Only this column counts; every output when null.</param>
/// <exception cref="ArgumentOutOfRangeException">The threshold is outside [0, 1] or the class id negative.</exception>
public sealed class Recall(double threshold = 0.5, int? classId = null) : ConfusionRateMetric(threshold, classId)
{
    /// <inheritdoc/>
    public override string Name => "recall";

    private protected override double Rate(double truePositives, double falsePositives, double falseNegatives) =>
        truePositives + falseNegatives == 0 ? 0 : (double)truePositives / (truePositives + falseNegatives);
}
