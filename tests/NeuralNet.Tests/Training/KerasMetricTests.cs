using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

/// <summary>The streaming metrics against the worked examples of Keras' documentation and a direct trapezoid computation.</summary>
public class KerasMetricTests
{
    [Fact]
    public void Accuracy_metrics_match_keras_documentation()
    {
        Assert.Equal(0.75, Run(new BinaryAccuracy(), [0.98f, 1, 0, 0.6f], [1, 1, 0, 0], 4, 1), 7);
        Assert.Equal(1.0, Run(new CategoricalAccuracy(), [0.1f, 0.1f, 0.8f, 0.05f, 0.95f, 0], [0, 0, 1, 0, 1, 0], 2, 3), 7);
        Assert.Equal(1.0, Run(new SparseCategoricalAccuracy(), [0.1f, 0.1f, 0.8f, 0.05f, 0.95f, 0], [2, 1], 2, 3), 7);
        Assert.Equal(0.5, Run(new TopKCategoricalAccuracy(k: 1), [0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0], [0, 0, 1, 0, 1, 0], 2, 3), 7);
        Assert.Equal(1.0, Run(new TopKCategoricalAccuracy(k: 2), [0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0], [0, 0, 1, 0, 1, 0], 2, 3), 7);
        Assert.Equal(0.5, Run(new TopKCategoricalAccuracy(k: 1, sparse: true), [0.1f, 0.9f, 0.8f, 0.05f, 0.95f, 0], [2, 1], 2, 3), 7);
    }

    [Fact]
    public void Precision_recall_and_regression_metrics_match_keras_documentation()
    {
        Assert.Equal(2.0 / 3, Run(new Precision(), [1, 0, 1, 1], [0, 1, 1, 1], 4, 1), 7);
        Assert.Equal(2.0 / 3, Run(new Recall(), [1, 0, 1, 1], [0, 1, 1, 1], 4, 1), 7);
        Assert.Equal(0.5, Run(new RootMeanSquaredError(), [1, 1, 0, 0], [0, 1, 0, 0], 2, 2), 7);
        Assert.Equal(0.25, Run(new MeanAbsoluteErrorMetric(), [1, 1, 0, 0], [0, 1, 0, 0], 2, 2), 7);
        Assert.Equal(0.25, Run(new MeanSquaredErrorMetric(), [1, 1, 0, 0], [0, 1, 0, 0], 2, 2), 7);

        // classId: only column 1 counts (predictions 0.9 and 0.2, targets 1 and 1).
        Assert.Equal(0.5, Run(new Recall(classId: 1), [0.1f, 0.9f, 0.8f, 0.2f], [0, 1, 0, 1], 2, 2), 7);
        Assert.Equal(1.0, Run(new Precision(classId: 1), [0.1f, 0.9f, 0.8f, 0.2f], [0, 1, 0, 1], 2, 2), 7);
    }

    [Fact]
    public void F_scores_and_r2_match_keras_documentation()
    {
        float[] truth = [1, 1, 1, 1, 0, 0, 1, 1, 0], predicted = [0.2f, 0.6f, 0.7f, 0.2f, 0.6f, 0.6f, 0.6f, 0.8f, 0];

        // Keras: F1Score(threshold=0.5) gives [0.5, 0.8, 0.6666667] per class; FBetaScore(beta=2) [0.3846154, 0.90909094, 0.8333334].
        Assert.Equal((0.5 + 0.8 + 0.6666667) / 3, Run(new F1Score(threshold: 0.5), predicted, truth, 3, 3), 5);
        Assert.Equal((0.3846154 + 0.90909094 + 0.8333334) / 3, Run(new FBetaScore(beta: 2, threshold: 0.5), predicted, truth, 3, 3), 5);
        Assert.Equal(((0.5 * 3) + (0.8 * 2) + 0.6666667) / 6, Run(new F1Score(ScoreAverage.Weighted, 0.5), predicted, truth, 3, 3), 5);
        Assert.Equal(2.0 / 3, Run(new F1Score(ScoreAverage.Micro, 0.5), predicted, truth, 3, 3), 5);

        // Without a threshold the row's largest prediction is the positive one: rows pick classes 2, 1, 1, all right; class 0
        // is never a target nor predicted, so its score is 0 (Keras' divide_no_nan) and the macro mean is (0 + 1 + 1) / 3.
        Assert.Equal(2.0 / 3, Run(new F1Score(), [0.2f, 0.6f, 0.7f, 0.2f, 0.6f, 0.5f, 0.6f, 0.8f, 0], [0, 0, 1, 0, 1, 0, 0, 1, 0], 3, 3), 5);

        // Keras: R2Score on targets [1, 4, 3] and predictions [2, 4, 4] gives 0.57142854.
        Assert.Equal(0.57142854, Run(new R2Score(), [2, 4, 4], [1, 4, 3], 3, 1), 6);
    }

