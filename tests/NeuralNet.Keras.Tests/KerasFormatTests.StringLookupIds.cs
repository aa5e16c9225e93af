using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Keras.Tests;

// A StringLookup in int mode on a named string Input, the ids feeding an Embedding (keras.io's recommender examples:
// keras.Input(shape=(1,), name="user_id", dtype="string") -> StringLookup() -> Embedding). Keras' IndexLookup
// (keras/src/layers/preprocessing/index_lookup.py, string_lookup.py) writes it like the encoding modes: get_config keeps
// input_vocabulary (the list given at construction) or null, StringLookup.get_config drops vocabulary_dtype and adds
// encoding, save_assets writes get_vocabulary(include_special_tokens=True) for a layer without input_vocabulary. Its
// compute_output_shape in int mode is the input's shape, so the Input keeps the ids' shape.
public sealed partial class KerasFormatTests
{
    public static TheoryData<bool, bool> IdLookupCases() => new() { { true, false }, { false, false }, { true, true }, { false, true } };

    [H5pyTheory]
    [MemberData(nameof(IdLookupCases))]
    public void SaveModel_IntModeStringLookupKeyedByItsInput_IsWrittenInFrontOfItAndLoadsBackTheSame(bool given, bool masked)
    {
        string? mask = masked ? "[PAD]" : null;
        StringLookup lookup = given ? new StringLookup(vocabulary: ["cat", "dog", "bird"], maskToken: mask) : new StringLookup(maskToken: mask);
        if (!given)
        {
            lookup.Adapt(["dog", "cat", "dog", "bird", "dog", "cat"]);
        }

        var pet = new Input(new TensorShape(1), "pet");
        SymbolicTensor embedded = new Embedding(lookup.VocabularySize, 2, name: "embedding").Call(pet);
        var model = new Functional(pet, new Dense(1, name: "score").Call(new Flatten(name: "flatten").Call(embedded)), seed: 16);
        model.Preprocessing["pet"] = lookup;
        string path = Path.Combine(_folder, $"pet-ids-{given}-{masked}.keras");

        KerasFormat.SaveModel(model, path);

        JsonObject config = ReadSavedConfig(path, out Dictionary<string, string> assets);
        JsonObject[] layers = [.. config["config"]!["layers"]!.AsArray().Cast<JsonObject>()];
        JsonObject input = layers.Single(l => (string?)l["name"] == "pet");
        Assert.Equal("{\"batch_shape\":[null,1],\"dtype\":\"string\"}", new JsonObject { ["batch_shape"] = input["config"]!["batch_shape"]!.DeepClone(), ["dtype"] = input["config"]!["dtype"]!.DeepClone() }.ToJsonString());
        JsonObject written = layers.Single(l => (string?)l["name"] == "string_lookup");
        Assert.Equal("StringLookup", (string?)written["class_name"]);
        JsonObject settings = written["config"]!.AsObject();
        // StringLookup.get_config's keys: Layer's, IndexLookup's without vocabulary_dtype, and encoding (oov_method, which
        // the newest IndexLookup adds, is left out: its default is the only method here, and earlier releases refuse the key).
        Assert.Equal(
            ["dtype", "encoding", "idf_weights", "invert", "mask_token", "max_tokens", "name", "num_oov_indices", "oov_token", "output_mode", "pad_to_max_tokens", "sparse", "trainable", "vocabulary", "vocabulary_size"],
            settings.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("int", (string?)settings["output_mode"]);
        Assert.Equal(mask, (string?)settings["mask_token"]);
        Assert.Equal(lookup.VocabularySize, (int)settings["vocabulary_size"]!);
        Assert.Equal("[[\"pet\",0,0]]", Histories(written["inbound_nodes"]![0]!["args"])!.ToJsonString());
        Assert.Equal("[[\"string_lookup\",0,0]]", Histories(layers.Single(l => (string?)l["name"] == "embedding")["inbound_nodes"]![0]!["args"])!.ToJsonString());
        string vocabulary = string.Join("\n", lookup.GetVocabulary());
        if (given)
        {
            Assert.Equal(JsonSerializerList(lookup.GetVocabulary()), settings["vocabulary"]!.ToJsonString());
            Assert.Empty(assets);
        }
        else
        {
            Assert.Null(settings["vocabulary"]);
            Assert.Equal(new Dictionary<string, string> { ["assets/layers/string_lookup/vocabulary.txt"] = vocabulary }, assets);
        }

        Model loaded = KerasFormat.LoadModel(path);

        var back = Assert.IsType<StringLookup>(loaded.Preprocessing["pet"]);
        Assert.Equal(CategoryOutputMode.Int, back.OutputMode);
        Assert.Equal(lookup.GetVocabulary(), back.GetVocabulary());
        Assert.Equal(mask, back.MaskToken);
        Assert.Equal(given, back.HasInputVocabulary);
        string[][] rows = [["dog"], ["zebra"], ["bird"], [mask ?? "cat"]];
        Tensor ids = lookup.Transform(rows);
        Assert.Equal(ids.ToArray(), back.Transform(rows).ToArray());
        Assert.Equal(model.Predict(ids).ToArray(), loaded.Predict(back.Transform(rows)).ToArray());

        string again = Path.Combine(_folder, $"pet-ids-{given}-{masked}-again.keras");
        KerasFormat.SaveModel(loaded, again);
        JsonObject againConfig = ReadSavedConfig(again, out Dictionary<string, string> assetsAgain);
        Assert.Equal(assets, assetsAgain);
        Assert.Equal(written["config"]!.ToJsonString(), againConfig["config"]!["layers"]!.AsArray().Single(l => (string?)l!["name"] == "string_lookup")!["config"]!.ToJsonString());
    }

    [H5pyFact]
    public void LoadModel_KerasIntModeStringLookupIntoAnEmbedding_TakesTheAssetsIdsAndPredictsByHand()
    {
        // keras.Input(shape=(1,), name="user_id", dtype="string") -> StringLookup() adapted to (alice, bob, carol)
        // -> Embedding(4, 2) -> Flatten -> Dense(1), as Keras 3 writes it: the lookup's ids are int64 tensors.
        string config = $$$"""
            {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "recommender", "trainable": true,
              "layers": [
                {{{KerasConfigs.Input("user_id", "string", 1)}}},
                {{{KerasConfigs.CalledOn(KerasConfigs.Lookup("StringLookup", "string_lookup", "int", "null", 4), "string_lookup", KerasConfigs.StringTensor("user_id", 1))}}},
                {"module": "keras.layers", "class_name": "Embedding", "config": {"name": "embedding", "trainable": true,
                 "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
                 "input_dim": 4, "output_dim": 2, "embeddings_initializer": {"module": "keras.initializers", "class_name": "RandomUniform",
                 "config": {"seed": null, "minval": -0.05, "maxval": 0.05}, "registered_name": null}, "embeddings_regularizer": null,
                 "activity_regularizer": null, "embeddings_constraint": null, "mask_zero": false, "lora_rank": null},
                 "registered_name": null, "build_config": {"input_shape": [null, 1]}, "name": "embedding",
                 "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 1], "dtype": "int64", "keras_history": ["string_lookup", 0, 0]}}], "kwargs": {}}]},
                {"module": "keras.layers", "class_name": "Flatten", "config": {"name": "flatten", "trainable": true,
                 "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "data_format": "channels_last"},
                 "registered_name": null, "build_config": {"input_shape": [null, 1, 2]}, "name": "flatten",
                 "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 1, 2], "dtype": "float32", "keras_history": ["embedding", 0, 0]}}], "kwargs": {}}]},
                {{{KerasConfigs.Called(KerasConfigs.Dense("dense", 1, "linear", 2), "dense", "flatten", 2)}}}],
              "input_layers": [["user_id", 0, 0]], "output_layers": [["dense", 0, 0]]},
             "registered_name": "Functional", "build_config": {"input_shape": null}}
            """;
        float[] table = [0.5f, -1f, 1f, 2f, -3f, 0.25f, 4f, -0.5f];
        string archive = WithAssets(WriteArchive("recommender.keras", config, ["", "layers/input_layer", "layers/string_lookup", "layers/embedding", "layers/flatten", "layers/dense"],
            [("layers/embedding/vars/0", Tensor.FromArray(table, 4, 2)), ("layers/dense/vars/0", Tensor.FromArray([10f, 100f], 2, 1)), ("layers/dense/vars/1", Tensor.FromArray([0.5f], 1))]),
            ("assets/layers/string_lookup/vocabulary.txt", "[UNK]\nalice\nbob\ncarol"));

        Model model = KerasFormat.LoadModel(archive);

        var lookup = Assert.IsType<StringLookup>(model.Preprocessing["user_id"]);
        Assert.Equal(["[UNK]", "alice", "bob", "carol"], lookup.GetVocabulary());
        Assert.False(lookup.HasInputVocabulary);
        Assert.Equal(new TensorShape(1), model.Inputs[0].Shape);
        Tensor ids = lookup.Transform([["bob"], ["zed"], ["carol"]]);
        Assert.Equal([2f, 0f, 3f], ids.ToArray());
        // dense(flatten(embedding[id])) = 10 * table[id, 0] + 100 * table[id, 1] + 0.5.
        Assert.Equal([(10f * -3f) + (100f * 0.25f) + 0.5f, (10f * 0.5f) + (100f * -1f) + 0.5f, (10f * 4f) + (100f * -0.5f) + 0.5f], model.Predict(ids).ToArray());

        // Saved again: the same Keras layer on the same Input, its vocabulary the asset again.
        string saved = Path.Combine(_folder, "recommender-saved.keras");
        KerasFormat.SaveModel(model, saved);
        JsonObject written = ReadSavedConfig(saved, out Dictionary<string, string> assets);
        JsonArray original = JsonNode.Parse(config)!["config"]!["layers"]!.AsArray();
        JsonObject Item(JsonNode root, string name) => root["config"]!["layers"]!.AsArray().Cast<JsonObject>().Single(l => (string?)l["name"] == name);
        Assert.Equal(SortedWithout(original[1]!["config"]!, "oov_method"), SortedWithout(Item(written, "string_lookup")["config"]!));
        Assert.Equal("[null,1]", Item(written, "user_id")["config"]!["batch_shape"]!.ToJsonString());
        Assert.Equal(new Dictionary<string, string> { ["assets/layers/string_lookup/vocabulary.txt"] = "[UNK]\nalice\nbob\ncarol" }, assets);
    }

    [Fact]
    public void SaveModel_IntModeStringLookupNotKeyedByAnInput_IsRefusedSayingHowToKeyIt()
    {
        var pet = new Input(new TensorShape(1), "pet");
        var model = new Functional(pet, new Dense(1).Call(new Flatten().Call(new Embedding(4, 2).Call(pet))), seed: 17);
        model.Preprocessing["animals"] = new StringLookup(vocabulary: ["cat", "dog", "bird"]);
        string path = Path.Combine(_folder, "pet-unkeyed.keras");

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));

        Assert.Contains("preprocessor 'animals' (StringLookup) gives ids in the shape of its strings, so SaveModel cannot tell which model input it feeds, if any", error.Message, StringComparison.Ordinal);
        Assert.Contains("(the model's inputs: 'pet')", error.Message, StringComparison.Ordinal);
        Assert.Contains("key it by the name of the input it feeds", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    // A config's entries sorted by key, some left out: the same settings whatever order they were written in.
    private static string SortedWithout(JsonNode config, params string[] without) =>
        string.Join(", ", config.AsObject().Where(p => !without.Contains(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value?.ToJsonString() ?? "null"}"));

    private static string JsonSerializerList(IEnumerable<string> tokens) => new JsonArray([.. tokens.Select(t => (JsonNode)JsonValue.Create(t)!)]).ToJsonString();
}
