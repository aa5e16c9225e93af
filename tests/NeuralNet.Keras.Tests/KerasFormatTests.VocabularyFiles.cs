using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Archives from Keras 3 releases whose IndexLookup kept the vocabulary argument as given: a path stays in get_config
// ("vocabulary": "<path>") and save_assets writes nothing (input_vocabulary is set). Loading reads the file, as Keras'
// set_vocabulary does (Keras asks for safe_mode=False first); newer releases clear the path and write the asset instead.
public sealed partial class KerasFormatTests
{
    [H5pyFact]
    public void LoadModel_LookupsWhoseConfigHoldsAVocabularyPath_ReadTheFile()
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
            var loaded = (TextVectorization)KerasFormat.LoadModel(text).Preprocessing["text_vectorization"];
            Assert.Equal(["[UNK]", "the", "cat", "sat"], loaded.GetVocabulary());
            Assert.Equal([1f, 2, 1, 0], loaded.Transform(["The cat, the dog"]).ToArray());

            // IntegerLookup in the graph, multi_hot: line k takes index 1 + k.
            string lookup = KerasConfigs.Lookup("IntegerLookup", "integer_lookup", "multi_hot", "null", 4).Replace("\"vocabulary\": null", $"\"vocabulary\": {json(ints)}", StringComparison.Ordinal);
            string integers = WriteArchive("integer-path.keras", KerasConfigs.SequentialOver("int64", [3], lookup, 4), ["", "layers/integer_lookup", "layers/dense"],
                [("layers/dense/vars/0", Tensor.FromArray(DenseOverFour, 4, 1)), ("layers/dense/vars/1", Tensor.FromArray([0f], 1))]);
            Model model = KerasFormat.LoadModel(integers);
            Assert.Equal([-1L, 42, 7, 100], ((IntegerLookup)model.GetLayer("integer_lookup")).GetVocabulary());
            // [42, 7, 5] -> multi-hot (1, 1, 1, 0) -> 0.5 - 1 + 2.
            Assert.Equal([1.5f], model.Predict(Tensor.FromArray([42f, 7f, 5f], 1, 3)).ToArray());

            File.Delete(ints);
            var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(integers));
            Assert.Contains(ints, error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
