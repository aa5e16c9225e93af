using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// The base of Keras' correlation metrics (<see cref="PearsonCorrelation"/>, <see cref="ConcordanceCorrelation"/>; Keras'
/// <c>MeanMetricWrapper</c> around <c>pearson_correlation</c> / <c>concordance_correlation</c>): a coefficient between targets
/// and predictions along <see cref="Axis"/> for every position of the other axes, averaged over a sample's positions, then
/// the running mean over samples, Σ w·value / Σ w with each weight 1 without sample weights (Keras' <c>Mean</c>); 0 before
/// any update. Higher is better.
/// </summary>
/// <remarks>
/// Targets must hold as many values as the predictions and are read in the predictions' layout. The coefficients are
/// computed in double precision with Keras' formulas, epsilon (1e-7) included; updates allocate nothing.
/// </remarks>
public abstract class CorrelationMetric : Metric
{
    /// <summary>Keras' <c>backend.epsilon()</c>, added to the denominators.</summary>
    private protected const double Epsilon = 1e-7;

    private double _total;
    private double _count;

    private protected CorrelationMetric(int axis)
    {
        if (axis == 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(axis), axis, $"{GetType().Name} computes one coefficient per sample along a feature axis; axis 0 is the batch axis. Use -1 (Keras' default) or another axis of the samples.");
        }

        Axis = axis;
    }

    /// <summary>The axis along which each coefficient is computed, counting the batch axis as 0 (Keras' <c>axis</c>, default -1: the last).</summary>
    public int Axis { get; }

    /// <inheritdoc/>
    public override MetricDirection Direction => MetricDirection.Up;

    /// <inheritdoc/>
    public override void Reset() => (_total, _count) = (0, 0);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The per-sample shapes differ in size, or <see cref="Axis"/> is not an axis of the samples.</exception>
    public override void ValidateShapes(TensorShape outputShape, TensorShape targetShape)
    {
        StreamingMetrics.SameSampleSize(Name, outputShape, targetShape);
        _ = ResolveAxis(outputShape.Rank + 1, outputShape, batch: true);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The predictions and targets differ in size, or <see cref="Axis"/> is not an axis of the samples; nothing is accumulated then.</exception>
    public override void Update(Tensor predictions, Tensor targets) => Update(predictions, targets, default);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">As for <see cref="Update(Tensor, Tensor)"/>, or the weights are not one per sample.</exception>
    public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        StreamingMetrics.SameLength(Name, predictions, targets);
        int axis = ResolveAxis(predictions.Rank, predictions.Shape, batch: false);
        int samples = predictions.Shape[0];
        if (!sampleWeights.IsEmpty && sampleWeights.Length != samples)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{Name}: {sampleWeights.Length} sample weights for a batch of {samples}; expected one per sample."), nameof(sampleWeights));
        }

        // A sample is (outer, length, inner) around the axis: each coefficient reads `length` values `inner` apart.
        int length = predictions.Shape[axis], inner = 1, perSample = samples == 0 ? 0 : predictions.Length / samples;
        for (int a = axis + 1; a < predictions.Rank; a++)
        {
            inner *= predictions.Shape[a];
        }

        int positions = length == 0 ? 0 : perSample / length;
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        double total = 0, count = 0;
        for (int s = 0; s < samples; s++)
        {
            double sum = 0;
            for (int position = 0; position < positions; position++)
            {
                int start = (s * perSample) + ((position / inner) * length * inner) + (position % inner);
                sum += Coefficient(t[start..], p[start..], length, inner);
            }

            // Keras' Mean reduces a sample's values by their mean, then weighs the sample.
            double weight = sampleWeights.IsEmpty ? 1 : sampleWeights[s];
            total += weight * (positions == 0 ? double.NaN : sum / positions);
            count += weight;
        }

        _total += total;
        _count += count;
    }

    /// <inheritdoc/>
    public override double Result() => _count == 0 ? 0 : _total / _count;

    /// <summary>Keras' configuration: <c>axis</c>.</summary>
    public override Config GetConfig() => new Config().Set("axis", Axis);

    /// <summary>The coefficient of one row: <paramref name="length"/> values of each span, <paramref name="stride"/> apart.</summary>
    private protected abstract double Coefficient(ReadOnlySpan<float> targets, ReadOnlySpan<float> predictions, int length, int stride);

    /// <summary>The mean of <paramref name="length"/> values <paramref name="stride"/> apart, each less <paramref name="shift"/>.</summary>
    private protected static double Mean(ReadOnlySpan<float> values, int length, int stride, double shift = 0)
    {
        double sum = 0;
        for (int i = 0; i < length; i++)
        {
            sum += values[i * stride] - shift;
        }

        return sum / length;
    }

    /// <summary>The population variance (Keras' <c>ops.var</c>) of the values less <paramref name="shift"/>, about their own mean.</summary>
    private protected static double Variance(ReadOnlySpan<float> values, int length, int stride, double shift)
    {
        double mean = Mean(values, length, stride, shift), sum = 0;
        for (int i = 0; i < length; i++)
        {
            double d = values[i * stride] - shift - mean;
            sum += d * d;
        }

        return sum / length;
    }

    // The shape is formatted only for the message, so that a valid update allocates nothing.
    private int ResolveAxis(int rank, TensorShape shape, bool batch)
    {
        int axis = Axis < 0 ? rank + Axis : Axis;
        return axis >= 1 && axis < rank
            ? axis
            : throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{Name}: axis {Axis} is not an axis of the samples of predictions {(batch ? shape.ToBatchString() : shape.ToString())} (1 to {rank - 1}, or -1 to {1 - rank}; axis 0 is the batch)."), "predictions");
    }
}
