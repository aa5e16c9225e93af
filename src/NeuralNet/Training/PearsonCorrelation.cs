namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>PearsonCorrelation</c> metric (Keras 3.6+), logged as <c>pearson_correlation</c>: for every row along
/// <see cref="CorrelationMetric.Axis"/>, mean(t̂ · p̂) with t̂ = (t − mean t) / (std(t − mean t) + 1e-7) and p̂ likewise (population
/// standard deviations), Keras' <c>pearson_correlation</c>; averaged as <see cref="CorrelationMetric"/> says. A row whose targets
/// or predictions do not vary scores 0 (the epsilon), as in Keras.
/// </summary>
/// <param name="axis">The axis of each coefficient (Keras default -1, the last); not 0, the batch axis.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is 0.</exception>
public sealed class PearsonCorrelation(int axis = -1) : CorrelationMetric(axis)
{
    /// <inheritdoc/>
    protected override string DefaultName => "pearson_correlation";

    private protected override double Coefficient(ReadOnlySpan<float> targets, ReadOnlySpan<float> predictions, int length, int stride)
    {
        double meanTarget = Mean(targets, length, stride), meanPrediction = Mean(predictions, length, stride);
        double scaleTarget = Math.Sqrt(Variance(targets, length, stride, meanTarget)) + Epsilon;
        double scalePrediction = Math.Sqrt(Variance(predictions, length, stride, meanPrediction)) + Epsilon;
        double sum = 0;
        for (int i = 0; i < length; i++)
        {
            sum += ((targets[i * stride] - meanTarget) / scaleTarget) * ((predictions[i * stride] - meanPrediction) / scalePrediction);
        }

        return sum / length;
    }
}
