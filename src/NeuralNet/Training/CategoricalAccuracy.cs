namespace NeuralNet.Training;

/// <summary>Keras' <c>CategoricalAccuracy</c>: the fraction of rows whose largest prediction is at the one-hot target's 1.</summary>
public sealed class CategoricalAccuracy : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private double _hits;
    private double _count;

    /// <inheritdoc/>
    protected override string DefaultName => "categorical_accuracy";

    /// <inheritdoc/>
    public override void Reset() => (_hits, _count) = (0, 0);

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => StreamingMetrics.SameSampleSize(Name, outputShape, targetShape);

    /// <inheritdoc/>
    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets) => Update(predictions, targets, default);

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        StreamingMetrics.SameLength(Name, predictions, targets);
        int width = predictions.Shape[-1], rows = predictions.Length / width;
        int perSample = StreamingMetrics.PerSample(Name, predictions, rows, sampleWeights);
        for (int r = 0; r < rows; r++)
        {
            double weight = StreamingMetrics.Weight(sampleWeights, r, perSample);
            _hits += Accuracy.ArgMax(predictions.AsReadOnlySpan().Slice(r * width, width)) == Accuracy.ArgMax(targets.AsReadOnlySpan().Slice(r * width, width)) ? weight : 0;
            _count += weight;
        }
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0 : _hits / _count;
}
