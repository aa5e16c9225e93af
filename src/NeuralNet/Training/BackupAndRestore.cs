using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Training;

/// <summary>
/// Backs up the whole training state at the end of every epoch and, when <c>Fit</c> starts again after a crash or a kill,
/// restores it and continues from the first epoch not completed (Keras 3's <c>BackupAndRestore</c>).
/// </summary>
/// <remarks>
/// <para>The backup is one model file, <c>latest.safetensors</c> in <see cref="BackupDirectory"/>, written atomically (a
/// killed save leaves the previous backup intact): weights, optimizer state, the iteration count and learning rate, the
/// random streams of the dropout layers, and the number of completed epochs. The whole file is checked before the model
/// is touched, and must have been written with the same optimizer class. Since each epoch's shuffle depends only on the seed and the
/// epoch, a run resumed this way ends with the same weights, bit for bit, as one that was never interrupted, provided the
/// model is created, compiled and fitted with the same code and seeds.</para>
/// <para>When training ends normally (including an early stop), the backup is deleted unless
/// <see cref="DeleteCheckpoint"/> is false; when it ends with an exception (or cancellation) the backup stays for the next
/// run. Other callbacks' counters (EarlyStopping's patience, for example) and the History of the lost epochs are not
/// restored, as in Keras; nor is a new <see cref="ModelCheckpoint"/>'s best value (give it the earlier run's as
/// <c>initialValueThreshold</c>). Put this callback last, so that its backup holds what the callbacks before it changed at
/// the end of the epoch (a rate lowered by <see cref="ReduceLROnPlateau"/>); it restores at the start of <c>Fit</c>,
/// before the first epoch begins, wherever it stands.</para>
/// </remarks>
/// <example>
/// <code>
/// model.Fit(x, y, epochs: 20, callbacks: [new BackupAndRestore("backup")]);   // run again after a crash: resumes
/// </code>
/// </example>
public sealed class BackupAndRestore : Callback
{
    private const string EpochKey = "backup_and_restore";

    /// <summary>Creates the callback.</summary>
    /// <param name="backupDirectory">The folder that holds the backup; created when missing. Use one folder per training job.</param>
    /// <param name="deleteCheckpoint">Whether to delete the backup when training ends normally.</param>
    /// <exception cref="ArgumentException"><paramref name="backupDirectory"/> is empty.</exception>
    public BackupAndRestore(string backupDirectory, bool deleteCheckpoint = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backupDirectory);
        BackupDirectory = backupDirectory;
        DeleteCheckpoint = deleteCheckpoint;
    }

    /// <summary>The folder that holds the backup.</summary>
    public string BackupDirectory { get; }

    /// <summary>Whether the backup is deleted when training ends normally.</summary>
    public bool DeleteCheckpoint { get; }

    /// <summary>The backup file: <c>latest.safetensors</c> in <see cref="BackupDirectory"/>.</summary>
    public string BackupPath => Path.Combine(BackupDirectory, "latest.safetensors");

    /// <summary>The epoch the last <c>Fit</c> resumed at after restoring a backup; null when it found none.</summary>
    public int? RestoredEpoch { get; private set; }

    /// <summary>Restores the backup when there is one and makes <c>Fit</c> continue after its last completed epoch.</summary>
    /// <param name="logs">Unused.</param>
    /// <exception cref="InvalidOperationException">The callback is not attached to a model.</exception>
    /// <exception cref="InvalidDataException">The backup is damaged or belongs to another model or optimizer; nothing was changed.</exception>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        Models.Model model = Model ?? throw new InvalidOperationException("BackupAndRestore is not attached to a model; pass it to Fit.");
        RestoredEpoch = null;

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

    /// <summary>Writes the backup: the state after <paramref name="epoch"/> (0-based) and the number of completed epochs.</summary>
    /// <param name="epoch">The epoch that just ended.</param>
    /// <param name="logs">Unused.</param>
    /// <exception cref="IOException">The backup could not be written; the previous one is intact.</exception>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        Models.Model model = Model ?? throw new InvalidOperationException("BackupAndRestore is not attached to a model; pass it to Fit.");
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);
        metadata[EpochKey] = new JsonObject { ["epoch"] = epoch + 1 }.ToJsonString();
        SafeTensors.Save(BackupPath, tensors, metadata);
    }

    /// <summary>Deletes the backup when <see cref="DeleteCheckpoint"/> is set: training ended without an exception.</summary>
    /// <param name="logs">Unused.</param>
    public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs)
    {
        if (DeleteCheckpoint && File.Exists(BackupPath))
        {
            File.Delete(BackupPath);
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
