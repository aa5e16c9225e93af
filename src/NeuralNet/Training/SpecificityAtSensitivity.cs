using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>SpecificityAtSensitivity</c>, logged as <c>specificity_at_sensitivity</c>: the best specificity TN / (TN + FP) over the thresholds where the sensitivity TP / (TP + FN) is at least <see cref="Sensitivity"/>; 0 where none is.
/// </summary>
/// <param name="sensitivity">The required sensitivity, in [0, 1].</param>
/// <param name="numThresholds">The number of thresholds; at least 1.</param>
/// <param name="classId">Only this column counts; every output when null.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="sensitivity"/> is outside [0, 1], <paramref name="numThresholds"/> below 1 or <paramref name="classId"/> negative.</exception>
public sealed class SpecificityAtSensitivity(double sensitivity, int numThresholds = 200, int? classId = null)
    : SensitivitySpecificityMetric(nameof(sensitivity), sensitivity, numThresholds, classId)
{
    /// <inheritdoc/>
    protected override string DefaultName => "specificity_at_sensitivity";

    /// <summary>The required sensitivity.</summary>
    public double Sensitivity => Value;

    /// <inheritdoc/>
    public override Config GetConfig() => Settings("sensitivity");

    private protected override (double Constrained, double Dependent) Rates(double truePositives, double falsePositives, double trueNegatives, double falseNegatives) =>
        (SensitivityOf(truePositives, falseNegatives), SpecificityOf(trueNegatives, falsePositives));
}
