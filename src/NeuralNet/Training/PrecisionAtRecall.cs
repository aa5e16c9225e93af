using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>PrecisionAtRecall</c>, logged as <c>precision_at_recall</c>: the best precision TP / (TP + FP) over the thresholds where the recall TP / (TP + FN) is at least <see cref="Recall"/>; 0 where none is.
/// </summary>
/// <param name="recall">The required recall, in [0, 1].</param>
/// <param name="numThresholds">The number of thresholds; at least 1.</param>
/// <param name="classId">Only this column counts; every output when null.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="recall"/> is outside [0, 1], <paramref name="numThresholds"/> below 1 or <paramref name="classId"/> negative.</exception>
public sealed class PrecisionAtRecall(double recall, int numThresholds = 200, int? classId = null)
    : SensitivitySpecificityMetric(nameof(recall), recall, numThresholds, classId)
{
    /// <inheritdoc/>
    protected override string DefaultName => "precision_at_recall";

    /// <summary>The required recall.</summary>
    public double Recall => Value;

    /// <inheritdoc/>
    public override Config GetConfig() => Settings("recall");

    private protected override (double Constrained, double Dependent) Rates(double truePositives, double falsePositives, double trueNegatives, double falseNegatives) =>
        (SensitivityOf(truePositives, falseNegatives), PrecisionOf(truePositives, falsePositives));
}
