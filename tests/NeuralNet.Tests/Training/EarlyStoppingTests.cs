using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.Models;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

public class EarlyStoppingTests
{
    private static Sequential Model()
    {
        var model = new Sequential([new InputLayer(2), new Dense(2)]);
        model.Compile(new Sgd(), new MeanSquaredError());
        return model;
    }

    /// <summary>Feeds monitored values epoch by epoch, marking the weights with the epoch number; returns the stop epoch.</summary>
    private static int Drive(EarlyStopping callback, Sequential model, double[] values, string key = "val_loss")
    {
        callback.Model = model;
        model.StopTraining = false;
        callback.OnTrainBegin(new Dictionary<string, double>());
        int epoch = 0;
        for (; epoch < values.Length; epoch++)
        {
            foreach (Parameter p in model.Parameters)
            {
                p.Value.Fill(epoch);
            }

            callback.OnEpochEnd(epoch, new Dictionary<string, double> { [key] = values[epoch] });
            if (model.StopTraining)
            {
                break;
            }
        }

        callback.OnTrainEnd(new Dictionary<string, double>());
        return epoch;
    }

    [Fact]
    public void OnEpochEnd_PatienceTwo_StopsAfterTwoEpochsWithoutImprovement()
    {
        // Keras: epochs 2 and 3 do not improve on 0.8, so training stops at the end of epoch 3.
        var es = new EarlyStopping(patience: 2);
        Assert.Equal(3, Drive(es, Model(), [1.0, 0.8, 0.9, 0.85, 0.7, 0.6]));
        Assert.Equal(3, es.StoppedEpoch);
        Assert.Equal(0.8, es.Best);
        Assert.Equal(1, es.BestEpoch);
    }

    [Fact]
    public void OnEpochEnd_NaNFirstEpoch_NeverBecomesBest()
    {
        // Keras compares NaN with its best (inf) as false: the later finite values improve, so training runs on, and the
        // weights restored are those of the best finite epoch.
        var es = new EarlyStopping(patience: 2, restoreBestWeights: true);
        Sequential model = Model();
        Assert.Equal(4, Drive(es, model, [double.NaN, 0.9, 0.8, 0.85]));
        Assert.Equal(-1, es.StoppedEpoch);
        Assert.Equal(0.8, es.Best);
        Assert.Equal(2, es.BestEpoch);
        Assert.All(model.Parameters, p => Assert.All(p.Value.ToArray(), v => Assert.Equal(2f, v)));
    }

    [Fact]
    public void OnTrainEnd_RestoreBestWeightsThroughASpectralNormalization_EachParameterGetsItsOwnValues()
    {
        // Model.SetWeights takes Keras' order ([kernel, vector_u, bias] inside the wrapper), the best weights were copied
        // in Parameters order ([kernel, bias, vector_u]): they must go back where they came from.
        var model = new Sequential([new InputLayer(2), new SpectralNormalization(new Dense(2)), new Dense(1)]);
        model.Compile(new Sgd(), new MeanSquaredError());
        var es = new EarlyStopping(patience: 1, restoreBestWeights: true) { Model = model };
        es.OnTrainBegin(new Dictionary<string, double>());
        double[] losses = [1.0, 0.5, 0.7, 0.9];
        for (int epoch = 0; epoch < losses.Length && !model.StopTraining; epoch++)
        {
            for (int i = 0; i < model.Parameters.Count; i++)
            {
                model.Parameters[i].Value.Fill((10 * epoch) + i);
            }

            es.OnEpochEnd(epoch, new Dictionary<string, double> { ["val_loss"] = losses[epoch] });
        }

        es.OnTrainEnd(new Dictionary<string, double>());

        for (int i = 0; i < model.Parameters.Count; i++)
        {
            Assert.All(model.Parameters[i].Value.ToArray(), v => Assert.Equal(10f + i, v));
        }
    }

    [Fact]
    public void OnEpochEnd_PatienceZero_StopsAtFirstNonImprovement()
    {
        var es = new EarlyStopping(patience: 0);
        Assert.Equal(2, Drive(es, Model(), [1.0, 0.9, 0.95, 0.5]));
    }

    [Fact]
    public void OnEpochEnd_MinDelta_SmallImprovementsDoNotCount()
    {
        var es = new EarlyStopping(minDelta: 0.1, patience: 1);
        Assert.Equal(1, Drive(es, Model(), [1.0, 0.95, 0.92, 0.5]));
    }

    [Fact]
    public void OnEpochEnd_AccuracyAutoMode_Maximizes()
    {
        var es = new EarlyStopping(monitor: "val_accuracy", patience: 1);
        Sequential model = Model();
        model.Compile(new Sgd(), new MeanSquaredError(), new Accuracy());
        Assert.Equal(2, Drive(es, model, [0.5, 0.6, 0.55, 0.58, 0.9], "val_accuracy"));
        Assert.Equal(0.6, es.Best);
    }

