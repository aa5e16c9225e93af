using NeuralNet.Losses;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>CosineSimilarity</c>, logged as <c>cosine_similarity</c>: the running mean over rows (the last axis) of
/// Σ (t / ‖t‖)·(p / ‖p‖), each inverse norm at most 1e7 as Keras normalises; 1 when aligned, −1 when opposite. It is the
/// negative of the loss <see cref="Losses.CosineSimilarity"/>, and improves upwards. Only the last axis (Keras' default
/// <c>axis=-1</c>) is supported. Named with "Metric" so that it does not clash with that loss.
/// </summary>
public sealed class CosineSimilarityMetric() : LossMetric(new CosineSimilarity(), sign: -1)
{
    /// <inheritdoc/>
    protected override string DefaultName => "cosine_similarity";

    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("axis", -1);
}
