using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

public class SwapEmaWeightsTests
{
    private static readonly Tensor X = Tensor.RandomNormal(new TensorShape(24, 3), 1);
    private static readonly Tensor Y = Tensor.RandomNormal(new TensorShape(24, 1), 2);
    private static readonly Tensor ValidationX = Tensor.RandomNormal(new TensorShape(8, 3), 3);
    private static readonly Tensor ValidationY = Tensor.RandomNormal(new TensorShape(8, 1), 4);

    [Fact]
    public void Validation_runs_on_the_averages_and_training_is_unchanged()
    {
        (Sequential plain, Recorder plainRecord, History plainHistory) = Train(null, epochs: 3);
        (Sequential swapped, Recorder record, History history) = Train(new SwapEmaWeights(), epochs: 3);

        // The swap back is exact: training goes on from the same weights, and Fit ends with the same averages.
        Assert.Equal(Flat(plain), Flat(swapped));
        for (int epoch = 0; epoch < 3; epoch++)
        {
            // Validation saw the averages (what the plain run's optimizer held after the epoch), and the epoch's end the
            // training weights again.
            Assert.Equal(plainRecord.AveragesAtEpochEnd[epoch], record.WeightsAtTestBegin[epoch]);
            Assert.Equal(plainRecord.WeightsAtEpochEnd[epoch], record.WeightsAtEpochEnd[epoch]);
            Assert.Equal(LossWith(plainRecord.AveragesAtEpochEnd[epoch]), history["val_loss"][epoch]);
            Assert.NotEqual(plainHistory["val_loss"][epoch], history["val_loss"][epoch]);
        }
    }

    [Fact]
    public void Swap_on_epoch_leaves_the_averages_in_the_model_between_epochs()
    {
        (Sequential plain, Recorder plainRecord, _) = Train(null, epochs: 3);
        (Sequential swapped, Recorder record, _) = Train(new SwapEmaWeights(swapOnEpoch: true), epochs: 3);

        for (int epoch = 0; epoch < 3; epoch++)
        {
            // A callback after it (a ModelCheckpoint) sees the averages at the epoch's end; the next epoch trains from the
            // training weights.
            Assert.Equal(plainRecord.AveragesAtEpochEnd[epoch], record.WeightsAtEpochEnd[epoch]);
            Assert.Equal(plainRecord.WeightsAtEpochBegin[epoch], record.WeightsAtEpochBegin[epoch]);
        }

        Assert.Equal(Flat(plain), Flat(swapped));
        Assert.Equal(plainRecord.AveragesAtEpochEnd[2], Flat(swapped));
    }

    [Fact]
    public void A_run_stopped_early_with_swap_on_epoch_ends_with_the_averages()
    {
        (Sequential plain, Recorder plainRecord, _) = Train(null, epochs: 4, stopAfter: 1);
        (Sequential swapped, _, History history) = Train(new SwapEmaWeights(swapOnEpoch: true), epochs: 4, stopAfter: 1);

        Assert.Equal(2, history.EpochCount);
        Assert.Equal(Flat(plain), Flat(swapped));
        Assert.Equal(plainRecord.AveragesAtEpochEnd[1], Flat(swapped));
    }

    [Fact]
    public void A_cancellation_during_validation_puts_the_training_weights_back()
    {
        (_, Recorder plainRecord, _) = Train(null, epochs: 1);
        Sequential model = Make();
        model.Compile(new Sgd(0.2f) { UseEma = true, EmaMomentum = 0.5f }, new MeanSquaredError());
        using var cancel = new CancellationTokenSource();
        Callback[] callbacks = [new SwapEmaWeights(swapOnEpoch: true), new CancelAtTestBegin(cancel)];

        Assert.ThrowsAny<OperationCanceledException>(() => model.Fit(X, Y, epochs: 3, batchSize: 8, validationData: (ValidationX, ValidationY), shuffle: false,
            callbacks: callbacks, verbose: 0, cancellationToken: cancel.Token));

        // Cancelled while the averages were in the model: the training weights of the first epoch are back.
        Assert.Equal(plainRecord.WeightsAtEpochEnd[0], Flat(model));
    }

    [Fact]
    public void Parameters_frozen_between_the_swaps_are_swapped_back()
    {
        (Sequential plain, _, _) = Train(null, epochs: 2, freezeFirstLayerAfter: 0);
        (Sequential swapped, _, _) = Train(new SwapEmaWeights(swapOnEpoch: true), epochs: 2, freezeFirstLayerAfter: 0);

        // The first layer is frozen at the end of epoch 0, after the averages went in: they come back out all the same.
        Assert.Equal(Flat(plain), Flat(swapped));
    }

