using Xunit;

namespace NeuralNet.Keras.Tests;

// Archives from Keras 3 releases whose IndexLookup kept the vocabulary argument as given: a path stays in get_config
// ("vocabulary": "<path>") and save_assets writes nothing (input_vocabulary is set). Keras now refuses to open such a
// path in safe mode (keras-team/keras PR #21751); NeuralNet refuses it always, naming the layer, the key and the path, so
// that an archive cannot make the process read a file. The user loads a fixed archive and calls SetVocabularyFile.
public sealed partial class KerasFormatTests
{
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
