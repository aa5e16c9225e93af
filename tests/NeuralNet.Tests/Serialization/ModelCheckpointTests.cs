using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Serialization;

// ModelCheckpoint lives in Training/ but is part of the serialization work (issue #9), so its tests live here.
public class ModelCheckpointTests
{
    [Fact]
    public void OnEpochEnd_EpochPlaceholder_WritesOneCompleteModelPerEpoch()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(40, 8, 3, seed: 1);
        var model = DenseModel();
        var checkpoint = new ModelCheckpoint(Path.Combine(dir.Path, "m-{epoch:02d}.safetensors"));

        model.Fit(x, y, epochs: 3, batchSize: 10, callbacks: [checkpoint], verbose: 0);

        Assert.Equal(["m-01.safetensors", "m-02.safetensors", "m-03.safetensors"], dir.Entries());
        Assert.Equal(Bits(model.Predict(x)), Bits(Sequential.Load(dir.File("m-03.safetensors")).Predict(x)));
        Assert.Equal(2, checkpoint.LastSavedEpoch);
    }

    [Fact]
    public void OnEpochEnd_SaveBestOnly_SavesOnlyImprovements()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(40, 8, 3, seed: 2);
        var model = DenseModel();
        var losses = new List<double>();
        var saved = new List<int>();
        var checkpoint = new ModelCheckpoint(dir.File("best.safetensors"), monitor: "loss", saveBestOnly: true);
        var recorder = new LambdaCallback(onEpochEnd: (epoch, logs) =>
        {
            losses.Add(logs["loss"]);
            if (checkpoint.LastSavedEpoch == epoch)
            {
                saved.Add(epoch);
            }
        });
        var blowUp = new LambdaCallback(onEpochBegin: (epoch, _) => model.Optimizer!.LearningRate = epoch == 2 ? 5f : 0.01f);

        model.Fit(x, y, epochs: 4, batchSize: 10, callbacks: [blowUp, checkpoint, recorder], verbose: 0);

        var expected = new List<int>();
        double best = double.PositiveInfinity;
        for (int e = 0; e < losses.Count; e++)
        {
            if (losses[e] < best)
            {
                best = losses[e];
                expected.Add(e);
            }
        }

        Assert.Equal(expected, saved);
        Assert.True(expected.Count < losses.Count, "the learning-rate spike should make at least one epoch worse");
        Assert.Equal(best, checkpoint.Best);
    }

    [Fact]
    public void OnEpochEnd_SaveWeightsOnly_WritesAWeightsFile()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(20, 8, 3, seed: 3);
        var model = DenseModel();

        model.Fit(x, y, epochs: 1, batchSize: 10, callbacks: [new ModelCheckpoint(dir.File("w.safetensors"), saveWeightsOnly: true)], verbose: 0);

        var other = DenseModel(seed: 99);
        other.LoadWeights(dir.File("w.safetensors"));
        AssertSameWeights(model, other);
        Assert.Throws<InvalidDataException>(() => Sequential.Load(dir.File("w.safetensors")));
    }

    [Fact]
    public void Resume_FromMidFitCheckpointWithoutShuffling_EqualsUninterruptedTraining()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(60, 8, 3, seed: 4);
        var uninterrupted = DenseModel(seed: 21);
        uninterrupted.Fit(x, y, epochs: 4, batchSize: 12, shuffle: false, verbose: 0);

        var crashed = DenseModel(seed: 21);
        var checkpoint = new ModelCheckpoint(Path.Combine(dir.Path, "ckpt-{epoch}.safetensors"));
        crashed.Fit(x, y, epochs: 4, batchSize: 12, shuffle: false, callbacks: [checkpoint], verbose: 0);
        var resumed = Sequential.Load(dir.File("ckpt-2.safetensors"));
        resumed.Fit(x, y, epochs: 2, batchSize: 12, shuffle: false, verbose: 0);

        AssertSameWeights(uninterrupted, resumed);
    }

    [Fact]
    public void Constructor_BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => new ModelCheckpoint(" "));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelCheckpoint("m.safetensors", verbose: 2));
        Assert.Throws<ArgumentException>(() => new ModelCheckpoint("m-{epoch:Q}.safetensors"));
    }

    [Fact]
    public void OnEpochEnd_UnknownPlaceholder_ThrowsListingLogs()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(20, 8, 3, seed: 5);
        var model = DenseModel();

        var ex = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 1, batchSize: 10, callbacks: [new ModelCheckpoint(Path.Combine(dir.Path, "m-{val_accuracy}.safetensors"))], verbose: 0));

        Assert.Contains("accuracy", ex.Message, StringComparison.Ordinal);
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void OnEpochEnd_Verbose_ReportsImprovementAndSave()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(20, 8, 3, seed: 6);
        var model = DenseModel();
        var output = new StringWriter();

        model.Fit(x, y, epochs: 1, batchSize: 10, callbacks: [new ModelCheckpoint(dir.File("m.safetensors"), "loss", saveBestOnly: true, verbose: 1, output: output)], verbose: 0);

        Assert.StartsWith("Epoch 1: loss improved from inf to ", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("saving model to", output.ToString(), StringComparison.Ordinal);
    }
}
