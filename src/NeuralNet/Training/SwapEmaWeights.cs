using NeuralNet.Optimizers;

namespace NeuralNet.Training;

/// <summary>
/// Keras' <c>SwapEMAWeights</c> callback: with an optimizer that keeps moving averages (<see cref="Optimizer.UseEma"/>),
/// the validation after each epoch runs on the averaged weights, and the training weights come back after it; given to
/// <c>Evaluate</c> or <c>Predict</c>, it runs them on the averaged weights the same way. The swap is in place (each weight
/// exchanged with its average), so it costs no memory and restores both exactly.
/// </summary>
/// <remarks>
/// <para>With <see cref="SwapOnEpoch"/>, the averaged weights also stay in the model from the end of each epoch to the
/// start of the next, so that the callbacks after this one (place <see cref="ModelCheckpoint"/> after it) see and save
/// them; training goes on from the training weights. After the last epoch the model holds the averaged weights, as
/// <c>Fit</c> leaves it with <see cref="Optimizer.UseEma"/> anyway.</para>
/// <para>Differences from Keras: a missing <see cref="Optimizer.UseEma"/> is refused when training begins, not at the
/// first validation; a run stopped early with <see cref="SwapOnEpoch"/> ends with the averaged weights (Keras 3 then
/// leaves the training weights in the model, since it prepares the final swap only after the last epoch's index).
/// In <c>Evaluate</c> and <c>Predict</c> it is refused before any callback begins (Keras raises in its own begin event),
/// also when the optimizer has not stepped yet and so has no averages;
/// after <c>Predict</c> the training weights come back (Keras 3's <c>on_predict_end</c> leaves the averages in the model).</para>
/// <para>While the averaged weights are swapped in, the optimizer's averages hold the training weights: a checkpoint
/// saved then (with its optimizer state) resumes training from the averaged weights, as in Keras. So with
/// <see cref="SwapOnEpoch"/>, put <see cref="BackupAndRestore"/> before this callback (after the callbacks that change
/// the learning rate), so that its backups hold the training weights, and <see cref="ModelCheckpoint"/> after it, to save
/// the averaged ones. If <c>Fit</c> ends by an exception or a cancellation, the training weights are put back before it
/// rethrows.</para>
/// </remarks>
/// <example><c>model.Compile(new SGD { UseEma = true }, ...); model.Fit(x, y, validationSplit: 0.1, callbacks: [new SwapEmaWeights()]);</c></example>
/// <param name="swapOnEpoch">Whether the averaged weights also stay in the model between epochs (Keras' <c>swap_on_epoch</c>).</param>
public sealed class SwapEmaWeights(bool swapOnEpoch = false) : Callback
{
    private readonly List<Parameter> _swapped = [];
    private bool _averagesInModel;

    /// <summary>Whether the averaged weights also stay in the model between epochs (Keras' <c>swap_on_epoch</c>).</summary>
    public bool SwapOnEpoch { get; } = swapOnEpoch;

    // Checked with the other callbacks' settings, before any callback's OnTrainBegin (a BackupAndRestore before this one
    // would already have restored its backup into the model).
    internal override void CheckBeforeFit(IReadOnlySet<string> keys) => RequireEma(Model, "Nothing was trained.");

    // Evaluate and Predict check every callback before any begins (Keras raises in on_test_begin / on_predict_begin,
    // also when the optimizer has made no averages yet: they exist once it has stepped).
    internal override void CheckRun(Models.Model model)
    {
        RequireEma(model, "Nothing was evaluated or predicted.");
        if (model.Optimizer!.StepCount == 0)
        {
            throw new InvalidOperationException($"SwapEmaWeights has no moving averages to swap in: the optimizer {model.Optimizer.GetType().Name} has not stepped yet (train the model, or load its optimizer state, first). Nothing was evaluated or predicted.");
        }
    }

    private static void RequireEma(Models.Model? model, string consequence)
    {
        if (model?.Optimizer is not { UseEma: true })
        {
            string optimizer = model?.Optimizer is { } o ? $"the model's optimizer {o.GetType().Name} has UseEma = false" : "the model has no optimizer (it is not compiled)";
            throw new InvalidOperationException($"SwapEmaWeights must be used with an optimizer that sets UseEma = true; {optimizer}. {consequence}");
        }
    }

    /// <inheritdoc/>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        // Fit swaps the training weights back whenever it ends, normally or by an exception (OnRunOver).
        _averagesInModel = false;
        _swapped.Clear();
    }

    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (SwapOnEpoch)
        {
            SwapTo(averages: false);
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (SwapOnEpoch)
        {
            SwapTo(averages: true);
        }
    }

    /// <inheritdoc/>
    public override void OnTestBegin(IReadOnlyDictionary<string, double> logs)
    {
        SwapTo(averages: true);
    }

    /// <inheritdoc/>
    public override void OnTestEnd(IReadOnlyDictionary<string, double> logs)
    {
        SwapTo(averages: false);
    }

    /// <inheritdoc/>
    public override void OnPredictBegin(IReadOnlyDictionary<string, double> logs)
    {
        SwapTo(averages: true);
    }

    /// <inheritdoc/>
    public override void OnPredictEnd(IReadOnlyDictionary<string, double> logs)
    {
        SwapTo(averages: false);
    }

    // Fit then gives every parameter its average (or, after an exception or a cancellation, rethrows), and an Evaluate or
    // Predict returns: the training weights must be back in the model and the averages in the optimizer, however the run ended.
    internal override void OnRunOver()
    {
        SwapTo(averages: false);
    }

    // In: every trainable parameter that has an average, recorded; back: exactly those, whatever was frozen or unfrozen
    // in between (Keras swaps the optimizer's fixed list of trainable variables).
    // Does nothing when the model already holds them, so every event asks for the state it needs.
    private void SwapTo(bool averages)
    {
        if (_averagesInModel == averages)
        {
            return;
        }

        Models.Model model = Model!;
        Optimizer optimizer = model.Optimizer!;
        if (averages)
        {
            foreach (Parameter parameter in model.Parameters)
            {
                if (parameter.Trainable && optimizer.SwapAverage(parameter))
                {
                    _swapped.Add(parameter);
                }
            }
        }
        else
        {
            foreach (Parameter parameter in _swapped)
            {
                optimizer.SwapAverage(parameter);
            }

            _swapped.Clear();
        }

        _averagesInModel = averages;
    }
}
