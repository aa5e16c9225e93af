namespace NeuralNet.Losses;

/// <summary>
/// How a loss turns its per-entry values (one per row of the last axis: (batch) values for a (batch, classes) output,
/// (batch, steps) for a sequence output) into the loss: Keras 3's <c>reduction</c> (keras/src/losses/loss.py).
/// </summary>
/// <remarks>
/// With sample weights w the values are weighted first. Where an output carries a mask, or a loss ignores entries
/// (<see cref="SparseCategoricalCrossEntropy.IgnoreClass"/>), the masked entries weigh 0 and the means divide by the
/// number of entries left, as Keras' <c>apply_mask</c> does.
/// </remarks>
public enum LossReduction
{
    /// <summary>Keras' <c>"sum_over_batch_size"</c>, the default: Σ w·loss / entries (the mean, for unit weights).</summary>
    SumOverBatchSize = 0,

    /// <summary>Keras' <c>"sum"</c>: Σ w·loss.</summary>
    Sum,

    /// <summary>Keras' <c>"mean"</c>: the same as <see cref="SumOverBatchSize"/> in Keras 3.</summary>
    Mean,

    /// <summary>Keras' <c>"mean_with_sample_weight"</c>: Σ w·loss / Σ w (0 when Σ w = 0); without weights, the mean.</summary>
    MeanWithSampleWeight,

    /// <summary>
    /// Keras' <c>"none"</c> (or <c>None</c>): no reduction. Such a loss gives per-sample values only
    /// (<see cref="Loss.ComputePerSample"/>); it cannot train a model, since a training step needs one number.
    /// </summary>
    None,
}
