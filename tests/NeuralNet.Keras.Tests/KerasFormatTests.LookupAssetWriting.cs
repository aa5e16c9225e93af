using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

// SaveModel writes an IntegerLookup as Keras' IndexLookup (keras/src/layers/preprocessing/index_lookup.py) does:
// get_config holds input_vocabulary, the list given to the constructor, else null (idf_weights likewise); save_assets
// writes the vocabulary of any other layer, adapted or given one later, as "\n".join(str(w) for w in
// get_vocabulary(include_special_tokens=True)) to <layer path>/vocabulary.txt, and save_own_variables the TF-IDF
// weights (padded to max_tokens with pad_to_max_tokens) as vars/idf_weights.
public sealed partial class KerasFormatTests
{
    [H5pyTheory]
    [InlineData(CategoryOutputMode.MultiHot, false)]
    [InlineData(CategoryOutputMode.TfIdf, true)]
    public void SaveModel_AdaptedIntegerLookup_WritesItsVocabularyAsAnAssetAndLoadsBackTheSame(CategoryOutputMode mode, bool padded)
    {
        var lookup = new IntegerLookup(maxTokens: padded ? 7 : null, outputMode: mode, padToMaxTokens: padded, name: "lookup");
        // 1138 four times, 36 three times, 42 twice, 12 once: learned most frequent first, after the OOV token -1.
        lookup.Adapt(Tensor.FromArray([12f, 36, 1138, 42, 36, 1138, 1138, 42, 36, 1138, 36, 1138], 4, 3));
        Assert.False(lookup.HasInputVocabulary);
        var inputs = new Input(new TensorShape(3), "ids");
        var model = new Functional(inputs, new Dense(1, name: "score").Call(lookup.Call(inputs)), seed: 11);
        string path = Path.Combine(_folder, $"adapted-{mode}.keras");

        KerasFormat.SaveModel(model, path);

        JsonObject config = ReadSavedConfig(path, out Dictionary<string, string> assets);
        JsonNode written = config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["config"]!["name"] == "lookup")!["config"]!;
        Assert.Null(written["vocabulary"]);
        Assert.Null(written["idf_weights"]);
        Assert.Equal(5, (int)written["vocabulary_size"]!);
        Assert.Equal(new Dictionary<string, string> { ["assets/layers/integer_lookup/vocabulary.txt"] = "-1\n1138\n36\n42\n12" }, assets);
        JsonObject datasets = DumpSavedWeights(path)["datasets"]!.AsObject();
        float[]? idf = datasets["layers/integer_lookup/vars/idf_weights"]?["values"]!.AsArray().Select(v => (float)(double)v!).ToArray();
        Assert.Equal(padded ? [.. lookup.GetIdfWeights(), 0f, 0f] : null, idf);

        Model loaded = KerasFormat.LoadModel(path);

        var back = (IntegerLookup)loaded.GetLayer("lookup");
        Assert.Equal([-1L, 1138, 36, 42, 12], back.GetVocabulary());
        Assert.False(back.HasInputVocabulary);
        Tensor x = Tensor.FromArray([42f, 7f, 1138f, 12f, 12f, 36f], 2, 3);
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
    }

    [H5pyFact]
    public void SaveModel_IntegerLookupGivenItsVocabulary_KeepsItInlineAsKerasGetConfigDoes()
    {
        var lookup = new IntegerLookup(vocabulary: [12, 36, 1138, 42], outputMode: CategoryOutputMode.MultiHot, name: "lookup");
        Assert.True(lookup.HasInputVocabulary);
        var inputs = new Input(new TensorShape(3), "ids");
        var model = new Functional(inputs, new Dense(1, name: "score").Call(lookup.Call(inputs)), seed: 12);
        string path = Path.Combine(_folder, "given.keras");

        KerasFormat.SaveModel(model, path);

        JsonObject config = ReadSavedConfig(path, out Dictionary<string, string> assets);
        JsonNode written = config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["config"]!["name"] == "lookup")!["config"]!;
        Assert.Equal("[-1,12,36,1138,42]", written["vocabulary"]!.ToJsonString());
        Assert.Empty(assets);
        Model loaded = KerasFormat.LoadModel(path);
        Assert.True(((IntegerLookup)loaded.GetLayer("lookup")).HasInputVocabulary);
        Tensor x = Tensor.FromArray([42f, 7f, 1138f, 12f, 12f, 36f], 2, 3);
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());

        // Keras' set_vocabulary after construction leaves input_vocabulary as it was (None here): an asset again.
        lookup.SetVocabulary([7, 8, 9, 10]);
        Assert.False(lookup.HasInputVocabulary);
        KerasFormat.SaveModel(model, path);
        ReadSavedConfig(path, out assets);
        Assert.Equal(new Dictionary<string, string> { ["assets/layers/integer_lookup/vocabulary.txt"] = "-1\n7\n8\n9\n10" }, assets);
    }
}
