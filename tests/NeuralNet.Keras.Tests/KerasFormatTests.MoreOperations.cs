using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// The Keras operations read since session 36: ops.maximum / minimum / power with a number (and x ** 2), a / b of two
/// tensors, ops.clip, ops.sin / cos / floor / round / sign, ops.erf (keras.src.ops.math), ops.cast to float32
/// (keras.src.ops.core) and ops.matmul of rank-3 tensors, each in the form Keras 3's Functional.get_config writes it
/// (the op's constructor arguments as config: Clip's x_min and x_max, Round's decimals, Cast's dtype; keras/src/ops/numpy.py,
/// math.py, core.py).
/// </summary>
public sealed partial class KerasFormatTests
{
    // x (None, 2, 3):
    //   cast = ops.cast(ops.erf(ops.maximum(x, 0.5) ** 2 / (ops.clip(x, -1, 1) + 2)), "float32")
    //   wave = ops.sin(x) * ops.cos(x)
    //   steps = ops.floor(x) + ops.round(x) + ops.sign(x)
    //   gram = ops.matmul(x, ops.transpose(x, [0, 2, 1]))          (None, 2, 2)
    //   low = ops.minimum(1.5, x); grow = 2 ** x
    private static readonly string s_moreOperationsModel = FunctionalOf("[[\"x\", 0, 0]]",
        "[[\"cast\", 0, 0], [\"wave\", 0, 0], [\"steps\", 0, 0], [\"gram\", 0, 0], [\"low\", 0, 0], [\"grow\", 0, 0]]",
        Numpy("Maximum", "maximum", "", $"{KerasConfigs.Tensor("x", 2, 3)}, 0.5"),
        Numpy("Power", "power", "", $"{KerasConfigs.Tensor("maximum", 2, 3)}, 2"),
        Numpy("Clip", "clip", "\"x_min\": -1, \"x_max\": 1", KerasConfigs.Tensor("x", 2, 3)),
        Numpy("Add", "shift", "", $"{KerasConfigs.Tensor("clip", 2, 3)}, 2"),
        Numpy("TrueDivide", "ratio", "", $"{KerasConfigs.Tensor("power", 2, 3)}, {KerasConfigs.Tensor("shift", 2, 3)}"),
        OperationItem("keras.src.ops.math", "Erf", "erf", "", KerasConfigs.Tensor("ratio", 2, 3)),
        OperationItem("keras.src.ops.core", "Cast", "cast", "\"dtype\": \"float32\"", KerasConfigs.Tensor("erf", 2, 3)),
        Numpy("Sin", "sin", "", KerasConfigs.Tensor("x", 2, 3)),
        Numpy("Cos", "cos", "", KerasConfigs.Tensor("x", 2, 3)),
        Numpy("Multiply", "wave", "", $"{KerasConfigs.Tensor("sin", 2, 3)}, {KerasConfigs.Tensor("cos", 2, 3)}"),
        Numpy("Floor", "floor", "", KerasConfigs.Tensor("x", 2, 3)),
        Numpy("Round", "round", "\"decimals\": 0", KerasConfigs.Tensor("x", 2, 3)),
        Numpy("Sign", "sign", "", KerasConfigs.Tensor("x", 2, 3)),
        Numpy("Add", "rounded", "", $"{KerasConfigs.Tensor("floor", 2, 3)}, {KerasConfigs.Tensor("round", 2, 3)}"),
        Numpy("Add", "steps", "", $"{KerasConfigs.Tensor("rounded", 2, 3)}, {KerasConfigs.Tensor("sign", 2, 3)}"),
        Numpy("Transpose", "transpose", "\"axes\": [0, 2, 1]", KerasConfigs.Tensor("x", 2, 3)),
        Numpy("Matmul", "gram", "", $"{KerasConfigs.Tensor("x", 2, 3)}, {KerasConfigs.Tensor("transpose", 3, 2)}"),
        Numpy("Minimum", "low", "", $"1.5, {KerasConfigs.Tensor("x", 2, 3)}"),
        Numpy("Power", "grow", "", $"2, {KerasConfigs.Tensor("x", 2, 3)}"));

