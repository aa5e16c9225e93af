using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// The Keras operations read since session 38: ops.where(condition, x1, x2), ops.split(x, indices_or_sections, axis)
/// (keras.src.ops.numpy Where, Split) and ops.unstack(x, num, axis) (keras.src.ops.core Unstack), in the form Keras 3's
/// Functional.get_config writes them: the op's constructor arguments as config, the call's tensors as args, and the
/// outputs of a split read by later calls through the third entry of keras_history (the output's index).
/// </summary>
public sealed partial class KerasFormatTests
{
    // x (None, 2, 6):
    //   a, b, c = ops.split(x, 3, axis=-1)                each (None, 2, 2)
    //   picked = ops.where(a, b, c)                       (None, 2, 2): b where a != 0, else c
    //   r0, r1 = ops.unstack(x, axis=1)                   each (None, 6)
    //   rows = r0 + r1
    //   cut = ops.split(x, [1, 5], axis=2)[1]             (None, 2, 4)
    private static readonly string s_whereSplitModel = FunctionalWithInput("2, 6", "[[\"x\", 0, 0]]",
        "[[\"picked\", 0, 0], [\"rows\", 0, 0], [\"cut\", 0, 1]]",
        Numpy("Split", "split", "\"indices_or_sections\": 3, \"axis\": -1", KerasConfigs.Tensor("x", 2, 6)),
        Numpy("Where", "picked", "", $"{TensorAt("split", 0, 2, 2)}, {TensorAt("split", 1, 2, 2)}, {TensorAt("split", 2, 2, 2)}"),
        OperationItem("keras.src.ops.core", "Unstack", "unstack", "\"num\": null, \"axis\": 1", KerasConfigs.Tensor("x", 2, 6)),
        Numpy("Add", "rows", "", $"{TensorAt("unstack", 0, 6)}, {TensorAt("unstack", 1, 6)}"),
        Numpy("Split", "cut", "\"indices_or_sections\": [1, 5], \"axis\": 2", KerasConfigs.Tensor("x", 2, 6)));

    // A symbolic tensor that is output `index` of the layer's first call.
    private static string TensorAt(string layer, int index, params int[] shape) =>
        KerasConfigs.Tensor(layer, shape).Replace($"\"{layer}\", 0, 0]", $"\"{layer}\", 0, {index}]", StringComparison.Ordinal);

    [H5pyFact]
    public void LoadModel_WhereSplitAndUnstack_PredictNumpysFormulas()
    {
        Model model = KerasFormat.LoadModel(WriteArchive("where-split.keras", s_whereSplitModel, [""], []));

        // Zeros among a's entries (x[..., 0:2]) make where pick c there.
        float[] values = [0f, 1.5f, 2f, 3f, 4f, 5f, -1f, 0f, 7f, 8f, 9f, 10f, 2f, 0f, -3f, -4f, 6f, 5f, 0f, 0f, 1f, 2f, 3f, 4f];
        Tensor x = Tensor.FromArray(values, 2, 2, 6);
        IReadOnlyList<Tensor> outputs = model.PredictOutputs(x);

        float At(int b, int r, int c) => values[(b * 12) + (r * 6) + c];
        var picked = new List<float>();
        var rows = new List<float>();
        var cut = new List<float>();
        for (int b = 0; b < 2; b++)
        {
            for (int r = 0; r < 2; r++)
            {
                for (int j = 0; j < 2; j++)
                {
                    picked.Add(At(b, r, j) != 0f ? At(b, r, 2 + j) : At(b, r, 4 + j));
                }

                for (int j = 1; j < 5; j++)
                {
                    cut.Add(At(b, r, j));
                }
            }

            for (int c = 0; c < 6; c++)
            {
                rows.Add(At(b, 0, c) + At(b, 1, c));
            }
        }

        Assert.Equal(picked, outputs[0].ToArray());
        Assert.Equal(rows, outputs[1].ToArray());
        Assert.Equal(cut, outputs[2].ToArray());
        Assert.IsType<Where>(model.GetLayer("picked"));
        Assert.Equal(3, Assert.IsType<Split>(model.GetLayer("split")).Sections);
        Assert.Equal([1, 5], Assert.IsType<Split>(model.GetLayer("cut")).Indices);
        Assert.Equal(1, Assert.IsType<Unstack>(model.GetLayer("unstack")).Axis);
    }

