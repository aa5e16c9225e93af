using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Regularizers;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Keras' Pipeline in files (keras/src/layers/preprocessing/pipeline.py, keras/src/saving/saving_lib.py): get_config is
// {"layers": [serialized layers], "name"}; saving_lib walks the public attribute `layers` (the list the constructor got)
// before the private `_pipeline_layers` (the same objects, then skipped as visited), and a list's items are grouped by
// snake-case class name numbered among the list's items of that class, whatever the layers are called:
// [Dense "hidden", GaussianNoise, Dense "out"] -> layers/pipeline/layers/dense, .../gaussian_noise, .../dense_1.
public sealed partial class KerasFormatTests
{
    private static string PipelineItem(string name, params string[] layers) => $$$"""
        {"module": "keras.layers", "class_name": "Pipeline", "config": {"layers": [{{{string.Join(", ", layers)}}}], "name": "{{{name}}}"},
         "registered_name": null, "build_config": {"input_shape": [null, 4]}}
        """;

    // keras.Sequential([Input((4,)), Pipeline([Dense(3, relu, name=first), GaussianNoise(0.1), Dense(2, name=second)]),
    // Dense(1)]): the inner names differ from the class groups, so a lookup by name instead of class would fail.
    private static string PipelineModel(string first = "hidden", string second = "out")
    {
        JsonNode root = JsonNode.Parse(KerasConfigs.SequentialMlp)!;
        JsonArray layers = root["config"]!["layers"]!.AsArray();
        layers.RemoveAt(2);
        layers.RemoveAt(1);
        const string noise = """{"module": "keras.layers", "class_name": "GaussianNoise", "config": {"name": "gaussian_noise", "trainable": true, "dtype": "float32", "stddev": 0.1, "seed": null}, "registered_name": null}""";
        layers.Add(JsonNode.Parse(PipelineItem("pipeline", KerasConfigs.Dense(first, 3, "relu", 4), noise, KerasConfigs.Dense(second, 2, "linear", 3))));
        layers.Add(JsonNode.Parse(KerasConfigs.Dense("dense_2", 1, "linear", 2)));
        root.AsObject().Remove("compile_config");
        return root.ToJsonString();
    }

    // The file's groups and NeuralNet's tensors, for inner layers named first and second in NeuralNet.
    private static (string Path, string Tensor)[] PipelinePaths(string first, string second) =>
    [
        ("layers/pipeline/layers/dense/vars/0", $"pipeline/{first}/kernel"),
        ("layers/pipeline/layers/dense/vars/1", $"pipeline/{first}/bias"),
        ("layers/pipeline/layers/dense_1/vars/0", $"pipeline/{second}/kernel"),
        ("layers/pipeline/layers/dense_1/vars/1", $"pipeline/{second}/bias"),
        ("layers/dense/vars/0", "dense_2/kernel"),
        ("layers/dense/vars/1", "dense_2/bias"),
    ];