    [H5pyFact]
    public void LoadModel_MoreOperationsInTheGraph_PredictNumpysFormulas()
    {
        Model model = KerasFormat.LoadModel(WriteArchive("more-operations.keras", s_moreOperationsModel, [""], []));

        // Halves (-1.5, 0.5, 2.5) check round's ties to even; 0 checks sign(0) = 0.
        float[] values = [-1.5f, 0.5f, 2.5f, 0f, -0.7f, 1.2f, 3.1f, -2.2f, 0.9f, -0.3f, 1.7f, -1f];
        Tensor x = Tensor.FromArray(values, 2, 2, 3);
        IReadOnlyList<Tensor> outputs = model.PredictOutputs(x);
        float[] cast = outputs[0].ToArray(), wave = outputs[1].ToArray(), steps = outputs[2].ToArray(), gram = outputs[3].ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i];
            double ratio = Math.Pow(Math.Max(v, 0.5), 2) / (Math.Clamp(v, -1, 1) + 2);
            Assert.Equal(Erf(ratio), cast[i], tolerance: 5e-7);
            Assert.Equal(Math.Sin(v) * Math.Cos(v), wave[i], tolerance: 1e-6);
            Assert.Equal(Math.Floor(v) + Math.Round(v, MidpointRounding.ToEven) + Math.Sign(v), steps[i]);
        }

        for (int b = 0; b < 2; b++)
        {
            for (int i = 0; i < 2; i++)
            {
                for (int j = 0; j < 2; j++)
                {
                    // x @ xᵀ: the dot products of the rows of each sample.
                    double dot = Enumerable.Range(0, 3).Sum(k => (double)values[(b * 6) + (i * 3) + k] * values[(b * 6) + (j * 3) + k]);
                    Assert.Equal(dot, gram[(b * 4) + (i * 2) + j], tolerance: 1e-5);
                }
            }
        }

        Assert.Equal([.. values.Select(v => MathF.Min(1.5f, v))], outputs[4].ToArray());
        float[] grow = outputs[5].ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(Math.Pow(2, values[i]), grow[i], tolerance: 1e-6 * Math.Pow(2, values[i]));
        }

        Assert.IsType<Divide>(model.GetLayer("ratio"));
        Assert.IsType<Clip>(model.GetLayer("clip"));
        Assert.IsType<Identity>(model.GetLayer("cast"));
        Assert.IsType<MatMul>(model.GetLayer("gram"));
        Assert.Equal(ArithmeticOperator.Power, Assert.IsType<ScalarArithmetic>(model.GetLayer("grow")).Operator);
    }

    [H5pyFact]
    public void SaveModel_MoreLoadedOperations_AreWrittenBackAsTheSameOperations()
    {
        (Model model, string saved) = AssertLoadedItemsWrittenBack("more-operations", s_moreOperationsModel);

        // The copy above is the item kept from the file; the writer of layers made in C# must give the same item too
        // (TrueDivide is written as Divide, Keras' true_divide being divide).
        foreach (JsonObject item in JsonNode.Parse(s_moreOperationsModel)!["config"]!["layers"]!.AsArray().Skip(1).Cast<JsonObject>())
        {
            if (KerasOperationForms.Of(model.GetLayer((string)item["name"]!)) is not JsonObject written1)
            {
                continue;
            }

            string className = (string)item["class_name"]! == "TrueDivide" ? "Divide" : (string)item["class_name"]!;
            Assert.Equal($"{item["module"]}.{className}", $"{written1["module"]}.{written1["class_name"]}");
            Assert.True(JsonNode.DeepEquals(item["config"], written1["config"]), $"{item["name"]}: config {item["config"]?.ToJsonString()} written as {written1["config"]?.ToJsonString()}");
            Assert.Equal(ArgumentKinds(item["inbound_nodes"]![0]!["args"]), ArgumentKinds(written1["inbound_nodes"]![0]!["args"]));
        }

        Model again = KerasFormat.LoadModel(saved);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 2, 3), seed: 36, 0f, 2f);
        for (int o = 0; o < 6; o++)
        {
            Assert.Equal(model.PredictOutputs(x)[o].ToArray(), again.PredictOutputs(x)[o].ToArray());
        }
    }

    [Fact]
    public void SaveModel_NewOperationLayersBuiltInCSharp_AreWrittenAsKerasOperations()
    {
        var x = new Input(new TensorShape(2, 3), "x");
        SymbolicTensor clipped = new Clip(0.5f, 4f, "clip").Call(x);
        SymbolicTensor squared = new ScalarArithmetic(ArithmeticOperator.Power, 2f, name: "power").Call(clipped);
        SymbolicTensor ratio = new Divide("divide").Call(squared, clipped);
        SymbolicTensor erf = new ElementwiseMath(ElementwiseFunction.Erf, "erf").Call(ratio);
        var model = new Functional(x, new ElementwiseMath(ElementwiseFunction.Round, "round").Call(erf), seed: 1);
        string path = Path.Combine(_folder, "csharp-more-ops.keras");

        KerasFormat.SaveModel(model, path);

        JsonObject[] layers = [.. ReadConfig(path)["config"]!["layers"]!.AsArray().Cast<JsonObject>()];
        JsonObject Item(string name) => layers.Single(l => (string?)l["name"] == name);
        Assert.Equal("{\"x_min\":0.5,\"x_max\":4,\"name\":\"clip\"}", Item("clip")["config"]!.ToJsonString());
        Assert.Equal("[[\"clip\",0,0],2]", Histories(Item("power")["inbound_nodes"]![0]!["args"])!.ToJsonString());
        Assert.Equal("Power", (string?)Item("power")["class_name"]);
        Assert.Equal("[[\"power\",0,0],[\"clip\",0,0]]", Histories(Item("divide")["inbound_nodes"]![0]!["args"])!.ToJsonString());
        Assert.Equal("keras.src.ops.math", (string?)Item("erf")["module"]);
        Assert.Equal("{\"decimals\":0,\"name\":\"round\"}", Item("round")["config"]!.ToJsonString());

        Model loaded = KerasFormat.LoadModel(path);
        // round(erf(clip(x)² / clip(x))) = round(erf(clip(x, 0.5, 4))), and erf rises from erf(0.5) = 0.5205 to
        // erf(4) = 0.99999998 on [0.5, 4], so every value rounds to 1.
        Tensor input = Tensor.FromArray([0.2f, 1f, 3f, -2f, 0.6f, 9f], 1, 2, 3);
        Assert.Equal([1f, 1f, 1f, 1f, 1f, 1f], loaded.Predict(input).ToArray());
        Assert.Equal(model.Predict(input).ToArray(), loaded.Predict(input).ToArray());
    }

    // An operation's arguments with each tensor as "tensor" and each number as written: "tensor,2", "1.5,tensor".
    private static string ArgumentKinds(JsonNode? args) => string.Join(",", args!.AsArray().Select(a => a is JsonObject ? "tensor" : a!.ToJsonString()));

    [H5pyFact]
    public void SaveModel_MaximumMinimumPowerAndStepsBuiltInCSharp_AreWrittenAsKerasOperations()
    {
        var x = new Input(new TensorShape(2, 3), "x");
        Layer[] layers =
        [
            new ScalarArithmetic(ArithmeticOperator.Maximum, 0.5f, name: "maximum"),
            new ScalarArithmetic(ArithmeticOperator.Minimum, 1.5f, constantFirst: true, name: "minimum"),
            new ScalarArithmetic(ArithmeticOperator.Power, 2f, constantFirst: true, name: "power"),
            new ElementwiseMath(ElementwiseFunction.Sin, "sin"), new ElementwiseMath(ElementwiseFunction.Cos, "cos"),
            new ElementwiseMath(ElementwiseFunction.Floor, "floor"), new ElementwiseMath(ElementwiseFunction.Sign, "sign"),
            new ElementwiseMath(ElementwiseFunction.Erf, "erf"),
        ];
        var model = new Functional(x, [.. layers.Select(l => l.Call(x))], seed: 1);
        string path = Path.Combine(_folder, "csharp-max-min-steps.keras");

        KerasFormat.SaveModel(model, path);

        JsonObject[] items = [.. ReadConfig(path)["config"]!["layers"]!.AsArray().Cast<JsonObject>()];
        string Written(string name)
        {
            JsonObject item = items.Single(l => (string?)l["name"] == name);
            return $"{item["module"]}.{item["class_name"]} {item["config"]!.ToJsonString()} {ArgumentKinds(item["inbound_nodes"]![0]!["args"])}";
        }

        Assert.Equal("keras.src.ops.numpy.Maximum {\"name\":\"maximum\"} tensor,0.5", Written("maximum"));
        Assert.Equal("keras.src.ops.numpy.Minimum {\"name\":\"minimum\"} 1.5,tensor", Written("minimum"));
        Assert.Equal("keras.src.ops.numpy.Power {\"name\":\"power\"} 2,tensor", Written("power"));
        Assert.Equal("keras.src.ops.numpy.Sin {\"name\":\"sin\"} tensor", Written("sin"));
        Assert.Equal("keras.src.ops.numpy.Cos {\"name\":\"cos\"} tensor", Written("cos"));
        Assert.Equal("keras.src.ops.numpy.Floor {\"name\":\"floor\"} tensor", Written("floor"));
        Assert.Equal("keras.src.ops.numpy.Sign {\"name\":\"sign\"} tensor", Written("sign"));
        Assert.Equal("keras.src.ops.math.Erf {\"name\":\"erf\"} tensor", Written("erf"));

        Model loaded = KerasFormat.LoadModel(path);
        Tensor input = Tensor.FromArray([-1.5f, 0.5f, 2.5f, 0f, 1.5f, -0.7f], 1, 2, 3);
        for (int o = 0; o < layers.Length; o++)
        {
            Assert.Equal(model.PredictOutputs(input)[o].ToArray(), loaded.PredictOutputs(input)[o].ToArray());
        }
    }

    [Fact]
    public void LoadModel_MaskThroughDivideAndCast_StopsAtTheOperationsAsInKeras()
    {
        // ids -> Embedding(mask_zero) "embedding" e; ops.cast(e, "float32") -> GlobalAveragePooling1D and
        // ops.divide(e, plain(ids)) -> GlobalAveragePooling1D: Keras calls operations without masks, so both pools
        // average every step, the padded ones too.
        var ids = new Input(new TensorShape(4), "ids");
        SymbolicTensor embedded = new Embedding(5, 2, maskZero: true, name: "embedding").Call(ids);
        SymbolicTensor plain = new Embedding(5, 2, name: "plain").Call(ids);
        SymbolicTensor cast = new Identity("cast").Call(embedded);
        SymbolicTensor ratio = new Divide("ratio").Call(embedded, plain);
        var model = new Functional(ids, [new GlobalAveragePooling1D(name: "cast_pool").Call(cast), new GlobalAveragePooling1D(name: "ratio_pool").Call(ratio)], seed: 3);
        string path = KerasArchiveOf(model, "masked-divide-cast.keras", "3.12.0", root =>
        {
            JsonArray layers = root["config"]!["layers"]!.AsArray();
            int at = layers.IndexOf(LayerItem(root, "cast"));
            JsonObject castItem = Operation("Cast", "cast", new JsonObject { ["dtype"] = "float32" }, KerasTensor("embedding", "float32", null, 4, 2));
            castItem["module"] = "keras.src.ops.core";
            layers[at] = castItem;
        });

        Model loaded = KerasFormat.LoadModel(path);
        Assert.IsType<Identity>(loaded.GetLayer("cast"));
        Assert.IsType<Divide>(loaded.GetLayer("ratio"));

        // embedding row i = (i + 1, -(i + 1)), plain's entries all 2. Ids (1, 2, 0, 0) average rows 2, 3, 1, 1: 7 / 4 =
        // 1.75 (the two real steps alone would give 2.5); ids (4, 0, 0, 0): 8 / 4 = 2 (5 alone). The ratio is half.
        Span<float> e = loaded.GetLayer("embedding").Parameters[0].Value.AsSpan();
        for (int i = 0; i < 5; i++)
        {
            e[2 * i] = i + 1;
            e[(2 * i) + 1] = -(i + 1);
        }

        loaded.GetLayer("plain").Parameters[0].Value.AsSpan().Fill(2f);
        IReadOnlyList<Tensor> outputs = loaded.PredictOutputs(Tensor.FromArray([1f, 2f, 0f, 0f, 4f, 0f, 0f, 0f], 2, 4));
        Assert.Equal([1.75f, -1.75f, 2f, -2f], outputs[0].ToArray());
        Assert.Equal([0.875f, -0.875f, 1f, -1f], outputs[1].ToArray());
    }

    [Fact]
    public void SaveModel_DivideOfInputsOfDifferentRanks_IsRefusedNamingTheLayer()
    {
        // Divide makes b (batch, 3) into (batch, 1, 3); ops.divide aligns (batch, 3) with a's last two axes (2, 3), so
        // b's batch axis meets a's axis 1.
        var a = new Input(new TensorShape(2, 3), "a");
        var b = new Input(new TensorShape(3), "b");
        var model = new Functional([a, b], new Divide("ratio").Call(a, b), seed: 1);

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, Path.Combine(_folder, "divide-ranks.keras")));

        Assert.Contains("Layer 'ratio' (Divide) combines inputs of different ranks, (None, 2, 3), (None, 3)", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Power", "", "x|x", "'op' (keras.src.ops.numpy.Power), argument 'args': it raises a tensor to the power of a tensor")]
    [InlineData("Matmul", "", "x|x", "'op' (keras.src.ops.numpy.Matmul), argument 'args': the first tensor's last axis has 3 entries and the second's next-to-last axis 2")]
    [InlineData("Round", "\"decimals\": 2", "x", "'op' (keras.src.ops.numpy.Round), argument 'decimals': decimals=2: NeuralNet rounds to integers")]
    [InlineData("Clip", "\"x_min\": null, \"x_max\": 1", "x", "'op' (keras.src.ops.numpy.Clip), argument 'x_min': expected a finite number, got null")]
    [InlineData("Clip", "\"x_min\": 2, \"x_max\": 1", "x", "'op' (keras.src.ops.numpy.Clip), argument 'x_max': x_max=1 is less than x_min=2; NeuralNet's Clip needs x_min <= x_max.")]
    [InlineData("Maximum", "", "x|mean", "'op' (keras.src.ops.numpy.Maximum), argument 'args': it combines tensors of shapes (None, 2, 3), (None, 3), of different ranks")]
    public void LoadModel_NewOperationsWithArgumentsNeuralNetCannotHonour_AreRefusedNamingThem(string className, string config, string tensors, string expected)
    {
        string args = string.Join(", ", tensors.Split('|').Select(t => t == "mean" ? KerasConfigs.Tensor("mean", 3) : KerasConfigs.Tensor("x", 2, 3)));
        string model = FunctionalOf("[[\"x\", 0, 0]]", "[[\"op\", 0, 0]]",
            Numpy("Mean", "mean", "\"axis\": 1, \"keepdims\": false", KerasConfigs.Tensor("x", 2, 3)),
            Numpy(className, "op", config, args));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains($"ops.keras: config.json: operation {expected}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("keras.src.ops.core", "Cast", "\"dtype\": \"int32\"", "argument 'dtype': dtype=\"int32\": NeuralNet computes in float32")]
    [InlineData("keras.src.ops.numpy", "Matmul", "", "argument 'args': it multiplies tensors of shapes (None, 2, 3) @ (None, 3)")]
    public void LoadModel_CastToAnotherTypeOrMatmulOfOtherRanks_IsRefused(string module, string className, string config, string expected)
    {
        string args = className == "Matmul" ? $"{KerasConfigs.Tensor("x", 2, 3)}, {KerasConfigs.Tensor("mean", 3)}" : KerasConfigs.Tensor("x", 2, 3);
        string model = FunctionalOf("[[\"x\", 0, 0]]", "[[\"op\", 0, 0]]",
            Numpy("Mean", "mean", "\"axis\": 1, \"keepdims\": false", KerasConfigs.Tensor("x", 2, 3)),
            OperationItem(module, className, "op", config, args));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains($"ops.keras: config.json: operation 'op' ({module}.{className}), {expected}", error.Message, StringComparison.Ordinal);
    }
}
