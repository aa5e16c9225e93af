using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Keras' ReversibleEmbedding in .keras archives: the layer's config keys, the reverse call written as Keras writes
// embedding(hidden, reverse=True), and its variables embeddings then reverse_embeddings.
public sealed partial class KerasFormatTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SaveModel_ReversibleEmbeddingLanguageModel_WritesReverseKeywordAndLoadsBack(bool tieWeights)
    {
        Functional model = ReversibleLanguageModel(tieWeights);
        string path = Path.Combine(_folder, $"tied-{tieWeights}.keras");
        Tensor ids = Tensor.FromArray([1, 2, 3, 4, 0, 9, 8, 7], 2, 4);

        KerasFormat.SaveModel(model, path);
        Model loaded = KerasFormat.LoadModel(path);

        Assert.Equal(model.Predict(ids).AsReadOnlySpan().ToArray(), loaded.Predict(ids).AsReadOnlySpan().ToArray());
        using ZipArchive archive = ZipFile.OpenRead(path);
        using var reader = new StreamReader(archive.GetEntry("config.json")!.Open());
        JsonNode item = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray().Single(l => (string?)l!["class_name"] == "ReversibleEmbedding")!;
        Assert.Equal("keras.layers", (string?)item["module"]);
        JsonNode config = item["config"]!;
        Assert.Equal(tieWeights, (bool)config["tie_weights"]!);
        Assert.Null(config["reverse_dtype"]);
        Assert.Equal(5.0, (double)config["logit_soft_cap"]!);
        JsonArray calls = item["inbound_nodes"]!.AsArray();
        Assert.Equal(2, calls.Count);
        Assert.Null(calls[0]!["kwargs"]!["reverse"]);
        Assert.True((bool)calls[1]!["kwargs"]!["reverse"]!);
    }

    [H5pyFact]
    public void SaveWeights_UntiedReversibleEmbedding_H5pyReadsEmbeddingsThenReverseEmbeddings()
    {
        Functional model = ReversibleLanguageModel(tieWeights: false);
        var embedding = (ReversibleEmbedding)model.GetLayer("tokens");
        string weights = Path.Combine(_folder, "reversible.weights.h5");

        KerasFormat.SaveWeights(model, weights);

        var datasets = (JsonObject)H5py.Dump(weights)["datasets"]!;
        float[] Values(string path) => [.. datasets[path]!["values"]!.AsArray().Select(v => (float)(double)v!)];
        int[] Shape(string path) => [.. datasets[path]!["shape"]!.AsArray().Select(d => (int)d!)];
        Assert.Equal(embedding.Embeddings.Value.ToArray(), Values("layers/reversible_embedding/vars/0"));
        Assert.Equal([10, 6], Shape("layers/reversible_embedding/vars/0"));
        Assert.Equal(embedding.ReverseEmbeddings!.Value.ToArray(), Values("layers/reversible_embedding/vars/1"));
        Assert.Equal([6, 10], Shape("layers/reversible_embedding/vars/1"));
    }

    // ids (4) -> ReversibleEmbedding(10, 6) -> Dense(6, tanh) -> the embedding in reverse, capped at 5.
    private static Functional ReversibleLanguageModel(bool tieWeights)
    {
        var ids = new Input(new TensorShape(4), "ids");
        var embedding = new ReversibleEmbedding(10, 6, tieWeights, logitSoftCap: 5f, name: "tokens");
        SymbolicTensor hidden = new Dense(6, ActivationFunction.Tanh, name: "dense").Call(embedding.Call(ids));
        return new Functional(ids, embedding.CallReverse(hidden), seed: 4);
    }
}