    [Fact]
    public void An_optimizer_without_averages_is_refused_earliertraining()
    {
        var model = Make();
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        float[] before = Flat(model);

        var earlier = new EventLog();
        var error = Assert.Throws<InvalidOperationException>(() => model.Fit(X, Y, epochs: 1, batchSize: 8, callbacks: [earlier, new SwapEmaWeights()], verbose: 0));

        // Refused before any callback began (a BackupAndRestore placed first would otherwise restore its backup first).
        Assert.Empty(earlier.Names);

        Assert.Contains("SwapEmaWeights must be used with an optimizer that sets UseEma = true", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sgd", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Flat(model));
    }

    [Fact]
    public void Test_events_bracket_each_validation_with_its_unprefixed_logs()
    {
        var model = Make();
        model.Compile(new Sgd(0.1f), new MeanSquaredError(), new MeanAbsoluteErrorMetric());
        var events = new EventLog();

        History history = model.Fit(X, Y, epochs: 4, batchSize: 8, validationData: (ValidationX, ValidationY), validationFreq: 2, shuffle: false, callbacks: [events], verbose: 0);

        Assert.Equal(["train_begin", "epoch_end 0", "test_begin", "test_end", "epoch_end 1", "epoch_end 2", "test_begin", "test_end", "epoch_end 3"], events.Names);
        Assert.Equal(["loss", "mean_absolute_error"], events.TestLogs[0].Keys.Order(StringComparer.Ordinal));
        Assert.Equal(history["val_loss"][0], events.TestLogs[0]["loss"]);
        Assert.Equal(history["val_mean_absolute_error"][1], events.TestLogs[1]["mean_absolute_error"]);
    }

    private static Sequential Make() => new([new InputLayer(3), new Dense(4, ActivationFunction.Tanh), new Dense(1)], seed: 7);

    private static (Sequential Model, Recorder Record, History History) Train(SwapEmaWeights? swap, int epochs, int? stopAfter = null, int? freezeFirstLayerAfter = null)
    {
        Sequential model = Make();
        model.Compile(new Sgd(0.2f) { UseEma = true, EmaMomentum = 0.5f }, new MeanSquaredError());
        var record = new Recorder(stopAfter, freezeFirstLayerAfter);
        List<Callback> callbacks = swap is null ? [record] : [swap, record];
        History history = model.Fit(X, Y, epochs: epochs, batchSize: 8, validationData: (ValidationX, ValidationY), shuffle: false, callbacks: callbacks, verbose: 0);
        return (model, record, history);
    }

    // The validation loss of the model with the given weights.
    private static double LossWith(float[] weights)
    {
        Sequential model = Make();
        model.Compile(new Sgd(0.2f), new MeanSquaredError());
        int at = 0;
        foreach (Parameter parameter in model.Parameters)
        {
            weights.AsSpan(at, parameter.Value.Length).CopyTo(parameter.Value.AsSpan());
            at += parameter.Value.Length;
        }

        return model.Evaluate(ValidationX, ValidationY, verbose: 0)["loss"];
    }

    private static float[] Flat(Model model) => [.. model.Parameters.SelectMany(p => p.Value.ToArray())];

    // Records the weights a callback after SwapEmaWeights sees, and the optimizer's averages at each epoch's end.
    private sealed class Recorder(int? stopAfter, int? freezeFirstLayerAfter = null) : Callback
    {
        public List<float[]> WeightsAtEpochBegin { get; } = [];

        public List<float[]> WeightsAtTestBegin { get; } = [];

        public List<float[]> WeightsAtEpochEnd { get; } = [];

        public List<float[]> AveragesAtEpochEnd { get; } = [];

        public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => WeightsAtEpochBegin.Add(Flat(Model!));

        public override void OnTestBegin(IReadOnlyDictionary<string, double> logs) => WeightsAtTestBegin.Add(Flat(Model!));

        public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
        {
            WeightsAtEpochEnd.Add(Flat(Model!));
            int average = Model!.Optimizer!.StateSlotNames.ToList().IndexOf("average");
            AveragesAtEpochEnd.Add([.. Model.Parameters.SelectMany(p => Model.Optimizer.GetState(p)[average].ToArray())]);
            if (epoch == stopAfter)
            {
                Model.StopTraining = true;
            }

            if (epoch == freezeFirstLayerAfter)
            {
                Model.Layers.First(layer => layer.Parameters.Count > 0).Trainable = false;
            }
        }
    }

    private sealed class CancelAtTestBegin(CancellationTokenSource cancel) : Callback
    {
        public override void OnTestBegin(IReadOnlyDictionary<string, double> logs) => cancel.Cancel();
    }

    private sealed class EventLog : Callback
    {
        public List<string> Names { get; } = [];

        public List<Dictionary<string, double>> TestLogs { get; } = [];

        public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => Names.Add("train_begin");

        public override void OnTestBegin(IReadOnlyDictionary<string, double> logs) => Names.Add("test_begin");

        public override void OnTestEnd(IReadOnlyDictionary<string, double> logs)
        {
            Names.Add("test_end");
            TestLogs.Add(new Dictionary<string, double>(logs));
        }

        public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => Names.Add($"epoch_end {epoch}");
    }
}
