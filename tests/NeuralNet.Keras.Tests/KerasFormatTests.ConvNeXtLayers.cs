using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Keras' LayerScale and StochasticDepth live in keras/src/applications/convnext.py, not exported: serialize_keras_object
// writes {"module": cls.__module__, "class_name": ..., "registered_name": cls.__name__} and _retrieve_class_or_fn imports
// the module to find them. StochasticDepth.__init__(drop_path_rate, **kwargs) passes the rest to Layer, which refuses "seed".
public sealed partial class KerasFormatTests
{
    [Fact]
    public void SaveModel_WithLayerScaleAndStochasticDepth_WritesConvNeXtModuleWithoutSeedAndLoadsBack()
    {
        var x = new Input(new TensorShape(5), "x");
        SymbolicTensor y = new Dense(4, name: "dense").Call(x);
        y = new LayerScale(0.5f, 4, name: "scale").Call(y);
        y = new StochasticDepth(0.25, seed: 3, name: "drop").Call(y);
        var model = new Functional(x, y, seed: 4);
        string path = Path.Combine(_folder, "convnext-layers.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Tensor input = Tensor.RandomNormal(new TensorShape(3, 5), seed: 2);
        Assert.Equal(model.Predict(input).ToArray(), loaded.Predict(input).ToArray());
        Assert.Equal(0.25, ((StochasticDepth)loaded.GetLayer("drop")).DropPathRate);
        using ZipArchive archive = ZipFile.OpenRead(path);
        using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
        JsonArray layers = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray();
        JsonObject Item(string name) => layers.Single(l => (string?)l!["config"]!["name"] == name)!.AsObject();
        Assert.Equal("keras.src.applications.convnext", (string?)Item("scale")["module"]);
        Assert.Equal("LayerScale", (string?)Item("scale")["registered_name"]);
        Assert.Equal("keras.src.applications.convnext", (string?)Item("drop")["module"]);
        Assert.Equal("StochasticDepth", (string?)Item("drop")["registered_name"]);
        Assert.DoesNotContain("seed", Item("drop")["config"]!.AsObject().Select(p => p.Key));
        Assert.Equal("keras.layers", (string?)Item("dense")["module"]);
        Assert.Null(Item("dense")["registered_name"]);
    }

    [Fact]
    public void LoadModel_KerasConfigWithConvNeXtLayers_ReadsLayerScaleAndStochasticDepth()
    {
        // config.json as Keras 3 writes x -> Dense(4) -> LayerScale(0.5, 4) -> StochasticDepth(0.25) built from convnext.py's classes.
        const string Policy = """{"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}""";
        static string Tensor(string layer) => $$$"""{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["{{{layer}}}", 0, 0]}}""";
        string config = $$$"""
            {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "functional", "trainable": true, "layers": [
              {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 5], "dtype": "float32", "sparse": false, "name": "x"},
               "registered_name": null, "name": "x", "inbound_nodes": []},
              {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "trainable": true, "dtype": {{{Policy}}}, "units": 4,
                 "activation": "linear", "use_bias": true,
                 "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
                 "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
                 "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null},
               "registered_name": null, "build_config": {"input_shape": [null, 5]}, "name": "dense",
               "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 5], "dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]},
              {"module": "keras.src.applications.convnext", "class_name": "LayerScale", "config": {"name": "scale", "trainable": true, "dtype": {{{Policy}}},
                 "init_values": 0.5, "projection_dim": 4},
               "registered_name": "LayerScale", "build_config": {"input_shape": [null, 4]}, "name": "scale",
               "inbound_nodes": [{"args": [{{{Tensor("dense")}}}], "kwargs": {}}]},
              {"module": "keras.src.applications.convnext", "class_name": "StochasticDepth", "config": {"name": "drop", "trainable": true, "dtype": {{{Policy}}},
                 "drop_path_rate": 0.25},
               "registered_name": "StochasticDepth", "build_config": {"input_shape": [null, 4]}, "name": "drop",
               "inbound_nodes": [{"args": [{{{Tensor("scale")}}}], "kwargs": {}}]}],
             "input_layers": [["x", 0, 0]], "output_layers": [["drop", 0, 0]]},
             "registered_name": "Functional", "build_config": {"input_shape": null}}
            """;

        Model model = NeuralNetModelFile.Architecture(config, "config.json");

        var scale = (LayerScale)model.GetLayer("scale");
        Assert.Equal(0.5f, scale.InitValues);
        Assert.Equal(4, scale.ProjectionDim);
        Assert.Equal(0.25, ((StochasticDepth)model.GetLayer("drop")).DropPathRate);
        Assert.Null(((StochasticDepth)model.GetLayer("drop")).DrawSeed);
    }
}
