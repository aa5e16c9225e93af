using NeuralNet.Losses;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>MeanSquaredLogarithmicError</c> (<c>"msle"</c>), logged as <c>mean_squared_logarithmic_error</c>: the
/// running mean of (log(target + 1) − log(prediction + 1))², each side at least 1e-7 before the + 1, from the loss
/// <see cref="Losses.MeanSquaredLogarithmicError"/>. Named with "Metric" so that it does not clash with that loss.
/// </summary>
public sealed class MeanSquaredLogarithmicErrorMetric() : LossMetric(new MeanSquaredLogarithmicError())
{
    /// <inheritdoc/>
    protected override string DefaultName => "mean_squared_logarithmic_error";
}
