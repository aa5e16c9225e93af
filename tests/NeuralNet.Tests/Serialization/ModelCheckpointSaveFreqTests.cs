using NeuralNet.Models;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Serialization;

// Keras' integer save_freq (keras/src/callbacks/model_checkpoint.py): a save after every n training batches, counted
// across epochs, the path filled from the batch's logs with {epoch} and {batch} 1-based.
public class ModelCheckpointSaveFreqTests
{
    [Fact]
    public void SaveFreq_CountsBatchesAcrossEpochs_AndNamesEpochAndBatch()
    {
        // 40 samples at batch 10: 4 batches an epoch; every 3rd batch over 3 epochs is batches 3, 6, 9, 12 overall.
        using var dir = new TempDirectory();
        var (x, y) = Classification(40, 8, 3, seed: 1);
        var model = DenseModel();
        var checkpoint = new ModelCheckpoint(dir.File("m-{epoch}-{batch:02d}.safetensors"), saveFreq: 3);

        model.Fit(x, y, epochs: 3, batchSize: 10, shuffle: false, callbacks: [checkpoint], verbose: 0);

        Assert.Equal(["m-1-03.safetensors", "m-2-02.safetensors", "m-3-01.safetensors", "m-3-04.safetensors"], dir.Entries());
        Assert.Equal(2, checkpoint.LastSavedEpoch);
        Assert.Equal(Bits(model.Predict(x)), Bits(Sequential.Load(dir.File("m-3-04.safetensors")).Predict(x)));
    }

    [Fact]
    public void SaveFreq_SaveBestOnly_ComparesTheBatchLogs()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(40, 8, 3, seed: 2);
        var model = DenseModel();
        var batchLosses = new List<double>();
        var saves = new List<double>();
        var checkpoint = new ModelCheckpoint(dir.File("best-{batch}.safetensors"), monitor: "loss", saveBestOnly: true, saveFreq: 1);
        var recorder = new LambdaCallback(onBatchEnd: (_, logs) =>
        {
            batchLosses.Add(logs["loss"]);
            if (checkpoint.Best == logs["loss"])
            {
                saves.Add(logs["loss"]);
            }
        });

        model.Fit(x, y, epochs: 2, batchSize: 10, callbacks: [checkpoint, recorder], verbose: 0);

        var expected = new List<double>();
        double best = double.PositiveInfinity;
        foreach (double loss in batchLosses)
        {
            if (loss < best)
            {
                best = loss;
                expected.Add(loss);
            }
        }

        Assert.Equal(expected, saves);
        Assert.Equal(best, checkpoint.Best);
    }

    [Fact]
    public void SaveFreq_ValidationValues_AreRefusedBeforeTraining()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(40, 8, 3, seed: 3);
        var model = DenseModel();

        var placeholder = new ModelCheckpoint(dir.File("m-{val_loss:.2f}.safetensors"), saveFreq: 2);
        var e = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 1, batchSize: 10, validationSplit: 0.25, callbacks: [placeholder], verbose: 0));
        Assert.Contains("uses {val_loss}, which the batch logs will not hold (saveFreq: 2", e.Message, StringComparison.Ordinal);

        var monitor = new ModelCheckpoint(dir.File("m.safetensors"), monitor: "val_loss", saveBestOnly: true, saveFreq: 2);
        e = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 1, batchSize: 10, validationSplit: 0.25, callbacks: [monitor], verbose: 0));
        Assert.Contains("monitors 'val_loss', which the batch logs will not hold", e.Message, StringComparison.Ordinal);
        Assert.Empty(dir.Entries());

        Assert.Throws<ArgumentOutOfRangeException>(() => new ModelCheckpoint(dir.File("m.safetensors"), saveFreq: 0));
        var batchWithoutFreq = new ModelCheckpoint(dir.File("m-{batch}.safetensors"));
        Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 1, batchSize: 10, callbacks: [batchWithoutFreq], verbose: 0));
    }
}
