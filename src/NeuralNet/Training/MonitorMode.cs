namespace NeuralNet.Training;

/// <summary>Whether a monitored quantity improves by decreasing or increasing (Keras' <c>mode</c>).</summary>
public enum MonitorMode
{
    /// <summary>
    /// Inferred from the name, as the direction of Keras' metrics: names ending in <c>loss</c> decrease; otherwise names
    /// containing <c>acc</c>, <c>auc</c>, <c>precision</c>, <c>recall</c>, <c>f1</c>, <c>fbeta</c>, <c>r2_score</c> or
    /// <c>io_u</c> increase, everything else decreases.
    /// </summary>
    Auto,

    /// <summary>Lower is better (losses).</summary>
    Min,

    /// <summary>Higher is better (accuracies).</summary>
    Max,
}
