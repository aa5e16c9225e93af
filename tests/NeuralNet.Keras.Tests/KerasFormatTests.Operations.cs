using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// Keras operations in functional graphs (<c>x * 0.5</c>, <c>1 - x</c>, <c>ops.mean(x, axis=1)</c>, ...), in the form
/// Keras 3's Functional.get_config writes them (keras/src/models/functional.py serialize_node keeps constant arguments
/// as they were passed; each op's config is its constructor arguments, keras/src/ops/operation.py _auto_config).
/// </summary>
public sealed partial class KerasFormatTests
{
    // An operation item of a functional config, called once on args.
    private static string OperationItem(string module, string className, string name, string config, string args) => $$$"""
        {"module": "{{{module}}}", "class_name": "{{{className}}}", "config": {"name": "{{{name}}}"{{{(config.Length == 0 ? "" : ", " + config)}}}},
         "registered_name": "{{{className}}}", "name": "{{{name}}}", "inbound_nodes": [{"args": [{{{args}}}], "kwargs": {}}]}
        """;

    private static string Numpy(string className, string name, string config, string args) => OperationItem("keras.src.ops.numpy", className, name, config, args);

    private static string FunctionalOf(string inputs, string outputs, params string[] items) => $$$"""
        {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "ops_model", "trainable": true,
          "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 2, 3], "dtype": "float32", "sparse": false,
             "ragged": false, "name": "x", "optional": false}, "registered_name": null, "name": "x", "inbound_nodes": []},
            {{{string.Join(",\n", items)}}}],
          "input_layers": {{{inputs}}}, "output_layers": {{{outputs}}}},
         "registered_name": "Functional", "build_config": {"input_shape": null}}
        """;

    // x (None, 2, 3); y = reshape(transpose(relu(concatenate([square(x), expand_dims(mean(x * 0.5 + (1 - x), axis=1), 1)],
    // axis=1)), [0, 2, 1]), (-1, 9)); z = max(x, axis=-1, keepdims=True).
    private static readonly string s_operationsModel = FunctionalOf("[[\"x\", 0, 0]]", "[[\"reshape\", 0, 0], [\"max\", 0, 0]]",
        Numpy("Multiply", "multiply", "", $"{KerasConfigs.Tensor("x", 2, 3)}, 0.5"),
        Numpy("Subtract", "subtract", "", $"1, {KerasConfigs.Tensor("x", 2, 3)}"),
        Numpy("Add", "add", "", $"{KerasConfigs.Tensor("multiply", 2, 3)}, {KerasConfigs.Tensor("subtract", 2, 3)}"),
        Numpy("Mean", "mean", "\"axis\": 1, \"keepdims\": false", KerasConfigs.Tensor("add", 2, 3)),
        Numpy("Square", "square", "", KerasConfigs.Tensor("x", 2, 3)),
        Numpy("ExpandDims", "expand_dims", "\"axis\": 1", KerasConfigs.Tensor("mean", 3)),
        Numpy("Concatenate", "concatenate", "\"axis\": 1", $"[{KerasConfigs.Tensor("square", 2, 3)}, {KerasConfigs.Tensor("expand_dims", 1, 3)}]"),
        OperationItem("keras.src.ops.nn", "Relu", "relu", "", KerasConfigs.Tensor("concatenate", 3, 3)),
        Numpy("Transpose", "transpose", "\"axes\": [0, 2, 1]", KerasConfigs.Tensor("relu", 3, 3)),
        Numpy("Reshape", "reshape", "\"newshape\": [-1, 9]", KerasConfigs.Tensor("transpose", 3, 3)),
        Numpy("Max", "max", "\"axis\": -1, \"keepdims\": true, \"initial\": null", KerasConfigs.Tensor("x", 2, 3)));

