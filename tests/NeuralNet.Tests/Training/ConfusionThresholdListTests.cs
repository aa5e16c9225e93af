using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Training.MetricRuns;

namespace NeuralNet.Tests.Training;

/// <summary>
/// Lists of thresholds and top k for the confusion metrics, against the values of Keras'
/// keras/src/metrics/confusion_metrics_test.py and the docstrings of confusion_metrics.py.
/// </summary>
public class ConfusionThresholdListTests
{
    // test_*_with_thresholds of the count tests: 4 samples of 4, thresholds 0.15, 0.5 and 0.85.
    private static readonly float[] ScoresPredicted = [0.9f, 0.2f, 0.8f, 0.1f, 0.2f, 0.9f, 0.7f, 0.6f, 0.1f, 0.2f, 0.4f, 0.3f, 0, 1, 0.7f, 0.3f];
    private static readonly float[] ScoresTrue = [0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
    private static readonly double[] KerasThresholds = [0.15, 0.5, 0.85];

    [Fact]
    public void CountsWithThresholdList_MatchKeras()
    {
        Assert.Equal([6.0, 3, 1], Results(new TruePositives(KerasThresholds), ScoresPredicted, ScoresTrue, 4));
        Assert.Equal([7.0, 4, 2], Results(new FalsePositives(KerasThresholds), ScoresPredicted, ScoresTrue, 4));
        Assert.Equal([2.0, 5, 7], Results(new TrueNegatives(KerasThresholds), ScoresPredicted, ScoresTrue, 4));
        Assert.Equal([1.0, 4, 6], Results(new FalseNegatives(KerasThresholds), ScoresPredicted, ScoresTrue, 4));

        // test_weighted_with_thresholds: sample_weight 37 gives [222, 111, 37]; FalseNegatives weighted 3, 5, 7, 4 gives [4, 16, 23].
        Assert.Equal([222.0, 111, 37], Results(new TruePositives(KerasThresholds), ScoresPredicted, ScoresTrue, 4, [37, 37, 37, 37]));
        Assert.Equal([4.0, 16, 23], Results(new FalseNegatives(KerasThresholds), ScoresPredicted, ScoresTrue, 4, [3, 5, 7, 4]));
    }

    [Fact]
    public void PrecisionAndRecallWithThresholdList_MatchKeras()
    {
        // test_unweighted_with_threshold: [0.5, 0.0] for both.
        Assert.Equal([0.5, 0.0], Results(new Precision([0.5, 0.7]), [1, 0, 0.6f, 0], [0, 1, 1, 0], 4));
        Assert.Equal([0.5, 0.0], Results(new Recall([0.5, 0.7]), [1, 0, 0.6f, 0], [0, 1, 1, 0], 4));

        // test_weighted_with_threshold and test_multiple_updates, with thresholds [0.5, 1.0]: [3 / 7, 0]. Keras weighs each
        // element of a (2, 2) batch; without top k or a class id the counts are over the flattened elements, so the same
        // values as 4 samples, each with its element's weight.
        float[] p = [1, 0, 0.6f, 0], t = [0, 1, 1, 0];
        AssertClose([3.0 / 7, 0], Results(new Precision([0.5, 1.0]), p, t, 4, [4, 0, 3, 1]));
        AssertClose([3.0 / 7, 0], Results(new Recall([0.5, 1.0]), p, t, 4, [1, 4, 3, 2]));
        var twice = new Precision([0.5, 1.0]);
        Results(twice, p, t, 4, [4, 0, 3, 1]);
        AssertClose([3.0 / 7, 0], Results(twice, p, t, 4, [4, 0, 3, 1]));
    }

    [Fact]
    public void TopK_MatchesKeras()
    {
        // test_unweighted_top_k (a vector: top k over the whole vector): 1/3 and 0.5.
        Assert.Equal(1.0 / 3, Vector(new Precision(topK: 3), [0.2f, 0.1f, 0.5f, 0, 0.2f], [0, 1, 1, 0, 0]), 12);
        Assert.Equal(0.5, Vector(new Recall(topK: 3), [0.2f, 0.1f, 0.5f, 0, 0.2f], [0, 1, 1, 0, 0]), 12);

        // test_weighted_top_k: a (1, 5) row weighted by element [1, 4, 2, 3, 5], then a vector of 5 weighted 3; tp = 13,
        // predicted positives 17, positives 23. A row of one sample weighted by element is the vector of 5 samples here.
        foreach ((ConfusionRateMetric metric, double expected) in new (ConfusionRateMetric, double)[] { (new Precision(topK: 3), 13.0 / 17), (new Recall(topK: 3), 13.0 / 23) })
        {
            Vector(metric, [0.2f, 0.1f, 0.4f, 0, 0.2f], [0, 1, 1, 0, 1], [1, 4, 2, 3, 5]);
            Assert.Equal(expected, Vector(metric, [0.2f, 0.6f, 0.4f, 0.2f, 0.2f], [1, 0, 1, 1, 1], [3, 3, 3, 3, 3]), 12);
        }

        // test_unweighted_top_k_and_threshold: precision 1 (tp 1, fp 0); recall 0.25 (tp 1, fn 3).
        Assert.Equal(1.0, Vector(new Precision(0.7, topK: 2), [0.2f, 0.8f, 0.6f, 0, 0.2f], [0, 1, 1, 0, 1]), 12);
        Assert.Equal(0.25, Vector(new Recall(0.7, topK: 2), [0.2f, 0.8f, 0.6f, 0, 0.2f], [1, 1, 1, 0, 1]), 12);

        // Docstring: Precision(top_k=2) on [1, 1, 1, 1] with targets [0, 0, 1, 1] keeps the first two (ties: lower index), 0.0;
        // top_k=4 keeps all, 0.5.
        Assert.Equal(0.0, Vector(new Precision(topK: 2), [1, 1, 1, 1], [0, 0, 1, 1]));
        Assert.Equal(0.5, Vector(new Precision(topK: 4), [1, 1, 1, 1], [0, 0, 1, 1]));

        // Without a threshold, top k thresholds at Keras' NEG_INF.
        Assert.Equal(-1e10f, (float)new Precision(topK: 1).Threshold);
        Assert.Equal(0.5, new Precision().Threshold);
    }

    [Fact]
    public void TopK_FiltersBeforeTheClassColumn()
    {
        // _filter_top_k runs before the class_id slice: row 0's class 2 (0.4) is not its top 1, so it is predicted negative
        // (a false negative); row 1's (0.7) is, and counts as positive at the NEG_INF threshold. Precision 1/1, recall 1/2.
        float[] p = [0.1f, 0.5f, 0.4f, 0.1f, 0.2f, 0.7f], t = [0, 0, 1, 0, 0, 1];
        Assert.Equal(1.0, Run(new Precision(classId: 2, topK: 1), p, t, 2));
        Assert.Equal(0.5, Run(new Recall(classId: 2, topK: 1), p, t, 2));

        // Without top k, class 2 is positive in both rows at 0.3.
        Assert.Equal(1.0, Run(new Recall(0.3, classId: 2), p, t, 2));
    }

    [Fact]
    public void ThresholdsCompareInFloat32_AsKeras()
    {
        // Keras casts the thresholds to float32: a prediction of 0.3f is not above the threshold 0.3 there, the next float is.
        Assert.Equal(0, Run(new TruePositives(0.3), [0.3f], [1], 1));
        Assert.Equal(1, Run(new TruePositives(0.3), [BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(0.3f) + 1)], [1], 1));
    }

