using System.Text;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// The Keras operations read since session 39: ops.where with a number as x1 or x2 (Keras' serialize_node leaves a Python
/// number inline in the call's args: [mask, x, -1e9]), and the conditions that feed it, keras.src.ops.numpy's Greater,
/// GreaterEqual, Less, LessEqual, Equal, NotEqual (of two tensors or a tensor and a number, either first), LogicalAnd,
/// LogicalOr, LogicalNot and keras.src.ops.core's Cast to "bool", whose bool tensors NeuralNet holds as 0/1 floats.
/// </summary>
public sealed partial class KerasFormatTests
{
    // A symbolic tensor of Keras' bool dtype, as a comparison's output is recorded.
    private static string BoolTensor(string layer, params int[] shape) =>
        KerasConfigs.Tensor(layer, shape).Replace("\"float32\"", "\"bool\"", StringComparison.Ordinal);

    // x (None, 2, 3):
    //   positive = x > 0; masked = ops.where(positive, x, -1e9)
    //   small = ops.less_equal(x, 0.5); filled = ops.where(small, 0.0, x)
    //   between = ops.logical_and(positive, ops.logical_not(small))           0 < x and x > 0.5
    //   below = 1 > x (ops.greater(1, x), read as x < 1); negative = -x
    //   same = ops.equal(x, negative) (x == -x: zeros); either = ops.logical_or(below, same)
    //   apart = ops.not_equal(x, 0.5); atleast = ops.greater_equal(x, negative); under = ops.less(x, negative)
    //   truth = ops.cast(x, "bool"); picked = ops.where(truth, 2, 3)
    private static readonly string s_comparisonsModel = FunctionalOf("[[\"x\", 0, 0]]",
        "[[\"masked\", 0, 0], [\"filled\", 0, 0], [\"between\", 0, 0], [\"either\", 0, 0], [\"apart\", 0, 0], [\"atleast\", 0, 0], [\"under\", 0, 0], [\"picked\", 0, 0]]",
        Numpy("Greater", "positive", "", $"{KerasConfigs.Tensor("x", 2, 3)}, 0"),
        Numpy("Where", "masked", "", $"{BoolTensor("positive", 2, 3)}, {KerasConfigs.Tensor("x", 2, 3)}, -1000000000.0"),
        Numpy("LessEqual", "small", "", $"{KerasConfigs.Tensor("x", 2, 3)}, 0.5"),
        Numpy("Where", "filled", "", $"{BoolTensor("small", 2, 3)}, 0.0, {KerasConfigs.Tensor("x", 2, 3)}"),
        Numpy("LogicalNot", "large", "", BoolTensor("small", 2, 3)),
        Numpy("LogicalAnd", "between", "", $"{BoolTensor("positive", 2, 3)}, {BoolTensor("large", 2, 3)}"),
        Numpy("Greater", "below", "", $"1, {KerasConfigs.Tensor("x", 2, 3)}"),
        Numpy("Negative", "negative", "", KerasConfigs.Tensor("x", 2, 3)),
        Numpy("Equal", "same", "", $"{KerasConfigs.Tensor("x", 2, 3)}, {KerasConfigs.Tensor("negative", 2, 3)}"),
        Numpy("LogicalOr", "either", "", $"{BoolTensor("below", 2, 3)}, {BoolTensor("same", 2, 3)}"),
        Numpy("NotEqual", "apart", "", $"{KerasConfigs.Tensor("x", 2, 3)}, 0.5"),
        Numpy("GreaterEqual", "atleast", "", $"{KerasConfigs.Tensor("x", 2, 3)}, {KerasConfigs.Tensor("negative", 2, 3)}"),
        Numpy("Less", "under", "", $"{KerasConfigs.Tensor("x", 2, 3)}, {KerasConfigs.Tensor("negative", 2, 3)}"),
        OperationItem("keras.src.ops.core", "Cast", "truth", "\"dtype\": \"bool\"", KerasConfigs.Tensor("x", 2, 3)),
        Numpy("Where", "picked", "", $"{BoolTensor("truth", 2, 3)}, 2, 3"));

