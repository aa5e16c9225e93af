using NeuralNet.Losses;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>Hinge</c>, logged as <c>hinge</c>: the running mean of max(1 − target · prediction, 0), targets −1 or 1
/// (a batch whose targets are all 0 or 1 is read as −1 and 1, as Keras converts them), from the loss
/// <see cref="Losses.Hinge"/>. Named with "Metric" so that it does not clash with that loss.
/// </summary>
public sealed class HingeMetric() : LossMetric(new Hinge())
{
    /// <inheritdoc/>
    protected override string DefaultName => "hinge";
}
