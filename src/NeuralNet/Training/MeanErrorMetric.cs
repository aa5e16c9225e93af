namespace NeuralNet.Training;

/// <summary>The running mean of a per-element error, the base of the regression metrics.</summary>
public abstract class MeanErrorMetric : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Down;

    private double _sum;
    private double _count;

    /// <inheritdoc/>
    public override void Reset() => (_sum, _count) = (0, 0);

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => StreamingMetrics.SameSampleSize(Name, outputShape, targetShape);

    /// <inheritdoc/>
    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets) => Update(predictions, targets, default);

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        StreamingMetrics.SameLength(Name, predictions, targets);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        int perSample = StreamingMetrics.PerSample(Name, predictions, p.Length, sampleWeights);
        double sum = 0, count = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double weight = StreamingMetrics.Weight(sampleWeights, i, perSample);
            sum += weight * Error((double)p[i] - t[i]);
            count += weight;
        }

        _sum += sum;
        _count += count;
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0 : Finish(_sum / _count);

    /// <summary>The error of one element from prediction − target.</summary>
    private protected abstract double Error(double difference);

    /// <summary>The result from the mean error (the identity unless overridden).</summary>
    private protected virtual double Finish(double mean) => mean;
}
