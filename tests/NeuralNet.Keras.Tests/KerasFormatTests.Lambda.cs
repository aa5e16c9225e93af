using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Keras 3's Lambda in a .keras archive (keras/src/layers/core/lambda_layer.py): get_config writes "function" as
// serialize_keras_object writes a registered function, "arguments" always, "output_shape" when given; from_config passes
// every key to Lambda(function, output_shape, mask, arguments, **kwargs), whose Layer.__init__ refuses unknown keywords,
// so NeuralNet keeps its gradient function inside the function's item, which deserialize_keras_object reads only
// "class_name", "config", "module" and "registered_name" of.
public sealed partial class KerasFormatTests
{
    private static readonly Func<IReadOnlyList<Tensor>, Tensor> s_distance = LambdaDistance;
    private static readonly Func<IReadOnlyList<Tensor>, Tensor, Tensor, IReadOnlyList<Tensor?>> s_distanceGradient = LambdaDistanceGradient;
    private static readonly Lazy<bool> s_lambdaFunctions = new(() =>
    {
        SerializationRegistry.RegisterFunction("NeuralNet.Keras.Tests>euclidean_distance", s_distance);
        SerializationRegistry.RegisterFunction("NeuralNet.Keras.Tests>euclidean_distance_gradient", s_distanceGradient);
        return true;
    });

    [Fact]
    public void SaveModel_SiameseModelWithLambda_WritesKerasLambdaConfigAndLoadsBackWithItsGradient()
    {
        Assert.True(s_lambdaFunctions.Value);
        var left = new Input(new TensorShape(5), "left");
        var right = new Input(new TensorShape(5), "right");
        var tower = new Dense(3, ActivationFunction.Tanh, name: "tower");
        SymbolicTensor distance = new Lambda(s_distance, s_distanceGradient, outputShape: [1], name: "distance").Call(tower.Call(left), tower.Call(right));
        var model = new Functional([left, right], new Dense(1, ActivationFunction.Sigmoid, name: "similar").Call(distance), seed: 7);
        string path = Path.Combine(_folder, "siamese.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Tensor a = Tensor.RandomNormal(new TensorShape(4, 5), seed: 8), b = Tensor.RandomNormal(new TensorShape(4, 5), seed: 9);
        Assert.Equal(model.Predict([a, b]).ToArray(), loaded.Predict([a, b]).ToArray());
        var lambda = (Lambda)loaded.GetLayer("distance");
        Assert.Equal<Delegate?>(s_distanceGradient, lambda.Gradient);

        using ZipArchive archive = ZipFile.OpenRead(path);
        using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
        JsonArray layers = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray();
        JsonObject item = layers.Single(l => (string?)l!["config"]!["name"] == "distance")!.AsObject();
        Assert.Equal("keras.layers", (string?)item["module"]);
        Assert.Equal("Lambda", (string?)item["class_name"]);
        var config = item["config"]!.AsObject();
        Assert.Contains("output_shape", config.Select(p => p.Key));
        Assert.DoesNotContain("gradient", config.Select(p => p.Key));
        Assert.Equal("NeuralNet.Keras.Tests>euclidean_distance", (string?)config["function"]!["config"]);
        Assert.Equal("builtins", (string?)config["function"]!["module"]);
        Assert.Equal("NeuralNet.Keras.Tests>euclidean_distance_gradient", (string?)config["function"]!["gradient"]!["config"]);
        Assert.Equal("{}", config["arguments"]!.ToJsonString());

        // Keras calls a Lambda on two tensors with their list as its one positional argument.
        Assert.Equal(2, item["inbound_nodes"]![0]!["args"]![0]!.AsArray().Count);
    }

    [Fact]
    public void LoadModel_KerasLambdaConfig_ReadsRegisteredFunctionAndRefusesPythonLambda()
    {
        Assert.True(s_lambdaFunctions.Value);
        const string Policy = """{"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}""";
        static string KerasTensor(string layer) => $$$"""{"class_name": "__keras_tensor__", "config": {"shape": [null, 5], "dtype": "float32", "keras_history": ["{{{layer}}}", 0, 0]}}""";
        static string Config(string function) => $$$"""
            {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "functional", "trainable": true, "layers": [
              {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 5], "dtype": "float32", "sparse": false, "name": "a"},
               "registered_name": null, "name": "a", "inbound_nodes": []},
              {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 5], "dtype": "float32", "sparse": false, "name": "b"},
               "registered_name": null, "name": "b", "inbound_nodes": []},
              {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "distance", "trainable": true, "dtype": {{{Policy}}},
                 "function": {{{function}}}, "arguments": {}},
               "registered_name": null, "name": "distance",
               "inbound_nodes": [{"args": [[{{{KerasTensor("a")}}}, {{{KerasTensor("b")}}}]], "kwargs": {}}]}],
             "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["distance", 0, 0]]},
             "registered_name": "Functional", "build_config": {"input_shape": null}}
            """;

        // As Keras 3.7+ writes a function registered with @register_keras_serializable(package="NeuralNet.Keras.Tests").
        Model model = NeuralNetModelFile.Architecture(
            Config("""{"module": "builtins", "class_name": "function", "config": "NeuralNet.Keras.Tests>euclidean_distance", "registered_name": "function"}"""), "config.json");
        var lambda = (Lambda)model.GetLayer("distance");
        Assert.Equal(new TensorShape(1), lambda.OutputShape);
        Assert.Null(lambda.Gradient);
        Tensor x = Tensor.FromArray([3f, 4, 0, 0, 0], 1, 5), zero = new(1, 5);
        Assert.Equal([5f], model.Predict([x, zero]).ToArray());

        var ex = Assert.Throws<InvalidDataException>(() => NeuralNetModelFile.Architecture(
            Config("""{"class_name": "__lambda__", "config": {"code": "4wEAAAAAAAAA", "defaults": null, "closure": null}}"""), "config.json"));
        Assert.Contains("Lambda 'distance'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Python lambda", ex.Message, StringComparison.Ordinal);
    }

    private static Tensor LambdaDistance(IReadOnlyList<Tensor> v)
    {
        Tensor difference = v[0] - v[1];
        int rows = difference.Shape[0], width = difference.Length / rows;
        var result = new Tensor(rows, 1);
        for (int row = 0; row < rows; row++)
        {
            float sum = 0;
            for (int j = 0; j < width; j++)
            {
                sum += difference[row, j] * difference[row, j];
            }

            result[row, 0] = MathF.Sqrt(MathF.Max(sum, 1e-7f));
        }

        return result;
    }

    private static IReadOnlyList<Tensor?> LambdaDistanceGradient(IReadOnlyList<Tensor> v, Tensor distance, Tensor g)
    {
        Tensor da = v[0] - v[1];
        int rows = da.Shape[0], width = da.Length / rows;
        for (int row = 0; row < rows; row++)
        {
            for (int j = 0; j < width; j++)
            {
                da[row, j] *= g[row, 0] / distance[row, 0];
            }
        }

        return [da, -da];
    }
}
