using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Training.MetricRuns;

namespace NeuralNet.Tests.Training;

/// <summary>
/// The metrics that average a loss's per-sample values (Keras' MeanMetricWrapper family) against the values of Keras'
/// keras/src/metrics/regression_metrics_test.py, probabilistic_metrics_test.py and hinge_metrics_test.py, and the worked
/// examples of the classes' docstrings (regression_metrics.py, probabilistic_metrics.py, hinge_metrics.py).
/// </summary>
public class LossMetricTests
{
    // The docstrings' common example: y_true [[0, 1], [0, 0]], y_pred [[1, 1], [0, 0]] (or [[0.6, 0.4], [0.4, 0.6]]).
    private static readonly float[] DocTrue = [0, 1, 0, 0];
    private static readonly float[] DocCounts = [1, 1, 0, 0];
    private static readonly float[] DocProbabilities = [0.6f, 0.4f, 0.4f, 0.6f];

    // regression_metrics_test.py and hinge_metrics_test.py (CategoricalHinge): 4 samples of 5.
    private static readonly float[] GridTrue = [0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1];
    private static readonly float[] GridPredicted = [0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1];
    private static readonly float[] GridWeights = [1.0f, 1.5f, 2.0f, 2.5f];

    [Fact]
    public void RegressionMetrics_MatchKeras()
    {
        Assert.Equal(250000000.0, Run(new MeanAbsolutePercentageErrorMetric(), DocCounts, DocTrue, 2), 1e-6 * 250000000.0);
        Assert.Equal(500000000.0, Run(new MeanAbsolutePercentageErrorMetric(), DocCounts, DocTrue, 2, [1, 0]), 1e-6 * 500000000.0);
        Assert.Equal(35e7, Run(new MeanAbsolutePercentageErrorMetric(), GridPredicted, GridTrue, 4), 1e-6 * 35e7);
        Assert.Equal(40e7, Run(new MeanAbsolutePercentageErrorMetric(), GridPredicted, GridTrue, 4, GridWeights), 1e-6 * 40e7);

        Assert.Equal(0.12011322, Run(new MeanSquaredLogarithmicErrorMetric(), DocCounts, DocTrue, 2), 1e-6);
        Assert.Equal(0.24022643, Run(new MeanSquaredLogarithmicErrorMetric(), DocCounts, DocTrue, 2, [1, 0]), 1e-6);
        Assert.Equal(0.24022, Run(new MeanSquaredLogarithmicErrorMetric(), GridPredicted, GridTrue, 4), 1e-5);
        Assert.Equal(0.26082, Run(new MeanSquaredLogarithmicErrorMetric(), GridPredicted, GridTrue, 4, GridWeights), 1e-5);

        Assert.Equal(0.10844523, Run(new LogCoshError(), DocCounts, DocTrue, 2), 1e-6);
        Assert.Equal(0.21689045, Run(new LogCoshError(), DocCounts, DocTrue, 2, [1, 0]), 1e-6);

        // LogCoshErrorTest: log((e^x + e^−x) / 2) of the errors, their mean, and the mean weighted 1.2 and 3.4 per sample.
        float[] t = [1, 9, 2, -5, -2, 6], p = [4, 8, 12, 8, 1, 3];
        double[] logCosh = [.. p.Select((v, i) => Math.Log((Math.Exp(v - t[i]) + Math.Exp(t[i] - v)) / 2))];
        Assert.Equal(logCosh.Average(), Run(new LogCoshError(), p, t, 2), 1e-5);
        Assert.Equal(((1.2 * logCosh[..3].Sum()) + (3.4 * logCosh[3..].Sum())) / 3 / 4.6, Run(new LogCoshError(), p, t, 2, [1.2f, 3.4f]), 1e-5);
    }

    [Fact]
    public void CosineSimilarity_MatchesKeras_AndIsTheLossNegated()
    {
        // Docstring: 0.49999997, and 0.6999999 with weights 0.3 and 0.7.
        Assert.Equal(0.5, Run(new CosineSimilarityMetric(), [1, 0, 1, 1], [0, 1, 1, 1], 2), 1e-6);
        Assert.Equal(0.7, Run(new CosineSimilarityMetric(), [1, 0, 1, 1], [0, 1, 1, 1], 2, [0.3f, 0.7f]), 1e-6);

        // CosineSimilarityTest: the rows' cosines, their mean, and the mean weighted 1.2 and 3.4.
        float[] t = [1, 9, 2, -5, -2, 6], p = [4, 8, 12, 8, 1, 3];
        double Cosine(int row)
        {
            double dot = 0, tt = 0, pp = 0;
            for (int j = 3 * row; j < (3 * row) + 3; j++)
            {
                (dot, tt, pp) = (dot + (t[j] * p[j]), tt + (t[j] * t[j]), pp + (p[j] * p[j]));
            }

            return dot / Math.Sqrt(tt) / Math.Sqrt(pp);
        }

        Assert.Equal((Cosine(0) + Cosine(1)) / 2, Run(new CosineSimilarityMetric(), p, t, 2), 1e-6);
        Assert.Equal(((1.2 * Cosine(0)) + (3.4 * Cosine(1))) / 4.6, Run(new CosineSimilarityMetric(), p, t, 2, [1.2f, 3.4f]), 1e-6);
        Assert.Equal(MetricDirection.Up, new CosineSimilarityMetric().Direction);
        Assert.Equal(MetricDirection.Down, new KLDivergenceMetric().Direction);
    }

