namespace NeuralNet.Training;

/// <summary>
/// Keras' counting for evenly spaced thresholds (<c>_update_confusion_matrix_variables_optimized</c>, taken when
/// <c>thresholds_distributed_evenly</c>): each prediction, clipped to [0, 1], falls in bucket
/// <c>ceil(p (n − 1)) − 1</c> computed in float32 (raised to 0 when the end thresholds carry Keras' epsilon, as AUC's
/// do), and is positive at the thresholds 0 … bucket; a batch's weights are summed per bucket and label, then added to
/// the counts as reversed cumulative sums, the rest of each label's total being the negatives.
/// </summary>
/// <remarks>
/// This is why a prediction below 0 or above 1 counts as 0 or 1 on this path, and why a prediction within float32
/// rounding of a threshold lands where Keras puts it. Each batch costs one bucket per prediction plus one pass over
/// thresholds × labels, instead of a comparison per prediction and threshold; the sums are held in arrays made once.
/// </remarks>
internal sealed class ThresholdBuckets
{
    private readonly int _thresholds;
    private readonly int _labels;
    private readonly float _scale;
    private readonly bool _withEpsilon;
    private readonly double[] _positives;
    private readonly double[] _negatives;
    private readonly double[] _positiveTotals;
    private readonly double[] _negativeTotals;

    /// <param name="thresholds">The thresholds, evenly spaced from 0 (or −ε) to 1 (or 1 + ε), at least 2.</param>
    /// <param name="labels">The columns counted apart (1 unless multi-label).</param>
    public ThresholdBuckets(double[] thresholds, int labels)
    {
        _thresholds = thresholds.Length;
        _labels = labels;
        _scale = thresholds.Length - 1;

        // Keras' thresholds_with_epsilon: AUC's ends −1e-7 and 1 + 1e-7 make 0 positive at the first threshold.
        _withEpsilon = thresholds[0] < 0 || thresholds[^1] > 1;
        _positives = new double[thresholds.Length * labels];
        _negatives = new double[thresholds.Length * labels];
        _positiveTotals = new double[labels];
        _negativeTotals = new double[labels];
    }

    /// <summary>
    /// The last threshold at which <paramref name="prediction"/> is positive, −1 for none. A NaN prediction, for which
    /// Keras' integer cast has no defined value, is negative everywhere, as a comparison would make it.
    /// </summary>
    public int Bucket(float prediction)
    {
        if (float.IsNaN(prediction))
        {
            return -1;
        }

        int bucket = (int)MathF.Ceiling(Math.Clamp(prediction, 0f, 1f) * _scale) - 1;
        return _withEpsilon ? Math.Max(bucket, 0) : bucket;
    }

    /// <summary>Adds one prediction of a batch (its target, weight and label column) to the batch's sums.</summary>
    public void Add(float prediction, bool actual, double weight, int label)
    {
        int bucket = Bucket(prediction);
        if (bucket >= 0)
        {
            (actual ? _positives : _negatives)[(bucket * _labels) + label] += weight;
        }

        (actual ? _positiveTotals : _negativeTotals)[label] += weight;
    }

    /// <summary>Adds the batch's counts, laid out [threshold · labels + label], and clears its sums for the next batch.</summary>
    public void AddTo(double[] truePositives, double[] falsePositives, double[] trueNegatives, double[] falseNegatives)
    {
        for (int label = 0; label < _labels; label++)
        {
            double tp = 0, fp = 0;
            double positives = _positiveTotals[label], negatives = _negativeTotals[label];
            for (int k = _thresholds - 1, at = (k * _labels) + label; k >= 0; k--, at -= _labels)
            {
                tp += _positives[at];
                fp += _negatives[at];
                truePositives[at] += tp;
                falsePositives[at] += fp;
                trueNegatives[at] += negatives - fp;
                falseNegatives[at] += positives - tp;
            }
        }

        Clear();
    }

    /// <summary>Clears the batch's sums (after <see cref="AddTo"/>, and when the counts reset: a batch cut short leaves none behind).</summary>
    public void Clear()
    {
        Array.Clear(_positives);
        Array.Clear(_negatives);
        Array.Clear(_positiveTotals);
        Array.Clear(_negativeTotals);
    }
}
