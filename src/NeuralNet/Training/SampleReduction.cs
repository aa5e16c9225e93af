using System.Globalization;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>reduce_to_samplewise_values</c> (<c>keras/src/metrics/reduction_metrics.py</c>) for <see cref="Mean"/> and
/// <see cref="Sum"/>: a tensor of values (batch, ...) and optional weights, reduced to one weighted value and one weight per
/// sample, and summed over the batch.
/// </summary>
internal static class SampleReduction
{
    /// <summary>
    /// Σ_b reduce_j(v[b, j]·w[b, j]) and Σ_b mean_j(w[b, j]), j running over a sample's elements, reduce being the mean
    /// (<paramref name="mean"/>) or the sum; without weights every w is 1. A rank-0 tensor is one sample.
    /// </summary>
    /// <param name="values">The values, (batch, ...).</param>
    /// <param name="sampleWeights">Empty, one weight per sample (broadcast over the sample's elements) or one per element.</param>
    /// <param name="mean">Whether a sample's elements are averaged (Mean) or added (Sum).</param>
    /// <param name="metric">The metric's description, for the message.</param>
    /// <exception cref="ArgumentException">The weights are neither one per sample nor one per element.</exception>
    public static (double Total, double Count) Reduce(Tensor values, ReadOnlySpan<float> sampleWeights, bool mean, string metric)
    {
        ArgumentNullException.ThrowIfNull(values);
        int samples = values.Rank == 0 ? 1 : values.Shape[0];
        int elements = samples == 0 ? 0 : values.Length / samples;
        bool perSample = sampleWeights.Length == samples, perElement = sampleWeights.Length == values.Length;
        if (!sampleWeights.IsEmpty && !perSample && !perElement)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{metric}: {sampleWeights.Length} sample weights for values of shape {values.Shape}; expected one per sample ({samples}) or one per value ({values.Length})."), nameof(sampleWeights));
        }

        ReadOnlySpan<float> v = values.AsReadOnlySpan();
        double scale = mean && elements > 0 ? 1.0 / elements : 1.0;
        double total = 0, count = 0;
        for (int b = 0; b < samples; b++)
        {
            ReadOnlySpan<float> row = v.Slice(b * elements, elements);
            double sum = 0, weight = 0;
            if (sampleWeights.IsEmpty || (perSample && !perElement))
            {
                double w = sampleWeights.IsEmpty ? 1 : sampleWeights[b];
                for (int j = 0; j < row.Length; j++)
                {
                    sum += row[j];
                }

                sum *= w;
                weight = w;
            }
            else
            {
                ReadOnlySpan<float> w = sampleWeights.Slice(b * elements, elements);
                for (int j = 0; j < row.Length; j++)
                {
                    sum += (double)row[j] * w[j];
                    weight += w[j];
                }

                weight *= 1.0 / Math.Max(elements, 1);
            }

            total += sum * scale;
            count += weight;
        }

        return (total, count);
    }
}
