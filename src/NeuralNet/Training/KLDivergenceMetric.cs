using NeuralNet.Losses;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>KLDivergence</c>, logged as <c>kl_divergence</c>: the running mean over rows (the last axis) of
/// Σ t·log(t / p), both clipped to [1e-7, 1], from the loss <see cref="Losses.KLDivergence"/>. Named with "Metric" so
/// that it does not clash with that loss.
/// </summary>
public sealed class KLDivergenceMetric() : LossMetric(new KLDivergence())
{
    /// <inheritdoc/>
    protected override string DefaultName => "kl_divergence";
}
