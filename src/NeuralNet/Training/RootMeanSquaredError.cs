namespace NeuralNet.Training;

/// <summary>Keras' <c>RootMeanSquaredError</c>: the square root of the running mean of (prediction − target)².</summary>
public sealed class RootMeanSquaredError : MeanErrorMetric
{
    /// <inheritdoc/>
    protected override string DefaultName => "root_mean_squared_error";

    private protected override double Error(double difference) => difference * difference;

    private protected override double Finish(double mean) => Math.Sqrt(mean);
}
