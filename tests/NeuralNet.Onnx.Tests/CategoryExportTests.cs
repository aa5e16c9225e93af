using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Onnx.Tests;

/// <summary>CategoryEncoding and Discretization in the file, beside their cases in <see cref="ExportCases"/>: exact values, adapted boundaries, refusals.</summary>
public sealed class CategoryExportTests
{
    [Fact]
    public void Values_on_and_between_the_boundaries_fall_in_predicts_buckets_exactly()
    {
        // Keras' Discretization docstring (keras/src/layers/preprocessing/discretization.py): boundaries [0, 1, 2] make the
        // bins (-inf, 0), [0, 1), [1, 2), [2, +inf); so [[-1, 1, 2.5], [0, 1.5, 3]] -> [[0, 2, 3], [1, 2, 3]], a boundary in the bin it opens.
        var model = new Sequential(name: "buckets", seed: 1);
        model.Add(new InputLayer(new TensorShape(3), name: "x"));
        model.Add(new Discretization(binBoundaries: [0f, 1f, 2f], name: "bins"));
        Tensor x = Tensor.FromArray([-1f, 1f, 2.5f, 0f, 1.5f, 3f], 2, 3);
        (float[] actual, _) = OnnxRoundTrip.RunOnnx(model.ToOnnxBytes(), model, [x])["bins"];
        Assert.Equal([0f, 2f, 3f, 1f, 2f, 3f], actual);
        Assert.Equal(model.Predict(x).AsReadOnlySpan().ToArray(), actual);
    }

    [Fact]
    public void Adapted_boundaries_are_written()
    {
        var model = new Sequential(name: "adapted", seed: 1);
        model.Add(new InputLayer(new TensorShape(4), name: "x"));
        var bins = new Discretization(numBins: 4, outputMode: CategoryOutputMode.Count, name: "bins");
        bins.Adapt(Tensor.RandomNormal(new TensorShape(64, 4), 3));
        model.Add(bins);
        OnnxRoundTrip.AssertMatchesPredict(model, batch: 8);
    }

