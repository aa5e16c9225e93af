namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>ConcordanceCorrelation</c> metric (Keras 3.6+; Lin's concordance correlation coefficient), logged as
/// <c>concordance_correlation</c>: for every row along <see cref="CorrelationMetric.Axis"/>,
/// mean(2 (t − mean p)(p − mean p) / (var t + var p + (mean t − mean p)² + 1e-7)) (population variances), Keras'
/// <c>concordance_correlation</c> term for term; averaged as <see cref="CorrelationMetric"/> says. 1 when predictions equal
/// the targets, lower as they drift from them in correlation, scale or offset.
/// </summary>
/// <param name="axis">The axis of each coefficient (Keras default -1, the last); not 0, the batch axis.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="axis"/> is 0.</exception>
public sealed class ConcordanceCorrelation(int axis = -1) : CorrelationMetric(axis)
{
    /// <inheritdoc/>
    protected override string DefaultName => "concordance_correlation";

    private protected override double Coefficient(ReadOnlySpan<float> targets, ReadOnlySpan<float> predictions, int length, int stride)
    {
        double meanTarget = Mean(targets, length, stride), meanPrediction = Mean(predictions, length, stride);
        double gap = meanTarget - meanPrediction;
        double norm = Variance(targets, length, stride, meanTarget) + Variance(predictions, length, stride, meanPrediction) + (gap * gap) + Epsilon;

        // Keras centres the targets on the predictions' mean (t − mean p): the same sum as (t − mean t), since Σ (p − mean p) = 0.
        double sum = 0;
        for (int i = 0; i < length; i++)
        {
            sum += 2 * (targets[i * stride] - meanPrediction) * (predictions[i * stride] - meanPrediction) / norm;
        }

        return sum / length;
    }
}
