using NeuralNet.Losses;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>MeanAbsolutePercentageError</c> (<c>"mape"</c>), logged as <c>mean_absolute_percentage_error</c>: the
/// running mean of 100 · |target − prediction| / max(|target|, 1e-7), from the loss
/// <see cref="Losses.MeanAbsolutePercentageError"/>. Named with "Metric" so that it does not clash with that loss.
/// </summary>
public sealed class MeanAbsolutePercentageErrorMetric() : LossMetric(new MeanAbsolutePercentageError())
{
    /// <inheritdoc/>
    protected override string DefaultName => "mean_absolute_percentage_error";
}
