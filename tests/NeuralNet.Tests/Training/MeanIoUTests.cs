using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

/// <summary>
/// MeanIoU against Keras' iou_metrics_test.py and docstrings. Keras' sample weights become repeated samples (weights
/// 0.2, 0.3, 0.4, 0.1 as 2, 3, 4 and 1 copies): IoU is a ratio of counts, so scaling every count changes nothing.
/// </summary>
public class MeanIoUTests
{
    [Fact]
    public void Result_KerasUnweightedExamples()
    {
        // cm = [[1, 1], [1, 1]]: (1/3 + 1/3) / 2 (Keras 0.33333334).
        Assert.Equal(1.0 / 3, Run(new MeanIoU(2), [0, 1, 0, 1], [0, 0, 1, 1]), 12);

        // Ignored targets 255 or −1 are left out: cm = [[1, 0, 0], [0, 1, 0], [0, 1, 0]], (1 + 1/2 + 0) / 3.
        Assert.Equal((1 + 0.5 + 0) / 3, Run(new MeanIoU(3, ignoreClass: 255), [0, 1, 1, 1], [0, 1, 2, 255]), 12);
        Assert.Equal((1 + 0.5 + 0) / 3, Run(new MeanIoU(3, ignoreClass: -1), [0, 1, 1, 1], [0, 1, 2, -1]), 12);

        // Nothing counted: 0. Only class 1 present: cm = [[0, 0], [0, 1]], class 0 left out of the mean, 1.
        Assert.Equal(0.0, new MeanIoU(2).Result());
        Assert.Equal(1.0, Run(new MeanIoU(2), [1], [1]), 12);
    }

    [Fact]
    public void Result_KerasWeightedExamples_AsRepeatedSamples()
    {
        // Docstring: weights 0.3, 0.3, 0.3, 0.1 → 0.23809525.
        Assert.Equal(0.23809525, Run(new MeanIoU(2), Repeat([0, 1, 0, 1], [3, 3, 3, 1]), Repeat([0, 0, 1, 1], [3, 3, 3, 1])), 7);

        // test_weighted: (0.2 / (0.6 + 0.5 − 0.2) + 0.1 / (0.4 + 0.5 − 0.1)) / 2.
        double expected = ((0.2 / (0.6 + 0.5 - 0.2)) + (0.1 / (0.4 + 0.5 - 0.1))) / 2;
        Assert.Equal(expected, Run(new MeanIoU(2), Repeat([0, 1, 0, 1], [2, 3, 4, 1]), Repeat([0, 0, 1, 1], [2, 3, 4, 1])), 12);

        // test_weighted_ignore_class_1: (0.2 / (0.6 + 0.5 − 0.2) + 0 / (0.3 + 0.4)) / 2.
        Assert.Equal(0.2 / 0.9 / 2, Run(new MeanIoU(2, ignoreClass: -1), Repeat([0, 1, 0, 1], [2, 3, 4, 1]), Repeat([0, 0, 1, -1], [2, 3, 4, 1])), 12);
    }