    [Fact]
    public void ProbabilisticMetrics_MatchKeras()
    {
        Assert.Equal(0.45814306, Run(new KLDivergenceMetric(), DocProbabilities, DocTrue, 2), 1e-5);
        Assert.Equal(0.9162892, Run(new KLDivergenceMetric(), DocProbabilities, DocTrue, 2, [1, 0]), 1e-5);
        Assert.Equal(0.49999997, Run(new PoissonMetric(), DocCounts, DocTrue, 2), 1e-6);
        Assert.Equal(0.99999994, Run(new PoissonMetric(), DocCounts, DocTrue, 2, [1, 0]), 1e-6);

        // KLDivergenceTest and PoissonTest: the formulas summed per sample, weighted 1.2 and 3.4.
        float[] kt = [0.5f, 0.8f, 0.12f, 0.7f, 0.43f, 0.8f], kp = [0.4f, 0.9f, 0.12f, 0.36f, 0.3f, 0.4f];
        double[] kl = [.. kt.Select((v, i) => v * Math.Log(v / (double)kp[i]))];
        Assert.Equal(kl.Sum() / 2, Run(new KLDivergenceMetric(), kp, kt, 2), 1e-5);
        Assert.Equal(((1.2 * kl[..3].Sum()) + (3.4 * kl[3..].Sum())) / 4.6, Run(new KLDivergenceMetric(), kp, kt, 2, [1.2f, 3.4f]), 1e-5);
        float[] pt = [4, 8, 12, 8, 1, 3], pp = [1, 9, 2, 5, 2, 6];
        double[] poisson = [.. pp.Select((v, i) => v - (pt[i] * Math.Log(v)))];
        Assert.Equal(poisson.Average(), Run(new PoissonMetric(), pp, pt, 2), 1e-5);
        Assert.Equal(((1.2 * poisson[..3].Sum()) + (3.4 * poisson[3..].Sum())) / 3 / 4.6, Run(new PoissonMetric(), pp, pt, 2, [1.2f, 3.4f]), 1e-4);
    }

    [Fact]
    public void CrossEntropyMetrics_MatchKeras()
    {
        Assert.Equal(0.81492424, Run(new BinaryCrossEntropyMetric(), DocProbabilities, DocTrue, 2), 1e-5);
        Assert.Equal(0.9162905, Run(new BinaryCrossEntropyMetric(), DocProbabilities, DocTrue, 2, [1, 0]), 1e-5);
        Assert.Equal(3.9855, Run(new BinaryCrossEntropyMetric(), [1, 1, 1, 0], [1, 0, 1, 0], 2), 1e-3);
        Assert.Equal(3.4162, Run(new BinaryCrossEntropyMetric(), [1, 1, 1, 0], [1, 0, 1, 0], 2, [1.5f, 2.0f]), 1e-3);
        float[] logits = [10, -10, 10, 10, 10, -10], labels = [1, 0, 1, 0, 1, 1];
        Assert.Equal(3.333, Run(new BinaryCrossEntropyMetric(fromLogits: true), logits, labels, 2), 1e-3);
        Assert.Equal(3.7037, Run(new BinaryCrossEntropyMetric(fromLogits: true), logits, labels, 2, [2.0f, 2.5f]), 1e-3);
        Assert.Equal((10.0 + (5.0 * 0.1)) / 3, Run(new BinaryCrossEntropyMetric(true, 0.1), [10, -10, -10], [1, 0, 1], 1), 1e-3);

        float[] probabilities = [0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f], oneHot = [0, 1, 0, 0, 0, 1], scores = [1, 9, 0, 1, 8, 1];
        Assert.Equal(1.1769392, Run(new CategoricalCrossEntropyMetric(), probabilities, oneHot, 2), 1e-5);
        Assert.Equal(1.6271976, Run(new CategoricalCrossEntropyMetric(), probabilities, oneHot, 2, [0.3f, 0.7f]), 1e-5);
        Assert.Equal(1.338, Run(new CategoricalCrossEntropyMetric(), probabilities, oneHot, 2, [1.5f, 2.0f]), 1e-3);
        Assert.Equal(3.5011, Run(new CategoricalCrossEntropyMetric(fromLogits: true), scores, oneHot, 2), 1e-3);
        Assert.Equal(4.0012, Run(new CategoricalCrossEntropyMetric(fromLogits: true), scores, oneHot, 2, [1.5f, 2.0f]), 1e-3);
        Assert.Equal(3.667, Run(new CategoricalCrossEntropyMetric(true, 0.1), scores, oneHot, 2), 1e-3);

        Assert.Equal(1.1769392, RunSparse(new SparseCategoricalCrossEntropyMetric(), probabilities, [1, 2]), 1e-5);
        Assert.Equal(1.6271976, RunSparse(new SparseCategoricalCrossEntropyMetric(), probabilities, [1, 2], [0.3f, 0.7f]), 1e-5);
        Assert.Equal(3.5011, RunSparse(new SparseCategoricalCrossEntropyMetric(fromLogits: true), scores, [1, 2]), 1e-3);
        Assert.Equal(4.0012, RunSparse(new SparseCategoricalCrossEntropyMetric(fromLogits: true), scores, [1, 2], [1.5f, 2.0f]), 1e-3);
    }

