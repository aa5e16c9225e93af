using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>SensitivityAtSpecificity</c>, logged as <c>sensitivity_at_specificity</c>: the best sensitivity TP / (TP + FN) over the thresholds where the specificity TN / (TN + FP) is at least <see cref="Specificity"/>; 0 where none is.
/// </summary>
/// <param name="specificity">The required specificity, in [0, 1].</param>
/// <param name="numThresholds">The number of thresholds; at least 1.</param>
/// <param name="classId">Only this column counts; every output when null.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="specificity"/> is outside [0, 1], <paramref name="numThresholds"/> below 1 or <paramref name="classId"/> negative.</exception>
public sealed class SensitivityAtSpecificity(double specificity, int numThresholds = 200, int? classId = null)
    : SensitivitySpecificityMetric(nameof(specificity), specificity, numThresholds, classId)
{
    /// <inheritdoc/>
    protected override string DefaultName => "sensitivity_at_specificity";

    /// <summary>The required specificity.</summary>
    public double Specificity => Value;

    /// <inheritdoc/>
    public override Config GetConfig() => Settings("specificity");

    private protected override (double Constrained, double Dependent) Rates(double truePositives, double falsePositives, double trueNegatives, double falseNegatives) =>
        (SpecificityOf(trueNegatives, falsePositives), SensitivityOf(truePositives, falseNegatives));
}
