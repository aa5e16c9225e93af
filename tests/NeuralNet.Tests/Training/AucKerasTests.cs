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
/// <see cref="Auc"/>'s summation methods, given thresholds, multi-label counts, label weights and logits, against Keras'
/// keras/src/metrics/confusion_metrics_test.py (AUCTest, MultiAUCTest). Where Keras' test rounds (0.7855, 1e-3) the
/// expected value is computed here exactly from the counts its comments list, with Keras' formula.
/// </summary>
public class AucKerasTests
{
    // AUCTest.setUp: 4 samples, 3 thresholds [-1e-7, 0.5, 1 + 1e-7]; weighted counts tp [7, 4, 0], fp [3, 0, 0], fn [0, 3, 7], tn [0, 3, 3].
    private static readonly float[] Predicted = [0, 0.5f, 0.3f, 0.9f];
    private static readonly float[] Actual = [0, 0, 1, 1];
    private static readonly float[] SampleWeights = [1, 2, 3, 4];

    // MultiAUCTest.setUp: (4, 2) predictions, columns [0, 0.5, 0.3, 0.9] and [0.1, 0.2, 0.3, 0.4]; 5 thresholds.
    private static readonly float[] MultiPredicted = [0, 0.1f, 0.5f, 0.2f, 0.3f, 0.3f, 0.9f, 0.4f];
    private static readonly float[] MultiGood = [0, 0, 0, 0, 1, 1, 1, 1];
    private static readonly float[] MultiBad = [0, 1, 0, 1, 1, 0, 1, 0];

    [Fact]
    public void SummationMethods_MatchKerasAucTest()
    {
        // test_unweighted, test_weighted_roc_interpolation: recall [1, 4/7, 0], fp rate [1, 0, 0] -> (1 + 4/7) / 2.
        Assert.Equal(0.75, Vector(new Auc(3), Predicted, Actual), 12);
        Assert.Equal((1 + (4.0 / 7)) / 2, Vector(new Auc(3), Predicted, Actual, SampleWeights), 12);

        // test_weighted_roc_majoring / minoring: heights max / min of (1, 4/7) over a width of 1.
        Assert.Equal(1.0, Vector(new Auc(3, summationMethod: AucSummationMethod.Majoring), Predicted, Actual, SampleWeights), 12);
        Assert.Equal(4.0 / 7, Vector(new Auc(3, summationMethod: AucSummationMethod.Minoring), Predicted, Actual, SampleWeights), 12);

        // test_weighted_pr_majoring / minoring: precision [0.7, 1, 0], recall [1, 4/7, 0]; widths 3/7 and 4/7.
        Assert.Equal(1.0, Vector(new Auc(3, AucCurve.PR, AucSummationMethod.Majoring), Predicted, Actual, SampleWeights), 12);
        Assert.Equal(0.7 * 3 / 7, Vector(new Auc(3, AucCurve.PR, AucSummationMethod.Minoring), Predicted, Actual, SampleWeights), 12);

        // test_weighted_pr_interpolation: slope [0.5, 1], intercept [2, 0], P ratio [2.5, 1], positives 7.
        Assert.Equal((0.5 * (3 + (2 * Math.Log(2.5))) / 7) + (4.0 / 7), Vector(new Auc(3, AucCurve.PR), Predicted, Actual, SampleWeights), 12);
        Assert.Equal((2.416 / 7) + (4.0 / 7), Vector(new Auc(3, AucCurve.PR), Predicted, Actual, SampleWeights), 3); // Keras' rounded value

        // test_weighted_pr_interpolation_negative_weights: max(tp + fn, 0) is 0, so divide_no_nan gives 0.
        Assert.Equal(0.0, Vector(new Auc(3, AucCurve.PR), Predicted, Actual, [-1, -2, -3, -4]));

        // test_unweighted_all_correct.
        Assert.Equal(1.0, Vector(new Auc(), Actual, Actual), 12);
    }

