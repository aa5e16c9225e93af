using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Keras.Tests;

// SaveModel writes model.Preprocessing back as Keras keeps a string layer: a string keras.Input, the layer called on it
// with the config get_config writes for an adapted layer ("vocabulary": null, "idf_weights": null), its vocabulary as
// assets/<path>/vocabulary.txt and, in TF-IDF mode, vars/idf_weights; a TextVectorization's a second time under
// _lookup_layer (the layout LookupAssets' hand-written archives have, which LoadModel reads).
public sealed partial class KerasFormatTests
{
    [H5pyFact]
    public void SaveModel_TutorialEndToEndModel_WritesTheStringInputAndVectorizerAsKerasDoesAndLoadsBackTheSame()
    {
        float[] embeddings = [.. Enumerable.Range(0, 12).Select(i => (0.1f * i) - 0.3f)];
        string archive = WithAssets(WriteArchive("end-to-end-source.keras", KerasConfigs.EndToEndText,
            ["", "layers/input_layer", "layers/text_vectorization", "layers/sequential", "layers/sequential/layers/embedding", "layers/sequential/layers/dense"],
            [
                ("layers/sequential/layers/embedding/vars/0", Tensor.FromArray(embeddings, 6, 2)),
                ("layers/sequential/layers/dense/vars/0", Tensor.FromArray([0.5f, -1f], 2, 1)),
                ("layers/sequential/layers/dense/vars/1", Tensor.FromArray([0.25f], 1)),
            ]), VectorizerAssets("\n[UNK]\nthe\ncat\nsat\non"));
        Model model = KerasFormat.LoadModel(archive);
        string saved = Path.Combine(_folder, "end-to-end-saved.keras");

        KerasFormat.SaveModel(model, saved);

        JsonObject config = ReadSavedConfig(saved, out Dictionary<string, string> assets);
        var layers = config["config"]!["layers"]!.AsArray();
        JsonNode input = layers[0]!;
        Assert.Equal("InputLayer", (string?)input["class_name"]);
        Assert.Equal("""{"batch_shape":[null,1],"dtype":"string","sparse":false,"name":"input_layer"}""", input["config"]!.ToJsonString());
        JsonNode vectorizer = layers[1]!;
        Assert.Equal("keras.layers", (string?)vectorizer["module"]);
        Assert.Equal("TextVectorization", (string?)vectorizer["class_name"]);
        Assert.Equal("text_vectorization", (string?)vectorizer["name"]);
        // The config Keras writes for the adapted layer (KerasConfigs.TextVectorization, transcribed from get_config).
        Assert.Equal(JsonNode.Parse(KerasConfigs.TextVectorization("int", 4, 6))!["config"]!.ToJsonString(), vectorizer["config"]!.ToJsonString());
        Assert.Equal("""[{"args":[{"class_name":"__keras_tensor__","config":{"shape":[null,1],"dtype":"string","keras_history":["input_layer",0,0]}}],"kwargs":{}}]""",
            vectorizer["inbound_nodes"]!.ToJsonString());
        // The embedding now reads the vectorizer, as in Keras' file; the model's input is the string Input.
        Assert.Equal("text_vectorization", (string?)layers[2]!["inbound_nodes"]![0]!["args"]![0]!["config"]!["keras_history"]![0]);
        Assert.Equal("""[["input_layer",0,0]]""", config["config"]!["input_layers"]!.ToJsonString());
        Assert.Equal(
            new Dictionary<string, string> { ["assets/layers/text_vectorization/vocabulary.txt"] = "\n[UNK]\nthe\ncat\nsat\non", ["assets/layers/text_vectorization/_lookup_layer/vocabulary.txt"] = "\n[UNK]\nthe\ncat\nsat\non" },
            assets);
        JsonObject h5 = DumpSavedWeights(saved);
        Assert.Contains("layers/text_vectorization/vars", h5["groups"]!.AsArray().Select(g => (string?)g));
        Assert.Contains("layers/text_vectorization/_lookup_layer/vars", h5["groups"]!.AsArray().Select(g => (string?)g));
        Assert.DoesNotContain(h5["datasets"]!.AsObject(), d => d.Key.StartsWith("layers/text_vectorization", StringComparison.Ordinal));

        Model loaded = KerasFormat.LoadModel(saved);

        var before = (TextVectorization)model.Preprocessing["text_vectorization"];
        var after = Assert.IsType<TextVectorization>(Assert.Single(loaded.Preprocessing).Value);
        Assert.Equal(before.GetConfig().ToJson(), after.GetConfig().ToJson());
        string[] texts = ["The cat sat on the mat.", "Dogs!", "on on the"];
        Assert.Equal(model.Predict(before.Transform(texts)).AsReadOnlySpan().ToArray(), loaded.Predict(after.Transform(texts)).AsReadOnlySpan().ToArray());
    }

