using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Keras' Pipeline in files (keras/src/layers/preprocessing/pipeline.py, keras/src/saving/saving_lib.py): get_config is
// {"layers": [serialized layers], "name"}; saving_lib walks the public attribute `layers` (the list the constructor got)
// before the private `_pipeline_layers` (the same objects, then skipped as visited), and a list's items are grouped by
// snake-case class name numbered by position: layers/pipeline/layers/dense, layers/pipeline/layers/dense_1, ...
public sealed partial class KerasFormatTests
{
    private static string PipelineItem(string name, params string[] layers) => $$$"""
        {"module": "keras.layers", "class_name": "Pipeline", "config": {"layers": [{{{string.Join(", ", layers)}}}], "name": "{{{name}}}"},
         "registered_name": null, "build_config": {"input_shape": [null, 4]}}
        """;

    // keras.Sequential([Input((4,)), Pipeline([GaussianNoise(0.1), Dense(3, relu), Dense(2)]), Dense(1)]).
    private static string PipelineModel()
    {
        JsonNode root = JsonNode.Parse(KerasConfigs.SequentialMlp)!;
        JsonArray layers = root["config"]!["layers"]!.AsArray();
        layers.RemoveAt(2);
        layers.RemoveAt(1);
        const string noise = """{"module": "keras.layers", "class_name": "GaussianNoise", "config": {"name": "gaussian_noise", "trainable": true, "dtype": "float32", "stddev": 0.1, "seed": null}, "registered_name": null}""";
        layers.Add(JsonNode.Parse(PipelineItem("pipeline", noise, KerasConfigs.Dense("dense", 3, "relu", 4), KerasConfigs.Dense("dense_1", 2, "linear", 3))));
        layers.Add(JsonNode.Parse(KerasConfigs.Dense("dense_2", 1, "linear", 2)));
        root.AsObject().Remove("compile_config");
        return root.ToJsonString();
    }

    private static readonly (string Path, string Tensor)[] s_pipelinePaths =
    [
        ("layers/pipeline/layers/dense/vars/0", "pipeline/dense/kernel"),
        ("layers/pipeline/layers/dense/vars/1", "pipeline/dense/bias"),
        ("layers/pipeline/layers/dense_1/vars/0", "pipeline/dense_1/kernel"),
        ("layers/pipeline/layers/dense_1/vars/1", "pipeline/dense_1/bias"),
        ("layers/dense/vars/0", "dense_2/kernel"),
        ("layers/dense/vars/1", "dense_2/bias"),
    ];

    [H5pyFact]
    public void LoadModel_KerasArchiveWithAPipeline_ReadsTheInnerWeightsFromTheirContainerGroups()
    {
        string config = PipelineModel();
        Model reference = Model.FromJson(config);
        var values = RandomValues(reference, s_pipelinePaths, seed: 5);
        string archive = WriteArchive("pipeline.keras", config,
            ["", "layers/pipeline", "layers/pipeline/layers/gaussian_noise", "layers/pipeline/layers/dense", "layers/pipeline/layers/dense_1", "layers/dense"],
            s_pipelinePaths.Select(p => (p.Path, values[p.Tensor])));

        Model model = KerasFormat.LoadModel(archive);

        var pipeline = (Pipeline)model.GetLayer("pipeline");
        Assert.Equal(["gaussian_noise", "dense", "dense_1"], pipeline.RunningLayers.Select(l => l.Name));
        foreach (var (_, tensor) in s_pipelinePaths)
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
            [new InputLayer(4), new Pipeline([new GaussianNoise(0.1), new Dense(3, ActivationFunction.Relu), new Dense(2)]), new Dense(1)], seed: 3);
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

        // Keras' from_config passes every key to Pipeline(layers, name=None): no trainable nor dtype.
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
        Assert.Equal(pipeline.Parameters.Single(p => p.Name == "dense_1/kernel").Value.AsReadOnlySpan().ToArray(),
            datasets["layers/pipeline/layers/dense_1/vars/0"]!["values"]!.AsArray().Select(v => (float)(double)v!).ToArray());

        Model loaded = KerasFormat.LoadModel(path);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 4), seed: 7);
        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), loaded.Predict(x).AsReadOnlySpan().ToArray());
    }
}
