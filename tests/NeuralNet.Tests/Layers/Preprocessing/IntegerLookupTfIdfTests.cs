using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using NeuralNet.Serialization;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers.Preprocessing;

// The "tf_idf" output mode, against Keras 3's integer_lookup_test.py, the IntegerLookup docstring and index_lookup.py.
public class IntegerLookupTfIdfTests
{
    private static readonly long[] s_vocabulary = [12, 36, 1138, 42];
    private static readonly Tensor s_docstringData = Tensor.FromArray(new float[,] { { 12, 1138, 42, 42 }, { 42, 7, 36, 7 } });

    [Fact]
    public void Adapt_KerasAdaptFlow_MatchesKerasTfIdf()
    {
        // integer_lookup_test.py test_adapt_flow: each value of a flat list is a document; [1, 2, 4] as one sample.
        var layer = new IntegerLookup(outputMode: CategoryOutputMode.TfIdf);
        layer.Adapt(Tensor.FromArray([1f, 1, 1, 2, 2, 3], 6));
        float[] y = layer.Forward(Tensor.FromArray([1f, 2, 4], 1, 3), training: false).ToArray();
        AssertClose([1.133732f, 0.916291f, 1.098612f, 0f], y, 1e-6f);

        // The weights: log(1 + 6 / (1 + [3, 2, 1])) for 1, 2, 3, and their mean for the OOV index.
        double[] idf = [Math.Log(1 + (6.0 / 4)), Math.Log(1 + (6.0 / 3)), Math.Log(1 + (6.0 / 2))];
        AssertClose([(float)idf.Average(), (float)idf[0], (float)idf[1], (float)idf[2]], layer.GetIdfWeights(), 1e-6f);
    }

