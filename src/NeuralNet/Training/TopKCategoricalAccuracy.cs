using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>TopKCategoricalAccuracy</c> (and, with <c>sparse</c> labels, <c>SparseTopKCategoricalAccuracy</c>): the fraction of
/// rows whose target class is among the k largest predictions (fewer than k predictions strictly larger, as TensorFlow's in_top_k).
/// A row with a NaN or infinite prediction is a miss (TensorFlow's InTopK kernel), so a diverged model scores 0, not 1.
/// </summary>
public sealed class TopKCategoricalAccuracy : Metric
{
    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    private double _hits;
    private double _count;

    /// <summary>Creates the metric.</summary>
    /// <param name="k">How many of the largest predictions count.</param>
    /// <param name="sparse">Whether the targets are class labels rather than one-hot rows.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public TopKCategoricalAccuracy(int k = 5, bool sparse = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        K = k;
        Sparse = sparse;
    }

    /// <summary>How many of the largest predictions count.</summary>
    public int K { get; }

    /// <summary>Whether the targets are class labels.</summary>
    public bool Sparse { get; }

    /// <inheritdoc/>
    protected override string DefaultName => Sparse ? "sparse_top_k_categorical_accuracy" : "top_k_categorical_accuracy";

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
        if (targets.Length != (Sparse ? rows : predictions.Length))
        {
            throw new ArgumentException($"{Name}: targets {targets.Shape} do not fit predictions {predictions.Shape}.", nameof(targets));
        }

        int perSample = StreamingMetrics.PerSample(Name, predictions, rows, sampleWeights);
        for (int r = 0; r < rows; r++)
        {
            double weight = StreamingMetrics.Weight(sampleWeights, r, perSample);
            int target = Sparse ? (int)targets.AsReadOnlySpan()[r] : Accuracy.ArgMax(targets.AsReadOnlySpan().Slice(r * width, width));
            _hits += target >= 0 && target < width && StreamingMetrics.InTopK(predictions.AsReadOnlySpan().Slice(r * width, width), target, K) ? weight : 0;
            _count += weight;
        }
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0 : _hits / _count;

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("k", K).Set("sparse", Sparse);
}
