using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.Serialization;
using NeuralNet.Training;
using Xunit;
using static NeuralNet.Tests.Serialization.ModelTestData;

namespace NeuralNet.Tests.Training;

public class BackupAndRestoreTests
{
    // Throws at the end of one epoch, after the callbacks before it (the backup) have run: a crash between epochs.
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

    // Cancels in the middle of one epoch: the work of that epoch is lost, the backup holds the one before.
    private sealed class CancelInEpoch(int epoch, CancellationTokenSource source) : Callback
    {
        private int _epoch;

        public override void OnEpochBegin(int e, IReadOnlyDictionary<string, double> logs) => _epoch = e;

        public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
        {
            if (_epoch == epoch && batch == 2)
            {
                source.Cancel();
            }
        }
    }

    [Fact]
    public void Resume_AfterCrash_EqualsUninterruptedTrainingBitForBit()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(96, 8, 3, seed: 21);
        var uninterrupted = DenseModel(seed: 17);
        History full = uninterrupted.Fit(x, y, epochs: 5, batchSize: 16, verbose: 0);

        var backup = new BackupAndRestore(dir.File("backup"));
        var crashed = DenseModel(seed: 17);
        Assert.Throws<IOException>(() => crashed.Fit(x, y, epochs: 5, batchSize: 16, verbose: 0, callbacks: [backup, new CrashAfterEpoch(2)]));
        Assert.True(File.Exists(backup.BackupPath), "the backup stays after a crash");

        // A new process: the same code builds the same model and calls the same Fit.
        var resumed = DenseModel(seed: 17);
        History rest = resumed.Fit(x, y, epochs: 5, batchSize: 16, verbose: 0, callbacks: [backup]);

