using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Keras.Tests;

// The structured-data tutorial's naming: keras.Input(shape=(1,), name="thal", dtype="string") -> StringLookup(...) (named
// string_lookup by Keras), kept here as model.Preprocessing["thal"] in front of the input "thal".
public sealed partial class KerasFormatTests
{
    // The tutorial's model, cut to one numeric column and the string one: age and the one-hot thal, concatenated.
    private static Functional HeartModel(out StringLookup thal, string? denseName = null)
    {
        thal = new StringLookup(vocabulary: ["fixed", "normal", "reversible"], outputMode: CategoryOutputMode.OneHot);
        var age = new Input(new TensorShape(1), "age");
        var thalInput = new Input(new TensorShape(thal.VocabularySize), "thal");
        SymbolicTensor all = new Concatenate().Call(age, thalInput);
        SymbolicTensor hidden = new Dense(4, ActivationFunction.Relu, name: denseName).Call(all);
        return new Functional([age, thalInput], new Dense(1, ActivationFunction.Sigmoid).Call(hidden), name: "heart", seed: 3);
    }

    [H5pyFact]
    public void SaveModel_PreprocessorKeyedByTheInputItFeeds_WritesTheTutorialsNamesAndLoadsBackUnderThatKey()
    {
        Functional model = HeartModel(out StringLookup thal);
        model.Preprocessing["thal"] = thal;
        string saved = Path.Combine(_folder, "heart.keras");

        KerasFormat.SaveModel(model, saved);

        // What Keras writes for the tutorial: the string Input keeps the column's name, the lookup has Keras' own name.
        JsonObject config = ReadSavedConfig(saved, out Dictionary<string, string> assets);
        var layers = config["config"]!["layers"]!.AsArray();
        JsonNode Item(string name) => layers.Single(l => (string?)l!["name"] == name)!;
        Assert.Equal("""{"batch_shape":[null,1],"dtype":"string","sparse":false,"name":"thal"}""", Item("thal")["config"]!.ToJsonString());
        JsonNode lookup = Item("string_lookup");
        Assert.Equal("StringLookup", (string?)lookup["class_name"]);
        Assert.Equal("string_lookup", (string?)lookup["config"]!["name"]);
        Assert.Contains("\"keras_history\":[\"thal\",0,0]", lookup["inbound_nodes"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("\"keras_history\":[\"string_lookup\",0,0]", Item("concatenate")["inbound_nodes"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal("""[["age",0,0],["thal",0,0]]""", config["config"]!["input_layers"]!.ToJsonString());
        // Given at construction, the vocabulary is in the config (Keras' get_config of input_vocabulary), not an asset.
        Assert.Equal("""["[UNK]","fixed","normal","reversible"]""", lookup["config"]!["vocabulary"]!.ToJsonString());
        Assert.Empty(assets);

        Model loaded = KerasFormat.LoadModel(saved);

        Assert.Equal(["thal"], loaded.Preprocessing.Keys);
        var loadedThal = (StringLookup)loaded.Preprocessing["thal"];
        Assert.Equal(thal.GetConfig().ToJson(), loadedThal.GetConfig().ToJson());
        Tensor age = Tensor.FromArray([60f, 41f, 57f], 3, 1);
        string[][] rows = [["fixed"], ["normal"], ["unseen"]];
        Assert.Equal(model.Predict(new[] { age, thal.Transform(rows) }).AsReadOnlySpan().ToArray(),
            loaded.Predict(new[] { age, loadedThal.Transform(rows) }).AsReadOnlySpan().ToArray());

        // Saved again, the same names: a round trip keeps the key, and Keras' file stays Keras' file.
        string again = Path.Combine(_folder, "heart-again.keras");
        KerasFormat.SaveModel(loaded, again);
        Assert.Equal(config["config"]!["layers"]!.ToJsonString(), ReadSavedConfig(again, out _)["config"]!["layers"]!.ToJsonString());
    }

    [Fact]
    public void SaveModel_PreprocessorKeyedByItsInput_TakesTheNextKerasNameWhenTheFirstIsTaken()
    {
        Functional model = HeartModel(out StringLookup thal, denseName: "string_lookup");
        model.Preprocessing["thal"] = thal;
        string saved = Path.Combine(_folder, "heart-taken.keras");

        KerasFormat.SaveModel(model, saved);

        var layers = ReadSavedConfig(saved, out _)["config"]!["layers"]!.AsArray();
        Assert.Equal("StringLookup", (string?)layers.Single(l => (string?)l!["name"] == "string_lookup_1")!["class_name"]);
        Assert.Equal("Dense", (string?)layers.Single(l => (string?)l!["name"] == "string_lookup")!["class_name"]);
    }

    [Fact]
    public void SaveModel_PreprocessorKeyedByAnotherInputOrLayer_IsRefusedSayingHowToKeyIt()
    {
        Functional model = HeartModel(out StringLookup thal, denseName: "hidden");
        string path = Path.Combine(_folder, "conflict.keras");
        foreach (string key in new[] { "age", "hidden" })
        {
            model.Preprocessing.Clear();
            model.Preprocessing[key] = thal;

            var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));

            Assert.Contains($"Model 'heart''s preprocessor '{key}' (StringLookup) feeds the input 'thal' and would be written as the layer '{key}', but the model already has another layer or input of that name. Nothing was written; put it in Preprocessing under the name of the input it feeds ('thal'), or under a key no layer or input has.",
                error.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(path));
        }
    }

    [Fact]
    public void SaveModel_PreprocessorKeyedByAnUnnamedInputsName_IsRefusedAsLoadModelWouldNotKeyItSo()
    {
        // The unnamed Input is 'input_layer', which LoadModel does not key by: the key would come back as "string_lookup".
        var lookup = new StringLookup(vocabulary: ["a", "b"], outputMode: CategoryOutputMode.MultiHot);
        var x = new Input(new TensorShape(3));
        var model = new Functional(x, new Dense(1, name: "hidden").Call(x), name: "plain", seed: 5);
        string path = Path.Combine(_folder, "unnamed-input.keras");
        model.Preprocessing[x.Layer.Name] = lookup;

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));

        Assert.Contains($"Model 'plain''s preprocessor '{x.Layer.Name}' (StringLookup) is keyed by the name of the input it feeds, '{x.Layer.Name}', which is the name Keras gives an input it was not given one: LoadModel would not key it so (it would come back as 'string_lookup'). Nothing was written; name the Input (new Input(shape, name: \"thal\"))",
            error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));

