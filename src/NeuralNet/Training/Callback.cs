using NeuralNet.Models;

namespace NeuralNet.Training;

/// <summary>
/// Hooks into <c>Model.Fit</c>, <c>Model.Evaluate</c> and <c>Model.Predict</c>: override the events you need (Keras'
/// <c>keras.callbacks.Callback</c>).
/// </summary>
/// <remarks>
/// <para>Order per training run: <see cref="OnTrainBegin"/>; per epoch <see cref="OnEpochBegin"/>, then per batch
/// <see cref="OnBatchBegin"/> and <see cref="OnBatchEnd"/>, then with validation <see cref="OnTestBegin"/> and
/// <see cref="OnTestEnd"/> around it (and <see cref="OnTestBatchBegin"/> and <see cref="OnTestBatchEnd"/> around each of its batches),
/// then <see cref="OnEpochEnd"/>; finally <see cref="OnTrainEnd"/>. Callbacks run in the order given.</para>
/// <para><c>Evaluate</c> calls <see cref="OnTestBegin"/>, the test-batch events, then <see cref="OnTestEnd"/>;
/// <c>Predict</c> calls <see cref="OnPredictBegin"/>, <see cref="OnPredictBatchBegin"/> and
/// <see cref="OnPredictBatchEnd"/> per batch, then <see cref="OnPredictEnd"/>. Set <c>Model.StopEvaluating</c> or
/// <c>Model.StopPredicting</c> to end those after the current batch, as Keras 3 does.</para>
/// <para>Logs map Keras names to values: batch-end logs hold the running epoch means of <c>loss</c> and every metric
/// (batch-begin logs are empty, as in Keras);
/// epoch logs add <c>val_loss</c> and <c>val_</c>-prefixed metrics when there is validation data. Logs are only
/// valid during the call (batch logs are reused). Set <c>Model.StopTraining = true</c> to stop after the current batch.</para>
/// </remarks>
public abstract class Callback
{
    /// <summary>The model being trained; set by <c>Fit</c> before <see cref="OnTrainBegin"/>.</summary>
    public Model? Model { get; internal set; }

