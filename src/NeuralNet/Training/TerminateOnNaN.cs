using System.Globalization;

namespace NeuralNet.Training;

/// <summary>
/// Stops training as soon as the loss of a batch is NaN or infinite, and reports where (Keras' <c>TerminateOnNaN</c>).
/// </summary>
/// <remarks>
/// The model keeps the weights of that step (which may already be non-finite); combine with a checkpoint to recover.
/// The message "Epoch 3, batch 17: invalid loss NaN, terminating training" goes to the output writer, and the position is
/// kept in <see cref="StoppedEpoch"/> and <see cref="StoppedBatch"/>.
/// </remarks>
public sealed class TerminateOnNaN : Callback
{
    private readonly TextWriter? _output;
    private int _epoch;

    /// <summary>Creates the callback.</summary>
    /// <param name="output">Where the message goes; <see cref="Console.Out"/> when null.</param>
    public TerminateOnNaN(TextWriter? output = null)
    {
        _output = output;
    }

    /// <summary>The 0-based epoch where the loss became non-finite in the last run, or -1.</summary>
    public int StoppedEpoch { get; private set; } = -1;

    /// <summary>The 0-based batch (within <see cref="StoppedEpoch"/>) where the loss became non-finite, or -1.</summary>
    public int StoppedBatch { get; private set; } = -1;

    /// <summary>The offending loss value (NaN or infinity), or null.</summary>
    public double? InvalidLoss { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        StoppedEpoch = -1;
        StoppedBatch = -1;
        InvalidLoss = null;
    }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _epoch = epoch;

    /// <inheritdoc/>
    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (logs.TryGetValue("loss", out double loss) && !double.IsFinite(loss))
        {
            StoppedEpoch = _epoch;
            StoppedBatch = batch;
            InvalidLoss = loss;
            (_output ?? Console.Out).WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Epoch {_epoch + 1}, batch {batch + 1}: invalid loss {(double.IsNaN(loss) ? "NaN" : loss > 0 ? "inf" : "-inf")}, terminating training"));
            Model!.StopTraining = true;
        }
    }
}
