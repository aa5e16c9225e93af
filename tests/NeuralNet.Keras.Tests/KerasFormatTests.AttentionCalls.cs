using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>The attention layers' call arguments in Keras files: Keras 3's node form and tf.keras 2's keyword tensors.</summary>
public sealed partial class KerasFormatTests
{
    [Fact]
    public void SaveModel_CausalAttentionWithMask_WritesKerasCallArgumentsAndLoadsBack()
    {
        // A decoder block as Keras' examples write it: mha(x, x, attention_mask=padding, use_causal_mask=True).
        var x = new Input(new TensorShape(4, 6), "x");
        var padding = new Input(new TensorShape(4, 4), "padding");
        SymbolicTensor attended = new MultiHeadAttention(2, 3, useCausalMask: true, useAttentionMask: true, name: "decoder").Call(x, x, padding);
        var model = new Functional([x, padding], [new Dense(2, name: "head").Call(attended)], seed: 8);
        Tensor tokens = Tensor.RandomNormal(new TensorShape(3, 4, 6), seed: 2);
        Tensor mask = Tensor.RandomUniform(new TensorShape(3, 4, 4), seed: 3);
        foreach (ref float value in mask.AsSpan())
        {
            value = value < 0.3f ? 0f : 1f;
        }

        string path = Path.Combine(_folder, "decoder.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.PredictOutputs([tokens, mask])[0].ToArray(), loaded.PredictOutputs([tokens, mask])[0].ToArray());
        using ZipArchive archive = ZipFile.OpenRead(path);
        using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
        JsonObject decoder = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray()
            .Single(l => (string?)l!["config"]!["name"] == "decoder")!.AsObject();
        JsonObject node = decoder["inbound_nodes"]![0]!.AsObject();
        Assert.Equal(2, node["args"]!.AsArray().Count);
        Assert.Equal("padding", (string?)node["kwargs"]!["attention_mask"]!["config"]!["keras_history"]![0]);
        Assert.True((bool)node["kwargs"]!["use_causal_mask"]!);
        // Keras' MultiHeadAttention constructor refuses keys it does not have (Layer.__init__'s unrecognized kwargs).
        Assert.DoesNotContain("use_causal_mask", decoder["config"]!.AsObject().Select(p => p.Key));
        Assert.DoesNotContain("use_attention_mask", decoder["config"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void SaveModel_ReturnAttentionScores_WritesKeras3CallWithTensorIndexOneAndLoadsBack()
    {
        // Keras 3: out, scores = mha(x, x, return_attention_scores=True); Dense(2)(scores) reads it as
        // {"class_name": "__keras_tensor__", "config": {"keras_history": ["mha", 0, 1]}}.
        var x = new Input(new TensorShape(4, 6), "x");
        SymbolicTensor[] attended = new MultiHeadAttention(2, 3, useCausalMask: true, returnAttentionScores: true, name: "mha").CallOutputs(x, x);
        var model = new Functional(x, [attended[0], new Dense(2, name: "on_scores").Call(attended[1])], seed: 9);
        Tensor tokens = Tensor.RandomNormal(new TensorShape(3, 4, 6), seed: 2);
        string path = Path.Combine(_folder, "scores.keras");

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.True(((MultiHeadAttention)loaded.Layers.Single(l => l.Name == "mha")).ReturnAttentionScores);
        IReadOnlyList<Tensor> expected = model.PredictOutputs(tokens), actual = loaded.PredictOutputs(tokens);
        Assert.Equal(expected[0].ToArray(), actual[0].ToArray());
        Assert.Equal(expected[1].ToArray(), actual[1].ToArray());
        using ZipArchive archive = ZipFile.OpenRead(path);
        using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
        JsonArray layers = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray();
        JsonObject mha = layers.Single(l => (string?)l!["config"]!["name"] == "mha")!.AsObject();
        Assert.True((bool)mha["inbound_nodes"]![0]!["kwargs"]!["return_attention_scores"]!);
        Assert.DoesNotContain("return_attention_scores", mha["config"]!.AsObject().Select(p => p.Key));
        JsonNode read = layers.Single(l => (string?)l!["config"]!["name"] == "on_scores")!["inbound_nodes"]![0]!["args"]![0]!;
        Assert.Equal("__keras_tensor__", (string?)read["class_name"]);
        Assert.Equal("[\"mha\",0,1]", read["config"]!["keras_history"]!.ToJsonString());
    }

    [Fact]
    public void LoadModel_Keras3ModelOutputtingAttentionScores_LoadsBothOutputsOfTheLayer()
    {
        // config.json as Keras 3 writes keras.Model(x, [out, scores]) for out, scores = mha(x, x, return_attention_scores=True):
        // both outputs name the layer, with tensor indices 0 and 1.
        const string Query = """{"class_name": "__keras_tensor__", "config": {"shape": [null, 4, 6], "dtype": "float32", "keras_history": ["x", 0, 0]}}""";
        const string Initializer = """{"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}""";
        const string Config = $$$"""
            {"module": "keras", "class_name": "Functional", "config": {"name": "functional", "trainable": true, "layers": [
              {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4, 6], "dtype": "float32", "sparse": false, "name": "x"},
               "registered_name": null, "name": "x", "inbound_nodes": []},
              {"module": "keras.layers", "class_name": "MultiHeadAttention", "config": {"name": "mha", "trainable": true,
                 "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
                 "num_heads": 2, "key_dim": 3, "value_dim": 3, "dropout": 0.0, "use_bias": true, "output_shape": null, "attention_axes": [1],
                 "kernel_initializer": {{{Initializer}}},
                 "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
                 "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null,
                 "bias_constraint": null, "seed": null},
               "registered_name": null, "build_config": {"shapes_dict": {"query_shape": [null, 4, 6], "value_shape": [null, 4, 6]}}, "name": "mha",
               "inbound_nodes": [{"args": [{{{Query}}}, {{{Query}}}], "kwargs": {"return_attention_scores": true}}]}],
             "input_layers": [["x", 0, 0]], "output_layers": [["mha", 0, 0], ["mha", 0, 1]]},
             "registered_name": "Functional", "build_config": {"input_shape": null}}
            """;

        Model model = NeuralNetModelFile.Architecture(Config, "config.json");

        var mha = (MultiHeadAttention)model.Layers.Single(l => l.Name == "mha");
        Assert.True(mha.ReturnAttentionScores);
        Assert.Equal(2, model.Outputs.Count);
        Assert.Same(mha, model.Outputs[1].Layer);
        // Keras 3 names both outputs "mha"; dictionaries need distinct keys, so the second is "mha_1" (tf.keras' rule).
        Assert.Equal(["mha", "mha_1"], model.OutputNames);
        Tensor tokens = Tensor.RandomNormal(new TensorShape(3, 4, 6), seed: 2);
        IReadOnlyList<Tensor> outputs = model.PredictOutputs(tokens);
        Assert.Equal(new TensorShape(3, 4, 6), outputs[0].Shape);
        Assert.Equal(new TensorShape(3, 2, 4, 4), outputs[1].Shape);
        // The scores are the layer's own second output, rows of softmax weights.
        mha.Forward([tokens, tokens], training: false);
        Assert.Equal(mha.GetOutput(1).ToArray(), outputs[1].ToArray());
        float[] scores = outputs[1].ToArray();
        for (int row = 0; row < scores.Length / 4; row++)
        {
            Assert.Equal(1.0, scores.Skip(row * 4).Take(4).Sum(), 5);
        }
    }

    [Fact]
    public void LoadModel_Keras2KeywordTensors_BecomeKeras3TensorObjects()
    {
        // tf.keras 2 wrote mha(x, value=x, attention_mask=m) as one input entry whose kwargs name tensors as [layer, node, tensor].
        const string Config = """
            {"class_name": "Functional", "config": {"name": "model", "layers": [
              {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 6], "dtype": "float32", "name": "x"}, "name": "x", "inbound_nodes": []},
              {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 4], "dtype": "float32", "name": "m"}, "name": "m", "inbound_nodes": []},
              {"class_name": "MultiHeadAttention", "config": {"name": "mha", "num_heads": 2, "key_dim": 3}, "name": "mha",
               "inbound_nodes": [[["x", 0, 0, {"value": ["x", 0, 0], "attention_mask": ["m", 0, 0], "use_causal_mask": true, "training": null}]]]}],
             "input_layers": [["x", 0, 0], ["m", 0, 0]], "output_layers": [["mha", 0, 0]]}}
            """;

        JsonObject converted = KerasLegacyConfig.Convert((JsonObject)JsonNode.Parse(Config)!, "old.h5");

        JsonObject node = converted["config"]!["layers"]![2]!["inbound_nodes"]![0]!.AsObject();
        Assert.Equal("x", (string?)node["args"]![0]!["config"]!["keras_history"]![0]);
        Assert.Equal("__keras_tensor__", (string?)node["kwargs"]!["value"]!["class_name"]);
        Assert.Equal(["m", "0", "0"], node["kwargs"]!["attention_mask"]!["config"]!["keras_history"]!.AsArray().Select(v => v!.ToString()));
        Assert.True((bool)node["kwargs"]!["use_causal_mask"]!);
    }

    [Fact]
    public void LoadModel_Keras2CausalAttention_ReadsCausalAsUseCausalMask()
    {
        // tf.keras 2.4-2.9: Attention(causal=True) kept causality in the layer's config.
        const string Config = """
            {"class_name": "Functional", "config": {"name": "model", "layers": [
              {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4, 6], "dtype": "float32", "name": "x"}, "name": "x", "inbound_nodes": []},
              {"class_name": "Attention", "config": {"name": "attention", "use_scale": false, "causal": true, "dropout": 0.0}, "name": "attention",
               "inbound_nodes": [[["x", 0, 0, {}], ["x", 0, 0, {}]]]}],
             "input_layers": [["x", 0, 0]], "output_layers": [["attention", 0, 0]]}}
            """;

        JsonObject converted = KerasLegacyConfig.Convert((JsonObject)JsonNode.Parse(Config)!, "old.h5");
        Model model = NeuralNetModelFile.Architecture(converted.ToJsonString(), "old.h5");

        Assert.True(((Attention)model.Layers.Single(l => l.Name == "attention")).UseCausalMask);
    }

    [Theory]
    [InlineData("3.5.0", false, false)]
    [InlineData("3.9.2", false, false)]
    [InlineData("3.10.0", false, false)]
    [InlineData("3.12.0", false, false)]
    [InlineData("3.5.0", true, false)]
    [InlineData("3.12.0", true, true)]
    [InlineData(null, false, true)]
    public void LoadModel_TrainingFilledInByKeras_IsDroppedFromLayerCalls(string? version, bool training, bool kept)
    {
        // Keras 3.0-3.9 recorded Dropout's default training=False in its node, later versions when the call skipped input
        // conversion (nested models: LoadModel_NestedFunctional_...). Below 3.10 every layer call's training goes; from
        // 3.10 on only Keras' default does; an archive NeuralNet wrote (version null: its own metadata) keeps it.
        var x = new Input(new TensorShape(4), "x");
        SymbolicTensor dropped = new Dropout(0.5, name: "dropout").Call(new Dense(3, name: "encoded").Call(x), training: training);
        var model = new Functional(x, new Dense(1, name: "head").Call(dropped), seed: 3);
        string path = Path.Combine(_folder, $"filled-{version ?? "neuralnet"}-{training}.keras");
        KerasFormat.SaveModel(model, path);
        if (version is not null)
        {
            using ZipArchive archive = ZipFile.Open(path, ZipArchiveMode.Update);
            archive.GetEntry("metadata.json")!.Delete();
            using var writer = new StreamWriter(archive.CreateEntry("metadata.json").Open());
            writer.Write($$"""{"keras_version": "{{version}}", "date_saved": "2026-12-06@08:00:00"}""");
        }

        JsonArray layers = JsonNode.Parse(KerasFormat.LoadModel(path).ToJson())!["config"]!["layers"]!.AsArray();

        JsonNode? Training(string layer) => layers.Single(l => (string?)l!["config"]!["name"] == layer)!["inbound_nodes"]![0]!["kwargs"]!["training"];
        Assert.Equal(kept ? training : null, (bool?)Training("dropout"));
        Assert.Null(Training("encoded"));
    }
}