    [H5pyFact]
    public void LoadModel_ComparisonsAndWhereOfNumbers_PredictNumpysFormulas()
    {
        Model model = KerasFormat.LoadModel(WriteArchive("comparisons.keras", s_comparisonsModel, [""], []));

        float[] values = [-1f, 0f, 0.5f, 0.75f, 2f, 1.5f, 1f, -0f, 0.25f, -3f, 0.5f, 4f];
        IReadOnlyList<Tensor> outputs = model.PredictOutputs(Tensor.FromArray(values, 2, 2, 3));

        float One(bool b) => b ? 1f : 0f;
        Assert.Equal(values.Select(v => v > 0 ? v : -1e9f), outputs[0].ToArray());
        Assert.Equal(values.Select(v => v <= 0.5f ? 0f : v), outputs[1].ToArray());
        Assert.Equal(values.Select(v => One(v > 0 && !(v <= 0.5f))), outputs[2].ToArray());
        Assert.Equal(values.Select(v => One(v < 1 || v == -v)), outputs[3].ToArray());
        Assert.Equal(values.Select(v => One(v != 0.5f)), outputs[4].ToArray());
        Assert.Equal(values.Select(v => One(v >= -v)), outputs[5].ToArray());
        Assert.Equal(values.Select(v => One(v < -v)), outputs[6].ToArray());
        Assert.Equal(values.Select(v => v != 0f ? 2f : 3f), outputs[7].ToArray());
        Assert.Equal(-1e9f, Assert.IsType<Where>(model.GetLayer("masked")).WhenFalse);
        Assert.Equal(0f, Assert.IsType<Where>(model.GetLayer("filled")).WhenTrue);
        Assert.Equal(ComparisonOperator.Less, Assert.IsType<Comparison>(model.GetLayer("below")).Operator);
        Assert.Equal(ComparisonOperator.NotEqual, Assert.IsType<Comparison>(model.GetLayer("truth")).Operator);
    }

    // ops.<op>(0.5, x), the number first: read as x <swapped op> 0.5, so each value is NumPy's 0.5 <op> x (a tie included;
    // Predict refuses NaN inputs, and the layer tests cover NaN).
    [H5pyTheory]
    [InlineData("Greater", ComparisonOperator.Less)]
    [InlineData("GreaterEqual", ComparisonOperator.LessEqual)]
    [InlineData("Less", ComparisonOperator.Greater)]
    [InlineData("LessEqual", ComparisonOperator.GreaterEqual)]
    [InlineData("Equal", ComparisonOperator.Equal)]
    [InlineData("NotEqual", ComparisonOperator.NotEqual)]
    public void LoadModel_ComparisonWithTheNumberFirst_IsReadWithTheOperatorSwapped(string op, ComparisonOperator expected)
    {
        string config = FunctionalOf("[[\"x\", 0, 0]]", "[[\"c\", 0, 0]]", Numpy(op, "c", "", $"0.5, {KerasConfigs.Tensor("x", 2, 3)}"));
        Model model = KerasFormat.LoadModel(WriteArchive($"number-first-{op}.keras", config, [""], []));

        float[] values = [-1f, 0.5f, 2f, -0f, 0f, 0.25f];
        float[] predicted = model.PredictOutputs(Tensor.FromArray(values, 1, 2, 3))[0].ToArray();

        Assert.Equal(expected, Assert.IsType<Comparison>(model.GetLayer("c")).Operator);
        Assert.Equal(0.5f, Assert.IsType<Comparison>(model.GetLayer("c")).Constant);
        bool Holds(float v) => op switch
        {
            "Greater" => 0.5f > v,
            "GreaterEqual" => 0.5f >= v,
            "Less" => 0.5f < v,
            "LessEqual" => 0.5f <= v,
            "Equal" => 0.5f == v,
            _ => 0.5f != v,
        };
        Assert.Equal(values.Select(v => Holds(v) ? 1f : 0f), predicted);
    }

    // json.dumps writes float("-inf") as a bare -Infinity (and inf, nan as Infinity, NaN), which JSON has no form for.
    [Theory]
    [InlineData("-Infinity", "float(\"-inf\")")]
    [InlineData("Infinity", "float(\"inf\")")]
    [InlineData("NaN", "float(\"nan\")")]
    public void LoadModel_WhereOfAPythonNonFiniteFloat_IsRefusedSayingSoAndWhere(string token, string python)
    {
        // A layer named "NaN -Infinity" first: the words inside a string are no numbers.
        string config = s_comparisonsModel.Replace("-1000000000.0", token, StringComparison.Ordinal).Replace("\"name\": \"ops_model\"", "\"name\": \"NaN -Infinity\"", StringComparison.Ordinal);
        Assert.Contains("NaN -Infinity", config, StringComparison.Ordinal);
        int at = Encoding.UTF8.GetByteCount(config[..config.IndexOf($", {token}]", StringComparison.Ordinal)]) + 2;

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(Zip(("config.json", config)), "inf.keras"));

        Assert.StartsWith($"inf.keras: config.json is not valid JSON: it holds {token} at byte {at}, under \"args\", a non-finite number as Python's json.dumps writes {python}", error.Message, StringComparison.Ordinal);
        Assert.Contains("such as -1e9", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(error.InnerException);
    }

