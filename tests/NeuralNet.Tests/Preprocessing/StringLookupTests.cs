using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Preprocessing;

// Expectations from Keras 3's string_lookup.py docstring and string_lookup_test.py.
public class StringLookupTests
{
    private static readonly string[] s_vocabulary = ["a", "b", "c", "d"];
    private static readonly string[][] s_rows = [["a", "c", "d"], ["d", "z", "b"]];

    [Fact]
    public void Transform_KerasDocstringExamples_MatchKeras()
    {
        var lookup = new StringLookup(vocabulary: s_vocabulary);
        Tensor ids = lookup.Transform(s_rows);
        Assert.Equal(new TensorShape(2, 3), ids.Shape);
        Assert.Equal([1f, 3, 4, 4, 0, 2], ids.ToArray());

        var masked = new StringLookup(maskToken: "", vocabulary: s_vocabulary);
        Assert.Equal([2f, 4, 5, 5, 1, 0], masked.Transform([["a", "c", "d"], ["d", "z", ""]]).ToArray());

        Assert.Equal([0f, 1, 0, 1, 1, 1, 0, 1, 0, 1], new StringLookup(vocabulary: s_vocabulary, outputMode: CategoryOutputMode.MultiHot).Transform([["a", "c", "d", "d"], ["d", "z", "b", "z"]]).ToArray());
        Assert.Equal([0f, 1, 0, 1, 2, 2, 0, 1, 0, 1], new StringLookup(vocabulary: s_vocabulary, outputMode: CategoryOutputMode.Count).Transform([["a", "c", "d", "d"], ["d", "z", "b", "z"]]).ToArray());
        Assert.Equal([0f, 1, 0, 0, 0, 1, 0, 0, 0, 0], new StringLookup(vocabulary: s_vocabulary, outputMode: CategoryOutputMode.OneHot).Transform(["a", "z"]).ToArray());

        var inverse = new StringLookup(vocabulary: s_vocabulary, invert: true);
        Assert.Equal(["a", "c", "d", "d", "[UNK]", "b"], inverse.InverseTransform(Tensor.FromArray(new float[,] { { 1, 3, 4 }, { 4, 0, 2 } })));
    }

