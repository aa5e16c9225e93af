using System.Globalization;

namespace NeuralNet.Training;

// Keras' integer save_freq: a save after every n training batches, counted across epochs as Keras counts them
// (keras/src/callbacks/model_checkpoint.py, _should_save_on_batch), with the batch's logs.
public sealed partial class ModelCheckpoint
{
    private int _currentEpoch;
    private int _lastBatchSeen;
    private int _batchesSinceSave;

    /// <summary>The number of training batches between saves, or null to save at the end of each epoch.</summary>
    public int? SaveFreq { get; }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _currentEpoch = epoch;

    /// <inheritdoc/>
    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (SaveFreq is not int frequency)
        {
            return;
        }

        // A batch number not above the last one starts a new epoch: its batches so far count from 0.
        _batchesSinceSave += batch <= _lastBatchSeen ? batch + 1 : batch - _lastBatchSeen;
        _lastBatchSeen = batch;
        if (_batchesSinceSave >= frequency)
        {
            _batchesSinceSave = 0;
            SaveIfDue(_currentEpoch, batch, logs);
        }
    }

    // With saveFreq the path and the monitor are read from the batch logs: the epoch's keys without the val_ ones.
    private void CheckBatchLogKeys(IReadOnlySet<string> epochKeys)
    {
        var keys = new HashSet<string>(epochKeys.Where(k => !k.StartsWith("val_", StringComparison.Ordinal)), StringComparer.Ordinal);
        string available = string.Join(", ", keys.Order(StringComparer.Ordinal));
        foreach (Placeholder placeholder in _placeholders)
        {
            if (placeholder.Key is not ("epoch" or "batch") && !keys.Contains(placeholder.Key))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"ModelCheckpoint path '{Path}' uses {{{placeholder.Key}}}, which the batch logs will not hold (saveFreq: {SaveFreq} saves after batches, before any validation). They will hold: epoch, batch, {available}."));
            }
        }

        if (SaveBestOnly)
        {
            if (!keys.Contains(Monitor))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"ModelCheckpoint monitors '{Monitor}', which the batch logs will not hold (saveFreq: {SaveFreq} saves after batches, before any validation); monitor one of: {available}."));
            }

            base.CheckBeforeFit(keys);
        }
    }
}
