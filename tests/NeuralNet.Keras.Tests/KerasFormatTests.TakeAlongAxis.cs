using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// Keras' <c>ops.take_along_axis(x, indices, axis)</c> in a functional graph (keras/src/ops/numpy.py: the operation class
/// <c>TakeAlongAxis(axis=None)</c>, whose __init__ takes no name, so its config is <c>{"axis": ...}</c> alone; the call's
/// args are <c>[x, indices]</c>). Both tensors carry the batch axis, so NumPy's rule picks within each sample, as
/// NeuralNet's <see cref="TakeAlongAxis"/> layer does.
/// </summary>
public sealed partial class KerasFormatTests
{
    // x (None, 5, 3) float, i (None, 2, 3) and k (None, 1, 2) int32:
    //   picked = ops.take_along_axis(x, i, axis=1)     (None, 2, 3)
    //   last = ops.take_along_axis(x, k, axis=-1)      (None, 5, 2): k's axis 1 (size 1) broadcast over x's 5 rows
    private static readonly string s_takeAlongAxisModel = $$$"""
        {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "gather_model", "trainable": true,
          "layers": [
            {{{KerasConfigs.Input("x", "float32", 5, 3)}}},
            {{{KerasConfigs.Input("i", "int32", 2, 3)}}},
            {{{KerasConfigs.Input("k", "int32", 1, 2)}}},
            {"module": "keras.src.ops.numpy", "class_name": "TakeAlongAxis", "config": {"axis": 1}, "registered_name": "TakeAlongAxis", "name": "picked",
             "inbound_nodes": [{"args": [{{{KerasConfigs.Tensor("x", 5, 3)}}}, {{{IntTensor("i", 2, 3)}}}], "kwargs": {}}]},
            {"module": "keras.src.ops.numpy", "class_name": "TakeAlongAxis", "config": {"axis": -1}, "registered_name": "TakeAlongAxis", "name": "last",
             "inbound_nodes": [{"args": [{{{KerasConfigs.Tensor("x", 5, 3)}}}, {{{IntTensor("k", 1, 2)}}}], "kwargs": {}}]}],
          "input_layers": [["x", 0, 0], ["i", 0, 0], ["k", 0, 0]], "output_layers": [["picked", 0, 0], ["last", 0, 0]]},
         "registered_name": "Functional", "build_config": {"input_shape": null}}
        """;

    private static string IntTensor(string layer, params int[] shape) => KerasConfigs.Tensor(layer, shape).Replace("\"float32\"", "\"int32\"", StringComparison.Ordinal);

    [H5pyFact]
    public void LoadModel_TakeAlongAxisOperation_PicksWithinEachSampleAsNumpysTakeAlongAxis()
    {
        Model model = KerasFormat.LoadModel(WriteArchive("take-along-axis.keras", s_takeAlongAxisModel, [""], []));

        var picked = Assert.IsType<TakeAlongAxis>(model.GetLayer("picked"));
        Assert.Equal(1, picked.Axis);
        Assert.Equal(-1, Assert.IsType<TakeAlongAxis>(model.GetLayer("last")).Axis);

        float[] x = [.. Enumerable.Range(0, 30).Select(v => (v * 1.5f) - 7f)];
        float[] i = [0, 4, -1, 2, 2, 1, /* sample 1 */ 3, -5, 1, 0, 4, 4];
        float[] k = [2, -3, /* sample 1 */ 1, 1];
        IReadOnlyList<Tensor> outputs = model.PredictOutputs(new[] { Tensor.FromArray(x, 2, 5, 3), Tensor.FromArray(i, 2, 2, 3), Tensor.FromArray(k, 2, 1, 2) });

        // NumPy: picked[b, r, c] = x[b, i[b, r, c], c]; last[b, r, j] = x[b, r, k[b, 0, j]]; negative indices from the end.
        var expectedPicked = new float[12];
        var expectedLast = new float[20];
        for (int b = 0; b < 2; b++)
        {
            for (int r = 0; r < 2; r++)
            {
                for (int c = 0; c < 3; c++)
                {
                    int index = (int)i[(b * 6) + (r * 3) + c];
                    expectedPicked[(b * 6) + (r * 3) + c] = x[(b * 15) + (((index + 5) % 5) * 3) + c];
                }
            }

            for (int r = 0; r < 5; r++)
            {
                for (int j = 0; j < 2; j++)
                {
                    int index = (int)k[(b * 2) + j];
                    expectedLast[(b * 10) + (r * 2) + j] = x[(b * 15) + (r * 3) + ((index + 3) % 3)];
                }
            }
        }

        Assert.Equal(expectedPicked, outputs[0].ToArray());
        Assert.Equal(expectedLast, outputs[1].ToArray());
    }

