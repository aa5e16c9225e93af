namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>TrueNegatives</c> (<c>"true_negatives"</c>): the number of true negatives (target 0, prediction at or below the threshold), or the sum of their samples' weights; with a list of
/// thresholds, one count per threshold (<see cref="ConfusionCountMetric.Results"/>).
/// </summary>
public sealed class TrueNegatives : ConfusionCountMetric
{
    /// <summary>Creates the metric with one threshold.</summary>
    /// <param name="threshold">The decision threshold, in [0, 1]; null for Keras' default, 0.5.</param>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is outside [0, 1].</exception>
    public TrueNegatives(double? threshold = null)
        : base(threshold, null)
    {
    }

    /// <summary>Creates the metric with several thresholds, one count each (Keras' <c>thresholds</c> list).</summary>
    /// <param name="thresholds">The decision thresholds, each in [0, 1].</param>
    /// <exception cref="ArgumentNullException"><paramref name="thresholds"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="thresholds"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A threshold is outside [0, 1].</exception>
    public TrueNegatives(IReadOnlyList<double> thresholds)
        : base(null, thresholds ?? throw new ArgumentNullException(nameof(thresholds)))
    {
    }

    /// <inheritdoc/>
    protected override string DefaultName => "true_negatives";

    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private protected override double Count(double truePositives, double falsePositives, double trueNegatives, double falseNegatives) => trueNegatives;
}
