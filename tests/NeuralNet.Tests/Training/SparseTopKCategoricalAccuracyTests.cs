using FsCheck;
using FsCheck.Xunit;
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
/// <see cref="SparseTopKCategoricalAccuracy"/> against the docstring values of Keras' accuracy_metrics.py, and the top-k
/// selection of <see cref="Precision"/> and <see cref="Recall"/> against its reference.
/// </summary>
public class SparseTopKCategoricalAccuracyTests
{
    private static readonly float[] Scores = [0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0];

    [Fact]
    public void Values_MatchKerasDocstring()
    {
        Assert.Equal(0.5, Sparse(new SparseTopKCategoricalAccuracy(k: 1), Scores, [2, 1]), 12);
        Assert.Equal(0.3, Sparse(new SparseTopKCategoricalAccuracy(k: 1), Scores, [2, 1], [0.7f, 0.3f]), 6);
        Assert.Equal(1.0, Sparse(new SparseTopKCategoricalAccuracy(k: 2), Scores, [2, 1]), 12);

        // from_sorted_ids=True: rows of ids sorted by score, [[1, 0, 3], [1, 2, 3]] with targets [2, 1] and k=1 give 0.5.
        Assert.Equal(0.5, Sparse(new SparseTopKCategoricalAccuracy(k: 1, fromSortedIds: true), [1, 0, 3, 1, 2, 3], [2, 1]), 12);
        Assert.Equal(0.5, Sparse(new SparseTopKCategoricalAccuracy(k: 2, fromSortedIds: true), [1, 0, 3, 1, 2, 3], [2, 1]), 12);
        Assert.Equal(1.0, Sparse(new SparseTopKCategoricalAccuracy(k: 2, fromSortedIds: true), [1, 0, 3, 1, 2, 3], [0, 2]), 12);

        // Keras' default k is 5; a target outside the classes, or a row with NaN, is a miss.
        Assert.Equal(5, new SparseTopKCategoricalAccuracy().K);
        Assert.Equal(0.5, Sparse(new SparseTopKCategoricalAccuracy(k: 3), [0.1f, 0.2f, 0.3f, 0.1f, 0.2f, 0.3f], [7, 0]), 12);
        Assert.Equal(0.0, Sparse(new SparseTopKCategoricalAccuracy(k: 3), [float.NaN, 0.2f, 0.3f], [1]), 12);
    }

    [Fact]
    public void AgreesWithTopKCategoricalAccuracySparse()
    {
        Tensor p = Tensor.RandomUniform(new TensorShape(40, 6), 3);
        Tensor t = Tensor.FromArray([.. Enumerable.Range(0, 40).Select(i => (float)(i * 5 % 6))], 40);
        float[] w = [.. Enumerable.Range(0, 40).Select(i => 0.25f + (i % 4))];
        var metric = new SparseTopKCategoricalAccuracy(k: 2);
        var old = new TopKCategoricalAccuracy(k: 2, sparse: true);
        metric.Update(p, t, w);
        old.Update(p, t, w);
        Assert.Equal(old.Result(), metric.Result());
        Assert.InRange(metric.Result(), 0.05, 0.95);
        Assert.Equal(metric.Name, old.Name);
    }

