namespace NeuralNet.Training;

/// <summary>
/// True/false positives and negatives at each of several thresholds (Keras' <c>update_confusion_matrix_variables</c>): a
/// prediction is positive when above the threshold, a target when non-zero; with a class id only that column of each row
/// counts; with a top k, every prediction outside the k largest of its row is first set to −1e10 (Keras' <c>NEG_INF</c>),
/// before the class id picks its column, as Keras does.
/// </summary>
/// <remarks>
/// <para>
/// Keras casts the thresholds to float32 before comparing, so a prediction equal to the float32 value of a threshold
/// (0.3f against 0.3) is negative here as there. Where Keras counts on its path for evenly spaced thresholds
/// (<c>thresholds_distributed_evenly</c>: 3 or more given thresholds that <see cref="ConfusionThresholds.IsEvenlyDistributed"/>
/// accepts; always for <see cref="SensitivitySpecificityMetric"/> with 2 or more and for <see cref="Auc"/> unless its
/// given thresholds are uneven) the counts come from <see cref="ThresholdBuckets"/>, as Keras': predictions clipped to
/// [0, 1], so a prediction above 1 is negative at threshold 1, and bucketed in float32.
/// </para>
/// <para>
/// <see cref="AucCounting"/> adds what <see cref="Auc"/> needs: a sigmoid first (Keras' <c>from_logits</c>), a weight
/// per column of the last axis multiplied into each sample's (Keras' <c>label_weights</c> on flattened data), and counts
/// kept per column (Keras' <c>multi_label</c>), laid out as Keras' variables of shape (thresholds, labels):
/// entry [k · <see cref="Labels"/> + label].
/// </para>
/// </remarks>
internal sealed class ConfusionCounts
{
    /// <summary>Keras' <c>NEG_INF</c>: the value top k gives the predictions it drops, and the threshold with top k and no thresholds.</summary>
    public const float NegativeInfinity = -1e10f;

    private readonly float[] _thresholds;
    private readonly int? _classId;
    private readonly int[] _top;
    private readonly AucCounting _auc;
    private readonly ThresholdBuckets? _buckets;

    /// <param name="thresholds">The thresholds, in the order of the counts.</param>
    /// <param name="classId">The only column counted, or null.</param>
    /// <param name="topK">How many of the largest predictions of a row are kept, or null.</param>
    /// <param name="evenlySpaced">Whether Keras counts these thresholds on its evenly spaced path (<see cref="ThresholdBuckets"/>).</param>
    public ConfusionCounts(double[] thresholds, int? classId, int? topK, bool evenlySpaced)
        : this(thresholds, classId, topK, default, evenlySpaced)
    {
    }

    public ConfusionCounts(double[] thresholds, AucCounting auc, bool evenlySpaced)
        : this(thresholds, null, null, auc, evenlySpaced)
    {
    }

    private ConfusionCounts(double[] thresholds, int? classId, int? topK, AucCounting auc, bool evenlySpaced)
    {
        Thresholds = thresholds;
        _thresholds = [.. thresholds.Select(t => (float)t)];
        _classId = classId;
        _top = topK is int k ? new int[k] : [];
        _auc = auc;
        Labels = auc.Labels ?? 1;
        int length = thresholds.Length * Labels;
        TruePositives = new double[length];
        FalsePositives = new double[length];
        TrueNegatives = new double[length];
        FalseNegatives = new double[length];
        _buckets = evenlySpaced ? new ThresholdBuckets(thresholds, Labels) : null;
    }

    public double[] Thresholds { get; }

    /// <summary>How many columns are counted apart: 1 unless counting per label.</summary>
    public int Labels { get; }

    public double[] TruePositives { get; }

    public double[] FalsePositives { get; }

    public double[] TrueNegatives { get; }

    public double[] FalseNegatives { get; }

    public void Reset()
    {
        Array.Clear(TruePositives);
        Array.Clear(FalsePositives);
        Array.Clear(TrueNegatives);
        Array.Clear(FalseNegatives);
        _buckets?.Clear();
    }

    public void Update(string metric, Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        StreamingMetrics.SameLength(metric, predictions, targets);
        ReadOnlySpan<float> p = predictions.AsReadOnlySpan(), t = targets.AsReadOnlySpan();
        int columns = predictions.Rank < 2 ? 1 : predictions.Shape[-1];
        if (_classId is int id && id >= columns)
        {
            throw new ArgumentException($"{metric}: classId {id} is outside the {columns} columns of the predictions.", nameof(predictions));
        }

        _auc.Check(metric, predictions.Shape);

        // Keras' top_k runs over the last axis, which for a vector of predictions is the whole vector.
        int k = _top.Length;
        int rowLength = k == 0 || predictions.Rank < 2 ? p.Length : columns;
        if (k > rowLength)
        {
            throw new ArgumentException(System.FormattableString.Invariant(
                $"{metric}: topK {k} is more than the {rowLength} predictions of each row of {predictions.Shape}; topK must be at most the size of the last axis."), nameof(predictions));
        }

        int perSample = StreamingMetrics.PerSample(metric, predictions, p.Length, sampleWeights);
        int start = _classId ?? 0, step = _classId is null ? 1 : columns;
        double[]? columnWeights = _auc.ColumnWeights;
        for (int rowStart = 0; rowStart < p.Length; rowStart += rowLength)
        {
            ReadOnlySpan<float> row = p.Slice(rowStart, rowLength);
            if (k > 0)
            {
                TopK.Select(row, _top);
            }

            for (int j = start; j < rowLength; j += step)
            {
                int i = rowStart + j;
                float value = k == 0 || _top.AsSpan().Contains(j) ? row[j] : NegativeInfinity;
                value = _auc.FromLogits ? Sigmoid(value) : value;
                double weight = StreamingMetrics.Weight(sampleWeights, i, perSample);
                weight = columnWeights is null ? weight : weight * AucCounting.Broadcast(columnWeights, i % columns);
                int label = Labels == 1 ? 0 : i % columns;
                if (_buckets is null)
                {
                    Count(value, t[i] != 0, weight, label);
                }
                else
                {
                    _buckets.Add(value, t[i] != 0, weight, label);
                }
            }
        }

        _buckets?.AddTo(TruePositives, FalsePositives, TrueNegatives, FalseNegatives);
    }

    // Keras' activations.sigmoid in float32.
    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    private void Count(float prediction, bool actual, double weight, int label)
    {
        for (int k = 0, at = label; k < _thresholds.Length; k++, at += Labels)
        {
            if (prediction > _thresholds[k])
            {
                (actual ? TruePositives : FalsePositives)[at] += weight;
            }
            else
            {
                (actual ? FalseNegatives : TrueNegatives)[at] += weight;
            }
        }
    }
}
