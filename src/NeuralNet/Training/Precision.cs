namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>Precision</c>: true positives / (true positives + false positives), a prediction positive when above
/// <see cref="ConfusionRateMetric.Threshold"/>, a target when non-zero; every output counts, or only column
/// <see cref="ConfusionRateMetric.ClassId"/>. 0 when nothing was predicted positive.
/// </summary>
/// <param name="threshold">The decision threshold, in [0, 1].</param>
/// <param name="classId">Only this column counts; every output when null.</param>
/// <exception cref="ArgumentOutOfRangeException">The threshold is outside [0, 1] or the class id negative.</exception>
public sealed class Precision(double threshold = 0.5, int? classId = null) : ConfusionRateMetric(threshold, classId)
{
    /// <inheritdoc/>
    public override string Name => "precision";

    private protected override double Rate(double truePositives, double falsePositives, double falseNegatives) =>
        truePositives + falsePositives == 0 ? 0 : (double)truePositives / (truePositives + falsePositives);
}
