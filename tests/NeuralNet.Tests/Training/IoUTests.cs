using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Training.MetricRuns;

namespace NeuralNet.Tests.Training;

/// <summary>IoU, BinaryIoU, OneHotIoU and OneHotMeanIoU against the values of Keras' keras/src/metrics/iou_metrics_test.py.</summary>
public class IoUTests
{
    private static readonly float[] OneHotTrue = [0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0];
    private static readonly float[] OneHotScores = [0.2f, 0.3f, 0.5f, 0.1f, 0.2f, 0.7f, 0.5f, 0.3f, 0.1f, 0.1f, 0.4f, 0.5f];

    [Fact]
    public void IoU_MatchesKeras()
    {
        Assert.Equal(1.0 / 3, Run(new IoU(2, [0, 1]), [0, 1, 0, 1], [0, 0, 1, 1], 4), 1e-9);
        Assert.Equal(((0.1 / (0.4 + 0.5 - 0.1)) + (0.2 / (0.6 + 0.5 - 0.2))) / 2, Run(new IoU(2, [1, 0]), [0, 1, 0, 1], [0, 0, 1, 1], 4, [0.2f, 0.3f, 0.4f, 0.1f]), 1e-6);
        Assert.Equal(0.0, new IoU(2, [0, 1]).Result());
        Assert.Equal(1.0, Run(new IoU(2, [0, 1]), [1], [1], 1), 1e-9);

        // One target class: only its IoU, 1 / 3 for class 1 of the unweighted example.
        Assert.Equal(1.0 / 3, Run(new IoU(3, [1]), [0, 1, 0, 1], [0, 0, 1, 1], 4), 1e-9);
        Assert.Equal("io_u", new IoU(2, [0]).Name);
    }

    [Fact]
    public void BinaryIoU_ThresholdsPredictions_AsKeras()
    {
        float[] t = [0, 1, 0, 1], p = [0.1f, 0.2f, 0.4f, 0.7f];
        Assert.Equal(((0.2 / (0.6 + 0.5 - 0.2)) + (0.1 / (0.4 + 0.5 - 0.1))) / 2, Run(new BinaryIoU([0, 1], 0.3), p, t, 4, [0.2f, 0.3f, 0.4f, 0.1f]), 1e-6);
        Assert.Equal(((0.5 / (0.5 + 0.7 - 0.5)) + (0.3 / (0.5 + 0.3 - 0.3))) / 2, Run(new BinaryIoU([0, 1], 0.5), p, t, 4, [0.1f, 0.2f, 0.4f, 0.3f]), 1e-6);
        Assert.Equal(1.0 / 3, Run(new BinaryIoU([0, 1], 0.3), p, t, 4), 1e-9);
        Assert.Equal(((2.0 / (2 + 3 - 2)) + (1.0 / (2 + 1 - 1))) / 2, Run(new BinaryIoU(), p, t, 4), 1e-9);

        // test_multi_dim_input, the four positions as samples (threshold 0.4: predictions [[0, 1], [1, 0]]).
        Assert.Equal(((0.2 / (0.6 + 0.3 - 0.2)) + (0.3 / (0.4 + 0.7 - 0.3))) / 2, Run(new BinaryIoU([0, 1], 0.4), [0.1f, 0.7f, 0.9f, 0.3f], [0, 1, 0, 1], 4, [0.2f, 0.3f, 0.4f, 0.1f]), 1e-6);
        Assert.Equal(1.0, Run(new BinaryIoU([0, 1], 0.5), [0.6f], [1], 1), 1e-9);

        // A prediction equal to the threshold is class 1 (Keras: y_pred >= threshold).
        Assert.Equal(1.0, Run(new BinaryIoU([1]), [0.5f], [1], 1), 1e-9);
    }

    [Fact]
    public void OneHotIoUs_MatchKeras()
    {
        Assert.Equal(((0 / (1.0 + 2 - 0)) + (1 / (3.0 + 1 - 1))) / 2, Run(new OneHotIoU(3, [0, 2]), OneHotScores, OneHotTrue, 4), 1e-9);
        Assert.Equal(((0 / (0.3 + 0.6 - 0)) + (0.1 / (0.7 + 0.1 - 0.1))) / 2, Run(new OneHotIoU(3, [0, 2]), OneHotScores, OneHotTrue, 4, [0.1f, 0.2f, 0.3f, 0.4f]), 1e-6);
        Assert.Equal(0.071, Run(new OneHotIoU(3, [0, 2]), OneHotScores, OneHotTrue, 4, [0.1f, 0.2f, 0.3f, 0.4f]), 1e-3);
        Assert.Equal((0 + 0 + (1 / (3.0 + 1 - 1))) / 3, Run(new OneHotMeanIoU(3), OneHotScores, OneHotTrue, 4), 1e-9);
        Assert.Equal(0.048, Run(new OneHotMeanIoU(3), OneHotScores, OneHotTrue, 4, [0.1f, 0.2f, 0.3f, 0.4f]), 1e-3);
        Assert.Equal(("one_hot_io_u", "one_hot_mean_io_u"), (new OneHotIoU(3, [0]).Name, new OneHotMeanIoU(3).Name));
    }

