using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Training.MetricRuns;

namespace NeuralNet.Tests.Training;

/// <summary>
/// The confusion metrics on Keras' path for evenly spaced thresholds (keras/src/metrics/metrics_utils.py,
/// <c>_update_confusion_matrix_variables_optimized</c>): Precision, Recall and the counts take it for 3 or more
/// thresholds that <c>is_evenly_distributed_thresholds</c> accepts, the sensitivity/specificity family for any
/// num_thresholds above 1 (confusion_metrics.py sets <c>_thresholds_distributed_evenly = True</c>). There p is clipped to
/// [0, 1] and falls in bucket ceil(p (n − 1)) − 1, computed in float32, positive at the thresholds up to its bucket.
/// Expected values are worked out by hand from that formula.
/// </summary>
public class EvenlySpacedThresholdTests
{
    // Targets [0, 0, 1, 1]; clipped [0, 0.2, 0.7, 1]; with thresholds [0, 0.5, 1] (n − 1 = 2) buckets [-1, 0, 1, 1].
    private static readonly float[] OutOfRange = [-0.5f, 0.2f, 0.7f, 1.5f];
    private static readonly float[] Targets = [0, 0, 1, 1];

    [Fact]
    public void PrecisionRecallAndCounts_ClipPredictions_AsKerasDoes()
    {
        // Threshold 0: buckets >= 0 are 0.2 (negative target), 0.7 and 1 (positive): tp 2, fp 1, fn 0.
        // Threshold 0.5: buckets >= 1: tp 2, fp 0. Threshold 1: none (1.5 is clipped to 1, not above 1): tp 0, fn 2.
        // Comparing raw values instead would make 1.5 a true positive at threshold 1 (precision 1, recall 0.5, tp 1).
        double[] thresholds = [0, 0.5, 1];
        AssertClose([2.0 / 3, 1, 0], Results(new Precision(thresholds), OutOfRange, Targets));
        AssertClose([1, 1, 0], Results(new Recall(thresholds), OutOfRange, Targets));
        AssertClose([2, 2, 0], Results(new TruePositives(thresholds), OutOfRange, Targets));
        AssertClose([0, 0, 2], Results(new FalseNegatives(thresholds), OutOfRange, Targets));
        AssertClose([1, 0, 0], Results(new FalsePositives(thresholds), OutOfRange, Targets));
        AssertClose([1, 2, 2], Results(new TrueNegatives(thresholds), OutOfRange, Targets));

        // Uneven thresholds (or fewer than 3) keep Keras' comparison of the raw values: 1.5 is above 1, so at threshold 1
        // tp 1, fp 0 (at 0: 0.2, 0.7, 1.5 above, tp 2, fp 1; at 0.4: 0.7 and 1.5).
        AssertClose([2.0 / 3, 1, 1], Results(new Precision([0, 0.4, 1]), OutOfRange, Targets));
        Assert.Equal(1.0, Run(new Precision(1.0), OutOfRange, Targets, 4));
    }

    [Fact]
    public void SensitivitySpecificityFamily_ClipsFromTwoThresholds()
    {
        // num_thresholds 3: thresholds [0, 0.5, 1]; [1.5, 0.7, 0.2] against [1, 0, 0] clip to [1, 0.7, 0.2], buckets
        // [1, 1, 0]. Sensitivity [1, 1, 0], specificity [0, 0.5, 1]: the best specificity where sensitivity >= 1 is 0.5.
        // Unclipped, 1.5 would be positive at 1 (sensitivity 1, specificity 1 there) and the result 1.
        Assert.Equal(0.5, Vector(new SpecificityAtSensitivity(1.0, numThresholds: 3), [1.5f, 0.7f, 0.2f], [1, 0, 0]), 12);

        // num_thresholds 2 (thresholds [0, 1]) is evenly spaced for Keras too: 1.5 is negative at 1, so sensitivity 1 is
        // reached only at 0, where the specificity is 0.
        Assert.Equal(0.0, Vector(new SpecificityAtSensitivity(1.0, numThresholds: 2), [1.5f, 0.2f], [1, 0]), 12);

        // Recall at precision 1: threshold 0.5 keeps the one positive (tp 1, fp 0); clipped, threshold 1 keeps none.
        Assert.Equal(1.0, Vector(new RecallAtPrecision(1.0, numThresholds: 3), [1.5f, 0.2f], [1, 0]), 12);

        // Precision at recall 1 with thresholds [0, 1]: recall 1 only at 0, where both are positive (precision 0.5);
        // unclipped, 1.5 alone above 1 would give precision 1.
        Assert.Equal(0.5, Vector(new PrecisionAtRecall(1.0, numThresholds: 2), [1.5f, 0.2f], [1, 0]), 12);
    }

