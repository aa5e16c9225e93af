using NeuralNet.Losses;

namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>LogCoshError</c>, logged as <c>logcosh</c> (Keras' name for it): the running mean of
/// log(cosh(prediction − target)), from the loss <see cref="LogCosh"/>.
/// </summary>
public sealed class LogCoshError() : LossMetric(new LogCosh())
{
    /// <inheritdoc/>
    protected override string DefaultName => "logcosh";
}
