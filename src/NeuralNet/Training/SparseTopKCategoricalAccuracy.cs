using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>SparseTopKCategoricalAccuracy</c> (<c>"sparse_top_k_categorical_accuracy"</c>): the fraction of rows whose
/// target class index is among the <see cref="K"/> largest predictions (fewer than k predictions strictly larger, as
/// TensorFlow's in_top_k; a row with a NaN or infinite prediction is a miss, as TensorFlow's InTopK kernel, and so is a
/// target that is not a class of the row). With <see cref="FromSortedIds"/>, each row of predictions holds class ids
/// sorted from the highest score down, and a row is a hit when its target equals one of its first k ids.
/// </summary>
/// <remarks>
/// Targets are one class index per row of predictions: (batch) or (batch, 1) for predictions (batch, classes); for
/// predictions of higher rank, one index per row of the last axis, as Keras flattens both. Indices are truncated to
/// integers, as Keras casts them to int32; with <see cref="FromSortedIds"/> they are compared with the ids as floats, as
/// Keras compares them in the predictions' type.
/// </remarks>
public sealed class SparseTopKCategoricalAccuracy : Metric
{
    private double _hits;
    private double _count;

    /// <summary>Creates the metric.</summary>
    /// <param name="k">How many of the largest predictions (or of the first sorted ids) count; at least 1.</param>
    /// <param name="fromSortedIds">Whether each row of predictions holds class ids sorted by score (Keras' <c>from_sorted_ids</c>) rather than one score per class.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public SparseTopKCategoricalAccuracy(int k = 5, bool fromSortedIds = false)
    {
        K = k >= 1 ? k : throw new ArgumentOutOfRangeException(nameof(k), k, $"SparseTopKCategoricalAccuracy expects k >= 1 (how many of the largest predictions count) but got k={k}.");
        FromSortedIds = fromSortedIds;
    }

    /// <summary>How many of the largest predictions (or of the first sorted ids) count.</summary>
    public int K { get; }

    /// <summary>Whether each row of predictions holds class ids sorted by score, highest first.</summary>
    public bool FromSortedIds { get; }

    /// <inheritdoc/>
    protected override string DefaultName => "sparse_top_k_categorical_accuracy";

    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    /// <inheritdoc/>
    public override void Reset() => (_hits, _count) = (0, 0);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The targets are not one index per row of the output, or, with
    /// <see cref="FromSortedIds"/>, a row holds fewer than <see cref="K"/> ids.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        int width = outputShape.Rank == 0 ? 1 : outputShape[-1];
        if ((long)targetShape.ElementCount * width != outputShape.ElementCount)
        {
            throw new ArgumentException(
                $"{Name}: targets {targetShape.ToBatchString()} are not one class index per row of the output {outputShape.ToBatchString()}.", nameof(targetShape));
        }

        CheckSortedWidth(width, outputShape, batch: true);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">As for <see cref="Update(Tensor, Tensor, ReadOnlySpan{float})"/>.</exception>
    public override void Update(Tensor predictions, Tensor targets) => Update(predictions, targets, default);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The targets are not one index per row of the predictions, a row of sorted ids is
    /// shorter than <see cref="K"/>, or the weights are not one per sample; nothing is counted then.</exception>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        int width = predictions.Rank == 0 ? 1 : predictions.Shape[-1];
        int rows = width == 0 ? 0 : predictions.Length / width;
        if (targets.Length != rows)
        {
            throw new ArgumentException($"{Name}: targets {targets.Shape} are not one class index per row of the predictions {predictions.Shape}.", nameof(targets));
        }

        CheckSortedWidth(width, predictions.Shape, batch: false);
        int perSample = StreamingMetrics.PerSample(Name, predictions, rows, sampleWeights);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        for (int r = 0; r < rows; r++)
        {
            double weight = StreamingMetrics.Weight(sampleWeights, r, perSample);
            _hits += IsHit(p.Slice(r * width, width), t[r]) ? weight : 0;
            _count += weight;
        }
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0 : _hits / _count;

    /// <inheritdoc/>
    /// <remarks>Keras writes <c>from_sorted_ids</c> only when it is true.</remarks>
    public override Config GetConfig()
    {
        Config config = new Config().Set("k", K);
        return FromSortedIds ? config.Set("from_sorted_ids", true) : config;
    }

    private bool IsHit(ReadOnlySpan<float> row, float target)
    {
        if (FromSortedIds)
        {
            // Keras: any(y_true == y_pred[:, :k]), so an id repeated among the first k counts once; == (not Equals, as
            // Span.Contains uses) so that a NaN target matches nothing, as ops.equal.
            foreach (float id in row[..K])
            {
                if (id == target)
                {
                    return true;
                }
            }

            return false;
        }

        // Keras casts the index to int32; NaN and indices outside the row are misses (in_top_k is false for them).
        return target > -1 && target < row.Length && StreamingMetrics.InTopK(row, (int)target, K);
    }

    // The shape is formatted only when thrown: Update runs once per training step and must not allocate.
    private void CheckSortedWidth(int width, TensorShape shape, bool batch)
    {
        if (FromSortedIds && width < K)
        {
            throw new ArgumentException(System.FormattableString.Invariant(
                $"{Name}: with fromSortedIds each row holds the top ids sorted by score, and must hold at least k={K} of them, but the predictions {(batch ? shape.ToBatchString() : shape.ToString())} hold {width}."), "predictions");
        }
    }
}