    [Fact]
    public void FromLogitsAndGivenThresholds_MatchKerasAucTest()
    {
        // test_unweighted_from_logits: logits -log(1 / (p + 1e-12) - 1), through a sigmoid first.
        Assert.Equal(0.75, Vector(new Auc(3, fromLogits: true), Logits(Predicted), Actual), 6);

        // test_manual_thresholds: thresholds [0.5] replace num_thresholds=2; the ends -1e-7 and 1 + 1e-7 are added.
        var manual = new Auc(numThresholds: 2, thresholds: [0.5]);
        Assert.Equal(3, manual.NumThresholds);
        Assert.Equal([-1e-7, 0.5, 1 + 1e-7], manual.Thresholds);
        Assert.Equal(0.75, Vector(manual, Predicted, Actual), 12);

        // Given unsorted, they are sorted as Keras sorts them.
        Assert.Equal([0.3, 0.5], new Auc(thresholds: [0.5, 0.3]).GivenThresholds);

        // test_extra_dims: (2, 2, 3) predictions expit(-x), every element one prediction: 0.5.
        float[] x = [-10, 10, -10, 10, -10, 10, -12, 12, -12, 12, -12, 12];
        float[] labels = [1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1];
        var auc = new Auc();
        auc.Update(Tensor.FromArray([.. x.Select(v => (float)(1 / (1 + Math.Exp(v))))], 2, 2, 3), Tensor.FromArray(labels, 2, 2, 3));
        Assert.Equal(0.5, auc.Result(), 6);
    }

    [Fact]
    public void MultiLabel_MatchesKerasMultiAucTest()
    {
        // test_unweighted: per label [0.875, 1]; test_unweighted_from_logits the same.
        Assert.Equal((0.875 + 1) / 2, Run(new Auc(5, multiLabel: true), MultiPredicted, MultiGood, 4), 12);
        Assert.Equal((0.875 + 1) / 2, Run(new Auc(5, multiLabel: true, fromLogits: true), Logits(MultiPredicted), MultiGood, 4), 6);

        // test_label_weights: (0.875 * 0.75 + 1 * 0.25) / (0.75 + 0.25).
        Assert.Equal((0.875 * 0.75) + 0.25, Run(new Auc(5, multiLabel: true, labelWeights: [0.75, 0.25]), MultiPredicted, MultiGood, 4), 12);

        // test_manual_thresholds with multi_label: per label [0.75, 0.5].
        Assert.Equal((0.75 + 0.5) / 2, Run(new Auc(2, thresholds: [0.5], multiLabel: true), MultiPredicted, MultiGood, 4), 12);

        // test_weighted_roc_interpolation (Keras checks it to 1e-1): from its counts, label 0 has tpr [1, 1, 4/7, 4/7, 0] and
        // fpr [1, 2/3, 0, 0, 0], area 1/3 + (2/3)(1 + 4/7)/2 = 6/7; label 1 has area 1.
        double weighted = Run(new Auc(5, multiLabel: true), MultiPredicted, MultiGood, 4, SampleWeights);
        Assert.Equal(((6.0 / 7) + 1) / 2, weighted, 12);
        Assert.Equal(1.0 - (0.5 * 0.43 * 0.67), weighted, 0.1);

        // test_pr_interpolation_unweighted: Keras' interpolate_pr_auc by hand. Good labels: label 0 has tp [2, 2, 1, 1, 0],
        // P [4, 3, 1, 1, 0], positives 2: 0.5 (1 + 0.5 ln 3) / 2 + 1 / 2; label 1 has 1. Then the bad labels accumulate on
        // the same metric (Keras calls it twice): label 0 is unchanged, label 1 becomes 0.25 + 0.25.
        var pr = new Auc(5, AucCurve.PR, multiLabel: true);
        double label0 = (0.25 * (1 + (0.5 * Math.Log(3)))) + 0.5;
        double good = Run(pr, MultiPredicted, MultiGood, 4);
        Assert.Equal((label0 + 1) / 2, good, 12);
        Assert.Equal((0.91667 + 1) / 2, good, 0.1);
        double bad = Run(pr, MultiPredicted, MultiBad, 4);
        Assert.Equal((label0 + 0.5) / 2, bad, 12);
        Assert.Equal((0.91667 + 0.5) / 2, bad, 0.1);

        // test_unweighted_all_correct, test_reset_state.
        Assert.Equal(1.0, Run(new Auc(multiLabel: true), MultiGood, MultiGood, 4), 12);
        pr.Reset();
        Assert.Equal(0.0, pr.Result());
    }

