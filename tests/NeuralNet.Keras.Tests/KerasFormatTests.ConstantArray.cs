using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Keras.Tests;

// keras.io's PointNet: Dense(k * k, bias_initializer=keras.initializers.Constant(np.eye(k).flatten())); Keras 3 writes the
// value as serialize_keras_object writes a NumPy array, {"class_name": "__numpy__", "config": {"value": [...], "dtype"}}.
// And a model compiled without a loss (compile(optimizer)): Keras writes "loss": null in its compile_config.
public sealed partial class KerasFormatTests
{
    [Fact]
    public void SaveModel_ConstantArrayBias_WritesKerasNumPyValue_AndLoadsBack()
    {
        float[] eye = [1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f];
        var model = new Sequential([new InputLayer(4), new Dense(9, biasInitializer: new Constant(eye), name: "transform")], seed: 3);
        model.Compile(new Adam());
        string path = Path.Combine(_folder, "constant-array.keras");
        KerasFormat.SaveModel(model, path);

        JsonObject config;
        using (ZipArchive zip = ZipFile.OpenRead(path))
        using (var reader = new StreamReader(zip.GetEntry("config.json")!.Open()))
        {
            config = JsonNode.Parse(reader.ReadToEnd())!.AsObject();
        }

        JsonNode bias = config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["config"]!["name"] == "transform")!["config"]!["bias_initializer"]!;
        Assert.Equal("keras.initializers", (string?)bias["module"]);
        Assert.Equal("__numpy__", (string?)bias["config"]!["value"]!["class_name"]);
        Assert.Equal(eye, bias["config"]!["value"]!["config"]!["value"]!.AsArray().Select(v => (float)(double)v!).ToArray());
        Assert.True(config["compile_config"]!.AsObject().ContainsKey("loss"));
        Assert.Null(config["compile_config"]!["loss"]);

        Model loaded = KerasFormat.LoadModel(path);
        var constant = Assert.IsType<Constant>(((Dense)loaded.GetLayer("transform")).BiasInitializer);
        Assert.Equal(eye, constant.Values!.ToArray());
        Assert.True(loaded.IsCompiled);
        Assert.Equal([null], loaded.Losses);
    }
}
