namespace NeuralNet.Training;

/// <summary>Shared helpers for callbacks that watch a logged quantity.</summary>
internal static class Monitor
{
    /// <summary>Resolves <see cref="MonitorMode.Auto"/> from the monitored name.</summary>
    public static bool Maximizes(string monitor, MonitorMode mode) => mode switch
    {
        MonitorMode.Min => false,
        MonitorMode.Max => true,
        _ => IsAccuracyLike(monitor),
    };

    /// <summary>Reads the monitored value from epoch logs, or throws naming the available keys.</summary>
    public static double Read(IReadOnlyDictionary<string, double> logs, string monitor, string callback)
    {
        if (logs.TryGetValue(monitor, out double value))
        {
            return value;
        }

        string available = string.Join(", ", logs.Keys);
        throw new InvalidOperationException($"{callback} monitors '{monitor}', which is not in the logs. Available: {available}. (val_ quantities need validationSplit or validationData.)");
    }

    private static bool IsAccuracyLike(string monitor)
    {
        string name = monitor.StartsWith("val_", StringComparison.Ordinal) ? monitor[4..] : monitor;
        return name.Contains("acc", StringComparison.OrdinalIgnoreCase)
            || name.Contains("auc", StringComparison.OrdinalIgnoreCase)
            || name.Contains("precision", StringComparison.OrdinalIgnoreCase)
            || name.Contains("recall", StringComparison.OrdinalIgnoreCase)
            || name.Contains("f1", StringComparison.OrdinalIgnoreCase);
    }
}
