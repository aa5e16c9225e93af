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
    private readonly Action<IReadOnlyDictionary<string, double>>? _onTestBegin;
    private readonly Action<IReadOnlyDictionary<string, double>>? _onTestEnd;
    private readonly Action<int, IReadOnlyDictionary<string, double>>? _onTestBatchEnd;
    private readonly Action<IReadOnlyDictionary<string, double>>? _onPredictBegin;
    private readonly Action<IReadOnlyDictionary<string, double>>? _onPredictEnd;
    private readonly Action<int, IReadOnlyList<Tensor>>? _onPredictBatchEnd;

    /// <summary>Creates the callback; every delegate is optional.</summary>
    /// <param name="onEpochBegin">Called with the 0-based epoch and empty logs.</param>
    /// <param name="onEpochEnd">Called with the 0-based epoch and the epoch logs.</param>
    /// <param name="onBatchBegin">Called with the 0-based batch and empty logs (as Keras, which passes none).</param>
    /// <param name="onBatchEnd">Called with the 0-based batch and the running logs.</param>
    /// <param name="onTrainBegin">Called with empty logs.</param>
    /// <param name="onTrainEnd">Called with the last epoch's logs.</param>
    /// <param name="onTestBegin">Called when <c>Evaluate</c> or <c>Fit</c>'s validation starts, with empty logs.</param>
    /// <param name="onTestEnd">Called with the evaluation's results (unprefixed).</param>
    /// <param name="onTestBatchEnd">Called with the 0-based evaluation batch and the running logs.</param>
    /// <param name="onPredictBegin">Called when <c>Predict</c> starts, with empty logs.</param>
    /// <param name="onPredictEnd">Called when <c>Predict</c> has run its batches, with empty logs.</param>
    /// <param name="onPredictBatchEnd">Called with the 0-based batch and its predictions (one tensor per output, valid during the call).</param>
    /// <remarks>Keras 3's <c>LambdaCallback</c> takes the test and predict events as keyword arguments; the batch-begin
    /// ones, whose logs are empty, are left to a class derived from <see cref="Callback"/>.</remarks>
    public LambdaCallback(
        Action<int, IReadOnlyDictionary<string, double>>? onEpochBegin = null,
        Action<int, IReadOnlyDictionary<string, double>>? onEpochEnd = null,
        Action<int, IReadOnlyDictionary<string, double>>? onBatchBegin = null,
        Action<int, IReadOnlyDictionary<string, double>>? onBatchEnd = null,
        Action<IReadOnlyDictionary<string, double>>? onTrainBegin = null,
        Action<IReadOnlyDictionary<string, double>>? onTrainEnd = null,
        Action<IReadOnlyDictionary<string, double>>? onTestBegin = null,
        Action<IReadOnlyDictionary<string, double>>? onTestEnd = null,
        Action<int, IReadOnlyDictionary<string, double>>? onTestBatchEnd = null,
        Action<IReadOnlyDictionary<string, double>>? onPredictBegin = null,
        Action<IReadOnlyDictionary<string, double>>? onPredictEnd = null,
        Action<int, IReadOnlyList<Tensor>>? onPredictBatchEnd = null)
    {
        _onEpochBegin = onEpochBegin;
        _onEpochEnd = onEpochEnd;
        _onBatchBegin = onBatchBegin;
        _onBatchEnd = onBatchEnd;
        _onTrainBegin = onTrainBegin;
        _onTrainEnd = onTrainEnd;
        _onTestBegin = onTestBegin;
        _onTestEnd = onTestEnd;
        _onTestBatchEnd = onTestBatchEnd;
        _onPredictBegin = onPredictBegin;
        _onPredictEnd = onPredictEnd;
        _onPredictBatchEnd = onPredictBatchEnd;
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

    /// <inheritdoc/>
    public override void OnTestBegin(IReadOnlyDictionary<string, double> logs) => _onTestBegin?.Invoke(logs);

    /// <inheritdoc/>
    public override void OnTestEnd(IReadOnlyDictionary<string, double> logs) => _onTestEnd?.Invoke(logs);

    /// <inheritdoc/>
    public override void OnTestBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => _onTestBatchEnd?.Invoke(batch, logs);

    /// <inheritdoc/>
    public override void OnPredictBegin(IReadOnlyDictionary<string, double> logs) => _onPredictBegin?.Invoke(logs);

    /// <inheritdoc/>
    public override void OnPredictEnd(IReadOnlyDictionary<string, double> logs) => _onPredictEnd?.Invoke(logs);

    /// <inheritdoc/>
    public override void OnPredictBatchEnd(int batch, IReadOnlyList<Tensor> outputs) => _onPredictBatchEnd?.Invoke(batch, outputs);
}
