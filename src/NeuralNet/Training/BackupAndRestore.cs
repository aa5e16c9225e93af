using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Backs up the whole training state at the end of every epoch, or every n batches, and, when <c>Fit</c> starts again
/// after a crash or a kill, restores it and continues from the first epoch not completed (Keras 3's <c>BackupAndRestore</c>).
/// </summary>
/// <remarks>
/// <para>The backup is one model file, <c>latest.safetensors</c> in <see cref="BackupDirectory"/>, written atomically (a
/// temporary file renamed over the old one: a killed save leaves the previous backup intact): weights, optimizer state,
/// the iteration count and learning rate, the random streams of the dropout layers, and the number of completed epochs
/// (with the 0-based batch it was written after, as Keras' <c>training_metadata.json</c> holds it). The whole file is
/// checked before the model is touched, and must have been written with the same optimizer class. Since each epoch's
/// shuffle depends only on the seed and the epoch, a run resumed from an end-of-epoch backup ends with the same weights,
/// bit for bit, as one that was never interrupted, provided the model is created, compiled and fitted with the same code
/// and seeds.</para>
/// <para>With <see cref="SaveFreq"/> (Keras' integer <c>save_freq</c>) the backup is written after every n-th training
/// batch, counted across epochs, and not at the ends of epochs. As in Keras, a backup written in the middle of an epoch
/// holds the weights after that batch but resumes at the start of that epoch: the resumed run trains the whole epoch
/// again from its first batch, from the backed-up weights (Keras' <c>_load_model</c> reads only the epoch; the batch is
/// not skipped to). The batches before the backup are trained twice, so such a run does not end with an uninterrupted
/// run's weights; it loses at most n batches of work instead of up to an epoch.</para>
/// <para>When training ends normally (including an early stop), the backup is deleted unless
/// <see cref="DeleteCheckpoint"/> is false, and so is <see cref="BackupDirectory"/> when nothing else is in it (Keras
/// deletes the whole folder; files the callback did not write are kept here, and their folder with them); when training
/// ends with an exception (or cancellation) the backup stays for the next run. Other callbacks' counters (EarlyStopping's patience, for example) and the History of the lost epochs are not
/// restored, as in Keras; nor is a new <see cref="ModelCheckpoint"/>'s best value (give it the earlier run's as
/// <c>initialValueThreshold</c>). Put this callback last, so that its backup holds what the callbacks before it changed at
/// the end of the epoch (a rate lowered by <see cref="ReduceLROnPlateau"/>); it restores at the start of <c>Fit</c>,
/// before the first epoch begins, wherever it stands.</para>
/// </remarks>
/// <example>
/// <code>
/// model.Fit(x, y, epochs: 20, callbacks: [new BackupAndRestore("backup")]);                 // run again after a crash: resumes
/// model.Fit(x, y, epochs: 20, callbacks: [new BackupAndRestore("backup", saveFreq: 500)]);  // a backup every 500 batches
/// </code>
/// </example>
public sealed class BackupAndRestore : Callback
{
    private const string EpochKey = "backup_and_restore";

    // Keras' _current_epoch, _last_batch_seen and _batches_seen_since_last_saving: the epoch running (the number of
    // completed epochs a backup records), the last batch number seen in it, and the batches trained since the last backup.
    private int _currentEpoch;
    private int _lastBatchSeen;
    private int _batchesSinceSave;

