using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Every output mode of IntegerLookup (a layer of the model) and StringLookup / TextVectorization (preprocessors written as
// the layer on a string Input), given a vocabulary at construction or adapted, saved with SaveModel and loaded back, as
// Keras' IndexLookup (keras/src/layers/preprocessing/index_lookup.py) keeps them: get_config holds input_vocabulary
// (and input_idf_weights), the list given to the constructor, else null; save_assets writes nothing for a layer given its
// vocabulary so, and get_vocabulary(include_special_tokens=True) joined by "\n" for any other, a layer without a
// vocabulary included (its special tokens alone); save_own_variables writes the TF-IDF weights in tf_idf mode either way.
public sealed partial class KerasFormatTests
{
    public static TheoryData<CategoryOutputMode, bool> AllLookupModes()
    {
        var data = new TheoryData<CategoryOutputMode, bool>();
        foreach (CategoryOutputMode mode in Enum.GetValues<CategoryOutputMode>())
        {
            data.Add(mode, true);
            data.Add(mode, false);
        }

        return data;
    }

    [H5pyTheory]
    [MemberData(nameof(AllLookupModes))]
    public void SaveModel_IntegerLookupInEveryMode_GivenStaysInlineAdaptedIsAnAssetAndBothLoadBackTheSame(CategoryOutputMode mode, bool given)
    {
        bool tfIdf = mode == CategoryOutputMode.TfIdf;
        IntegerLookup lookup = given
            ? new IntegerLookup(vocabulary: [1138, 36, 42, 12], idfWeights: tfIdf ? [0.4f, 0.6f, 0.9f, 1.3f] : null, outputMode: mode, name: "lookup")
            : new IntegerLookup(outputMode: mode, name: "lookup");
        if (!given)
        {
            lookup.Adapt(Tensor.FromArray([12f, 36, 1138, 42, 36, 1138, 1138, 42, 36, 1138, 36, 1138], 4, 3));
        }

        // One value per sample in one-hot mode (Keras' (batch, 1) -> (batch, depth)), rows of three otherwise.
        int width = mode == CategoryOutputMode.OneHot ? 1 : 3;
        var inputs = new Input(new TensorShape(width), "ids");
        var model = new Functional(inputs, new Dense(1, name: "score").Call(lookup.Call(inputs)), seed: 13);
        string path = Path.Combine(_folder, $"integer-{mode}-{given}.keras");

        KerasFormat.SaveModel(model, path);

        JsonObject config = ReadSavedConfig(path, out Dictionary<string, string> assets);
        JsonNode written = config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["config"]!["name"] == "lookup")!["config"]!;
        string vocabulary = string.Join("\n", lookup.GetVocabulary().Select(t => t.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        if (given)
        {
            Assert.Equal("[" + vocabulary.Replace('\n', ',') + "]", written["vocabulary"]!.ToJsonString());
            Assert.Equal(tfIdf, written["idf_weights"] is not null);
            Assert.Empty(assets);
        }
        else
        {
            Assert.Null(written["vocabulary"]);
            Assert.Null(written["idf_weights"]);
            Assert.Equal(new Dictionary<string, string> { ["assets/layers/integer_lookup/vocabulary.txt"] = vocabulary }, assets);
        }

        Assert.Equal(tfIdf, DumpSavedWeights(path)["datasets"]!.AsObject().ContainsKey("layers/integer_lookup/vars/idf_weights"));

        Model loaded = KerasFormat.LoadModel(path);

        var back = (IntegerLookup)loaded.GetLayer("lookup");
        Assert.Equal(lookup.GetVocabulary(), back.GetVocabulary());
        Assert.Equal(lookup.GetIdfWeights(), back.GetIdfWeights());
        Assert.Equal(given, back.HasInputVocabulary);
        Tensor x = width == 1 ? Tensor.FromArray([42f, 7f, 1138f], 3, 1) : Tensor.FromArray([42f, 7f, 1138f, 12f, 12f, 36f], 2, 3);
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());

        // Saved again, the loaded model keeps the form: Keras' layer after from_config or load_assets is the same.
        string again = Path.Combine(_folder, $"integer-{mode}-{given}-again.keras");
        KerasFormat.SaveModel(loaded, again);
        ReadSavedConfig(again, out Dictionary<string, string> assetsAgain);
        Assert.Equal(assets, assetsAgain);
    }

    [H5pyTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void SaveModel_IntLookupWithoutVocabulary_WritesItsSpecialTokensAsKerasDoesAndLoadsBackWithoutOne(bool masked)
    {
        // Keras builds an int-mode lookup without a vocabulary; save_assets still writes get_vocabulary(True), the special
        // tokens alone, and load_assets leaves the table empty. Before, no asset was written and LoadModel refused the file.
        var lookup = new IntegerLookup(maskToken: masked ? 0 : null, name: "lookup");
        var inputs = new Input(new TensorShape(3), "ids");
        var model = new Functional(inputs, new Dense(1, name: "score").Call(lookup.Call(inputs)), seed: 14);
        string path = Path.Combine(_folder, $"integer-empty-{masked}.keras");

        KerasFormat.SaveModel(model, path);

        ReadSavedConfig(path, out Dictionary<string, string> assets);
        Assert.Equal(new Dictionary<string, string> { ["assets/layers/integer_lookup/vocabulary.txt"] = masked ? "0\n-1" : "-1" }, assets);
        Model loaded = KerasFormat.LoadModel(path);
        var back = (IntegerLookup)loaded.GetLayer("lookup");
        Assert.False(back.HasVocabulary);
        Assert.Equal(lookup.GetConfig().ToJson(), back.GetConfig().ToJson());

        // A lookup without a vocabulary does not run here (Keras' maps everything to OOV): give both one, then compare.
        lookup.SetVocabulary([1138, 36, 12]);
        back.SetVocabulary([1138, 36, 12]);
        Tensor x = Tensor.FromArray([0f, 7f, 1138f, 12f, 12f, 36f], 2, 3);
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
    }

    public static TheoryData<CategoryOutputMode, bool> EncodingLookupModes()
    {
        var data = new TheoryData<CategoryOutputMode, bool>();
        foreach (CategoryOutputMode mode in Enum.GetValues<CategoryOutputMode>().Where(m => m != CategoryOutputMode.Int))
        {
            data.Add(mode, true);
            data.Add(mode, false);
        }

        return data;
    }

    [H5pyTheory]
    [MemberData(nameof(EncodingLookupModes))]
    public void SaveModel_StringLookupInEveryEncodingMode_GivenStaysInlineAdaptedIsAnAssetAndBothLoadBackTheSame(CategoryOutputMode mode, bool given)
    {
        bool tfIdf = mode == CategoryOutputMode.TfIdf;
        StringLookup lookup = given
            ? new StringLookup(vocabulary: ["cat", "dog", "bird"], idfWeights: tfIdf ? [0.5f, 1.25f, 2f] : null, outputMode: mode, name: "words")
            : new StringLookup(outputMode: mode, name: "words");
        if (!given)
        {
            lookup.Adapt([new[] { "cat", "dog", "cat" }, new[] { "bird", "cat", "dog" }, new[] { "cat", "fish", "dog" }]);
        }

        Assert.Equal(given, lookup.HasInputVocabulary);
        int depth = lookup.VocabularySize;
        var model = new Sequential([new InputLayer(depth), new Dense(1, name: "score")], seed: 15);
        model.Preprocessing["words"] = lookup;
        string path = Path.Combine(_folder, $"string-{mode}-{given}.keras");

        KerasFormat.SaveModel(model, path);

        JsonObject config = ReadSavedConfig(path, out Dictionary<string, string> assets);
        JsonNode written = config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["class_name"] == "StringLookup")!["config"]!;
        string vocabulary = string.Join("\n", lookup.GetVocabulary());
        if (given)
        {
            Assert.Equal(new JsonArray([.. lookup.GetVocabulary().Select(t => (JsonNode)JsonValue.Create(t))]).ToJsonString(), written["vocabulary"]!.ToJsonString());
            Assert.Equal(tfIdf, written["idf_weights"] is not null);
            Assert.Empty(assets);
        }
        else
        {
            Assert.Null(written["vocabulary"]);
            Assert.Null(written["idf_weights"]);
            Assert.Equal(new Dictionary<string, string> { ["assets/layers/string_lookup/vocabulary.txt"] = vocabulary }, assets);
        }

        Assert.Equal(tfIdf, DumpSavedWeights(path)["datasets"]!.AsObject().ContainsKey("layers/string_lookup/vars/idf_weights"));

        Model loaded = KerasFormat.LoadModel(path);

        var back = Assert.IsType<StringLookup>(loaded.Preprocessing["words"]);
        Assert.Equal(lookup.GetVocabulary(), back.GetVocabulary());
        Assert.Equal(lookup.GetIdfWeights(), back.GetIdfWeights());
        Assert.Equal(given, back.HasInputVocabulary);
        Tensor x = mode == CategoryOutputMode.OneHot ? lookup.Transform(["dog", "emu", "cat"]) : lookup.Transform([new[] { "dog", "emu", "cat" }, new[] { "bird", "bird", "cat" }]);
        Tensor y = mode == CategoryOutputMode.OneHot ? back.Transform(["dog", "emu", "cat"]) : back.Transform([new[] { "dog", "emu", "cat" }, new[] { "bird", "bird", "cat" }]);
        Assert.Equal(x.ToArray(), y.ToArray());
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(y).ToArray());

        string again = Path.Combine(_folder, $"string-{mode}-{given}-again.keras");
        KerasFormat.SaveModel(loaded, again);
        ReadSavedConfig(again, out Dictionary<string, string> assetsAgain);
        Assert.Equal(assets, assetsAgain);
    }

    [H5pyTheory]
    [InlineData(TextOutputMode.TfIdf)]
    [InlineData(TextOutputMode.MultiHot)]
    public void SaveModel_TextVectorizationGivenItsVocabulary_KeepsItAndItsWeightsInlineAndWritesNoAsset(TextOutputMode mode)
    {
        bool tfIdf = mode == TextOutputMode.TfIdf;
        var vectorizer = new TextVectorization(outputMode: mode, vocabulary: ["the", "cat", "sat"], idfWeights: tfIdf ? [0.75f, 1.5f, 2.5f] : null, name: "text");
        var model = new Sequential([new InputLayer(vectorizer.VocabularySize), new Dense(1, name: "score")], seed: 16);
        model.Preprocessing["text"] = vectorizer;
        string path = Path.Combine(_folder, $"text-given-{mode}.keras");

        KerasFormat.SaveModel(model, path);

        JsonObject config = ReadSavedConfig(path, out Dictionary<string, string> assets);
        JsonNode written = config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["class_name"] == "TextVectorization")!["config"]!;
        Assert.Equal("""["[UNK]","the","cat","sat"]""", written["vocabulary"]!.ToJsonString());
        Assert.Equal(tfIdf, written["idf_weights"] is JsonArray);
        Assert.Empty(assets);
        JsonObject datasets = DumpSavedWeights(path)["datasets"]!.AsObject();
        Assert.Equal(tfIdf, datasets.ContainsKey("layers/text_vectorization/vars/idf_weights"));
        Assert.Equal(tfIdf, datasets.ContainsKey("layers/text_vectorization/_lookup_layer/vars/idf_weights"));

        Model loaded = KerasFormat.LoadModel(path);

        var back = Assert.IsType<TextVectorization>(loaded.Preprocessing["text"]);
        Assert.True(back.HasInputVocabulary);
        Assert.Equal(vectorizer.GetIdfWeights(), back.GetIdfWeights());
        string[] texts = ["the cat sat on the cat", "a dog"];
        Assert.Equal(model.Predict(vectorizer.Transform(texts)).ToArray(), loaded.Predict(back.Transform(texts)).ToArray());
    }

    [H5pyFact]
    public void SaveModel_GivenVocabularyWithALineBreak_IsWrittenInlineAndComesBackWhole()
    {
        // The asset is read with str.splitlines, so an adapted vocabulary with "x\ny" is refused; a JSON list holds it.
        var lookup = new StringLookup(vocabulary: ["x\ny", "z", "w"], outputMode: CategoryOutputMode.MultiHot, name: "words");
        var model = new Sequential([new InputLayer(lookup.VocabularySize), new Dense(1, name: "score")], seed: 17);
        model.Preprocessing["words"] = lookup;
        string path = Path.Combine(_folder, "line-break-given.keras");

        KerasFormat.SaveModel(model, path);

        Model loaded = KerasFormat.LoadModel(path);
        Assert.Equal(["[UNK]", "x\ny", "z", "w"], ((StringLookup)loaded.Preprocessing["words"]).GetVocabulary());
    }
}
