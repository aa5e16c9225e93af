using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>R2Score</c> (coefficient of determination), streaming: per output column
/// 1 − Σw(t − p)² / Σw(t − mean t)², combined as <see cref="ClassAggregation"/> says, and adjusted for
/// <see cref="NumRegressors"/> independent regressors when that is above 0.
/// </summary>
/// <remarks>
/// <para>
/// As Keras' <c>result</c>, a column whose score is ±∞ (targets that do not vary, predictions that miss them) scores 0,
/// while NaN (targets that do not vary, predicted exactly: 0/0, or NaN predictions) is kept, so it shows in the result
/// rather than passing for "no better than the mean".
/// </para>
/// <para>
/// The adjusted score is 1 − (1 − R²)(n − 1) / (n − p − 1), with p = <see cref="NumRegressors"/> and n, as Keras counts it
/// (<c>num_samples</c>), the number of target values seen: every element of every batch, whatever its weight, so n is
/// samples × columns. It is computed on the aggregated score, or on each column's without aggregation. Where it is not
/// defined (p ≥ n − 1: more regressors than target values, or a division by zero), the score is the plain R², as Keras'
/// (which also warns; nothing is printed here).
/// </para>
/// </remarks>
public sealed class R2Score : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private double[] _sum = [];
    private double[] _squares = [];
    private double[] _residuals = [];
    private double _count;
    private double _numSamples;

    /// <summary>Creates the metric.</summary>
    /// <param name="classAggregation">How the columns' scores are combined (Keras' <c>class_aggregation</c>).</param>
    /// <param name="numRegressors">The number of independent regressors for the adjusted R², or 0 for the plain score (Keras' <c>num_regressors</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classAggregation"/> is not a defined value, or <paramref name="numRegressors"/> is negative.</exception>
    public R2Score(R2ClassAggregation classAggregation = R2ClassAggregation.UniformAverage, int numRegressors = 0)
    {
        if (!Enum.IsDefined(classAggregation))
        {
            throw new ArgumentOutOfRangeException(nameof(classAggregation), classAggregation, "R2Score expects classAggregation None, UniformAverage or VarianceWeightedAverage.");
        }

        if (numRegressors < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numRegressors), numRegressors, string.Create(CultureInfo.InvariantCulture,
                $"R2Score expects numRegressors >= 0 (0 for the plain R²) but got numRegressors={numRegressors}."));
        }

        ClassAggregation = classAggregation;
        NumRegressors = numRegressors;
    }

    /// <summary>How the columns' scores are combined.</summary>
    public R2ClassAggregation ClassAggregation { get; }

    /// <summary>The number of independent regressors of the adjusted R², 0 for the plain score.</summary>
    public int NumRegressors { get; }

    /// <inheritdoc/>
    protected override string DefaultName => "r2_score";

    /// <inheritdoc/>
    public override void Reset()
    {
        Array.Clear(_sum);
        Array.Clear(_squares);
        Array.Clear(_residuals);
        _count = 0;
        _numSamples = 0;
    }

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => StreamingMetrics.SameSampleSize(Name, outputShape, targetShape);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">As for <see cref="Update(Tensor, Tensor, ReadOnlySpan{float})"/>.</exception>
    public override void Update(Tensor predictions, Tensor targets) => Update(predictions, targets, default);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">
    /// Predictions and targets differ in length, the weights are not one per sample, or the predictions have another number
    /// of columns than those accumulated since the last <see cref="Reset"/>; nothing is counted then.
    /// </exception>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        StreamingMetrics.SameLength(Name, predictions, targets);
        int columns = predictions.Rank < 2 ? 1 : predictions.Shape[-1];
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        int perSample = StreamingMetrics.PerSample(Name, predictions, p.Length, sampleWeights);
        if (_sum.Length != columns)
        {
            if (_numSamples > 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Name}: predictions {predictions.Shape} have {columns} columns, but {_sum.Length} were accumulated since the last Reset; one score is kept per column."), nameof(predictions));
            }

            (_sum, _squares, _residuals) = (new double[columns], new double[columns], new double[columns]);
        }

        for (int i = 0; i < p.Length; i++)
        {
            int c = i % columns;
            double weight = StreamingMetrics.Weight(sampleWeights, i, perSample);
            double truth = t[i], error = truth - p[i];
            _sum[c] += weight * truth;
            _squares[c] += weight * truth * truth;
            _residuals[c] += weight * error * error;
            _count += c == 0 ? weight : 0;
        }

        // Keras' num_samples: ops.size(y_true), every element, unweighted.
        _numSamples += p.Length;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException"><see cref="ClassAggregation"/> is <see cref="R2ClassAggregation.None"/>: read <see cref="Results"/>.</exception>
    public override double Result()
    {
        if (ClassAggregation == R2ClassAggregation.None)
        {
            throw new InvalidOperationException($"{Name} has classAggregation None and so one score per column (Keras' result() is then a vector); read Results().");
        }

        if (_count == 0)
        {
            return 0;
        }

        double weighted = 0, weights = 0;
        for (int c = 0; c < _sum.Length; c++)
        {
            double score = Score(c, out double total);
            (weighted, weights) = ClassAggregation == R2ClassAggregation.UniformAverage ? (weighted + score, weights + 1) : (weighted + (total * score), weights + total);
        }

        return Adjust(weighted / weights);
    }

    /// <summary>
    /// The score of each output column (Keras' <c>result()</c> with <c>class_aggregation=None</c>), adjusted for
    /// <see cref="NumRegressors"/> when above 0, whatever <see cref="ClassAggregation"/> is; 0 for each before any update.
    /// </summary>
    /// <returns>A new array, one score per column (empty before the first update).</returns>
    public double[] Results()
    {
        var scores = new double[_sum.Length];
        for (int c = 0; c < scores.Length && _count != 0; c++)
        {
            scores[c] = Adjust(Score(c, out _));
        }

        return scores;
    }

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        var config = new Config();
        config = ClassAggregation switch
        {
            R2ClassAggregation.None => config.SetNull("class_aggregation"),
            R2ClassAggregation.UniformAverage => config.Set("class_aggregation", "uniform_average"),
            _ => config.Set("class_aggregation", "variance_weighted_average"),
        };
        return config.Set("num_regressors", NumRegressors);
    }

    /// <summary>Reads Keras' configuration: <c>class_aggregation</c> (null, <c>"uniform_average"</c> or <c>"variance_weighted_average"</c>) and <c>num_regressors</c>.</summary>
    /// <exception cref="InvalidDataException">A value is not one Keras accepts.</exception>
    internal static R2Score FromConfig(Config c)
    {
        // Keras' None is JSON null, which is not the absent key: that is the default.
        R2ClassAggregation aggregation = !c.Keys.Contains("class_aggregation") ? R2ClassAggregation.UniformAverage
            : c.GetNode("class_aggregation") is null ? R2ClassAggregation.None
            : c.GetString("class_aggregation") switch
            {
                "uniform_average" => R2ClassAggregation.UniformAverage,
                "variance_weighted_average" => R2ClassAggregation.VarianceWeightedAverage,
                string other => throw c.Error($"R2Score \"class_aggregation\" is \"{FormatError.Shorten(other)}\"; expected null, \"uniform_average\" or \"variance_weighted_average\"."),
            };
        return new R2Score(aggregation, c.GetInt32("num_regressors", 0));
    }

    internal override void CheckOneResult(string parameterName)
    {
        if (ClassAggregation == R2ClassAggregation.None)
        {
            throw new ArgumentException(
                $"The metric {Name} has classAggregation None and so one score per output column, but the logs of Fit and Evaluate hold one number per metric (Keras logs the vector). Give it UniformAverage or VarianceWeightedAverage, or update it yourself (Update) and read Results().",
                parameterName);
        }
    }

    // Keras: mean = sum / count; total = squared_sum - sum * mean; raw = 1 - residual / total, ±inf -> 0 (NaN kept).
    private double Score(int c, out double total)
    {
        double mean = _sum[c] / _count;
        total = _squares[c] - (_sum[c] * mean);
        double score = 1 - (_residuals[c] / total);
        return double.IsInfinity(score) ? 0 : score;
    }

    // Keras' adjusted R²; where it is undefined (p >= n - 1) Keras warns and falls back to the plain score.
    private double Adjust(double score)
    {
        double n = _numSamples, p = NumRegressors;
        return NumRegressors == 0 || p >= n - 1 ? score : 1 - ((1 - score) * (n - 1) / (n - p - 1));
    }
}
