namespace NeuralNet.Training;

/// <summary>The running mean of a per-element error, the base of the regression metrics.</summary>
public abstract class MeanErrorMetric : Metric
{
    private double _sum;
    private long _count;

    /// <inheritdoc/>
    public override void Reset() => (_sum, _count) = (0, 0);

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => StreamingMetrics.SameSampleSize(Name, outputShape, targetShape);

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets)
    {
        StreamingMetrics.SameLength(Name, predictions, targets);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            sum += Error((double)p[i] - t[i]);
        }

        _sum += sum;
        _count += p.Length;
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0 : Finish(_sum / _count);

    /// <summary>The error of one element from prediction − target.</summary>
    private protected abstract double Error(double difference);

    /// <summary>The result from the mean error (the identity unless overridden).</summary>
    private protected virtual double Finish(double mean) => mean;
}

/// <summary>
/// Keras' metric <c>MeanAbsoluteError</c> (<c>"mae"</c>), logged as <c>mean_absolute_error</c>: the running mean of
/// |prediction − target|. Named with "Metric" so that it does not clash with the loss of the same Keras name.
/// </summary>
public sealed class MeanAbsoluteErrorMetric : MeanErrorMetric
{
    /// <inheritdoc/>
    public override string Name => "mean_absolute_error";

    private protected override double Error(double difference) => Math.Abs(difference);
}

/// <summary>
/// Keras' metric <c>MeanSquaredError</c> (<c>"mse"</c>), logged as <c>mean_squared_error</c>: the running mean of
/// (prediction − target)². Named with "Metric" so that it does not clash with the loss of the same Keras name.
/// </summary>
public sealed class MeanSquaredErrorMetric : MeanErrorMetric
{
    /// <inheritdoc/>
    public override string Name => "mean_squared_error";

    private protected override double Error(double difference) => difference * difference;
}

/// <summary>Keras' <c>RootMeanSquaredError</c>: the square root of the running mean of (prediction − target)².</summary>
public sealed class RootMeanSquaredError : MeanErrorMetric
{
    /// <inheritdoc/>
    public override string Name => "root_mean_squared_error";

    private protected override double Error(double difference) => difference * difference;

    private protected override double Finish(double mean) => Math.Sqrt(mean);
}