    /// <summary>Creates the callback.</summary>
    /// <param name="backupDirectory">The folder that holds the backup; created when missing. Use one folder per training job.</param>
    /// <param name="deleteCheckpoint">Whether to delete the backup when training ends normally.</param>
    /// <param name="saveFreq">Null to back up at the end of each epoch (Keras' <c>save_freq="epoch"</c>), or n to back up
    /// after every n training batches, counted across epochs (Keras' integer <c>save_freq</c>); a run resumed from a
    /// backup written in the middle of an epoch trains that epoch again from its first batch, as in Keras.</param>
    /// <exception cref="ArgumentException"><paramref name="backupDirectory"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="saveFreq"/> is below 1.</exception>
    public BackupAndRestore(string backupDirectory, bool deleteCheckpoint = true, int? saveFreq = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backupDirectory);
        if (saveFreq is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(saveFreq), saveFreq, "saveFreq must be at least 1 (back up after every n-th batch), or null to back up after each epoch.");
        }

        BackupDirectory = backupDirectory;
        DeleteCheckpoint = deleteCheckpoint;
        SaveFreq = saveFreq;
    }

    /// <summary>Null when the backup is written at the end of each epoch; otherwise the number of training batches between backups.</summary>
    public int? SaveFreq { get; }

    /// <summary>The folder that holds the backup.</summary>
    public string BackupDirectory { get; }

    /// <summary>Whether the backup is deleted when training ends normally.</summary>
    public bool DeleteCheckpoint { get; }

    /// <summary>The backup file: <c>latest.safetensors</c> in <see cref="BackupDirectory"/>.</summary>
    public string BackupPath => Path.Combine(BackupDirectory, "latest.safetensors");

    /// <summary>The epoch the last <c>Fit</c> resumed at after restoring a backup; null when it found none.</summary>
    public int? RestoredEpoch { get; private set; }

    /// <summary>Restores the backup when there is one and makes <c>Fit</c> continue at the first epoch it did not complete.</summary>
    /// <param name="logs">Unused.</param>
    /// <exception cref="InvalidOperationException">The callback is not attached to a model.</exception>
    /// <exception cref="InvalidDataException">The backup is damaged or belongs to another model or optimizer; nothing was changed.</exception>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        Models.Model model = Model ?? throw new InvalidOperationException("BackupAndRestore is not attached to a model; pass it to Fit.");
        RestoredEpoch = null;

        // Each Fit counts its batches afresh, as a new process would (Keras keeps a reused callback's count).
        _currentEpoch = 0;
        _lastBatchSeen = 0;
        _batchesSinceSave = 0;

        // A component that cannot be saved fails now, not after the first epoch's work.
        _ = ModelSerializer.DescribeModel(model, includeTraining: true);
        Directory.CreateDirectory(BackupDirectory);
        if (!File.Exists(BackupPath))
        {
            return;
        }

        SafeTensorsFile file = SafeTensors.Load(BackupPath);
        int epoch = ReadEpoch(file);
        ModelSerializer.RestoreTrainingState(model, file);
        RestoredEpoch = epoch;
        model.ResumeEpoch = epoch;
    }

    /// <summary>Notes the epoch that begins: a backup written during it resumes at its start.</summary>
    /// <param name="epoch">The 0-based epoch.</param>
    /// <param name="logs">Unused.</param>
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _currentEpoch = epoch;

    /// <summary>With <see cref="SaveFreq"/>, writes the backup after every n-th training batch (counted across epochs).</summary>
    /// <param name="batch">The 0-based batch of the epoch that just ended.</param>
    /// <param name="logs">Unused.</param>
    /// <exception cref="IOException">The backup could not be written; the previous one is intact.</exception>
    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        if (SaveFreq is not int frequency)
        {
            return;
        }

        // Keras' _should_save_on_batch: a batch number not above the last one starts a new epoch, whose batches so far count from 0.
        _batchesSinceSave += batch <= _lastBatchSeen ? batch + 1 : batch - _lastBatchSeen;
        _lastBatchSeen = batch;
        if (_batchesSinceSave >= frequency)
        {
            _batchesSinceSave = 0;
            Save(_currentEpoch, batch);
        }
    }

    /// <summary>Without <see cref="SaveFreq"/>, writes the backup: the state after <paramref name="epoch"/> (0-based) and the number of completed epochs.</summary>
    /// <param name="epoch">The epoch that just ended.</param>
    /// <param name="logs">Unused.</param>
    /// <exception cref="IOException">The backup could not be written; the previous one is intact.</exception>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        _currentEpoch = epoch + 1;
        _lastBatchSeen = 0;
        if (SaveFreq is null)
        {
            Save(_currentEpoch, 0);
        }
    }

    // The model's whole training state and Keras' training metadata: the epoch a resumed run starts at, and the batch
    // the backup was written after (0 at an epoch's end; recorded, as Keras does, not read).
    private void Save(int epoch, int batch)
    {
        Models.Model model = Model ?? throw new InvalidOperationException("BackupAndRestore is not attached to a model; pass it to Fit.");
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);
        metadata[EpochKey] = new JsonObject { ["epoch"] = epoch, ["batch"] = batch }.ToJsonString();
        SafeTensors.Save(BackupPath, tensors, metadata);
    }

    /// <summary>
    /// Deletes the backup when <see cref="DeleteCheckpoint"/> is set: training ended without an exception. Keras'
    /// <c>on_train_end</c> removes the whole backup folder (<c>file_utils.rmtree</c>); here the callback removes what it
    /// wrote (<c>latest.safetensors</c> and any temporary file a killed write of it left), then the folder when nothing
    /// else is left in it. Files it did not write, and so their folder, are kept.
    /// </summary>
    /// <param name="logs">Unused.</param>
    /// <exception cref="IOException">The backup could not be deleted.</exception>
    public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs)
    {
        if (!DeleteCheckpoint || !Directory.Exists(BackupDirectory))
        {
            return;
        }

        File.Delete(BackupPath);
        AtomicFile.RemoveStaleTemporaries(BackupDirectory, Path.GetFileName(BackupPath));
        if (!Directory.EnumerateFileSystemEntries(BackupDirectory).Any())
        {
            try
            {
                Directory.Delete(BackupDirectory, recursive: false);
            }
            catch (IOException)
            {
                // Something was put in the folder meanwhile: it stays, with that.
            }
        }
    }

    private static int ReadEpoch(SafeTensorsFile file)
    {
        string? json = file.Metadata.GetValueOrDefault(EpochKey);
        if (json is null)
        {
            throw new InvalidDataException($"'{file.Source}' is not a backup written by BackupAndRestore: its metadata has no \"{EpochKey}\".");
        }

        try
        {
            if (JsonNode.Parse(json) is JsonObject node && node["epoch"] is JsonValue value && value.TryGetValue(out int epoch) && epoch >= 0)
            {
                return epoch;
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }

        throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"'{file.Source}': \"{EpochKey}\" must be a JSON object with a non-negative integer \"epoch\"; found {json}."));
    }
}
