using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Training;
using NeuralNet.Training.EventFiles.Protobuf;
using NeuralNet.Training.EventFiles;
using NeuralNet.Tests.Serialization;
using Xunit;

namespace NeuralNet.TensorBoardTests;

/// <summary>What the callback writes during Fit and Evaluate, read back through the record framing, against Keras 3's tags and steps.</summary>
public class TensorBoardCallbackTests
{
    private static (Sequential Model, Tensor X, Tensor Y) Regression()
    {
        var model = new Sequential(seed: 4);
        model.Add(new InputLayer(3));
        model.Add(new Dense(4, name: "hidden"));
        model.Add(new Dense(1, name: "out"));
        model.Compile("sgd", "mse", "mae");
        Tensor x = Tensor.RandomNormal(new TensorShape(40, 3), 1);
        Tensor y = Tensor.RandomNormal(new TensorShape(40, 1), 2);
        return (model, x, y);
    }

    // (tag, step, value) of every scalar in a file, in order.
    private static List<(string Tag, long Step, float Value)> Scalars(string path) =>
        [.. RecordFile.ReadAll(path).Select(Event.Parser.ParseFrom).Where(e => e.Summary is not null)
            .SelectMany(e => e.Summary.Value.Where(v => v.HasSimpleValue).Select(v => (v.Tag, e.Step, v.SimpleValue)))];

    [Fact]
    public void Fit_WritesKerasEpochTagsToTrainAndValidation_AndEvaluationVsIterations()
    {
        using var dir = new TempDirectory();
        (Sequential model, Tensor x, Tensor y) = Regression();
        var board = new TensorBoard(dir.Path);
        History history = model.Fit(x, y, epochs: 3, batchSize: 8, validationSplit: 0.25, callbacks: [board], verbose: 0);

        Assert.Equal(Path.Combine(dir.Path, "train"), Path.GetDirectoryName(board.TrainFile));
        Assert.Equal(Path.Combine(dir.Path, "validation"), Path.GetDirectoryName(board.ValidationFile));
        List<(string Tag, long Step, float Value)> train = Scalars(board.TrainFile!);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            Assert.Equal((float)history["loss"][epoch], train.Single(s => s.Tag == "epoch_loss" && s.Step == epoch).Value);
            Assert.Equal((float)history["mae"][epoch], train.Single(s => s.Tag == "epoch_mae" && s.Step == epoch).Value);
            Assert.Equal(0.01f, train.Single(s => s.Tag == "epoch_learning_rate" && s.Step == epoch).Value);
        }

        Assert.DoesNotContain(train, s => s.Tag.StartsWith("epoch_val_", StringComparison.Ordinal) || s.Tag.StartsWith("batch_", StringComparison.Ordinal));