    [H5pyFact]
    public void SaveModel_LoadedComparisonsAndWhereOfNumbers_AreWrittenBackAsTheSameOperations()
    {
        (Model model, string saved) = AssertLoadedItemsWrittenBack("comparisons", s_comparisonsModel);
        AssertLoadsPredictingTheSame(model, saved, Tensor.RandomNormal(new TensorShape(3, 2, 3), seed: 52, 0f, 1f));
    }

    [H5pyFact]
    public void SaveModel_ComparisonsAndWhereOfNumbersBuiltInCSharp_AreWrittenAsKerasOperations()
    {
        var x = new Input(new TensorShape(2, 3), "x");
        SymbolicTensor positive = new Comparison(ComparisonOperator.Greater, 0f, "positive").Call(x);
        SymbolicTensor masked = new Where(null, -1e9f, "masked").Call(positive, x);
        SymbolicTensor filled = new Where(0.5f, null, "filled").Call(new Comparison(ComparisonOperator.LogicalNot, name: "off").Call(positive), x);
        SymbolicTensor both = new Comparison(ComparisonOperator.LogicalAnd, name: "both").Call(positive, new Comparison(ComparisonOperator.LessEqual, name: "le").Call(x, masked));
        // Numbers as Python floats (1.0, not 1: Keras would read ints and infer an int32 where), tiny ones with an exponent.
        SymbolicTensor ones = new Where(1f, 0f, "ones").Call(positive);
        SymbolicTensor tiny = new Where(1e-30f, null, "tiny").Call(positive, x);
        var model = new Functional([x], [masked, filled, both, ones, tiny], seed: 1);
        string path = Path.Combine(_folder, "csharp-comparisons.keras");

        KerasFormat.SaveModel(model, path);

        Func<string, string> Written = WrittenOpItems(path);
        Assert.Equal("keras.src.ops.numpy.Greater {\"name\":\"positive\"} [[\"x\",0,0],0.0]", Written("positive"));
        Assert.Equal("keras.src.ops.numpy.Where {\"name\":\"masked\"} [[\"positive\",0,0],[\"x\",0,0],-1000000000.0]", Written("masked"));
        Assert.Equal("keras.src.ops.numpy.Where {\"name\":\"filled\"} [[\"off\",0,0],0.5,[\"x\",0,0]]", Written("filled"));
        Assert.Equal("keras.src.ops.numpy.Where {\"name\":\"ones\"} [[\"positive\",0,0],1.0,0.0]", Written("ones"));
        Assert.Equal("keras.src.ops.numpy.Where {\"name\":\"tiny\"} [[\"positive\",0,0],1E-30,[\"x\",0,0]]", Written("tiny"));
        Assert.Equal("keras.src.ops.numpy.LogicalNot {\"name\":\"off\"} [[\"positive\",0,0]]", Written("off"));
        Assert.Equal("keras.src.ops.numpy.LessEqual {\"name\":\"le\"} [[\"x\",0,0],[\"masked\",0,0]]", Written("le"));
        Assert.Equal("keras.src.ops.numpy.LogicalAnd {\"name\":\"both\"} [[\"positive\",0,0],[\"le\",0,0]]", Written("both"));

        AssertLoadsPredictingTheSame(model, path, Tensor.RandomNormal(new TensorShape(2, 2, 3), seed: 53, 0f, 1f));
    }

    // q (None, 2, 3, 4), k (None, 2, 4, 3), mask (None, 1, 3, 3) of 0/1 (a causal mask, broadcast over the heads):
    //   scores = ops.matmul(q, k); scores = ops.where(ops.greater(mask, 0), scores, -1e9); probs = ops.softmax(scores)
    private static string MaskedAttentionModel() => $$$"""
        {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "masked_attention", "trainable": true,
          "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 2, 3, 4], "dtype": "float32", "sparse": false, "name": "q"}, "registered_name": null, "name": "q", "inbound_nodes": []},
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 2, 4, 3], "dtype": "float32", "sparse": false, "name": "k"}, "registered_name": null, "name": "k", "inbound_nodes": []},
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 1, 3, 3], "dtype": "float32", "sparse": false, "name": "mask"}, "registered_name": null, "name": "mask", "inbound_nodes": []},
            {{{Numpy("Matmul", "scores", "", $"{KerasConfigs.Tensor("q", 2, 3, 4)}, {KerasConfigs.Tensor("k", 2, 4, 3)}")}}},
            {{{Numpy("Greater", "keep", "", $"{KerasConfigs.Tensor("mask", 1, 3, 3)}, 0")}}},
            {{{Numpy("Where", "masked", "", $"{BoolTensor("keep", 1, 3, 3)}, {KerasConfigs.Tensor("scores", 2, 3, 3)}, -1000000000.0")}}},
            {{{OperationItem("keras.src.ops.nn", "Softmax", "probs", "\"axis\": -1", KerasConfigs.Tensor("masked", 2, 3, 3))}}}],
          "input_layers": [["q", 0, 0], ["k", 0, 0], ["mask", 0, 0]], "output_layers": [["probs", 0, 0]]},
         "registered_name": "Functional", "build_config": {"input_shape": null}}
        """;