    [Fact]
    public void FlattenedLabels_MatchKerasMultiAucTest()
    {
        // test_unweighted_flat, test_unweighted_flat_from_logits: tpr [1, 1, 0.25, 0.25, 0], fpr [1, 0.25, 0, 0, 0].
        Assert.Equal(1 - (3.0 / 32), Run(new Auc(5), MultiPredicted, MultiGood, 4), 12);
        Assert.Equal(1 - (3.0 / 32), Run(new Auc(5, fromLogits: true), Logits(MultiPredicted), MultiGood, 4), 6);

        // test_sample_weight_flat: tpr [1, 1, 2/7, 2/7, 0], fpr [1, 1/3, 0, 0, 0] -> 1 - (1/3)(1 - 2/7)/2.
        Assert.Equal(1 - ((1.0 / 3) * (1 - (2.0 / 7)) / 2), Run(new Auc(5), MultiPredicted, MultiGood, 4, SampleWeights), 12);

        // test_label_weights_flat: each element weighted by its column's weight; tpr [1, 1, 0.375, 0.375, 0], fpr [1, 0.375, 0, 0, 0].
        Assert.Equal(1 - ((1 - 0.375) * 0.375 / 2), Run(new Auc(5, labelWeights: [0.75, 0.25]), MultiPredicted, MultiGood, 4), 12);
    }

    [Fact]
    public void MultiLabel_IsTheMeanOfOneAucPerColumn_OnRandomBatches()
    {
        for (int seed = 0; seed < 10; seed++)
        {
            int rows = 20 + seed, labels = 1 + (seed % 4);
            float[] p = Tensor.RandomUniform(new TensorShape(rows, labels), seed).ToArray();
            float[] t = [.. Tensor.RandomUniform(new TensorShape(rows, labels), seed + 50).ToArray().Select(v => v < 0.4f ? 1f : 0f)];
            float[] w = [.. Enumerable.Range(0, rows).Select(i => 0.5f + (i % 3))];
            double[] labelWeights = [.. Enumerable.Range(0, labels).Select(j => 1.0 + j)];
            foreach (AucCurve curve in new[] { AucCurve.Roc, AucCurve.PR })
            {
                foreach (AucSummationMethod method in Enum.GetValues<AucSummationMethod>())
                {
                    double[] perColumn = [.. Enumerable.Range(0, labels).Select(j => Run(new Auc(17, curve, method), Column(p, labels, j), Column(t, labels, j), rows, w))];
                    Assert.Equal(perColumn.Average(), Run(new Auc(17, curve, method, multiLabel: true), p, t, rows, w), 12);
                    Assert.Equal(perColumn.Select((a, j) => a * labelWeights[j]).Sum() / labelWeights.Sum(),
                        Run(new Auc(17, curve, method, multiLabel: true, numLabels: labels, labelWeights: labelWeights), p, t, rows, w), 12);
                }

                // Minoring and majoring bound the interpolated ROC area (for PR the interpolation is another curve).
                double lower = Run(new Auc(17, curve, AucSummationMethod.Minoring), p, t, rows, w);
                double upper = Run(new Auc(17, curve, AucSummationMethod.Majoring), p, t, rows, w);
                Assert.True(lower <= upper, $"seed {seed}: minoring {lower} > majoring {upper}");
                if (curve == AucCurve.Roc)
                {
                    Assert.InRange(Run(new Auc(17, curve), p, t, rows, w), lower, upper);
                }
            }
        }
    }