    [Fact]
    public void SparseCrossEntropy_IgnoreClass_WeighsAsKeras()
    {
        // test_ignore_class: the ignored sample counts as 0 in an unweighted mean (0.78462) but its weight is masked out
        // of a weighted one (1.33774646).
        float[] p = [0.8f, 0.1f, 0.1f, 0.05f, 0.95f, 0, 0.1f, 0.8f, 0.1f];
        Assert.Equal(0.78462, RunSparse(new SparseCategoricalCrossEntropyMetric(ignoreClass: 0), p, [0, 1, 2]), 1e-4);
        Assert.Equal(1.33774646, RunSparse(new SparseCategoricalCrossEntropyMetric(ignoreClass: 0), p, [0, 1, 2], [0.5f, 1.5f, 2.0f]), 1e-4);
        Assert.Equal(2.33409, RunSparse(new SparseCategoricalCrossEntropyMetric(true, 0), [10, 1, 1, 1, 9, 0, 1, 8, 1], [0, 1, 2]), 1e-4);
    }

    [Fact]
    public void HingeMetrics_MatchKeras()
    {
        Assert.Equal(1.3, Run(new HingeMetric(), DocProbabilities, DocTrue, 2), 1e-6);
        Assert.Equal(1.1, Run(new HingeMetric(), DocProbabilities, DocTrue, 2, [1, 0]), 1e-6);
        Assert.Equal(1.86, Run(new SquaredHingeMetric(), DocProbabilities, DocTrue, 2), 1e-6);
        Assert.Equal(1.46, Run(new SquaredHingeMetric(), DocProbabilities, DocTrue, 2, [1, 0]), 1e-6);
        Assert.Equal(1.4, Run(new CategoricalHingeMetric(), DocProbabilities, DocTrue, 2), 1e-6);
        Assert.Equal(1.2, Run(new CategoricalHingeMetric(), DocProbabilities, DocTrue, 2, [1, 0]), 1e-6);

        float[] p = [-0.3f, 0.2f, -0.1f, 1.6f, -0.25f, -1.0f, 0.5f, 0.6f];
        Assert.Equal(0.506, Run(new HingeMetric(), p, [0, 1, 0, 1, 0, 0, 1, 1], 2), 1e-3);
        Assert.Equal(0.493, Run(new HingeMetric(), p, [-1, 1, -1, 1, -1, -1, 1, 1], 2, [1.5f, 2.0f]), 1e-3);
        Assert.Equal(0.364, Run(new SquaredHingeMetric(), p, [0, 1, 0, 1, 0, 0, 1, 1], 2), 1e-3);
        Assert.Equal(0.347, Run(new SquaredHingeMetric(), p, [-1, 1, -1, 1, -1, -1, 1, 1], 2, [1.5f, 2.0f]), 1e-3);
        Assert.Equal(0.5, Run(new CategoricalHingeMetric(), GridPredicted, GridTrue, 4), 1e-6);
        Assert.Equal(0.5, Run(new CategoricalHingeMetric(), GridPredicted, GridTrue, 4, GridWeights), 1e-6);
    }

