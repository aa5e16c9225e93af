using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Serialization;

// Issue #9's "nothing is lost" requirements on training itself: thread-safe Predict, cancellation, TerminateOnNaN.
public class TrainingSafetyTests
{
    [Fact]
    public void Predict_ManyThreadsOnLoadedModel_EachResultEqualsTheSerialOne()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(64, 8, 3, seed: 1);
        var trained = DenseModel();
        trained.Fit(x, y, epochs: 1, batchSize: 16, verbose: 0);
        trained.Save(dir.File("m.safetensors"));
        var model = Sequential.Load(dir.File("m.safetensors"));
        var inputs = Enumerable.Range(0, 16).Select(i => Tensor.RandomNormal(new TensorShape(5 + (3 * i), 8), 100 + i)).ToArray();
        var expected = inputs.Select(t => Bits(model.Predict(t, batchSize: 7))).ToArray();
        var actual = new int[inputs.Length * 8][];

        Parallel.For(0, actual.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            actual[i] = Bits(model.Predict(inputs[i % inputs.Length], batchSize: 7)));

        for (int i = 0; i < actual.Length; i++)
        {
            Assert.Equal(expected[i % inputs.Length], actual[i]);
        }
    }

    [Fact]
    public void Fit_CancelledMidEpoch_KeepsWeightsOfLastCompletedStep()
    {
        var (x, y) = Classification(60, 8, 3, seed: 2);
        using var cts = new CancellationTokenSource();
        var cancelled = DenseModel(seed: 5);
        var cancelAfterThird = new LambdaCallback(onBatchEnd: (batch, _) =>
        {
            if (batch == 2)
            {
                cts.Cancel();
            }
        });
        var reference = DenseModel(seed: 5);
        var stopAfterThird = new LambdaCallback(onBatchEnd: (batch, _) =>
        {
            if (batch == 2)
            {
                reference.StopTraining = true;
            }
        });

        Assert.Throws<OperationCanceledException>(() => cancelled.Fit(x, y, epochs: 3, batchSize: 10, callbacks: [cancelAfterThird], verbose: 0, seed: 8, cancellationToken: cts.Token));
        reference.Fit(x, y, epochs: 3, batchSize: 10, callbacks: [stopAfterThird], verbose: 0, seed: 8);

        Assert.Equal(3, cancelled.Optimizer!.Iterations);
        AssertSameWeights(reference, cancelled);
    }

    [Fact]
    public void Fit_LossBecomesInfinite_TerminateOnNaNReportsEpochAndBatch()
    {
        var (x, y) = Classification(40, 4, 2, seed: 3);
        var model = new Sequential([new InputLayer(4), new Dense(2, ActivationFunction.Softmax)], seed: 1);
        model.Compile(new Sgd(0.01f), new MeanSquaredError());
        var output = new StringWriter();
        var terminate = new TerminateOnNaN(output);
        // Poison the weights before the 3rd batch of the 2nd epoch.
        var poison = new LambdaCallback(onBatchBegin: (batch, _) =>
        {
            if (model.Optimizer!.Iterations == 4 + 2)
            {
                model.Parameters[0].Value.Fill(float.PositiveInfinity);
            }
        });

        var history = model.Fit(x, y, epochs: 3, batchSize: 10, callbacks: [poison, terminate], verbose: 0, shuffle: false);

        Assert.Equal((1, 2), (terminate.StoppedEpoch, terminate.StoppedBatch));
        Assert.True(double.IsNaN(terminate.InvalidLoss!.Value) || double.IsInfinity(terminate.InvalidLoss!.Value));
        Assert.StartsWith("Epoch 2, batch 3: invalid loss", output.ToString(), StringComparison.Ordinal);
        Assert.Equal(7, model.Optimizer!.Iterations);
        Assert.Equal(2, history.Epochs.Count);
    }
}
