using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Training.MetricRuns;

namespace NeuralNet.Tests.Training;

/// <summary>
/// The confusion-count metrics and the metrics at a fixed sensitivity, specificity, recall or precision, against the
/// values of Keras' keras/src/metrics/confusion_metrics_test.py and the docstrings of confusion_metrics.py.
/// </summary>
public class ConfusionMetricTests
{
    // test_unweighted / test_weighted of the count tests: 4 samples of 5.
    private static readonly float[] GridTrue = [0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1];
    private static readonly float[] GridPredicted = [0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1];
    private static readonly float[] GridWeights = [1.0f, 1.5f, 2.0f, 2.5f];

    // test_*_with_thresholds: 4 samples of 4, thresholds 0.15, 0.5 and 0.85.
    private static readonly float[] ScoresPredicted = [0.9f, 0.2f, 0.8f, 0.1f, 0.2f, 0.9f, 0.7f, 0.6f, 0.1f, 0.2f, 0.4f, 0.3f, 0, 1, 0.7f, 0.3f];
    private static readonly float[] ScoresTrue = [0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1];

    [Fact]
    public void Counts_MatchKeras()
    {
        Assert.Equal(7, Run(new TruePositives(), GridPredicted, GridTrue, 4));
        Assert.Equal(12, Run(new TruePositives(), GridPredicted, GridTrue, 4, GridWeights));
        Assert.Equal(7, Run(new FalsePositives(), GridPredicted, GridTrue, 4));
        Assert.Equal(14, Run(new FalsePositives(), GridPredicted, GridTrue, 4, GridWeights));
        Assert.Equal(3, Run(new TrueNegatives(), GridPredicted, GridTrue, 4));
        Assert.Equal(4, Run(new TrueNegatives(), GridPredicted, GridTrue, 4, GridWeights));
        Assert.Equal(3, Run(new FalseNegatives(), GridPredicted, GridTrue, 4));
        Assert.Equal(5, Run(new FalseNegatives(), GridPredicted, GridTrue, 4, GridWeights));

        // Docstrings: FalsePositives 2 and, weighted [0, 0, 1, 0], 1.
        Assert.Equal(2, Run(new FalsePositives(), [0, 0, 1, 1], [0, 1, 0, 0], 4));
        Assert.Equal(1, Run(new FalsePositives(), [0, 0, 1, 1], [0, 1, 0, 0], 4, [0, 0, 1, 0]));
    }

    [Theory]
    [InlineData(0.15, 6, 7, 2, 1)]
    [InlineData(0.5, 3, 4, 5, 4)]
    [InlineData(0.85, 1, 2, 7, 6)]
    public void Counts_AtKerasThresholds(double threshold, double tp, double fp, double tn, double fn)
    {
        Assert.Equal(tp, Run(new TruePositives(threshold), ScoresPredicted, ScoresTrue, 4));
        Assert.Equal(fp, Run(new FalsePositives(threshold), ScoresPredicted, ScoresTrue, 4));
        Assert.Equal(tn, Run(new TrueNegatives(threshold), ScoresPredicted, ScoresTrue, 4));
        Assert.Equal(fn, Run(new FalseNegatives(threshold), ScoresPredicted, ScoresTrue, 4));

        // test_weighted_with_thresholds: TruePositives with every weight 37 gives [222, 111, 37]; FalseNegatives with
        // sample weights 3, 5, 7, 4 gives [4, 16, 23].
        Assert.Equal(37 * tp, Run(new TruePositives(threshold), ScoresPredicted, ScoresTrue, 4, [37, 37, 37, 37]));
        double weightedFn = threshold switch { 0.15 => 4, 0.5 => 16, _ => 23 };
        Assert.Equal(weightedFn, Run(new FalseNegatives(threshold), ScoresPredicted, ScoresTrue, 4, [3, 5, 7, 4]));
    }

    [Fact]
    public void SensitivityAndSpecificity_MatchKeras()
    {
        float[] p = [0.0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.01f, 0.02f, 0.25f, 0.26f, 0.26f];
        float[] t = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
        float[] w = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Assert.Equal(0.8, Run(new SensitivityAtSpecificity(0.8), [0.0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.1f, 0.45f, 0.5f, 0.8f, 0.9f], t, 10), 6);
        Assert.Equal(0.6, Run(new SensitivityAtSpecificity(0.4), p, t, 10), 6);
        Assert.Equal(0.675, Run(new SensitivityAtSpecificity(0.4), p, t, 10, w), 6);
        Assert.Equal(0.2, Run(new SpecificityAtSensitivity(1.0), p, t, 10), 6);
        Assert.Equal(0.6, Run(new SpecificityAtSensitivity(0.4), p, t, 10), 6);
        Assert.Equal(0.4, Run(new SpecificityAtSensitivity(0.4), p, t, 10, w), 6);

        // Docstrings: 0.5 and, weighted [1, 1, 2, 2, 1], 1/3; 2/3 and, weighted [1, 1, 2, 2, 2], 0.5.
        float[] dp = [0, 0.3f, 0.8f, 0.3f, 0.8f], dt = [0, 0, 0, 1, 1];
        Assert.Equal(0.5, Run(new SensitivityAtSpecificity(0.5), dp, dt, 5), 6);
        Assert.Equal(1.0 / 3, Run(new SensitivityAtSpecificity(0.5), dp, dt, 5, [1, 1, 2, 2, 1]), 6);
        Assert.Equal(2.0 / 3, Run(new SpecificityAtSensitivity(0.5), dp, dt, 5), 6);
        Assert.Equal(0.5, Run(new SpecificityAtSensitivity(0.5), dp, dt, 5, [1, 1, 2, 2, 2]), 6);

        // test_unweighted_class_id: the scores repeated in 3 columns, one-hot labels 0 or 2; only column 2 counts.
        float[] scores = [.. p.SelectMany(v => new[] { v, v, v })];
        float[] oneHot = [.. t.SelectMany(v => v == 1 ? new float[] { 0, 0, 1 } : [1, 0, 0])];
        Assert.Equal(0.6, Run(new SpecificityAtSensitivity(0.4, classId: 2), scores, oneHot, 10), 6);
    }

