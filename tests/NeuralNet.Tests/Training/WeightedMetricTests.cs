using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Training;

public class WeightedMetricTests
{
    // Every built-in metric, with the kind of targets it reads: one-hot (3 classes), labels, or 0/1 per column.
    public static TheoryData<string> MetricNames() =>
    [
        "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "top_k", "sparse_top_k",
        "mae", "mse", "rmse", "precision", "recall", "precision_class", "auc_roc", "auc_pr", "f1_macro", "f1_weighted",
        "fbeta_micro", "r2", "mean_iou",
    ];

    private static (Metric Metric, bool Sparse) Create(string name) => name switch
    {
        "accuracy" => (new Accuracy(), false),
        "binary_accuracy" => (new BinaryAccuracy(), false),
        "categorical_accuracy" => (new CategoricalAccuracy(), false),
        "sparse_categorical_accuracy" => (new SparseCategoricalAccuracy(), true),
        "top_k" => (new TopKCategoricalAccuracy(2), false),
        "sparse_top_k" => (new TopKCategoricalAccuracy(2, sparse: true), true),
        "mae" => (new MeanAbsoluteErrorMetric(), false),
        "mse" => (new MeanSquaredErrorMetric(), false),
        "rmse" => (new RootMeanSquaredError(), false),
        "precision" => (new Precision(), false),
        "recall" => (new Recall(), false),
        "precision_class" => (new Precision(classId: 1), false),
        "auc_roc" => (new Auc(), false),
        "auc_pr" => (new Auc(curve: AucCurve.PR), false),
        "f1_macro" => (new F1Score(), false),
        "f1_weighted" => (new F1Score(ScoreAverage.Weighted), false),
        "fbeta_micro" => (new FBetaScore(ScoreAverage.Micro, beta: 2, threshold: 0.4), false),
        "r2" => (new R2Score(), false),
        _ => (new MeanIoU(3, sparseYPred: false), true),
    };

    private static (Tensor P, Tensor T, Tensor Labels) Batch(int n, long seed)
    {
        var random = new Random((int)seed);
        var p = new Tensor(n, 3);
        var t = new Tensor(n, 3);
        var labels = new Tensor(n);
        for (int i = 0; i < n; i++)
        {
            int label = random.Next(3);
            labels.AsSpan()[i] = label;
            t[i, label] = 1f;
            for (int c = 0; c < 3; c++)
            {
                p[i, c] = (float)random.NextDouble();
            }
        }

        return (p, t, labels);
    }

    private static Tensor Repeat(Tensor x, int[] counts)
    {
        int width = x.Length / x.Shape[0];
        var rows = new List<float>();
        for (int i = 0; i < counts.Length; i++)
        {
            for (int r = 0; r < counts[i]; r++)
            {
                rows.AddRange(x.AsReadOnlySpan().Slice(i * width, width).ToArray());
            }
        }

        int total = counts.Sum();
        return x.Rank == 1 ? Tensor.FromArray([.. rows], total) : Tensor.FromArray([.. rows], total, width);
    }

    [Theory]
    [MemberData(nameof(MetricNames))]
    public void WholeWeights_EqualRepeatingTheSamples(string name)
    {
        // A sample of weight k counts as k copies of it (and weight 0 as none): Keras' weighted counts and weighted means.
        (Metric weighted, bool sparse) = Create(name);
        (Metric repeated, _) = Create(name);
        (Metric plain, _) = Create(name);
        for (int b = 0; b < 3; b++)
        {
            var (p, t, labels) = Batch(11, 100 + b);
            Tensor targets = sparse ? labels : t;
            int[] counts = [.. Enumerable.Range(0, 11).Select(i => (i * 7 + b) % 4)];
            weighted.Update(p, targets, Array.ConvertAll(counts, c => (float)c));
            repeated.Update(Repeat(p, counts), Repeat(targets, counts));
            plain.Update(p, targets, ReadOnlySpan<float>.Empty);
        }

        Assert.Equal(repeated.Result(), weighted.Result(), 10);
        Assert.NotEqual(repeated.Result(), plain.Result(), 10);
    }

    [Fact]
    public void Accuracy_FractionalWeights_IsTheWeightedMean()
    {
        var metric = new Accuracy();
        Tensor p = Tensor.FromArray([0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f], 3, 2);
        Tensor t = Tensor.FromArray([1f, 0f, 1f, 0f, 1f, 0f], 3, 2);
        metric.Update(p, t, [0.5f, 2f, 0.25f]);
        Assert.Equal((0.5 + 0.25) / 2.75, metric.Result(), 12);
    }

    [Fact]
    public void Update_WrongNumberOfWeights_Throws()
    {
        var (p, t, _) = Batch(4, 1);
        Assert.Contains("3 sample weights for a batch of 4", Assert.Throws<ArgumentException>(() => new Precision().Update(p, t, [1f, 1f, 1f])).Message);
    }

    private sealed class PlainMetric : Metric
    {
        public override string Name => "plain";

        public override void Reset()
        {
        }

        public override void Update(Tensor predictions, Tensor targets)
        {
        }

        public override double Result() => 0;
    }

