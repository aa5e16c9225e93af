using NeuralNet.Losses;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>Poisson</c>, logged as <c>poisson</c>: the running mean of prediction − target · log(prediction + 1e-7),
/// from the loss <see cref="Losses.Poisson"/>. Named with "Metric" so that it does not clash with that loss.
/// </summary>
public sealed class PoissonMetric() : LossMetric(new Poisson())
{
    /// <inheritdoc/>
    protected override string DefaultName => "poisson";
}