    [Fact]
    public void Result_DenseTargetsAndPredictions_KerasOneHotMeanIoUExamples()
    {
        float[] truth = [0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0];
        float[] scores = [0.2f, 0.3f, 0.5f, 0.1f, 0.2f, 0.7f, 0.5f, 0.3f, 0.1f, 0.1f, 0.4f, 0.5f];

        // Labels 2, 0, 1, 0 against arg-maxes 2, 2, 0, 2: cm = [[0, 0, 2], [1, 0, 0], [0, 0, 1]], (0 + 0 + 1/3) / 3.
        var metric = new MeanIoU(3, sparseYTrue: false, sparseYPred: false);
        metric.Update(Tensor.FromArray(scores, 4, 3), Tensor.FromArray(truth, 4, 3));
        Assert.Equal(1.0 / 9, metric.Result(), 12);

        // test_weighted with a fifth row and weights 0.1, 0.2, 0.3, 0.3, 0.1 as 1, 2, 3, 3, 1 copies.
        float[][] truthRows = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0], [1, 0, 0]];
        float[][] scoreRows = [[0.2f, 0.3f, 0.5f], [0.1f, 0.2f, 0.7f], [0.5f, 0.3f, 0.1f], [0.1f, 0.4f, 0.5f], [0.6f, 0.2f, 0.2f]];
        int[] copies = [1, 2, 3, 3, 1];
        float[] t = [.. truthRows.SelectMany((row, i) => Enumerable.Repeat(row, copies[i]).SelectMany(r => r))];
        float[] p = [.. scoreRows.SelectMany((row, i) => Enumerable.Repeat(row, copies[i]).SelectMany(r => r))];
        metric.Reset();
        metric.Update(Tensor.FromArray(p, 10, 3), Tensor.FromArray(t, 10, 3));
        Assert.Equal(((0.1 / (0.4 + 0.6 - 0.1)) + 0 + (0.1 / (0.6 + 0.1 - 0.1))) / 3, metric.Result(), 12);

        // Sparse targets with score predictions, the usual pairing with a softmax output.
        var mixed = new MeanIoU(3, sparseYPred: false);
        mixed.Update(Tensor.FromArray(scores, 4, 3), Tensor.FromArray([2, 0, 1, 0], 4));
        Assert.Equal(1.0 / 9, mixed.Result(), 12);
    }

    [Fact]
    public void Update_SegmentationMaps_FlattenEveryPosition()
    {
        // test_multi_dim_input without weights: (2, 2) maps are the four labels of the first example.
        var metric = new MeanIoU(2);
        metric.Update(Tensor.FromArray([0, 1, 0, 1], 2, 2), Tensor.FromArray([0, 0, 1, 1], 2, 2));
        Assert.Equal(1.0 / 3, metric.Result(), 12);
    }

    [Fact]
    public void Update_SparsePredictions_AreTruncatedAsKerasCasts()
    {
        // Keras casts predictions to integers: 0.7 → 0, 1.9 → 1.
        Assert.Equal(1.0, Run(new MeanIoU(2), [0.7f, 1.9f], [0, 1]), 12);
    }

    [Fact]
    public void Update_StreamsOverBatches_AndAllocatesNothing()
    {
        var metric = new MeanIoU(5, ignoreClass: 4, sparseYPred: false);
        Tensor scores = Tensor.RandomUniform(new TensorShape(64, 5), 1);
        Tensor labels = Tensor.FromArray([.. Enumerable.Range(0, 64).Select(i => (float)(i * 7 % 5))], 64);
        metric.Update(scores, labels);
        double whole = metric.Result();
        metric.Reset();
        (Tensor p1, Tensor t1, Tensor p2, Tensor t2) = (scores.FirstRows(40), labels.FirstRows(40), scores.Slice(40, 24), labels.Slice(40, 24));
        metric.Update(p1, t1);
        AllocationCheck.AssertNone(() =>
        {
            metric.Update(p2, t2);
            _ = metric.Result();
        });
        Assert.Equal(whole, metric.Result(), 12);
        Assert.InRange(whole, 0.01, 1);
    }

    [Fact]
    public void BadInput_IsNamed_AndCountsNothing()
    {
        var classes = Assert.Throws<ArgumentOutOfRangeException>(() => new MeanIoU(1));
        Assert.Equal("numClasses", classes.ParamName);
        Assert.Contains("numClasses >= 2", classes.Message, StringComparison.Ordinal);

        var metric = new MeanIoU(3);
        metric.Update(Tensor.FromArray([0, 1], 2), Tensor.FromArray([0, 1], 2));
        var target = Assert.Throws<ArgumentException>(() => metric.Update(Tensor.FromArray([0, 1, 2], 3), Tensor.FromArray([0, 2, 3], 3)));
        Assert.Equal("targets", target.ParamName);
        Assert.Contains("mean_io_u: target 3 of sample 2 is not a class index in [0, 3)", target.Message, StringComparison.Ordinal);
        Assert.Equal(1.0, metric.Result(), 12);

        Assert.Contains("target 1.5 of sample 0", Assert.Throws<ArgumentException>(() => metric.Update(Tensor.FromArray([0], 1), Tensor.FromArray([1.5f], 1))).Message, StringComparison.Ordinal);
        Assert.Contains("target -1 of sample 1 (position 0) is not a class index in [0, 3) nor the ignored class 255",
            Assert.Throws<ArgumentException>(() => new MeanIoU(3, 255).Update(Tensor.FromArray([0, 0, 0, 0], 2, 2), Tensor.FromArray([0, 255, -1, 0], 2, 2))).Message, StringComparison.Ordinal);
        var prediction = Assert.Throws<ArgumentException>(() => metric.Update(Tensor.FromArray([0, 3.2f], 2), Tensor.FromArray([0, 1], 2)));
        Assert.Equal("predictions", prediction.ParamName);
        Assert.Contains("prediction 3.2 of sample 1 is not a class index in [0, 3). With probabilities or logits, use sparseYPred: false.", prediction.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new MeanIoU(3, sparseYPred: false).Update(Tensor.Zeros(2, 4), Tensor.Zeros(2)));
        Assert.Throws<ArgumentException>(() => metric.Update(Tensor.Zeros(3), Tensor.Zeros(2)));
        Assert.Equal(1.0, metric.Result(), 12);
    }

    [Fact]
    public void ValidateShapes_ChecksLabelCounts_WithHints()
    {
        new MeanIoU(3, sparseYPred: false).ValidateShapes(new TensorShape(3), new TensorShape());
        new MeanIoU(3, sparseYPred: false).ValidateShapes(new TensorShape(3), new TensorShape(1));
        new MeanIoU(3, sparseYTrue: false, sparseYPred: false).ValidateShapes(new TensorShape(8, 8, 3), new TensorShape(8, 8, 3));
        new MeanIoU(3).ValidateShapes(new TensorShape(8, 8), new TensorShape(8, 8, 1));

        var scores = Assert.Throws<ArgumentException>(() => new MeanIoU(3).ValidateShapes(new TensorShape(3), new TensorShape()));
        Assert.Contains("mean_io_u: output (None, 3) gives 3 labels per sample but targets (None) give 1. The outputs look like class scores: use sparseYPred: false.", scores.Message, StringComparison.Ordinal);
        var oneHot = Assert.Throws<ArgumentException>(() => new MeanIoU(3, sparseYPred: false).ValidateShapes(new TensorShape(3), new TensorShape(3)));
        Assert.Contains("use sparseYTrue: false", oneHot.Message, StringComparison.Ordinal);
        Assert.Contains("must end with 3 values", Assert.Throws<ArgumentException>(() => new MeanIoU(3, sparseYPred: false).ValidateShapes(new TensorShape(4), new TensorShape())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_LogsMeanIoU_AndSavesItsConfig()
    {
        var model = new Sequential([new InputLayer(4), new Dense(3, NeuralNet.Activations.ActivationFunction.Softmax)], seed: 3);
        model.Compile(new Adam(), new SparseCategoricalCrossEntropy(), new MeanIoU(3, ignoreClass: 255, sparseYPred: false));
        Tensor x = Tensor.RandomNormal(new TensorShape(30, 4), 1);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 30).Select(i => (float)(i % 3))], 30);
        History history = model.Fit(x, y, epochs: 1, validationSplit: 0.2, verbose: 0);
        Assert.Contains("mean_io_u", history.Keys);
        Assert.Contains("val_mean_io_u", history.Keys);

        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-meaniou-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            var loaded = Assert.IsType<MeanIoU>(Model.Load(path).Metrics[0]);
            Assert.Equal((3, (int?)255, true, false), (loaded.NumClasses, loaded.IgnoreClass, loaded.SparseYTrue, loaded.SparseYPred));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Config_ReadsKerasGetConfig()
    {
        var metric = Assert.IsType<MeanIoU>(Read("""{"class_name": "MeanIoU", "config": {"num_classes": 4, "name": "mean_io_u", "dtype": "float32", "ignore_class": null, "sparse_y_true": true, "sparse_y_pred": false, "axis": -1}}"""));
        Assert.Equal((4, (int?)null, true, false), (metric.NumClasses, metric.IgnoreClass, metric.SparseYTrue, metric.SparseYPred));
        Assert.Contains("numClasses >= 2", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "MeanIoU", "config": {"num_classes": 1}}""")).Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "MeanIoU", "config": {"num_classes": 3, "axis": 1}}"""));
        Assert.Equal("metrics", Assert.Throws<ArgumentException>(() => new Sequential([new InputLayer(2), new Dense(2)]).Compile("adam", "mse", "mean_io_u")).ParamName);
    }

    private static Metric Read(string json) => SerializationRegistry.Deserialize<Metric>(JsonNode.Parse(json)!, new Config(), "metric");

    private static double Run(MeanIoU metric, float[] predictions, float[] targets)
    {
        metric.Update(Tensor.FromArray(predictions, predictions.Length), Tensor.FromArray(targets, targets.Length));
        return metric.Result();
    }

    private static float[] Repeat(float[] values, int[] copies) => [.. values.SelectMany((v, i) => Enumerable.Repeat(v, copies[i]))];
}