    // The same computation written out from NumPy's definitions, one sample of (2, 3) at a time.
    private static (float[] Y, float[] Z) OperationsModelByHand(float[] x)
    {
        int batch = x.Length / 6;
        var y = new float[batch * 9];
        var z = new float[batch * 2];
        for (int b = 0; b < batch; b++)
        {
            float At(int i, int j) => x[(b * 6) + (i * 3) + j];
            for (int j = 0; j < 3; j++)
            {
                float mean = ((At(0, j) * 0.5f) + (1 - At(0, j)) + (At(1, j) * 0.5f) + (1 - At(1, j))) / 2;
                float[] column = [At(0, j) * At(0, j), At(1, j) * At(1, j), mean];
                for (int i = 0; i < 3; i++)
                {
                    // transpose then reshape: output (j, i) is concatenate's (i, j).
                    y[(b * 9) + (j * 3) + i] = MathF.Max(0f, column[i]);
                }
            }

            for (int i = 0; i < 2; i++)
            {
                z[(b * 2) + i] = MathF.Max(At(i, 0), MathF.Max(At(i, 1), At(i, 2)));
            }
        }

        return (y, z);
    }

    [H5pyFact]
    public void LoadModel_OperationsInTheGraph_PredictTheirFormulas()
    {
        string path = WriteArchive("operations.keras", s_operationsModel, [""], []);

        Model model = KerasFormat.LoadModel(path);

        Tensor x = Tensor.RandomNormal(new TensorShape(4, 2, 3), seed: 21, 0f, 2f);
        IReadOnlyList<Tensor> outputs = model.PredictOutputs(x);
        (float[] y, float[] z) = OperationsModelByHand(x.ToArray());
        float[] predicted = outputs[0].ToArray();
        for (int i = 0; i < y.Length; i++)
        {
            // The mean sums in another order than written here.
            Assert.Equal(y[i], predicted[i], 5);
        }

        Assert.Equal(z, outputs[1].ToArray());
        Assert.IsType<ScalarArithmetic>(model.GetLayer("multiply"));
        Assert.IsType<Add>(model.GetLayer("add"));
        Assert.IsType<Reduce>(model.GetLayer("mean"));
        Assert.IsType<Reshape>(model.GetLayer("expand_dims"));
        Assert.IsType<Permute>(model.GetLayer("transpose"));
    }