    [Fact]
    public void Discretization_without_boundaries_is_refused_naming_it()
    {
        var model = new Sequential(name: "unadapted");
        model.Add(new InputLayer(4));
        model.Add(new Discretization(numBins: 3, name: "bins"));
        var error = Assert.Throws<InvalidOperationException>(() => model.ToOnnxBytes());
        Assert.Contains("Layer 'bins' (Discretization) of model 'unadapted' has no bin boundaries yet", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Category_counts_match_keras_test_values()
    {
        // Keras' category_encoding_test.py, test_count_output: [1, 2, 3, 1] with 6 tokens counts [0, 2, 1, 1, 0, 0]; the
        // second row [0, 3, 1, 0] is ours.
        var model = new Sequential(name: "counts", seed: 1);
        model.Add(new InputLayer(new TensorShape(4), name: "ids"));
        model.Add(new CategoryEncoding(6, CategoryOutputMode.Count, name: "counts"));
        Tensor ids = Tensor.FromArray([1f, 2f, 3f, 1f, 0f, 3f, 1f, 0f], 2, 4);
        (float[] actual, _) = OnnxRoundTrip.RunOnnx(model.ToOnnxBytes(), model, [ids])["counts"];
        Assert.Equal([0f, 2, 1, 1, 0, 0, 2, 1, 0, 1, 0, 0], actual);
    }

    [Fact]
    public void Multi_hot_matches_the_keras_docstring_example()
    {
        // Keras' CategoryEncoding docstring (keras/src/layers/preprocessing/category_encoding.py), multi-hot with 4 tokens.
        var model = new Sequential(name: "multi_hot", seed: 1);
        model.Add(new InputLayer(new TensorShape(2), name: "ids"));
        model.Add(new CategoryEncoding(4, name: "hot"));
        Tensor ids = Tensor.FromArray([0f, 1f, 0f, 0f, 1f, 2f, 3f, 1f], 4, 2);
        (float[] actual, _) = OnnxRoundTrip.RunOnnx(model.ToOnnxBytes(), model, [ids])["hot"];
        Assert.Equal([1f, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1], actual);
    }

    [Fact]
    public void Integer_lookup_matches_the_keras_docstring_example()
    {
        // Keras' IntegerLookup docstring (keras/src/layers/preprocessing/integer_lookup.py): vocabulary [12, 36, 1138, 42]
        // maps [[12, 1138, 42], [42, 1000, 36]] to [[1, 3, 4], [4, 0, 2]] (1000 is out of vocabulary: index 0).
        var model = new Sequential(name: "lookup", seed: 1);
        model.Add(new InputLayer(new TensorShape(3), name: "tokens"));
        model.Add(new IntegerLookup(vocabulary: [12, 36, 1138, 42], name: "ids"));
        Tensor tokens = Tensor.FromArray([12f, 1138f, 42f, 42f, 1000f, 36f], 2, 3);
        (float[] actual, _) = OnnxRoundTrip.RunOnnx(model.ToOnnxBytes(), model, [tokens])["ids"];
        Assert.Equal([1f, 3, 4, 4, 0, 2], actual);
    }

    [Fact]
    public void Integer_lookup_tf_idf_matches_the_keras_docstring_example()
    {
        // Keras' IntegerLookup docstring, TF-IDF output: weights [0.25, 0.75, 0.6, 0.4], the OOV index their mean 0.5.
        var model = new Sequential(name: "tfidf", seed: 1);
        model.Add(new InputLayer(new TensorShape(4), name: "tokens"));
        model.Add(new IntegerLookup(vocabulary: [12, 36, 1138, 42], idfWeights: [0.25f, 0.75f, 0.6f, 0.4f], outputMode: CategoryOutputMode.TfIdf, name: "tf_idf"));
        Tensor tokens = Tensor.FromArray([12f, 1138f, 42f, 42f, 42f, 7f, 36f, 7f], 2, 4);
        (float[] actual, _) = OnnxRoundTrip.RunOnnx(model.ToOnnxBytes(), model, [tokens])["tf_idf"];
        Assert.Equal(model.Predict(tokens).ToArray(), actual);
        float[] keras = [0f, 0.25f, 0f, 0.6f, 0.8f, 1.0f, 0f, 0.75f, 0f, 0.4f];
        Assert.All(actual.Zip(keras), pair => Assert.Equal(pair.Second, pair.First, 6));
    }

    [Fact]
    public void Unknown_negative_and_large_tokens_go_to_predicts_oov_index_exactly()
    {
        // floormod(t, 3) for negative tokens and tokens near 2^24, where t / 3 is closest to a whole number.
        var model = new Sequential(name: "oov", seed: 1);
        model.Add(new InputLayer(new TensorShape(8), name: "tokens"));
        model.Add(new IntegerLookup(numOovIndices: 3, maskToken: 0, vocabulary: [5, -4], name: "ids"));
        Tensor tokens = Tensor.FromArray([-7f, -1f, -4f, 0f, 5f, 16777215f, 16777214f, -16777215f], 1, 8);
        Tensor expected = model.Predict(tokens);
        (float[] actual, _) = OnnxRoundTrip.RunOnnx(model.ToOnnxBytes(), model, [tokens])["ids"];
        Assert.Equal(expected.AsReadOnlySpan().ToArray(), actual);
        Assert.Equal([3f, 3f, 5f, 0f, 4f], actual[..5]);      // mask 0, OOV 1..3 (1 + floormod(t, 3)), then 5 and -4
    }

    [Fact]
    public void Integer_lookup_without_a_vocabulary_is_refused_naming_it()
    {
        var model = new Sequential(name: "unadapted");
        model.Add(new InputLayer(4));
        model.Add(new IntegerLookup(name: "ids"));
        var error = Assert.Throws<InvalidOperationException>(() => model.ToOnnxBytes());
        Assert.Contains("Layer 'ids' (IntegerLookup) of model 'unadapted' has no vocabulary yet", error.Message, StringComparison.Ordinal);
    }
}