    [Fact]
    public void TopK_MatchesAPlainReference_OnRandomBatches()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            int rows = 1 + (seed % 7), columns = 2 + (seed % 5), k = 1 + (seed % columns);
            int? classId = seed % 3 == 0 ? seed % columns : null;
            double[] thresholds = [0.1, 0.45, 0.8];

            // Rounded scores so that ties happen.
            float[] p = [.. Tensor.RandomUniform(new TensorShape(rows, columns), seed).AsReadOnlySpan().ToArray().Select(v => MathF.Round(v * 8) / 8)];
            float[] t = [.. Tensor.RandomUniform(new TensorShape(rows, columns), seed + 100).AsReadOnlySpan().ToArray().Select(v => v < 0.4f ? 1f : 0f)];
            float[] w = [.. Enumerable.Range(0, rows).Select(i => 0.5f + (i % 3))];
            (double[] tp, double[] fp, double[] fn) = Reference(p, t, w, columns, thresholds, k, classId);
            double[] precision = Results(new Precision(thresholds, classId, k), p, t, rows, w);
            double[] recall = Results(new Recall(thresholds, classId, k), p, t, rows, w);
            for (int i = 0; i < thresholds.Length; i++)
            {
                Assert.Equal(tp[i] + fp[i] == 0 ? 0 : tp[i] / (tp[i] + fp[i]), precision[i], 12);
                Assert.Equal(tp[i] + fn[i] == 0 ? 0 : tp[i] / (tp[i] + fn[i]), recall[i], 12);
            }
        }
    }

    [Fact]
    public void BadSettings_AreNamed_BeforeAnythingChanges()
    {
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => new Precision([-1, 0.5, 2]));
        Assert.Equal("thresholds", range.ParamName);
        Assert.Contains("Precision expects threshold values in [0, 1] but got [-1, 2]", range.Message, StringComparison.Ordinal);
        Assert.Contains("[NaN]", Assert.Throws<ArgumentOutOfRangeException>(() => new FalsePositives([double.NaN])).Message, StringComparison.Ordinal);
        Assert.Equal("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => new Recall(1.5)).ParamName);
        Assert.Contains("at least one threshold", Assert.Throws<ArgumentException>(() => new TrueNegatives([])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new Recall((IReadOnlyList<double>)null!));
        var topK = Assert.Throws<ArgumentOutOfRangeException>(() => new Recall(topK: 0));
        Assert.Equal("topK", topK.ParamName);
        Assert.Contains("Recall expects topK >= 1", topK.Message, StringComparison.Ordinal);

        // top k wider than a row: refused before anything is counted.
        var precision = new Precision(topK: 3);
        precision.Update(Tensor.FromArray([0.9f, 0.1f, 0.2f], 1, 3), Tensor.FromArray([1f, 0, 0], 1, 3));
        var wide = Assert.Throws<ArgumentException>(() => precision.Update(Tensor.FromArray([0.9f, 0.1f], 1, 2), Tensor.FromArray([0f, 1], 1, 2)));
        Assert.Contains("precision: topK 3 is more than the 2 predictions of each row of (1, 2)", wide.Message, StringComparison.Ordinal);
        Assert.Equal(1.0 / 3, precision.Result(), 12);
        Assert.Contains("topK 4 is more than the 3 values of the last axis of the output (None, 3)",
            Assert.Throws<ArgumentException>(() => new Recall(topK: 4).ValidateShapes(new TensorShape(3), new TensorShape(3))).Message, StringComparison.Ordinal);

        // Several thresholds: no single result or threshold.
        var several = new TruePositives([0.2, 0.7]);
        Assert.Contains("read Results()", Assert.Throws<InvalidOperationException>(() => several.Result()).Message, StringComparison.Ordinal);
        Assert.Contains("read Thresholds", Assert.Throws<InvalidOperationException>(() => several.Threshold).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_RefusesSeveralThresholds_WithTheReason()
    {
        var model = new Sequential([new InputLayer(4), new Dense(2, NeuralNet.Activations.ActivationFunction.Sigmoid)], seed: 2);
        var error = Assert.Throws<ArgumentException>(() => model.Compile(new Adam(), new BinaryCrossEntropy(), new Precision([0.3, 0.6])));
        Assert.Contains("The metric precision has 2 thresholds (0.3, 0.6)", error.Message, StringComparison.Ordinal);
        Assert.Contains("one number per metric", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => model.Compile(new Adam(), new BinaryCrossEntropy(), [], [new FalseNegatives([0.3, 0.6])]));

        // One threshold given as a list is one result, and trains.
        model.Compile(new Adam(), new BinaryCrossEntropy(), new Precision([0.4], topK: 1, classId: 1), new TruePositives([0.3]));
        History history = model.Fit(Tensor.RandomNormal(new TensorShape(8, 4), 3), Tensor.FromArray([.. Enumerable.Range(0, 16).Select(i => (float)(i % 3 == 0 ? 1 : 0))], 8, 2), epochs: 1, verbose: 0);
        Assert.Contains("precision", history.Keys);
        Assert.Contains("true_positives", history.Keys);
    }

    [Fact]
    public void Configs_AreKeras_AndRoundTrip()
    {
        // test_config: Precision(thresholds=[0.4, 0.9], top_k=15, class_id=12) and back.
        var read = Assert.IsType<Precision>(Read("""{"class_name": "Precision", "config": {"name": "my_precision", "dtype": "float32", "thresholds": [0.4, 0.9], "top_k": 15, "class_id": 12}}"""));
        Assert.Equal([0.4, 0.9], read.Thresholds);
        Assert.Equal(((int?)15, (int?)12), (read.TopK, read.ClassId));
        var again = Assert.IsType<Precision>(RoundTrip(read));
        Assert.Equal([0.4, 0.9], again.Thresholds);
        Assert.Equal(((int?)15, (int?)12), (again.TopK, again.ClassId));
        Assert.Equal("""{"thresholds":[0.4,0.9],"top_k":15,"class_id":12}""", read.GetConfig().ToJson());

        // Keras writes init_thresholds: null when none was given, the number, or the list, and reads each back the same way.
        Assert.Equal("""{"thresholds":null,"top_k":2,"class_id":null}""", new Recall(topK: 2).GetConfig().ToJson());
        Assert.Equal("""{"thresholds":0.3}""", new FalsePositives(0.3).GetConfig().ToJson());
        var recall = Assert.IsType<Recall>(RoundTrip(new Recall(topK: 2)));
        Assert.Equal((-1e10f, (int?)2), ((float)recall.Threshold, recall.TopK));
        var counts = Assert.IsType<FalsePositives>(Read("""{"class_name": "FalsePositives", "config": {"name": "my_fp", "thresholds": [0.4, 0.9]}}"""));
        Assert.Equal([0.4, 0.9], counts.Thresholds);
        Assert.Equal([0.4, 0.9], Assert.IsType<FalsePositives>(RoundTrip(counts)).Thresholds);
        Assert.Equal("\"precision\"", SerializationRegistry.SerializeMetric(new Precision()).ToJsonString());

        // Files written before: the threshold as a number, top_k absent.
        Assert.Equal(0.5, Assert.IsType<Precision>(Read("""{"class_name": "Precision", "config": {"thresholds": 0.5, "class_id": null}}""")).Threshold);
        Assert.Equal(0.3, Assert.IsType<TruePositives>(Read("""{"class_name": "TruePositives", "config": {"thresholds": 0.3}}""")).Threshold);

        // Bad values in a file name the setting.
        Assert.Contains("[1.5]", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "Recall", "config": {"thresholds": [0.5, 1.5]}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("topK", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "Recall", "config": {"top_k": 0}}""")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StreamsOverBatches_AndAllocatesNothing()
    {
        Tensor p = Tensor.RandomUniform(new TensorShape(60, 4), 11);
        Tensor t = Tensor.FromArray([.. Enumerable.Range(0, 240).Select(i => (float)(i * 7 % 5 < 2 ? 1 : 0))], 60, 4);
        float[] weights = [.. Enumerable.Range(0, 60).Select(i => 0.5f + (i % 3))];
        foreach (Func<Metric> make in new Func<Metric>[] { () => new Precision([0.2, 0.6], classId: 1, topK: 2), () => new Recall(topK: 3), () => new TruePositives([0.3, 0.7]), () => new FalseNegatives([0.5]) })
        {
            Metric whole = make(), streamed = make();
            whole.Update(p, t, weights);
            streamed.Update(p.FirstRows(25), t.FirstRows(25), weights.AsSpan(0, 25));
            (Tensor p1, Tensor t1, Tensor p2, Tensor t2) = (p.FirstRows(25), t.FirstRows(25), p.Slice(25, 35), t.Slice(25, 35));
            AllocationCheck.AssertNone(() =>
            {
                streamed.Reset();
                streamed.Update(p1, t1, weights.AsSpan(0, 25));
                streamed.Update(p2, t2, weights.AsSpan(25, 35));
            });
            double[] expected = AllResults(whole), actual = AllResults(streamed);
            Assert.Equal(expected, actual);
            Assert.True(expected.Any(v => v > 0), whole.Name);
        }
    }

    // Keras' update_confusion_matrix_variables written out: the top k of each row (ties: lower index) keep their values,
    // the rest become NEG_INF, the class column is taken, then each value is compared with each float32 threshold.
    private static (double[] Tp, double[] Fp, double[] Fn) Reference(float[] p, float[] t, float[] w, int columns, double[] thresholds, int k, int? classId)
    {
        double[] tp = new double[thresholds.Length], fp = new double[thresholds.Length], fn = new double[thresholds.Length];
        for (int r = 0; r < p.Length / columns; r++)
        {
            int[] order = [.. Enumerable.Range(0, columns).OrderByDescending(j => p[(r * columns) + j]).ThenBy(j => j)];
            for (int j = 0; j < columns; j++)
            {
                if (classId is int id && j != id)
                {
                    continue;
                }

                float value = Array.IndexOf(order, j) < k ? p[(r * columns) + j] : -1e10f;
                bool actual = t[(r * columns) + j] != 0;
                for (int i = 0; i < thresholds.Length; i++)
                {
                    bool predicted = value > (float)thresholds[i];
                    if (predicted && actual)
                    {
                        tp[i] += w[r];
                    }
                    else if (predicted)
                    {
                        fp[i] += w[r];
                    }
                    else if (actual)
                    {
                        fn[i] += w[r];
                    }
                }
            }
        }

        return (tp, fp, fn);
    }

    private static double[] AllResults(Metric metric) => metric switch
    {
        ConfusionRateMetric rate => rate.Results(),
        ConfusionCountMetric count => count.Results(),
        _ => [metric.Result()],
    };

    private static Metric RoundTrip(Metric metric) => Read(SerializationRegistry.SerializeMetric(metric).ToJsonString());

    private static double[] Results(Metric metric, float[] predictions, float[] targets, int rows, float[]? weights = null)
    {
        metric.Update(Tensor.FromArray(predictions, rows, predictions.Length / rows), Tensor.FromArray(targets, rows, targets.Length / rows), weights ?? []);
        return AllResults(metric);
    }

    // One vector of predictions (rank 1), as Keras' tests pass them: top k runs over the whole vector.
    private static double Vector(Metric metric, float[] predictions, float[] targets, float[]? weights = null)
    {
        metric.Update(Tensor.FromArray(predictions, predictions.Length), Tensor.FromArray(targets, targets.Length), weights ?? []);
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
