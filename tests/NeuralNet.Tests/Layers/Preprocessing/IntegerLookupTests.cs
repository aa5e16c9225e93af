using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers.Preprocessing;

// Expectations from Keras 3's integer_lookup_test.py and the layer's docstring.
public class IntegerLookupTests
{
    private static readonly long[] s_vocabulary = [12, 36, 1138, 42];
    private static readonly Tensor s_adaptData = Tensor.FromArray([1f, 1, 1, 2, 2, 3], 6);

    [Fact]
    public void Adapt_KerasAdaptFlow_MatchesEveryMode()
    {
        var ints = new IntegerLookup();
        ints.Adapt(s_adaptData);
        Assert.Equal([-1L, 1, 2, 3], ints.GetVocabulary());
        Assert.Equal([1f, 2, 0], ints.Forward(Tensor.FromArray([1f, 2, 4], 3), training: false).ToArray());
        var batched = new IntegerLookup();
        batched.Adapt(s_adaptData);
        Assert.Equal([1f, 2, 0, 2, 3, 0], batched.Forward(Tensor.FromArray(new float[,] { { 1, 2, 4 }, { 2, 3, 5 } }), training: false).ToArray());

        var oneHot = new IntegerLookup(outputMode: CategoryOutputMode.OneHot);
        oneHot.Adapt(s_adaptData);
        Assert.Equal([0f, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0], oneHot.Forward(Tensor.FromArray([1f, 2, 4], 3), training: false).ToArray());

        // Keras reads a lone rank-1 array as one sample; here that sample is the row (1, 3).
        var multiHot = new IntegerLookup(outputMode: CategoryOutputMode.MultiHot);
        multiHot.Adapt(s_adaptData);
        Assert.Equal([1f, 1, 1, 0], multiHot.Forward(Tensor.FromArray([1f, 2, 4], 1, 3), training: false).ToArray());

        var count = new IntegerLookup(outputMode: CategoryOutputMode.Count);
        count.Adapt(s_adaptData);
        Assert.Equal([1f, 3, 2, 1], count.Forward(Tensor.FromArray([1f, 2, 3, 4, 1, 2, 1], 1, 7), training: false).ToArray());
    }

    [Fact]
    public void Forward_KerasDocstringExamples_MatchKeras()
    {
        Tensor data = Tensor.FromArray(new float[,] { { 12, 1138, 42 }, { 42, 1000, 36 } });
        Assert.Equal([1f, 3, 4, 4, 0, 2], new IntegerLookup(vocabulary: s_vocabulary).Forward(data, training: false).ToArray());

        // Two OOV indices: floormod(37, 2) = 1, floormod(1000, 2) = 0.
        var twoOov = new IntegerLookup(numOovIndices: 2, vocabulary: s_vocabulary);
        Assert.Equal([2f, 4, 5, 5, 0, 3], twoOov.Forward(data, training: false).ToArray());
        Assert.Equal([1f, 0f], new IntegerLookup(numOovIndices: 2, vocabulary: s_vocabulary).Forward(Tensor.FromArray([37f, 1000f], 2), training: false).ToArray());

        var mask = new IntegerLookup(maskToken: 0, vocabulary: s_vocabulary);
        Assert.Equal([2f, 4, 0, 5, 0, 3], mask.Forward(Tensor.FromArray(new float[,] { { 12, 1138, 0 }, { 42, 0, 36 } }), training: false).ToArray());
        Assert.Equal([0L, -1, 12, 36, 1138, 42], mask.GetVocabulary());

        Tensor sample = Tensor.FromArray(new float[,] { { 12, 1138, 42, 42 }, { 42, 7, 36, 7 } });
        Assert.Equal([0f, 1, 0, 1, 1, 1, 0, 1, 0, 1], new IntegerLookup(vocabulary: s_vocabulary, outputMode: CategoryOutputMode.MultiHot).Forward(sample, training: false).ToArray());
        Assert.Equal([0f, 1, 0, 1, 2, 2, 0, 1, 0, 1], new IntegerLookup(vocabulary: s_vocabulary, outputMode: CategoryOutputMode.Count).Forward(sample, training: false).ToArray());
        Tensor oneHot = new IntegerLookup(vocabulary: s_vocabulary, outputMode: CategoryOutputMode.OneHot).Forward(Tensor.FromArray([12f, 36, 1138, 42, 7], 5), training: false);
        Assert.Equal([0f, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0], oneHot.ToArray());

        var inverse = new IntegerLookup(vocabulary: s_vocabulary, invert: true);
        Assert.Equal([12f, 1138, 42, 42, -1, 36], inverse.Forward(Tensor.FromArray(new float[,] { { 1, 3, 4 }, { 4, 0, 2 } }), training: false).ToArray());
    }

