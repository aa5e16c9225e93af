namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>R2Score</c> (coefficient of determination) with <c>class_aggregation="uniform_average"</c>, streaming: per output
/// column 1 − Σ(t − p)² / Σ(t − mean t)², 0 where the targets do not vary, then the mean over columns.
/// </summary>
public sealed class R2Score : Metric
{
    private double[] _sum = [];
    private double[] _squares = [];
    private double[] _residuals = [];
    private long _count;

    /// <inheritdoc/>
    public override string Name => "r2_score";

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
    public override void Update(Tensor predictions, Tensor targets)
    {
        StreamingMetrics.SameLength(Name, predictions, targets);
        int columns = predictions.Rank < 2 ? 1 : predictions.Shape[-1], rows = predictions.Length / columns;
        if (_sum.Length != columns)
        {
            (_sum, _squares, _residuals, _count) = (new double[columns], new double[columns], new double[columns], 0);
        }

        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        for (int i = 0; i < p.Length; i++)
        {
            int c = i % columns;
            double truth = t[i], error = truth - p[i];
            _sum[c] += truth;
            _squares[c] += truth * truth;
            _residuals[c] += error * error;
        }

        _count += rows;
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
            total += double.IsFinite(score) ? score : 0;
        }

        return total / _sum.Length;
    }
}
