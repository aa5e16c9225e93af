using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.TensorBoard.Protobuf;
using NeuralNet.Tests.Serialization;
using Xunit;

namespace NeuralNet.TensorBoard.Tests;

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
            .SelectMany(e => e.Summary.Value.Where(v => v.ValueCase == Summary.Types.Value.ValueOneofCase.SimpleValue).Select(v => (v.Tag, e.Step, v.SimpleValue)))];

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
        var recorder = new Training.LambdaCallback(onBatchEnd: (_, logs) => batches.Add(logs["loss"]));
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

        // Closed: the file can be deleted on any OS, and the next Evaluate starts a new one.
        string first = board.ValidationFile!;
        model.Evaluate(x, y, verbose: 0, callbacks: [board]);
        Assert.NotEqual(first, board.ValidationFile);
        File.Delete(first);
    }

    [Fact]
    public void BadArguments_ThrowNamingTheParameter()
    {
        Assert.Equal("logDir", Assert.Throws<ArgumentException>(() => new TensorBoard(" ")).ParamName);
        Assert.Contains("histogramFreq must be 0 (no histograms) or a positive number of epochs, but got -1", Assert.Throws<ArgumentOutOfRangeException>(() => new TensorBoard(histogramFreq: -1)).Message, StringComparison.Ordinal);
        Assert.Contains("updateFreq must be a positive number of batches", Assert.Throws<ArgumentOutOfRangeException>(() => new TensorBoard(updateFreq: 0)).Message, StringComparison.Ordinal);
    }
}