    [Fact]
    public void Update_StreamsOverBatches_AsOneBatch_AndAllocatesNothingAfterTheFirst()
    {
        Tensor p = Tensor.RandomUniform(new TensorShape(50, 4), 7), t = Tensor.RandomUniform(new TensorShape(50, 4), 8);
        float[] weights = [.. Enumerable.Range(0, 50).Select(i => (float)(i % 4) / 2)];
        foreach (LossMetric metric in new LossMetric[] { new BinaryCrossEntropyMetric(), new KLDivergenceMetric(), new CosineSimilarityMetric(), new MeanAbsolutePercentageErrorMetric(), new HingeMetric() })
        {
            metric.Update(p, t, weights);
            double whole = metric.Result();
            metric.Reset();
            Assert.Equal(0.0, metric.Result());
            metric.Update(p.FirstRows(30), t.FirstRows(30), weights.AsSpan(0, 30));
            (Tensor p2, Tensor t2) = (p.Slice(30, 20), t.Slice(30, 20));
            AllocationCheck.AssertNone(() =>
            {
                metric.Update(p2, t2, weights.AsSpan(30, 20));
                _ = metric.Result();
            });
            Assert.Equal(whole, metric.Result(), 1e-6);
        }
    }

    [Fact]
    public void BadInput_IsNamed_AndAccumulatesNothing()
    {
        var metric = new BinaryCrossEntropyMetric();
        metric.Update(Tensor.FromArray(DocProbabilities, 2, 2), Tensor.FromArray(DocTrue, 2, 2));
        double before = metric.Result();
        var shape = Assert.Throws<ArgumentException>(() => metric.Update(Tensor.Zeros(2, 2), Tensor.Zeros(2, 3)));
        Assert.Contains("binary_crossentropy: output (2, 2) does not match targets (2, 3)", shape.Message, StringComparison.Ordinal);
        var weights = Assert.Throws<ArgumentException>(() => metric.Update(Tensor.Zeros(2, 2), Tensor.Zeros(2, 2), [1f, 2f, 3f]));
        Assert.Equal("sampleWeights", weights.ParamName);
        Assert.Contains("binary_crossentropy: 3 sample weights for a batch of 2", weights.Message, StringComparison.Ordinal);
        Assert.Contains("not a class index in [0, 3)", Assert.Throws<ArgumentException>(() => new SparseCategoricalCrossEntropyMetric().Update(Tensor.Zeros(2, 3), Tensor.FromArray([1, 3], 2))).Message, StringComparison.Ordinal);
        Assert.Equal(before, metric.Result());
        Assert.Equal("labelSmoothing", Assert.Throws<ArgumentOutOfRangeException>(() => new CategoricalCrossEntropyMetric(labelSmoothing: 1.5)).ParamName);
        Assert.Throws<ArgumentException>(() => new KLDivergenceMetric().ValidateShapes(new TensorShape(3), new TensorShape(4)));
    }

