namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>R2Score</c> (coefficient of determination) with <c>class_aggregation="uniform_average"</c>, streaming: per output
/// column 1 − Σ(t − p)² / Σ(t − mean t)², then the mean over columns. As Keras' <c>result</c>, a column whose score is
/// ±∞ (targets that do not vary, predictions that miss them) scores 0, while NaN (targets that do not vary, predicted
/// exactly: 0/0, or NaN predictions) is kept, so it shows in the result rather than passing for "no better than the mean".
/// </summary>
public sealed class R2Score : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private double[] _sum = [];
    private double[] _squares = [];
    private double[] _residuals = [];
    private double _count;

    /// <inheritdoc/>
    protected override string DefaultName => "r2_score";

    /// <inheritdoc/>
    public override void Reset()
    {
        Array.Clear(_sum);
        Array.Clear(_squares);
        Array.Clear(_residuals);
        _count = 0;
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
        int columns = predictions.Rank < 2 ? 1 : predictions.Shape[-1], rows = predictions.Length / columns;
        if (_sum.Length != columns)
        {
            (_sum, _squares, _residuals, _count) = (new double[columns], new double[columns], new double[columns], 0);
        }

        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        int perSample = StreamingMetrics.PerSample(Name, predictions, p.Length, sampleWeights);
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
    }

    /// <inheritdoc/>
    public override double Result()
    {
        if (_count == 0)
        {
            return 0;
        }

        double total = 0;
        for (int c = 0; c < _sum.Length; c++)
        {
            double spread = _squares[c] - (_sum[c] * _sum[c] / _count);
            double score = 1 - (_residuals[c] / spread);
            total += double.IsInfinity(score) ? 0 : score; // Keras: ops.where(ops.isinf(raw_scores), 0.0, raw_scores)
        }

        return total / _sum.Length;
    }
}
