namespace NeuralNet.Training;

/// <summary>Keras' <c>SparseCategoricalAccuracy</c>: the fraction of rows whose largest prediction is at the integer class label.</summary>
public sealed class SparseCategoricalAccuracy : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private double _hits;
    private double _count;

    /// <inheritdoc/>
    protected override string DefaultName => "sparse_categorical_accuracy";

    /// <inheritdoc/>
    public override void Reset() => (_hits, _count) = (0, 0);

    /// <inheritdoc/>
    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets) => Update(predictions, targets, default);

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        int width = predictions.Shape[-1], rows = predictions.Length / width;
        if (targets.Length != rows)
        {
            throw new ArgumentException($"{Name}: expected one class label per row ({rows}) but the targets are {targets.Shape}.", nameof(targets));
        }

        ReadOnlySpan<float> t = targets.AsReadOnlySpan();
        int perSample = StreamingMetrics.PerSample(Name, predictions, rows, sampleWeights);
        for (int r = 0; r < rows; r++)
        {
            double weight = StreamingMetrics.Weight(sampleWeights, r, perSample);
            _hits += Accuracy.ArgMax(predictions.AsReadOnlySpan().Slice(r * width, width)) == (int)t[r] ? weight : 0;
            _count += weight;
        }
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0 : _hits / _count;
}
