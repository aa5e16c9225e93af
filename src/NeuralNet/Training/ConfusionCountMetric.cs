using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// The base of <see cref="TruePositives"/>, <see cref="FalsePositives"/>, <see cref="TrueNegatives"/> and
/// <see cref="FalseNegatives"/> (Keras' <c>_ConfusionMatrixConditionCount</c>): one count of the confusion matrix at one
/// threshold, over every output element (a prediction positive when above <see cref="Threshold"/>, a target when
/// non-zero), each element counting its sample's weight (1 without weights).
/// </summary>
/// <remarks>
/// Keras also takes a list of thresholds and then returns one count per threshold; a metric here reports one number, so
/// it takes one threshold (a loaded list must hold exactly one). Keras gives these metrics no direction; here the true
/// counts improve upwards and the false ones downwards, so that a callback can monitor them in Auto mode.
/// </remarks>
public abstract class ConfusionCountMetric : Metric
{
    private readonly ConfusionCounts _counts;

    private protected ConfusionCountMetric(double threshold)
    {
        Threshold = threshold is >= 0 and <= 1 ? threshold : throw new ArgumentOutOfRangeException(nameof(threshold), threshold,
            System.FormattableString.Invariant($"{GetType().Name} expects a threshold in [0, 1] but got threshold={threshold}."));
        _counts = new ConfusionCounts([threshold], null);
    }

    /// <summary>The decision threshold: a prediction above it is positive.</summary>
    public double Threshold { get; }

    /// <inheritdoc/>
    public override void Reset() => _counts.Reset();

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => StreamingMetrics.SameSampleSize(Name, outputShape, targetShape);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">Predictions and targets differ in length; nothing is counted then.</exception>
    public override void Update(Tensor predictions, Tensor targets) => _counts.Update(Name, predictions, targets, default);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">As for <see cref="Update(Tensor, Tensor)"/>, or the weights are not one per sample.</exception>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights) => _counts.Update(Name, predictions, targets, sampleWeights);

    /// <inheritdoc/>
    public override double Result() => Count(_counts.TruePositives[0], _counts.FalsePositives[0], _counts.TrueNegatives[0], _counts.FalseNegatives[0]);

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("thresholds", Threshold);

    /// <summary>The count this metric reports, from the four.</summary>
    private protected abstract double Count(double truePositives, double falsePositives, double trueNegatives, double falseNegatives);
}