    [H5pyTheory]
    [InlineData("tf_idf", false)]
    [InlineData("tf_idf", true)]
    [InlineData("count", false)]
    public void SaveModel_TextVectorizationSequential_WritesIdfWeightsTwiceAndRoundTrips(string mode, bool padToMaxTokens)
    {
        float[] idf = [0.5f, 0.25f, 1.5f, 2f];
        var weights = new List<(string, Tensor)> { ("layers/dense/vars/0", Tensor.FromArray(DenseOverFour, 4, 1)), ("layers/dense/vars/1", Tensor.FromArray([0.1f], 1)) };
        int width = padToMaxTokens ? 10 : 4;
        if (mode == "tf_idf")
        {
            float[] stored = [.. idf, .. new float[width - idf.Length]];
            weights.AddRange([("layers/text_vectorization/vars/idf_weights", Tensor.FromArray(stored, width)), ("layers/text_vectorization/_lookup_layer/vars/idf_weights", Tensor.FromArray(stored, width))]);
        }

        if (padToMaxTokens)
        {
            weights[0] = ("layers/dense/vars/0", Tensor.FromArray([.. DenseOverFour, 1f, 1f, 1f, 1f, 1f, 1f], 10, 1));
        }

        string layer = KerasConfigs.TextVectorization(mode, null, 4).Replace("\"pad_to_max_tokens\": false", $"\"pad_to_max_tokens\": {(padToMaxTokens ? "true" : "false")}", StringComparison.Ordinal);
        string source = WithAssets(WriteArchive($"text-{mode}-{padToMaxTokens}-source.keras", KerasConfigs.SequentialOver("string", [1], layer, width),
            ["", "layers/text_vectorization", "layers/text_vectorization/_lookup_layer", "layers/dense"], weights), VectorizerAssets("[UNK]\nthe\ncat\nsat"));
        Model model = KerasFormat.LoadModel(source);
        string saved = Path.Combine(_folder, $"text-{mode}-{padToMaxTokens}-saved.keras");

        KerasFormat.SaveModel(model, saved);

        JsonObject config = ReadSavedConfig(saved, out Dictionary<string, string> assets);
        Assert.Equal("""{"input_shape":[null,1]}""", config["build_config"]!.ToJsonString());
        Assert.Equal("[null,1]", config["config"]!["build_input_shape"]!.ToJsonString());
        var layers = config["config"]!["layers"]!.AsArray();
        Assert.Equal("string", (string?)layers[0]!["config"]!["dtype"]);
        Assert.Equal(JsonNode.Parse(layer)!["config"]!.ToJsonString(), layers[1]!["config"]!.ToJsonString());
        Assert.Equal(new[] { "[UNK]\nthe\ncat\nsat", "[UNK]\nthe\ncat\nsat" }, assets.Values.ToArray());
        var datasets = DumpSavedWeights(saved)["datasets"]!.AsObject();
        float[]? Idf(string path) => datasets[path]?["values"]!.AsArray().Select(v => (float)(double)v!).ToArray();
        float[]? expectedIdf = mode == "tf_idf" ? [.. idf, .. new float[width - idf.Length]] : null;
        Assert.Equal(expectedIdf, Idf("layers/text_vectorization/vars/idf_weights"));
        Assert.Equal(expectedIdf, Idf("layers/text_vectorization/_lookup_layer/vars/idf_weights"));

        Model loaded = KerasFormat.LoadModel(saved);

        var before = (TextVectorization)model.Preprocessing["text_vectorization"];
        var after = (TextVectorization)loaded.Preprocessing["text_vectorization"];
        Assert.Equal(before.GetConfig().ToJson(), after.GetConfig().ToJson());
        string[] texts = ["The cat, the dog", "sat sat sat"];
        Tensor encoded = after.Transform(texts);
        Assert.Equal(before.Transform(texts).AsReadOnlySpan().ToArray(), encoded.AsReadOnlySpan().ToArray());
        Assert.Equal(model.Predict(encoded).AsReadOnlySpan().ToArray(), loaded.Predict(encoded).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void SaveModel_StringLookupOnFunctionalInput_WritesItOnAStringInputOfRowsAndRoundTrips()
    {
        string source = WithAssets(WriteArchive("string-count-source.keras", StringLookupModel("count", 3), ["", "layers/words", "layers/string_lookup", "layers/dense"],
            [("layers/dense/vars/0", Tensor.FromArray([1f, 10f, 100f], 3, 1)), ("layers/dense/vars/1", Tensor.FromArray([0.5f], 1))]),
            ("assets/layers/string_lookup/vocabulary.txt", "[UNK]\nb\na"));
        Model model = KerasFormat.LoadModel(source);
        string saved = Path.Combine(_folder, "string-count-saved.keras");

        KerasFormat.SaveModel(model, saved);

        JsonObject config = ReadSavedConfig(saved, out Dictionary<string, string> assets);
        var layers = config["config"]!["layers"]!.AsArray();
        // NeuralNet's Transform takes rows of any length, so the Input's width (3 in the source) is written as None.
        Assert.Equal("""{"batch_shape":[null,null],"dtype":"string","sparse":false,"name":"words"}""", layers[0]!["config"]!.ToJsonString());
        Assert.Equal(JsonNode.Parse(KerasConfigs.Lookup("StringLookup", "string_lookup", "count", "null", 3))!["config"]!.AsObject().Where(p => p.Key != "oov_method").Select(p => p.Key),
            layers[1]!["config"]!.AsObject().Select(p => p.Key));
        Assert.Equal("string_lookup", (string?)layers[2]!["inbound_nodes"]![0]!["args"]![0]!["config"]!["keras_history"]![0]);
        Assert.Equal(new Dictionary<string, string> { ["assets/layers/string_lookup/vocabulary.txt"] = "[UNK]\nb\na" }, assets);

        Model loaded = KerasFormat.LoadModel(saved);

        var lookup = (StringLookup)loaded.Preprocessing["words"];
        Assert.Equal(((StringLookup)model.Preprocessing["words"]).GetConfig().ToJson(), lookup.GetConfig().ToJson());
        Tensor counts = lookup.Transform([new[] { "a", "a", "z" }, new[] { "b", "a", "b" }]);
        Assert.Equal([1f + 200f + 0.5f, 20f + 100f + 0.5f], loaded.Predict(counts).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void SaveModel_ModelBuiltInCSharpWithAVectorizer_IsWrittenEndToEndUnderThePreprocessorsKey()
    {
        var vectorizer = new TextVectorization(outputMode: TextOutputMode.Count, vocabulary: ["the", "cat", "sat"]);
        var model = new Sequential([new InputLayer(4), new Dense(1, name: "out")], seed: 5);
        model.Preprocessing["text"] = vectorizer;
        string saved = Path.Combine(_folder, "built.keras");

        KerasFormat.SaveModel(model, saved);

        var layers = ReadSavedConfig(saved, out Dictionary<string, string> assets)["config"]!["layers"]!.AsArray();
        Assert.Equal(new[] { "InputLayer", "TextVectorization", "Dense" }, layers.Select(l => (string?)l!["class_name"]).ToArray());
        Assert.Equal("text", (string?)layers[1]!["config"]!["name"]);
        // Given at construction, the vocabulary stays in the config (Keras' get_config of input_vocabulary): no asset.
        Assert.Equal("""["[UNK]","the","cat","sat"]""", layers[1]!["config"]!["vocabulary"]!.ToJsonString());
        Assert.Empty(assets);
        Model loaded = KerasFormat.LoadModel(saved);
        var after = (TextVectorization)loaded.Preprocessing["text"];
        Assert.Equal(vectorizer.GetVocabulary(), after.GetVocabulary());
        Assert.True(after.HasInputVocabulary);

        // Set later, as Keras' set_vocabulary leaves input_vocabulary None: an asset, which saving_lib names after the class.
        vectorizer.SetVocabulary(["the", "cat", "sat"]);
        KerasFormat.SaveModel(model, saved);
        layers = ReadSavedConfig(saved, out assets)["config"]!["layers"]!.AsArray();
        Assert.Null(layers[1]!["config"]!["vocabulary"]);
        Assert.Equal(new[] { "assets/layers/text_vectorization/vocabulary.txt", "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt" }, assets.Keys.ToArray());
        loaded = KerasFormat.LoadModel(saved);
        after = (TextVectorization)loaded.Preprocessing["text"];
        Assert.False(after.HasInputVocabulary);
        string[] texts = ["the cat sat", "a dog"];
        Assert.Equal(model.Predict(vectorizer.Transform(texts)).AsReadOnlySpan().ToArray(), loaded.Predict(after.Transform(texts)).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void SaveModel_SequentialWithoutInputLayer_GetsAStringInputBeforeTheVectorizer()
    {
        var vectorizer = new TextVectorization(outputMode: TextOutputMode.MultiHot, vocabulary: ["the", "cat", "sat"]);
        var model = new Sequential([new Dense(1, name: "out")], seed: 5);
        model.Build(new TensorShape(4));
        model.Preprocessing["text"] = vectorizer;
        string saved = Path.Combine(_folder, "no-input.keras");

        KerasFormat.SaveModel(model, saved);

        JsonObject config = ReadSavedConfig(saved, out _);
        var layers = config["config"]!["layers"]!.AsArray();
        Assert.Equal(new[] { "InputLayer", "TextVectorization", "Dense" }, layers.Select(l => (string?)l!["class_name"]).ToArray());
        Assert.Equal("[null,1]", layers[0]!["config"]!["batch_shape"]!.ToJsonString());
        Assert.Equal("string", (string?)layers[0]!["config"]!["dtype"]);
        Model loaded = KerasFormat.LoadModel(saved);
        var after = (TextVectorization)loaded.Preprocessing["text"];
        string[] texts = ["the cat sat", "a dog"];
        Assert.Equal(model.Predict(vectorizer.Transform(texts)).AsReadOnlySpan().ToArray(), loaded.Predict(after.Transform(texts)).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void SaveModel_TwoInputsEachFedByAPreprocessor_WritesEachOnItsOwnStringInput()
    {
        var title = new Input(new TensorShape(3), "title");
        var tags = new Input(new TensorShape(4), "tags");
        SymbolicTensor joined = new Concatenate(name: "joined").Call(new Dense(2, name: "from_title").Call(title), tags);
        var model = new Functional([title, tags], new Dense(1, name: "out").Call(joined), seed: 3);
        var vectorizer = new TextVectorization(outputSequenceLength: 3, vocabulary: ["the", "cat"]);
        var lookup = new StringLookup(vocabulary: ["a", "b", "c"], outputMode: CategoryOutputMode.MultiHot);
        model.Preprocessing["title_text"] = vectorizer;
        model.Preprocessing["tag_lookup"] = lookup;
        string saved = Path.Combine(_folder, "two-inputs.keras");

        KerasFormat.SaveModel(model, saved);

        var layers = ReadSavedConfig(saved, out Dictionary<string, string> assets)["config"]!["layers"]!.AsArray();
        JsonNode Item(string name) => layers.Single(l => (string?)l!["name"] == name)!;
        string Reads(string name) => Item(name)["inbound_nodes"]!.ToJsonString();
        Assert.Contains("\"keras_history\":[\"title\",0,0]", Reads("title_text"), StringComparison.Ordinal);
        Assert.Contains("\"keras_history\":[\"tags\",0,0]", Reads("tag_lookup"), StringComparison.Ordinal);
        Assert.Contains("\"keras_history\":[\"title_text\",0,0]", Reads("from_title"), StringComparison.Ordinal);
        // Concatenate's one argument is the list of its inputs: the Dense's output and, for the input, the lookup's.
        Assert.Contains("\"keras_history\":[\"tag_lookup\",0,0]", Reads("joined"), StringComparison.Ordinal);
        Assert.DoesNotContain("\"keras_history\":[\"tags\"", Reads("joined"), StringComparison.Ordinal);
        Assert.Equal("[null,null]", Item("tags")["config"]!["batch_shape"]!.ToJsonString());
        Assert.Empty(assets);
        Model loaded = KerasFormat.LoadModel(saved);
        Assert.Equal(new[] { "tag_lookup", "title_text" }, loaded.Preprocessing.Keys.ToArray());
        Tensor ids = vectorizer.Transform(["the cat", "a cat"]), hot = lookup.Transform([new[] { "a", "z" }, new[] { "c", "c" }]);
        Tensor loadedIds = ((TextVectorization)loaded.Preprocessing["title_text"]).Transform(["the cat", "a cat"]);
        Tensor loadedHot = ((StringLookup)loaded.Preprocessing["tag_lookup"]).Transform([new[] { "a", "z" }, new[] { "c", "c" }]);
        Assert.Equal(model.Predict(new[] { ids, hot }).AsReadOnlySpan().ToArray(), loaded.Predict(new[] { loadedIds, loadedHot }).AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void SaveModel_PreprocessorWithoutAKerasStringLayer_IsRefusedNamingItAndWritesNothing()
    {
        var model = new Sequential([new InputLayer(4), new Dense(1)], seed: 5);
        string path = Path.Combine(_folder, "refused.keras");

        model.Preprocessing["hash"] = new StringHashing(4);
        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));
        Assert.Contains("preprocessor 'hash' (StringHashing) has no Keras layer on a string input that SaveModel writes", error.Message, StringComparison.Ordinal);

        model.Preprocessing.Clear();
        model.Preprocessing["labels"] = new StringLookup(vocabulary: ["a", "b"], invert: true);
        error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));
        Assert.Contains("preprocessor 'labels' (StringLookup) inverts", error.Message, StringComparison.Ordinal);

        // A label encoder kept beside the model: its ids fit any input, so nothing says it feeds this one.
        model.Preprocessing.Clear();
        model.Preprocessing["labels"] = new StringLookup(vocabulary: ["cat", "dog"]);
        error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));
        Assert.Contains("preprocessor 'labels' (StringLookup) gives ids in the shape of its strings, so SaveModel cannot tell which model input it feeds", error.Message, StringComparison.Ordinal);

        // Keras reads the vocabulary file with str.splitlines: "x\ny" would come back as two tokens, every id after it
        // shifted. (A vocabulary given at construction is written in the config, where a line break is harmless.)
        model.Preprocessing.Clear();
        var words = new StringLookup(outputMode: CategoryOutputMode.MultiHot);
        words.SetVocabulary(["x\ny", "z", "w"]);
        model.Preprocessing["words"] = words;
        error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));
        Assert.Contains("preprocessor 'words' (StringLookup): vocabulary token 1 (\"x\\ny\") holds a line break", error.Message, StringComparison.Ordinal);
        words.SetVocabulary(["x\u2028y", "z", "w"]);
        Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));

        model.Preprocessing.Clear();
        model.Preprocessing["text"] = new TextVectorization(outputMode: TextOutputMode.Int, outputSequenceLength: 3, vocabulary: ["x"]);
        error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));
        Assert.Contains("preprocessor 'text' (TextVectorization) gives (3), which no input of the model takes (inputs: 'input_layer' (None, 4))", error.Message, StringComparison.Ordinal);

        model.Preprocessing["text"] = new TextVectorization(outputMode: TextOutputMode.Count);
        error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(model, path));
        Assert.Contains("preprocessor 'text' (TextVectorization) has no vocabulary yet", error.Message, StringComparison.Ordinal);

        var left = new Input(new TensorShape(4), "left");
        var right = new Input(new TensorShape(4), "right");
        var two = new Functional([left, right], new Dense(1).Call(new Concatenate().Call(left, right)), seed: 1);
        two.Preprocessing["text"] = new TextVectorization(outputMode: TextOutputMode.Count, vocabulary: ["a", "b", "c"]);
        error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(two, path));
        Assert.Contains("preprocessor 'text' (TextVectorization) gives (4), which more than one input of the model takes (inputs: 'left' (None, 4), 'right' (None, 4))", error.Message, StringComparison.Ordinal);

        Assert.False(File.Exists(path));
    }

    private static JsonObject ReadSavedConfig(string archive, out Dictionary<string, string> assets)
    {
        using ZipArchive zip = ZipFile.OpenRead(archive);
        assets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (ZipArchiveEntry entry in zip.Entries.Where(e => e.FullName.StartsWith("assets/", StringComparison.Ordinal)))
        {
            using var text = new StreamReader(entry.Open());
            assets[entry.FullName] = text.ReadToEnd();
        }

        using var reader = new StreamReader(zip.GetEntry("config.json")!.Open());
        return JsonNode.Parse(reader.ReadToEnd())!.AsObject();
    }

    private JsonObject DumpSavedWeights(string archive)
    {
        string h5 = Path.Combine(_folder, Path.GetFileNameWithoutExtension(archive) + "-dump.weights.h5");
        using (ZipArchive zip = ZipFile.OpenRead(archive))
        {
            zip.GetEntry("model.weights.h5")!.ExtractToFile(h5, overwrite: true);
        }

        return H5py.Dump(h5);
    }
}