    [Fact]
    public void BadInput_IsNamed()
    {
        var k = Assert.Throws<ArgumentOutOfRangeException>(() => new SparseTopKCategoricalAccuracy(0));
        Assert.Equal("k", k.ParamName);
        Assert.Contains("expects k >= 1", k.Message, StringComparison.Ordinal);
        var metric = new SparseTopKCategoricalAccuracy(3, fromSortedIds: true);
        var narrow = Assert.Throws<ArgumentException>(() => metric.Update(Tensor.FromArray([1f, 2], 1, 2), Tensor.FromArray([1f], 1)));
        Assert.Contains("must hold at least k=3 of them, but the predictions (1, 2) hold 2", narrow.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => metric.ValidateShapes(new TensorShape(2), new TensorShape(1)));
        Assert.Contains("not one class index per row",
            Assert.Throws<ArgumentException>(() => new SparseTopKCategoricalAccuracy().Update(Tensor.FromArray(Scores, 2, 3), Tensor.FromArray([1f, 2, 0], 3))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new SparseTopKCategoricalAccuracy().ValidateShapes(new TensorShape(3), new TensorShape(3)));
        new SparseTopKCategoricalAccuracy().ValidateShapes(new TensorShape(3), new TensorShape(1));
        Assert.Equal(0, metric.Result());
    }

    [Fact]
    public void Identifier_Config_AndSaveLoad()
    {
        Assert.IsType<SparseTopKCategoricalAccuracy>(Read("\"sparse_top_k_categorical_accuracy\""));
        var read = Assert.IsType<SparseTopKCategoricalAccuracy>(Read("""{"class_name": "SparseTopKCategoricalAccuracy", "config": {"name": "sparse_top_k_categorical_accuracy", "dtype": "float32", "k": 3, "from_sorted_ids": true}}"""));
        Assert.Equal((3, true), (read.K, read.FromSortedIds));
        Assert.Equal("""{"k":5}""", new SparseTopKCategoricalAccuracy().GetConfig().ToJson());
        Assert.Equal("""{"k":3,"from_sorted_ids":true}""", read.GetConfig().ToJson());

        // The older form, TopKCategoricalAccuracy with "sparse", still reads as before.
        Assert.True(Assert.IsType<TopKCategoricalAccuracy>(Read("""{"class_name": "TopKCategoricalAccuracy", "config": {"k": 2, "sparse": true}}""")).Sparse);

        var model = new Sequential([new InputLayer(4), new Dense(6, NeuralNet.Activations.ActivationFunction.Softmax)], seed: 4);
        model.Compile("adam", "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy");
        Assert.IsType<SparseTopKCategoricalAccuracy>(model.Metrics[0]);
        History history = model.Fit(Tensor.RandomNormal(new TensorShape(12, 4), 5), Tensor.FromArray([.. Enumerable.Range(0, 12).Select(i => (float)(i % 6))], 12), epochs: 1, verbose: 0);
        Assert.Contains("sparse_top_k_categorical_accuracy", history.Keys);

        model.Compile(new Adam(), new SparseCategoricalCrossEntropy(), new SparseTopKCategoricalAccuracy(2), new Precision(topK: 2, classId: 1));
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-sparsetopk-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            IReadOnlyList<Metric> loaded = Model.Load(path).Metrics;
            Assert.Equal(2, Assert.IsType<SparseTopKCategoricalAccuracy>(loaded[0]).K);
            var precision = Assert.IsType<Precision>(loaded[1]);
            Assert.Equal(((int?)2, (int?)1), (precision.TopK, precision.ClassId));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AllocatesNothingAfterTheFirstBatch()
    {
        Tensor p = Tensor.RandomUniform(new TensorShape(30, 5), 8);
        Tensor t = Tensor.FromArray([.. Enumerable.Range(0, 30).Select(i => (float)(i % 5))], 30);
        foreach (var metric in new[] { new SparseTopKCategoricalAccuracy(2), new SparseTopKCategoricalAccuracy(2, fromSortedIds: true) })
        {
            metric.Update(p, t);
            AllocationCheck.AssertNone(() =>
            {
                metric.Update(p, t);
                _ = metric.Result();
            });
        }
    }

    [Property(MaxTest = 200, Replay = "20261205,2291")]
    public bool TopKSelect_MatchesTheSortedReference(PositiveInt lengthRaw, PositiveInt kRaw, int seed)
    {
        int length = 1 + (lengthRaw.Get % 40), k = 1 + (kRaw.Get % length);

        // Values from a few levels, so that ties are common.
        float[] row = [.. Tensor.RandomUniform(new TensorShape(length), seed).AsReadOnlySpan().ToArray().Select(v => MathF.Floor(v * 5) - 2)];
        int[] top = new int[k];
        TopK.Select(row, top);
        return top.SequenceEqual(TopK.SelectReference(row, k));
    }

    private static double Sparse(Metric metric, float[] predictions, float[] targets, float[]? weights = null)
    {
        metric.Update(Tensor.FromArray(predictions, targets.Length, predictions.Length / targets.Length), Tensor.FromArray(targets, targets.Length), weights ?? []);
        return metric.Result();
    }
}
