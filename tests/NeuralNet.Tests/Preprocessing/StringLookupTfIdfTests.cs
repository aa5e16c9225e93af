using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Tests.Preprocessing;

// The "tf_idf" output mode, against Keras 3's index_lookup_test.py (test_output_modes, test_adapt_tf_idf).
public class StringLookupTfIdfTests
{
    [Fact]
    public void Transform_KerasOutputModesTfIdf_MatchesKeras()
    {
        // The OOV index weighs the mean of [0.1, 0.2, 0.3]; the mask "" has no index outside Int mode.
        var lookup = new StringLookup(maxTokens: 7, maskToken: "", oovToken: "[OOV]", vocabulary: ["one", "two", "three"], idfWeights: [0.1f, 0.2f, 0.3f], outputMode: CategoryOutputMode.TfIdf);
        AssertClose([0.2f, 0.1f, 0.2f, 0f], lookup.Transform([["one", "two", "four"]]).ToArray());
        AssertClose([0.2f, 0.1f, 0.4f, 0f], lookup.Transform([["one", "two", "four", "two"]]).ToArray());
        AssertClose([0.2f, 0.1f, 0.2f, 0.3f], lookup.GetIdfWeights());
        Assert.Equal([0f, 0.1f, 0, 0], lookup.Transform([["one", ""]]).ToArray());
    }

    [Fact]
    public void Adapt_KerasAdaptTfIdf_MatchesKeras()
    {
        // Unbatched: each token a document; document counts of one, two, three = 3, 2, 1 over 6 documents.
        var flat = new StringLookup(maxTokens: 7, maskToken: "", oovToken: "[OOV]", outputMode: CategoryOutputMode.TfIdf);
        flat.Adapt(["one", "one", "one", "two", "two", "three"]);
        AssertClose([(float)Math.Log(1 + (6.0 / 4)), (float)Math.Log(1 + (6.0 / 3)), (float)Math.Log(1 + (6.0 / 2))], flat.GetIdfWeights()[1..]);
        AssertClose([1.1337324f, 0.91629076f, 1.0986123f, 0f], flat.Transform([["one", "two", "four"]]).ToArray());

        // Batched: each row a document; document counts 2, 2, 1 over 3 documents.
        var rows = new StringLookup(maxTokens: 7, maskToken: "", oovToken: "[OOV]", outputMode: CategoryOutputMode.TfIdf);
        rows.Adapt([["one", "one"], ["one", "two"], ["two", "three"]]);
        Assert.Equal(["one", "two", "three"], rows.GetVocabulary(includeSpecialTokens: false));
        AssertClose([(float)Math.Log(2), (float)Math.Log(2), (float)Math.Log(2.5)], rows.GetIdfWeights()[1..]);
        AssertClose([0f, 0.6931472f, 0.6931472f, 0f, 0.76752836f, 0f, 0.6931472f, 0f], rows.Transform([["one", "two"], ["two", "four"]]).ToArray());
    }

    [Fact]
    public void Adapt_RaggedRowsWithRepeats_CountEachDocumentOnce()
    {
        // Plain reference: 4 documents of different lengths; a token repeated in a row counts once for its document.
        string[][] documents = [["a", "b", "a", "a"], ["b"], ["c", "a"], []];
        var lookup = new StringLookup(outputMode: CategoryOutputMode.TfIdf);
        lookup.Adapt(documents);
        Assert.Equal(["a", "b", "c"], lookup.GetVocabulary(includeSpecialTokens: false));
        float[] tokens = [.. new[] { 2, 2, 1 }.Select(df => (float)Math.Log(1 + (4.0 / (1 + df))))];
        Assert.Equal([(float)(tokens.Sum(w => (double)w) / 3), .. tokens], lookup.GetIdfWeights());
        Assert.Throws<ArgumentNullException>(() => lookup.Adapt([["a"], null!]));
        Assert.Equal(["a", "b", "c"], lookup.GetVocabulary(includeSpecialTokens: false));
    }

    [Fact]
    public void BadIdfWeights_AreRefusedNamingTheParameter()
    {
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => new StringLookup(vocabulary: ["a"], idfWeights: [1f])).ParamName);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => new StringLookup(vocabulary: ["a"], outputMode: CategoryOutputMode.TfIdf)).ParamName);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => new StringLookup(vocabulary: ["a"], idfWeights: [1f, 2f], outputMode: CategoryOutputMode.TfIdf)).ParamName);
        Assert.Contains("idfWeights[0] is Infinity", Assert.Throws<ArgumentException>(() => new StringLookup(vocabulary: ["a"], idfWeights: [float.PositiveInfinity], outputMode: CategoryOutputMode.TfIdf)).Message, StringComparison.Ordinal);
        Assert.Equal([-1f, -1f], new StringLookup(vocabulary: ["a"], idfWeights: [-1f], outputMode: CategoryOutputMode.TfIdf).GetIdfWeights());
        var lookup = new StringLookup(vocabulary: ["a"], idfWeights: [1f], outputMode: CategoryOutputMode.TfIdf);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => lookup.SetVocabulary(["b", "c"], [1f])).ParamName);
        Assert.Equal(["[UNK]", "a"], lookup.GetVocabulary());
        Assert.Equal([1f, 1f], lookup.GetIdfWeights());
    }

    [Fact]
    public void SaveLoad_InModelPreprocessing_RestoresTheWeights()
    {
        var lookup = new StringLookup(maxTokens: 8, numOovIndices: 2, outputMode: CategoryOutputMode.TfIdf, padToMaxTokens: true, name: "words");
        lookup.Adapt([["cat", "dog"], ["dog"], ["emu", "dog", "cat"]]);
        var model = new Sequential([new InputLayer(8), new Dense(1)], seed: 2);
        model.Preprocessing["words"] = lookup;
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-tfidf-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            var loaded = Assert.IsType<StringLookup>(Model.Load(path).Preprocessing["words"]);
            Assert.Equal(lookup.GetConfig().ToJson(), loaded.GetConfig().ToJson());
            Assert.Equal(lookup.GetIdfWeights(), loaded.GetIdfWeights());
            Assert.Equal(lookup.Transform([["dog", "yak", "cat"]]).ToArray(), loaded.Transform([["dog", "yak", "cat"]]).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6f, $"[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }
}
