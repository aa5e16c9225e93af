using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// The Keras operations of hand-written attention blocks read since session 37: ops.matmul of rank-4 tensors (the
/// leading axes equal, or broadcast from 1), ops.softmax / ops.log_softmax over an axis other than the last, in the
/// form Keras 3's Functional.get_config writes them (keras/src/ops/numpy.py Matmul, no config but the name;
/// keras/src/ops/nn.py Softmax and LogSoftmax with axis).
/// </summary>
public sealed partial class KerasFormatTests
{
    // x (None, 2, 3, 4), two heads of 3 tokens of 4 features:
    //   kt = ops.transpose(x, (0, 1, 3, 2)); scores = ops.matmul(x, kt)              (None, 2, 3, 3)
    //   probs = ops.softmax(scores, axis=-1); attended = ops.matmul(probs, x)        (None, 2, 3, 4)
    //   heads = ops.softmax(x, axis=1); logs = ops.log_softmax(x, axis=2)
    //   pooled = ops.mean(x, axis=1, keepdims=True); shared = ops.matmul(pooled, kt)  (None, 1, 3, 4) @ (None, 2, 4, 3)
    //   stacked = ops.stack([heads, logs], axis=-1)                                    (None, 2, 3, 4, 2)
    private static readonly string s_attentionOperationsModel = FunctionalWithInput("2, 3, 4", "[[\"x\", 0, 0]]",
        "[[\"attended\", 0, 0], [\"heads\", 0, 0], [\"logs\", 0, 0], [\"shared\", 0, 0], [\"stacked\", 0, 0]]",
        Numpy("Transpose", "kt", "\"axes\": [0, 1, 3, 2]", KerasConfigs.Tensor("x", 2, 3, 4)),
        Numpy("Matmul", "scores", "", $"{KerasConfigs.Tensor("x", 2, 3, 4)}, {KerasConfigs.Tensor("kt", 2, 4, 3)}"),
        OperationItem("keras.src.ops.nn", "Softmax", "probs", "\"axis\": -1", KerasConfigs.Tensor("scores", 2, 3, 3)),
        Numpy("Matmul", "attended", "", $"{KerasConfigs.Tensor("probs", 2, 3, 3)}, {KerasConfigs.Tensor("x", 2, 3, 4)}"),
        OperationItem("keras.src.ops.nn", "Softmax", "heads", "\"axis\": 1", KerasConfigs.Tensor("x", 2, 3, 4)),
        OperationItem("keras.src.ops.nn", "LogSoftmax", "logs", "\"axis\": 2", KerasConfigs.Tensor("x", 2, 3, 4)),
        Numpy("Mean", "pooled", "\"axis\": 1, \"keepdims\": true", KerasConfigs.Tensor("x", 2, 3, 4)),
        Numpy("Matmul", "shared", "", $"{KerasConfigs.Tensor("pooled", 1, 3, 4)}, {KerasConfigs.Tensor("kt", 2, 4, 3)}"),
        Numpy("Stack", "stacked", "\"axis\": -1", $"[{KerasConfigs.Tensor("heads", 2, 3, 4)}, {KerasConfigs.Tensor("logs", 2, 3, 4)}]"));