    [Fact]
    public void Configs_AreKeras_AndRoundTrip()
    {
        // test_config: num_thresholds 100, PR, majoring, multi_label with 2 labels, from_logits; no "thresholds" key.
        var auc = new Auc(100, AucCurve.PR, AucSummationMethod.Majoring, multiLabel: true, numLabels: 2, fromLogits: true) { Name = "auc_1" };
        Assert.Equal("""{"num_thresholds":100,"curve":"PR","summation_method":"majoring","multi_label":true,"num_labels":2,"label_weights":null,"from_logits":true}""", auc.GetConfig().ToJson());
        var again = Assert.IsType<Auc>(Read(SerializationRegistry.SerializeMetric(auc).ToJsonString()));
        Assert.Equal(auc.GetConfig().ToJson(), again.GetConfig().ToJson());
        Assert.Equal("auc_1", again.Name);
        Assert.Equal(auc.Thresholds, again.Thresholds);

        // test_config_manual_thresholds: num_thresholds 4 and the thresholds without their ends.
        var manual = new Auc(curve: AucCurve.PR, summationMethod: AucSummationMethod.Majoring, thresholds: [0.3, 0.5]);
        Assert.Equal("""{"num_thresholds":4,"curve":"PR","summation_method":"majoring","multi_label":false,"num_labels":null,"label_weights":null,"from_logits":false,"thresholds":[0.3,0.5]}""", manual.GetConfig().ToJson());
        Assert.Equal(manual.Thresholds, Assert.IsType<Auc>(Read(SerializationRegistry.SerializeMetric(manual).ToJsonString())).Thresholds);
        Assert.Equal("\"auc\"", SerializationRegistry.SerializeMetric(new Auc()).ToJsonString());

        // As Keras writes them: label_weights as its __tensor__ object, lower-case curve, capitalised summation method.
        var read = Assert.IsType<Auc>(Read("""
            {"class_name": "AUC", "config": {"name": "auc", "dtype": "float32", "num_thresholds": 5, "curve": "roc", "summation_method": "Minoring",
             "multi_label": true, "num_labels": null, "from_logits": false,
             "label_weights": {"class_name": "__tensor__", "config": {"value": [0.75, 0.25], "dtype": "float32"}}}}
            """));
        Assert.Equal((AucCurve.Roc, AucSummationMethod.Minoring, true), (read.Curve, read.SummationMethod, read.MultiLabel));
        Assert.Equal([0.75, 0.25], read.LabelWeights);
        Assert.Equal([0.3, 0.5], Assert.IsType<Auc>(Read("""{"class_name": "AUC", "config": {"num_thresholds": 4, "thresholds": [0.5, 0.3]}}""")).GivenThresholds);

        // test_invalid_curve, test_invalid_summation_method, and bad values in a file name the setting.
        Assert.Contains("\"curve\" is \"Invalid\"", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "AUC", "config": {"curve": "Invalid"}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("\"summation_method\" is \"Invalid\"", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "AUC", "config": {"summation_method": "Invalid"}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("[1.5]", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "AUC", "config": {"thresholds": [0.5, 1.5]}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("numLabels", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "AUC", "config": {"multi_label": true, "num_labels": 3, "label_weights": [1, 2]}}""")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadSettings_AreNamed_BeforeAnythingChanges()
    {
        var range = Assert.Throws<ArgumentOutOfRangeException>(() => new Auc(thresholds: [-0.5, 0.5, 2]));
        Assert.Equal("thresholds", range.ParamName);
        Assert.Contains("Auc expects threshold values in [0, 1] but got [-0.5, 2]", range.Message, StringComparison.Ordinal);
        var count = Assert.Throws<ArgumentException>(() => new Auc(multiLabel: true, numLabels: 3, labelWeights: [1, 2]));
        Assert.Contains("numLabels is 3 but 2 weights were given", count.Message, StringComparison.Ordinal);
        Assert.Contains("only with multiLabel", Assert.Throws<ArgumentException>(() => new Auc(numLabels: 2)).Message, StringComparison.Ordinal);
        Assert.Contains("[-1]", Assert.Throws<ArgumentOutOfRangeException>(() => new Auc(labelWeights: [1, -1])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Auc(labelWeights: []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Auc(multiLabel: true, numLabels: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Auc(curve: (AucCurve)7));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Auc(summationMethod: (AucSummationMethod)7));
        Assert.Equal(3, new Auc(numThresholds: 1, thresholds: [0.5]).NumThresholds); // Keras ignores num_thresholds then

        // Multi-label predictions must be (batch, labels): checked before anything is counted.
        var multi = new Auc(5, multiLabel: true, labelWeights: [0.75, 0.25]);
        Assert.Contains("must be (batch, labels)", Assert.Throws<ArgumentException>(() => multi.Update(Tensor.FromArray([0.1f, 0.9f], 2), Tensor.FromArray([0f, 1], 2))).Message, StringComparison.Ordinal);
        var three = Assert.Throws<ArgumentException>(() => multi.Update(Tensor.FromArray([0.1f, 0.9f, 0.5f], 1, 3), Tensor.FromArray([0f, 1, 1], 1, 3)));
        Assert.Contains("the predictions have 3 labels (columns) but 2 labelWeights were given", three.Message, StringComparison.Ordinal);
        double expected = (0.875 * 0.75) + 0.25;
        Assert.Equal(expected, Run(multi, MultiPredicted, MultiGood, 4), 12);
        var other = Assert.Throws<ArgumentException>(() => multi.Update(Tensor.FromArray([0.1f, 0.9f, 0.5f], 1, 3), Tensor.FromArray([0f, 1, 1], 1, 3)));
        Assert.Contains("must be (batch, 2)", other.Message, StringComparison.Ordinal);
        Assert.Equal(expected, multi.Result(), 12);
        Assert.Contains("one ROC curve per label", Assert.Throws<InvalidOperationException>(() => multi.RocCurve()).Message, StringComparison.Ordinal);

        // Flattened label weights weigh the last axis, so it must have one column per weight.
        var flat = Assert.Throws<ArgumentException>(() => new Auc(labelWeights: [1, 2]).Update(Tensor.FromArray([0.1f, 0.9f, 0.5f], 1, 3), Tensor.FromArray([0f, 1, 1], 1, 3)));
        Assert.Contains("2 labelWeights weigh the columns of the last axis, but the predictions are (1, 3)", flat.Message, StringComparison.Ordinal);

        // Before training: the output shape.
        Assert.Contains("with 2 labels, but it is (None, 3)",
            Assert.Throws<ArgumentException>(() => new Auc(multiLabel: true, numLabels: 2).ValidateShapes(new TensorShape(3), new TensorShape(3))).Message, StringComparison.Ordinal);
        Assert.Contains("(None, labels), but it is (None, 2, 3)",
            Assert.Throws<ArgumentException>(() => new Auc(multiLabel: true).ValidateShapes(new TensorShape(2, 3), new TensorShape(2, 3))).Message, StringComparison.Ordinal);
        Assert.Contains("2 labelWeights need an output (None, ..., 2) whose last axis has a column per weight",
            Assert.Throws<ArgumentException>(() => new Auc(labelWeights: [1, 2]).ValidateShapes(new TensorShape(3), new TensorShape(3))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OneLabelWeight_IsBroadcastOverTheLabels_AsKerasDoes()
    {
        // Keras keeps label_weights as given and broadcasts it: AUC.result's multi-label branch is
        // divide_no_nan(sum(by_label_auc * label_weights), sum(label_weights)), so one weight w > 0 gives the SUM of the
        // label areas (w cancels once), here 0.875 + 1 (MultiAUCTest's per-label areas, test_label_weights), and w = 0 gives 0.
        Assert.Equal(0.875 + 1, Run(new Auc(5, multiLabel: true, labelWeights: [0.5]), MultiPredicted, MultiGood, 4), 12);
        Assert.Equal(0.875 + 1, Run(new Auc(5, multiLabel: true, numLabels: 2, labelWeights: [3]), MultiPredicted, MultiGood, 4), 12);
        Assert.Equal(0.0, Run(new Auc(5, multiLabel: true, labelWeights: [0]), MultiPredicted, MultiGood, 4));

        // Flattened (update_confusion_matrix_variables broadcasts (1, 1) against the predictions): every count is scaled
        // alike, so the rates and the area are test_unweighted_flat's, 1 - 3/32.
        var flat = new Auc(5, labelWeights: [0.5]);
        flat.ValidateShapes(new TensorShape(2), new TensorShape(2));
        Assert.Equal(1 - (3.0 / 32), Run(flat, MultiPredicted, MultiGood, 4), 12);

        // A vector of predictions cannot take Keras' (1, 1) weight: refused as before, naming the shape.
        Assert.Contains("but the predictions are (4,)", Assert.Throws<ArgumentException>(() =>
            new Auc(5, labelWeights: [0.5]).Update(Tensor.FromArray(Predicted, 4), Tensor.FromArray(Actual, 4))).Message, StringComparison.Ordinal);

        // The config keeps the one weight, and reading it back gives the same metric.
        var read = Assert.IsType<Auc>(Read(SerializationRegistry.SerializeMetric(new Auc(5, multiLabel: true, labelWeights: [0.5])).ToJsonString()));
        Assert.Equal([0.5], read.LabelWeights!);
        Assert.Equal(0.875 + 1, Run(read, MultiPredicted, MultiGood, 4), 12);
    }

    [Fact]
    public void StreamsOverBatches_AndAllocatesNothing()
    {
        // Normal predictions: about half below 0 and a sixth above 1, which Keras clips on its evenly spaced path.
        Tensor p = Tensor.RandomNormal(new TensorShape(60, 3), 11);
        Tensor t = Tensor.FromArray([.. Enumerable.Range(0, 180).Select(i => (float)(i * 7 % 5 < 2 ? 1 : 0))], 60, 3);
        float[] weights = [.. Enumerable.Range(0, 60).Select(i => 0.5f + (i % 3))];
        foreach ((Func<Auc> make, bool evenlySpaced) in new (Func<Auc>, bool)[]
        {
            (() => new Auc(50, AucCurve.PR, multiLabel: true, labelWeights: [1, 2, 0.5], fromLogits: true), true),
            (() => new Auc(30, AucCurve.Roc, AucSummationMethod.Majoring, thresholds: [0.2, 0.4, 0.6], labelWeights: [1, 0, 3], fromLogits: true), false),
            (() => new Auc(40, AucCurve.PR, AucSummationMethod.Minoring, multiLabel: true, numLabels: 3), true),
            (() => new Auc(25, AucCurve.Roc, AucSummationMethod.Interpolation, multiLabel: true, labelWeights: [2]), true),
            (() => new Auc(35, AucCurve.PR, labelWeights: [3], fromLogits: true), true),
        })
        {
            Auc whole = make(), streamed = make();
            AssertStreamsAsWhole(whole, streamed, p, t, weights, split: 25);
            double expected = KerasAucReference.Result(p.ToArray(), t.ToArray(), 60, weights, [.. whole.Thresholds], evenlySpaced,
                whole.Curve, whole.SummationMethod, whole.MultiLabel, whole.LabelWeights?.ToArray(), whole.FromLogits);
            Assert.Equal(expected, whole.Result(), 12);
        }
    }

    [Fact]
    public void EvenlySpacedThresholds_ClipPredictionsToZeroOne_AsKerasDoes()
    {
        // Keras' AUC with evenly spaced thresholds clips p to [0, 1] (_update_confusion_matrix_variables_optimized):
        // [0, 0.2, 0.7, 1] against [-1e-7, 0.5, 1 + 1e-7] gives recall [1, 1, 0], fp rate [1, 0, 0], so an area of 1.
        // Unclipped, -0.5 would be negative at -1e-7 and 1.5 positive at 1 + 1e-7: fp rate [0.5, 0, 0], recall
        // [1, 1, 0.5], area 0.5.
        float[] predicted = [-0.5f, 0.2f, 0.7f, 1.5f];
        Assert.Equal(1.0, Vector(new Auc(3), predicted, Actual), 12);
        Assert.Equal(1.0, Vector(new Auc(thresholds: [0.5]), predicted, Actual), 12);

        // [0, 0.25, 0.5, 0.75, 1] is even: recall [1, 1, 1, 0.5, 0] (1 is not above 1 + 1e-7), fp rate [1, 0, 0, 0, 0].
        Assert.Equal(1.0, Vector(new Auc(thresholds: [0.75, 0.25, 0.5]), predicted, Actual), 12);

        // Within allclose's tolerance (1e-7 + 1e-5 * 0.5) of even Keras still clips; beyond it, or uneven, it compares
        // the raw values: recall [1, 1, 1, 0.5] and fp rate [0.5, 0, 0, 0] for [0.3, 0.5], area 0.5.
        Assert.Equal(1.0, Vector(new Auc(thresholds: [0.5000001]), predicted, Actual), 12);
        Assert.Equal(0.5, Vector(new Auc(thresholds: [0.50001]), predicted, Actual), 12);
        Assert.Equal(0.5, Vector(new Auc(thresholds: [0.3, 0.5]), predicted, Actual), 12);

        // Multi-label clips each column alike: label 0 as above; label 1, [0.2, 1.5, -0.5, 0.7] against [0, 1, 0, 1], is
        // [0.2, 1, 0, 0.7] clipped, separated at 0.5: area 1 (unclipped fp rate [0.5, 0, 0], recall [1, 1, 0.5]: 0.5).
        float[] twoColumns = [-0.5f, 0.2f, 0.2f, 1.5f, 0.7f, -0.5f, 1.5f, 0.7f];
        float[] twoTargets = [0, 0, 0, 1, 1, 0, 1, 1];
        Assert.Equal(1.0, Run(new Auc(3, multiLabel: true), twoColumns, twoTargets, 4), 12);

        // The threshold metrics keep comparing raw values (Keras' path needs 3 or more evenly spaced thresholds): 1.5 is
        // above the threshold 1, a true positive (clipped to 1 it would not be, and the precision would be 0).
        var precision = new Precision(1.0);
        precision.Update(Tensor.FromArray([1.5f, 0.2f], 2), Tensor.FromArray([1f, 0], 2));
        Assert.Equal(1.0, precision.Result());
    }

    [Fact]
    public void RefusedFirstMultiLabelBatch_LeavesTheLabelCountOpen()
    {
        // Bad sample weights on the first batch of a multi-label Auc without numLabels: refused before the three columns
        // fix the number of labels, so a two-label batch is then counted (the MultiAUCTest values above).
        var auc = new Auc(5, multiLabel: true);
        var refused = Assert.Throws<ArgumentException>(() =>
            auc.Update(Tensor.FromArray([0.1f, 0.9f, 0.5f], 1, 3), Tensor.FromArray([0f, 1, 1], 1, 3), [1f, 2f]));
        Assert.Contains("2 sample weights for a batch of 1", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0.0, auc.Result());
        auc.ValidateShapes(new TensorShape(2), new TensorShape(2));
        Assert.Equal((0.875 + 1) / 2, Run(auc, MultiPredicted, MultiGood, 4), 12);
    }

    [Fact]
    public void TrainsSavesAndLoads_WithEverySetting()
    {
        var model = new Sequential([new InputLayer(4), new Dense(3)], seed: 3);
        var auc = new Auc(20, AucCurve.PR, AucSummationMethod.Minoring, multiLabel: true, labelWeights: [1, 2, 3], fromLogits: true);
        var flat = new Auc(thresholds: [0.25, 0.5, 0.75], labelWeights: [1, 1, 2], fromLogits: true) { Name = "flat_auc" };
        model.Compile(new Adam(), new BinaryCrossEntropy(fromLogits: true), auc, flat);
        Tensor x = Tensor.RandomNormal(new TensorShape(32, 4), 4);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 96).Select(i => (float)(i % 5 < 2 ? 1 : 0))], 32, 3);
        History history = model.Fit(x, y, epochs: 1, verbose: 0);
        Assert.InRange(history["auc"][0], 0, 1);
        Assert.InRange(history["flat_auc"][0], 0, 1);

        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-auc-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(auc.GetConfig().ToJson(), Assert.IsType<Auc>(loaded.Metrics[0]).GetConfig().ToJson());
            Assert.Equal(flat.GetConfig().ToJson(), Assert.IsType<Auc>(loaded.Metrics[1]).GetConfig().ToJson());
            IReadOnlyDictionary<string, double> before = model.Evaluate(x, y, verbose: 0), after = loaded.Evaluate(x, y, verbose: 0);
            Assert.Equal(before["auc"], after["auc"]);
            Assert.Equal(before["flat_auc"], after["flat_auc"]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Keras' y_pred_logits: -log(1 / (p + 1e-12) - 1), in float32.
    private static float[] Logits(float[] probabilities) => [.. probabilities.Select(p => -MathF.Log((1f / (p + 1e-12f)) - 1f))];

    private static float[] Column(float[] values, int columns, int j) => [.. values.Where((_, i) => i % columns == j)];

    // One vector of predictions (rank 1), as Keras' AUCTest passes them.
    private static double Vector(Auc metric, float[] predictions, float[] targets, float[]? weights = null)
    {
        metric.Update(Tensor.FromArray(predictions, predictions.Length), Tensor.FromArray(targets, targets.Length), weights ?? []);
        return metric.Result();
    }
}