    [Fact]
    public void Identifiers_AreKeras_AndLogUnderTheNameGiven()
    {
        (string Identifier, Type Type)[] identifiers =
        [
            ("mape", typeof(MeanAbsolutePercentageErrorMetric)), ("MAPE", typeof(MeanAbsolutePercentageErrorMetric)),
            ("mean_absolute_percentage_error", typeof(MeanAbsolutePercentageErrorMetric)), ("msle", typeof(MeanSquaredLogarithmicErrorMetric)),
            ("MSLE", typeof(MeanSquaredLogarithmicErrorMetric)), ("mean_squared_logarithmic_error", typeof(MeanSquaredLogarithmicErrorMetric)),
            ("cosine_similarity", typeof(CosineSimilarityMetric)), ("log_cosh_error", typeof(LogCoshError)), ("LogCoshError", typeof(LogCoshError)),
            ("kl_divergence", typeof(KLDivergenceMetric)), ("KLDivergence", typeof(KLDivergenceMetric)), ("poisson", typeof(PoissonMetric)),
            ("hinge", typeof(HingeMetric)), ("squared_hinge", typeof(SquaredHingeMetric)), ("categorical_hinge", typeof(CategoricalHingeMetric)),
            ("binary_crossentropy", typeof(BinaryCrossEntropyMetric)), ("bce", typeof(BinaryCrossEntropyMetric)), ("BCE", typeof(BinaryCrossEntropyMetric)),
            ("BinaryCrossentropy", typeof(BinaryCrossEntropyMetric)), ("categorical_crossentropy", typeof(CategoricalCrossEntropyMetric)),
            ("sparse_categorical_crossentropy", typeof(SparseCategoricalCrossEntropyMetric)),
        ];
        foreach ((string identifier, Type type) in identifiers)
        {
            Assert.IsType(type, Read($"\"{identifier}\""));
        }

        var model = new Sequential([new InputLayer(3), new Dense(2, NeuralNet.Activations.ActivationFunction.Sigmoid)], seed: 1);
        model.Compile("adam", "binary_crossentropy", "bce", "kl_divergence", "msle", "poisson");
        Tensor x = Tensor.RandomNormal(new TensorShape(20, 3), 2);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 40).Select(i => (float)(i % 3 == 0 ? 1 : 0))], 20, 2);
        History history = model.Fit(x, y, epochs: 1, validationSplit: 0.25, verbose: 0);
        foreach (string key in new[] { "bce", "kl_divergence", "msle", "poisson", "val_bce", "val_poisson" })
        {
            Assert.Contains(key, history.Keys);
        }

        // With "binary_crossentropy" as loss and "bce" as metric, both are the same mean over the batch.
        Assert.Equal(history["loss"][0], history["bce"][0], 1e-3);
    }

    [Fact]
    public void Configs_RoundTrip_ThroughSaveAndLoad_AndReadKerasGetConfig()
    {
        var bce = Assert.IsType<BinaryCrossEntropyMetric>(Read("""{"class_name": "BinaryCrossentropy", "config": {"name": "bce", "dtype": "float32", "from_logits": true, "label_smoothing": 0.2}}"""));
        Assert.Equal((true, 0.2), (bce.FromLogits, bce.LabelSmoothing));
        var cce = Assert.IsType<CategoricalCrossEntropyMetric>(Read("""{"class_name": "CategoricalCrossentropy", "config": {"name": "cce", "dtype": "float32", "from_logits": false, "label_smoothing": 0.1, "axis": -1}}"""));
        Assert.Equal((false, 0.1), (cce.FromLogits, cce.LabelSmoothing));
        var scce = Assert.IsType<SparseCategoricalCrossEntropyMetric>(Read("""{"class_name": "SparseCategoricalCrossentropy", "config": {"name": "scce", "dtype": "float32", "from_logits": true, "ignore_class": 255, "axis": -1}}"""));
        Assert.Equal((true, (int?)255), (scce.FromLogits, scce.IgnoreClass));
        Assert.Null(Assert.IsType<SparseCategoricalCrossEntropyMetric>(Read("""{"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": false, "axis": -1}}""")).IgnoreClass);
        Assert.IsType<CosineSimilarityMetric>(Read("""{"class_name": "CosineSimilarity", "config": {"name": "cosine_similarity", "dtype": "float32", "axis": -1}}"""));
        Assert.IsType<LogCoshError>(Read("""{"class_name": "LogCoshError", "config": {"name": "logcosh", "dtype": "float32"}}"""));
        Assert.Contains("\"axis\" is 1", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "CosineSimilarity", "config": {"axis": 1}}""")).Message, StringComparison.Ordinal);
        Assert.Contains("labelSmoothing", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "BinaryCrossentropy", "config": {"label_smoothing": 2}}""")).Message, StringComparison.Ordinal);

        var model = new Sequential([new InputLayer(3), new Dense(3, NeuralNet.Activations.ActivationFunction.Softmax)], seed: 1);
        model.Compile(new Adam(), new CategoricalCrossEntropy(),
            new BinaryCrossEntropyMetric(fromLogits: false, labelSmoothing: 0.1), new CategoricalCrossEntropyMetric(true, 0.2), new CosineSimilarityMetric(), new LogCoshError(), new CategoricalHingeMetric());
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-lossmetrics-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            IReadOnlyList<Metric> loaded = Model.Load(path).Metrics;
            var loadedBce = Assert.IsType<BinaryCrossEntropyMetric>(loaded[0]);
            Assert.Equal((false, 0.1), (loadedBce.FromLogits, loadedBce.LabelSmoothing));
            var loadedCce = Assert.IsType<CategoricalCrossEntropyMetric>(loaded[1]);
            Assert.Equal((true, 0.2), (loadedCce.FromLogits, loadedCce.LabelSmoothing));
            Assert.IsType<CosineSimilarityMetric>(loaded[2]);
            Assert.Equal("logcosh", Assert.IsType<LogCoshError>(loaded[3]).Name);
            Assert.IsType<CategoricalHingeMetric>(loaded[4]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static double RunSparse(Metric metric, float[] predictions, float[] labels, float[]? weights = null)
    {
        metric.Update(Tensor.FromArray(predictions, labels.Length, predictions.Length / labels.Length), Tensor.FromArray(labels, labels.Length), weights ?? []);
        return metric.Result();
    }
}
