using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

// Keras 3's Lambda.get_config / from_config (keras/src/layers/core/lambda_layer.py): "function" is the registered function
// as serialize_keras_object writes it, "output_shape" when given, "mask" when given, "arguments" always; a Python lambda
// ("__lambda__") loads only in Python. NeuralNet writes its gradient function inside the function's item.
public class LambdaSerializationTests
{
    public LambdaSerializationTests() => LambdaFunctions.Register();

    [Fact]
    public void GetConfig_RegisteredFunctions_WritesKerasKeysAndTheGradientInsideTheFunctionItem()
    {
        var layer = new Lambda(LambdaFunctions.DistanceFunction, LambdaFunctions.DistanceGradientFunction, outputShape: [1], name: "distance");

        JsonObject config = layer.GetConfig().Json;

        var function = config["function"]!.AsObject();
        Assert.Equal(["module", "class_name", "config", "registered_name", "gradient"], function.Select(p => p.Key));
        Assert.Equal("builtins", (string?)function["module"]);
        Assert.Equal("function", (string?)function["class_name"]);
        Assert.Equal("NeuralNet.Tests>euclidean_distance", (string?)function["config"]);
        Assert.Equal("function", (string?)function["registered_name"]);
        Assert.Equal("NeuralNet.Tests>euclidean_distance_gradient", (string?)function["gradient"]!["config"]);
        Assert.Equal("builtins", (string?)function["gradient"]!["module"]);
        Assert.Equal("[1]", config["output_shape"]!.ToJsonString());
        Assert.Equal("{}", config["arguments"]!.ToJsonString());
        Assert.False(config.ContainsKey("mask"));
        Assert.False(config.ContainsKey("gradient"));
    }

    [Fact]
    public void Save_UnregisteredFunction_ThrowsNotSupportedNamingTheLayerAndWritesNothing()
    {
        var model = new Sequential([new InputLayer(3), new Lambda(x => x * 2f, name: "twice"), new Dense(1)]);
        string path = Path.Combine(Path.GetTempPath(), $"lambda-unregistered-{Guid.NewGuid():N}.safetensors");

        var ex = Assert.Throws<NotSupportedException>(() => model.Save(path));

        Assert.Contains("Lambda 'twice'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RegisterFunction", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));

        // A registered function with an unregistered gradient is refused too.
        var gradientOnly = new Sequential([new InputLayer(3), new Lambda(LambdaFunctions.SquareFunction, (x, y, g) => g, name: "sq"), new Dense(1)]);
        ex = Assert.Throws<NotSupportedException>(() => gradientOnly.Save(path));
        Assert.Contains("Lambda 'sq'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("gradient", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveAndLoad_SiameseModelWithRegisteredFunctions_PredictsTheSameAndTrainsOn()
    {
        var left = new Input(new TensorShape(6), "left");
        var right = new Input(new TensorShape(6), "right");
        var tower = new Dense(4, ActivationFunction.Tanh, name: "tower");
        SymbolicTensor distance = new Lambda(LambdaFunctions.DistanceFunction, LambdaFunctions.DistanceGradientFunction, name: "distance")
            .Call(tower.Call(left), tower.Call(right));
        var model = new Functional([left, right], new Dense(1, ActivationFunction.Sigmoid, name: "similar").Call(distance), seed: 5);
        Tensor a = TestData.Normal(20, 1f, 7, 6), b = TestData.Normal(21, 1f, 7, 6);
        string path = Path.Combine(Path.GetTempPath(), $"lambda-siamese-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);

            Assert.Equal(model.Predict([a, b]).ToArray(), loaded.Predict([a, b]).ToArray());
            var lambda = Assert.IsType<Lambda>(loaded.GetLayer("distance"));
            Assert.True(lambda.TakesList);
            Assert.Equal<Delegate?>(LambdaFunctions.DistanceGradientFunction, lambda.Gradient);

            // The gradient came back: the loaded model trains through the Lambda into the shared tower.
            ModelGradientChecker.Check(loaded, [a, b], seed: 9).AssertPassed(maxKinkFraction: 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SaveAndLoad_SequentialWithOneInputLambda_PredictsTheSame()
    {
        var model = new Sequential([new InputLayer(3), new Dense(4), new Lambda(LambdaFunctions.SquareFunction, LambdaFunctions.SquareGradientFunction, outputShape: [4]), new Dense(2)], seed: 6);
        Tensor x = TestData.Normal(22, 1f, 5, 3);
        string path = Path.Combine(Path.GetTempPath(), $"lambda-sequential-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);

            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
            var lambda = Assert.IsType<Lambda>(loaded.Layers.Single(l => l is Lambda));
            Assert.False(lambda.TakesList);
            Assert.Equal(new int?[] { 4 }, lambda.DeclaredOutputShape);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("""{"class_name": "__lambda__", "config": {"code": "abc", "defaults": null, "closure": null}}""", "", "Python lambda")]
    [InlineData("""{"module": "builtins", "class_name": "function", "config": "NeuralNet.Tests>not_there", "registered_name": "function"}""", "", "not registered")]
    [InlineData("""{"module": "builtins", "class_name": "function", "config": "NeuralNet.Tests>square", "registered_name": "function"}""", """, "mask": {"module": "builtins", "class_name": "function", "config": "m", "registered_name": "function"}""", "\"mask\"")]
    [InlineData("""{"module": "builtins", "class_name": "function", "config": "NeuralNet.Tests>square", "registered_name": "function"}""", """, "arguments": {"scale": 2}""", "\"arguments\"")]
    [InlineData("""{"module": "builtins", "class_name": "function", "config": "NeuralNet.Tests>square", "registered_name": "function"}""", """, "output_shape": {"class_name": "__lambda__", "config": {}}""", "\"output_shape\"")]
    [InlineData("""{"module": "builtins", "class_name": "function", "config": "NeuralNet.Tests>square", "registered_name": "function", "gradient": {"module": "builtins", "class_name": "function", "config": "NeuralNet.Tests>euclidean_distance_gradient", "registered_name": "function"}}""", "", "does not fit")]
    [InlineData("""{"module": "builtins", "class_name": "function", "config": "NeuralNet.Tests>square_gradient", "registered_name": "function"}""", "", "Func<Tensor, Tensor>")]
    public void FromConfig_UnloadableLambda_ThrowsInvalidDataNamingTheProblem(string function, string more, string expected)
    {
        var config = Config.Wrap((JsonObject)JsonNode.Parse($$"""{"name": "lam", "trainable": true, "dtype": "float32", "function": {{function}}{{more}}}""")!, "test", "lam");

        var ex = Assert.Throws<InvalidDataException>(() => Lambda.FromConfig(config));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_KerasConfigWithEmptyArgumentsAndOutputShape_CreatesTheLayer()
    {
        // As Keras 3 writes Lambda(euclidean_distance, output_shape=(1,)) for a function registered in package NeuralNet.Tests.
        var config = Config.Wrap((JsonObject)JsonNode.Parse("""
            {"name": "lambda", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
             "function": {"module": "builtins", "class_name": "function", "config": "NeuralNet.Tests>euclidean_distance", "registered_name": "function"},
             "output_shape": [1], "arguments": {}}
            """)!, "test", "lambda");

        Lambda layer = Lambda.FromConfig(config);

        Assert.True(layer.TakesList);
        Assert.Null(layer.Gradient);
        Assert.Equal(new int?[] { 1 }, layer.DeclaredOutputShape);
    }
}
