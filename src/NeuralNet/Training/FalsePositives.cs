namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>FalsePositives</c> (<c>"false_positives"</c>): the number of false positives (target 0, prediction above the threshold), or the sum of their samples' weights.
/// </summary>
/// <param name="threshold">The decision threshold, in [0, 1].</param>
/// <exception cref="ArgumentOutOfRangeException">The threshold is outside [0, 1].</exception>
public sealed class FalsePositives(double threshold = 0.5) : ConfusionCountMetric(threshold)
{
    /// <inheritdoc/>
    public override string Name => "false_positives";

    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Down;

    private protected override double Count(double truePositives, double falsePositives, double trueNegatives, double falseNegatives) => falsePositives;
}