    [H5pyFact]
    public void SaveModel_LoadedOperations_AreWrittenBackAsTheSameOperations()
    {
        string path = WriteArchive("operations-read.keras", s_operationsModel, [""], []);
        Model model = KerasFormat.LoadModel(path);
        string saved = Path.Combine(_folder, "operations-saved.keras");

        KerasFormat.SaveModel(model, saved);

        JsonArray original = JsonNode.Parse(s_operationsModel)!["config"]!["layers"]!.AsArray();
        JsonArray written = ReadConfig(saved)["config"]!["layers"]!.AsArray();
        foreach (JsonObject item in original.Skip(1).Cast<JsonObject>())
        {
            JsonObject copy = written.Cast<JsonObject>().Single(w => (string?)w["name"] == (string?)item["name"]);
            foreach (string key in new[] { "module", "class_name", "config", "registered_name" })
            {
                Assert.True(JsonNode.DeepEquals(item[key], copy[key]), $"{item["name"]}: {key} {item[key]?.ToJsonString()} became {copy[key]?.ToJsonString()}");
            }

            Assert.Equal(Histories(item["inbound_nodes"])!.ToJsonString(), Histories(copy["inbound_nodes"])!.ToJsonString());
        }

        Model again = KerasFormat.LoadModel(saved);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 2, 3), seed: 22, 0f, 2f);
        Assert.Equal(model.PredictOutputs(x)[0].ToArray(), again.PredictOutputs(x)[0].ToArray());
        Assert.Equal(model.PredictOutputs(x)[1].ToArray(), again.PredictOutputs(x)[1].ToArray());
    }

    [H5pyFact]
    public void LoadModel_ActivationSqueezeAndDivisionOperations_PredictTheirFormulas()
    {
        // y = tanh(squeeze(sum(softmax(gelu(x)), axis=[1], keepdims=True), axis=1) / 2); ops.gelu's default is the tanh
        // approximation (keras/src/ops/nn.py gelu(x, approximate=True)).
        string config = FunctionalOf("[[\"x\", 0, 0]]", "[[\"tanh\", 0, 0]]",
            OperationItem("keras.src.ops.nn", "Gelu", "gelu", "\"approximate\": true", KerasConfigs.Tensor("x", 2, 3)),
            OperationItem("keras.src.ops.nn", "Softmax", "softmax", "\"axis\": -1", KerasConfigs.Tensor("gelu", 2, 3)),
            Numpy("Sum", "sum", "\"axis\": [1], \"keepdims\": true", KerasConfigs.Tensor("softmax", 2, 3)),
            Numpy("Squeeze", "squeeze", "\"axis\": 1", KerasConfigs.Tensor("sum", 1, 3)),
            Numpy("TrueDivide", "true_divide", "", $"{KerasConfigs.Tensor("squeeze", 3)}, 2"),
            Numpy("Tanh", "tanh", "", KerasConfigs.Tensor("true_divide", 3)));
        Model model = KerasFormat.LoadModel(WriteArchive("activations.keras", config, [""], []));

        Tensor x = Tensor.RandomNormal(new TensorShape(3, 2, 3), seed: 23, 0f, 1.5f);
        float[] predicted = model.Predict(x).ToArray();
        float[] values = x.ToArray();
        for (int b = 0; b < 3; b++)
        {
            var softmax = new double[2, 3];
            for (int i = 0; i < 2; i++)
            {
                double[] gelu = [.. Enumerable.Range(0, 3).Select(j => values[(b * 6) + (i * 3) + j]).Select(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + (0.044715 * v * v * v)))))];
                double total = gelu.Sum(Math.Exp);
                for (int j = 0; j < 3; j++)
                {
                    softmax[i, j] = Math.Exp(gelu[j]) / total;
                }
            }

            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(Math.Tanh((softmax[0, j] + softmax[1, j]) / 2), predicted[(b * 3) + j], 5);
            }
        }
    }

    [Fact]
    public void LoadModel_SoftmaxOverAnotherAxis_IsRefusedNamingTheAxis()
    {
        string config = FunctionalOf("[[\"x\", 0, 0]]", "[[\"softmax\", 0, 0]]",
            OperationItem("keras.src.ops.nn", "Softmax", "softmax", "\"axis\": 1", KerasConfigs.Tensor("x", 2, 3)));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", config)), "ops.keras"));
        Assert.Contains("operation 'softmax' (keras.src.ops.nn.Softmax), argument 'axis': axis=1: NeuralNet's Activation normalizes over the last axis (-1 or 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveModel_OperationLayersBuiltInCSharp_AreWrittenAsKerasOperations()
    {
        var x = new Input(new TensorShape(2, 3), "x");
        SymbolicTensor scaled = new ScalarArithmetic(ArithmeticOperator.Divide, 4f, constantFirst: true, name: "divide").Call(x);
        SymbolicTensor summed = new Reduce(Reduction.Sum, [-1], keepDims: false, name: "sum").Call(scaled);
        var model = new Functional(x, new ElementwiseMath(ElementwiseFunction.Abs, "absolute").Call(summed), seed: 1);
        string path = Path.Combine(_folder, "csharp-ops.keras");

        KerasFormat.SaveModel(model, path);

        JsonArray layers = ReadConfig(path)["config"]!["layers"]!.AsArray();
        JsonObject divide = layers.Cast<JsonObject>().Single(l => (string?)l["name"] == "divide");
        Assert.Equal("keras.src.ops.numpy", (string?)divide["module"]);
        Assert.Equal("Divide", (string?)divide["class_name"]);
        Assert.Equal("[4,[\"x\",0,0]]", Histories(divide["inbound_nodes"]![0]!["args"])!.ToJsonString());
        JsonObject sum = layers.Cast<JsonObject>().Single(l => (string?)l["name"] == "sum");
        Assert.Equal("{\"axis\":[-1],\"keepdims\":false,\"name\":\"sum\"}", sum["config"]!.ToJsonString());
        Assert.Equal("Absolute", (string?)layers.Cast<JsonObject>().Single(l => (string?)l["name"] == "absolute")["class_name"]);
        Model loaded = KerasFormat.LoadModel(path);
        Tensor input = Tensor.FromArray([1f, 2f, -4f, 0.5f, 0.25f, 8f], 1, 2, 3);
        // |Σ 4/x| per row: 4 + 2 - 1 = 5, 8 + 16 + 0.5 = 24.5.
        Assert.Equal([5f, 24.5f], loaded.Predict(input).ToArray());
        Assert.Equal(model.Predict(input).ToArray(), loaded.Predict(input).ToArray());
    }

    [Fact]
    public void SaveModel_OperationLayerInASequential_IsRefused()
    {
        var model = new Sequential([new Input(3).Layer, new ScalarArithmetic(ArithmeticOperator.Multiply, 2f, name: "double")]);
        string path = Path.Combine(_folder, "sequential-op.keras");
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));
        Assert.Contains("Layer 'double' (ScalarArithmetic) is written in Keras as an operation (keras.src.ops.numpy.Multiply)", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("\"axis\": [0, 1], \"keepdims\": false", "'mean' (keras.src.ops.numpy.Mean), argument 'axis': axis 0 is the batch axis")]
    [InlineData("\"axis\": -3, \"keepdims\": false", "'mean' (keras.src.ops.numpy.Mean), argument 'axis': axis -3 is the batch axis")]
    [InlineData("\"axis\": null, \"keepdims\": false", "'mean' (keras.src.ops.numpy.Mean), argument 'axis': axis=None reduces over every axis, the batch axis too")]
    public void LoadModel_ReductionOverTheBatchAxis_IsRefusedNamingNodeAndArgument(string config, string expected)
    {
        string model = FunctionalOf("[[\"x\", 0, 0]]", "[[\"mean\", 0, 0]]", Numpy("Mean", "mean", config, KerasConfigs.Tensor("x", 2, 3)));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains($"ops.keras: config.json: operation {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadModel_UnknownOperation_IsRefusedNamingItAndItsModule()
    {
        string model = FunctionalOf("[[\"x\", 0, 0]]", "[[\"cumsum\", 0, 0]]", Numpy("Cumsum", "cumsum", "\"axis\": 1, \"dtype\": null", KerasConfigs.Tensor("x", 2, 3)));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains("ops.keras: config.json: 'cumsum' is a Keras operation (keras.src.ops.numpy.Cumsum) that NeuralNet does not read. It reads keras.src.ops.numpy: Add,", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadModel_DivisionOfTwoTensors_IsRefusedNamingTheArguments()
    {
        string model = FunctionalOf("[[\"x\", 0, 0]]", "[[\"divide\", 0, 0]]", Numpy("TrueDivide", "divide", "", $"{KerasConfigs.Tensor("x", 2, 3)}, {KerasConfigs.Tensor("x", 2, 3)}"));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains("operation 'divide' (keras.src.ops.numpy.TrueDivide), argument 'args': it divides a tensor by a tensor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadModel_TransposeThatMovesTheBatchAxis_IsRefused()
    {
        string model = FunctionalOf("[[\"x\", 0, 0]]", "[[\"transpose\", 0, 0]]", Numpy("Transpose", "transpose", "\"axes\": [1, 0, 2]", KerasConfigs.Tensor("x", 2, 3)));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains("operation 'transpose' (keras.src.ops.numpy.Transpose), argument 'axes': axes=[1,0,2]", error.Message, StringComparison.Ordinal);
    }

    // Each symbolic tensor replaced by its keras_history: what Keras reads of an argument.
    private static JsonNode? Histories(JsonNode? node) => node switch
    {
        JsonObject tensor when (string?)tensor["class_name"] == "__keras_tensor__" => tensor["config"]!["keras_history"]!.DeepClone(),
        JsonArray list => new JsonArray([.. list.Select(Histories)]),
        JsonObject dictionary => new JsonObject(dictionary.Select(p => KeyValuePair.Create(p.Key, Histories(p.Value)))),
        _ => node?.DeepClone(),
    };

    private static JsonObject ReadConfig(string archivePath)
    {
        using ZipArchive archive = ZipFile.OpenRead(archivePath);
        using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
        return JsonNode.Parse(reader.ReadToEnd())!.AsObject();
    }
}