        // 30 training samples in batches of 8: 4 steps per epoch.
        List<(string Tag, long Step, float Value)> validation = Scalars(board.ValidationFile!);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            Assert.Equal((float)history["val_loss"][epoch], validation.Single(s => s.Tag == "epoch_loss" && s.Step == epoch).Value);
            Assert.Equal((float)history["val_loss"][epoch], validation.Single(s => s.Tag == "evaluation_loss_vs_iterations" && s.Step == 4 * (epoch + 1)).Value);
            Assert.Equal((float)history["val_mae"][epoch], validation.Single(s => s.Tag == "evaluation_mae_vs_iterations" && s.Step == 4 * (epoch + 1)).Value);
        }
    }

    [Fact]
    public void UpdateFreq_WritesTheRunningBatchLogsEveryNBatches_CountedAcrossEpochs()
    {
        using var dir = new TempDirectory();
        (Sequential model, Tensor x, Tensor y) = Regression();
        var batches = new List<double>();
        var board = new TensorBoard(dir.Path, updateFreq: 3);
        var recorder = new LambdaCallback(onBatchEnd: (_, logs) => batches.Add(logs["loss"]));
        model.Fit(x, y, epochs: 2, batchSize: 8, callbacks: [board, recorder], verbose: 0);

        // 40 samples in batches of 8: 5 steps per epoch, 10 in all; written after steps 3, 6 and 9.
        List<(string Tag, long Step, float Value)> loss = [.. Scalars(board.TrainFile!).Where(s => s.Tag == "batch_loss")];
        Assert.Equal([3L, 6, 9], loss.Select(s => s.Step));
        Assert.Equal([(float)batches[2], (float)batches[5], (float)batches[8]], loss.Select(s => s.Value));
        Assert.Null(board.ValidationFile);
    }

    [Fact]
    public void HistogramFreq_WritesEveryParameter_AtThoseEpochs()
    {
        using var dir = new TempDirectory();
        (Sequential model, Tensor x, Tensor y) = Regression();
        var board = new TensorBoard(dir.Path, histogramFreq: 2);
        model.Fit(x, y, epochs: 3, batchSize: 8, callbacks: [board], verbose: 0);

        List<(string Tag, long Step, HistogramProto Histogram)> histograms = [.. RecordFile.ReadAll(board.TrainFile!).Select(Event.Parser.ParseFrom)
            .Where(e => e.Summary is not null)
            .SelectMany(e => e.Summary.Value.Where(v => v.Histo is not null).Select(v => (v.Tag, e.Step, v.Histo)))];
        Assert.Equal(["hidden/kernel/histogram", "hidden/bias/histogram", "out/kernel/histogram", "out/bias/histogram"], histograms.Where(h => h.Step == 0).Select(h => h.Tag));
        Assert.Equal([0L, 2], histograms.Select(h => h.Step).Distinct());

        // The last histogram of the kernel describes the weights after the last epoch it was written at (epoch 2, the end).
        HistogramProto kernel = histograms.Single(h => h.Tag == "hidden/kernel/histogram" && h.Step == 2).Histogram;
        float[] weights = model.Layers.Single(l => l.Name == "hidden").Parameters[0].Value.ToArray();
        Assert.Equal(weights.Length, kernel.Num);
        Assert.Equal(weights.Min(), kernel.Min, 6);
        Assert.Equal(weights.Max(), kernel.Max, 6);
        Assert.Equal(weights.Sum(w => (double)w), kernel.Sum, 5);
    }

    [Fact]
    public void Evaluate_Alone_WritesEvaluationVsIterations_AndClosesItsFile()
    {
        using var dir = new TempDirectory();
        (Sequential model, Tensor x, Tensor y) = Regression();
        model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        var board = new TensorBoard(dir.Path);
        IReadOnlyDictionary<string, double> logs = model.Evaluate(x, y, verbose: 0, callbacks: [board]);

        List<(string Tag, long Step, float Value)> written = Scalars(board.ValidationFile!);
        Assert.Equal([("evaluation_loss_vs_iterations", 5L, (float)logs["loss"]), ("evaluation_mae_vs_iterations", 5L, (float)logs["mae"])], written.OrderBy(s => s.Tag, StringComparer.Ordinal));

        // Closed: nothing holds the file, and the next Evaluate starts a new one.
        string first = board.ValidationFile!;
        AssertClosed(first);
        model.Evaluate(x, y, verbose: 0, callbacks: [board]);
        Assert.NotEqual(first, board.ValidationFile);
    }

    // .NET takes a shared lock for a file opened with FileShare.Read (the writer's), so FileShare.None fails while it is open.
    private static void AssertClosed(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
    }

    [Fact]
    public void Files_AreOpenDuringTheRun_AndClosedWhenAnExceptionOrACancellationEndsIt()
    {
        using var dir = new TempDirectory();
        (Sequential model, Tensor x, Tensor y) = Regression();
        var board = new TensorBoard(dir.Path);
        bool heldOpen = false;
        var failing = new LambdaCallback(onEpochEnd: (epoch, _) =>
        {
            heldOpen = Assert.Throws<IOException>(() => AssertClosed(board.TrainFile!)) is not null;
            if (epoch == 1)
            {
                throw new InvalidOperationException("stop");
            }
        });
        Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 3, batchSize: 8, validationSplit: 0.25, callbacks: [board, failing], verbose: 0));
        Assert.True(heldOpen);
        AssertClosed(board.TrainFile!);
        AssertClosed(board.ValidationFile!);
        Assert.Equal([0L, 1], Scalars(board.TrainFile!).Where(s => s.Tag == "epoch_loss").Select(s => s.Step));

        // The next run writes new files, its steps from 0 again, and a cancelled one closes them too.
        string failedTrain = board.TrainFile!;
        using var cancel = new CancellationTokenSource();
        var cancelling = new LambdaCallback(onEpochEnd: (_, _) => cancel.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() => model.Fit(x, y, epochs: 3, batchSize: 8, callbacks: [board, cancelling], verbose: 0, cancellationToken: cancel.Token));
        Assert.NotEqual(failedTrain, board.TrainFile);
        AssertClosed(board.TrainFile!);
        Assert.Equal([0L], Scalars(board.TrainFile!).Where(s => s.Tag == "epoch_loss").Select(s => s.Step));
    }

    [Fact]
    public void WriteStepsPerSecond_WritesTheSpeedPerEpochAndPerLoggedBatch()
    {
        using var dir = new TempDirectory();
        (Sequential model, Tensor x, Tensor y) = Regression();
        var board = new TensorBoard(dir.Path, updateFreq: 2, writeStepsPerSecond: true);
        model.Fit(x, y, epochs: 2, batchSize: 8, callbacks: [board], verbose: 0);
        List<(string Tag, long Step, float Value)> train = Scalars(board.TrainFile!);
        Assert.Equal([0L, 1], train.Where(s => s.Tag == "epoch_steps_per_second").Select(s => s.Step));
        Assert.Equal([2L, 4, 6, 8, 10], train.Where(s => s.Tag == "batch_steps_per_second").Select(s => s.Step));
        Assert.All(train.Where(s => s.Tag.EndsWith("steps_per_second", StringComparison.Ordinal)), s => Assert.True(s.Value > 0 && float.IsFinite(s.Value), $"{s.Tag} at {s.Step} is {s.Value}"));
    }

    [Fact]
    public void BatchLogging_AfterTheFirst_AllocatesNothing()
    {
        using var dir = new TempDirectory();
        var board = new TensorBoard(dir.Path, updateFreq: 1, writeStepsPerSecond: true);
        var empty = new Dictionary<string, double>();
        var logs = new Dictionary<string, double>(StringComparer.Ordinal) { ["loss"] = 0.5, ["mae"] = 0.25 };
        board.OnTrainBegin(empty);

        void Batch()
        {
            board.OnBatchBegin(0, empty);
            logs["loss"] += 0.125;
            board.OnBatchEnd(0, logs);
        }

        Batch();
        Batch();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            Batch();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        board.OnTrainEnd(empty);
    }

    [Fact]
    public void BadArguments_ThrowNamingTheParameter()
    {
        Assert.Equal("logDir", Assert.Throws<ArgumentException>(() => new TensorBoard(" ")).ParamName);
        Assert.Contains("histogramFreq must be 0 (no histograms) or a positive number of epochs, but got -1", Assert.Throws<ArgumentOutOfRangeException>(() => new TensorBoard(histogramFreq: -1)).Message, StringComparison.Ordinal);
        Assert.Contains("updateFreq must be a positive number of batches", Assert.Throws<ArgumentOutOfRangeException>(() => new TensorBoard(updateFreq: 0)).Message, StringComparison.Ordinal);
    }
}
