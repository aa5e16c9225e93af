using NeuralNet.Losses;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>CategoricalHinge</c>, logged as <c>categorical_hinge</c>: the running mean over rows of
/// max(max((1 − t)·p) − Σ t·p + 1, 0), from the loss <see cref="Losses.CategoricalHinge"/>. Named with "Metric" so that
/// it does not clash with that loss.
/// </summary>
public sealed class CategoricalHingeMetric() : LossMetric(new CategoricalHinge())
{
    /// <inheritdoc/>
    protected override string DefaultName => "categorical_hinge";
}