    /// <summary>Called once before the first epoch.</summary>
    /// <param name="logs">Empty.</param>
    public virtual void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called once after the last epoch, or when training stops early (not when it is cancelled or fails).</summary>
    /// <param name="logs">The logs of the last epoch.</param>
    public virtual void OnTrainEnd(IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called at the start of each epoch.</summary>
    /// <param name="epoch">The 0-based epoch index.</param>
    /// <param name="logs">Empty.</param>
    public virtual void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called at the end of each epoch, after validation.</summary>
    /// <param name="epoch">The 0-based epoch index.</param>
    /// <param name="logs">The epoch's loss and metrics, and the validation ones.</param>
    public virtual void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called when <c>Evaluate</c> starts, and before the validation that follows an epoch in <c>Fit</c> (Keras' <c>on_test_begin</c>).</summary>
    /// <param name="logs">Empty.</param>
    public virtual void OnTestBegin(IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called when <c>Evaluate</c> has run its batches, and after <c>Fit</c>'s validation, before <see cref="OnEpochEnd"/> (Keras' <c>on_test_end</c>).</summary>
    /// <param name="logs">The loss and metrics of the evaluation (in <c>Fit</c>, the validation's, under their names without the <c>val_</c> prefix).</param>
    public virtual void OnTestEnd(IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called before each batch of <c>Evaluate</c> and of <c>Fit</c>'s validation (Keras' <c>on_test_batch_begin</c>).</summary>
    /// <param name="batch">The 0-based batch index within the evaluation.</param>
    /// <param name="logs">Empty, as in Keras.</param>
    public virtual void OnTestBatchBegin(int batch, IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called after each batch of <c>Evaluate</c> and of <c>Fit</c>'s validation (Keras' <c>on_test_batch_end</c>).</summary>
    /// <param name="batch">The 0-based batch index within the evaluation.</param>
    /// <param name="logs">The running means of the loss (weight penalties included) and the metrics over the evaluation so
    /// far, under their names without a <c>val_</c> prefix; reused for the next batch.</param>
    public virtual void OnTestBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called when <c>Predict</c> starts (Keras' <c>on_predict_begin</c>).</summary>
    /// <param name="logs">Empty.</param>
    public virtual void OnPredictBegin(IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called when <c>Predict</c> has run its batches (Keras' <c>on_predict_end</c>).</summary>
    /// <param name="logs">Empty.</param>
    public virtual void OnPredictEnd(IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called before each batch of <c>Predict</c> (Keras' <c>on_predict_batch_begin</c>).</summary>
    /// <param name="batch">The 0-based batch index.</param>
    /// <param name="logs">Empty.</param>
    public virtual void OnPredictBatchBegin(int batch, IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called after each batch of <c>Predict</c> (Keras' <c>on_predict_batch_end</c>, whose logs hold <c>outputs</c>).</summary>
    /// <param name="batch">The 0-based batch index.</param>
    /// <param name="outputs">The batch's predictions, one tensor (batch rows, ...) per output in output order: views of
    /// the result <c>Predict</c> returns (or of memory it reuses), valid during the call only; copy what you keep.</param>
    public virtual void OnPredictBatchEnd(int batch, IReadOnlyList<Tensor> outputs)
    {
    }

    /// <summary>Called before each training batch.</summary>
    /// <param name="batch">The 0-based batch index within the epoch.</param>
    /// <param name="logs">Empty, as in Keras (which passes none): the running means are in <see cref="OnBatchEnd"/>'s logs.</param>
    public virtual void OnBatchBegin(int batch, IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>Called after each training step.</summary>
    /// <param name="batch">The 0-based batch index within the epoch.</param>
    /// <param name="logs">The running means of the loss and metrics over the epoch so far, including this batch.</param>
    public virtual void OnBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
    }

    /// <summary>
    /// Whether the trainer writes <c>learning_rate</c> (the rate before this callback acted) into the epoch's logs right after this callback's
    /// <see cref="OnEpochEnd"/>, where the callbacks after it, <see cref="History"/> and <see cref="CsvLogger"/> see it
    /// (Keras 3's <c>LearningRateScheduler</c> and <c>ReduceLROnPlateau</c> add it to the logs).
    /// </summary>
    internal virtual bool LogsLearningRate => false;

    /// <summary>
    /// Called when a run is over: in <c>Fit</c> when the epochs are (run, or stopped), before it gives the parameters their
    /// moving averages and calls <see cref="OnTrainEnd"/>; in <c>Evaluate</c> and <c>Predict</c> after their end events;
    /// and when an exception or a cancellation ends any of them, before it leaves. A callback that changed the model for a
    /// while puts it back here.
    /// </summary>
    internal virtual void OnRunOver()
    {
    }

    /// <summary>
    /// Checks, before <c>Evaluate</c> or <c>Predict</c> calls any callback's first event, that this callback can run on
    /// <paramref name="model"/>; throws otherwise, so that nothing has begun when a callback is refused.
    /// </summary>
    internal virtual void CheckRun(Model model)
    {
    }

    /// <summary>
    /// Checks, before training starts, that this callback can run: that what it reads will be in the epoch logs
    /// <paramref name="keys"/> (those of the compiled model, its validation, and the callbacks before this one) and that the
    /// model (<see cref="Model"/>, set by then) is one it can act on; throws otherwise, so that a misspelt key or a model
    /// the callback cannot save or adjust fails before the first epoch trains rather than after it.
    /// </summary>
    internal virtual void CheckBeforeFit(IReadOnlySet<string> keys)
    {
    }

    /// <summary>
    /// The epoch-log keys that this <c>Fit</c> writes after some epochs only (the <c>val_</c> quantities with a
    /// <c>validationFreq</c> above 1); set by the trainer before <see cref="CheckBeforeFit"/>.
    /// </summary>
    internal IReadOnlySet<string> IntermittentLogKeys { get; set; } = new HashSet<string>();
}