    [H5pyFact]
    public void LoadModel_AttentionOperations_PredictNumpysFormulas()
    {
        Model model = KerasFormat.LoadModel(WriteArchive("attention-operations.keras", s_attentionOperationsModel, [""], []));

        Tensor input = Tensor.RandomNormal(new TensorShape(2, 2, 3, 4), seed: 37, 0f, 1f);
        float[] v = input.ToArray();
        double X(int b, int h, int t, int f) => v[(((((b * 2) + h) * 3) + t) * 4) + f];
        IReadOnlyList<Tensor> outputs = model.PredictOutputs(input);
        float[] attended = outputs[0].ToArray(), heads = outputs[1].ToArray(), logs = outputs[2].ToArray(), shared = outputs[3].ToArray();
        for (int b = 0; b < 2; b++)
        {
            for (int h = 0; h < 2; h++)
            {
                for (int t = 0; t < 3; t++)
                {
                    // Self-attention without projections: softmax over u of x_t · x_u, then the weighted sum of the x_u.
                    double[] scores = [.. Enumerable.Range(0, 3).Select(u => Enumerable.Range(0, 4).Sum(f => X(b, h, t, f) * X(b, h, u, f)))];
                    double top = scores.Max(), total = scores.Sum(s => Math.Exp(s - top));
                    for (int f = 0; f < 4; f++)
                    {
                        double expected = Enumerable.Range(0, 3).Sum(u => Math.Exp(scores[u] - top) / total * X(b, h, u, f));
                        Assert.Equal(expected, attended[(((((b * 2) + h) * 3) + t) * 4) + f], 1e-5);

                        // Softmax over the two heads; log-softmax over the three tokens.
                        double other = X(b, 1 - h, t, f), mine = X(b, h, t, f);
                        Assert.Equal(1 / (1 + Math.Exp(other - mine)), heads[(((((b * 2) + h) * 3) + t) * 4) + f], 1e-6);
                        double logSum = Math.Log(Enumerable.Range(0, 3).Sum(u => Math.Exp(X(b, h, u, f))));
                        Assert.Equal(mine - logSum, logs[(((((b * 2) + h) * 3) + t) * 4) + f], 1e-5);
                    }

                    // The mean over heads (broadcast over both heads of kt) times x_u of head h.
                    for (int u = 0; u < 3; u++)
                    {
                        double expected = Enumerable.Range(0, 4).Sum(f => (X(b, 0, t, f) + X(b, 1, t, f)) / 2 * X(b, h, u, f));
                        Assert.Equal(expected, shared[(((((b * 2) + h) * 3) + t) * 3) + u], 1e-5);
                    }
                }
            }
        }

        // The stack holds heads and logs side by side in its new last axis.
        float[] stacked = outputs[4].ToArray();
        for (int i = 0; i < heads.Length; i++)
        {
            Assert.Equal(heads[i], stacked[2 * i]);
            Assert.Equal(logs[i], stacked[(2 * i) + 1]);
        }

        Assert.Equal(-1, Assert.IsType<Stack>(model.GetLayer("stacked")).Axis);
        Assert.IsType<MatMul>(model.GetLayer("scores"));
        Assert.IsType<MatMul>(model.GetLayer("shared"));
        Assert.IsType<Activation>(model.GetLayer("probs"));
        Assert.Equal([1], Assert.IsType<Layers.Softmax>(model.GetLayer("heads")).Axes);
        Assert.Equal([2], Assert.IsType<Layers.LogSoftmax>(model.GetLayer("logs")).Axes);
    }

