using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.Serialization;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Training;

/// <summary>
/// BackupAndRestore(saveFreq: n), Keras' integer save_freq (keras/src/callbacks/backup_and_restore.py): a backup every n
/// training batches counted across epochs, none at the ends of epochs; a run resumed from a backup written mid-epoch
/// starts that epoch again at its first batch, from the backed-up weights (Keras' _load_model reads only "epoch").
/// </summary>
public class BackupAndRestoreSaveFreqTests
{
    // 96 samples in batches of 16: six batches per epoch.
    private const int Samples = 96;
    private const int BatchSize = 16;

    // Cancels after one batch of one epoch has ended (and the callbacks before it, the backup, have run).
    private sealed class CancelAfterBatch(int epoch, int batch, CancellationTokenSource source) : Callback
    {
        private int _epoch;

        public override void OnEpochBegin(int e, IReadOnlyDictionary<string, double> logs) => _epoch = e;

        public override void OnBatchEnd(int b, IReadOnlyDictionary<string, double> logs)
        {
            if (_epoch == epoch && b == batch)
            {
                source.Cancel();
            }
        }
    }

    // After every batch and epoch end, the (epoch, batch) the backup holds when it changed since the last look.
    private sealed class BackupWatcher(string path) : Callback
    {
        private string? _last;

        public List<(int Epoch, int Batch)> Seen { get; } = [];

        public List<string> SeenAt { get; } = [];

        private int _epoch;

        public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _epoch = epoch;

        public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => Look($"epoch {_epoch} batch {batch}");

        public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => Look($"end of epoch {epoch}");

        private void Look(string when)
        {
            if (!File.Exists(path))
            {
                return;
            }

            string json = SafeTensors.Load(path).Metadata["backup_and_restore"];
            if (json != _last)
            {
                _last = json;
                var node = (JsonObject)JsonNode.Parse(json)!;
                Seen.Add(((int)node["epoch"]!, (int)node["batch"]!));
                SeenAt.Add(when);
            }
        }
    }

    // No dropout, plain shuffling switched off: the batches of every epoch are the samples in order, so a reference run
    // can be put together from Fit calls on slices.
    private static Sequential SmallModel(long seed)
    {
        var model = new Sequential([new InputLayer(8), new Dense(16, ActivationFunction.Relu), new Dense(3, ActivationFunction.Softmax)], seed: seed);
        model.Compile(new Sgd(0.05f, momentum: 0.9f), new CategoricalCrossEntropy());
        return model;
    }

    [Fact]
    public void SaveFreq_BacksUpEveryNBatchesCountedAcrossEpochsAndNotAtEpochEnds()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(Samples, 8, 3, seed: 41);
        var backup = new BackupAndRestore(dir.File("b"), deleteCheckpoint: false, saveFreq: 4);
        var watcher = new BackupWatcher(backup.BackupPath);

        SmallModel(seed: 5).Fit(x, y, epochs: 3, batchSize: BatchSize, shuffle: false, verbose: 0, callbacks: [backup, watcher]);

