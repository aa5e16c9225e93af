using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// The base of <see cref="Precision"/> and <see cref="Recall"/> (Keras' <c>update_confusion_matrix_variables</c>):
/// confusion counts at each of <see cref="Thresholds"/> (a prediction positive when above the threshold, a target when
/// non-zero), over every output or only column <see cref="ClassId"/>, optionally keeping only the <see cref="TopK"/>
/// largest predictions of each row.
/// </summary>
/// <remarks>
/// <para>
/// With <see cref="TopK"/>, the predictions outside the k largest of each row (the last axis; for a vector of predictions,
/// the whole vector) are set to −1e10 before thresholding (Keras' <c>_filter_top_k</c>; of equal values the lower index is
/// kept), then <see cref="ClassId"/> picks its column: a class counts as predicted only when it is among the row's top k
/// and above the threshold. Without thresholds the threshold is then −1e10, so every kept prediction is positive.
/// </para>
/// <para>
/// With several thresholds the metric has one result per threshold, read by <see cref="Results"/>; <see cref="Result"/>
/// throws, and Compile refuses the metric, since the logs of Fit and Evaluate hold one number per metric (Keras logs
/// the vector).
/// </para>
/// <para>
/// With 3 or more evenly spaced thresholds (i / (n − 1), as Keras' <c>is_evenly_distributed_thresholds</c> judges) Keras
/// counts on a faster path, and so does this metric: predictions are clipped to [0, 1] (one above 1 is negative at
/// threshold 1) and bucketed in float32 as Keras buckets them.
/// </para>
/// </remarks>
public abstract class ConfusionRateMetric : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private readonly ConfusionThresholds _thresholds;
    private readonly ConfusionCounts _counts;

    private protected ConfusionRateMetric(double? threshold, IReadOnlyList<double>? thresholds, int? classId, int? topK)
    {
        string metric = GetType().Name;
        ClassId = classId is null or >= 0 ? classId : throw new ArgumentOutOfRangeException(nameof(classId), classId, $"{metric} expects classId >= 0 (a column of the predictions) but got classId={classId}.");
        TopK = topK is null or >= 1 ? topK : throw new ArgumentOutOfRangeException(nameof(topK), topK, $"{metric} expects topK >= 1 (how many of the largest predictions of a row count) but got topK={topK}.");

        // Keras: the default threshold is 0.5, or NEG_INF with top_k (every kept prediction positive).
        double fallback = topK is null ? 0.5 : ConfusionCounts.NegativeInfinity;
        _thresholds = thresholds is null ? ConfusionThresholds.One(metric, threshold, fallback) : ConfusionThresholds.List(metric, thresholds, fallback);
        _counts = new ConfusionCounts(_thresholds.Values, classId, topK, _thresholds.EvenlySpaced);
    }

    /// <summary>The decision threshold, when there is one (−1e10 with <see cref="TopK"/> and no threshold given).</summary>
    /// <exception cref="InvalidOperationException">The metric has several thresholds; read <see cref="Thresholds"/>.</exception>
    public double Threshold => _thresholds.Single(Name);

    /// <summary>The decision thresholds, one result each (Keras' <c>thresholds</c>).</summary>
    public IReadOnlyList<double> Thresholds => _thresholds.ReadOnlyValues;

    /// <summary>The only column that counts, or null.</summary>
    public int? ClassId { get; }

    /// <summary>How many of the largest predictions of each row count, or null for all of them (Keras' <c>top_k</c>).</summary>
    public int? TopK { get; }

    /// <inheritdoc/>
    public override void Reset() => _counts.Reset();

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ, <see cref="ClassId"/> is not a column of the output, or
    /// <see cref="TopK"/> is more than the output's last axis.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        StreamingMetrics.SameSampleSizeAndClassColumn(Name, outputShape, targetShape, ClassId);
        if (TopK is int k && outputShape.Rank > 0 && outputShape[-1] < k)
        {
            throw new ArgumentException(System.FormattableString.Invariant(
                $"{Name}: topK {k} is more than the {outputShape[-1]} values of the last axis of the output {outputShape.ToBatchString()}."), nameof(outputShape));
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">Predictions and targets differ in length, <see cref="ClassId"/> is not a column of
    /// the predictions, or <see cref="TopK"/> is more than their last axis; nothing is counted then.</exception>
    public override void Update(Tensor predictions, Tensor targets) => _counts.Update(Name, predictions, targets, default);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">As for <see cref="Update(Tensor, Tensor)"/>, or the weights are not one per sample.</exception>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights) => _counts.Update(Name, predictions, targets, sampleWeights);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The metric has several thresholds; read <see cref="Results"/>.</exception>
    public override double Result() => _thresholds.Values.Length == 1 ? ResultAt(0) : throw _thresholds.SeveralResults(Name);

    /// <summary>The metric at each threshold of <see cref="Thresholds"/>, in their order (Keras' <c>result()</c> with a list).</summary>
    /// <returns>A new array, one value per threshold.</returns>
    public double[] Results() => [.. Enumerable.Range(0, _thresholds.Values.Length).Select(ResultAt)];

    /// <inheritdoc/>
    public override Config GetConfig() => _thresholds.Write(new Config()).Set("top_k", (long?)TopK).Set("class_id", (long?)ClassId);

    internal override void CheckOneResult(string parameterName) => _thresholds.CheckOneResult(Name, parameterName);

    /// <summary>The metric from the counts of true positives, false positives and false negatives.</summary>
    private protected abstract double Rate(double truePositives, double falsePositives, double falseNegatives);

    private double ResultAt(int k) => Rate(_counts.TruePositives[k], _counts.FalsePositives[k], _counts.FalseNegatives[k]);
}
