using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Serialization;

/// <summary>
/// The attention layers' Keras call arguments in saved files: written as Keras 3 writes the call
/// (<c>mha(query, value, attention_mask=m, use_causal_mask=True)</c>, <c>attention([q, v], mask=[qm, vm])</c>), read
/// back from that form, from Keras' keyword forms and from the older form that kept them in the layer's config.
/// </summary>
public class AttentionCallArgumentsTests
{
    private static readonly Tensor s_tokens = Tensor.RandomNormal(new TensorShape(2, 5, 6), seed: 1);
    private static readonly Tensor s_mask = Mask();

    // A causal self-attention with an attention mask, then a cross attention whose value and key differ.
    private static Functional MultiHead()
    {
        var x = new Input(new TensorShape(5, 6), "x");
        var mask = new Input(new TensorShape(5, 5), "mask");
        SymbolicTensor self = new MultiHeadAttention(2, 3, useCausalMask: true, useAttentionMask: true, name: "self").Call(x, x, mask);
        SymbolicTensor cross = new MultiHeadAttention(2, 3, valueDim: 4, name: "cross").Call(self, x, self);
        return new Functional([x, mask], [cross], seed: 3);
    }

    // Dot attention with both masks and a causal mask, then additive attention without.
    private static Functional Scores()
    {
        var q = new Input(new TensorShape(5, 6), "q");
        var qm = new Input(new TensorShape(5), "qm");
        var vm = new Input(new TensorShape(5), "vm");
        SymbolicTensor dot = new Attention(useCausalMask: true, useMasks: true, name: "dot").Call(q, q, qm, vm);
        SymbolicTensor additive = new AdditiveAttention(name: "additive").Call(dot, q);
        return new Functional([q, qm, vm], [additive], seed: 4);
    }

    private static Tensor Mask()
    {
        var mask = new Tensor(new TensorShape(2, 5, 5));
        Span<float> values = mask.AsSpan();
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i % 7 == 3 ? 0f : 1f;
        }

