using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>How <see cref="FBetaScore"/> combines the classes' scores into one number.</summary>
public enum ScoreAverage
{
    /// <summary>The mean of the per-class scores (Keras' <c>"macro"</c>).</summary>
    Macro,

    /// <summary>One score from the counts summed over classes (Keras' <c>"micro"</c>).</summary>
    Micro,

    /// <summary>The per-class scores weighted by each class' number of true targets (Keras' <c>"weighted"</c>).</summary>
    Weighted,
}

/// <summary>
/// Keras' <c>FBetaScore</c>, streaming: per class (column) precision P = TP / (TP + FP + 1e-7) and recall R = TP / (TP + FN + 1e-7),
/// F = (1 + β²)·P·R / (β²·P + R) (0 when both are 0), then averaged. A prediction counts as positive when above
/// <see cref="Threshold"/>, or, without one, when it is its row's largest (and not 0), as Keras decides. Keras' default
/// <c>average=None</c> returns one score per class; a metric here reports one number, so the average is macro unless chosen.
/// </summary>
public class FBetaScore : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private const double Epsilon = 1e-7;
    private double[] _truePositives = [];
    private double[] _falsePositives = [];
    private double[] _falseNegatives = [];
    private double[] _support = [];

    /// <summary>Creates the metric.</summary>
    /// <param name="average">How the classes combine.</param>
    /// <param name="beta">The weight of recall against precision; positive.</param>
    /// <param name="threshold">A prediction above it is positive; null for "the row's largest".</param>
    /// <exception cref="ArgumentOutOfRangeException">beta is not positive, or the threshold not in [0, 1].</exception>
    public FBetaScore(ScoreAverage average = ScoreAverage.Macro, double beta = 1.0, double? threshold = null)
    {
        Average = average;
        Beta = beta > 0 && double.IsFinite(beta) ? beta : throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be positive and finite.");
        Threshold = threshold is null or (>= 0 and <= 1) ? threshold : throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be in [0, 1].");
    }

    /// <summary>How the classes combine.</summary>
    public ScoreAverage Average { get; }

    /// <summary>The weight of recall against precision.</summary>
    public double Beta { get; }

    /// <summary>The decision threshold, or null for "the row's largest".</summary>
    public double? Threshold { get; }

    /// <inheritdoc/>
    protected override string DefaultName => "fbeta_score";

    /// <inheritdoc/>
    public override void Reset()
    {
        Array.Clear(_truePositives);
        Array.Clear(_falsePositives);
        Array.Clear(_falseNegatives);
        Array.Clear(_support);
    }

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => StreamingMetrics.SameSampleSize(Name, outputShape, targetShape);

    /// <inheritdoc/>
    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets) => Update(predictions, targets, default);

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        StreamingMetrics.SameLength(Name, predictions, targets);
        int classes = predictions.Rank < 2 ? 1 : predictions.Shape[-1], rows = predictions.Length / classes;
        int perSample = StreamingMetrics.PerSample(Name, predictions, rows, sampleWeights);
        if (_truePositives.Length != classes)
        {
            // Sized by the first batch; the training loop validates shapes first, so later batches have the same width.
            (_truePositives, _falsePositives, _falseNegatives, _support) = (new double[classes], new double[classes], new double[classes], new double[classes]);
        }

        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> row = p.Slice(r * classes, classes);
            float largest = float.NegativeInfinity;
            foreach (float v in row)
            {
                largest = Math.Max(largest, v);
            }

            for (int c = 0; c < classes; c++)
            {
                bool positive = Threshold is double threshold ? row[c] > threshold : row[c] >= largest && Math.Abs(row[c]) > 1e-9;
                double weight = StreamingMetrics.Weight(sampleWeights, r, perSample);
                double truth = t[(r * classes) + c];
                double predicted = positive ? 1 : 0;
                _truePositives[c] += weight * predicted * truth;
                _falsePositives[c] += weight * predicted * (1 - truth);
                _falseNegatives[c] += weight * (1 - predicted) * truth;
                _support[c] += weight * truth;
            }
        }
    }

    /// <inheritdoc/>
    public override double Result()
    {
        int classes = _truePositives.Length;
        if (classes == 0)
        {
            return 0;
        }

        if (Average == ScoreAverage.Micro)
        {
            return Score(Sum(_truePositives), Sum(_falsePositives), Sum(_falseNegatives));
        }

        double total = Sum(_support), result = 0;
        for (int c = 0; c < classes; c++)
        {
            double score = Score(_truePositives[c], _falsePositives[c], _falseNegatives[c]);
            result += Average == ScoreAverage.Weighted ? (total == 0 ? 0 : score * _support[c] / total) : score / classes;
        }

        return result;
    }

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = new Config().Set("average", Average.ToString().ToLowerInvariant()).Set("beta", Beta);
        return Threshold is double threshold ? config.Set("threshold", threshold) : config.Set("threshold", (string?)null);
    }

    private static double Sum(double[] values)
    {
        double sum = 0;
        foreach (double v in values)
        {
            sum += v;
        }

        return sum;
    }

    private double Score(double tp, double fp, double fn)
    {
        double precision = tp / (tp + fp + Epsilon), recall = tp / (tp + fn + Epsilon);
        double beta2 = Beta * Beta, denominator = (beta2 * precision) + recall;
        return denominator == 0 ? 0 : (1 + beta2) * precision * recall / denominator;
    }
}

/// <summary>Keras' <c>F1Score</c>: <see cref="FBetaScore"/> with β = 1.</summary>
/// <param name="average">How the classes combine.</param>
/// <param name="threshold">A prediction above it is positive; null for "the row's largest".</param>
public sealed class F1Score(ScoreAverage average = ScoreAverage.Macro, double? threshold = null) : FBetaScore(average, 1.0, threshold)
{
    /// <inheritdoc/>
    protected override string DefaultName => "f1_score";

    /// <summary>
    /// FBetaScore's configuration without <c>beta</c>, as Keras' <c>F1Score.get_config</c> deletes it: its <c>__init__</c>
    /// takes no <c>beta</c>, so Keras' <c>from_config</c> (and <c>compile_from_config</c>) would fail with a TypeError on it.
    /// Reading accepts both forms.
    /// </summary>
    /// <returns><c>average</c> and <c>threshold</c>.</returns>
    public override Config GetConfig() => base.GetConfig().Remove("beta");
}