    [Fact]
    public void Adapt_KerasAdaptFlow_SortsByCountThenBytesDescending()
    {
        // Keras' finalize_state: most frequent first, then np.lexsort's byte order reversed ("é" is 0xC3 0xA9 in UTF-8).
        var lookup = new StringLookup();
        lookup.Adapt(["one", "two", "three", "two", "four", "éa", "zz"]);
        Assert.Equal(["[UNK]", "two", "éa", "zz", "three", "one", "four"], lookup.GetVocabulary());
        Assert.Equal([5f, 1], lookup.Transform(["one", "two"]).ToArray());

        // Plain reference on random tokens: counts, then UTF-8 bytes descending, cut to maxTokens - 1.
        var random = new Random(4);
        string[] alphabet = ["x", "y", "ab", "ä", "Z", "é", "b", "bb", "[UNK]"];
        string[] tokens = [.. Enumerable.Range(0, 200).Select(_ => alphabet[random.Next(alphabet.Length)])];
        var capped = new StringLookup(maxTokens: 6);
        capped.Adapt(tokens);
        string[] expected = [.. tokens.Where(t => t != "[UNK]").GroupBy(t => t).OrderByDescending(g => g.Count())
            .ThenByDescending(g => g.Key, Comparer<string>.Create((a, b) => System.Text.Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(b))))
            .Take(5).Select(g => g.Key)];
        Assert.Equal(expected, capped.GetVocabulary(includeSpecialTokens: false));
    }

    [Fact]
    public void SeveralOovIndices_SpreadUnknownStringsByFarmHash()
    {
        // Keras: tf.strings.to_hash_bucket_fast(token, num_oov_indices) + the first OOV index. Fingerprint64 modulo 3 of
        // "A".."E" is 1, 0, 1, 1, 2 and modulo 2 of Keras' hashing-test names 0, 0, 1, 0, 0 (StringHashingTests pins both).
        var three = new StringLookup(numOovIndices: 3, vocabulary: ["x", "y"]);
        Assert.Equal([1f, 0, 1, 1, 2, 3, 4], three.Transform(["A", "B", "C", "D", "E", "x", "y"]).ToArray());
        Assert.Equal(5, three.VocabularySize);

        var masked = new StringLookup(numOovIndices: 2, maskToken: "", vocabulary: ["wire"]);
        Assert.Equal([1f, 1, 2, 3, 1, 0], masked.Transform(["omar", "stringer", "marlo", "wire", "skywalker", ""]).ToArray());
        Assert.Equal(["", "[UNK]", "[UNK]", "wire"], masked.GetVocabulary());

        // A long token (past the stack buffer) hashes its whole UTF-8 form, the same as its hashing layer's bin.
        string longToken = new('é', 300);
        float expected = new StringHashing(4).Transform([longToken]).ToArray()[0];
        Assert.Equal(expected, new StringLookup(numOovIndices: 4, vocabulary: ["a"]).Transform([longToken]).ToArray()[0]);

        // The setting survives the configuration.
        var read = StringLookup.FromConfig(masked.GetConfig());
        Assert.Equal(2, read.NumOovIndices);
        Assert.Equal(masked.Transform(["marlo", "omar"]).ToArray(), read.Transform(["marlo", "omar"]).ToArray());
    }

    [Fact]
    public void BadInput_ThrowsClearly()
    {
        var lookup = new StringLookup(numOovIndices: 0, vocabulary: s_vocabulary, name: "tokens");
        var error = Assert.Throws<ArgumentException>(() => lookup.Transform(s_rows));
        Assert.Contains("found OOV value \"z\" in sample 1 at position 1", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new StringLookup().Transform(["a"]));
        Assert.Throws<InvalidOperationException>(() => new StringLookup(vocabulary: s_vocabulary).InverseTransform(Tensor.Ones(1)));
        Assert.Throws<InvalidOperationException>(() => new StringLookup(vocabulary: s_vocabulary, invert: true).Transform(["a"]));
        Assert.Throws<ArgumentException>(() => new StringLookup(vocabulary: s_vocabulary).Transform([["a"], ["b", "c"]]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StringLookup(numOovIndices: -1));
        Assert.Contains("reserved OOV token", Assert.Throws<ArgumentException>(() => new StringLookup(invert: true, vocabulary: ["a", "[UNK]"])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new StringLookup().Adapt(["[UNK]"]));
    }

    [Fact]
    public void LoneSurrogate_InAVocabulary_IsRefusedBeforeAnythingChanges()
    {
        // Saved as UTF-8 JSON, "\ud800" would come back as U+FFFD; a surrogate pair is fine.
        var lookup = new StringLookup(vocabulary: ["a", "b"]);
        var error = Assert.Throws<ArgumentException>(() => lookup.SetVocabulary(["a", "x\ud800"]));
        Assert.Contains("lone surrogate (U+D800) at char 1", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => lookup.Adapt(["c", "\udc00", "\udc00"]));
        Assert.Equal(["[UNK]", "a", "b"], lookup.GetVocabulary());
        lookup.Adapt(["\ud83d\ude00", "d"]);
        Assert.Contains("\ud83d\ude00", lookup.GetVocabulary());
    }

    [Fact]
    public void SaveLoad_InModelPreprocessing_RestoresTheLearnedVocabulary()
    {
        var lookup = new StringLookup(maskToken: "", name: "words");
        lookup.Adapt(["cat", "dog", "dog", "", "emu"]);
        var model = new Sequential([new InputLayer(2), new Embedding(lookup.VocabularySize, 3)], seed: 2);
        model.Preprocessing["words"] = lookup;
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-lookup-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            var loaded = Assert.IsType<StringLookup>(Model.Load(path).Preprocessing["words"]);
            Assert.Equal(lookup.GetConfig().ToJson(), loaded.GetConfig().ToJson());
            Assert.Equal(["", "[UNK]", "dog", "emu", "cat"], loaded.GetVocabulary());
            Assert.Equal(lookup.Transform([["dog", "yak"]]).ToArray(), loaded.Transform([["dog", "yak"]]).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