    [Fact]
    public void PrecisionAndRecallAtEachOther_MatchKeras()
    {
        float[] p = [0.0f, 0.1f, 0.2f, 0.5f, 0.6f, 0.2f, 0.5f, 0.6f, 0.8f, 0.9f], t = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
        Assert.Equal(2.0 / 3, Run(new PrecisionAtRecall(0.8), p, t, 10), 6);
        Assert.Equal(0.75, Run(new PrecisionAtRecall(0.6), p, t, 10), 6);
        Assert.Equal(0.7, Run(new PrecisionAtRecall(7.0 / 8), p, t, 10, [2, 1, 2, 1, 2, 1, 2, 2, 1, 2]), 6);
        float[] scores = [.. p.SelectMany(v => new[] { v, v, v })];
        float[] oneHot = [.. t.SelectMany(v => v == 1 ? new float[] { 0, 0, 1 } : [1, 0, 0])];
        Assert.Equal(0.75, Run(new PrecisionAtRecall(0.6, classId: 2), scores, oneHot, 10), 6);

        float[] rp = [0.05f, 0.1f, 0.2f, 0.3f, 0.3f, 0.35f, 0.4f, 0.45f, 0.5f, 0.6f, 0.9f, 0.95f], rt = [0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 0, 1];
        Assert.Equal(0.5, Run(new RecallAtPrecision(0.75), rp, rt, 12), 6);
        Assert.Equal(5.0 / 6, Run(new RecallAtPrecision(2.0 / 3), rp, rt, 12), 6);
        Assert.Equal(0.6, Run(new RecallAtPrecision(0.75), [0.1f, 0.2f, 0.3f, 0.5f, 0.6f, 0.9f, 0.9f], [0, 1, 0, 0, 0, 1, 1], 7, [1, 2, 1, 2, 1, 2, 1]), 6);
        Assert.Equal(0.0, Run(new RecallAtPrecision(2.0 / 3), [0.1f, 0.2f, 0.3f, 0.9f], [1, 1, 0, 0], 4), 6);

        // test_unweighted_all_correct: predictions equal to the 0/1 targets give 1.
        float[] labels = [.. Enumerable.Range(0, 100).Select(i => (float)(i * 37 % 7 % 2))];
        Assert.Equal(1.0, Run(new PrecisionAtRecall(0.7), labels, labels, 100), 6);
        Assert.Equal(1.0, Run(new RecallAtPrecision(0.7), labels, labels, 100), 6);
        Assert.Equal(1.0, Run(new SensitivityAtSpecificity(0.7), labels, labels, 100), 6);
        Assert.Equal(1.0, Run(new SpecificityAtSensitivity(0.7), labels, labels, 100), 6);
    }

    [Fact]
    public void Thresholds_AreKeras()
    {
        Assert.Equal([0.0, 0.5, 1.0], new PrecisionAtRecall(0.5, numThresholds: 3).Thresholds);
        Assert.Equal([0.5], new PrecisionAtRecall(0.5, numThresholds: 1).Thresholds);
        Assert.Equal(200, new RecallAtPrecision(0.5).Thresholds.Count);
    }

    [Fact]
    public void StreamsOverBatches_AndAllocatesNothing()
    {
        Tensor p = Tensor.RandomUniform(new TensorShape(60, 3), 5);
        Tensor t = Tensor.FromArray([.. Enumerable.Range(0, 180).Select(i => (float)(i * 7 % 5 < 2 ? 1 : 0))], 60, 3);
        float[] weights = [.. Enumerable.Range(0, 60).Select(i => 0.5f + (i % 3))];
        foreach (Metric metric in new Metric[] { new TruePositives(0.3), new FalseNegatives(), new SensitivityAtSpecificity(0.5), new RecallAtPrecision(0.2, 50, 1) })
        {
            metric.Update(p, t, weights);
            double whole = metric.Result();
            metric.Reset();
            metric.Update(p.FirstRows(25), t.FirstRows(25), weights.AsSpan(0, 25));
            (Tensor p2, Tensor t2) = (p.Slice(25, 35), t.Slice(25, 35));
            AllocationCheck.AssertNone(() =>
            {
                metric.Update(p2, t2, weights.AsSpan(25, 35));
                _ = metric.Result();
            });
            Assert.Equal(whole, metric.Result(), 9);
            Assert.True(whole > 0, metric.Name);
        }
    }

