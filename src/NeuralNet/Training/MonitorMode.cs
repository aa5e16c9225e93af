namespace NeuralNet.Training;

/// <summary>Whether a monitored quantity improves by decreasing or increasing (Keras' <c>mode</c>).</summary>
public enum MonitorMode
{
    /// <summary>Inferred from the name: accuracy-like quantities (containing <c>acc</c>, <c>auc</c>, <c>precision</c>, <c>recall</c>, <c>f1</c>) increase, everything else decreases.</summary>
    Auto,

    /// <summary>Lower is better (losses).</summary>
    Min,

    /// <summary>Higher is better (accuracies).</summary>
    Max,
}
