namespace NeuralNet.Training;

/// <summary>
/// Keras' metric <c>MeanSquaredError</c> (<c>"mse"</c>), logged as <c>mean_squared_error</c> (as <c>mse</c> when compiled by that identifier, as Keras does): the running mean of
/// (prediction − target)². Named with "Metric" so that it does not clash with the loss of the same Keras name.
/// </summary>
public sealed class MeanSquaredErrorMetric : MeanErrorMetric
{
    /// <inheritdoc/>
    protected override string DefaultName => "mean_squared_error";

    private protected override double Error(double difference) => difference * difference;
}
