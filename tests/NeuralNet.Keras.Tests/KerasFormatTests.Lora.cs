using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.Layers.Lora;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Keras' LoRA in files (keras/src/layers/core/dense.py, embedding.py): get_config writes lora_rank and lora_alpha,
// save_own_variables writes the merged kernel as vars/0 (no lora_kernel_a/b datasets), build re-enables LoRA and
// load_own_variables sets lora_kernel_a and lora_kernel_b to zeros.
public sealed partial class KerasFormatTests
{
    [H5pyFact]
    public void LoadModel_KerasArchiveWithLoraRank_EnablesLoraWithZeroAdaptersOverTheSavedKernel()
    {
        // Keras' get_config of Dense(8, "relu", lora_rank=2, lora_alpha=4): the two keys after quantization_config.
        JsonNode root = JsonNode.Parse(KerasConfigs.SequentialMlp)!;
        JsonNode denseConfig = root["config"]!["layers"]!.AsArray().Single(l => (string?)l!["config"]!["name"] == "dense")!["config"]!;
        denseConfig["lora_rank"] = 2;
        denseConfig["lora_alpha"] = 4;
        string config = root.ToJsonString();
        (string, string)[] paths = [("layers/dense/vars/0", "dense/kernel"), ("layers/dense/vars/1", "dense/bias"), ("layers/dense_1/vars/0", "dense_1/kernel"), ("layers/dense_1/vars/1", "dense_1/bias")];
        Model reference = Model.FromJson(KerasConfigs.SequentialMlp);
        var values = RandomValues(reference, paths, seed: 17);
        string archive = WriteArchive("lora.keras", config, ["", "layers/dense", "layers/dense_1"], paths.Select(p => (p.Item1, values[p.Item2])));

        Model model = KerasFormat.LoadModel(archive);

        var dense = (Dense)model.GetLayer("dense");
        Assert.True(dense.LoraEnabled);
        Assert.Equal(2, dense.LoraRank);
        Assert.Equal(4f, dense.LoraAlpha);
        Assert.False(dense.Kernel.Trainable);
        Assert.All(dense.LoraKernelA!.Value.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(dense.LoraKernelB!.Value.ToArray(), v => Assert.Equal(0f, v));
        SetParameters(reference, values);
        Tensor x = Tensor.RandomNormal(new TensorShape(9, 4), seed: 2);
        Assert.Equal(reference.Predict(x).AsReadOnlySpan().ToArray(), model.Predict(x).AsReadOnlySpan().ToArray());
    }

    [H5pyFact]
    public void SaveModel_LoraModel_WritesTheMergedKernelAndLoraRankAndLoadsBack()
    {
        var model = new Sequential([new InputLayer(5), new Embedding(10, 3, name: "tokens"), new Flatten(), new Dense(6, ActivationFunction.Relu, name: "dense"), new Dense(2, name: "head")], seed: 4);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Tensor x = Tensor.FromArray([.. Enumerable.Range(0, 40).Select(i => (float)(i * 7 % 10))], 8, 5);
        var dense = (Dense)model.GetLayer("dense");
        dense.EnableLora(2, 3f);
        ((Embedding)model.GetLayer("tokens")).EnableLora(2);
        model.Fit(x, Tensor.RandomNormal(new TensorShape(8, 2), 5), epochs: 2, batchSize: 4, verbose: 0);
        Tensor merged = dense.GetMergedWeight();
        string path = Path.Combine(_folder, "lora-out.keras");

        KerasFormat.SaveModel(model, path);

        using (ZipArchive zip = ZipFile.OpenRead(path))
        {
            using var reader = new StreamReader(zip.GetEntry("config.json")!.Open());
            JsonNode layer = JsonNode.Parse(reader.ReadToEnd())!["config"]!["layers"]!.AsArray().Single(l => (string?)l!["config"]!["name"] == "dense")!;
            Assert.Equal(2, (int)layer["config"]!["lora_rank"]!);
            Assert.Equal(3, (int)layer["config"]!["lora_alpha"]!);
        }

        string weights = Path.Combine(_folder, "lora-out.weights.h5");
        KerasFormat.SaveWeights(model, weights);
        var datasets = (JsonObject)H5py.Dump(weights)["datasets"]!;
        Assert.Equal(["layers/dense/vars/0", "layers/dense/vars/1"], datasets.Select(d => d.Key).Where(k => k.StartsWith("layers/dense/", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        Assert.Equal(["layers/embedding/vars/0"], datasets.Select(d => d.Key).Where(k => k.StartsWith("layers/embedding/", StringComparison.Ordinal)));
        double[] saved = [.. datasets["layers/dense/vars/0"]!["values"]!.AsArray().Select(v => (double)v!)];
        Assert.Equal(merged.ToArray().Select(v => (double)v), saved);

        Model loaded = KerasFormat.LoadModel(path);
        Assert.True(((Dense)loaded.GetLayer("dense")).LoraEnabled);
        // The saved model adds scale·(x·A)·B to x·W (Dense) and A's rows of the ids times B (Embedding); the loaded one
        // reads the merged weights with A and B zeros: the same values up to float32 rounding.
        LoraReference.AssertClose(model.Predict(x).AsReadOnlySpan(), loaded.Predict(x).AsReadOnlySpan());

        // LoadWeights into the LoRA model itself: the merged kernel in the kernel's place, A and B zeros.
        KerasFormat.LoadWeights(model, weights);
        Assert.Equal(merged.ToArray(), dense.Kernel.Value.ToArray());
        Assert.All(dense.LoraKernelB!.Value.ToArray(), v => Assert.Equal(0f, v));
    }
}