    [Fact]
    public void Auc_matches_keras_documentation_and_a_direct_trapezoid()
    {
        Assert.Equal(0.75, Run(new Auc(numThresholds: 3), [0, 0.5f, 0.3f, 0.9f], [0, 0, 1, 1], 4, 1), 7);

        var random = new Random(4);
        float[] p = [.. Enumerable.Range(0, 300).Select(_ => (float)random.NextDouble())];
        float[] t = [.. p.Select(v => random.NextDouble() < v ? 1f : 0f)];
        var auc = new Auc();
        double actual = Run(auc, p, t, 300, 1);

        // The same thresholds, the ROC points counted directly, the trapezoids summed.
        double expected = 0;
        (double X, double Y) Point(double threshold)
        {
            int tp = 0, fp = 0, positives = t.Count(v => v == 1), negatives = t.Length - positives;
            for (int i = 0; i < p.Length; i++)
            {
                if (p[i] > threshold)
                {
                    tp += t[i] == 1 ? 1 : 0;
                    fp += t[i] == 0 ? 1 : 0;
                }
            }

            return ((double)fp / negatives, (double)tp / positives);
        }

        for (int i = 0; i < auc.Thresholds.Count - 1; i++)
        {
            (double x0, double y0) = Point(auc.Thresholds[i]);
            (double x1, double y1) = Point(auc.Thresholds[i + 1]);
            expected += (x0 - x1) * (y0 + y1) / 2;
        }

        Assert.Equal(expected, actual, 12);
        Assert.InRange(actual, 0.6, 0.95);
        Assert.Equal(1.0, Run(new Auc(), [0.1f, 0.2f, 0.8f, 0.9f], [0, 0, 1, 1], 4, 1), 7);
        Assert.Equal(1.0, Run(new Auc(curve: AucCurve.PR), [0.1f, 0.2f, 0.8f, 0.9f], [0, 0, 1, 1], 4, 1), 7);
    }

    [Fact]
    public void Metrics_stream_over_batches_and_allocate_nothing()
    {
        Metric[] metrics = [new BinaryAccuracy(), new Precision(), new Recall(), new Auc(), new RootMeanSquaredError(), new TopKCategoricalAccuracy(2), new F1Score(), new R2Score()];
        Tensor p = Tensor.RandomUniform(new TensorShape(64, 4), 1), t = Tensor.FromArray([.. Tensor.RandomUniform(new TensorShape(64, 4), 2).ToArray().Select(v => v < 0.5f ? 0f : 1f)], 64, 4);
        foreach (Metric metric in metrics)
        {
            metric.Update(p, t);
            double whole = metric.Result();
            metric.Reset();
            (Tensor p1, Tensor t1, Tensor p2, Tensor t2) = (p.FirstRows(40), t.FirstRows(40), p.Slice(40, 24), t.Slice(40, 24));
            AllocationCheck.AssertNone(() =>
            {
                metric.Update(p1, t1);
                metric.Update(p2, t2);
            });
            Assert.Equal(whole, metric.Result(), 12);
        }
    }

