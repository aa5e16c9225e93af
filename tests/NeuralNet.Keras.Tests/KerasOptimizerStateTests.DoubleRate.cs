using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Keras.Tests;

public sealed partial class KerasOptimizerStateTests
{
    [Fact]
    public void SaveModel_LearningRateSetAsDouble_WritesAndReadsBackTheFloat32RateByHand()
    {
        // Keras: optimizer.learning_rate = 0.1 after some training. The float32 variable holds 0.100000001490116119384765625;
        // the config writes the float32 value's shortest decimal, 0.1, and clipnorm=1.0 as 1.
        var adam = new Adam(0.01) { ClipNorm = 1.0 };
        Sequential model = NewModel(adam);
        Train(model, 0);
        adam.LearningRate = 0.1;

        string path = Path.Combine(_folder, "double-rate.keras");
        KerasFormat.SaveModel(model, path);
        using (ZipArchive archive = ZipFile.OpenRead(path))
        {
            JsonNode config = JsonNode.Parse(archive.GetEntry("config.json")!.Open())!;
            JsonNode optimizer = config["compile_config"]!["optimizer"]!["config"]!;
            Assert.Equal(0.1, optimizer["learning_rate"]!.GetValue<double>());
            Assert.Equal(1.0, optimizer["clipnorm"]!.GetValue<double>());
        }

        Model loaded = KerasFormat.LoadModel(path);
        Assert.Equal(0.100000001490116119384765625, loaded.Optimizer!.LearningRate);
        Assert.Equal(1.0, loaded.Optimizer.ClipNorm);
        Assert.Equal(1, loaded.Optimizer.StepCount);
    }
}