    [Fact]
    public void Forward_KerasDocstringTfIdf_MatchesKeras()
    {
        // Without the OOV token the OOV index weighs the mean, 0.5; with it, its own 0.9.
        var layer = new IntegerLookup(vocabulary: s_vocabulary, idfWeights: [0.25f, 0.75f, 0.6f, 0.4f], outputMode: CategoryOutputMode.TfIdf);
        AssertClose([0f, 0.25f, 0, 0.6f, 0.8f, 1.0f, 0, 0.75f, 0, 0.4f], layer.Forward(s_docstringData, training: false).ToArray(), 1e-7f);
        AssertClose([0.5f, 0.25f, 0.75f, 0.6f, 0.4f], layer.GetIdfWeights(), 1e-7f);

        var withOov = new IntegerLookup(vocabulary: [-1, .. s_vocabulary], idfWeights: [0.9f, 0.25f, 0.75f, 0.6f, 0.4f], outputMode: CategoryOutputMode.TfIdf);
        AssertClose([0f, 0.25f, 0, 0.6f, 0.8f, 1.8f, 0, 0.75f, 0, 0.4f], withOov.Forward(s_docstringData, training: false).ToArray(), 1e-7f);

        // test_tf_idf_output_shape: (2, 2) tokens give (2, vocabulary size).
        var shaped = new IntegerLookup(vocabulary: [1, 2, 3], idfWeights: [1f, 1, 1], outputMode: CategoryOutputMode.TfIdf);
        Assert.Equal(new TensorShape(2, 4), shaped.Forward(Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 0 } }), training: false).Shape);
    }

    [Fact]
    public void Forward_PaddedToMaxTokensWithMask_WeighsPaddingZeroAndDropsTheMask()
    {
        // index_lookup.py pads the weights with zeros to max_tokens; the mask token is dropped outside Int mode.
        var layer = new IntegerLookup(maxTokens: 6, maskToken: 0, vocabulary: [1, 2], idfWeights: [0.5f, 1.5f], outputMode: CategoryOutputMode.TfIdf, padToMaxTokens: true);
        Tensor y = layer.Forward(Tensor.FromArray(new float[,] { { 1, 0, 2, 2, 9 }, { 0, 0, 0, 0, 0 } }), training: false);
        Assert.Equal(new TensorShape(2, 6), y.Shape);
        Assert.Equal([1f, 0.5f, 3f, 0, 0, 0, 0, 0, 0, 0, 0, 0], y.ToArray());
        Assert.Equal([1f, 0.5f, 1.5f], layer.GetIdfWeights());
    }

    [Fact]
    public void Adapt_RandomCorpus_MatchesPlainReference()
    {
        // Rows are documents; two OOV indices; the mask 0 and OOV -1 tokens are left out of the vocabulary.
        var random = new Random(29);
        float[] corpus = [.. Enumerable.Range(0, 15 * 6).Select(_ => (float)random.Next(-3, 12))];
        var layer = new IntegerLookup(maxTokens: 10, numOovIndices: 2, maskToken: 0, outputMode: CategoryOutputMode.TfIdf);
        layer.Adapt(Tensor.FromArray(corpus, 15, 6));

        long[][] documents = [.. corpus.Chunk(6).Select(row => row.Select(t => (long)t).ToArray())];
        long[] kept = [.. documents.SelectMany(d => d).Where(t => t is not 0 and not -1).GroupBy(t => t)
            .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key).Take(8).Select(g => g.Key)];
        Assert.Equal(kept, layer.GetVocabulary(includeSpecialTokens: false));
        float[] tokenIdf = [.. kept.Select(t => (float)Math.Log(1 + (15.0 / (1 + documents.Count(d => d.Contains(t))))))];
        float oovIdf = (float)(tokenIdf.Sum(w => (double)w) / tokenIdf.Length);
        float[] idf = [oovIdf, oovIdf, .. tokenIdf];
        Assert.Equal(idf, layer.GetIdfWeights());

        // Forward: per row, each index's count times its weight.
        float[] x = [.. Enumerable.Range(0, 4 * 5).Select(_ => (float)random.Next(-3, 14))];
        float[] y = layer.Forward(Tensor.FromArray(x, 4, 5), training: false).ToArray();
        var expected = new float[4 * 10];
        for (int i = 0; i < x.Length; i++)
        {
            long token = (long)x[i];
            if (token == 0)
            {
                continue;
            }

            int position = Array.IndexOf(kept, token);
            int index = position >= 0 ? position + 2 : (int)(((token % 2) + 2) % 2);
            expected[((i / 5) * 10) + index] += 1f;
        }

        for (int j = 0; j < expected.Length; j++)
        {
            expected[j] *= idf[j % 10];
        }

        Assert.Equal(expected, y);

        // The same corpus in batches learns the same weights.
        var batched = new IntegerLookup(maxTokens: 10, numOovIndices: 2, maskToken: 0, outputMode: CategoryOutputMode.TfIdf);
        batched.Adapt([Tensor.FromArray(corpus[..36], 6, 6), Tensor.FromArray(corpus[36..], 9, 6)]);
        Assert.Equal(idf, batched.GetIdfWeights());
    }

    [Fact]
    public void BadIdfWeights_AreRefusedNamingTheParameter_BeforeAnythingChanges()
    {
        Assert.Contains("should only be set if `output_mode` is TfIdf", Assert.Throws<ArgumentException>(() => new IntegerLookup(vocabulary: [1, 2], idfWeights: [1f, 1])).Message, StringComparison.Ordinal);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => new IntegerLookup(vocabulary: [1, 2], idfWeights: [1f, 1], outputMode: CategoryOutputMode.Count)).ParamName);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => new IntegerLookup(vocabulary: [1, 2], outputMode: CategoryOutputMode.TfIdf)).ParamName);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => new IntegerLookup(idfWeights: [1f], outputMode: CategoryOutputMode.TfIdf)).ParamName);
        var length = Assert.Throws<ArgumentException>(() => new IntegerLookup(vocabulary: [1, 2], idfWeights: [1f], outputMode: CategoryOutputMode.TfIdf));
        Assert.Equal("idfWeights", length.ParamName);
        Assert.Contains("1 weights for 2 vocabulary entries", length.Message, StringComparison.Ordinal);
        // Keras takes any finite float: a negative weight (a probabilistic idf) is kept.
        Assert.Equal([0.25f, 1f, -0.5f], new IntegerLookup(vocabulary: [1, 2], idfWeights: [1f, -0.5f], outputMode: CategoryOutputMode.TfIdf).GetIdfWeights());
        Assert.Contains("idfWeights[0] is NaN", Assert.Throws<ArgumentException>(() => new IntegerLookup(vocabulary: [1, 2], idfWeights: [float.NaN, 1f], outputMode: CategoryOutputMode.TfIdf)).Message, StringComparison.Ordinal);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => new IntegerLookup(vocabulary: [1, 2], idfWeights: [float.NaN, 1f], outputMode: CategoryOutputMode.TfIdf)).ParamName);

        var layer = new IntegerLookup(vocabulary: [1, 2], idfWeights: [1f, 2f], outputMode: CategoryOutputMode.TfIdf);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => layer.SetVocabulary([5, 6])).ParamName);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => layer.SetVocabulary([5, 6], [1f, float.PositiveInfinity])).ParamName);
        Assert.Equal("vocabulary", Assert.Throws<ArgumentException>(() => layer.SetVocabulary([5, 5], [1f, 1f])).ParamName);
        Assert.Equal([-1L, 1, 2], layer.GetVocabulary());
        Assert.Equal([1.5f, 1f, 2f], layer.GetIdfWeights());
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => new IntegerLookup(vocabulary: [1]).SetVocabulary([1], [1f])).ParamName);
    }

    [Fact]
    public void TfIdf_IsRefusedByTheLayersWithoutWeights()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CategoryEncoding(3, CategoryOutputMode.TfIdf));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Discretization([0f, 1f], outputMode: CategoryOutputMode.TfIdf));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Hashing(4, outputMode: CategoryOutputMode.TfIdf));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StringHashing(4, outputMode: CategoryOutputMode.TfIdf));
        var error = Assert.Throws<InvalidDataException>(() => CategoryEncoding.FromConfig(HashingTests.Read("""{"name": "ce", "num_tokens": 3, "output_mode": "tf_idf"}""")));
        Assert.Contains("expected \"int\", \"one_hot\", \"multi_hot\" or \"count\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveLoad_AdaptedTfIdfLayerInAModel_RoundTripsItsWeights()
    {
        var lookup = new IntegerLookup(maxTokens: 6, maskToken: 0, outputMode: CategoryOutputMode.TfIdf, padToMaxTokens: true);
        lookup.Adapt(Tensor.FromArray(new float[,] { { 4, 4, 9 }, { 9, 13, 0 }, { 7, 0, 0 } }));
        var model = new Sequential([new InputLayer(3), lookup, new Dense(2)], seed: 5);
        Tensor x = Tensor.FromArray(new float[,] { { 4, 9, 0 }, { 13, 8, 9 } });
        Model loaded = LayerTestKit.AssertRoundTrip(model, x);
        var read = Assert.IsType<IntegerLookup>(loaded.Layers[1]);
        Assert.Equal(lookup.GetIdfWeights(), read.GetIdfWeights());
        Assert.Equal(lookup.GetVocabulary(), read.GetVocabulary());

        // The config holds the weights one per saved entry (float32 values widened exactly), as Keras' set_vocabulary takes them.
        string json = lookup.GetConfig().ToJson();
        Assert.Contains("\"output_mode\":\"tf_idf\"", json, StringComparison.Ordinal);
        Assert.Contains($"\"idf_weights\":[{string.Join(",", lookup.GetIdfWeights().Select(w => ((double)w).ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}]", json, StringComparison.Ordinal);
        Assert.Contains("\"idf_weights\":null", new IntegerLookup(vocabulary: [1]).GetConfig().ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_KerasTfIdfConfig_PadsTheOovWeightWithTheMean()
    {
        // What Keras' get_config writes for the docstring layer: the vocabulary and weights as given, without the OOV token.
        IntegerLookup layer = IntegerLookup.FromConfig(HashingTests.Read("""
            {"name": "integer_lookup", "trainable": true, "dtype": "int64",
             "invert": false, "max_tokens": null, "num_oov_indices": 1, "oov_token": -1, "mask_token": null,
             "output_mode": "tf_idf", "sparse": false, "pad_to_max_tokens": false, "vocabulary_dtype": "int64",
             "idf_weights": [0.25, 0.75, 0.6, 0.4], "vocabulary": [12, 36, 1138, 42], "vocabulary_size": 5, "oov_method": "floormod"}
            """));
        AssertClose([0f, 0.25f, 0, 0.6f, 0.8f, 1.0f, 0, 0.75f, 0, 0.4f], layer.Forward(s_docstringData, training: false).ToArray(), 1e-7f);
        var error = Assert.Throws<InvalidDataException>(() => IntegerLookup.FromConfig(HashingTests.Read("""
            {"name": "ids", "output_mode": "count", "idf_weights": [0.25], "vocabulary": [12]}
            """)));
        Assert.Contains("should only be set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_TfIdfAfterWarmUp_AllocatesNothing()
    {
        var layer = new IntegerLookup(vocabulary: s_vocabulary, idfWeights: [0.25f, 0.75f, 0.6f, 0.4f], outputMode: CategoryOutputMode.TfIdf);
        layer.Forward(s_docstringData, training: false);
        AllocationCheck.AssertNone(() => layer.Forward(s_docstringData, training: false));
    }

    private static void AssertClose(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }
}
