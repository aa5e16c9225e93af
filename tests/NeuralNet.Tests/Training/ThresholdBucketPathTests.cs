using FsCheck.Xunit;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

/// <summary>
/// Keras' evenly spaced threshold path (<see cref="ThresholdBuckets"/>; keras/src/metrics/metrics_utils.py,
/// <c>_update_confusion_matrix_variables_optimized</c>) with sample weights, over several batches, and against the plain
/// comparison <c>prediction &gt; threshold</c> (Keras' other path) on predictions away from the thresholds, where the two
/// must agree. Expected values are by hand or from that comparison written out here.
/// </summary>
public class ThresholdBucketPathTests
{
    private static readonly double[] Thresholds = [0, 0.5, 1];

    [Fact]
    public void Counts_WithSampleWeights_WeighEachPredictionAsKerasDoes()
    {
        // Predictions [0.2, 0.7, 0.4, 0.9], targets [0, 1, 1, 0], weights [1, 2, 3, 4]; buckets ceil(2p) − 1 = [0, 1, 0, 1].
        // Threshold 0: all positive: tp 2 + 3, fp 1 + 4. Threshold 0.5: 0.7 and 0.9: tp 2, fp 4, tn 1, fn 3. Threshold 1: none.
        float[] p = [0.2f, 0.7f, 0.4f, 0.9f], t = [0, 1, 1, 0], w = [1, 2, 3, 4];
        AssertClose([5, 2, 0], Counts(new TruePositives(Thresholds), p, t, w));
        AssertClose([5, 4, 0], Counts(new FalsePositives(Thresholds), p, t, w));
        AssertClose([0, 1, 5], Counts(new TrueNegatives(Thresholds), p, t, w));
        AssertClose([0, 3, 5], Counts(new FalseNegatives(Thresholds), p, t, w));

        var precision = new Precision(Thresholds);
        precision.Update(Tensor.FromArray(p, 4, 1), Tensor.FromArray(t, 4, 1), w);
        AssertClose([5.0 / 10, 2.0 / 6, 0], precision.Results());
        var recall = new Recall(Thresholds);
        recall.Update(Tensor.FromArray(p, 4, 1), Tensor.FromArray(t, 4, 1), w);
        AssertClose([1, 2.0 / 5, 0], recall.Results());
    }

    [Fact]
    public void Counts_OverSeveralBatches_AddUpAndResetClearsThem()
    {
        // Batch 1: [0.2 (t 0), 0.7 (t 1)]; batch 2: [0.4 (t 1), 0.9 (t 0)]. At threshold 0.5: tn 1 (0.2), fn 1 (0.4).
        // At threshold 1: tn 2, fn 2. At 0: every prediction positive, tn 0, fn 0.
        var negatives = new TrueNegatives(Thresholds);
        var misses = new FalseNegatives(Thresholds);
        foreach (ConfusionCountMetric metric in new ConfusionCountMetric[] { negatives, misses })
        {
            metric.Update(Tensor.FromArray([0.2f, 0.7f], 2, 1), Tensor.FromArray([0f, 1], 2, 1));
            metric.Update(Tensor.FromArray([0.4f, 0.9f], 2, 1), Tensor.FromArray([1f, 0], 2, 1));
        }

        AssertClose([0, 1, 2], negatives.Results());
        AssertClose([0, 1, 2], misses.Results());

        negatives.Reset();
        negatives.Update(Tensor.FromArray([0.7f], 1, 1), Tensor.FromArray([0f], 1, 1));
        AssertClose([0, 0, 1], negatives.Results());
    }

    [Fact]
    public void Clear_DropsABatchLeftUnfinished()
    {
        // A batch's sums not yet added (an update cut short) must not reach the counts after a reset.
        var buckets = new ThresholdBuckets([0, 0.5, 1], labels: 1);
        buckets.Add(0.7f, actual: true, weight: 1, label: 0);
        buckets.Clear();
        double[] tp = new double[3], fp = new double[3], tn = new double[3], fn = new double[3];

        buckets.AddTo(tp, fp, tn, fn);

        Assert.All(tp.Concat(fp).Concat(tn).Concat(fn), v => Assert.Equal(0.0, v));
    }

    [Property(MaxTest = 100, Replay = "20261206,33")]
    public void Counts_AwayFromThresholds_MatchThePlainComparison(int seed)
    {
        // Predictions (k + u) / 4 with u in [0.05, 0.95]: never within float rounding of a threshold i / 4, so the bucket
        // path and Keras' comparison p > threshold must count the same; two batches, random weights.
        double[] thresholds = [0, 0.25, 0.5, 0.75, 1];
        var random = new Random(seed);
        var metrics = new ConfusionCountMetric[] { new TruePositives(thresholds), new FalsePositives(thresholds), new TrueNegatives(thresholds), new FalseNegatives(thresholds) };
        var expected = new double[4, thresholds.Length];
        for (int batch = 0; batch < 2; batch++)
        {
            int n = 1 + random.Next(12);
            float[] p = new float[n], t = new float[n], w = new float[n];
            for (int i = 0; i < n; i++)
            {
                p[i] = (float)((random.Next(4) + 0.05 + (0.9 * random.NextDouble())) / 4);
                t[i] = random.Next(2);
                w[i] = (float)(random.NextDouble() * 2);
                for (int k = 0; k < thresholds.Length; k++)
                {
                    bool predicted = p[i] > thresholds[k], actual = t[i] != 0;
                    int which = predicted ? (actual ? 0 : 1) : (actual ? 3 : 2);
                    expected[which, k] += w[i];
                }
            }

            foreach (ConfusionCountMetric metric in metrics)
            {
                metric.Update(Tensor.FromArray(p, n, 1), Tensor.FromArray(t, n, 1), w);
            }
        }

        for (int m = 0; m < metrics.Length; m++)
        {
            double[] actual = metrics[m].Results();
            for (int k = 0; k < thresholds.Length; k++)
            {
                Assert.Equal(expected[m, k], actual[k], 9);
            }
        }
    }

    private static double[] Counts(ConfusionCountMetric metric, float[] p, float[] t, float[] w)
    {
        metric.Update(Tensor.FromArray(p, p.Length, 1), Tensor.FromArray(t, t.Length, 1), w);
        return metric.Results();
    }

    private static void AssertClose(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 12);
        }
    }
}
