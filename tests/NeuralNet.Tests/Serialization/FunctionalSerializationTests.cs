using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.Models;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Serialization;

public class FunctionalSerializationTests
{
    /// <summary>Two inputs, a shared layer called twice, a residual Add, a custom registered layer, two outputs.</summary>
    internal static Functional GraphModel(long seed = 5)
    {
        Scale.EnsureRegistered();
        var a = new Input(new TensorShape(5), "a");
        var b = new Input(new TensorShape(5), "b");
        var shared = new Dense(6, ActivationFunction.Tanh, kernelRegularizer: new L2(0.01), name: "shared");
        SymbolicTensor ea = shared.Call(a);
        SymbolicTensor eb = shared.Call(new Scale(0.001, name: "scale").Call(b));
        SymbolicTensor sum = new Add(name: "sum").Call(ea, new Dense(6, ActivationFunction.Relu, name: "branch").Call(eb));
        SymbolicTensor joined = new Concatenate(name: "joined").Call(sum, eb);
        SymbolicTensor pair = new Dense(2, ActivationFunction.Softmax, name: "pair").Call(new Dropout(0.2, name: "drop").Call(joined));
        SymbolicTensor first = new Dense(1, name: "first").Call(new Dot(1, normalize: true, name: "cosine").Call(ea, eb));
        return new Functional([a, b], [pair, first], name: "graph", seed: seed);
    }

    private static Functional CompiledGraphModel(long seed = 5)
    {
        HandWrittenMae.EnsureRegistered();
        Functional model = GraphModel(seed);
        model.Compile(new Adam(0.01f), new Dictionary<string, Loss> { ["pair"] = new CategoricalCrossEntropy(), ["first"] = new MeanSquaredError() },
            new Dictionary<string, float> { ["first"] = 0.5f },
            new Dictionary<string, IReadOnlyList<Metric>> { ["pair"] = [new Accuracy()], ["first"] = [new HandWrittenMae()] });
        return model;
    }

    [Fact]
    public void SaveLoad_GraphWithSharedLayersAndCustomTypes_RoundTripsBitForBit()
    {
        using var dir = new TempDirectory();
        string path = dir.File("graph.safetensors");
        Functional model = CompiledGraphModel();
        var (a, b, pair, first) = FunctionalTests.SiameseData(24, 3);
        model.Fit([a, b], [pair, first], epochs: 2, batchSize: 8, verbose: 0);
        model.Save(path);

        Functional loaded = Functional.Load(path);

        Assert.Equal(model.Layers.Select(l => $"{l.Name}:{l.GetType().Name}"), loaded.Layers.Select(l => $"{l.Name}:{l.GetType().Name}"));
        Assert.Equal(model.Summary(), loaded.Summary());
        IReadOnlyList<Tensor> expected = model.PredictOutputs([a, b]), actual = loaded.PredictOutputs([a, b]);
        Assert.Equal(Bits(expected[0]), Bits(actual[0]));
        Assert.Equal(Bits(expected[1]), Bits(actual[1]));
        Assert.IsType<HandWrittenMae>(loaded.Metrics[1]);
        Assert.Equal([1f, 0.5f], loaded.LossWeights!);

        // Training continues exactly: optimizer state, Fit count and both dropout streams were saved.
        History continued = model.Fit([a, b], [pair, first], epochs: 1, batchSize: 8, verbose: 0);
        History resumed = loaded.Fit([a, b], [pair, first], epochs: 1, batchSize: 8, verbose: 0);
        Assert.Equal(continued["loss"], resumed["loss"]);
        Assert.Equal(continued["first_mae"], resumed["first_mae"]);
        for (int i = 0; i < model.Parameters.Count; i++)
        {
            Assert.Equal(Bits(model.Parameters[i].Value), Bits(loaded.Parameters[i].Value));
        }
    }

