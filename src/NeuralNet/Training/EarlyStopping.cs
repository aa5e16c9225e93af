using System.Globalization;

namespace NeuralNet.Training;

/// <summary>
/// Stops training when a monitored quantity has stopped improving (Keras 3 <c>EarlyStopping</c> semantics).
/// </summary>
/// <remarks>
/// An epoch improves when its value beats the best so far by more than <see cref="MinDelta"/>. After
/// <see cref="Patience"/> epochs without improvement (counted from the last improvement), training stops. With a
/// <see cref="Baseline"/>, the patience counter only restarts once the value also beats the baseline. With
/// <see cref="RestoreBestWeights"/>, the weights of the best epoch are put back when training ends (copied into
/// buffers kept by the callback, so no allocation per epoch after the first).
/// </remarks>
public sealed class EarlyStopping : MonitorCallback
{
    private readonly List<Tensor> _bestWeights = [];
    private readonly TextWriter? _output;
    private int _wait;
    private bool _haveBestWeights;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The logged quantity to watch (<c>val_loss</c>, <c>val_accuracy</c>, <c>loss</c>, ...).</param>
    /// <param name="minDelta">The smallest change that counts as an improvement; non-negative (its sign is ignored, as in Keras).</param>
    /// <param name="patience">The number of epochs without improvement after which training stops; non-negative.</param>
    /// <param name="mode">Whether the quantity should decrease or increase; <see cref="MonitorMode.Auto"/> takes it from the compiled loss or metric.</param>
    /// <param name="baseline">A value the quantity must beat before the patience counter restarts; null for none.</param>
    /// <param name="restoreBestWeights">Whether to restore the weights of the best epoch when training ends.</param>
    /// <param name="startFromEpoch">The number of warm-up epochs during which nothing is monitored.</param>
    /// <param name="verbose">When positive, writes "Epoch N: early stopping" and the restore message to <paramref name="output"/>.</param>
    /// <param name="output">Where messages go; <see cref="Console.Out"/> when null.</param>
    /// <exception cref="ArgumentException"><paramref name="monitor"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="patience"/> or <paramref name="startFromEpoch"/> is negative, <paramref name="minDelta"/> is not finite, or <paramref name="mode"/> is not defined.</exception>
    public EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, MonitorMode mode = MonitorMode.Auto,
        double? baseline = null, bool restoreBestWeights = false, int startFromEpoch = 0, int verbose = 0, TextWriter? output = null)
        : base(monitor, mode, double.IsFinite(minDelta) ? Math.Abs(minDelta) : throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "minDelta must be finite."))
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(startFromEpoch);
        Patience = patience;
        Baseline = baseline;
        RestoreBestWeights = restoreBestWeights;
        StartFromEpoch = startFromEpoch;
        Verbose = verbose;
        _output = output;
    }


    /// <summary>The smallest change that counts as an improvement.</summary>
    public double MinDelta => ImprovementThreshold;

    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; }


    /// <summary>The value to beat before the patience counter restarts, if any.</summary>
    public double? Baseline { get; }

    /// <summary>Whether the best weights are restored at the end.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>Epochs ignored at the start.</summary>
    public int StartFromEpoch { get; }

    /// <summary>Verbosity: 0 silent.</summary>
    public int Verbose { get; }

    /// <summary>The best value seen in the last run, or null.</summary>
    public double? Best { get; private set; }

    /// <summary>The 0-based epoch of <see cref="Best"/>.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The 0-based epoch at which training was stopped in the last run, or -1 when it was not stopped.</summary>
    public int StoppedEpoch { get; private set; } = -1;

    /// <inheritdoc/>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        _wait = 0;
        StoppedEpoch = -1;
        Best = null;
        BestEpoch = 0;

        // Keras sets best_weights = None: nothing from an earlier run (perhaps of another model) may be restored.
        _haveBestWeights = false;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (epoch < StartFromEpoch)
        {
            return;
        }

        // Keras returns before counting an epoch without the monitored value (one not validated).
        if (!TryReadMonitor(logs, out double current))
        {
            return;
        }

        if (RestoreBestWeights && !_haveBestWeights)
        {
            // As Keras: with no best weights yet (a NaN first value, say), this epoch's are the best so far.
            SaveWeights();
            BestEpoch = epoch;
        }

        _wait++;
        if (IsImprovement(current, Best))
        {
            Best = current;
            BestEpoch = epoch;
            if (RestoreBestWeights)
            {
                SaveWeights();
            }

            if (Baseline is null || IsImprovement(current, Baseline))
            {
                _wait = 0;
            }

            return;
        }

        if (_wait >= Patience && epoch > 0)
        {
            StoppedEpoch = epoch;
            Model!.StopTraining = true;
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs)
    {
        TextWriter output = _output ?? Console.Out;
        if (StoppedEpoch >= 0 && Verbose > 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Epoch {StoppedEpoch + 1}: early stopping"));
        }

        if (RestoreBestWeights && _haveBestWeights)
        {
            if (Verbose > 0)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Restoring model weights from the end of the best epoch: {BestEpoch + 1}."));
            }

            // In Parameters order, as CopyWeightsTo took them (SetWeights takes Keras' order, which differs inside some wrappers).
            Model!.RestoreWeights(_bestWeights);
        }
    }


    private void SaveWeights()
    {
        // The buffers may hold another model's weights (the callback reused for a second Fit): keep them only when every
        // shape matches, so a run on the same model still copies without allocating.
        IReadOnlyList<Parameter> parameters = Model!.Parameters;
        for (int i = 0; i < _bestWeights.Count; i++)
        {
            if (_bestWeights.Count != parameters.Count || _bestWeights[i].Shape != parameters[i].Shape)
            {
                _bestWeights.Clear();
                break;
            }
        }

        Model.CopyWeightsTo(_bestWeights);
        _haveBestWeights = true;
    }
}
