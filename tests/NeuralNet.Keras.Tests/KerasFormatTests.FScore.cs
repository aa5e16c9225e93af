using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Keras.Tests;

// Keras' F1Score (keras/src/metrics/f_score_metrics.py): __init__(average, threshold, name, dtype) takes no beta, and
// get_config deletes FBetaScore's "beta", so that compile_from_config can call F1Score(**config); FBetaScore keeps it.
public sealed partial class KerasFormatTests
{
    [Fact]
    public void SaveModel_F1Score_WritesNoBetaAndFBetaScoreKeepsIt()
    {
        var model = new Sequential([new Input(4).Layer, new Dense(3, ActivationFunction.Sigmoid)]);
        model.Compile(new Adam(), new BinaryCrossEntropy(), new F1Score(ScoreAverage.Micro, threshold: 0.5), new FBetaScore(ScoreAverage.Macro, beta: 2.0));
        string path = Path.Combine(_folder, "f1.keras");

        KerasFormat.SaveModel(model, path);

        JsonArray metrics;
        using (ZipArchive archive = ZipFile.OpenRead(path))
        {
            metrics = JsonNode.Parse(archive.GetEntry("config.json")!.Open())!["compile_config"]!["metrics"]!.AsArray();
        }

        JsonObject f1 = metrics[0]!["config"]!.AsObject();
        Assert.Equal("F1Score", (string?)metrics[0]!["class_name"]);
        Assert.False(f1.ContainsKey("beta"), $"F1Score's config holds \"beta\", which Keras' F1Score.__init__ refuses: {f1.ToJsonString()}");
        Assert.Equal("micro", (string?)f1["average"]);
        Assert.Equal(0.5, (double?)f1["threshold"]);
        Assert.Equal(2.0, (double?)metrics[1]!["config"]!["beta"]);

        Model loaded = KerasFormat.LoadModel(path);
        F1Score back = Assert.IsType<F1Score>(loaded.Metrics[0]);
        Assert.Equal(ScoreAverage.Micro, back.Average);
        Assert.Equal(0.5, back.Threshold);
        Assert.Equal(1.0, back.Beta);
        Assert.Equal(2.0, Assert.IsType<FBetaScore>(loaded.Metrics[1]).Beta);
    }

    [Fact]
    public void LoadModel_F1ScoreConfigWithBeta_StillReads()
    {
        var model = new Sequential([new Input(4).Layer, new Dense(3, ActivationFunction.Sigmoid)]);
        model.Compile(new Adam(), new BinaryCrossEntropy(), new F1Score());
        string path = Path.Combine(_folder, "f1_beta.keras");
        KerasFormat.SaveModel(model, path);

        // The form NeuralNet wrote before (FBetaScore's config, "beta" included): still read.
        using (ZipArchive archive = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            ZipArchiveEntry entry = archive.GetEntry("config.json")!;
            JsonNode config;
            using (Stream stream = entry.Open())
            {
                config = JsonNode.Parse(stream)!;
            }

            config["compile_config"]!["metrics"] = JsonNode.Parse("""
                [{"module": "keras.metrics", "class_name": "F1Score", "config": {"name": "f1_score", "dtype": "float32", "average": "weighted", "beta": 1.0, "threshold": 0.4}, "registered_name": null}]
                """);
            entry.Delete();
            using Stream written = archive.CreateEntry("config.json", CompressionLevel.NoCompression).Open();
            written.Write(System.Text.Encoding.UTF8.GetBytes(config.ToJsonString()));
        }

        F1Score loaded = Assert.IsType<F1Score>(KerasFormat.LoadModel(path).Metrics[0]);
        Assert.Equal(ScoreAverage.Weighted, loaded.Average);
        Assert.Equal(0.4, loaded.Threshold);
    }
}
