using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Archives of lookups adapted in Keras: IndexLookup.save_assets writes "\n".join(get_vocabulary(include_special_tokens=True))
// to assets/<the layer's path>/vocabulary.txt, and get_config writes "vocabulary": null (index_lookup.py). saving_lib's
// _walk_saveable also visits a TextVectorization's _lookup_layer, so a vectorizer's asset and TF-IDF weights are written
// twice, the second time under <the layer's path>/_lookup_layer (VectorizerAssets, VectorizerIdf).
public sealed partial class KerasFormatTests
{
    private static readonly float[] DenseOverFour = [0.5f, -1f, 2f, 0.25f];

    [H5pyFact]
    public void LoadModel_TutorialEndToEndTextModel_VectorizerBecomesPreprocessorWithTheAssetsVocabulary()
    {
        // get_vocabulary() of an adapted int-mode vectorizer: the mask "" and "[UNK]" lead, so the file starts with "\n".
        float[] embeddings = [.. Enumerable.Range(0, 12).Select(i => (0.1f * i) - 0.3f)];
        string archive = WithAssets(WriteArchive("end-to-end.keras", KerasConfigs.EndToEndText,
            ["", "layers/input_layer", "layers/text_vectorization", "layers/sequential", "layers/sequential/layers/embedding", "layers/sequential/layers/dense"],
            [
                ("layers/sequential/layers/embedding/vars/0", Tensor.FromArray(embeddings, 6, 2)),
                ("layers/sequential/layers/dense/vars/0", Tensor.FromArray([0.5f, -1f], 2, 1)),
                ("layers/sequential/layers/dense/vars/1", Tensor.FromArray([0.25f], 1)),
            ]), VectorizerAssets("\n[UNK]\nthe\ncat\nsat\non"));

        Model model = KerasFormat.LoadModel(archive);

        var vectorizer = Assert.IsType<TextVectorization>(Assert.Single(model.Preprocessing).Value);
        Assert.Equal("text_vectorization", model.Preprocessing.Single().Key);
        Assert.Equal(["", "[UNK]", "the", "cat", "sat", "on"], vectorizer.GetVocabulary());
        // Keras: lower_and_strip_punctuation, whitespace split, ids by vocabulary position, "[UNK]" (1) for the rest,
        // cut or padded with 0 to output_sequence_length 4.
        Tensor ids = vectorizer.Transform(["The cat sat on the mat.", "Dogs!"]);
        int[][] expectedIds = [[2, 3, 4, 5], [1, 0, 0, 0]];
        Assert.Equal(expectedIds.SelectMany(r => r.Select(i => (float)i)), ids.AsReadOnlySpan().ToArray());
        // Embedding rows averaged over the 4 steps (GlobalAveragePooling1D, no mask), then Dense(1): kernel (0.5, -1), bias 0.25.
        float[] expected = [.. expectedIds.Select(r => (0.5f * r.Average(i => embeddings[2 * i])) - r.Average(i => embeddings[(2 * i) + 1]) + 0.25f)];
        Assert.Equal(expected, model.Predict(ids).AsReadOnlySpan().ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [H5pyTheory]
    [InlineData("multi_hot")]
    [InlineData("count")]
    [InlineData("tf_idf")]
    public void LoadModel_AdaptedTextVectorizationEncodings_GiveKerasEncodings(string mode)
    {
        // Outside int mode there is no mask index: get_vocabulary() starts with "[UNK]".
        float[] idf = [0.5f, 0.25f, 1.5f, 2f];
        var weights = new List<(string, Tensor)> { ("layers/dense/vars/0", Tensor.FromArray(DenseOverFour, 4, 1)), ("layers/dense/vars/1", Tensor.FromArray([0.1f], 1)) };
        if (mode == "tf_idf")
        {
            weights.AddRange(VectorizerIdf(idf));
        }

        string config = KerasConfigs.SequentialOver("string", [1], KerasConfigs.TextVectorization(mode, null, 4), 4);
        string archive = WithAssets(WriteArchive($"text-{mode}.keras", config, ["", "layers/text_vectorization", "layers/text_vectorization/_lookup_layer", "layers/dense"], weights),
            VectorizerAssets("[UNK]\nthe\ncat\nsat"));

        Model model = KerasFormat.LoadModel(archive);

        var vectorizer = (TextVectorization)model.Preprocessing["text_vectorization"];
        Tensor encoded = vectorizer.Transform(["The cat, the dog", "sat sat sat"]);
        // Counts over ([UNK], the, cat, sat): "dog" is [UNK].
        float[][] counts = [[1, 2, 1, 0], [0, 0, 0, 3]];
        float[][] rows = mode switch
        {
            "multi_hot" => [.. counts.Select(r => r.Select(c => c > 0 ? 1f : 0f).ToArray())],
            "count" => counts,
            _ => [.. counts.Select(r => r.Select((c, i) => c * idf[i]).ToArray())],
        };
        Assert.Equal(rows.SelectMany(r => r), encoded.AsReadOnlySpan().ToArray());
        float[] expected = [.. rows.Select(r => r.Select((h, i) => h * DenseOverFour[i]).Sum() + 0.1f)];
        Assert.Equal(expected, model.Predict(encoded).AsReadOnlySpan().ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [H5pyTheory]
    [InlineData("multi_hot")]
    [InlineData("count")]
    [InlineData("tf_idf")]
    public void LoadModel_AdaptedIntegerLookup_TakesTheAssetsVocabularyAndVarsIdfWeights(string mode)
    {
        // No mask token: get_vocabulary() is the OOV token -1, then the learned tokens.
        float[] idf = [0.5f, 1f, 2f, 3f];
        var weights = new List<(string, Tensor)> { ("layers/dense/vars/0", Tensor.FromArray(DenseOverFour, 4, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1)) };
        if (mode == "tf_idf")
        {
            weights.Add(("layers/integer_lookup/vars/idf_weights", Tensor.FromArray(idf, 4)));
        }

        string config = KerasConfigs.SequentialOver("int64", [3], KerasConfigs.Lookup("IntegerLookup", "integer_lookup", mode, "null", 4), 4);
        string archive = WithAssets(WriteArchive($"integer-{mode}.keras", config, ["", "layers/integer_lookup", "layers/dense"], weights),
            ("assets/layers/integer_lookup/vocabulary.txt", "-1\n42\n7\n100"));

        Model model = KerasFormat.LoadModel(archive);

        var lookup = (IntegerLookup)model.GetLayer("integer_lookup");
        Assert.Equal([-1L, 42, 7, 100], lookup.GetVocabulary());
        // Indices: OOV 0, 42 -> 1, 7 -> 2, 100 -> 3.
        float[][] counts = [[1, 1, 1, 0], [0, 1, 0, 2]];
        float[][] rows = mode switch
        {
            "multi_hot" => [.. counts.Select(r => r.Select(c => c > 0 ? 1f : 0f).ToArray())],
            "count" => counts,
            _ => [.. counts.Select(r => r.Select((c, i) => c * idf[i]).ToArray())],
        };
        float[] expected = [.. rows.Select(r => r.Select((h, i) => h * DenseOverFour[i]).Sum())];
        Assert.Equal(expected, model.Predict(Tensor.FromArray([42f, 7f, 5f, 100f, 100f, 42f], 2, 3)).AsReadOnlySpan().ToArray(), (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [H5pyTheory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void LoadModel_IntModeLookupWithMaskToken_MapsAsKeras(string newline)
    {
        // Int mode with mask_token=0: get_vocabulary() is 0 (mask, index 0), -1 (OOV, index 1), then the tokens; a
        // trailing newline is dropped as load_assets drops trailing empty lines. Python on Windows writes "\n" as "\r\n",
        // which its text-mode reading takes back as one line break.
        string config = KerasConfigs.SequentialOver("int64", [3], KerasConfigs.Lookup("IntegerLookup", "integer_lookup", "int", "0", 4), 3);
        string archive = WithAssets(WriteArchive($"integer-int-{newline.Length}.keras", config, ["", "layers/integer_lookup", "layers/dense"],
            [("layers/dense/vars/0", Tensor.FromArray([1f, 10f, 100f], 3, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))]),
            ("assets/layers/integer_lookup/vocabulary.txt", string.Join(newline, "0", "-1", "42", "7", string.Empty)));

        Model model = KerasFormat.LoadModel(archive);

        Assert.Equal([0L, -1, 42, 7], ((IntegerLookup)model.GetLayer("integer_lookup")).GetVocabulary());
        // [42, 0, 9] -> [2, 0, 1]; [7, 7, 42] -> [3, 3, 2]; Dense weights 1, 10, 100.
        Assert.Equal([2f + 0f + 100f, 3f + 30f + 200f], model.Predict(Tensor.FromArray([42f, 0f, 9f, 7f, 7f, 42f], 2, 3)).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void LoadModel_AssetLines_AreSplitAsLoadAssetsSplitsThem()
    {
        // load_assets reads the file in Python's text mode, trailing empty lines popped; a file of special tokens only
        // leaves Keras' table empty, a layer without vocabulary.
        string vectorizer = KerasConfigs.SequentialOver("string", [1], KerasConfigs.TextVectorization("int", 2, 3), 2);
        (string, Tensor)[] dense = [("layers/dense/vars/0", Tensor.FromArray([1f, 10f], 2, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))];
        Model text = KerasFormat.LoadModel(WithAssets(WriteArchive("lines.keras", vectorizer, ["", "layers/text_vectorization", "layers/dense"], dense),
            VectorizerAssets("\n[UNK]\nthe\n\n\n")));
        Assert.Equal(["", "[UNK]", "the"], ((TextVectorization)text.Preprocessing["text_vectorization"]).GetVocabulary());

        string lookup = KerasConfigs.SequentialOver("int64", [3], KerasConfigs.Lookup("IntegerLookup", "integer_lookup", "int", "null", 1), 3);
        Model empty = KerasFormat.LoadModel(WithAssets(WriteArchive("specials.keras", lookup, ["", "layers/integer_lookup", "layers/dense"],
            [("layers/dense/vars/0", Tensor.FromArray([1f, 1f, 1f], 3, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))]),
            ("assets/layers/integer_lookup/vocabulary.txt", "-1")));
        Assert.False(((IntegerLookup)empty.GetLayer("integer_lookup")).HasVocabulary);
    }

    [H5pyFact]
    public void LoadModel_AssetLines_EndOnlyAtNewlinesAsPythonsTextModeReadsThem()
    {
        // save_assets writes "\n".join(vocabulary); Python's text mode (universal newlines) reads "\r\n" and "\r" as "\n".
        // Other characters str.splitlines splits at (\v, \f, \x1c, \x85, \u2028, \u2029) are part of a token: a
        // StringLookup does not standardize, so "a\vb" is one token.
        string[] expectedVocabulary = ["[UNK]", "a\vb", "c\fd", "e\u001cf", "g\x85h", "i\u2028j", "k\u2029l", "m", "n"];
        string archive = WithAssets(WriteArchive("splitlines.keras", StringLookupModel("count", expectedVocabulary.Length), ["", "layers/words", "layers/string_lookup", "layers/dense"],
            [("layers/dense/vars/0", Tensor.FromArray(new float[expectedVocabulary.Length], expectedVocabulary.Length, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))]),
            ("assets/layers/string_lookup/vocabulary.txt", "[UNK]\na\vb\nc\fd\ne\u001cf\r\ng\x85h\ni\u2028j\rk\u2029l\nm\r\nn\n\r\n"));

        Model model = KerasFormat.LoadModel(archive);

        var lookup = (StringLookup)model.Preprocessing["words"];
        Assert.Equal(expectedVocabulary, lookup.GetVocabulary());
        // Counts over the vocabulary: "a\vb" at index 1, "i\u2028j" at 5, "a" unknown (0).
        Assert.Equal([1f, 1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f], lookup.Transform([new[] { "a\vb", "i\u2028j", "a" }]).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void LoadModel_AssetOfAnotherSizeThanVocabularySize_IsRefusedNamingBothSizesTheFileAndTheLayer()
    {
        // Keras' set_vocabulary -> _record_vocabulary_size -> _ensure_vocab_size_unchanged raises outside int mode without
        // pad_to_max_tokens: the config's vocabulary_size (4) is the width the model after the layer was built for.
        string config = KerasConfigs.SequentialOver("string", [1], KerasConfigs.TextVectorization("count", null, 4), 4);
        string archive = WithAssets(WriteArchive("size.keras", config, ["", "layers/text_vectorization", "layers/text_vectorization/_lookup_layer", "layers/dense"],
            [("layers/dense/vars/0", Tensor.FromArray(DenseOverFour, 4, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))]),
            VectorizerAssets("[UNK]\nthe\ncat\nsat\non"));

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(archive));

        Assert.Contains($"{archive}: 'assets/layers/text_vectorization/vocabulary.txt', the vocabulary of layer 'text_vectorization' (TextVectorization), has 5 entries (special tokens included) but the layer's config has vocabulary_size 4",
            error.Message, StringComparison.Ordinal);

        // In int mode Keras does not check (the ids' width is output_sequence_length), so neither is it checked here.
        string intMode = KerasConfigs.SequentialOver("string", [1], KerasConfigs.TextVectorization("int", 2, 4), 2);
        Model model = KerasFormat.LoadModel(WithAssets(WriteArchive("size-int.keras", intMode, ["", "layers/text_vectorization", "layers/dense"],
            [("layers/dense/vars/0", Tensor.FromArray([1f, 10f], 2, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))]),
            VectorizerAssets("\n[UNK]\nthe")));
        Assert.Equal(["", "[UNK]", "the"], ((TextVectorization)model.Preprocessing["text_vectorization"]).GetVocabulary());
    }

    [H5pyFact]
    public void LoadModel_VectorizerCopiesThatDiffer_AreRefusedNamingBoth()
    {
        // The two copies saving_lib writes of one vocabulary and one idf_weights variable can only differ in an edited archive.
        float[] idf = [0.5f, 0.25f, 1.5f, 2f];
        string config = KerasConfigs.SequentialOver("string", [1], KerasConfigs.TextVectorization("tf_idf", null, 4), 4);
        string[] groups = ["", "layers/text_vectorization", "layers/text_vectorization/_lookup_layer", "layers/dense"];
        (string, Tensor)[] dense = [("layers/dense/vars/0", Tensor.FromArray(DenseOverFour, 4, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))];
        const string Entry = "assets/layers/text_vectorization/vocabulary.txt";
        const string Copy = "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt";

        string assets = WithAssets(WriteArchive("copy-asset.keras", config, groups, [.. dense, .. VectorizerIdf(idf)]),
            (Entry, "[UNK]\nthe\ncat\nsat"), (Copy, "[UNK]\nthe\ndog\nsat"));
        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(assets));
        Assert.Contains($"'{Entry}' and '{Copy}', the two copies Keras writes of the vocabulary of layer 'text_vectorization' (TextVectorization) (the second for its inner lookup), differ: line 3 is \"cat\" in the first and \"dog\" in the second",
            error.Message, StringComparison.Ordinal);

        string weights = WithAssets(WriteArchive("copy-idf.keras", config, groups,
            [.. dense, ("layers/text_vectorization/vars/idf_weights", Tensor.FromArray(idf, 4)), ("layers/text_vectorization/_lookup_layer/vars/idf_weights", Tensor.FromArray([0.5f, 0.25f, 1.5f, 3f], 4))]),
            VectorizerAssets("[UNK]\nthe\ncat\nsat"));
        error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(weights));
        Assert.Contains("datasets 'layers/text_vectorization/vars/idf_weights' and 'layers/text_vectorization/_lookup_layer/vars/idf_weights', the two copies Keras writes of the TF-IDF weights of layer 'text_vectorization' (TextVectorization) (the second for its inner lookup), differ at index 3 (2 and 3)",
            error.Message, StringComparison.Ordinal);
    }

    [H5pyFact]
    public void LoadModel_StringLookupOnFunctionalInput_BecomesPreprocessorAndItsInputTakesTheCounts()
    {
        string config = StringLookupModel("count", 3);
        string archive = WithAssets(WriteArchive("string-count.keras", config, ["", "layers/words", "layers/string_lookup", "layers/dense"],
            [("layers/dense/vars/0", Tensor.FromArray([1f, 10f, 100f], 3, 1)), ("layers/dense/vars/1", Tensor.FromArray([0.5f], 1))]),
            ("assets/layers/string_lookup/vocabulary.txt", "[UNK]\nb\na"));

        Model model = KerasFormat.LoadModel(archive);

        var lookup = (StringLookup)model.Preprocessing["words"];
        Assert.Equal(["[UNK]", "b", "a"], lookup.GetVocabulary());
        Tensor counts = lookup.Transform([new[] { "a", "a", "z" }, new[] { "b", "a", "b" }]);
        Assert.Equal([1f, 0f, 2f, 0f, 2f, 1f], counts.AsReadOnlySpan().ToArray());
        Assert.Equal([1f + 200f + 0.5f, 20f + 100f + 0.5f], model.Predict(counts).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void LoadModel_LookupInNestedModel_ReadsTheAssetAtItsNestedPath()
    {
        string config = KerasConfigs.NestedLookup(KerasConfigs.Lookup("IntegerLookup", "integer_lookup", "multi_hot", "null", 4), 4);
        string archive = WithAssets(WriteArchive("nested-lookup.keras", config, ["", "layers/sequential", "layers/sequential/layers/integer_lookup", "layers/dense"],
            [("layers/dense/vars/0", Tensor.FromArray(DenseOverFour, 4, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))]),
            ("assets/layers/sequential/layers/integer_lookup/vocabulary.txt", "-1\n3\n2\n1"));

        Model model = KerasFormat.LoadModel(archive);

        // [1, 1, 9] -> multi-hot over (OOV, 3, 2, 1) = (1, 0, 0, 1).
        Assert.Equal([0.5f + 0.25f], model.Predict(Tensor.FromArray([1f, 1f, 9f], 1, 3)).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void SaveModel_AfterLoadingAssets_WritesTheAssetAgainAndLoadsBackTheSame()
    {
        // Keras' layer loaded so has no input_vocabulary (its config had none): its get_config writes "vocabulary": null
        // and "idf_weights": null again, its save_assets the file, its save_own_variables the TF-IDF weights.
        float[] idf = [0.5f, 1f, 2f, 3f];
        string config = KerasConfigs.SequentialOver("int64", [3], KerasConfigs.Lookup("IntegerLookup", "integer_lookup", "tf_idf", "null", 4), 4);
        string archive = WithAssets(WriteArchive("integer-roundtrip.keras", config, ["", "layers/integer_lookup", "layers/dense"],
            [("layers/dense/vars/0", Tensor.FromArray(DenseOverFour, 4, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1)),
             ("layers/integer_lookup/vars/idf_weights", Tensor.FromArray(idf, 4))]),
            ("assets/layers/integer_lookup/vocabulary.txt", "-1\n42\n7\n100"));
        Model model = KerasFormat.LoadModel(archive);
        Assert.False(((IntegerLookup)model.GetLayer("integer_lookup")).HasInputVocabulary);
        string saved = Path.Combine(_folder, "saved.keras");

        KerasFormat.SaveModel(model, saved);

        JsonObject written = ReadSavedConfig(saved, out Dictionary<string, string> assets);
        JsonNode lookup = written["config"]!["layers"]![1]!["config"]!;
        Assert.Null(lookup["vocabulary"]);
        Assert.Null(lookup["idf_weights"]);
        Assert.Equal(4, (int)lookup["vocabulary_size"]!);
        Assert.Equal(new Dictionary<string, string> { ["assets/layers/integer_lookup/vocabulary.txt"] = "-1\n42\n7\n100" }, assets);
        JsonObject datasets = DumpSavedWeights(saved)["datasets"]!.AsObject();
        Assert.Equal(idf, datasets["layers/integer_lookup/vars/idf_weights"]!["values"]!.AsArray().Select(v => (float)(double)v!));

        Tensor x = Tensor.FromArray([42f, 7f, 5f, 100f, 100f, 42f], 2, 3);
        Model again = KerasFormat.LoadModel(saved);
        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), again.Predict(x).AsReadOnlySpan().ToArray());
        Assert.False(((IntegerLookup)again.GetLayer("integer_lookup")).HasInputVocabulary);
    }

    [H5pyFact]
    public void LoadModel_BadLookupAssets_AreRefusedNamingTheArchiveTheFileAndTheLayer()
    {
        string config = KerasConfigs.SequentialOver("int64", [3], KerasConfigs.Lookup("IntegerLookup", "integer_lookup", "tf_idf", "null", 4), 4);
        (string, Tensor)[] weights = [("layers/dense/vars/0", Tensor.FromArray(DenseOverFour, 4, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1)),
            ("layers/integer_lookup/vars/idf_weights", Tensor.FromArray([1f, 2f, 3f], 3))];
        string Archive(string name, params (string, string)[] assets) =>
            WithAssets(WriteArchive(name, config, ["", "layers/integer_lookup", "layers/dense"], weights), assets);
        const string Entry = "assets/layers/integer_lookup/vocabulary.txt";

        string missing = Archive("missing.keras");
        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(missing));
        Assert.Contains($"{missing}: the archive has no '{Entry}', the vocabulary of layer 'integer_lookup' (IntegerLookup)", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(Archive("text.keras", (Entry, "-1\n42\nseven"))));
        Assert.Contains($"line 3 of '{Entry}', the vocabulary of layer 'integer_lookup' (IntegerLookup), is \"seven\"; expected an integer token", error.Message, StringComparison.Ordinal);

        // The asset has four entries, the TF-IDF weights three.
        error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(Archive("short.keras", (Entry, "-1\n42\n7\n100"))));
        Assert.Contains("dataset 'layers/integer_lookup/vars/idf_weights' has shape (3)", error.Message, StringComparison.Ordinal);
        Assert.Contains("layer 'integer_lookup' (IntegerLookup), whose vocabulary is '" + Entry + "'", error.Message, StringComparison.Ordinal);

        string latin1 = WithAssets(WriteArchive("latin1.keras", KerasConfigs.SequentialOver("string", [1], KerasConfigs.TextVectorization("int", 2, 3), 2), ["", "layers/dense"],
            [("layers/dense/vars/0", Tensor.FromArray([1f, 1f], 2, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))]));
        AddEntry(latin1, "assets/layers/text_vectorization/vocabulary.txt", [(byte)'\n', .. "[UNK]\ncaf"u8, 0xE9]);
        error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(latin1));
        Assert.Contains("'assets/layers/text_vectorization/vocabulary.txt', the vocabulary of layer 'text_vectorization' (TextVectorization), is not UTF-8 text", error.Message, StringComparison.Ordinal);
    }

    [H5pyFact]
    public void LoadModel_StringLayerNotOnAStringInput_IsRefusedNamingIt()
    {
        string config = KerasConfigs.SequentialOver("float32", [3], KerasConfigs.Lookup("StringLookup", "string_lookup", "count", "null", 3), 3);
        string archive = WithAssets(WriteArchive("float-string.keras", config, ["", "layers/string_lookup", "layers/dense"],
            [("layers/dense/vars/0", Tensor.FromArray([1f, 1f, 1f], 3, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))]),
            ("assets/layers/string_lookup/vocabulary.txt", "[UNK]\na\nb"));

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.LoadModel(archive));

        Assert.Contains("'string_lookup' (StringLookup) takes the Input 'input_layer' of dtype \"float32\"", error.Message, StringComparison.Ordinal);
    }

    // A TextVectorization's asset as save_assets writes it: for the layer, then for its inner lookup (_lookup_layer).
    internal static (string Entry, string Text)[] VectorizerAssets(string vocabulary) =>
        [("assets/layers/text_vectorization/vocabulary.txt", vocabulary), ("assets/layers/text_vectorization/_lookup_layer/vocabulary.txt", vocabulary)];

    // A TF-IDF TextVectorization's weights as save_own_variables writes them: for the layer, then for its inner lookup.
    private static (string Path, Tensor Value)[] VectorizerIdf(float[] idf) =>
        [("layers/text_vectorization/vars/idf_weights", Tensor.FromArray(idf, idf.Length)), ("layers/text_vectorization/_lookup_layer/vars/idf_weights", Tensor.FromArray(idf, idf.Length))];

    // keras.Model(words, Dense(1)(StringLookup(output_mode=mode)(words))) on a string Input of 3, adapted to a vocabulary of size.
    private static string StringLookupModel(string mode, int vocabularySize) => $$$"""
        {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "functional", "trainable": true,
          "layers": [
            {{{KerasConfigs.Input("words", "string", 3)}}},
            {{{KerasConfigs.CalledOn(KerasConfigs.Lookup("StringLookup", "string_lookup", mode, "null", vocabularySize), "string_lookup", KerasConfigs.StringTensor("words", 3))}}},
            {{{KerasConfigs.Called(KerasConfigs.Dense("dense", 1, "linear", vocabularySize), "dense", "string_lookup", vocabularySize)}}}],
          "input_layers": [["words", 0, 0]], "output_layers": [["dense", 0, 0]]},
         "registered_name": "Functional", "build_config": {"input_shape": null}}
        """;

    // Adds files to a .keras archive as saving_lib adds its assets folder after the weights.
    private static string WithAssets(string archive, params (string Entry, string Text)[] assets)
    {
        foreach (var (entry, text) in assets)
        {
            AddEntry(archive, entry, Encoding.UTF8.GetBytes(text));
        }

        return archive;
    }

    private static void AddEntry(string archive, string entry, byte[] bytes)
    {
        using ZipArchive zip = ZipFile.Open(archive, ZipArchiveMode.Update);
        using Stream stream = zip.CreateEntry(entry).Open();
        stream.Write(bytes);
    }
}
