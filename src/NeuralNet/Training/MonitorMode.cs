namespace NeuralNet.Training;

/// <summary>Whether a monitored quantity improves by decreasing or increasing (Keras' <c>mode</c>).</summary>
public enum MonitorMode
{
    /// <summary>
    /// Settled from the compiled model when <c>Fit</c> starts, as in Keras 3: names ending in <c>loss</c> decrease, and a
    /// metric moves the way its <see cref="Metric.Direction"/> says; a quantity with no known direction makes <c>Fit</c>
    /// throw before training.
    /// </summary>
    Auto,

    /// <summary>Lower is better (losses).</summary>
    Min,

    /// <summary>Higher is better (accuracies).</summary>
    Max,
}
