using System.Globalization;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.Models;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

public class CallbackTests
{
    private sealed class Recorder : Callback
    {
        public List<string> Events { get; } = [];

        public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => Events.Add("train_begin");

        public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs) => Events.Add($"train_end {logs.Count}");

        public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => Events.Add($"epoch_begin {epoch}");

        public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) =>
            Events.Add($"epoch_end {epoch} {string.Join(",", logs.Keys)}");

        public override void OnBatchBegin(int batch, IReadOnlyDictionary<string, double> logs) => Events.Add($"batch_begin {batch}");

        public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => Events.Add($"batch_end {batch}");
    }

    private static Sequential Model() => ModelTestData.SmallClassifier(4, 2, seed: 1);

    private static (Tensor X, Tensor Y) Data(int samples = 20) => ModelTestData.RandomClassification(samples, 4, 2, seed: 2);

    [Fact]
    public void Fit_Callbacks_FireInKerasOrderWithModelSet()
    {
        Sequential model = Model();
        (Tensor x, Tensor y) = Data(20);
        var first = new Recorder();
        var second = new Recorder();
        var log = new List<string>();
        var order = new LambdaCallback(onEpochEnd: (e, _) => log.Add($"lambda {e}"));
        model.Fit(x, y, epochs: 2, batchSize: 10, validationSplit: 0.5, callbacks: [first, order, second], verbose: 0);
        Assert.Same(model, first.Model);
        Assert.Equal(
            [
                "train_begin",
                "epoch_begin 0", "batch_begin 0", "batch_end 0", "epoch_end 0 accuracy,loss,val_accuracy,val_loss",
                "epoch_begin 1", "batch_begin 0", "batch_end 0", "epoch_end 1 accuracy,loss,val_accuracy,val_loss",
                "train_end 4",
            ],
            first.Events);
        Assert.Equal(first.Events, second.Events);
        Assert.Equal(["lambda 0", "lambda 1"], log);
    }

    [Fact]
    public void Fit_BatchLogs_HoldRunningEpochMeans()
    {
        Sequential model = Model();
        (Tensor x, Tensor y) = Data(30);
        var seen = new List<double>();
        var cb = new LambdaCallback(onBatchEnd: (_, logs) => seen.Add(logs["loss"]));
        History history = model.Fit(x, y, epochs: 1, batchSize: 10, callbacks: [cb], verbose: 0);
        Assert.Equal(3, seen.Count);
        Assert.Equal(history["loss"][0], seen[^1]);
    }

    [Fact]
    public void LambdaCallback_E35StopWhenLossBelowThreshold_StopsTraining()
    {
        (Tensor x, Tensor y) = ModelTestData.Xor();
        var model = new Sequential([new InputLayer(2), new Dense(16, ActivationFunction.Tanh), new Dense(2, ActivationFunction.Softmax)], seed: 3);
        model.Compile(new Adam(0.05f), new CategoricalCrossEntropy(), new Accuracy());
        var stop = new LambdaCallback(onEpochEnd: (_, logs) =>
        {
            if (logs["loss"] < 0.20)
            {
                model.StopTraining = true;
            }
        });
        History history = model.Fit(x, y, epochs: 500, batchSize: 4, callbacks: [stop], verbose: 0);
        Assert.InRange(history.EpochCount, 2, 499);
        Assert.True(history["loss"][^1] < 0.20);
        Assert.True(history["loss"][^2] >= 0.20);
    }

    [Fact]
    public void LambdaCallback_ThresholdNeverReached_RunsAllEpochs()
    {
        Sequential model = Model();
        (Tensor x, Tensor y) = Data();
        var stop = new LambdaCallback(onEpochEnd: (_, logs) =>
        {
            if (logs["loss"] < 1e-9)
            {
                model.StopTraining = true;
            }
        });
        Assert.Equal(4, model.Fit(x, y, epochs: 4, callbacks: [stop], verbose: 0).EpochCount);
    }

    [Fact]
    public void StopTraining_SetInBatchEnd_StopsAfterThatBatchAndStillEndsTheEpoch()
    {
        Sequential model = Model();
        (Tensor x, Tensor y) = Data(50);
        int batches = 0;
        var stop = new LambdaCallback(onBatchEnd: (b, _) =>
        {
            batches++;
            if (b == 1)
            {
                model.StopTraining = true;
            }
        });
        History history = model.Fit(x, y, epochs: 3, batchSize: 10, callbacks: [stop], verbose: 0);
        Assert.Equal(2, batches);
        Assert.Equal(1, history.EpochCount);
        Assert.Equal(2, model.Optimizer!.Iterations);
    }

    [Fact]
    public void TerminateOnNaN_DivergingLoss_StopsAndReportsEpochAndBatch()
    {
        var x = Tensor.Filled(100f, 16, 1);
        var y = Tensor.Filled(1e30f, 16, 1);
        var model = new Sequential([new InputLayer(1), new Dense(1)]);
        model.Compile(new Sgd(10f), new MeanSquaredError());
        using var output = new StringWriter();
        var nan = new TerminateOnNaN(output);
        History history = model.Fit(x, y, epochs: 5, batchSize: 4, shuffle: false, callbacks: [nan], verbose: 0);
        Assert.Equal(0, nan.StoppedEpoch);
        Assert.InRange(nan.StoppedBatch, 0, 3);
        Assert.False(double.IsFinite(nan.InvalidLoss!.Value));
        Assert.Equal(1, history.EpochCount);
        Assert.Matches(@"^Epoch 1, batch \d: invalid loss (NaN|inf), terminating training\n$", output.ToString().Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public void CsvLogger_TwoEpochs_WritesHeaderAndRows()
    {
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-csv-{Guid.NewGuid():N}.csv");
        try
        {
            Sequential model = Model();
            (Tensor x, Tensor y) = Data();
            History history = model.Fit(x, y, epochs: 2, batchSize: 5, validationSplit: 0.25, callbacks: [new CsvLogger(path)], verbose: 0);
            string[] lines = File.ReadAllLines(path);
            Assert.Equal(3, lines.Length);
            Assert.Equal("epoch,accuracy,loss,val_accuracy,val_loss", lines[0]);
            string[] row = lines[2].Split(',');
            Assert.Equal("1", row[0]);
            Assert.Equal(history["val_loss"][1], double.Parse(row[4], CultureInfo.InvariantCulture));

            // A second run overwrites; with append it adds rows without a second header.
            model.Fit(x, y, epochs: 1, batchSize: 5, callbacks: [new CsvLogger(path)], verbose: 0);
            Assert.Equal(2, File.ReadAllLines(path).Length);
            model.Fit(x, y, epochs: 1, batchSize: 5, callbacks: [new CsvLogger(path, append: true)], verbose: 0);
            Assert.Equal(3, File.ReadAllLines(path).Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ReduceLROnPlateau_NoImprovementForPatience_MultipliesLearningRate()
    {
        var model = new Sequential([new InputLayer(1), new Dense(1)]);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        var callback = new ReduceLROnPlateau(monitor: "loss", factor: 0.5, patience: 2, cooldown: 1, minLearningRate: 0.02) { Model = model };
        callback.OnTrainBegin(new Dictionary<string, double>());
        double[] losses = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        var rates = new List<float>();
        for (int epoch = 0; epoch < losses.Length; epoch++)
        {
            callback.OnEpochEnd(epoch, new Dictionary<string, double> { ["loss"] = losses[epoch] });
            rates.Add((float)model.Optimizer!.LearningRate);
        }

        // Keras: epoch 0 sets the best; epochs 1-2 wait -> halve at 2; epoch 3 ends the cooldown and waits; epoch 4
        // halves again; epoch 5 ends the cooldown; epoch 6 reaches the floor 0.02, after which nothing changes.
        Assert.Equal([0.1f, 0.1f, 0.05f, 0.05f, 0.025f, 0.025f, 0.02f, 0.02f], rates);
        callback.OnEpochEnd(8, new Dictionary<string, double> { ["loss"] = 1.0 });
        callback.OnEpochEnd(9, new Dictionary<string, double> { ["loss"] = 1.0 });
        Assert.Equal(0.02f, model.Optimizer!.LearningRate, 1e-7f);
    }

    [Fact]
    public void ReduceLROnPlateau_OptimizerWithASchedule_IsRefusedBeforeTheFirstStep()
    {
        // Keras refuses to set a scheduled rate too, but only when the first reduction is due; here Fit refuses at once.
        var model = new Sequential([new InputLayer(1), new Dense(1)]);
        model.Compile(new Adam { Schedule = new NeuralNet.Optimizers.Schedules.ExponentialDecay(0.01, 10, 0.9) }, new MeanSquaredError());
        var x = Tensor.FromArray([1f, 2f, 3f, 4f], 4, 1);
        var steps = new List<int>();
        var recorder = new LambdaCallback(onBatchBegin: (batch, _) => steps.Add(batch));

        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(x, x, epochs: 3, batchSize: 2, verbose: 0, callbacks: [recorder, new ReduceLROnPlateau(monitor: "loss", patience: 1)]));

        Assert.Contains("ReduceLROnPlateau", ex.Message, StringComparison.Ordinal);
        Assert.Contains("adam follows its schedule (ExponentialDecay) and cannot be set", ex.Message, StringComparison.Ordinal);
        Assert.Empty(steps);
        Assert.Equal(0L, model.Optimizer!.StepCount);
    }

    [Fact]
    public void LearningRateScheduler_OptimizerWithASchedule_IsRefusedBeforeAnyCallbackBegins()
    {
        // Keras refuses in the first epoch's on_epoch_begin, after the callbacks' on_train_begin; here Fit refuses first.
        var model = new Sequential([new InputLayer(1), new Dense(1)]);
        model.Compile(new Sgd { Schedule = new NeuralNet.Optimizers.Schedules.ExponentialDecay(0.01, 10, 0.9) }, new MeanSquaredError());
        var x = Tensor.FromArray([1f, 2f, 3f, 4f], 4, 1);
        var events = new List<string>();
        var recorder = new LambdaCallback(onTrainBegin: _ => events.Add("train"), onEpochBegin: (epoch, _) => events.Add($"epoch {epoch}"));

        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(x, x, epochs: 2, batchSize: 2, verbose: 0,
            callbacks: [recorder, new LearningRateScheduler((epoch, rate) => rate / 2)]));

        Assert.Contains("LearningRateScheduler cannot set the learning rate", ex.Message, StringComparison.Ordinal);
        Assert.Contains("follows its schedule (ExponentialDecay)", ex.Message, StringComparison.Ordinal);
        Assert.Empty(events);
        Assert.Equal(0L, model.Optimizer!.StepCount);
    }

    [Fact]
    public void ReduceLROnPlateau_BadFactor_Throws()
    {
        Assert.Equal("factor", Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: 1.0)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: -0.1));
    }

    [Fact]
    public void Monitor_MissingKey_ThrowsListingAvailableKeys()
    {
        Sequential model = Model();
        (Tensor x, Tensor y) = Data();
        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 1, callbacks: [new EarlyStopping()], verbose: 0));
        Assert.Contains("'val_loss'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("accuracy, loss", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_BatchBeginLogs_AreEmptyAsInKeras()
    {
        Sequential model = Model();
        (Tensor x, Tensor y) = Data(30);
        var counts = new List<int>();
        var cb = new LambdaCallback(onBatchBegin: (_, logs) => counts.Add(logs.Count));

        model.Fit(x, y, epochs: 2, batchSize: 10, callbacks: [cb], verbose: 0);

        Assert.Equal([0, 0, 0, 0, 0, 0], counts);
    }

    [Fact]
    public void Fit_NullCallback_ThrowsNamingItsIndexBeforeAnyCallbackRuns()
    {
        Sequential model = Model();
        (Tensor x, Tensor y) = Data();
        var recorder = new Recorder();

        var ex = Assert.Throws<ArgumentException>(() => model.Fit(x, y, epochs: 1, callbacks: [recorder, null!], verbose: 0));

        Assert.Equal("callbacks", ex.ParamName);
        Assert.Contains("callbacks[1] is null", ex.Message, StringComparison.Ordinal);
        Assert.Empty(recorder.Events);
    }

    [Fact]
    public void LearningRateScheduler_BadRate_NamesTheScheduleItsValueAndTheEpoch()
    {
        Sequential model = Model();
        (Tensor x, Tensor y) = Data();
        var scheduler = new LearningRateScheduler((epoch, rate) => epoch == 1 ? -0.5 : rate);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(x, y, epochs: 3, callbacks: [scheduler], verbose: 0));

        Assert.Equal("schedule", ex.ParamName);
        Assert.Equal(-0.5, ex.ActualValue);
        Assert.Contains("returned -0.5 for epoch 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_FailingItsChecks_LeavesTheNextFitsShufflesUnchanged()
    {
        // Without a seed, each Fit shuffles with the next stream of the model's seed; a Fit refused before training must
        // not take one, or the model's next Fit would differ from the same Fit on a fresh model.
        (Tensor x, Tensor y) = Data(40);
        Sequential clean = Model();
        clean.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);

        Sequential refused = Model();
        using var dir = new Serialization.TempDirectory();
        Serialization.ModelTestData.DenseModel().Save(dir.File("latest.safetensors"));
        Assert.Throws<InvalidOperationException>(() => refused.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, callbacks: [new EarlyStopping("val_los")]));
        Assert.Throws<ArgumentException>(() => refused.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, callbacks: [null!]));
        Assert.Throws<InvalidDataException>(() => refused.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, callbacks: [new BackupAndRestore(dir.Path)]));
        refused.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);

        Assert.True(ModelTestData.BitIdentical(clean.GetWeights(), refused.GetWeights()));
    }

    [Fact]
    public void Fit_ThatThrows_LeavesTheCompletedEpochsInModelHistory()
    {
        Sequential model = Model();
        (Tensor x, Tensor y) = Data();
        Assert.Null(model.History);
        History first = model.Fit(x, y, epochs: 1, verbose: 0);
        Assert.Same(first, model.History);

        var crash = new LambdaCallback(onEpochEnd: (epoch, _) =>
        {
            Assert.Equal(epoch, model.History!.EpochCount);
            if (epoch == 2)
            {
                throw new IOException("disk full");
            }
        });
        Assert.Throws<IOException>(() => model.Fit(x, y, epochs: 5, callbacks: [crash], verbose: 0));

        Assert.NotSame(first, model.History);
        Assert.Equal([0, 1], model.History!.Epochs);
        Assert.Equal(2, model.History["loss"].Count);

        // A Fit refused by its checks does not replace it.
        History crashed = model.History;
        Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 1, callbacks: [new EarlyStopping("val_los")], verbose: 0));
        Assert.Same(crashed, model.History);
    }
}
