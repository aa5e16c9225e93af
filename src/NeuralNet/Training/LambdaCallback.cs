namespace NeuralNet.Training;

/// <summary>
/// A callback made of delegates, for one-off behaviour (Keras' <c>LambdaCallback</c>).
/// </summary>
/// <example>
/// Stop when the training loss falls below 0.20 (experiment E3.5):
/// <code>
/// var stop = new LambdaCallback(onEpochEnd: (epoch, logs) =>
/// {
///     if (logs["loss"] &lt; 0.20) model.StopTraining = true;
/// });
/// </code>
/// </example>
public sealed class LambdaCallback : Callback
{
    private readonly Action<IReadOnlyDictionary<string, double>>? _onTrainBegin;
    private readonly Action<IReadOnlyDictionary<string, double>>? _onTrainEnd;
    private readonly Action<int, IReadOnlyDictionary<string, double>>? _onEpochBegin;
    private readonly Action<int, IReadOnlyDictionary<string, double>>? _onEpochEnd;
    private readonly Action<int, IReadOnlyDictionary<string, double>>? _onBatchBegin;
    private readonly Action<int, IReadOnlyDictionary<string, double>>? _onBatchEnd;

    /// <summary>Creates the callback; every delegate is optional.</summary>
    /// <param name="onEpochBegin">Called with the 0-based epoch and empty logs.</param>
    /// <param name="onEpochEnd">Called with the 0-based epoch and the epoch logs.</param>
    /// <param name="onBatchBegin">Called with the 0-based batch and empty logs (as Keras, which passes none).</param>
    /// <param name="onBatchEnd">Called with the 0-based batch and the running logs.</param>
    /// <param name="onTrainBegin">Called with empty logs.</param>
    /// <param name="onTrainEnd">Called with the last epoch's logs.</param>
    public LambdaCallback(
        Action<int, IReadOnlyDictionary<string, double>>? onEpochBegin = null,
        Action<int, IReadOnlyDictionary<string, double>>? onEpochEnd = null,
        Action<int, IReadOnlyDictionary<string, double>>? onBatchBegin = null,
        Action<int, IReadOnlyDictionary<string, double>>? onBatchEnd = null,
        Action<IReadOnlyDictionary<string, double>>? onTrainBegin = null,
        Action<IReadOnlyDictionary<string, double>>? onTrainEnd = null)
    {
        _onEpochBegin = onEpochBegin;
        _onEpochEnd = onEpochEnd;
        _onBatchBegin = onBatchBegin;
        _onBatchEnd = onBatchEnd;
        _onTrainBegin = onTrainBegin;
        _onTrainEnd = onTrainEnd;
    }

    /// <inheritdoc/>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => _onTrainBegin?.Invoke(logs);

    /// <inheritdoc/>
    public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs) => _onTrainEnd?.Invoke(logs);

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => _onEpochBegin?.Invoke(epoch, logs);

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => _onEpochEnd?.Invoke(epoch, logs);

    /// <inheritdoc/>
    public override void OnBatchBegin(int batch, IReadOnlyDictionary<string, double> logs) => _onBatchBegin?.Invoke(batch, logs);

    /// <inheritdoc/>
    public override void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => _onBatchEnd?.Invoke(batch, logs);
}
