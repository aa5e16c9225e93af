using NeuralNet.Losses;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>SquaredHinge</c>, logged as <c>squared_hinge</c>: the running mean of max(1 − target · prediction, 0)²,
/// with 0/1 targets read as −1 and 1 as for <see cref="HingeMetric"/>, from the loss <see cref="Losses.SquaredHinge"/>.
/// Named with "Metric" so that it does not clash with that loss.
/// </summary>
public sealed class SquaredHingeMetric() : LossMetric(new SquaredHinge())
{
    /// <inheritdoc/>
    protected override string DefaultName => "squared_hinge";
}