    // The second case: Keras accepts two inner layers of one name (it keeps their weights by class); NeuralNet renames
    // the second, as it keeps them by name.
    [H5pyTheory]
    [InlineData("hidden", "out", "out")]
    [InlineData("same", "same", "same_1")]
    public void LoadModel_KerasArchiveWithAPipeline_ReadsTheInnerWeightsFromTheirContainerGroups(string first, string second, string secondInNeuralNet)
    {
        string config = PipelineModel(first, second);
        Model reference = Model.FromJson(PipelineModel(first, secondInNeuralNet));
        (string Path, string Tensor)[] paths = PipelinePaths(first, secondInNeuralNet);
        var values = RandomValues(reference, paths, seed: 5);
        string archive = WriteArchive($"pipeline-{second}.keras", config,
            ["", "layers/pipeline", "layers/pipeline/layers/dense", "layers/pipeline/layers/gaussian_noise", "layers/pipeline/layers/dense_1", "layers/dense"],
            paths.Select(p => (p.Path, values[p.Tensor])));

        Model model = KerasFormat.LoadModel(archive);

        var pipeline = (Pipeline)model.GetLayer("pipeline");
        Assert.Equal([first, "gaussian_noise", secondInNeuralNet], pipeline.RunningLayers.Select(l => l.Name));
        foreach (var (_, tensor) in paths)
        {
            string[] parts = tensor.Split('/', 2);
            Assert.Equal(values[tensor].AsReadOnlySpan().ToArray(), model.GetLayer(parts[0]).Parameters.Single(p => p.Name == parts[1]).Value.AsReadOnlySpan().ToArray());
        }

        SetParameters(reference, values);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 4), seed: 6);
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void SaveModel_WithAPipeline_WritesKerasConfigAndWeightPathsAndLoadsBack()
    {
        var model = new Sequential(
            [new InputLayer(4), new Pipeline([new Dense(3, ActivationFunction.Relu, name: "hidden"), new GaussianNoise(0.1), new Dense(2, name: "out")], seed: 9), new Dense(1)], seed: 3);
        string path = Path.Combine(_folder, "pipeline-saved.keras");

        KerasFormat.SaveModel(model, path);

        JsonObject config;
        using (ZipArchive zip = ZipFile.OpenRead(path))
        using (var reader = new StreamReader(zip.GetEntry("config.json")!.Open()))
        {
            config = JsonNode.Parse(reader.ReadToEnd())!.AsObject();
        }

        JsonObject item = config["config"]!["layers"]!.AsArray().Select(l => l!.AsObject()).Single(l => (string?)l["class_name"] == "Pipeline");
        Assert.Equal("keras.layers", (string?)item["module"]);

        // Keras' from_config passes every key to Pipeline(layers, name=None): no trainable, dtype nor NeuralNet's seed.
        Assert.Equal(["layers", "name"], item["config"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.All(item["config"]!["layers"]!.AsArray(), l => Assert.Equal("keras.layers", (string?)l!["module"]));

        string weights = Path.Combine(_folder, "pipeline-saved.weights.h5");
        KerasFormat.SaveWeights(model, weights);
        JsonObject file = H5py.Dump(weights);
        var datasets = (JsonObject)file["datasets"]!;
        Assert.Equal(
            ["layers/dense/vars/0", "layers/dense/vars/1", "layers/pipeline/layers/dense/vars/0", "layers/pipeline/layers/dense/vars/1",
             "layers/pipeline/layers/dense_1/vars/0", "layers/pipeline/layers/dense_1/vars/1"],
            datasets.Select(d => d.Key).Order(StringComparer.Ordinal));
        Assert.Contains("layers/pipeline/layers/gaussian_noise/vars", file["groups"]!.AsArray().Select(g => (string?)g));
        var pipeline = (Pipeline)model.GetLayer("pipeline");
        Assert.Equal(pipeline.Parameters.Single(p => p.Name == "out/kernel").Value.AsReadOnlySpan().ToArray(),
            datasets["layers/pipeline/layers/dense_1/vars/0"]!["values"]!.AsArray().Select(v => (float)(double)v!).ToArray());

        Model loaded = KerasFormat.LoadModel(path);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 4), seed: 7);
        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), loaded.Predict(x).AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void SaveModel_ActivityRegularizerOnThePipeline_IsRefusedNamingTheLayerBeforeWriting()
    {
        var model = new Sequential([new InputLayer(4), new Pipeline([new Dense(2)], name: "steps") { ActivityRegularizer = new L2(0.1) }], seed: 1);
        string path = Path.Combine(_folder, "pipeline-activity.keras");

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));

        // Keras' Pipeline(layers, name=None) would raise a TypeError on the activity_regularizer key.
        Assert.Contains("'steps' (Pipeline)", error.Message, StringComparison.Ordinal);
        Assert.Contains("activity regularizer", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }
}
