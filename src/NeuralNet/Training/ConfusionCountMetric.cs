using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// The base of <see cref="TruePositives"/>, <see cref="FalsePositives"/>, <see cref="TrueNegatives"/> and
/// <see cref="FalseNegatives"/> (Keras' <c>_ConfusionMatrixConditionCount</c>): one count of the confusion matrix at each
/// of <see cref="Thresholds"/>, over every output element (a prediction positive when above the threshold, a target when
/// non-zero), each element counting its sample's weight (1 without weights).
/// </summary>
/// <remarks>
/// With several thresholds the metric has one count per threshold, read by <see cref="Results"/>; <see cref="Result"/>
/// throws, and Compile refuses the metric, since the logs of Fit and Evaluate hold one number per metric (Keras logs the
/// vector). Keras gives these metrics no direction; here the true counts improve upwards and the false ones downwards, so
/// that a callback can monitor them in Auto mode. With 3 or more evenly spaced thresholds (i / (n − 1), as Keras'
/// <c>is_evenly_distributed_thresholds</c> judges) Keras counts on a faster path, and so does this metric: predictions
/// are clipped to [0, 1] (one above 1 is negative at threshold 1) and bucketed in float32 as Keras buckets them.
/// </remarks>
public abstract class ConfusionCountMetric : Metric
{
    private readonly ConfusionThresholds _thresholds;
    private readonly ConfusionCounts _counts;

    private protected ConfusionCountMetric(double? threshold, IReadOnlyList<double>? thresholds)
    {
        string metric = GetType().Name;
        _thresholds = thresholds is null ? ConfusionThresholds.One(metric, threshold, 0.5) : ConfusionThresholds.List(metric, thresholds, 0.5);
        _counts = new ConfusionCounts(_thresholds.Values, null, null, _thresholds.EvenlySpaced);
    }

    /// <summary>The decision threshold, when there is one: a prediction above it is positive.</summary>
    /// <exception cref="InvalidOperationException">The metric has several thresholds; read <see cref="Thresholds"/>.</exception>
    public double Threshold => _thresholds.Single(Name);

    /// <summary>The decision thresholds, one count each (Keras' <c>thresholds</c>).</summary>
    public IReadOnlyList<double> Thresholds => _thresholds.ReadOnlyValues;

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
    /// <exception cref="InvalidOperationException">The metric has several thresholds; read <see cref="Results"/>.</exception>
    public override double Result() => _thresholds.Values.Length == 1 ? ResultAt(0) : throw _thresholds.SeveralResults(Name);

    /// <summary>The count at each threshold of <see cref="Thresholds"/>, in their order (Keras' <c>result()</c> with a list).</summary>
    /// <returns>A new array, one count per threshold.</returns>
    public double[] Results() => [.. Enumerable.Range(0, _thresholds.Values.Length).Select(ResultAt)];

    /// <inheritdoc/>
    public override Config GetConfig() => _thresholds.Write(new Config());

    internal override void CheckOneResult(string parameterName) => _thresholds.CheckOneResult(Name, parameterName);

    /// <summary>The count this metric reports, from the four.</summary>
    private protected abstract double Count(double truePositives, double falsePositives, double trueNegatives, double falseNegatives);

    private double ResultAt(int k) => Count(_counts.TruePositives[k], _counts.FalsePositives[k], _counts.TrueNegatives[k], _counts.FalseNegatives[k]);
}
