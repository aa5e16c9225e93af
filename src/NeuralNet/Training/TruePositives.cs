namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>TruePositives</c> (<c>"true_positives"</c>): the number of true positives (target non-zero, prediction above the threshold), or the sum of their samples' weights.
/// </summary>
/// <param name="threshold">The decision threshold, in [0, 1].</param>
/// <exception cref="ArgumentOutOfRangeException">The threshold is outside [0, 1].</exception>
public sealed class TruePositives(double threshold = 0.5) : ConfusionCountMetric(threshold)
{
    /// <inheritdoc/>
    public override string Name => "true_positives";

    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private protected override double Count(double truePositives, double falsePositives, double trueNegatives, double falseNegatives) => truePositives;
}
