using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// The base of <see cref="SensitivityAtSpecificity"/>, <see cref="SpecificityAtSensitivity"/>,
/// <see cref="PrecisionAtRecall"/> and <see cref="RecallAtPrecision"/> (Keras' <c>SensitivitySpecificityBase</c>): confusion
/// counts at <see cref="NumThresholds"/> thresholds (0, i / (n − 1) for i = 1 … n − 2, and 1; the single threshold 0.5
/// when n = 1), a prediction positive when above, a target when non-zero, over every output or only column
/// <see cref="ClassId"/>. The result is the largest value of one rate over the thresholds where another reaches the
/// required value, 0 where none does; each rate is 0 where its denominator is (TensorFlow's <c>divide_no_nan</c>).
/// </summary>
/// <remarks>
/// With 2 or more thresholds Keras counts on its path for evenly spaced thresholds, and so does this metric: predictions
/// are clipped to [0, 1] (one above 1 is negative at threshold 1) and bucketed in float32 as Keras buckets them.
/// </remarks>
public abstract class SensitivitySpecificityMetric : Metric
{
    private readonly ConfusionCounts _counts;
    private readonly IReadOnlyList<double> _thresholdsView;

    private protected SensitivitySpecificityMetric(string valueName, double value, int numThresholds, int? classId)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(valueName, value,
                System.FormattableString.Invariant($"{GetType().Name} expects {valueName} in [0, 1] but got {valueName}={value}."));
        }

        if (numThresholds < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(numThresholds), numThresholds,
                System.FormattableString.Invariant($"{GetType().Name} expects numThresholds > 0 but got numThresholds={numThresholds}."));
        }

        ClassId = classId is null or >= 0 ? classId : throw new ArgumentOutOfRangeException(nameof(classId), classId,
            System.FormattableString.Invariant($"{GetType().Name} expects classId >= 0 (a column of the output) but got classId={classId}."));
        Value = value;
        NumThresholds = numThresholds;
        var thresholds = new double[numThresholds];
        if (numThresholds == 1)
        {
            thresholds[0] = 0.5;
        }
        else
        {
            for (int i = 1; i < numThresholds - 1; i++)
            {
                thresholds[i] = (double)i / (numThresholds - 1);
            }

            thresholds[^1] = 1;
        }

        // Keras sets thresholds_distributed_evenly for every list it makes here (0, …, 1), not for the single 0.5.
        _counts = new ConfusionCounts(thresholds, classId, null, evenlySpaced: numThresholds > 1);
        _thresholdsView = Array.AsReadOnly(thresholds);
    }

    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    /// <summary>The number of thresholds.</summary>
    public int NumThresholds { get; }

    /// <summary>The only column that counts, or null for every output.</summary>
    public int? ClassId { get; }

    /// <summary>The thresholds, increasing.</summary>
    public IReadOnlyList<double> Thresholds => _thresholdsView;

    /// <summary>The value the constrained rate must reach.</summary>
    private protected double Value { get; }

    /// <inheritdoc/>
    public override void Reset() => _counts.Reset();

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes differ, or <see cref="ClassId"/> is not a column of the output.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) =>
        StreamingMetrics.SameSampleSizeAndClassColumn(Name, outputShape, targetShape, ClassId);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">Predictions and targets differ in length, or <see cref="ClassId"/> is not a column; nothing is counted then.</exception>
    public override void Update(Tensor predictions, Tensor targets) => _counts.Update(Name, predictions, targets, default);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">As for <see cref="Update(Tensor, Tensor)"/>, or the weights are not one per sample.</exception>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights) => _counts.Update(Name, predictions, targets, sampleWeights);

    /// <inheritdoc/>
    public override double Result()
    {
        double best = 0;
        for (int k = 0; k < NumThresholds; k++)
        {
            (double constrained, double dependent) = Rates(_counts.TruePositives[k], _counts.FalsePositives[k], _counts.TrueNegatives[k], _counts.FalseNegatives[k]);
            if (constrained >= Value)
            {
                best = Math.Max(best, dependent);
            }
        }

        return best;
    }

    /// <summary>The settings under Keras' names: <c>num_thresholds</c>, <c>class_id</c> and the required value's key.</summary>
    private protected Config Settings(string valueKey) =>
        new Config().Set(valueKey, Value).Set("num_thresholds", NumThresholds).Set("class_id", (long?)ClassId);

    /// <summary>The rate that must reach <see cref="Value"/> and the rate whose largest value is the result, at one threshold.</summary>
    private protected abstract (double Constrained, double Dependent) Rates(double truePositives, double falsePositives, double trueNegatives, double falseNegatives);

    /// <summary>TP / (TP + FN): sensitivity, or recall.</summary>
    private protected static double SensitivityOf(double truePositives, double falseNegatives) => MetricMath.DivideNoNan(truePositives, truePositives + falseNegatives);

    /// <summary>TN / (TN + FP).</summary>
    private protected static double SpecificityOf(double trueNegatives, double falsePositives) => MetricMath.DivideNoNan(trueNegatives, trueNegatives + falsePositives);

    /// <summary>TP / (TP + FP).</summary>
    private protected static double PrecisionOf(double truePositives, double falsePositives) => MetricMath.DivideNoNan(truePositives, truePositives + falsePositives);
}
