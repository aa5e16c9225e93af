using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Serialization;

// Keras saves a SeedGenerator's state with its layer (a non-trainable variable); the model file saves each random layer's
// stream ("random_states"), so training resumed from a file draws the dropout masks an uninterrupted run draws.
public class DropoutStreamResumeTests
{
    private static readonly Tensor s_x = Tensor.RandomNormal(new TensorShape(24, 6), seed: 31);
    private static readonly Tensor s_y = Tensor.RandomNormal(new TensorShape(24, 2), seed: 32);

    private static Sequential Make()
    {
        var model = new Sequential([new InputLayer(6), new Dense(8, NeuralNet.Activations.ActivationFunction.Relu), new Dropout(0.5), new GaussianDropout(0.3), new Dense(2)], seed: 9);
        model.Compile(new Adam(0.01), new MeanSquaredError());
        return model;
    }

    private static float[] Weights(Model model) => [.. model.GetWeights().SelectMany(t => t.ToArray())];

    // Throws at the end of one epoch, after the backup was written: a crash between epochs.
    private sealed class CrashAfterEpoch(int epoch) : Callback
    {
        public override void OnEpochEnd(int e, IReadOnlyDictionary<string, double> logs)
        {
            if (e == epoch)
            {
                throw new IOException("simulated crash");
            }
        }
    }

    [Fact]
    public void SaveLoad_AfterOneEpoch_SecondEpochBitIdenticalToTwoStraight()
    {
        using var dir = new TempDirectory();
        Sequential straight = Make();
        straight.Fit(s_x, s_y, epochs: 2, batchSize: 8, verbose: 0, seed: 4);

        Sequential first = Make();
        first.Fit(s_x, s_y, epochs: 1, batchSize: 8, verbose: 0, seed: 4);
        first.Save(dir.File("epoch1.safetensors"));
        var resumed = Sequential.Load(dir.File("epoch1.safetensors"));
        resumed.Fit(s_x, s_y, epochs: 2, batchSize: 8, verbose: 0, seed: 4, initialEpoch: 1);

        Assert.Equal(Weights(straight), Weights(resumed));
    }

    [Fact]
    public void BackupAndRestore_CrashAfterOneEpoch_ResumedRunBitIdenticalToTwoStraight()
    {
        using var dir = new TempDirectory();
        Sequential straight = Make();
        straight.Fit(s_x, s_y, epochs: 2, batchSize: 8, verbose: 0, seed: 4);

        Sequential crashed = Make();
        Assert.Throws<IOException>(() => crashed.Fit(s_x, s_y, epochs: 2, batchSize: 8, verbose: 0, seed: 4, callbacks: [new BackupAndRestore(dir.Path), new CrashAfterEpoch(0)]));
        Sequential restarted = Make();
        restarted.Fit(s_x, s_y, epochs: 2, batchSize: 8, verbose: 0, seed: 4, callbacks: [new BackupAndRestore(dir.Path)]);

        Assert.Equal(Weights(straight), Weights(restarted));
    }
}