    [Fact]
    public void BadSettings_AreNamed()
    {
        var ids = Assert.Throws<ArgumentException>(() => new IoU(3, [0, 3]));
        Assert.Equal("targetClassIds", ids.ParamName);
        Assert.Contains("IoU expects targetClassIds to be one or more classes in [0, 3) but got [0, 3]", ids.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new OneHotIoU(3, []));
        Assert.Contains("OneHotMeanIoU expects numClasses >= 2", Assert.Throws<ArgumentOutOfRangeException>(() => new OneHotMeanIoU(1)).Message, StringComparison.Ordinal);
        Assert.Equal("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => new BinaryIoU(threshold: 2)).ParamName);
        Assert.Throws<ArgumentException>(() => new BinaryIoU([2]));
    }

    [Fact]
    public void Configs_ReadKeras_AndRoundTripThroughSaveAndLoad()
    {
        var iou = Assert.IsType<IoU>(Read("""{"class_name": "IoU", "config": {"num_classes": 2, "target_class_ids": [1, 0], "name": "iou_class_1_0", "dtype": "float32", "ignore_class": null, "sparse_y_true": true, "sparse_y_pred": true, "axis": -1}}"""));
        Assert.Equal(2, iou.NumClasses);
        Assert.Equal(new[] { 1, 0 }, iou.TargetClassIds);
        var binary = Assert.IsType<BinaryIoU>(Read("""{"class_name": "BinaryIoU", "config": {"target_class_ids": [1, 0], "threshold": 0.1, "name": "iou_class_1_0", "dtype": "float32"}}"""));
        Assert.Equal(0.1, binary.Threshold);
        Assert.Equal(new[] { 1, 0 }, binary.TargetClassIds);
        Assert.Equal(new[] { 0, 1 }, Assert.IsType<BinaryIoU>(Read("\"binary_io_u\"")).TargetClassIds);
        var oneHot = Assert.IsType<OneHotIoU>(Read("""{"class_name": "OneHotIoU", "config": {"num_classes": 3, "target_class_ids": [2], "ignore_class": 255, "sparse_y_pred": false, "axis": -1}}"""));
        Assert.Equal((3, (int?)255, false), (oneHot.NumClasses, oneHot.IgnoreClass, oneHot.SparseYTrue));
        Assert.False(Assert.IsType<OneHotMeanIoU>(Read("""{"class_name": "OneHotMeanIoU", "config": {"num_classes": 3, "sparse_y_pred": false}}""")).SparseYTrue);
        Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "IoU", "config": {"num_classes": 3, "target_class_ids": [0], "axis": 1}}"""));

        var model = new Sequential([new InputLayer(4), new Dense(3, NeuralNet.Activations.ActivationFunction.Softmax)], seed: 4);
        model.Compile(new Adam(), new CategoricalCrossEntropy(), new OneHotIoU(3, [0, 2]), new OneHotMeanIoU(3), new IoU(3, [1], sparseYTrue: false, sparseYPred: false));
        Tensor x = Tensor.RandomNormal(new TensorShape(30, 4), 5);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 90).Select(i => (float)(i % 3 == i / 3 % 3 ? 1 : 0))], 30, 3);
        History history = model.Fit(x, y, epochs: 1, validationSplit: 0.2, verbose: 0);
        foreach (string key in new[] { "one_hot_io_u", "one_hot_mean_io_u", "io_u", "val_io_u" })
        {
            Assert.Contains(key, history.Keys);
        }

        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-iou-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            IReadOnlyList<Metric> loaded = Model.Load(path).Metrics;
            Assert.Equal(new[] { 0, 2 }, Assert.IsType<OneHotIoU>(loaded[0]).TargetClassIds);
            Assert.Equal(3, Assert.IsType<OneHotMeanIoU>(loaded[1]).NumClasses);
            var plain = Assert.IsType<IoU>(loaded[2]);
            Assert.Equal(new[] { 1 }, plain.TargetClassIds);
            Assert.Equal((false, false), (plain.SparseYTrue, plain.SparseYPred));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