    [Fact]
    public void OnEpochEnd_Baseline_PatienceKeepsCountingUntilBaselineIsBeaten()
    {
        // 0.9 and 0.8 improve but do not beat the baseline 0.5, so the wait is not reset; the first epoch without
        // improvement (0.85) then already exceeds the patience. Without the baseline training would go on.
        var es = new EarlyStopping(patience: 2, baseline: 0.5);
        Assert.Equal(2, Drive(es, Model(), [0.9, 0.8, 0.85, 0.4]));
        Assert.Equal(4, Drive(new EarlyStopping(patience: 2), Model(), [0.9, 0.8, 0.85, 0.4]));
    }

    [Fact]
    public void OnTrainEnd_RestoreBestWeights_PutsBackTheBestEpochWeights()
    {
        Sequential model = Model();
        var es = new EarlyStopping(patience: 2, restoreBestWeights: true);
        Drive(es, model, [1.0, 0.5, 0.7, 0.9, 0.2]);
        Assert.All(model.Parameters, p => Assert.All(p.Value.ToArray(), v => Assert.Equal(1f, v)));
    }

    [Fact]
    public void OnTrainEnd_NoRestore_KeepsLastWeights()
    {
        Sequential model = Model();
        Drive(new EarlyStopping(patience: 2), model, [1.0, 0.5, 0.7, 0.9, 0.2]);
        Assert.All(model.Parameters, p => Assert.All(p.Value.ToArray(), v => Assert.Equal(3f, v)));
    }

    [Fact]
    public void OnTrainEnd_Verbose_WritesKerasMessages()
    {
        using var output = new StringWriter();
        Drive(new EarlyStopping(patience: 1, restoreBestWeights: true, verbose: 1, output: output), Model(), [1.0, 0.5, 0.7, 0.9]);
        Assert.Equal("Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 2.\n", output.ToString().Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Fit_EarlyStoppingOnTrainingLoss_StopsAndRestoresBestWeights()
    {
        // SGD with a huge learning rate makes the loss grow; EarlyStopping must stop and bring back epoch 0's weights.
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(32, 3, 2, seed: 4);
        var model = new Sequential([new InputLayer(3), new Dense(2)], seed: 1);
        model.Compile(new Sgd(3f), new MeanSquaredError());
        IReadOnlyList<Tensor>? afterFirstEpoch = null;
        var capture = new LambdaCallback(onEpochEnd: (e, _) =>
        {
            if (e == 0)
            {
                afterFirstEpoch = model.GetWeights();
            }
        });
        var es = new EarlyStopping(monitor: "loss", patience: 1, restoreBestWeights: true);
        History history = model.Fit(x, y, epochs: 20, batchSize: 32, callbacks: [capture, es], verbose: 0);
        Assert.True(history.EpochCount < 20);
        Assert.Equal(0, es.BestEpoch);
        Assert.True(ModelTestData.BitIdentical(afterFirstEpoch!, model.GetWeights()));
    }

    [Fact]
    public void OnTrainEnd_ReusedForAnotherModel_RestoresThatModelsBestWeights()
    {
        // Keras clears best_weights on train begin. The second model has as many weight tensors as the first but other
        // shapes, so the first run's buffers cannot hold its weights.
        var es = new EarlyStopping(patience: 1, restoreBestWeights: true);
        Drive(es, Model(), [1.0, 0.5, 0.7, 0.9]);
        var wider = new Sequential([new InputLayer(3), new Dense(5)]);
        wider.Compile(new Sgd(), new MeanSquaredError());

        Drive(es, wider, [1.0, 0.4, 0.6, 0.8]);

        Assert.Equal(1, es.BestEpoch);
        Assert.All(wider.Parameters, p => Assert.All(p.Value.ToArray(), v => Assert.Equal(1f, v)));

        // Back on the first model: its best weights, not the wider model's.
        Sequential first = Model();
        Drive(es, first, [0.3, 0.2, 0.9, 0.9]);
        Assert.All(first.Parameters, p => Assert.All(p.Value.ToArray(), v => Assert.Equal(1f, v)));
    }

    [Fact]
    public void OnEpochEnd_NoImprovementAfterStartFromEpoch_BestEpochIsWhereTheWeightsWereTaken()
    {
        // Keras sets best_epoch where it first takes the weights (here epoch 2, whose NaN never improves), so the message
        // and BestEpoch name the epoch whose weights are restored.
        using var output = new StringWriter();
        var es = new EarlyStopping(patience: 5, restoreBestWeights: true, startFromEpoch: 2, verbose: 1, output: output);
        Sequential model = Model();

        Drive(es, model, [0.5, 0.4, double.NaN, double.NaN]);

        Assert.Null(es.Best);
        Assert.Equal(2, es.BestEpoch);
        Assert.All(model.Parameters, p => Assert.All(p.Value.ToArray(), v => Assert.Equal(2f, v)));
        Assert.Equal("Restoring model weights from the end of the best epoch: 3.\n", output.ToString().Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_NegativePatience_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new EarlyStopping(patience: -1));
}