    [Fact]
    public void Forward_KerasHigherRankOneHot_AppendsTheDepth()
    {
        var layer = new IntegerLookup(vocabulary: [1, 2, 3], outputMode: CategoryOutputMode.OneHot);
        Tensor y = layer.Forward(Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 0 } }), training: false);
        Assert.Equal(new TensorShape(2, 2, 4), y.Shape);
        Assert.Equal([0f, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0], y.ToArray());
        Assert.Equal(new TensorShape(2, 4), new IntegerLookup(vocabulary: [1, 2, 3], outputMode: CategoryOutputMode.Count).Forward(Tensor.FromArray(new float[,] { { 1, 2 }, { 3, 0 } }), training: false).Shape);
    }

    [Fact]
    public void Adapt_RandomTokens_MatchPlainReferenceWithKerasTieOrder()
    {
        var random = new Random(11);
        float[] tokens = [.. Enumerable.Range(0, 400).Select(_ => (float)random.Next(-20, 40))];
        var layer = new IntegerLookup(maxTokens: 30, maskToken: 0);
        layer.Adapt(Tensor.FromArray(tokens, 20, 20));

        // Counts without the mask and OOV tokens, most frequent first, ties by the larger token first, 28 kept.
        long[] expected = [.. tokens.Select(t => (long)t).Where(t => t is not 0 and not -1).GroupBy(t => t)
            .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key).Take(28).Select(g => g.Key)];
        Assert.Equal(expected, layer.GetVocabulary(includeSpecialTokens: false));

        float[] y = layer.Forward(Tensor.FromArray(tokens, 20, 20), training: false).ToArray();
        for (int i = 0; i < tokens.Length; i++)
        {
            int position = Array.IndexOf(expected, (long)tokens[i]);
            float reference = tokens[i] == 0 ? 0 : position >= 0 ? position + 2 : 1;
            Assert.Equal(reference, y[i]);
        }
    }

    [Fact]
    public void BadInput_ThrowsWithKerasMessages()
    {
        var layer = new IntegerLookup(vocabulary: [1, 2], name: "ids");
        var error = Assert.Throws<ArgumentException>(() => layer.Forward(Tensor.FromArray(new float[,] { { 1, 2.5f } }), training: false));
        Assert.Contains("IntegerLookup 'ids' expects whole-number tokens but sample 0 at position 1 holds 2.5", error.Message, StringComparison.Ordinal);
        var strict = new IntegerLookup(numOovIndices: 0, vocabulary: [1, 2]);
        Assert.Contains("found OOV value 7 in sample 0 at position 1", Assert.Throws<ArgumentException>(() => strict.Forward(Tensor.FromArray(new float[,] { { 1, 7 } }), training: false)).Message, StringComparison.Ordinal);
        Assert.Contains("repeated term", Assert.Throws<ArgumentException>(() => new IntegerLookup(vocabulary: [1, 2, 1])).Message, StringComparison.Ordinal);
        Assert.Contains("reserved mask token", Assert.Throws<ArgumentException>(() => new IntegerLookup(maskToken: 0, vocabulary: [1, 0])).Message, StringComparison.Ordinal);
        Assert.Contains("larger than the maximum vocab size", Assert.Throws<ArgumentException>(() => new IntegerLookup(maxTokens: 3, vocabulary: [1, 2, 3])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new IntegerLookup(vocabulary: [16_777_217]));
        Assert.Throws<ArgumentException>(() => new IntegerLookup(invert: true, outputMode: CategoryOutputMode.Count));
        Assert.Throws<InvalidOperationException>(() => new IntegerLookup().Forward(Tensor.Ones(2), training: false));

        var kept = new IntegerLookup(vocabulary: [5, 6]);
        Assert.Throws<ArgumentException>(() => kept.Adapt(Tensor.FromArray([1f, float.NaN], 2)));
        Assert.Equal([-1L, 5, 6], kept.GetVocabulary());
        var built = new IntegerLookup(vocabulary: [5, 6], outputMode: CategoryOutputMode.MultiHot);
        built.Build(new TensorShape(2));
        Assert.Throws<ArgumentException>(() => built.SetVocabulary([5, 6, 7]));
        Assert.Equal(3, built.VocabularySize);
    }

    [Fact]
    public void SaveLoad_AdaptedLayerInAModel_RoundTripsItsVocabulary()
    {
        var lookup = new IntegerLookup(maskToken: 0, outputMode: CategoryOutputMode.Int);
        lookup.Adapt(Tensor.FromArray([4f, 4, 9, 9, 9, 13, 0], 7));
        var model = new Sequential([new InputLayer(3), lookup, new Embedding(lookup.VocabularySize, 2)], seed: 5);
        Tensor x = Tensor.FromArray(new float[,] { { 4, 9, 0 }, { 13, 7, 9 } });
        Model loaded = LayerTestKit.AssertRoundTrip(model, x);
        Assert.Equal(lookup.GetVocabulary(), Assert.IsType<IntegerLookup>(loaded.Layers[1]).GetVocabulary());
        Assert.Contains("\"vocabulary\":[0,-1,9,4,13]", lookup.GetConfig().ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_AfterWarmUp_AllocatesNothing()
    {
        var layer = new IntegerLookup(vocabulary: s_vocabulary, outputMode: CategoryOutputMode.Count);
        Tensor x = Tensor.FromArray(new float[,] { { 12, 1138, 42, 42 }, { 42, 7, 36, 7 } });
        layer.Forward(x, training: false);
        AllocationCheck.AssertNone(() => layer.Forward(x, training: false));
    }
}