    [Fact]
    public void BadSettings_AreNamed()
    {
        Assert.Equal("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => new TruePositives(1.5)).ParamName);
        var recall = Assert.Throws<ArgumentOutOfRangeException>(() => new PrecisionAtRecall(-1));
        Assert.Equal("recall", recall.ParamName);
        Assert.Contains("PrecisionAtRecall expects recall in [0, 1] but got recall=-1", recall.Message, StringComparison.Ordinal);
        Assert.Equal("specificity", Assert.Throws<ArgumentOutOfRangeException>(() => new SensitivityAtSpecificity(2)).ParamName);
        Assert.Contains("numThresholds > 0", Assert.Throws<ArgumentOutOfRangeException>(() => new RecallAtPrecision(0.4, numThresholds: -1)).Message, StringComparison.Ordinal);
        Assert.Equal("classId", Assert.Throws<ArgumentOutOfRangeException>(() => new SpecificityAtSensitivity(0.4, classId: -2)).ParamName);
        Assert.Contains("classId 3 is not a column of the output (None, 3)",
            Assert.Throws<ArgumentException>(() => new PrecisionAtRecall(0.5, classId: 3).ValidateShapes(new TensorShape(3), new TensorShape(3))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configs_ReadKeras_AndRoundTripThroughSaveAndLoad()
    {
        Assert.Equal(0.5, Assert.IsType<TruePositives>(Read("\"true_positives\"")).Threshold);
        Assert.Equal(0.5, Assert.IsType<FalsePositives>(Read("""{"class_name": "FalsePositives", "config": {"name": "fp", "dtype": "float32", "thresholds": null}}""")).Threshold);
        Assert.Equal(0.4, Assert.IsType<TrueNegatives>(Read("""{"class_name": "TrueNegatives", "config": {"thresholds": [0.4]}}""")).Threshold);
        Assert.Equal(0.3, Assert.IsType<FalseNegatives>(Read("""{"class_name": "FalseNegatives", "config": {"thresholds": 0.3}}""")).Threshold);
        Assert.Equal([0.4, 0.9], Assert.IsType<FalsePositives>(Read("""{"class_name": "FalsePositives", "config": {"thresholds": [0.4, 0.9]}}""")).Thresholds);
        var par = Assert.IsType<PrecisionAtRecall>(Read("""{"class_name": "PrecisionAtRecall", "config": {"name": "precision_at_recall_1", "dtype": "float32", "recall": 0.4, "num_thresholds": 100, "class_id": 12}}"""));
        Assert.Equal((0.4, 100, (int?)12), (par.Recall, par.NumThresholds, par.ClassId));
        Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "RecallAtPrecision", "config": {"num_thresholds": 100}}"""));

        var model = new Sequential([new InputLayer(4), new Dense(2, NeuralNet.Activations.ActivationFunction.Sigmoid)], seed: 2);
        model.Compile(new Adam(), new BinaryCrossEntropy(),
            new TruePositives(), new FalseNegatives(0.3), new SensitivityAtSpecificity(0.6, 50, 1), new SpecificityAtSensitivity(0.7), new PrecisionAtRecall(0.2), new RecallAtPrecision(0.9, 10));
        Tensor x = Tensor.RandomNormal(new TensorShape(24, 4), 3);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 48).Select(i => (float)(i % 3 == 0 ? 1 : 0))], 24, 2);
        History history = model.Fit(x, y, epochs: 1, validationSplit: 0.25, verbose: 0);
        foreach (string key in new[] { "true_positives", "false_negatives", "sensitivity_at_specificity", "specificity_at_sensitivity", "precision_at_recall", "val_recall_at_precision" })
        {
            Assert.Contains(key, history.Keys);
        }

        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-confusionmetrics-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            IReadOnlyList<Metric> loaded = Model.Load(path).Metrics;
            Assert.Equal(0.5, Assert.IsType<TruePositives>(loaded[0]).Threshold);
            Assert.Equal(0.3, Assert.IsType<FalseNegatives>(loaded[1]).Threshold);
            var sas = Assert.IsType<SensitivityAtSpecificity>(loaded[2]);
            Assert.Equal((0.6, 50, (int?)1), (sas.Specificity, sas.NumThresholds, sas.ClassId));
            Assert.Equal(0.7, Assert.IsType<SpecificityAtSensitivity>(loaded[3]).Sensitivity);
            Assert.Equal(0.2, Assert.IsType<PrecisionAtRecall>(loaded[4]).Recall);
            var rap = Assert.IsType<RecallAtPrecision>(loaded[5]);
            Assert.Equal((0.9, 10), (rap.Precision, rap.NumThresholds));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
