using NeuralNet.Losses;

namespace NeuralNet.Training;

/// <summary>
/// The base of the metrics that are the running mean of a loss's per-sample values (Keras' <c>MeanMetricWrapper</c>
/// around a loss function, the family of <c>BinaryCrossentropy</c>, <c>KLDivergence</c>, <c>Hinge</c>, ...): each batch's
/// values come from the loss's <see cref="Loss.ComputePerSample"/> (one value per sample, averaged over a sample's steps),
/// and the result is Σ w·value / Σ w over every sample since the last <see cref="Metric.Reset"/>, each weight 1 without
/// sample weights (Keras' <c>Mean</c>: <c>total</c> and <c>count</c>); 0 before any update.
/// </summary>
/// <remarks>
/// The loss's settings (from logits, label smoothing) are the metric's, and so are its checks of shapes and targets. The
/// per-sample buffer grows only when a batch is larger than any before it, so <see cref="Update(Tensor, Tensor)"/>
/// allocates nothing after the first batch. The sums are kept in double precision.
/// </remarks>
public abstract class LossMetric : Metric
{
    private readonly double _sign;
    private float[] _values = [];
    private double _total;
    private double _count;

    // sign is −1 for the one metric whose Keras value is the negative of the loss (cosine similarity).
    private protected LossMetric(Loss loss, double sign = 1)
    {
        Loss = loss;
        _sign = sign;
    }

    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Down;

    /// <summary>The loss whose per-sample values are averaged (its reduction plays no part).</summary>
    private protected Loss Loss { get; }

    /// <inheritdoc/>
    public override void Reset() => (_total, _count) = (0, 0);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes do not fit the loss (the message names both).</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape) => Loss.ValidateShapes(outputShape, targetShape);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A target is not one the loss accepts (the message names the sample).</exception>
    public override void ValidateTargets(Tensor targets, TensorShape outputShape) => Loss.ValidateTargets(targets, outputShape);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The shapes do not fit the loss, or a target is not one it accepts; nothing is accumulated then.</exception>
    public override void Update(Tensor predictions, Tensor targets) => Update(predictions, targets, default);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">As for <see cref="Update(Tensor, Tensor)"/>, or the weights are not one per sample.</exception>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        int samples = predictions.Rank == 0 ? 1 : predictions.Shape[0];
        if (!sampleWeights.IsEmpty && sampleWeights.Length != samples)
        {
            throw new ArgumentException(
                System.FormattableString.Invariant($"{Name}: {sampleWeights.Length} sample weights for a batch of {samples}; expected one per sample."), nameof(sampleWeights));
        }

        if (_values.Length < samples)
        {
            _values = new float[samples];
        }

        Span<float> values = _values.AsSpan(0, samples);
        Loss.ComputePerSample(predictions, targets, values);
        double total = 0, count = 0;
        for (int s = 0; s < samples; s++)
        {
            double weight = sampleWeights.IsEmpty ? 1 : sampleWeights[s];
            total += weight * values[s];
            count += sampleWeights.IsEmpty ? 1 : Count(targets, s, samples, weight);
        }

        _total += _sign * total;
        _count += count;
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0 : _total / _count;

    /// <summary>
    /// What a weighted sample adds to the count the mean divides by: its weight, unless the loss masks some of its
    /// entries (<see cref="SparseCategoricalCrossEntropyMetric"/> with an ignored class).
    /// </summary>
    private protected virtual double Count(Tensor targets, int sample, int samples, double weight) => weight;
}