    [H5pyFact]
    public void SaveModel_LoadedTakeAlongAxis_IsWrittenBackAsTheSameOperation()
    {
        Model model = KerasFormat.LoadModel(WriteArchive("take-along-axis-read.keras", s_takeAlongAxisModel, [""], []));
        string saved = Path.Combine(_folder, "take-along-axis-saved.keras");

        KerasFormat.SaveModel(model, saved);

        // The operation items come back as they were (the int32 Inputs become float32 ones, as NeuralNet's tensors hold floats).
        JsonArray original = JsonNode.Parse(s_takeAlongAxisModel)!["config"]!["layers"]!.AsArray();
        JsonArray written = ReadConfig(saved)["config"]!["layers"]!.AsArray();
        foreach (string name in new[] { "picked", "last" })
        {
            JsonObject item = original.Cast<JsonObject>().Single(w => (string?)w["name"] == name);
            JsonObject copy = written.Cast<JsonObject>().Single(w => (string?)w["name"] == name);
            foreach (string key in new[] { "module", "class_name", "config", "registered_name" })
            {
                Assert.True(JsonNode.DeepEquals(item[key], copy[key]), $"{name}: {key} {item[key]?.ToJsonString()} became {copy[key]?.ToJsonString()}");
            }

            Assert.Equal(Histories(item["inbound_nodes"])!.ToJsonString(), Histories(copy["inbound_nodes"])!.ToJsonString());
        }

        Model again = KerasFormat.LoadModel(saved);
        Tensor[] inputs = [Tensor.RandomNormal(new TensorShape(3, 5, 3), seed: 45), Tensor.FromArray([.. Enumerable.Range(0, 18).Select(v => (float)((v * 7 % 10) - 5))], 3, 2, 3), Tensor.FromArray([0f, 1, 2, -1, -2, -3], 3, 1, 2)];
        for (int o = 0; o < 2; o++)
        {
            Assert.Equal(model.PredictOutputs(inputs)[o].ToArray(), again.PredictOutputs(inputs)[o].ToArray());
        }
    }

    [Fact]
    public void SaveModel_TakeAlongAxisBuiltInCSharp_IsWrittenAsKerasTakeAlongAxisAndLoadsBack()
    {
        var scores = new Input(new TensorShape(4, 6), "scores");
        var best = new Input(new TensorShape(4, 2), "best");
        var model = new Functional([scores, best], new TakeAlongAxis(-1, name: "top").Call(scores, best), seed: 2);
        string path = Path.Combine(_folder, "csharp-take-along-axis.keras");

        KerasFormat.SaveModel(model, path);

        JsonObject item = ReadConfig(path)["config"]!["layers"]!.AsArray().Cast<JsonObject>().Single(l => (string?)l["name"] == "top");
        Assert.Equal("keras.src.ops.numpy.TakeAlongAxis TakeAlongAxis", $"{item["module"]}.{item["class_name"]} {item["registered_name"]}");
        Assert.Equal("{\"axis\":-1}", item["config"]!.ToJsonString());
        Assert.Equal("[[\"scores\",0,0],[\"best\",0,0]]", Histories(item["inbound_nodes"]![0]!["args"])!.ToJsonString());
        Assert.Equal("{}", item["inbound_nodes"]![0]!["kwargs"]!.ToJsonString());

        Model loaded = KerasFormat.LoadModel(path);
        Assert.Equal(-1, Assert.IsType<TakeAlongAxis>(loaded.GetLayer("top")).Axis);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 4, 6), seed: 46);
        Tensor indices = Tensor.FromArray([.. Enumerable.Range(0, 16).Select(v => (float)((v * 5 % 12) - 6))], 2, 4, 2);
        Assert.Equal(model.Predict(new[] { x, indices }).ToArray(), loaded.Predict(new[] { x, indices }).ToArray());
    }

    [H5pyTheory]
    [InlineData("null", "axis=None picks from the flattened tensor, batch axis included")]
    [InlineData("0", "axis 0 is the batch axis")]
    [InlineData("3", "axis 3 is out of range for an input of rank 3")]
    public void LoadModel_TakeAlongAxisOverTheBatch_IsRefusedNamingTheArgument(string axis, string reason)
    {
        string config = s_takeAlongAxisModel.Replace("\"config\": {\"axis\": 1}", $"\"config\": {{\"axis\": {axis}}}", StringComparison.Ordinal);
        string path = WriteArchive($"take-along-axis-{axis}.keras", config, [""], []);

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(path));

        Assert.Contains("'picked'", error.Message, StringComparison.Ordinal);
        Assert.Contains("argument 'axis'", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
