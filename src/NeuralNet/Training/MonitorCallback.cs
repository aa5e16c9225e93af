namespace NeuralNet.Training;

/// <summary>
/// A callback that watches one logged quantity and judges improvements of it (Keras 3's <c>MonitorCallback</c>): the base
/// of <see cref="EarlyStopping"/>, <see cref="ReduceLROnPlateau"/> and <see cref="ModelCheckpoint"/>, and of callbacks of
/// your own that act when a quantity improves or stalls.
/// </summary>
/// <remarks>
/// In <see cref="MonitorMode.Auto"/> the direction comes from the compiled model, as in Keras 3: a quantity whose name ends
/// in <c>loss</c> (the loss, a per-output loss such as <c>val_accel_loss</c>) should decrease, and a metric's should move
/// the way its <see cref="Metric.Direction"/> says (accuracies up, errors down). It is settled when <c>Fit</c> starts, so
/// a callback reused on another model follows that model's metrics; a quantity with no known direction (a metric of your
/// own that declares none, <c>learning_rate</c>) makes <c>Fit</c> throw before training rather than guess.
/// </remarks>
public abstract class MonitorCallback : Callback
{
    private bool? _maximizes;

    /// <summary>Validates and stores the monitored quantity, the mode and the smallest improvement.</summary>
    /// <param name="monitor">The logged quantity to watch (<c>val_loss</c>, <c>val_accuracy</c>, <c>loss</c>, ...).</param>
    /// <param name="mode">Whether the quantity should decrease or increase; <see cref="MonitorMode.Auto"/> takes it from the compiled loss or metric.</param>
    /// <param name="minDelta">The amount by which a value must beat the reference to count as an improvement; non-negative and finite.</param>
    /// <exception cref="ArgumentException"><paramref name="monitor"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mode"/> is not defined, or <paramref name="minDelta"/> is negative or not finite.</exception>
    protected MonitorCallback(string monitor, MonitorMode mode, double minDelta)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(monitor);
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "mode must be Auto, Min or Max.");
        }

        if (!(minDelta >= 0) || double.IsInfinity(minDelta))
        {
            throw new ArgumentOutOfRangeException(nameof(minDelta), minDelta, "minDelta must be non-negative and finite.");
        }

        Monitor = monitor;
        Mode = mode;
        ImprovementThreshold = minDelta;
        _maximizes = mode switch
        {
            MonitorMode.Min => false,
            MonitorMode.Max => true,
            _ => IsLoss(monitor) ? false : null,
        };
    }

    /// <summary>The watched epoch log (<c>val_loss</c>, <c>val_accuracy</c>, ...).</summary>
    public string Monitor { get; }

    /// <summary>Whether the monitored quantity improves by decreasing or increasing, as configured.</summary>
    public MonitorMode Mode { get; }

    /// <summary>
    /// Whether an improvement is an increase: from <see cref="Mode"/>, or in Auto mode from the name or the direction of the
    /// model's metric (settled when <c>Fit</c> starts, or at first use from <see cref="Callback.Model"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">In Auto mode, the direction of the monitored quantity is not known.</exception>
    protected bool Maximizes => _maximizes ?? ResolveDirection();

    /// <summary>The amount by which a value must beat the reference to count as an improvement.</summary>
    protected double ImprovementThreshold { get; }

    /// <summary>Reads the monitored value from <paramref name="logs"/>.</summary>
    /// <param name="logs">The epoch's logs.</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidOperationException">The quantity is not in the logs; the message lists the ones that are.</exception>
    protected double ReadMonitor(IReadOnlyDictionary<string, double> logs) =>
        TryReadMonitor(logs, out double value) ? value : throw MissingMonitor(logs);

    /// <summary>
    /// Reads the monitored value from <paramref name="logs"/>, or returns false when this epoch has none because it is a
    /// <c>val_</c> quantity and <c>Fit</c> validates only every n-th epoch (<c>validationFreq</c>): the callback then skips
    /// the epoch, as Keras' callbacks do when the monitored value is missing.
    /// </summary>
    /// <param name="logs">The epoch's logs.</param>
    /// <param name="value">The value, when present.</param>
    /// <returns>Whether the value is in this epoch's logs.</returns>
    /// <exception cref="InvalidOperationException">The quantity is missing although it should be there; the message lists the ones that are.</exception>
    protected bool TryReadMonitor(IReadOnlyDictionary<string, double> logs, out double value)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (logs.TryGetValue(Monitor, out value))
        {
            return true;
        }

        return IntermittentLogKeys.Contains(Monitor) ? false : throw MissingMonitor(logs);
    }

    private InvalidOperationException MissingMonitor(IReadOnlyDictionary<string, double> logs)
    {
        string available = string.Join(", ", logs.Keys);
        return new InvalidOperationException($"{GetType().Name} monitors '{Monitor}', which is not in the logs. Available: {available}. (val_ quantities need validationSplit or validationData.)");
    }

    /// <inheritdoc/>
    internal override void CheckBeforeFit(IReadOnlySet<string> keys)
    {
        if (!keys.Contains(Monitor))
        {
            string available = string.Join(", ", keys.Order(StringComparer.Ordinal));
            throw new InvalidOperationException($"{GetType().Name} monitors '{Monitor}', which will not be in the epoch logs. They will hold: {available}. (val_ quantities need validationSplit or validationData.)");
        }

        // Settled again for every Fit: the same callback may watch another model whose metric of that name goes the other way.
        if (Mode == MonitorMode.Auto && !IsLoss(Monitor))
        {
            _maximizes = null;
            ResolveDirection();
        }
    }

    /// <summary>
    /// Whether <paramref name="value"/> beats <paramref name="reference"/> by more than <see cref="ImprovementThreshold"/> in
    /// the monitored direction; any number beats no reference, and NaN never improves (as in Keras, where NaN compares false
    /// with the best so far), so a diverged epoch cannot become the best one.
    /// </summary>
    /// <param name="value">The new value.</param>
    /// <param name="reference">The best value so far (or a baseline); null when there is none yet.</param>
    protected bool IsImprovement(double value, double? reference)
    {
        if (double.IsNaN(value))
        {
            return false;
        }

        if (reference is not double r)
        {
            return true;
        }

        return Maximizes ? value - ImprovementThreshold > r : value + ImprovementThreshold < r;
    }

    private static bool IsLoss(string monitor) => monitor.EndsWith("loss", StringComparison.Ordinal);

    private bool ResolveDirection()
    {
        MetricDirection direction = Model?.LogDirection(Monitor) ?? MetricDirection.Unknown;
        if (direction == MetricDirection.Unknown)
        {
            string why = Model is null
                ? "the callback is not attached to a model yet"
                : $"no loss or metric of model '{Model.Name}' compiled with a known direction is logged under that name (a metric of your own can declare one by overriding Metric.Direction)";
            throw new InvalidOperationException($"{GetType().Name} monitors '{Monitor}' in MonitorMode.Auto, but whether it should increase or decrease is unknown: {why}. Pass mode: MonitorMode.Max to keep the highest value or MonitorMode.Min to keep the lowest.");
        }

        bool maximizes = direction == MetricDirection.Up;
        _maximizes = maximizes;
        return maximizes;
    }
}
