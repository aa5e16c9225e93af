using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>Keras' <c>BinaryAccuracy</c>: the fraction of outputs whose (prediction &gt; threshold) equals the 0/1 target, over every element.</summary>
/// <param name="threshold">The decision threshold.</param>
public sealed class BinaryAccuracy(double threshold = 0.5) : Metric
{
    private long _hits;
    private long _count;

    /// <summary>The decision threshold.</summary>
    public double Threshold { get; } = double.IsFinite(threshold) ? threshold : throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be finite.");

    /// <inheritdoc/>
    public override string Name => "binary_accuracy";

    /// <inheritdoc/>
    public override void Reset() => (_hits, _count) = (0, 0);

    /// <inheritdoc/>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => StreamingMetrics.SameSampleSize(Name, outputShape, targetShape);

    /// <inheritdoc/>
    public override void Update(Tensor predictions, Tensor targets)
    {
        StreamingMetrics.SameLength(Name, predictions, targets);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        for (int i = 0; i < p.Length; i++)
        {
            _hits += (p[i] > Threshold ? 1f : 0f) == t[i] ? 1 : 0;
        }

        _count += p.Length;
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0 : (double)_hits / _count;

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("threshold", Threshold);
}
