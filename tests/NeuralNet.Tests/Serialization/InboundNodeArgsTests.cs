using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Serialization;

/// <summary>How a saved call's arguments are read: tensors as one list or as positional arguments (both Keras' forms);
/// a keyword argument the reader would not apply is refused rather than dropped.</summary>
public class InboundNodeArgsTests
{
    private static Functional Model()
    {
        var a = new Input(new TensorShape(3), "a");
        var b = new Input(new TensorShape(3), "b");
        SymbolicTensor sum = new Add(name: "sum").Call(a, b);
        return new Functional([a, b], [new Dense(2, name: "head").Call(sum)], seed: 4);
    }

    private static Stream Edited(Model model, string layer, Action<JsonObject> edit)
    {
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        JsonNode root = JsonNode.Parse(metadata["model_config"])!;
        JsonObject item = root["config"]!["layers"]!.AsArray().Single(l => (string)l!["config"]!["name"]! == layer)!.AsObject();
        edit(item["inbound_nodes"]!.AsArray()[0]!.AsObject());
        metadata["model_config"] = root.ToJsonString();
        var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;
        return stream;
    }

    [Fact]
    public void Load_TensorsAsPositionalArguments_ReadsEveryTensor()
    {
        Functional model = Model();
        using Stream file = Edited(model, "sum", node =>
        {
            JsonArray list = node["args"]!.AsArray()[0]!.AsArray();
            node["args"] = new JsonArray([.. list.Select(t => t!.DeepClone())]);
        });

        Model loaded = NeuralNet.Models.Model.Load(file);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3), 1), y = Tensor.RandomNormal(new TensorShape(2, 3), 2);
        Assert.Equal(model.PredictOutputs([x, y])[0].ToArray(), loaded.PredictOutputs([x, y])[0].ToArray());
    }

    [Fact]
    public void Load_KeywordArgumentNotRead_ThrowsNamingIt()
    {
        using Stream file = Edited(Model(), "head", node => node["kwargs"] = new JsonObject { ["mask"] = null, ["training"] = true, ["use_causal_mask"] = true });
        var error = Assert.Throws<InvalidDataException>(() => NeuralNet.Models.Model.Load(file));
        Assert.Contains("passes \"use_causal_mask\" by keyword, which NeuralNet does not read", error.Message, StringComparison.Ordinal);
    }
}
