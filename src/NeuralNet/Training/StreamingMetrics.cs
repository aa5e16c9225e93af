namespace NeuralNet.Training;

/// <summary>Shared checks and loops of the streaming metrics.</summary>
internal static class StreamingMetrics
{
    /// <summary>Requires predictions and targets of the same length (per batch), naming the metric.</summary>
    public static void SameLength(string metric, Tensor predictions, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(targets);
        if (predictions.Length != targets.Length)
        {
            throw new ArgumentException($"{metric}: predictions {predictions.Shape} and targets {targets.Shape} must have the same shape.", nameof(targets));
        }
    }

    /// <summary>Requires per-sample shapes of the same size before training.</summary>
    public static void SameSampleSize(string metric, TensorShape outputShape, TensorShape targetShape)
    {
        if (outputShape.ElementCount != targetShape.ElementCount)
        {
            throw new ArgumentException($"{metric}: output {outputShape.ToBatchString()} does not match targets {targetShape.ToBatchString()}.", "targets");
        }
    }

    /// <summary>Requires per-sample shapes of the same size and, with a class id, that it is a column of the output.</summary>
    public static void SameSampleSizeAndClassColumn(string metric, TensorShape outputShape, TensorShape targetShape, int? classId)
    {
        SameSampleSize(metric, outputShape, targetShape);
        int columns = outputShape.Rank == 0 ? 1 : outputShape[-1];
        if (classId >= columns)
        {
            throw new ArgumentException(System.FormattableString.Invariant($"{metric}: classId {classId} is not a column of the output {outputShape.ToBatchString()} (0 to {columns - 1})."), "outputShape");
        }
    }

    /// <summary>
    /// The weight of element (or row) <paramref name="index"/> of a batch whose samples span <paramref name="perSample"/>
    /// elements (rows) each: its sample's weight, or 1 without weights.
    /// </summary>
    public static double Weight(ReadOnlySpan<float> sampleWeights, int index, int perSample) =>
        sampleWeights.IsEmpty ? 1.0 : sampleWeights[index / perSample];

    /// <summary>Elements (or rows) per sample, after checking one weight per sample.</summary>
    /// <exception cref="ArgumentException">The weights are not one per sample of the batch.</exception>
    public static int PerSample(string metric, Tensor predictions, int count, ReadOnlySpan<float> sampleWeights)
    {
        int batch = predictions.Shape[0];
        if (!sampleWeights.IsEmpty && sampleWeights.Length != batch)
        {
            throw new ArgumentException($"{metric}: {sampleWeights.Length} sample weights for a batch of {batch}; expected one per sample.", nameof(sampleWeights));
        }

        return Math.Max(1, count / Math.Max(1, batch));
    }

    /// <summary>
    /// Whether row[<paramref name="index"/>] is among the <paramref name="k"/> largest values of <paramref name="row"/>
    /// (fewer than k values strictly larger; ties count as in), as TensorFlow's InTopK kernel: a row holding a NaN or
    /// an infinity is a miss, so a diverged model cannot score hits.
    /// </summary>
    public static bool InTopK(ReadOnlySpan<float> row, int index, int k)
    {
        float value = row[index];
        if (!float.IsFinite(value))
        {
            return false;
        }

        int above = 0;
        foreach (float v in row)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }

            above += v > value ? 1 : 0;
        }

        return above < k;
    }
}
