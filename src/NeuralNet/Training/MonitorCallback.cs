namespace NeuralNet.Training;

/// <summary>
/// A callback that watches one logged quantity and judges improvements of it (Keras 3's <c>MonitorCallback</c>): the base
/// of <see cref="EarlyStopping"/>, <see cref="ReduceLROnPlateau"/> and <see cref="ModelCheckpoint"/>, and of callbacks of
/// your own that act when a quantity improves or stalls.
/// </summary>
/// <remarks>
/// In <see cref="MonitorMode.Auto"/> a quantity whose name ends in <c>loss</c> (the loss, a per-output loss such as
/// <c>val_accel_loss</c>) should decrease; otherwise one whose name (after a <c>val_</c> prefix) contains <c>acc</c>,
/// <c>auc</c>, <c>precision</c>, <c>recall</c>, <c>f1</c>, <c>fbeta</c>, <c>r2_score</c> or <c>io_u</c> should increase,
/// and anything else (errors) should decrease.
/// </remarks>
public abstract class MonitorCallback : Callback
{
    /// <summary>Validates and stores the monitored quantity, the mode and the smallest improvement.</summary>
    /// <param name="monitor">The logged quantity to watch (<c>val_loss</c>, <c>val_accuracy</c>, <c>loss</c>, ...).</param>
    /// <param name="mode">Whether the quantity should decrease or increase; <see cref="MonitorMode.Auto"/> infers it from the name.</param>
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
        Maximizes = mode switch
        {
            MonitorMode.Min => false,
            MonitorMode.Max => true,
            _ => IsAccuracyLike(monitor),
        };
    }

    /// <summary>The watched epoch log (<c>val_loss</c>, <c>val_accuracy</c>, ...).</summary>
    public string Monitor { get; }

    /// <summary>Whether the monitored quantity improves by decreasing or increasing, as configured.</summary>
    public MonitorMode Mode { get; }

    /// <summary>Whether an improvement is an increase (resolved from <see cref="Mode"/> and, in Auto mode, the name).</summary>
    protected bool Maximizes { get; }

    /// <summary>The amount by which a value must beat the reference to count as an improvement.</summary>
    protected double ImprovementThreshold { get; }

    /// <summary>Reads the monitored value from <paramref name="logs"/>.</summary>
    /// <param name="logs">The epoch's logs.</param>
    /// <returns>The value.</returns>
    /// <exception cref="InvalidOperationException">The quantity is not in the logs; the message lists the ones that are.</exception>
    protected double ReadMonitor(IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (logs.TryGetValue(Monitor, out double value))
        {
            return value;
        }

        string available = string.Join(", ", logs.Keys);
        throw new InvalidOperationException($"{GetType().Name} monitors '{Monitor}', which is not in the logs. Available: {available}. (val_ quantities need validationSplit or validationData.)");
    }

    /// <inheritdoc/>
    internal override void CheckEpochLogKeys(IReadOnlySet<string> keys)
    {
        if (!keys.Contains(Monitor))
        {
            string available = string.Join(", ", keys.Order(StringComparer.Ordinal));
            throw new InvalidOperationException($"{GetType().Name} monitors '{Monitor}', which will not be in the epoch logs. They will hold: {available}. (val_ quantities need validationSplit or validationData.)");
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

    private static bool IsAccuracyLike(string monitor)
    {
        // Losses first: the substrings below would otherwise claim an output's loss by its name ("val_accel_loss").
        if (monitor.EndsWith("loss", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string name = monitor.StartsWith("val_", StringComparison.Ordinal) ? monitor[4..] : monitor;
        return name.Contains("acc", StringComparison.OrdinalIgnoreCase)
            || name.Contains("auc", StringComparison.OrdinalIgnoreCase)
            || name.Contains("precision", StringComparison.OrdinalIgnoreCase)
            || name.Contains("recall", StringComparison.OrdinalIgnoreCase)
            || name.Contains("f1", StringComparison.OrdinalIgnoreCase)
            || name.Contains("fbeta", StringComparison.OrdinalIgnoreCase)
            || name.Contains("r2_score", StringComparison.OrdinalIgnoreCase)
            || name.Contains("io_u", StringComparison.OrdinalIgnoreCase);
    }
}
