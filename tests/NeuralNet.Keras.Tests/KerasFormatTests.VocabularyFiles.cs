using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Archives from Keras 3 releases whose IndexLookup kept the vocabulary argument as given: a path stays in get_config
// ("vocabulary": "<path>") and save_assets writes nothing (input_vocabulary is set). Keras now refuses to open such a
// path in safe mode (keras-team/keras PR #21751); NeuralNet refuses it always, naming the layer, the key and the path, so
// that an archive cannot make the process read a file. The user loads a fixed archive and calls SetVocabularyFile.
// Current Keras (index_lookup.py __init__: input_vocabulary = vocabulary if not isinstance(vocabulary, str) else None)
// no longer keeps the path: get_config writes "vocabulary": null and save_assets writes the file's vocabulary as the
// asset, so the archive carries it. SaveModel writes a vocabularyFile given at construction that way.
public sealed partial class KerasFormatTests
{
    [H5pyFact]
    public void SaveModel_LookupsGivenAVocabularyFile_WriteItAsAnAssetWithoutThePathAsCurrentKerasDoes()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"keras-vocabulary-file-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        string words = Path.Combine(folder, "words.txt"), ints = Path.Combine(folder, "ints.txt");
        File.WriteAllText(words, "the\ncat\nsat\n");
        File.WriteAllText(ints, "42\n7\n100\n");
        var strings = new StringLookup(outputMode: CategoryOutputMode.MultiHot, vocabularyFile: words);
        var integers = new IntegerLookup(outputMode: CategoryOutputMode.MultiHot, name: "codes", vocabularyFile: ints);
        Assert.False(strings.HasInputVocabulary);
        var text = new Input(new TensorShape(4), "text");
        var codes = new Input(new TensorShape(3), "codes_in");
        var model = new Functional([text, codes], new Dense(1, name: "score").Call(new Concatenate().Call(text, integers.Call(codes))), seed: 18);
        model.Preprocessing["text"] = strings;
        string path = Path.Combine(_folder, "vocabulary-file.keras");
        try
        {
            KerasFormat.SaveModel(model, path);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        JsonObject config = ReadSavedConfig(path, out Dictionary<string, string> assets);
        Assert.DoesNotContain(folder, config.ToJsonString(), StringComparison.Ordinal);
        JsonNode Settings(string name) => config["config"]!["layers"]!.AsArray().Single(l => (string?)l!["name"] == name)!["config"]!;
        Assert.Null(Settings("string_lookup")["vocabulary"]);
        Assert.Null(Settings("codes")["vocabulary"]);
        Assert.Equal(
            new Dictionary<string, string> { ["assets/layers/string_lookup/vocabulary.txt"] = "[UNK]\nthe\ncat\nsat", ["assets/layers/integer_lookup/vocabulary.txt"] = "-1\n42\n7\n100" },
            assets);

        // The files are gone: the archive carries the vocabularies.
        Model loaded = KerasFormat.LoadModel(path);

        var back = (StringLookup)loaded.Preprocessing["text"];
        Assert.Equal(strings.GetVocabulary(), back.GetVocabulary());
        Assert.Equal(integers.GetVocabulary(), ((IntegerLookup)loaded.GetLayer("codes")).GetVocabulary());
        Tensor hot = strings.Transform([new[] { "cat", "dog" }, new[] { "the", "sat" }]);
        Tensor numbers = Tensor.FromArray([42f, 5f, 7f, 100f, 100f, 100f], 2, 3);
        Assert.Equal(model.Predict(new[] { hot, numbers }).ToArray(), loaded.Predict(new[] { back.Transform([new[] { "cat", "dog" }, new[] { "the", "sat" }]), numbers }).ToArray());
    }

    [H5pyFact]
    public void LoadModel_LookupsWhoseConfigHoldsAVocabularyPath_AreRefusedWithoutOpeningIt()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"keras-vocabulary-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            string words = Path.Combine(folder, "words.txt");
            File.WriteAllText(words, "the\ncat\nsat\n");
            string ints = Path.Combine(folder, "ints.txt");
            File.WriteAllText(ints, "42\n7\n100\n");
            string json(string path) => System.Text.Json.JsonSerializer.Serialize(path);

            // count mode over ([UNK], the, cat, sat): vocabulary_size 4, the Dense after it takes 4.
            string vectorizer = KerasConfigs.TextVectorization("count", null, 4).Replace("\"vocabulary\": null", $"\"vocabulary\": {json(words)}", StringComparison.Ordinal);
            string text = WriteArchive("vectorizer-path.keras", KerasConfigs.SequentialOver("string", [1], vectorizer, 4), ["", "layers/text_vectorization", "layers/dense"],
                [("layers/dense/vars/0", Tensor.FromArray(DenseOverFour, 4, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))]);
            var vectorizerError = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(text));
            Assert.Contains("TextVectorization 'text_vectorization'", vectorizerError.Message, StringComparison.Ordinal);
            Assert.Contains($"\"vocabulary\" is the file path '{words}'", vectorizerError.Message, StringComparison.Ordinal);
            Assert.Contains("SetVocabularyFile", vectorizerError.Message, StringComparison.Ordinal);

            // IntegerLookup in the graph, multi_hot.
            string lookup = KerasConfigs.Lookup("IntegerLookup", "integer_lookup", "multi_hot", "null", 4).Replace("\"vocabulary\": null", $"\"vocabulary\": {json(ints)}", StringComparison.Ordinal);
            string integers = WriteArchive("integer-path.keras", KerasConfigs.SequentialOver("int64", [3], lookup, 4), ["", "layers/integer_lookup", "layers/dense"],
                [("layers/dense/vars/0", Tensor.FromArray(DenseOverFour, 4, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))]);
            var lookupError = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(integers));
            Assert.Contains("IntegerLookup 'integer_lookup'", lookupError.Message, StringComparison.Ordinal);
            Assert.Contains($"\"vocabulary\" is the file path '{ints}'", lookupError.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