        // Keyed by a layer's name, the message does not suggest the automatic input name either.
        model.Preprocessing.Clear();
        model.Preprocessing["hidden"] = lookup;
        error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));
        Assert.Contains("Nothing was written; name the Input (new Input(shape, name: \"thal\")) and key the preprocessor by that name, or use a key no layer or input has.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("under the name of the input it feeds", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("input_layer", "string_lookup")]
    [InlineData("input_layer_3", "string_lookup")]
    [InlineData("input_7", "string_lookup")]
    [InlineData("string_lookup_input", "string_lookup")]
    [InlineData("thal", "thal")]
    [InlineData("thal_input", "thal_input")]
    public void Split_KerasNamedLookup_IsKeyedByItsInputUnlessKerasNamedTheInputToo(string inputName, string expectedKey)
    {
        var root = (JsonObject)JsonNode.Parse(StringLookupModel("count", 3).Replace("\"words\"", $"\"{inputName}\"", StringComparison.Ordinal))!;

        Assert.Equal(expectedKey, Assert.Single(KerasStringPreprocessors.Split(root, new Dictionary<string, string>(), "test")).Key);
    }

    [Fact]
    public void Split_Keras2SequentialsInputNamedAfterItsFirstLayer_KeysByTheLayersName()
    {
        // tf.keras' Sequential.add names the Input it makes '<first layer's name>_input'.
        string config = KerasConfigs.SequentialOver("string", [1], KerasConfigs.Lookup("StringLookup", "string_lookup", "one_hot", "null", 3), 3)
            .Replace("\"name\": \"input_layer\"", "\"name\": \"string_lookup_input\"", StringComparison.Ordinal);
        var root = (JsonObject)JsonNode.Parse(config)!;
        Assert.Contains("string_lookup_input", root.ToJsonString(), StringComparison.Ordinal);

        Assert.Equal("string_lookup", Assert.Single(KerasStringPreprocessors.Split(root, new Dictionary<string, string>(), "test")).Key);
    }

    [Fact]
    public void Split_DamagedConfigWhereAnInputsNameIsAnotherLookupsName_KeepsTheLayersName()
    {
        // Two lookups: 'string_lookup' on the Input 'thal' would take the key "thal", which the other lookup (named 'thal',
        // a repeated name no valid config has) holds: the first keeps its own name, so neither replaces the other.
        string config = $$$"""
            {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "functional", "trainable": true,
              "layers": [
                {{{KerasConfigs.Input("thal", "string", 3)}}},
                {{{KerasConfigs.Input("other", "string", 3)}}},
                {{{KerasConfigs.CalledOn(KerasConfigs.Lookup("StringLookup", "string_lookup", "count", "null", 3), "string_lookup", KerasConfigs.StringTensor("thal", 3))}}},
                {{{KerasConfigs.CalledOn(KerasConfigs.Lookup("StringLookup", "thal", "count", "null", 3), "thal", KerasConfigs.StringTensor("other", 3))}}}],
              "input_layers": [["thal", 0, 0], ["other", 0, 0]], "output_layers": [["string_lookup", 0, 0], ["thal", 0, 0]]},
             "registered_name": "Functional", "build_config": {"input_shape": null}}
            """;

        List<KerasStringPreprocessors.Removed> removed = KerasStringPreprocessors.Split((JsonObject)JsonNode.Parse(config)!, new Dictionary<string, string>(), "test");

        Assert.Equal(["string_lookup", "thal"], removed.Select(r => r.Key));
    }
}
