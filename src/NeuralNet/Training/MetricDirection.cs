namespace NeuralNet.Training;

/// <summary>
/// Which way a metric improves (Keras' metric <c>_direction</c>): what <see cref="MonitorMode.Auto"/> reads to decide
/// whether <see cref="EarlyStopping"/>, <see cref="ReduceLROnPlateau"/> and <see cref="ModelCheckpoint"/> should look for
/// an increase or a decrease.
/// </summary>
public enum MetricDirection
{
    /// <summary>Not declared: a callback in <see cref="MonitorMode.Auto"/> monitoring it refuses to guess and asks for a mode.</summary>
    Unknown,

    /// <summary>Higher is better (accuracies, AUC, precision, recall, F-scores, R², IoU).</summary>
    Up,

    /// <summary>Lower is better (losses, errors).</summary>
    Down,
}
