using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>RecallAtPrecision</c>, logged as <c>recall_at_precision</c>: the best recall TP / (TP + FN) over the thresholds where the precision TP / (TP + FP) is at least <see cref="Precision"/>; 0 where none is (an unreachable precision gives 0).
/// </summary>
/// <param name="precision">The required precision, in [0, 1].</param>
/// <param name="numThresholds">The number of thresholds; at least 1.</param>
/// <param name="classId">Only this column counts; every output when null.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="precision"/> is outside [0, 1], <paramref name="numThresholds"/> below 1 or <paramref name="classId"/> negative.</exception>
public sealed class RecallAtPrecision(double precision, int numThresholds = 200, int? classId = null)
    : SensitivitySpecificityMetric(nameof(precision), precision, numThresholds, classId)
{
    /// <inheritdoc/>
    protected override string DefaultName => "recall_at_precision";

    /// <summary>The required precision.</summary>
    public double Precision => Value;

    /// <inheritdoc/>
    public override Config GetConfig() => Settings("precision");

    private protected override (double Constrained, double Dependent) Rates(double truePositives, double falsePositives, double trueNegatives, double falseNegatives) =>
        (PrecisionOf(truePositives, falsePositives), SensitivityOf(truePositives, falseNegatives));
}