    [Fact]
    public void UserMetric_WithoutTheOverload_RefusesWeightsButNotTheirAbsence()
    {
        var (p, t, _) = Batch(2, 1);
        var metric = new PlainMetric();
        metric.Update(p, t, ReadOnlySpan<float>.Empty);
        Assert.Contains("PlainMetric", Assert.Throws<NotSupportedException>(() => metric.Update(p, t, [1f, 2f])).Message);

        var model = new Sequential([new InputLayer(3), new Dense(3, ActivationFunction.Softmax)]);
        model.Compile(new Sgd(), new CategoricalCrossEntropy(), [], [new PlainMetric()]);
        model.Fit(p, t, verbose: 0);
        Assert.Contains("weighted metric plain", Assert.Throws<NotSupportedException>(() => model.Fit(p, t, verbose: 0, sampleWeight: Tensor.FromArray([1f, 2f], 2))).Message);
    }

    [Fact]
    public void Fit_WeightedMetrics_GetTheWeightsAndKerasNames()
    {
        var (x, y) = Classification(40, 6, 3, seed: 61);
        var w = Tensor.FromArray([.. Enumerable.Range(0, 40).Select(i => (float)(i % 3))], 40);
        var model = new Sequential([new InputLayer(6), new Dense(3, ActivationFunction.Softmax)], seed: 8);
        model.Compile(new Sgd(0.1f), new CategoricalCrossEntropy(), [new Accuracy()], [new Accuracy(), new Precision()]);

        History h = model.Fit(x, y, epochs: 1, batchSize: 40, verbose: 0, sampleWeight: w, shuffle: false);
        Assert.Equal(["accuracy", "loss", "precision", "weighted_accuracy"], h.Keys);

        // The metrics read the step's predictions (before the update): recompute from the initial model.
        var fresh = new Sequential([new InputLayer(6), new Dense(3, ActivationFunction.Softmax)], seed: 8);
        Tensor p = fresh.Predict(x);
        var plain = new Accuracy();
        plain.Update(p, y);
        var weighted = new Accuracy();
        weighted.Update(p, y, w.AsReadOnlySpan());
        Assert.Equal(plain.Result(), h["accuracy"][0], 12);
        Assert.Equal(weighted.Result(), h["weighted_accuracy"][0], 12);
        Assert.NotEqual(h["accuracy"][0], h["weighted_accuracy"][0]);

        var evaluated = model.Evaluate(x, y, verbose: 0, sampleWeight: w);
        Assert.True(evaluated.ContainsKey("weighted_accuracy"));
    }

    [Fact]
    public void SaveLoad_KeepsTheWeightedMetrics()
    {
        using var dir = new Serialization.TempDirectory();
        var model = new Sequential([new InputLayer(6), new Dense(3, ActivationFunction.Softmax)], seed: 8);
        model.Compile(new Sgd(0.1f), new CategoricalCrossEntropy(), [new Accuracy()], [new Auc()]);
        var (x, y) = Classification(8, 6, 3, seed: 62);
        model.Fit(x, y, verbose: 0);
        model.Save(dir.File("m.safetensors"));
        Model loaded = Model.Load(dir.File("m.safetensors"));
        Assert.Equal(["auc"], loaded.WeightedMetrics.Select(m => m.Name));
        Assert.Equal(["accuracy"], loaded.Metrics.Select(m => m.Name));
    }

    [Fact]
    public void Compile_WeightedMetricsOnTwoOutputs_NamedPerOutput()
    {
        var input = new Input(new TensorShape(6), "x");
        var a = new Dense(3, ActivationFunction.Softmax, name: "a").Call(input);
        var b = new Dense(3, ActivationFunction.Softmax, name: "b").Call(input);
        var model = new Functional([input], [a, b]);
        model.Compile(new Sgd(), [new CategoricalCrossEntropy(), new CategoricalCrossEntropy()], metrics: [[new Accuracy()], []], weightedMetrics: [[new Accuracy()], [new Accuracy()]]);
        var (x, y) = Classification(10, 6, 3, seed: 63);
        History h = model.Fit(x, new[] { y, y }, verbose: 0, sampleWeight: Tensor.FromArray([.. Enumerable.Repeat(1f, 10)], 10));
        Assert.Contains("a_accuracy", h.Keys);
        Assert.Contains("a_weighted_accuracy", h.Keys);
        Assert.Contains("b_accuracy", h.Keys);
        Assert.Equal(h["a_accuracy"], h["a_weighted_accuracy"]);
    }
}

public class SampleWeightedStepAllocationTests
{
    [Fact]
    public void TrainStep_WithSampleWeightsAndWeightedMetrics_AllocatesNothingAfterWarmUp()
    {
        var (x, y) = Classification(128, 6, 3, seed: 71);
        var w = Tensor.FromArray([.. Enumerable.Range(0, 128).Select(i => (float)(i % 4) / 2)], 128);
        var model = new Sequential([new InputLayer(6), new Dense(8, ActivationFunction.Relu), new Dense(3, ActivationFunction.Softmax)], seed: 3);
        model.Compile(new Adam(), new CategoricalCrossEntropy(), [new Accuracy()], [new Accuracy(), new Precision(), new Auc(), new F1Score(), new MeanSquaredErrorMetric()]);
        model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0, sampleWeight: w);
        Tensor[] batch = [x.Slice(0, 32), y.Slice(0, 32), w.Slice(0, 32)];
        model.TrainStep(batch);

        AllocationCheck.AssertNone(() =>
        {
            for (int step = 0; step < 8; step++)
            {
                model.TrainStep(batch);
            }

        });
    }
}