    [H5pyFact]
    public void SaveModel_LoadedAttentionOperations_AreWrittenBackAsTheSameOperations()
    {
        (Model model, string saved) = AssertLoadedItemsWrittenBack("attention-operations", s_attentionOperationsModel);

        Model again = KerasFormat.LoadModel(saved);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 2, 3, 4), seed: 38, 0f, 1f);
        for (int o = 0; o < 5; o++)
        {
            Assert.Equal(model.PredictOutputs(x)[o].ToArray(), again.PredictOutputs(x)[o].ToArray());
        }
    }

    [H5pyFact]
    public void SaveModel_MatMulAndLogSoftmaxBuiltInCSharp_AreWrittenAsKerasOperations()
    {
        var q = new Input(new TensorShape(2, 3, 4), "q");
        var k = new Input(new TensorShape(2, 4, 3), "k");
        SymbolicTensor scores = new MatMul("scores").Call(q, k);
        SymbolicTensor logs = new Layers.LogSoftmax(axis: 1, name: "logs").Call(scores);
        SymbolicTensor both = new Layers.LogSoftmax([2, 3], name: "both").Call(scores);
        SymbolicTensor stacked = new Stack(1, name: "stacked").Call(logs, both, scores);
        var model = new Functional([q, k], [logs, both, stacked], seed: 1);
        string path = Path.Combine(_folder, "csharp-attention-ops.keras");

        KerasFormat.SaveModel(model, path);

        Func<string, string> Written = WrittenOpItems(path);

        Assert.Equal("keras.src.ops.numpy.Matmul {\"name\":\"scores\"} [[\"q\",0,0],[\"k\",0,0]]", Written("scores"));
        Assert.Equal("keras.src.ops.nn.LogSoftmax {\"axis\":1} [[\"scores\",0,0]]", Written("logs"));
        Assert.Equal("keras.src.ops.nn.LogSoftmax {\"axis\":[2,3]} [[\"scores\",0,0]]", Written("both"));
        Assert.Equal("keras.src.ops.numpy.Stack {\"axis\":1} [[[\"logs\",0,0],[\"both\",0,0],[\"scores\",0,0]]]", Written("stacked"));

        AssertLoadsPredictingTheSame(model, path, Tensor.RandomNormal(new TensorShape(2, 2, 3, 4), seed: 39, 0f, 1f), Tensor.RandomNormal(new TensorShape(2, 2, 4, 3), seed: 40, 0f, 1f));
    }

    [Theory]
    [InlineData("Matmul", "", "x|x3", "argument 'args': it multiplies tensors of shapes (None, 2, 3, 4) @ (None, 3, 4)")]
    [InlineData("Matmul", "", "x|x", "argument 'args': the first tensor's last axis has 4 entries and the second's next-to-last axis 3 ((None, 2, 3, 4) @ (None, 2, 3, 4))")]
    [InlineData("Matmul", "", "x|heads3", "argument 'args': axis 1 has 2 entries in the first tensor and 3 in the second")]
    [InlineData("LogSoftmax", "\"axis\": [1, 1]", "x", "argument 'axis': axis=[1,1]: expected one or more distinct axes")]
    [InlineData("Softmax", "\"axis\": null", "x", "argument 'axis': axis=None normalizes over every axis, the batch axis too")]
    [InlineData("LogSoftmax", "\"axis\": null", "x", "argument 'axis': axis=None normalizes over every axis, the batch axis too")]
    [InlineData("LogSoftmax", "\"axis\": 4", "x", "argument 'axis': axis 4 is out of range for an input of rank 4")]
    [InlineData("Stack", "\"axis\": 0", "[x|x]", "argument 'axis': axis 0 is the batch axis")]
    [InlineData("Stack", "\"axis\": 1", "[x|heads3]", "argument 'args': it stacks tensors of shapes (None, 2, 3, 4) and (None, 3, 4, 2); ops.stack needs one shape")]
    public void LoadModel_AttentionOperationsNeuralNetCannotHonour_AreRefusedNamingThem(string className, string config, string tensors, string expected)
    {
        string Tensor(string name) => name switch
        {
            "x3" => KerasConfigs.Tensor("x3", 3, 4),
            "heads3" => KerasConfigs.Tensor("heads3", 3, 4, 2),
            _ => KerasConfigs.Tensor("x", 2, 3, 4),
        };
        string module = className is "Matmul" or "Stack" ? "keras.src.ops.numpy" : "keras.src.ops.nn";
        string args = tensors.StartsWith('[')
            ? $"[{string.Join(", ", tensors.Trim('[', ']').Split('|').Select(Tensor))}]"
            : string.Join(", ", tensors.Split('|').Select(Tensor));
        string model = FunctionalWithInput("2, 3, 4", "[[\"x\", 0, 0]]", "[[\"op\", 0, 0]]",
            Numpy("Mean", "x3", "\"axis\": 1, \"keepdims\": false", KerasConfigs.Tensor("x", 2, 3, 4)),
            Numpy("Reshape", "heads3", "\"newshape\": [-1, 3, 4, 2]", KerasConfigs.Tensor("x", 2, 3, 4)),
            OperationItem(module, className, "op", config, args));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains($"ops.keras: config.json: operation 'op' ({module}.{className}), {expected}", error.Message, StringComparison.Ordinal);
    }

    // x (None, 2, 3, 4): sm = ops.softmax(x, axis=[1, 2]); lsm = ops.log_softmax(x, axis=[1, 2]);
    //   front = ops.stack([x, sm], axis=1) (None, 2, 2, 3, 4); inner = ops.stack([x, lsm], axis=-2) (None, 2, 3, 2, 4)
    private static readonly string s_axisListOperationsModel = FunctionalWithInput("2, 3, 4", "[[\"x\", 0, 0]]",
        "[[\"front\", 0, 0], [\"inner\", 0, 0]]",
        OperationItem("keras.src.ops.nn", "Softmax", "sm", "\"axis\": [1, 2]", KerasConfigs.Tensor("x", 2, 3, 4)),
        OperationItem("keras.src.ops.nn", "LogSoftmax", "lsm", "\"axis\": [1, 2]", KerasConfigs.Tensor("x", 2, 3, 4)),
        Numpy("Stack", "front", "\"axis\": 1", $"[{KerasConfigs.Tensor("x", 2, 3, 4)}, {KerasConfigs.Tensor("sm", 2, 3, 4)}]"),
        Numpy("Stack", "inner", "\"axis\": -2", $"[{KerasConfigs.Tensor("x", 2, 3, 4)}, {KerasConfigs.Tensor("lsm", 2, 3, 4)}]"));

    [H5pyFact]
    public void LoadModel_SoftmaxOverAnAxisListAndStackOnMiddleAxes_PredictNumpysFormulasAndRoundTrip()
    {
        Model model = KerasFormat.LoadModel(WriteArchive("axis-list-operations.keras", s_axisListOperationsModel, [""], []));
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 2, 3, 4), seed: 41, 0f, 1f);
        float[] v = input.ToArray();
        IReadOnlyList<Tensor> outputs = model.PredictOutputs(input);
        Assert.Equal(new TensorShape(2, 2, 2, 3, 4), outputs[0].Shape);
        Assert.Equal(new TensorShape(2, 2, 3, 2, 4), outputs[1].Shape);
        float[] front = outputs[0].ToArray(), inner = outputs[1].ToArray();
        for (int b = 0; b < 2; b++)
        {
            for (int f = 0; f < 4; f++)
            {
                // Over the 2 x 3 (head, token) entries of feature f taken together.
                double logSum = Math.Log(Enumerable.Range(0, 6).Sum(ht => Math.Exp(v[(b * 24) + (ht * 4) + f])));
                for (int h = 0; h < 2; h++)
                {
                    for (int t = 0; t < 3; t++)
                    {
                        double x = v[(b * 24) + (h * 12) + (t * 4) + f];
                        Assert.Equal(x, front[(((((((b * 2) + 0) * 2) + h) * 3) + t) * 4) + f]);
                        Assert.Equal(Math.Exp(x - logSum), front[(((((((b * 2) + 1) * 2) + h) * 3) + t) * 4) + f], 1e-6);
                        Assert.Equal(x, inner[(((((((b * 2) + h) * 3) + t) * 2) + 0) * 4) + f]);
                        Assert.Equal(x - logSum, inner[(((((((b * 2) + h) * 3) + t) * 2) + 1) * 4) + f], 1e-5);
                    }
                }
            }
        }

        Assert.Equal([1, 2], Assert.IsType<Layers.Softmax>(model.GetLayer("sm")).Axes);
        Assert.Equal([1, 2], Assert.IsType<Layers.LogSoftmax>(model.GetLayer("lsm")).Axes);
        Assert.Equal(1, Assert.IsType<Stack>(model.GetLayer("front")).Axis);
        Assert.Equal(-2, Assert.IsType<Stack>(model.GetLayer("inner")).Axis);

        // Written back as the same items, read again to the same values.
        string saved = Path.Combine(_folder, "axis-list-operations-saved.keras");
        KerasFormat.SaveModel(model, saved);
        JsonArray original = JsonNode.Parse(s_axisListOperationsModel)!["config"]!["layers"]!.AsArray();
        JsonArray written = ReadConfig(saved)["config"]!["layers"]!.AsArray();
        foreach (JsonObject item in original.Skip(1).Cast<JsonObject>())
        {
            JsonObject copy = written.Cast<JsonObject>().Single(w => (string?)w["name"] == (string?)item["name"]);
            Assert.True(JsonNode.DeepEquals(item["config"], copy["config"]), $"{item["name"]}: config {item["config"]!.ToJsonString()} became {copy["config"]?.ToJsonString()}");
            Assert.Equal((string?)item["class_name"], (string?)copy["class_name"]);
        }

        Model again = KerasFormat.LoadModel(saved);
        for (int o = 0; o < 2; o++)
        {
            Assert.Equal(outputs[o].ToArray(), again.PredictOutputs(input)[o].ToArray());
        }

        // After NeuralNet's own format the op items are gone: Keras' layers.Softmax would use masks, which ops.softmax does
        // not, so the Softmax layer read from the op is refused as .keras, naming it.
        string native = Path.Combine(_folder, "axis-list-operations.safetensors");
        model.Save(native);
        Model reloaded = Model.Load(native);
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(reloaded, Path.Combine(_folder, "axis-list-again.keras")));
        Assert.Contains("Layer 'sm' (Softmax) drops masks", error.Message, StringComparison.Ordinal);
    }
}
