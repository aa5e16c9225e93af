namespace NeuralNet.Training;

/// <summary>
/// True/false positives and negatives at each of several thresholds (Keras' confusion-matrix variables): a prediction is
/// positive when above the threshold, a target when non-zero; with a class id only that column of each row counts.
/// </summary>
internal sealed class ConfusionCounts(double[] thresholds, int? classId)
{
    public double[] Thresholds { get; } = thresholds;

    public double[] TruePositives { get; } = new double[thresholds.Length];

    public double[] FalsePositives { get; } = new double[thresholds.Length];

    public double[] TrueNegatives { get; } = new double[thresholds.Length];

    public double[] FalseNegatives { get; } = new double[thresholds.Length];

    public void Reset()
    {
        Array.Clear(TruePositives);
        Array.Clear(FalsePositives);
        Array.Clear(TrueNegatives);
        Array.Clear(FalseNegatives);
    }

    public void Update(string metric, Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        StreamingMetrics.SameLength(metric, predictions, targets);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        int width = predictions.Rank < 2 ? 1 : predictions.Shape[-1];
        if (classId is int id && id >= width)
        {
            throw new ArgumentException($"{metric}: classId {id} is outside the {width} columns of the predictions.", nameof(predictions));
        }

        int start = classId ?? 0, step = classId is null ? 1 : width;
        int perSample = StreamingMetrics.PerSample(metric, predictions, p.Length, sampleWeights);
        for (int i = start; i < p.Length; i += step)
        {
            bool actual = t[i] != 0;
            double weight = StreamingMetrics.Weight(sampleWeights, i, perSample);
            for (int k = 0; k < Thresholds.Length; k++)
            {
                bool predicted = p[i] > Thresholds[k];
                if (predicted)
                {
                    (actual ? TruePositives : FalsePositives)[k] += weight;
                }
                else
                {
                    (actual ? FalseNegatives : TrueNegatives)[k] += weight;
                }
            }
        }
    }
}