    [Fact]
    public void Buckets_AreKerasFloat32Arithmetic_NotAComparison()
    {
        // Thresholds i / 10 are evenly spaced. p = the float after 0.9f = 0.90000004 is above the threshold 0.9f, but
        // Keras' float32 product p · 10 rounds to 9.0, so its bucket is ceil(9) − 1 = 8: positive up to 0.8 only.
        double[] tenths = [.. Enumerable.Range(0, 11).Select(i => i / 10.0)];
        float p = MathF.BitIncrement(0.9f);
        Assert.True(p > 0.9f);
        double[] tp = Results(new TruePositives(tenths), [p], [1], rows: 1);
        AssertClose([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0], tp);

        // A NaN prediction, which Keras' integer cast leaves undefined, is negative everywhere, as a comparison says.
        AssertClose([0, 0, 0], Results(new TruePositives([0, 0.5, 1]), [float.NaN], [1], rows: 1));
        AssertClose([1, 1, 1], Results(new FalseNegatives([0, 0.5, 1]), [float.NaN], [1], rows: 1));
    }

    [Fact]
    public void EvenlySpacedPath_WithTopKAndClassId_StreamsAndAllocatesNothing()
    {
        // Top k first sets the dropped predictions to −1e10, which the clip makes 0: negative at every threshold. Row 0
        // [1.4, 0.3, -0.2] keeps 1.4 (class 0, target 1); row 1 [0.6, 0.9, 0.1] keeps 0.9 (class 1, target 0).
        float[] p = [1.4f, 0.3f, -0.2f, 0.6f, 0.9f, 0.1f];
        float[] t = [1, 1, 0, 1, 0, 0];
        double[] thresholds = [0, 0.25, 0.5, 0.75, 1];

        // Kept: 1.4 -> 1 (bucket 3), 0.9 (bucket ceil(3.6) - 1 = 3). tp [1, 1, 1, 1, 0], fp [1, 1, 1, 1, 0].
        AssertClose([0.5, 0.5, 0.5, 0.5, 0], Results(new Precision(thresholds, topK: 1), p, t));

        // Class 0 alone: [1.4, 0.6] against [1, 1] (no top k): buckets [3, ceil(2.4) − 1 = 2]; recall [1, 1, 1, 0.5, 0].
        var recall = new Recall(thresholds, classId: 0);
        AssertClose([1, 1, 1, 0.5, 0], Results(recall, p, t));

        // A second batch adds to the counts and allocates nothing.
        Tensor pt = Tensor.FromArray(p, 2, 3), tt = Tensor.FromArray(t, 2, 3);
        AllocationCheck.AssertNone(() => recall.Update(pt, tt));
        AssertClose([1, 1, 1, 0.5, 0], recall.Results());
    }

    [Fact]
    public void Thresholds_AreReadOnlyViews()
    {
        // The lists the metrics expose cannot be cast back to their arrays and changed.
        IReadOnlyList<double>[] views =
        [
            new Precision([0.2, 0.4]).Thresholds,
            new Recall(0.3).Thresholds,
            new TruePositives([0, 0.5, 1]).Thresholds,
            new SensitivityAtSpecificity(0.5, numThresholds: 5).Thresholds,
            new Auc(4).Thresholds,
            new Auc(thresholds: [0.3, 0.6]).GivenThresholds!,
            new Auc(labelWeights: [1, 2]).LabelWeights!,
            new NeuralNet.Losses.CategoricalFocalCrossEntropy([0.25, 0.75]).AlphaPerClass!,
        ];
        foreach (IReadOnlyList<double> view in views)
        {
            Assert.IsNotType<double[]>(view);
            Assert.Throws<NotSupportedException>(() => ((IList<double>)view)[0] = 7);
        }

        IReadOnlyList<int>[] indexViews =
        [
            new IoU(3, [0, 2]).TargetClassIds,
            new NeuralNet.Losses.Dice(axis: [1, 2]).Axis!,
            new NeuralNet.Losses.Tversky(axis: [1]).Axis!,
        ];
        foreach (IReadOnlyList<int> view in indexViews)
        {
            Assert.IsNotType<int[]>(view);
            Assert.Throws<NotSupportedException>(() => ((IList<int>)view)[0] = 7);
        }

        // Made once: the same view each time.
        var iou = new IoU(3, [1]);
        Assert.Same(iou.TargetClassIds, iou.TargetClassIds);

        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1], new SensitivityAtSpecificity(0.5, numThresholds: 5).Thresholds);
    }

    private static double[] Results(Metric metric, float[] predictions, float[] targets, int rows = 2)
    {
        metric.Update(Tensor.FromArray(predictions, rows, predictions.Length / rows), Tensor.FromArray(targets, rows, targets.Length / rows));
        return metric switch
        {
            ConfusionRateMetric rate => rate.Results(),
            ConfusionCountMetric count => count.Results(),
            _ => [metric.Result()],
        };
    }

    private static double Vector(Metric metric, float[] predictions, float[] targets)
    {
        metric.Update(Tensor.FromArray(predictions, predictions.Length), Tensor.FromArray(targets, targets.Length));
        return metric.Result();
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
