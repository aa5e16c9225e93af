using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>Keras' <c>BinaryAccuracy</c>: the fraction of outputs whose (prediction &gt; threshold) equals the 0/1 target, over every element.</summary>
/// <param name="threshold">The decision threshold.</param>
public sealed class BinaryAccuracy(double threshold = 0.5) : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private double _hits;
    private double _count;

    /// <summary>The decision threshold.</summary>
    public double Threshold { get; } = double.IsFinite(threshold) ? threshold : throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be finite.");

    /// <inheritdoc/>
    protected override string DefaultName => "binary_accuracy";

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
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        int perSample = StreamingMetrics.PerSample(Name, predictions, p.Length, sampleWeights);
        for (int i = 0; i < p.Length; i++)
        {
            double weight = StreamingMetrics.Weight(sampleWeights, i, perSample);
            _hits += (p[i] > Threshold ? 1f : 0f) == t[i] ? weight : 0;
            _count += weight;
        }
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0 : _hits / _count;

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("threshold", Threshold);
}
