namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>MeanAbsoluteError</c> (<c>"mae"</c>), logged as <c>mean_absolute_error</c> (as <c>mae</c> when compiled by that identifier, as Keras does): the running mean of
/// |prediction − target|. Named with "Metric" so that it does not clash with the loss of the same Keras name.
/// </summary>
public sealed class MeanAbsoluteErrorMetric : MeanErrorMetric
{
    /// <inheritdoc/>
    protected override string DefaultName => "mean_absolute_error";

    private protected override double Error(double difference) => Math.Abs(difference);
}