    [H5pyFact]
    public void LoadModel_AttentionScoresMaskedWithWhereOfGreater_GiveZeroWeightToMaskedKeys()
    {
        Model model = KerasFormat.LoadModel(WriteArchive("masked-attention.keras", MaskedAttentionModel(), [""], []));
        Tensor q = Tensor.RandomNormal(new TensorShape(2, 2, 3, 4), seed: 54, 0f, 1f), k = Tensor.RandomNormal(new TensorShape(2, 2, 4, 3), seed: 55, 0f, 1f);
        // A causal mask, token t sees tokens 0..t.
        float[] causal = [1f, 0f, 0f, 1f, 1f, 0f, 1f, 1f, 1f];
        Tensor mask = Tensor.FromArray([.. causal, .. causal], 2, 1, 3, 3);

        float[] probs = model.PredictOutputs([q, k, mask])[0].ToArray();

        float[] qv = q.ToArray(), kv = k.ToArray();
        for (int b = 0; b < 2; b++)
        {
            for (int h = 0; h < 2; h++)
            {
                for (int t = 0; t < 3; t++)
                {
                    // Softmax over the keys u <= t of q_t · k_u; the others get exp(-1e9 - max) = 0.
                    double[] scores = [.. Enumerable.Range(0, t + 1).Select(u => Enumerable.Range(0, 4).Sum(f => (double)qv[(((((b * 2) + h) * 3) + t) * 4) + f] * kv[(((((b * 2) + h) * 4) + f) * 3) + u]))];
                    double top = scores.Max(), total = scores.Sum(s => Math.Exp(s - top));
                    for (int u = 0; u < 3; u++)
                    {
                        double expected = u <= t ? Math.Exp(scores[u] - top) / total : 0;
                        Assert.Equal(expected, probs[(((((b * 2) + h) * 3) + t) * 3) + u], 1e-5);
                    }
                }
            }
        }

        string saved = Path.Combine(_folder, "masked-attention-saved.keras");
        KerasFormat.SaveModel(model, saved);
        AssertItemsWrittenBack(MaskedAttentionModel(), saved);
        AssertLoadsPredictingTheSame(model, saved, q, k, mask);
    }

    [Theory]
    [InlineData("Where", "", "x|x|true", "argument 'args': x2 is true; expected a tensor or a finite number")]
    [InlineData("Where", "", "0|x|x", "argument 'args': expected the condition (a tensor), then x1 and x2 (tensors or finite numbers), got [0,")]
    [InlineData("Where", "", "x|0.5|mean", "argument 'args': it combines tensors of shapes (None, 2, 6), (None, 6), of different ranks")]
    [InlineData("Greater", "", "x|mean", "argument 'args': it combines tensors of shapes (None, 2, 6), (None, 6), of different ranks")]
    [InlineData("Less", "", "x|\"a\"", "argument 'args': expected two tensors, or a tensor and a finite number, got [")]
    [InlineData("LogicalNot", "", "x|x", "argument 'args': expected 1 tensor(s), got [")]
    [InlineData("Equal", "\"axis\": 1", "x|x", "argument 'axis': axis=1 is not an argument NeuralNet reads for Equal")]
    public void LoadModel_ComparisonsAndWhereNeuralNetCannotHonour_AreRefusedNamingTheArgument(string className, string config, string arguments, string expected)
    {
        string args = string.Join(", ", arguments.Split('|').Select(t => t switch
        {
            "mean" => KerasConfigs.Tensor("mean", 6),
            "x" => KerasConfigs.Tensor("x", 2, 6),
            _ => t,
        }));
        string model = FunctionalWithInput("2, 6", "[[\"x\", 0, 0]]", "[[\"op\", 0, 0]]",
            Numpy("Mean", "mean", "\"axis\": 1, \"keepdims\": false", KerasConfigs.Tensor("x", 2, 6)),
            Numpy(className, "op", config, args));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains($"ops.keras: config.json: operation 'op' (keras.src.ops.numpy.{className}), {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadModel_CastToAnIntegerType_IsRefusedNamingTheTypesRead()
    {
        string model = FunctionalWithInput("2, 6", "[[\"x\", 0, 0]]", "[[\"op\", 0, 0]]",
            OperationItem("keras.src.ops.core", "Cast", "op", "\"dtype\": \"int32\"", KerasConfigs.Tensor("x", 2, 6)));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains("argument 'dtype': dtype=\"int32\": NeuralNet computes in float32 and reads a cast to float32, or to bool (as 0/1 floats)", error.Message, StringComparison.Ordinal);
    }
}