        // Batches 4, 8, 12, 16 of 18: epoch 0 batch 3, epoch 1 batches 1 and 5, epoch 2 batch 3; each holds the epoch
        // running (Keras' "epoch": the epochs completed) and the 0-based batch, and none was written at an epoch's end.
        Assert.Equal([(0, 3), (1, 1), (1, 5), (2, 3)], watcher.Seen);
        Assert.Equal(["epoch 0 batch 3", "epoch 1 batch 1", "epoch 1 batch 5", "epoch 2 batch 3"], watcher.SeenAt);
        Assert.Equal(16, Model.Load(backup.BackupPath).Optimizer!.Iterations);
        // Written atomically: the folder holds the backup alone, no temporary file left behind.
        Assert.Equal(["latest.safetensors"], Directory.GetFiles(dir.File("b")).Select(Path.GetFileName));
    }

    [Fact]
    public void Resume_AfterMidEpochBackup_TrainsThatEpochAgainFromItsFirstBatchAsKeras()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(Samples, 8, 3, seed: 42);
        var backup = new BackupAndRestore(dir.File("b"), saveFreq: 4);
        using var source = new CancellationTokenSource();
        var interrupted = SmallModel(seed: 7);

        // Killed after batch 4 of epoch 2 (0-based): the last backup is the one after batch 3 of epoch 2 (batch 16 overall).
        Assert.Throws<OperationCanceledException>(() => interrupted.Fit(x, y, epochs: 4, batchSize: BatchSize, shuffle: false, verbose: 0,
            callbacks: [backup, new CancelAfterBatch(2, 4, source)], cancellationToken: source.Token));
        var metadata = (JsonObject)JsonNode.Parse(SafeTensors.Load(backup.BackupPath).Metadata["backup_and_restore"])!;
        Assert.Equal(2, (int)metadata["epoch"]!);
        Assert.Equal(3, (int)metadata["batch"]!);

        // A new process: the same code builds the same model and calls the same Fit.
        var resumed = SmallModel(seed: 7);
        History rest = resumed.Fit(x, y, epochs: 4, batchSize: BatchSize, shuffle: false, verbose: 0, callbacks: [backup]);

        Assert.Equal(2, backup.RestoredEpoch);
        Assert.Equal([2, 3], rest.Epochs);
        Assert.False(File.Exists(backup.BackupPath), "deleted once training completed");

        // Keras' behaviour spelled out: epochs 0 and 1, the first four batches of epoch 2 (the backup), then epoch 2 again
        // from its first batch, and epoch 3: 12 + 4 + 6 + 6 = 28 steps.
        var reference = SmallModel(seed: 7);
        reference.Fit(x, y, epochs: 2, batchSize: BatchSize, shuffle: false, verbose: 0);
        reference.Fit(x.Slice(0, 4 * BatchSize), y.Slice(0, 4 * BatchSize), epochs: 1, batchSize: BatchSize, shuffle: false, verbose: 0);
        reference.Fit(x, y, epochs: 2, batchSize: BatchSize, shuffle: false, verbose: 0);
        AssertSameWeights(reference, resumed);
        Assert.Equal(28, resumed.Optimizer!.Iterations);
        Assert.Equal(reference.Optimizer!.Iterations, resumed.Optimizer.Iterations);

        // Not an uninterrupted run: Keras does not skip to the batch, so four batches were trained twice.
        var uninterrupted = SmallModel(seed: 7);
        uninterrupted.Fit(x, y, epochs: 4, batchSize: BatchSize, shuffle: false, verbose: 0);
        Assert.NotEqual(Bits(uninterrupted.GetWeights()[0]), Bits(resumed.GetWeights()[0]));
    }

    [Fact]
    public void Resume_FromOneMidEpochBackupTwiceWithShuffling_GivesTheSameBits()
    {
        // With shuffling, the resumed epoch's order is the interrupted epoch's (it depends on the seed and the epoch only):
        // resuming twice from the same backup gives the same bits.
        using var dir = new TempDirectory();
        var (x, y) = Classification(Samples, 8, 3, seed: 43);
        var backup = new BackupAndRestore(dir.File("b"), deleteCheckpoint: false, saveFreq: 5);
        using var source = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => SmallModel(seed: 9).Fit(x, y, epochs: 3, batchSize: BatchSize, verbose: 0, seed: 11,
            callbacks: [backup, new CancelAfterBatch(1, 4, source)], cancellationToken: source.Token));
        File.Copy(backup.BackupPath, dir.File("kept.safetensors"));

        var first = SmallModel(seed: 9);
        first.Fit(x, y, epochs: 3, batchSize: BatchSize, verbose: 0, seed: 11, callbacks: [backup]);
        File.Copy(dir.File("kept.safetensors"), backup.BackupPath, overwrite: true);
        var second = SmallModel(seed: 9);
        second.Fit(x, y, epochs: 3, batchSize: BatchSize, verbose: 0, seed: 11, callbacks: [backup]);

        Assert.Equal(1, backup.RestoredEpoch);
        AssertSameWeights(first, second);
        // The backup after batch 10 (epoch 1, batch 3), then epochs 1 and 2 whole.
        Assert.Equal(10 + 6 + 6, first.Optimizer!.Iterations);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Constructor_SaveFreqBelowOne_ThrowsNamingIt(int saveFreq)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new BackupAndRestore("backup", saveFreq: saveFreq));
        Assert.Equal("saveFreq", ex.ParamName);
        Assert.Contains("at least 1", ex.Message, StringComparison.Ordinal);
    }
}