    [Fact]
    public void Bad_input_is_named()
    {
        var auc = Assert.Throws<ArgumentException>(() => new Auc().Update(Tensor.FromArray([0.1f, 0.5f], 2, 1), Tensor.FromArray([0, 2], 2, 1)));
        Assert.Contains("auc: targets must be 0 or 1, but element 1 is 2", auc.Message, StringComparison.Ordinal);

        var model = new Sequential([new InputLayer(3), new Dense(2)]);
        model.Compile(new Adam(), new MeanSquaredError(), new Precision(classId: 4));
        var error = Assert.Throws<ArgumentException>(() => model.Fit(Tensor.Zeros(4, 3), Tensor.Zeros(4, 2), epochs: 1, verbose: 0));
        Assert.Contains("precision: classId 4 is not a column of the output (None, 2)", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Precision(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Auc(numThresholds: 1));
    }

    [Fact]
    public void Metrics_save_and_load_with_the_model_and_log_keras_names()
    {
        var model = new Sequential([new InputLayer(3), new Dense(1, NeuralNet.Activations.ActivationFunction.Sigmoid)], seed: 2);
        model.Compile(new Adam(), new BinaryCrossEntropy(), new Auc(50, AucCurve.PR), new Precision(0.3), new BinaryAccuracy(0.4), new RootMeanSquaredError());
        History history = model.Fit(Tensor.RandomNormal(new TensorShape(32, 3), 1), Tensor.FromArray([.. Enumerable.Range(0, 32).Select(i => (float)(i % 2))], 32, 1), epochs: 1, verbose: 0);
        Assert.Equal(["auc", "binary_accuracy", "loss", "precision", "root_mean_squared_error"], history.Keys.Order(StringComparer.Ordinal));

        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-metrics-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            var auc = Assert.IsType<Auc>(loaded.Metrics[0]);
            Assert.Equal((50, AucCurve.PR), (auc.NumThresholds, auc.Curve));
            Assert.Equal(0.3, Assert.IsType<Precision>(loaded.Metrics[1]).Threshold);
            Assert.Equal(0.4, Assert.IsType<BinaryAccuracy>(loaded.Metrics[2]).Threshold);
            Assert.IsType<RootMeanSquaredError>(loaded.Metrics[3]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static double Run(Metric metric, float[] predictions, float[] targets, int rows, int columns)
    {
        metric.Reset();
        metric.Update(Tensor.FromArray(predictions, rows, columns), Tensor.FromArray(targets, rows, targets.Length / rows));
        return metric.Result();
    }
}

/// <summary>Compile from Keras identifiers.</summary>
public class KerasIdentifierTests
{
    [Fact]
    public void Compile_resolves_keras_identifiers_with_default_settings()
    {
        var model = new Sequential([new InputLayer(4), new Dense(3, NeuralNet.Activations.ActivationFunction.Softmax)]);
        model.Compile("adam", "categorical_crossentropy", "accuracy", "auc", "mse");
        Assert.IsType<Adam>(model.Optimizer);
        Assert.Equal(0.001f, model.Optimizer!.LearningRate);
        Assert.IsType<CategoricalCrossEntropy>(model.Loss);
        // Keras' get_metric names a metric asked for by a string after the string (metric_obj.name = identifier).
        Assert.Equal(["accuracy", "auc", "mse"], model.Metrics.Select(m => m.Name));

        model.Compile("rmsprop", "huber", "mae", "rmse");
        Assert.Equal(1.0, Assert.IsType<Huber>(model.Loss).Delta);
        Assert.IsType<RmsProp>(model.Optimizer);
        Assert.Equal(["mae", "rmse"], model.Metrics.Select(m => m.Name));
        Assert.Equal(["mean_absolute_error", "root_mean_squared_error"], new Metric[] { new MeanAbsoluteErrorMetric(), new RootMeanSquaredError() }.Select(m => m.Name));
    }

    [Fact]
    public void A_metric_named_by_identifier_is_logged_and_saved_under_it_as_keras()
    {
        // Keras 3's get_metric sets metric_obj.name = identifier: "mae" logs mae and val_mae, "acc" logs acc.
        var (x, y) = Serialization.ModelTestData.Classification(24, 4, 3, seed: 41);
        var model = new Sequential([new InputLayer(4), new Dense(3, NeuralNet.Activations.ActivationFunction.Softmax)], seed: 2);
        model.Compile("sgd", "categorical_crossentropy", "mae", "acc", "accuracy");
        var stop = new EarlyStopping("val_mae", patience: 5);

        History history = model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, validationData: (x, y), callbacks: [stop]);

        Assert.Equal(["acc", "accuracy", "loss", "mae", "val_acc", "val_accuracy", "val_loss", "val_mae"], history.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(history["acc"], history["accuracy"]);
        Assert.Equal(["acc", "accuracy", "loss", "mae"], model.Evaluate(x, y, verbose: 0).Keys.Order(StringComparer.Ordinal));

        // The identifier is what the file holds, so the reloaded model logs the same keys.
        string path = Path.Combine(Path.GetTempPath(), $"nn-identifiers-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(["acc", "accuracy", "loss", "mae"], loaded.Evaluate(x, y, verbose: 0).Keys.Order(StringComparer.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }

        // A metric object keeps its Name.
        model.Compile(new Sgd(), new CategoricalCrossEntropy(), new MeanAbsoluteErrorMetric());
        Assert.Equal(["loss", "mean_absolute_error"], model.Evaluate(x, y, verbose: 0).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void An_unknown_identifier_lists_the_known_ones()
    {
        var model = new Sequential([new InputLayer(4), new Dense(1)]);
        var error = Assert.Throws<ArgumentException>(() => model.Compile("adamx", "mse"));
        Assert.Equal("optimizer", error.ParamName);
        Assert.Contains("\"adamx\" is not a known optimizer", error.Message, StringComparison.Ordinal);
        Assert.Contains("\"adam\"", error.Message, StringComparison.Ordinal);
        Assert.Equal("loss", Assert.Throws<ArgumentException>(() => model.Compile("sgd", "mean_cubed_error")).ParamName);
        Assert.Equal("metrics", Assert.Throws<ArgumentException>(() => model.Compile("sgd", "mse", "f7")).ParamName);
        Assert.False(model.IsCompiled);
    }
}