        Assert.Equal(3, backup.RestoredEpoch);
        Assert.Equal([3, 4], rest.Epochs);
        AssertSameWeights(uninterrupted, resumed);
        Assert.Equal(uninterrupted.Optimizer!.Iterations, resumed.Optimizer!.Iterations);
        Assert.Equal(full["loss"][4], rest["loss"][1]);
        Assert.False(File.Exists(backup.BackupPath), "deleted once training completed");
        Assert.False(Directory.Exists(backup.BackupDirectory), "the folder goes with it, as Keras' on_train_end removes it");
    }

    [Fact]
    public void TrainEnd_FolderWithOtherFiles_DeletesOnlyWhatTheCallbackWroteAndKeepsTheFolder()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(32, 8, 3, seed: 24);
        string folder = dir.File("shared");
        Directory.CreateDirectory(Path.Combine(folder, "runs"));
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
        File.WriteAllText(Path.Combine(folder, "latest.safetensors.bak"), "mine too");

        // The temporary file a write killed before its rename leaves (AtomicFile's .name.<32 hex digits>.tmp): the callback's
        // own. Made after the backup's last write (which sweeps such files itself), so that only the end of training removes it.
        string stale = Path.Combine(folder, ".latest.safetensors.0123456789abcdef0123456789abcdef.tmp");
        var backup = new BackupAndRestore(folder);
        DenseModel().Fit(x, y, epochs: 1, batchSize: 16, verbose: 0, callbacks: [backup, new LambdaCallback(onEpochEnd: (_, _) => File.WriteAllText(stale, "half"))]);

        Assert.False(File.Exists(backup.BackupPath));
        Assert.False(File.Exists(stale));
        Assert.Equal(["latest.safetensors.bak", "notes.txt"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(Directory.Exists(Path.Combine(folder, "runs")));
    }

    [Fact]
    public void TrainEnd_KeepCheckpointOrException_LeavesTheFolder()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(32, 8, 3, seed: 25);
        var kept = new BackupAndRestore(dir.File("kept"), deleteCheckpoint: false);
        DenseModel().Fit(x, y, epochs: 1, batchSize: 16, verbose: 0, callbacks: [kept]);
        var crashed = new BackupAndRestore(dir.File("crashed"));
        Assert.Throws<IOException>(() => DenseModel().Fit(x, y, epochs: 2, batchSize: 16, verbose: 0, callbacks: [crashed, new CrashAfterEpoch(0)]));

        Assert.True(File.Exists(kept.BackupPath));
        Assert.True(File.Exists(crashed.BackupPath));
    }

    [Fact]
    public void Resume_AfterCancellationMidEpoch_RepeatsThatEpochAndMatches()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(96, 8, 3, seed: 22);
        var uninterrupted = DenseModel(seed: 19, new Sgd(0.05f, momentum: 0.9f));
        uninterrupted.Fit(x, y, epochs: 4, batchSize: 16, verbose: 0);

        var backup = new BackupAndRestore(dir.File("b"));
        using var source = new CancellationTokenSource();
        var cancelled = DenseModel(seed: 19, new Sgd(0.05f, momentum: 0.9f));
        Assert.Throws<OperationCanceledException>(() => cancelled.Fit(x, y, epochs: 4, batchSize: 16, verbose: 0, callbacks: [backup, new CancelInEpoch(2, source)], cancellationToken: source.Token));

        var resumed = DenseModel(seed: 19, new Sgd(0.05f, momentum: 0.9f));
        resumed.Fit(x, y, epochs: 4, batchSize: 16, verbose: 0, callbacks: [backup]);

        Assert.Equal(2, backup.RestoredEpoch);
        AssertSameWeights(uninterrupted, resumed);
    }

    [Fact]
    public void Fit_WithoutBackup_StartsAtTheBeginningAndKeepsTheBackupWhenAsked()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(32, 8, 3, seed: 23);
        var backup = new BackupAndRestore(dir.File("new-folder"), deleteCheckpoint: false);
        History history = DenseModel().Fit(x, y, epochs: 2, batchSize: 16, verbose: 0, callbacks: [backup]);

        Assert.Null(backup.RestoredEpoch);
        Assert.Equal([0, 1], history.Epochs);
        Assert.True(File.Exists(backup.BackupPath));
        Assert.Equal(4, Model.Load(backup.BackupPath).Optimizer!.Iterations); // 2 epochs of 2 batches
    }

    [Fact]
    public void Restore_BackupOfAnotherOptimizer_ThrowsNamingTheFileAndChangesNothing()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(32, 8, 3, seed: 24);
        var backup = new BackupAndRestore(dir.Path, deleteCheckpoint: false);
        DenseModel(seed: 3, new Adam()).Fit(x, y, epochs: 1, batchSize: 16, verbose: 0, callbacks: [backup]);

        var other = DenseModel(seed: 3, new RmsProp());
        var before = other.GetWeights();
        var ex = Assert.Throws<InvalidDataException>(() => other.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0, callbacks: [backup]));
        Assert.Contains("latest.safetensors", ex.Message);
        Assert.Contains("rmsprop", ex.Message);
        var after = other.GetWeights();
        for (int i = 0; i < before.Count; i++)
        {
            Assert.Equal(Bits(before[i]), Bits(after[i]));
        }
    }

    [Fact]
    public void Restore_ModelFileThatIsNotABackup_SaysSo()
    {
        using var dir = new TempDirectory();
        var model = DenseModel();
        model.Save(Path.Combine(dir.Path, "latest.safetensors"));
        var (x, y) = Classification(16, 8, 3, seed: 25);
        var ex = Assert.Throws<InvalidDataException>(() => model.Fit(x, y, epochs: 1, verbose: 0, callbacks: [new BackupAndRestore(dir.Path)]));
        Assert.Contains("not a backup written by BackupAndRestore", ex.Message);
    }

    [Fact]
    public void Resume_SameModelObjectAfterCrash_EqualsUninterruptedTraining()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(96, 8, 3, seed: 26);
        var uninterrupted = DenseModel(seed: 27);
        uninterrupted.Fit(x, y, epochs: 4, batchSize: 16, verbose: 0);

        // The retry runs on the object that crashed: its own Fit count has moved on, the backup's has not.
        var backup = new BackupAndRestore(dir.File("same"));
        var model = DenseModel(seed: 27);
        Assert.Throws<IOException>(() => model.Fit(x, y, epochs: 4, batchSize: 16, verbose: 0, callbacks: [backup, new CrashAfterEpoch(1)]));
        model.Fit(x, y, epochs: 4, batchSize: 16, verbose: 0, callbacks: [backup]);

        Assert.Equal(2, backup.RestoredEpoch);
        AssertSameWeights(uninterrupted, model);
    }

    [Fact]
    public void Resume_KeepsALearningRateLoweredByReduceLROnPlateau()
    {
        using var dir = new TempDirectory();
        var (x, y) = Classification(32, 8, 3, seed: 28);
        var backup = new BackupAndRestore(dir.File("lr"), deleteCheckpoint: false);
        var first = DenseModel(seed: 29, new Sgd(0.1f));
        first.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0, callbacks: [new ReduceLROnPlateau("loss", factor: 0.5, patience: 0, minDelta: 1e9), backup]);
        Assert.Equal(0.05f, first.Optimizer!.LearningRate);

        var resumed = DenseModel(seed: 29, new Sgd(0.1f));
        resumed.Fit(x, y, epochs: 3, batchSize: 16, verbose: 0, callbacks: [backup]);
        Assert.Equal(0.05f, resumed.Optimizer!.LearningRate);
    }

    [Fact]
    public void Constructor_EmptyFolder_Throws() =>
        Assert.Throws<ArgumentException>(() => new BackupAndRestore(" "));
}
