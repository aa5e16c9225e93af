namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>FalseNegatives</c> (<c>"false_negatives"</c>): the number of false negatives (target non-zero, prediction at or below the threshold), or the sum of their samples' weights.
/// </summary>
/// <param name="threshold">The decision threshold, in [0, 1].</param>
/// <exception cref="ArgumentOutOfRangeException">The threshold is outside [0, 1].</exception>
public sealed class FalseNegatives(double threshold = 0.5) : ConfusionCountMetric(threshold)
{
    /// <inheritdoc/>
    public override string Name => "false_negatives";

    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Down;

    private protected override double Count(double truePositives, double falsePositives, double trueNegatives, double falseNegatives) => falseNegatives;
}