    [Fact]
    public void Save_Functional_WritesKerasFunctionalConfig()
    {
        Functional model = GraphModel();
        var (_, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        JsonNode root = JsonNode.Parse(metadata[ModelSerializer.ModelConfigKey])!;

        Assert.Equal("Functional", (string?)root["class_name"]);
        JsonArray layers = root["config"]!["layers"]!.AsArray();
        JsonObject shared = layers.Single(l => (string?)l!["name"] == "shared")!.AsObject();
        JsonArray nodes = shared["inbound_nodes"]!.AsArray();
        Assert.Equal(2, nodes.Count);
        Assert.Equal("""["a",0,0]""", nodes[0]!["args"]![0]!["config"]!["keras_history"]!.ToJsonString());
        Assert.Equal("""["scale",0,0]""", nodes[1]!["args"]![0]!["config"]!["keras_history"]!.ToJsonString());
        JsonObject sum = layers.Single(l => (string?)l!["name"] == "sum")!.AsObject();
        Assert.Equal("""[{"class_name":"__keras_tensor__","config":{"shape":[null,6],"dtype":"float32","keras_history":["shared",0,0]}},{"class_name":"__keras_tensor__","config":{"shape":[null,6],"dtype":"float32","keras_history":["branch",0,0]}}]""",
            sum["inbound_nodes"]![0]!["args"]![0]!.ToJsonString());
        JsonObject scale = layers.Single(l => (string?)l!["name"] == "scale")!.AsObject();
        Assert.Equal("Scale", (string?)scale["class_name"]);
        Assert.Equal("Tests>Scale", (string?)scale["registered_name"]);
        Assert.Equal("""[["a",0,0],["b",0,0]]""", root["config"]!["input_layers"]!.ToJsonString());
        Assert.Equal("""[["pair",0,0],["first",0,0]]""", root["config"]!["output_layers"]!.ToJsonString());
    }

    [Fact]
    public void Load_KerasSingleTripleForInputAndOutputLayers_Reads()
    {
        var x = new Input(new TensorShape(3), "x");
        var model = new Functional(x, new Dense(2, name: "d").Call(x), seed: 1);
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 3), 1);
        byte[] file = Rewrite(model, config =>
        {
            config["config"]!["input_layers"] = JsonNode.Parse("""["x",0,0]""");
            config["config"]!["output_layers"] = JsonNode.Parse("""["d",0,0]""");
        });