        return mask;
    }

    private static Tensor[] ScoreInputs()
    {
        var qm = new Tensor(new TensorShape(2, 5));
        var vm = new Tensor(new TensorShape(2, 5));
        qm.AsSpan().Fill(1f);
        vm.AsSpan().Fill(1f);
        qm.AsSpan()[4] = 0f;
        vm.AsSpan()[7] = 0f;
        return [s_tokens, qm, vm];
    }

    private static JsonObject ModelConfig(Model model) =>
        JsonNode.Parse(ModelSerializer.DescribeModel(model, includeTraining: false).Metadata["model_config"])!.AsObject();

    private static JsonObject Layer(JsonObject config, string name) =>
        config["config"]!["layers"]!.AsArray().Single(l => (string)l!["config"]!["name"]! == name)!.AsObject();

    private static string History(JsonNode tensor) => (string)tensor["config"]!["keras_history"]![0]!;

    private static Stream File(Model model, Action<JsonObject> edit)
    {
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        JsonObject root = JsonNode.Parse(metadata["model_config"])!.AsObject();
        edit(root);
        metadata["model_config"] = root.ToJsonString();
        var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;
        return stream;
    }

    private static void AssertSamePredictions(Model expected, Model actual, Tensor[] inputs) =>
        Assert.Equal(expected.PredictOutputs(inputs)[0].ToArray(), actual.PredictOutputs(inputs)[0].ToArray());

    [Fact]
    public void Save_MultiHeadAttention_WritesKerasCallAndNoCallOptionsInConfig()
    {
        JsonObject config = ModelConfig(MultiHead());
        JsonObject self = Layer(config, "self");
        JsonObject node = self["inbound_nodes"]!.AsArray().Single()!.AsObject();

        // Keras 3: {"args": [query, value], "kwargs": {"attention_mask": mask, "use_causal_mask": true}}.
        Assert.Equal(["x", "x"], node["args"]!.AsArray().Select(t => History(t!)));
        Assert.Equal("mask", History(node["kwargs"]!["attention_mask"]!));
        Assert.True((bool)node["kwargs"]!["use_causal_mask"]!);
        JsonObject layerConfig = self["config"]!.AsObject();
        foreach (string key in (string[])["use_causal_mask", "use_attention_mask", "use_gate", "flash_attention"])
        {
            Assert.False(layerConfig.ContainsKey(key), key);
        }

        JsonObject cross = Layer(config, "cross")["inbound_nodes"]!.AsArray().Single()!.AsObject();
        Assert.Equal(["self", "x", "self"], cross["args"]!.AsArray().Select(t => History(t!)));
        Assert.Empty(cross["kwargs"]!.AsObject());
    }

    [Fact]
    public void SaveLoad_ReturnAttentionScores_WritesKerasCallWithTwoOutputTensorsAndReadsItBack()
    {
        // Keras 3: mha(x, x, return_attention_scores=True) gives [output, scores]; a later call reads the scores as
        // keras_history [mha, 0, 1], and the layer's config holds no call argument.
        var x = new Input(new TensorShape(5, 6), "x");
        SymbolicTensor[] mha = new MultiHeadAttention(2, 3, returnAttentionScores: true, name: "mha").CallOutputs(x, x);
        SymbolicTensor[] att = new Attention(returnAttentionScores: true, name: "att").CallOutputs(mha[0], x);
        SymbolicTensor pooled = new Dense(2, name: "on_scores").Call(mha[1]);
        var model = new Functional(x, [att[0], new Identity(name: "att_scores").Call(att[1]), pooled], seed: 6);

        JsonObject config = ModelConfig(model);
        foreach (string name in (string[])["mha", "att"])
        {
            JsonObject layer = Layer(config, name);
            Assert.True((bool)layer["inbound_nodes"]![0]!["kwargs"]!["return_attention_scores"]!, name);
            Assert.False(layer["config"]!.AsObject().ContainsKey("return_attention_scores"), name);
        }

        string Reads(string layer) => Layer(config, layer)["inbound_nodes"]![0]!["args"]![0]!["config"]!["keras_history"]!.ToJsonString();
        Assert.Equal("[\"mha\",0,1]", Reads("on_scores"));
        Assert.Equal("[\"att\",0,1]", Reads("att_scores"));
        Assert.Equal("[\"att\",0,0]", config["config"]!["output_layers"]![0]!.ToJsonString());

        using Stream file = File(model, _ => { });
        Model loaded = NeuralNet.Models.Model.Load(file);

        Assert.True(((MultiHeadAttention)loaded.Layers.Single(l => l.Name == "mha")).ReturnAttentionScores);
        Assert.True(((Attention)loaded.Layers.Single(l => l.Name == "att")).ReturnAttentionScores);
        IReadOnlyList<Tensor> expected = model.PredictOutputs(s_tokens), actual = loaded.PredictOutputs(s_tokens);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(expected[i].ToArray(), actual[i].ToArray());
        }
    }

    [Fact]
    public void SaveLoad_MultiHeadAttentionCallArguments_RoundTripBitForBit()
    {
        Functional model = MultiHead();
        using Stream file = File(model, _ => { });

        Model loaded = NeuralNet.Models.Model.Load(file);

        var self = (MultiHeadAttention)loaded.Layers.Single(l => l.Name == "self");
        Assert.True(self.UseCausalMask);
        Assert.True(self.UseAttentionMask);
        Assert.False(((MultiHeadAttention)loaded.Layers.Single(l => l.Name == "cross")).UseCausalMask);
        AssertSamePredictions(model, loaded, [s_tokens, s_mask]);
    }

    [Fact]
    public void Save_Attention_WritesInputListAndMasksByKeyword()
    {
        JsonObject node = Layer(ModelConfig(Scores()), "dot")["inbound_nodes"]!.AsArray().Single()!.AsObject();

        // Keras 3: attention([q, v], mask=[query_mask, value_mask], use_causal_mask=True).
        JsonArray args = node["args"]!.AsArray();
        Assert.Single(args);
        Assert.Equal(["q", "q"], args[0]!.AsArray().Select(t => History(t!)));
        Assert.Equal(["qm", "vm"], node["kwargs"]!["mask"]!.AsArray().Select(t => History(t!)));
        Assert.True((bool)node["kwargs"]!["use_causal_mask"]!);
    }

    [Fact]
    public void SaveLoad_AttentionMasksAndCausalMask_RoundTripBitForBit()
    {
        Functional model = Scores();
        using Stream file = File(model, _ => { });

        Model loaded = NeuralNet.Models.Model.Load(file);

        var dot = (Attention)loaded.Layers.Single(l => l.Name == "dot");
        Assert.True(dot.UseMasks);
        Assert.True(dot.UseCausalMask);
        AssertSamePredictions(model, loaded, ScoreInputs());
    }

    [Fact]
    public void Load_TensorsByKeyword_ReadsThemInKerasOrder()
    {
        // mha(query=x, value=x, attention_mask=mask, use_causal_mask=True) and mha(self, value=x, key=self).
        Functional model = MultiHead();
        using Stream file = File(model, root =>
        {
            JsonObject self = Layer(root, "self")["inbound_nodes"]![0]!.AsObject();
            JsonArray args = self["args"]!.AsArray();
            self["kwargs"]!["query"] = args[0]!.DeepClone();
            self["kwargs"]!["value"] = args[1]!.DeepClone();
            self["args"] = new JsonArray();
            JsonObject cross = Layer(root, "cross")["inbound_nodes"]![0]!.AsObject();
            JsonArray crossArgs = cross["args"]!.AsArray();
            cross["kwargs"]!["key"] = crossArgs[2]!.DeepClone();
            cross["kwargs"]!["value"] = crossArgs[1]!.DeepClone();
            cross["args"] = new JsonArray(crossArgs[0]!.DeepClone());
        });

        AssertSamePredictions(model, NeuralNet.Models.Model.Load(file), [s_tokens, s_mask]);
    }

    [Fact]
    public void Load_OptionsInLayerConfigAndMaskAmongPositionalTensors_StillLoads()
    {
        // The form builds before session 32 wrote: the options in the layer's config, the masks after the sequences.
        Functional model = Scores();
        using Stream file = File(model, root =>
        {
            JsonObject dot = Layer(root, "dot");
            JsonObject node = dot["inbound_nodes"]![0]!.AsObject();
            JsonArray list = node["args"]![0]!.AsArray();
            foreach (JsonNode? mask in node["kwargs"]!["mask"]!.AsArray())
            {
                list.Add(mask!.DeepClone());
            }

            node["kwargs"] = new JsonObject();
            dot["config"]!["use_masks"] = true;
            dot["config"]!["use_causal_mask"] = true;
        });

        Model loaded = NeuralNet.Models.Model.Load(file);

        Assert.True(((Attention)loaded.Layers.Single(l => l.Name == "dot")).UseCausalMask);
        AssertSamePredictions(model, loaded, ScoreInputs());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Load_CausalMaskInCallAndInOldConfig_TheCallWins(bool passed)
    {
        // Keras reads only the call's use_causal_mask; a config value left from the older form must not override it.
        using Stream file = File(MultiHead(), root =>
        {
            JsonObject cross = Layer(root, "cross");
            cross["config"]!["use_causal_mask"] = !passed;
            cross["inbound_nodes"]![0]!["kwargs"]!["use_causal_mask"] = passed;
        });

        Model loaded = NeuralNet.Models.Model.Load(file);

        Assert.Equal(passed, ((MultiHeadAttention)loaded.Layers.Single(l => l.Name == "cross")).UseCausalMask);
    }

    [Fact]
    public void Load_NullMasksAndFalseScores_AreAccepted()
    {
        // Keras writes query_mask/value_mask/key_mask null and return_attention_scores false for a plain call.
        Functional model = MultiHead();
        using Stream file = File(model, root =>
        {
            JsonObject kwargs = Layer(root, "cross")["inbound_nodes"]![0]!["kwargs"]!.AsObject();
            kwargs["query_mask"] = null;
            kwargs["value_mask"] = null;
            kwargs["key_mask"] = null;
            kwargs["return_attention_scores"] = false;
            kwargs["use_causal_mask"] = false;
        });

        AssertSamePredictions(model, NeuralNet.Models.Model.Load(file), [s_tokens, s_mask]);
    }

    [Theory]
    [InlineData("query_mask", "passes \"query_mask\", which NeuralNet does not read")]
    [InlineData("both", "passes \"query\" both by position and by keyword")]
    [InlineData("gap", "passes \"key\" without \"value\"")]
    [InlineData("causal", "inbound_nodes[0].kwargs: \"use_causal_mask\" must be true, false or null but is \"yes\"")]
    [InlineData("constant mask", "passes \"attention_mask\" as an array, not a tensor of the model")]
    [InlineData("constant key", "passes \"key\" as 1, not a tensor of the model")]
    public void Load_MultiHeadCallArgumentNotRead_ThrowsNamingIt(string edit, string expected)
    {
        using Stream file = File(MultiHead(), root =>
        {
            JsonObject node = Layer(root, "cross")["inbound_nodes"]![0]!.AsObject();
            JsonObject kwargs = node["kwargs"]!.AsObject();
            JsonArray args = node["args"]!.AsArray();
            switch (edit)
            {
                case "query_mask": kwargs["query_mask"] = args[0]!.DeepClone(); break;
                case "both": kwargs["query"] = args[0]!.DeepClone(); break;
                case "gap":
                    kwargs["key"] = args[2]!.DeepClone();
                    node["args"] = new JsonArray(args[0]!.DeepClone());
                    break;
                case "causal": kwargs["use_causal_mask"] = "yes"; break;
                case "constant mask": kwargs["attention_mask"] = new JsonArray(1, 0, 1); break;
                default:
                    // tf.keras 2 and Keras 3 write a constant passed by keyword as the value itself.
                    kwargs["key"] = 1;
                    node["args"] = new JsonArray(args[0]!.DeepClone(), args[1]!.DeepClone());
                    break;
            }
        });

        var error = Assert.Throws<InvalidDataException>(() => NeuralNet.Models.Model.Load(file));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("'cross'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CallsThatDisagreeOnCausalMask_ThrowsNamingBoth()
    {
        // A shared layer whose second call passes use_causal_mask=True: the layer holds one value.
        var x = new Input(new TensorShape(5, 6), "x");
        var shared = new MultiHeadAttention(2, 3, name: "shared");
        SymbolicTensor once = shared.Call(x, x);
        var model = new Functional(x, shared.Call(once, once), seed: 5);
        using Stream file = File(model, root => Layer(root, "shared")["inbound_nodes"]![1]!["kwargs"]!["use_causal_mask"] = true);

        var error = Assert.Throws<InvalidDataException>(() => NeuralNet.Models.Model.Load(file));
        Assert.Contains("inbound node 0 passes \"use_causal_mask\": false but inbound node 1 passes \"use_causal_mask\": true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OneOfTwoAttentionMasksNull_ThrowsNamingMask()
    {
        using Stream file = File(Scores(), root => Layer(root, "dot")["inbound_nodes"]![0]!["kwargs"]!["mask"]![1] = null);

        var error = Assert.Throws<InvalidDataException>(() => NeuralNet.Models.Model.Load(file));
        Assert.Contains("passes \"mask\" with one of [query_mask, value_mask] null", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MaskListWithKeyMask_ReadsQueryAndValueMasks()
    {
        // Keras' Attention takes [query_mask, value_mask, key_mask] too and does not read the third; Keras 3.0-3.9 wrote
        // [null, null, null] for a call on [q, v, k] without masks.
        Functional model = Scores();
        using Stream file = File(model, root =>
        {
            root["config"]!["layers"]!.AsArray().Single(l => (string)l!["config"]!["name"]! == "dot")!["inbound_nodes"]![0]!["kwargs"]!["mask"]!.AsArray().Add(null);
            Layer(root, "additive")["inbound_nodes"]![0]!["kwargs"]!["mask"] = new JsonArray(null, null, null);
        });

        AssertSamePredictions(model, NeuralNet.Models.Model.Load(file), ScoreInputs());
    }

    [Fact]
    public void Load_AttentionMaskOnOtherLayer_IsStillRefused()
    {
        // The attention keywords are read for the attention layers only.
        var x = new Input(new TensorShape(5, 6), "x");
        var model = new Functional(x, new Dense(2, name: "head").Call(x), seed: 6);
        using Stream file = File(model, root => Layer(root, "head")["inbound_nodes"]![0]!["kwargs"]!["attention_mask"] = Layer(root, "head")["inbound_nodes"]![0]!["args"]![0]!.DeepClone());

        var error = Assert.Throws<InvalidDataException>(() => NeuralNet.Models.Model.Load(file));
        Assert.Contains("passes \"attention_mask\" by keyword, which NeuralNet does not read", error.Message, StringComparison.Ordinal);
    }
}
