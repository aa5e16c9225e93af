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
