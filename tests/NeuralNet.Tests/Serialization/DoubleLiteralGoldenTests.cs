using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Serialization;

/// <summary>
/// A model and optimizer built from Keras' literals, and a learning rate set as a double through the property, against
/// values written out by hand: the float32 values as their shortest decimals in the configuration, and the float32 rate
/// (0.1 is 0.100000001490116119384765625) after a NeuralNet-file round trip.
/// </summary>
public sealed class DoubleLiteralGoldenTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-double-golden-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void KerasLiteralConfigs_AreTheFloat32ValuesShortestDecimals()
    {
        Assert.Contains("\"momentum\":0.9,\"epsilon\":0.001", new BatchNormalization(momentum: 0.9, epsilon: 1e-3).GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Contains("\"negative_slope\":0.1", new LeakyReLU(0.1).GetConfig().ToJson(), StringComparison.Ordinal);
        // (float)(1.0 / 255) is 0.0039215688593685627; its shortest float32 decimal is 0.003921569.
        Assert.Contains("\"scale\":0.003921569", new Rescaling(1.0 / 255).GetConfig().ToJson(), StringComparison.Ordinal);
        string adam = new Adam(1e-3, beta2: 0.98, epsilon: 1e-8) { ClipNorm = 1.0, WeightDecay = 1e-4 }.GetConfig().ToJson();
        foreach (string expected in new[] { "\"learning_rate\":0.001", "\"clipnorm\":1", "\"weight_decay\":0.0001", "\"beta_1\":0.9", "\"beta_2\":0.98", "\"epsilon\":1E-08" })
        {
            Assert.Contains(expected, adam, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Save_LearningRateSetAsDouble_ReadsBackTheFloat32Rate()
    {
        var model = new Sequential([new InputLayer(2), new Dense(1)], seed: 3);
        var sgd = new Sgd(0.5, momentum: 0.9) { ClipNorm = 2.5 };
        model.Compile(sgd, new MeanSquaredError());
        model.TrainOnBatch(Tensor.RandomNormal(new TensorShape(4, 2), 1), Tensor.RandomNormal(new TensorShape(4, 1), 2));
        sgd.LearningRate = 0.1; // Keras: optimizer.learning_rate = 0.1
        Assert.Equal(0.100000001490116119384765625, sgd.LearningRate);

        string path = Path.Combine(_folder, "model.nn");
        model.Save(path);
        Sequential loaded = Sequential.Load(path);
        Optimizer optimizer = loaded.Optimizer!;
        Assert.Equal(0.100000001490116119384765625, optimizer.LearningRate);
        Assert.Equal(2.5, optimizer.ClipNorm);
        Assert.Equal(0.9f, ((Sgd)optimizer).Momentum);
        Assert.Contains("\"learning_rate\":0.1,", optimizer.GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Equal(1, optimizer.StepCount);
    }
}
