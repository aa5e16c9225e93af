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

    private static string FunctionalOf(string inputs, string outputs, params string[] items) => FunctionalWithInput("2, 3", inputs, outputs, items);

    // The same with an input x of shape (None, sampleShape).
    private static string FunctionalWithInput(string sampleShape, string inputs, string outputs, params string[] items) => $$$"""
        {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "ops_model", "trainable": true,
          "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, {{{sampleShape}}}], "dtype": "float32", "sparse": false,
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
        (Model model, string saved) = AssertLoadedItemsWrittenBack("operations", s_operationsModel);

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
    public void LoadModel_SoftmaxOverTheBatchAxis_IsRefusedNamingTheAxis()
    {
        string config = FunctionalOf("[[\"x\", 0, 0]]", "[[\"softmax\", 0, 0]]",
            OperationItem("keras.src.ops.nn", "Softmax", "softmax", "\"axis\": 0", KerasConfigs.Tensor("x", 2, 3)));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", config)), "ops.keras"));
        Assert.Contains("operation 'softmax' (keras.src.ops.nn.Softmax), argument 'axis': axis 0 is the batch axis", error.Message, StringComparison.Ordinal);
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
    public void LoadModel_TransposeThatMovesTheBatchAxis_IsRefused()
    {
        string model = FunctionalOf("[[\"x\", 0, 0]]", "[[\"transpose\", 0, 0]]", Numpy("Transpose", "transpose", "\"axes\": [1, 0, 2]", KerasConfigs.Tensor("x", 2, 3)));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains("operation 'transpose' (keras.src.ops.numpy.Transpose), argument 'axes': axes=[1,0,2]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadModel_MaskThroughOperations_StopsAtTheFirstOperationAsInKeras()
    {
        // ids -> Embedding(mask_zero) -> e + e (ops.add) -> ops.relu -> GlobalAveragePooling1D: Keras calls operations
        // without masks, so the pooling averages every step, padding included.
        var ids = new Input(new TensorShape(4), "ids");
        SymbolicTensor embedded = new Embedding(5, 2, maskZero: true, name: "embedding").Call(ids);
        SymbolicTensor added = new Add("add").Call(embedded, embedded);
        SymbolicTensor relu = new Activation(NeuralNet.Activations.ActivationFunction.Relu, "relu").Call(added);
        var model = new Functional(ids, new GlobalAveragePooling1D(name: "pool").Call(relu), seed: 3);
        string path = KerasArchiveOf(model, "masked-ops.keras", "3.12.0", root =>
        {
            JsonArray layers = root["config"]!["layers"]!.AsArray();
            int at = layers.IndexOf(LayerItem(root, "add"));
            layers[at] = Operation("Add", "add", new JsonObject(), KerasTensor("embedding", "float32", null, 4, 2), KerasTensor("embedding", "float32", null, 4, 2));
            at = layers.IndexOf(LayerItem(root, "relu"));
            JsonObject relu = Operation("Relu", "relu", new JsonObject(), KerasTensor("add", "float32", null, 4, 2));
            relu["module"] = "keras.src.ops.nn";
            layers[at] = relu;
        });

        Model loaded = KerasFormat.LoadModel(path);

        Tensor x = Tensor.FromArray([1f, 2f, 0f, 0f, 3f, 0f, 0f, 0f], 2, 4);
        float[] e = loaded.GetLayer("embedding").Parameters[0].Value.ToArray();
        var expected = new float[4];
        for (int b = 0; b < 2; b++)
        {
            for (int f = 0; f < 2; f++)
            {
                // Every one of the 4 steps counts, the padded ones (id 0) too.
                expected[(b * 2) + f] = Enumerable.Range(0, 4).Sum(t => MathF.Max(0f, 2 * e[((int)x.ToArray()[(b * 4) + t] * 2) + f])) / 4;
            }
        }

        float[] predicted = loaded.Predict(x).ToArray();
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(expected[i], predicted[i], 6);
        }

        // The C# model passes the mask through its layers, and averages the real steps only.
        Assert.NotEqual(model.Predict(x).ToArray(), predicted);
        string saved = Path.Combine(_folder, "masked-ops-saved.keras");
        KerasFormat.SaveModel(loaded, saved);
        Assert.Equal(predicted, KerasFormat.LoadModel(saved).Predict(x).ToArray());
        string native = Path.Combine(_folder, "masked-ops.safetensors");
        loaded.Save(native);
        Model reloaded = Model.Load(native);
        Assert.Equal(predicted, reloaded.Predict(x).ToArray());
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(reloaded, Path.Combine(_folder, "masked-ops-again.keras")));
        Assert.Contains("Layer 'add' (Add) drops masks", error.Message, StringComparison.Ordinal);
    }

    [H5pyFact]
    public void SaveModel_NestedOperationNamedAsATopLevelLayer_WritesEachItsOwnItem()
    {
        // encoder = Model(inner, ops.reshape(inner, (-1, 6))), its op named "reshape"; the outer model's
        // keras.layers.Reshape((3, 2)) is named "reshape" too.
        string encoder = $$$"""
            {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "encoder", "trainable": true,
              "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 2, 3], "dtype": "float32", "sparse": false,
                 "ragged": false, "name": "inner", "optional": false}, "registered_name": null, "name": "inner", "inbound_nodes": []},
                {{{Numpy("Reshape", "reshape", "\"newshape\": [-1, 6]", KerasConfigs.Tensor("inner", 2, 3))}}}],
              "input_layers": [["inner", 0, 0]], "output_layers": [["reshape", 0, 0]]},
             "registered_name": "Functional", "build_config": {"input_shape": null}, "name": "encoder",
             "inbound_nodes": [{"args": [{{{KerasConfigs.Tensor("x", 2, 3)}}}], "kwargs": {}}]}
            """;
        string reshape = $$$"""
            {"module": "keras.layers", "class_name": "Reshape", "config": {"name": "reshape", "trainable": true, "dtype": "float32", "target_shape": [3, 2]},
             "registered_name": null, "build_config": {"input_shape": [null, 6]}, "name": "reshape",
             "inbound_nodes": [{"args": [{{{KerasConfigs.Tensor("encoder", 6)}}}], "kwargs": {}}]}
            """;
        string path = WriteArchive("nested-op.keras", FunctionalOf("[[\"x\", 0, 0]]", "[[\"reshape\", 0, 0]]", encoder, reshape), [""], []);
        Model model = KerasFormat.LoadModel(path);
        string saved = Path.Combine(_folder, "nested-op-saved.keras");

        KerasFormat.SaveModel(model, saved);

        JsonObject[] written = [.. ReadConfig(saved)["config"]!["layers"]!.AsArray().Cast<JsonObject>()];
        JsonObject outer = written.Single(w => (string?)w["name"] == "reshape");
        Assert.Equal("Reshape", (string?)outer["class_name"]);
        Assert.Equal("keras.layers", (string?)outer["module"]);
        JsonObject op = written.Single(w => (string?)w["module"] == "keras.src.ops.numpy");
        Assert.NotEqual("reshape", (string?)op["name"]);
        Assert.Equal((string?)op["name"], (string?)op["config"]!["name"]);
        Assert.Equal("[-1,6]", op["config"]!["newshape"]!.ToJsonString());
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 2, 3), seed: 5, 0f, 1f);
        Assert.Equal(x.ToArray(), model.Predict(x).ToArray());
        Assert.Equal(x.ToArray(), KerasFormat.LoadModel(saved).Predict(x).ToArray());
    }

    [Fact]
    public void SaveModel_OperationLayerCalledTwice_WritesOneNodePerCallAndReadsBack()
    {
        var x = new Input(new TensorShape(2, 3), "x");
        var twice = new ScalarArithmetic(ArithmeticOperator.Multiply, 2f, name: "double");
        var model = new Functional(x, twice.Call(twice.Call(x)), seed: 1);
        string path = Path.Combine(_folder, "reused-op.keras");

        KerasFormat.SaveModel(model, path);

        JsonObject item = ReadConfig(path)["config"]!["layers"]!.AsArray().Cast<JsonObject>().Single(l => (string?)l["name"] == "double");
        Assert.Equal("Multiply", (string?)item["class_name"]);
        // Keras' Functional.layers holds Layers only, so saving_lib writes no group for an operation.
        Assert.DoesNotContain(KerasWeightLayout.EmptyGroups(model), g => g.Contains("double", StringComparison.Ordinal));
        Assert.Equal("[{\"args\":[[\"x\",0,0],2],\"kwargs\":{}},{\"args\":[[\"double\",0,0],2],\"kwargs\":{}}]", Histories(item["inbound_nodes"])!.ToJsonString());
        Model loaded = KerasFormat.LoadModel(path);
        Tensor input = Tensor.FromArray([1f, -2f, 0.5f, 3f, 0f, -0.25f], 1, 2, 3);
        Assert.Equal([4f, -8f, 2f, 12f, 0f, -1f], loaded.Predict(input).ToArray());
    }

    [Fact]
    public void LoadModel_UnknownOperationWithKeywordArguments_IsRefusedAsUnknown()
    {
        JsonObject pad = JsonNode.Parse(Numpy("Pad", "pad", "\"pad_width\": [[0, 0], [1, 1], [0, 0]], \"mode\": \"constant\"", KerasConfigs.Tensor("x", 2, 3)))!.AsObject();
        pad["inbound_nodes"]![0]!["kwargs"] = new JsonObject { ["constant_values"] = 0 };
        string model = FunctionalOf("[[\"x\", 0, 0]]", "[[\"pad\", 0, 0]]", pad.ToJsonString());
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains("'pad' is a Keras operation (keras.src.ops.numpy.Pad) that NeuralNet does not read", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Mean", "\"axis\": [], \"keepdims\": false", "'mean' (keras.src.ops.numpy.Mean), argument 'axis': axis=[]: expected one or more distinct axes")]
    [InlineData("Mean", "\"axis\": [1, 1], \"keepdims\": false", "'mean' (keras.src.ops.numpy.Mean), argument 'axis': axis=[1,1]: expected one or more distinct axes")]
    [InlineData("Mean", "\"axis\": [1, -2], \"keepdims\": false", "'mean' (keras.src.ops.numpy.Mean), argument 'axis': axis=[1,-2]: expected one or more distinct axes")]
    [InlineData("Transpose", "\"axes\": [0, 1, 1]", "'mean' (keras.src.ops.numpy.Transpose), argument 'axes': axes=[0,1,1]: NeuralNet reads a permutation")]
    [InlineData("Reshape", "\"newshape\": [-1, 3]", "'mean' (keras.src.ops.numpy.Reshape), argument 'newshape': newshape=[-1,3] does not hold a sample of shape (2, 3), 6 numbers")]
    [InlineData("Reshape", "\"newshape\": [-1, 4, -1]", "'mean' (keras.src.ops.numpy.Reshape), argument 'newshape': newshape=[-1,4,-1]")]
    public void LoadModel_ArgumentsNoLayerTakes_AreRefusedNamingFileOperationAndArgument(string className, string config, string expected)
    {
        string model = FunctionalOf("[[\"x\", 0, 0]]", "[[\"mean\", 0, 0]]", Numpy(className, "mean", config, KerasConfigs.Tensor("x", 2, 3)));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains($"ops.keras: config.json: operation {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadModel_TwoTensorOperationOfDifferentRanks_IsRefusedNamingTheShapes()
    {
        string model = FunctionalOf("[[\"x\", 0, 0]]", "[[\"add\", 0, 0]]",
            Numpy("Mean", "mean", "\"axis\": 1, \"keepdims\": false", KerasConfigs.Tensor("x", 2, 3)),
            Numpy("Add", "add", "", $"{KerasConfigs.Tensor("x", 2, 3)}, {KerasConfigs.Tensor("mean", 3)}"));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains("operation 'add' (keras.src.ops.numpy.Add), argument 'args': it combines tensors of shapes (None, 2, 3), (None, 3), of different ranks", error.Message, StringComparison.Ordinal);
    }

    [H5pyFact]
    public void LoadModel_NnOperationsWithoutANameInTheirConfig_PredictTheirFormulas()
    {
        // Keras' Operation.get_config leaves out "name" when the op's __init__ takes none (Gelu, Softmax, Elu).
        static string Unnamed(string className, string name, string config, string args)
        {
            JsonObject item = JsonNode.Parse(OperationItem("keras.src.ops.nn", className, name, config, args))!.AsObject();
            item["config"]!.AsObject().Remove("name");
            return item.ToJsonString();
        }

        string model = FunctionalOf("[[\"x\", 0, 0]]", "[[\"softmax\", 0, 0]]",
            Unnamed("Gelu", "gelu", "\"approximate\": false", KerasConfigs.Tensor("x", 2, 3)),
            Unnamed("Elu", "elu", "\"alpha\": 0.5", KerasConfigs.Tensor("gelu", 2, 3)),
            Unnamed("Softmax", "softmax", "\"axis\": -1", KerasConfigs.Tensor("elu", 2, 3)));
        Model loaded = KerasFormat.LoadModel(WriteArchive("unnamed-nn.keras", model, [""], []));

        Tensor x = Tensor.RandomNormal(new TensorShape(2, 2, 3), seed: 9, 0f, 1.5f);
        float[] values = x.ToArray(), predicted = loaded.Predict(x).ToArray();
        for (int row = 0; row < 4; row++)
        {
            // gelu exact: x Φ(x); elu(alpha=0.5): x > 0 ? x : 0.5 (e^x - 1); then a softmax over the row.
            double[] h = [.. Enumerable.Range(0, 3).Select(j => (double)values[(row * 3) + j])
                .Select(v => v * 0.5 * (1 + Erf(v / Math.Sqrt(2))))
                .Select(g => g > 0 ? g : 0.5 * (Math.Exp(g) - 1))];
            double total = h.Sum(Math.Exp);
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(Math.Exp(h[j]) / total, predicted[(row * 3) + j], tolerance: 2e-6);
            }
        }

        Assert.Equal(["gelu", "elu", "softmax"], loaded.Layers.Skip(1).Select(l => l.Name));
    }

    // Abramowitz and Stegun 7.1.26 (error below 1.5e-7).
    private static double Erf(double x)
    {
        double t = 1 / (1 + (0.3275911 * Math.Abs(x)));
        double poly = 1.061405429;
        foreach (double c in new[] { -1.453152027, 1.421413741, -0.284496736, 0.254829592 })
        {
            poly = (poly * t) + c;
        }

        double y = 1 - (poly * t * Math.Exp(-x * x));
        return Math.Sign(x) * y;
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

    /// <summary>
    /// Every layer item of <paramref name="config"/> after the first (the input) is in the archive at
    /// <paramref name="saved"/> with the same module, class name, config and registered name, called on the same tensors.
    /// </summary>
    // The archive at path loads into a model whose every output predicts what model's does, bit for bit.
    private static void AssertLoadsPredictingTheSame(Model model, string path, params Tensor[] inputs)
    {
        Model loaded = KerasFormat.LoadModel(path);
        Tensor[] expected = [.. model.PredictOutputs(inputs)], actual = [.. loaded.PredictOutputs(inputs)];
        Assert.Equal(expected.Length, actual.Length);
        for (int o = 0; o < expected.Length; o++)
        {
            Assert.Equal(expected[o].ToArray(), actual[o].ToArray());
        }
    }

    // Each written layer item of the archive as "module.class_name config inbound-args", by layer name: what a layer made
    // in C# is written as.
    private static Func<string, string> WrittenOpItems(string path)
    {
        JsonObject[] items = [.. ReadConfig(path)["config"]!["layers"]!.AsArray().Cast<JsonObject>()];
        return name =>
        {
            JsonObject item = items.Single(l => (string?)l["name"] == name);
            return $"{item["module"]}.{item["class_name"]} {item["config"]!.ToJsonString()} {Histories(item["inbound_nodes"]![0]!["args"])!.ToJsonString()}";
        };
    }

    // Loads an archive of `config` (no weights), saves the model and checks every item comes back as it was; gives the
    // loaded model and the saved file for the test's further checks.
    private (Model Model, string Saved) AssertLoadedItemsWrittenBack(string name, string config)
    {
        Model model = KerasFormat.LoadModel(WriteArchive(name + "-read.keras", config, [""], []));
        string saved = Path.Combine(_folder, name + "-saved.keras");

        KerasFormat.SaveModel(model, saved);

        AssertItemsWrittenBack(config, saved);
        return (model, saved);
    }

    private static void AssertItemsWrittenBack(string config, string saved)
    {
        JsonArray original = JsonNode.Parse(config)!["config"]!["layers"]!.AsArray();
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
    }
}
