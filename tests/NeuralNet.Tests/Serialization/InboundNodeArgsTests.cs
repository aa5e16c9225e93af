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

    // Keras' seq2seq: the encoder's final states start the decoder (lstm(x, initial_state=[h, c])).
    private static Functional Seq2Seq()
    {
        var source = new Input(new TensorShape(5, 3), "source");
        var target = new Input(new TensorShape(4, 2), "target");
        SymbolicTensor[] encoded = new Lstm(4, name: "encoder") { ReturnState = true }.CallOutputs(source);
        SymbolicTensor decoded = new Lstm(4, returnSequences: true, name: "decoder").CallOutputs(target, encoded[1], encoded[2])[0];
        return new Functional([source, target], [new Dense(3, name: "next").Call(decoded)], seed: 6);
    }

    [Fact]
    public void Save_InitialStates_GoByKeywordAsKeras3WritesThemAndLoadBack()
    {
        Functional model = Seq2Seq();
        var (_, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        JsonNode decoder = JsonNode.Parse(metadata["model_config"])!["config"]!["layers"]!.AsArray().Single(l => (string)l!["config"]!["name"]! == "decoder")!;
        JsonObject node = decoder["inbound_nodes"]!.AsArray()[0]!.AsObject();

        // Keras 3: {"args": [target], "kwargs": {"initial_state": [encoder h, encoder c]}}.
        Assert.Equal("target", (string)node["args"]!.AsArray()[0]!["config"]!["keras_history"]![0]!);
        JsonArray states = node["kwargs"]!["initial_state"]!.AsArray();
        Assert.Equal(["encoder", "encoder"], states.Select(t => (string)t!["config"]!["keras_history"]![0]!));
        Assert.Equal([1, 2], states.Select(t => (int)t!["config"]!["keras_history"]![2]!));

        using Stream file = Edited(model, "decoder", _ => { });
        Model loaded = NeuralNet.Models.Model.Load(file);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 5, 3), 1), y = Tensor.RandomNormal(new TensorShape(2, 4, 2), 2);
        Assert.Equal(model.PredictOutputs([x, y])[0].ToArray(), loaded.PredictOutputs([x, y])[0].ToArray());
    }

    [Fact]
    public void Load_InitialStatesInTheArgumentList_StillRead()
    {
        // Files written before initial states went by keyword list them after the sequence: [[target, h, c]].
        Functional model = Seq2Seq();
        using Stream file = Edited(model, "decoder", node =>
        {
            JsonNode sequence = node["args"]!.AsArray()[0]!.DeepClone();
            JsonArray states = node["kwargs"]!["initial_state"]!.AsArray();
            node["args"] = new JsonArray(new JsonArray([sequence, .. states.Select(t => t!.DeepClone())]));
            node["kwargs"] = new JsonObject();
        });

        Model loaded = NeuralNet.Models.Model.Load(file);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 5, 3), 1), y = Tensor.RandomNormal(new TensorShape(2, 4, 2), 2);
        Assert.Equal(model.PredictOutputs([x, y])[0].ToArray(), loaded.PredictOutputs([x, y])[0].ToArray());
    }

    [Fact]
    public void Load_InitialStatesAsTheSecondPositionalArgument_AndRepeatedByKeyword_ReadOnce()
    {
        // Keras 3's lstm(target, [h, c]): "args": [target, [h, c]]; older tf.keras: the states listed with the sequence
        // and repeated by keyword.
        Functional model = Seq2Seq();
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 5, 3), 1), y = Tensor.RandomNormal(new TensorShape(2, 4, 2), 2);
        float[] expected = model.PredictOutputs([x, y])[0].ToArray();
        using Stream positional = Edited(model, "decoder", node =>
        {
            JsonArray states = node["kwargs"]!["initial_state"]!.AsArray();
            node["args"] = new JsonArray(node["args"]!.AsArray()[0]!.DeepClone(), new JsonArray([.. states.Select(t => t!.DeepClone())]));
            node["kwargs"] = new JsonObject();
        });
        Assert.Equal(expected, NeuralNet.Models.Model.Load(positional).PredictOutputs([x, y])[0].ToArray());

        using Stream repeated = Edited(model, "decoder", node =>
        {
            JsonArray states = node["kwargs"]!["initial_state"]!.AsArray();
            node["args"] = new JsonArray(new JsonArray([node["args"]!.AsArray()[0]!.DeepClone(), .. states.Select(t => t!.DeepClone())]));
        });
        Assert.Equal(expected, NeuralNet.Models.Model.Load(repeated).PredictOutputs([x, y])[0].ToArray());
    }

    [Fact]
    public void Load_InitialStateOnALayerWithoutStates_ThrowsNamingIt()
    {
        Functional model = Model();
        using Stream file = Edited(model, "head", node => node["kwargs"] = new JsonObject { ["initial_state"] = node["args"]!.AsArray()[0]!.DeepClone() });
        var error = Assert.Throws<InvalidDataException>(() => NeuralNet.Models.Model.Load(file));
        Assert.Contains("passes \"initial_state\" to a Dense", error.Message, StringComparison.Ordinal);
    }
}
