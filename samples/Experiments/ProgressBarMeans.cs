using NeuralNet.Training;

namespace NeuralNet.Experiments;

/// <summary>
/// Computes, for each epoch, the figure Keras 3's <c>fit</c> progress bar (verbose 1) prints for a training metric.
/// </summary>
/// <remarks>
/// Keras 3 hands its progress bar the running means of the epoch after every batch, and the bar averages what it is
/// given once more, so the training loss and accuracy it prints are the mean of the epoch's running means, not the
/// epoch's value that History records and callbacks receive (keras-team/keras#20212 for fit, #21301 for evaluate).
/// Validation figures are handed over once per epoch and print as they are. The documents that quote fit's log for a
/// training accuracy (E0.3, E3.1, E3.6) quote this mean, so it is what our run is compared with there. Keras' bar also
/// adds the epoch's final value once more at the end, which moves the mean by less than 1/(batches + 1) of the
/// difference; we leave it out.
/// </remarks>
internal sealed class ProgressBarMeans(params string[] keys) : Callback
{
    private readonly double[] _sums = new double[keys.Length];
    private readonly List<double[]> _epochs = [];
    private int _batches;

    /// <summary>The mean of <paramref name="key"/>'s running means over the batches of <paramref name="epoch"/> (1-based).</summary>
    public double At(string key, int epoch)
    {
        int index = Array.IndexOf(keys, key);
        if (index < 0 || epoch < 1 || epoch > _epochs.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(key), $"No progress-bar mean of '{key}' for epoch {epoch}: tracked [{string.Join(", ", keys)}] over {_epochs.Count} epoch(s).");
        }

        return _epochs[epoch - 1][index];
    }

    /// <summary>The value for the last epoch trained.</summary>
    public double Last(string key) => At(key, _epochs.Count);

    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        Array.Clear(_sums);
        _batches = 0;
    }

    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        for (int i = 0; i < keys.Length; i++)
        {
            _sums[i] += logs[keys[i]];
        }

        _batches++;
    }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) =>
        _epochs.Add(_sums.Select(s => s / Math.Max(1, _batches)).ToArray());
}