    [H5pyFact]
    public void SaveModel_LoadedWhereSplitAndUnstack_AreWrittenBackAsTheSameOperations()
    {
        (Model model, string saved) = AssertLoadedItemsWrittenBack("where-split", s_whereSplitModel);
        Model again = KerasFormat.LoadModel(saved);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 2, 6), seed: 50, 0f, 1f);
        for (int o = 0; o < 3; o++)
        {
            Assert.Equal(model.PredictOutputs(x)[o].ToArray(), again.PredictOutputs(x)[o].ToArray());
        }
    }

    [H5pyFact]
    public void SaveModel_WhereSplitAndUnstackBuiltInCSharp_AreWrittenAsKerasOperations()
    {
        var x = new Input(new TensorShape(2, 6), "x");
        SymbolicTensor[] thirds = new Split(3, -1, "thirds").CallOutputs(x);
        SymbolicTensor picked = new Where("picked").Call(thirds[0], thirds[1], thirds[2]);
        SymbolicTensor[] steps = new Unstack(1, name: "steps").CallOutputs(x);
        SymbolicTensor[] cut = new Split([2], 2, "cut").CallOutputs(x);
        var model = new Functional([x], [picked, steps[1], cut[1]], seed: 1);
        string path = Path.Combine(_folder, "csharp-where-split.keras");

        KerasFormat.SaveModel(model, path);

        Func<string, string> Written = WrittenOpItems(path);

        Assert.Equal("keras.src.ops.numpy.Split {\"indices_or_sections\":3,\"axis\":-1} [[\"x\",0,0]]", Written("thirds"));
        Assert.Equal("keras.src.ops.numpy.Where {\"name\":\"picked\"} [[\"thirds\",0,0],[\"thirds\",0,1],[\"thirds\",0,2]]", Written("picked"));
        Assert.Equal("keras.src.ops.core.Unstack {\"num\":null,\"axis\":1} [[\"x\",0,0]]", Written("steps"));
        Assert.Equal("keras.src.ops.numpy.Split {\"indices_or_sections\":[2],\"axis\":2} [[\"x\",0,0]]", Written("cut"));

        AssertLoadsPredictingTheSame(model, path, Tensor.RandomNormal(new TensorShape(2, 2, 6), seed: 51, 0f, 1f));
    }

    [Theory]
    [InlineData("Where", "", "x|null|null", "argument 'args': ops.where(condition) with one argument gives the indices where the condition holds")]
    [InlineData("Where", "", "x|x|\"-inf\"", "argument 'args': x2 is \"-inf\"; expected a tensor or a finite number")]
    [InlineData("Where", "", "x|x|mean", "argument 'args': it combines tensors of shapes (None, 2, 6), (None, 2, 6), (None, 6), of different ranks")]
    [InlineData("Split", "\"indices_or_sections\": 2, \"axis\": 0", "x", "argument 'axis': axis 0 is the batch axis")]
    [InlineData("Split", "\"indices_or_sections\": 2.5, \"axis\": 1", "x", "argument 'indices_or_sections': expected a number of sections or a list of indices, got 2.5")]
    [InlineData("Split", "\"indices_or_sections\": [3, 1], \"axis\": 2", "x", "argument 'config': Split expects increasing indices of at least 1")]
    [InlineData("Split", "\"indices_or_sections\": 2, \"axis\": 1, \"sorted\": true", "x", "argument 'sorted': sorted=true is not an argument NeuralNet reads for Split")]
    [InlineData("Unstack", "\"num\": null, \"axis\": 0", "x", "argument 'axis': axis 0 is the batch axis")]
    [InlineData("Unstack", "\"num\": 0, \"axis\": 1", "x", "argument 'config': Unstack expects num to be a positive number of outputs")]
    public void LoadModel_WhereSplitUnstackNeuralNetCannotHonour_AreRefusedNamingTheArgument(string className, string config, string tensors, string expected)
    {
        string args = string.Join(", ", tensors.Split('|').Select(t => t switch
        {
            "mean" => KerasConfigs.Tensor("mean", 6),
            "x" => KerasConfigs.Tensor("x", 2, 6),
            _ => t,
        }));
        string module = className == "Unstack" ? "keras.src.ops.core" : "keras.src.ops.numpy";
        string model = FunctionalWithInput("2, 6", "[[\"x\", 0, 0]]", "[[\"op\", 0, 0]]",
            Numpy("Mean", "mean", "\"axis\": 1, \"keepdims\": false", KerasConfigs.Tensor("x", 2, 6)),
            OperationItem(module, className, "op", config, args));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(Zip(("config.json", model)), "ops.keras"));
        Assert.Contains($"ops.keras: config.json: operation 'op' ({module}.{className}), {expected}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    // Keras records the variable axis as null in the tensor's shape; the refusal comes from that, before the model's build
    // for a nominal length (which would name the length instead of the axis).
    [InlineData("keras.src.ops.core", "Unstack", "\"num\": null, \"axis\": 1")]
    [InlineData("keras.src.ops.core", "Unstack", "\"num\": 5, \"axis\": -2")]
    [InlineData("keras.src.ops.numpy", "Split", "\"indices_or_sections\": 3, \"axis\": 1")]
    [InlineData("keras.src.ops.numpy", "Split", "\"indices_or_sections\": [1, 2], \"axis\": 1")]
    public void LoadModel_UnstackOrSplitAlongANoneAxis_IsRefusedNamingTheVariableAxis(string module, string className, string config)
    {
        string x = KerasConfigs.Tensor("x", 2, 6).Replace("[null, 2, 6]", "[null, null, 6]", StringComparison.Ordinal);
        string model = FunctionalWithInput("null, 6", "[[\"x\", 0, 0]]", "[[\"op\", 0, 0]]", OperationItem(module, className, "op", config, x));
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(WriteArchive("none-axis.keras", model, [""], [])));
        string axis = config.Contains("-2", StringComparison.Ordinal) ? "-2" : "1";
        Assert.Contains($"operation 'op' ({module}.{className}), argument 'axis': axis {axis} of the input (None, None, 6) is a variable axis (None)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadModel_UnstackWhoseNumIsNotTheAxisSize_IsRefusedNamingBoth()
    {
        string model = FunctionalWithInput("2, 6", "[[\"x\", 0, 0]]", "[[\"op\", 0, 0]]",
            OperationItem("keras.src.ops.core", "Unstack", "op", "\"num\": 3, \"axis\": 1", KerasConfigs.Tensor("x", 2, 6)));
        Exception error = Assert.ThrowsAny<Exception>(() => KerasFormat.LoadModel(WriteArchive("unstack-num.keras", model, [""], [])));
        Assert.Contains("Unstack 'op' unpacks axis 1 of (None, 2, 6) into num=3 outputs, but the axis has 2 entries", error.Message, StringComparison.Ordinal);
    }
}
