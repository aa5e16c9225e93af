namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>TrueNegatives</c> (<c>"true_negatives"</c>): the number of true negatives (target 0, prediction at or below the threshold), or the sum of their samples' weights.
/// </summary>
/// <param name="threshold">The decision threshold, in [0, 1].</param>
/// <exception cref="ArgumentOutOfRangeException">The threshold is outside [0, 1].</exception>
public sealed class TrueNegatives(double threshold = 0.5) : ConfusionCountMetric(threshold)
{
    /// <inheritdoc/>
    public override string Name => "true_negatives";

    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private protected override double Count(double truePositives, double falsePositives, double trueNegatives, double falseNegatives) => trueNegatives;
}
