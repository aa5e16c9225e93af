using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Training;
using NeuralNet.Tests.Serialization;
using Xunit;

namespace NeuralNet.Tests.Training;

/// <summary>
/// Keras' <c>name</c> argument on metrics (keras/src/metrics/metric.py: <c>self.name = name or auto_name(...)</c>,
/// <c>get_config</c> writes <c>"name"</c>) and the log keys of keras/src/trainers/compile_utils.py
/// (<c>CompileMetrics.result()</c>: a repeated name gets <c>_1</c>, <c>_2</c>, ...; a weighted metric <c>weighted_</c> + name).
/// </summary>
public class MetricNameTests
{
    static MetricNameTests() => SerializationRegistry.Register("MetricNameTests>CountingScore", _ => new CountingScore());

    // 64 samples of 4 features, a 0/1 target per sample: a binary classifier's data.
    private static (Tensor X, Tensor Y) Binary(int samples = 64, long seed = 3)
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(samples, 4), seed: seed);
        var y = new float[samples];
        ReadOnlySpan<float> v = x.AsReadOnlySpan();
        for (int i = 0; i < samples; i++)
        {
            y[i] = v[4 * i] + 0.5f * v[(4 * i) + 1] > 0 ? 1f : 0f;
        }

        return (x, Tensor.FromArray(y, samples, 1));
    }

    private static Sequential BinaryModel() => new([new InputLayer(4), new Dense(1, ActivationFunction.Sigmoid)], seed: 5);

    private static double Standalone(Metric metric, Tensor predictions, Tensor targets)
    {
        metric.Reset();
        metric.Update(predictions, targets);
        return metric.Result();
    }

    [Fact]
    public void Name_NotGiven_IsKerasDefaultName()
    {
        Assert.Equal("precision", new Precision().Name);
        Assert.Equal("recall", new Recall(0.7).Name);
        Assert.Equal("f1_score", new F1Score().Name);
        Assert.Equal("mean_absolute_error", new MeanAbsoluteErrorMetric().Name);
        Assert.Equal("sparse_top_k_categorical_accuracy", new TopKCategoricalAccuracy(sparse: true).Name);
    }

    [Fact]
    public void Name_Given_IsTheNameAndToString()
    {
        var metric = new Precision(0.3) { Name = "p30" };
        Assert.Equal("p30", metric.Name);
        Assert.Equal("p30", metric.ToString());
        Assert.Equal(0.3, metric.Threshold);
    }

    [Fact]
    public void Name_UserMetricWithoutOverride_IsSnakeCaseOfClassName()
    {
        // Keras' auto_name(to_snake_case(class name)), without its process-wide counter.
        Assert.Equal("counting_score", new CountingScore().Name);
        Assert.Equal("mine", new CountingScore { Name = "mine" }.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Name_Blank_Throws(string name)
    {
        var ex = Assert.Throws<ArgumentException>(() => new Precision { Name = name });
        Assert.Equal("Name", ex.ParamName);
        Assert.Contains("non-empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Name_OnMetricOverridingName_StillCompilesButSettingOneThrows()
    {
        // A metric written before names could be given overrides Name: it keeps working, logged under its name ...
        var (x, y) = Binary();
        var model = BinaryModel();
        model.Compile(new Sgd(0.1f), new BinaryCrossEntropy(), new LegacyMetric());
        Assert.Contains("legacy", model.Fit(x, y, batchSize: 64, verbose: 0).Keys);

        // ... and a name set on it, which its Name would ignore, is refused.
        var ex = Assert.Throws<InvalidOperationException>(() => new LegacyMetric { Name = "other" });
        Assert.Contains("LegacyMetric overrides Name (it returns 'legacy')", ex.Message, StringComparison.Ordinal);
        Assert.Contains("override DefaultName", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Name_AdaptiveAccuracy_TakesOnlyKerasStrings()
    {
        Assert.Equal("acc", new Accuracy { Name = "acc" }.Name);
        var ex = Assert.Throws<ArgumentException>(() => new Accuracy { Name = "my_acc" });
        Assert.Contains("'my_acc'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CategoricalAccuracy", ex.Message, StringComparison.Ordinal);

        // Another case would be saved as an object Keras reads as its keras.metrics.Accuracy: refused.
        Assert.Throws<ArgumentException>(() => new Accuracy { Name = "ACC" });
    }

    [Fact]
    public void Fit_TwoPrecisionsAtDifferentThresholds_LogTheirOwnValuesUnderTheirNames()
    {
        var (x, y) = Binary();
        var (vx, vy) = Binary(32, seed: 9);
        var model = BinaryModel();
        model.Compile(new Sgd(0.05f), new BinaryCrossEntropy(), new Precision(0.3) { Name = "p30" }, new Precision(0.7) { Name = "p70" });

        using var dir = new TempDirectory();
        string csv = dir.File("log.csv");
        var progress = new StringWriter();
        History h = model.Fit(x, y, epochs: 2, batchSize: 64, verbose: 1, output: progress, validationData: (vx, vy), shuffle: false,
            callbacks: [new CsvLogger(csv), new EarlyStopping(monitor: "val_p70", patience: 5)]);

        Assert.Equal(["loss", "p30", "p70", "val_loss", "val_p30", "val_p70"], h.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("epoch,loss,p30,p70,val_loss,val_p30,val_p70", File.ReadLines(csv).First());
        Assert.Contains(" - p30: ", progress.ToString(), StringComparison.Ordinal);
        Assert.Contains(" - val_p70: ", progress.ToString(), StringComparison.Ordinal);

        // The validation results are over the final weights: each is its own threshold's precision, and they differ.
        Tensor predictions = model.Predict(vx);
        double p30 = Standalone(new Precision(0.3), predictions, vy), p70 = Standalone(new Precision(0.7), predictions, vy);
        Assert.NotEqual(p30, p70, 6);
        Assert.Equal(p30, h["val_p30"][^1], 6);
        Assert.Equal(p70, h["val_p70"][^1], 6);

        IReadOnlyDictionary<string, double> evaluated = model.Evaluate(vx, vy, verbose: 0);
        Assert.Equal(p30, evaluated["p30"], 6);
        Assert.Equal(p70, evaluated["p70"], 6);
    }

    [Fact]
    public void Fit_MonitorOfTheDefaultNameWhenMetricsAreNamed_IsRefused()
    {
        var (x, y) = Binary();
        var model = BinaryModel();
        model.Compile(new Sgd(0.05f), new BinaryCrossEntropy(), new Precision(0.3) { Name = "p30" });
        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, validationData: (x, y), verbose: 0, callbacks: [new EarlyStopping(monitor: "val_precision")]));
        Assert.Contains("val_precision", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_TwoUnnamedPrecisions_LogsPrecisionAndPrecision1AsKeras()
    {
        var (x, y) = Binary();
        var model = BinaryModel();
        var low = new Precision(0.3);
        var high = new Precision(0.7);
        model.Compile(new Sgd(0.05f), new BinaryCrossEntropy(), low, high);

        History h = model.Fit(x, y, batchSize: 64, verbose: 0, shuffle: false);

        Assert.Equal(["loss", "precision", "precision_1"], h.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("precision", high.Name);
        IReadOnlyDictionary<string, double> evaluated = model.Evaluate(x, y, verbose: 0);
        Tensor predictions = model.Predict(x);
        Assert.Equal(Standalone(new Precision(0.3), predictions, y), evaluated["precision"], 6);
        Assert.Equal(Standalone(new Precision(0.7), predictions, y), evaluated["precision_1"], 6);
    }

    [Fact]
    public void Compile_NameTakenByAKerasSuffix_ThrowsNamingBothBeforeAnythingChanges()
    {
        var model = BinaryModel();
        var first = new Recall();
        model.Compile(new Sgd(0.05f), new BinaryCrossEntropy(), first);

        // precision, precision_1, then a metric named precision_1: Keras would overwrite one value with the other.
        var ex = Assert.Throws<ArgumentException>(() => model.Compile(new Adam(), new BinaryCrossEntropy(),
            new Precision(), new Precision(0.7), new Precision(0.9) { Name = "precision_1" }));

        Assert.Equal("metrics", ex.ParamName);
        Assert.Contains("metrics[2] (Precision 'precision_1') would be logged as 'precision_1', which metrics[1] (Precision 'precision') is logged as already", ex.Message, StringComparison.Ordinal);
        Assert.Contains("new Precision(...) { Name = \"...\" }", ex.Message, StringComparison.Ordinal);
        Assert.Same(first, Assert.Single(model.Metrics));
        Assert.IsType<Sgd>(model.Optimizer);
    }

    [Theory]
    [InlineData("val_loss", "the validation's values")]
    [InlineData("val_p", "the validation's values")]
    [InlineData("learning_rate", "the learning rate a callback logs")]
    public void Compile_MetricNamedAsFitsOtherKeys_IsRefusedBeforeAnythingChanges(string name, string use)
    {
        var model = BinaryModel();
        var ex = Assert.Throws<ArgumentException>(() => model.Compile(new Sgd(), new BinaryCrossEntropy(), new MeanAbsoluteErrorMetric { Name = name }));
        Assert.Contains($"is named '{name}', which Fit's logs use for {use}", ex.Message, StringComparison.Ordinal);
        Assert.Null(model.Optimizer);
    }

    [Fact]
    public void CsvLogger_QuotesANameHoldingTheSeparatorOrAQuote()
    {
        using var dir = new NeuralNet.Tests.Serialization.TempDirectory();
        string path = dir.File("log.csv");
        var model = BinaryModel();
        model.Compile(new Sgd(), new BinaryCrossEntropy(), new Precision(0.3f) { Name = "p,30" }, new Recall { Name = "r\"q" });
        (Tensor x, Tensor y) = Binary();
        model.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0, callbacks: [new CsvLogger(path)]);
        Assert.Equal("epoch,loss,\"p,30\",\"r\"\"q\"", File.ReadAllLines(path)[0]);
    }

    [Fact]
    public void Compile_MetricNamedLoss_ThrowsNamingTheLoss()
    {
        var model = BinaryModel();
        var ex = Assert.Throws<ArgumentException>(() => model.Compile(new Sgd(), new BinaryCrossEntropy(), new MeanAbsoluteErrorMetric { Name = "loss" }));
        Assert.Contains("metrics[0] (MeanAbsoluteErrorMetric 'loss') would be logged as 'loss', which the loss is logged as already", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_WeightedMetricsWithRepeatedNames_GetKerasWeightedAndIndexSuffixes()
    {
        var (x, y) = Binary();
        var model = BinaryModel();
        model.Compile(new Sgd(0.05f), new BinaryCrossEntropy(), [new Precision(0.3) { Name = "p" }], [new Precision(0.3) { Name = "p" }, new Precision(0.5) { Name = "p" }, new Recall { Name = "r" }]);

        History h = model.Fit(x, y, batchSize: 64, verbose: 0);

        // Keras: p; the weighted p is taken, so weighted_p; then weighted_p is taken, so weighted_p_1.
        Assert.Equal(["loss", "p", "r", "weighted_p", "weighted_p_1"], h.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Compile_SeveralOutputs_NamesFollowTheOutputName()
    {
        Input input = new(4);
        var a = new Dense(1, ActivationFunction.Sigmoid, name: "a").Call(input);
        var b = new Dense(1, ActivationFunction.Sigmoid, name: "b").Call(input);
        var model = new Functional(input, [a, b]);
        model.Compile(new Sgd(), [new BinaryCrossEntropy(), new BinaryCrossEntropy()], metrics: [[new Precision { Name = "p" }, new Precision()], [new Precision { Name = "p" }]]);
        var (x, y) = Binary();

        History h = model.Fit(x, new[] { y, y }, batchSize: 64, verbose: 0);

        Assert.Equal(["a_loss", "a_p", "a_precision", "b_loss", "b_p", "loss"], h.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SaveLoad_NamedMetrics_KeepTheirNamesInTheConfigAndLogs()
    {
        var (x, y) = Binary();
        var model = BinaryModel();
        model.Compile(new Sgd(0.05f), new BinaryCrossEntropy(), new Precision(0.3) { Name = "p30" }, new Recall { Name = "recall" }, new Precision(0.7), new CountingScore { Name = "counted" });

        var (_, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);
        JsonArray saved = JsonNode.Parse(metadata[ModelSerializer.CompileConfigKey])!["metrics"]!.AsArray();
        Assert.Equal("p30", (string?)saved[0]!["config"]!["name"]);
        Assert.Equal(0.3, (double)saved[0]!["config"]!["thresholds"]!);
        Assert.Equal("recall", (string?)saved[1]);
        Assert.Equal("precision", (string?)saved[2]!["config"]!["name"]);
        Assert.Equal("counted", (string?)saved[3]!["config"]!["name"]);

        using var dir = new TempDirectory();
        string path = dir.File("named.safetensors");
        model.Save(path);
        Model loaded = Model.Load(path);

        Assert.Equal(["p30", "recall", "precision", "counted"], loaded.Metrics.Select(m => m.Name));
        Assert.Equal(0.3, Assert.IsType<Precision>(loaded.Metrics[0]).Threshold);
        Assert.Equal(0.7, Assert.IsType<Precision>(loaded.Metrics[2]).Threshold);
        Assert.Equal(model.Fit(x, y, batchSize: 64, verbose: 0).Keys, loaded.Fit(x, y, batchSize: 64, verbose: 0).Keys);
    }

    [Fact]
    public void SaveLoad_MetricsFromIdentifiers_KeepTheIdentifiers()
    {
        var model = BinaryModel();
        model.Compile("sgd", "binary_crossentropy", "mae", "acc", "Accuracy", "MeanSquaredError");

        var (_, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);

        // Keras' compile_config keeps the strings given; so does the file, class names included.
        Assert.Equal("""["mae","acc","Accuracy","MeanSquaredError"]""", JsonNode.Parse(metadata[ModelSerializer.CompileConfigKey])!["metrics"]!.ToJsonString());
        Model loaded = Reload(model, metadata);
        Assert.Equal(["mae", "acc", "Accuracy", "MeanSquaredError"], loaded.Metrics.Select(m => m.Name));
    }

    [Fact]
    public void Load_FileWithoutMetricNames_LoadsAsBefore()
    {
        // A file written before metrics had names: object metrics without "name", string metrics as identifiers.
        var (x, y) = Binary();
        var model = BinaryModel();
        model.Compile(new Sgd(0.05f), new BinaryCrossEntropy(), new Precision(0.3), new Precision(0.7), new MeanAbsoluteErrorMetric { Name = "mae" });
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);
        JsonNode compile = JsonNode.Parse(metadata[ModelSerializer.CompileConfigKey])!;
        foreach (JsonNode? metric in compile["metrics"]!.AsArray().Take(2))
        {
            Assert.True(metric!["config"]!.AsObject().Remove("name"));
        }

        metadata[ModelSerializer.CompileConfigKey] = compile.ToJsonString();
        Model loaded = Reload(model, metadata, tensors);

        Assert.Equal(["precision", "precision", "mae"], loaded.Metrics.Select(m => m.Name));
        Assert.Equal([0.3, 0.7], loaded.Metrics.Take(2).Select(m => ((Precision)m).Threshold));
        Assert.Equal(["loss", "mae", "precision", "precision_1"], loaded.Fit(x, y, batchSize: 64, verbose: 0).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Load_KerasCompileConfigWithMetricNames_GivesTheNames()
    {
        // compile_config as Keras 3 writes it (as the NeuralNet.Keras package hands it to the model reader): a metric
        // object's config starts with its name and dtype (keras/src/metrics/metric.py get_config).
        var model = BinaryModel();
        model.Compile(new Sgd(), new BinaryCrossEntropy());
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);
        JsonNode compile = JsonNode.Parse(metadata[ModelSerializer.CompileConfigKey])!;
        compile["metrics"] = JsonNode.Parse("""
            [{"module": "keras.metrics", "class_name": "Precision", "config": {"name": "p30", "dtype": "float32", "thresholds": 0.3, "top_k": null, "class_id": null}, "registered_name": null},
             {"module": "keras.metrics", "class_name": "Recall", "config": {"name": null, "dtype": "float32", "thresholds": null, "top_k": null, "class_id": null}, "registered_name": null},
             "acc"]
            """);
        metadata[ModelSerializer.CompileConfigKey] = compile.ToJsonString();

        Model loaded = Reload(model, metadata, tensors);

        Assert.Equal(["p30", "recall", "acc"], loaded.Metrics.Select(m => m.Name));
        Assert.Equal(0.3, ((Precision)loaded.Metrics[0]).Threshold);
    }

    [Theory]
    [InlineData("\"\"", "the metric's \"name\" must be a non-empty string")]
    [InlineData("5", "\"name\" must be a string")]
    public void Load_BadMetricName_ThrowsInvalidDataSayingWhy(string name, string expected)
    {
        var model = BinaryModel();
        model.Compile(new Sgd(), new BinaryCrossEntropy());
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);
        JsonNode compile = JsonNode.Parse(metadata[ModelSerializer.CompileConfigKey])!;
        compile["metrics"] = JsonNode.Parse($$$"""[{"class_name": "Precision", "config": {"name": {{{name}}}}}]""");
        metadata[ModelSerializer.CompileConfigKey] = compile.ToJsonString();

        var ex = Assert.Throws<InvalidDataException>(() => Reload(model, metadata, tensors));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainStep_NamedAndSuffixedMetrics_AllocatesNothingAfterWarmUp()
    {
        var (x, y) = Binary(128);
        var model = BinaryModel();
        model.Compile(new Adam(), new BinaryCrossEntropy(), new Precision(0.3) { Name = "p30" }, new Precision(0.7), new Precision(0.5), new CountingScore());
        model.Fit(x, y, epochs: 1, batchSize: 32, verbose: 0);
        var loader = new BatchLoader(x, y, 32, shuffle: true, seed: 1);
        for (int b = 0; b < loader.BatchCount; b++)
        {
            (Tensor inputs, Tensor targets) = loader.GetBatch(b);
            model.TrainStep(inputs, targets);
        }

        AllocationCheck.AssertNone(() =>
        {
            loader.Reshuffle();
            for (int b = 0; b < loader.BatchCount; b++)
            {
                (Tensor inputs, Tensor targets) = loader.GetBatch(b);
                model.TrainStep(inputs, targets);
            }
        });
    }

    private static Model Reload(Model model, Dictionary<string, string> metadata, List<KeyValuePair<string, Tensor>>? tensors = null)
    {
        tensors ??= ModelSerializer.DescribeModel(model, includeTraining: false).Tensors;
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;
        return Model.Load(stream, "test.model");
    }

    // A metric of one's own that names nothing: Keras' auto_name gives counting_score. Its Update reads Name on every
    // batch, as a message would, so the allocation test sees the default name cached.
    private sealed class CountingScore : Metric
    {
        private double _count;

        public override void Reset() => _count = 0;

        public override void Update(Tensor predictions, Tensor targets) => _count += Name.Length > 0 ? predictions.Shape[0] : 0;

        public override void Update(Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights) => Update(predictions, targets);

        public override double Result() => _count;

        public override Config GetConfig() => new();
    }

    // A metric written before metrics could be named, overriding Name as the only way then.
    private sealed class LegacyMetric : Metric
    {
        public override string Name => "legacy";

        public override void Reset()
        {
        }

        public override void Update(Tensor predictions, Tensor targets)
        {
        }

        public override double Result() => 1;
    }
}