        Model loaded = Model.Load(new MemoryStream(file), "single.model");
        Assert.Equal(Bits(model.Predict(input)), Bits(loaded.Predict(input)));
    }

    [Fact]
    public void Save_UnregisteredCustomLayer_ThrowsNotSupportedAndLeavesTheFileAlone()
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.safetensors");
        File.WriteAllText(path, "previous");
        var x = new Input(new TensorShape(3), "x");
        var model = new Functional(x, new Dense(2).Call(new UnregisteredDouble().Call(x)));

        var ex = Assert.Throws<NotSupportedException>(() => model.Save(path));
        Assert.Contains("UnregisteredDouble: it is not registered", ex.Message, StringComparison.Ordinal);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal(["m.safetensors"], dir.Entries());
        model.SaveWeights(dir.File("weights.safetensors"));
    }

    [Theory]
    [InlineData("\"class_name\":\"Add\"", "\"class_name\":\"Add3D\"", "layer 5 ('sum', Add3D): unknown layer class \"Add3D\"")]
    [InlineData("\"keras_history\":[\"branch\",0,0]", "\"keras_history\":[\"nowhere\",0,0]", "reads [\"nowhere\", 0, 0], which no layer of the file produces")]
    [InlineData("\"keras_history\":[\"branch\",0,0]", "\"keras_history\":[\"branch\",1,0]", "reads [\"branch\", 1, 0], which no layer of the file produces")]
    [InlineData("\"keras_history\":[\"branch\",0,0]", "\"keras_history\":[\"branch\",0,1]", "names output 1 of a call that has 1 output(s)")]
    [InlineData("\"keras_history\":[\"branch\",0,0]", "\"keras_history\":[\"sum\",0,0]", "which no layer of the file produces (or only through a cycle)")]
    [InlineData("\"output_layers\":[[\"pair\",0,0],[\"first\",0,0]]", "\"output_layers\":[[\"pair\",0,0],[\"first\",3,0]]", "\"output_layers\" names [\"first\", 3, 0]")]
    [InlineData("\"output_layers\":[[\"pair\",0,0],[\"first\",0,0]]", "\"output_layers\":[[\"pair\",0,0]]", "is not between the model's inputs and outputs")]
    [InlineData("\"input_layers\":[[\"a\",0,0],[\"b\",0,0]]", "\"input_layers\":[[\"a\",0,0]]", "depends on input 'b', which is not among the model's inputs")]
    [InlineData("\"inbound_nodes\":[]", "\"inbound_nodes\":{}", "\"inbound_nodes\" must be an array")]
    [InlineData("{\"class_name\":\"Functional\"", "{\"class_name\":\"Functional3\"", "the model class is \"Functional3\"")]
    [InlineData("\"name\":\"joined\",\"inbound_nodes\"", "\"name\":\"joint\",\"inbound_nodes\"", "\"name\" is \"joint\" but the layer's config names it \"joined\"")]
    public void Load_BrokenFunctionalConfig_ThrowsInvalidDataNamingFileAndProblem(string find, string replace, string expected)
    {
        Functional model = GraphModel();
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        Assert.Contains(find, metadata[ModelSerializer.ModelConfigKey], StringComparison.Ordinal);
        metadata[ModelSerializer.ModelConfigKey] = metadata[ModelSerializer.ModelConfigKey].Replace(find, replace, StringComparison.Ordinal);
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(stream, "broken.model"));

        Assert.StartsWith("'broken.model': ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FunctionalAsSequential_ThrowsNamingTheKind()
    {
        using var stream = new MemoryStream();
        var (tensors, metadata) = ModelSerializer.DescribeModel(GraphModel(), includeTraining: false);
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;
        var ex = Assert.Throws<InvalidDataException>(() => Sequential.Load(stream, "graph.model"));
        Assert.Contains("the file holds a Functional model, not a Sequential", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CompileConfigRepeatingAMetric_LogsKerasSuffixedNames()
    {
        // Keras' CompileMetrics.result() logs a repeated name with _1; a file Keras wrote that way loads.
        var model = new Sequential([new InputLayer(3), new Dense(2, ActivationFunction.Softmax)]);
        model.Compile(new Sgd(), new CategoricalCrossEntropy(), new Accuracy());
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        metadata[ModelSerializer.CompileConfigKey] = metadata[ModelSerializer.CompileConfigKey].Replace("[\"accuracy\"]", "[\"accuracy\",\"accuracy\"]", StringComparison.Ordinal);
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;
        Model loaded = Model.Load(stream, "twice.model");
        Assert.Equal(["accuracy", "accuracy"], loaded.Metrics.Select(m => m.Name));
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 3), seed: 1);
        Tensor y = Tensor.FromArray([1f, 0f, 0f, 1f, 1f, 0f, 0f, 1f], 4, 2);
        Assert.Equal(["accuracy", "accuracy_1", "loss"], loaded.Fit(x, y, verbose: 0).Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("\"name\":\"d\"", "\"name\":\"\\ud800\"")]
    [InlineData("\"units\":2", "\"units\":2,\"units\":3")]
    [InlineData("\"name\":\"d\"", "\"\\ud800\":1,\"name\":\"d\"")]
    public void Load_InvalidEscapesOrRepeatedKeys_ThrowsInvalidData(string find, string replace)
    {
        var x = new Input(new TensorShape(3), "x");
        var model = new Functional(x, new Dense(2, name: "d").Call(x));
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        metadata[ModelSerializer.ModelConfigKey] = metadata[ModelSerializer.ModelConfigKey].Replace(find, replace, StringComparison.Ordinal);
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;
        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(stream, "escapes.model"));
        Assert.StartsWith("'escapes.model': ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Registry_SameNameForAnotherType_Throws()
    {
        Scale.EnsureRegistered();
        Assert.Equal("Tests>Scale", SerializationRegistry.GetRegisteredName(typeof(Scale)));
        Assert.Equal("Dense", SerializationRegistry.GetRegisteredName(typeof(Dense)));
        Assert.Throws<ArgumentException>(() => SerializationRegistry.Register("Tests>Scale", _ => new UnregisteredDouble()));
        Assert.Throws<ArgumentException>(() => SerializationRegistry.Register("Dense", _ => new UnregisteredDouble()));
        Assert.Throws<ArgumentException>(() => SerializationRegistry.Register<Layer>("Tests>Abstract", _ => new UnregisteredDouble()));
        Assert.Null(SerializationRegistry.GetRegisteredName(typeof(UnregisteredDouble)));
    }

    [Fact]
    public void GetConfig_EveryBuiltInLayer_RecreatesAnEqualConfig()
    {
        Layer[] layers =
        [
            new Dense(3, new LeakyRelu(0.1f), new NeuralNet.Initializers.HeNormal(4), new NeuralNet.Initializers.Constant(0.5f), new L1(0.01), new L1L2(0.1, 0.2), useBias: true, name: "d"),
            new Conv2D(4, (2, 3), (1, 2), Padding.Same, activation: ActivationFunction.Relu, useBias: false, name: "c"),
            new BatchNormalization(0.9f, 1e-2f, center: false, name: "bn"), new Dropout(0.3, seed: 4, name: "do"), new Flatten(name: "f"),
            new MaxPooling2D(3, 2, Padding.Same, name: "mp"), new AveragePooling2D(2, name: "ap"), new GlobalAveragePooling2D(name: "gap"),
            new Activation(new Elu(0.5f), name: "act"), new Add(name: "add"), new Subtract(name: "sub"), new Multiply(name: "mul"),
            new Average(name: "avg"), new Maximum(name: "max"), new Minimum(name: "min"), new Concatenate(2, name: "cat"),
            new Dot((1, 2), normalize: true, name: "dot"), new Reshape([2, -1], "rs"), new Permute([2, 1], "pm"), new RepeatVector(3, "rv"),
            new Identity(name: "id"), new InputLayer(new TensorShape(4, 2), "in"),
        ];

        foreach (Layer layer in layers)
        {
            Layer copy = SerializationRegistry.Recreate(layer);
            Assert.IsType(layer.GetType(), copy);
            Assert.Equal(layer.GetConfig().ToJson(), copy.GetConfig().ToJson());
        }
    }

    private static byte[] Rewrite(Model model, Action<JsonNode> edit)
    {
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        JsonNode config = JsonNode.Parse(metadata[ModelSerializer.ModelConfigKey])!;
        edit(config);
        metadata[ModelSerializer.ModelConfigKey] = config.ToJsonString();
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    [Fact]
    public void Load_KerasListFormCompileConfig_MapsListPositionsToOutputs()
    {
        // Keras keeps compile(loss=[...], loss_weights=[...], metrics=[[...], [...]]) as lists, one entry per output.
        Functional model = CompiledGraphModel();
        Model loaded = LoadWithCompile(model, """
            {"optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.01}},
             "loss": ["categorical_crossentropy", {"class_name": "MeanSquaredError", "config": {}}],
             "loss_weights": [1.0, 0.25],
             "metrics": [["accuracy"], null]}
            """);

        Assert.IsType<CategoricalCrossEntropy>(loaded.Losses[0]);
        Assert.IsType<MeanSquaredError>(loaded.Losses[1]);
        Assert.Equal([1f, 0.25f], loaded.LossWeights!);
        Assert.IsType<Accuracy>(Assert.Single(loaded.Metrics));

        Model oneLoss = LoadWithCompile(model, """{"optimizer": {"class_name": "Adam", "config": {}}, "loss": [null, "mse"]}""");
        Assert.Null(oneLoss.Losses[0]);
        Assert.IsType<MeanSquaredError>(oneLoss.Losses[1]);

        var ex = Assert.Throws<InvalidDataException>(() => LoadWithCompile(model, """{"optimizer": {"class_name": "Adam", "config": {}}, "loss": ["mse"]}"""));
        Assert.Contains("\"loss\" is a list of 1, but the model has 2 outputs (pair, first)", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<InvalidDataException>(() => LoadWithCompile(model, """{"optimizer": {"class_name": "Adam", "config": {}}, "loss": "mse", "loss_weights": [1.0, "x"]}"""));
        Assert.Contains("\"loss_weights\"[1] must be a number", ex.Message, StringComparison.Ordinal);
    }

    private static Model LoadWithCompile(Model model, string compileConfig)
    {
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        metadata[ModelSerializer.CompileConfigKey] = JsonNode.Parse(compileConfig)!.ToJsonString();
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;
        return Model.Load(stream, "keras-compile.model");
    }
}
