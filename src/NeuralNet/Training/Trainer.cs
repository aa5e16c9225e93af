using System.Collections.ObjectModel;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;

namespace NeuralNet.Training;

/// <summary>
/// Drives a compiled model: the training step (forward, losses and penalties, backward with the fused softmax +
/// cross-entropy gradient where it applies, penalty gradients, optimizer step), and the fit and evaluate loops with
/// their metrics, logs, progress and callbacks.
/// </summary>
/// <remarks>
/// Every buffer is created on the first batch of a given size and reused, so a step allocates nothing once warm.
/// The tensors of a batch arrive as one array: the model's inputs in order, then its targets in output order, then, when
/// <c>Fit</c> or <c>Evaluate</c> was given sample or class weights, one weight per sample (Keras' <c>sample_weight</c>), either
/// one tensor for every output or one tensor per output in output order (Keras' <c>sample_weight</c> by output name), where
/// a (batch, 1) tensor stands for an output without weights (<see cref="SampleWeights.None"/>, sliced with the batch as any other):
/// each output's loss becomes sum(weight × per-sample loss) / batch size (Keras' default reduction), and each sample's
/// gradient rows are scaled by its weight. Weights of more than one value per sample, (batch, ...), weigh each entry of the
/// losses' values (Keras' <c>sample_weight</c> broadcast to the loss values): the outputs then take the rows of a masked
/// output, each row with its weight.
/// A loss's reduction other than Keras' default scales both by one factor per batch (the number of entries for a sum,
/// batch / Σ weight for <c>mean_with_sample_weight</c>); masked outputs fold that factor into their row weights.
/// </remarks>
internal sealed class Trainer
{
    private readonly Model _model;
    private readonly GraphExecutor _executor;
    // The set a step trains, taken again at its start (ComputeGradients): a layer that gained parameters during Fit (LoRA
    // enabled from a callback) has them trained from the next step on.
    private ParameterSet _parameterSet;
    private readonly CompileSettings _settings;
    private readonly int _inputCount;
    private readonly bool[] _fused;
    private readonly bool[] _fusableLoss;
    private bool _sureMasksChecked;
    // Without a compiled loss: whether a pass has had a loss term (see RequireLossTerms); looked for until one has.
    private bool _lossTermsFound;
    private readonly Tensor?[] _gradientStorage;
    private readonly List<Tensor>?[] _otherLengthStorage;
    private readonly Tensor?[] _gradients;
    private readonly float[] _outputLosses;
    private readonly double[] _reductionScales;
    private float[] _perSampleLosses = [];
    private readonly MaskedOutput?[] _masked;
    private readonly MaskedOutput?[] _maskCache;
    private readonly EntryWeights?[] _entryWeights;

    public Trainer(Model model, GraphExecutor executor, CompileSettings settings)
    {
        _model = model;
        _executor = executor;
        _parameterSet = model.CurrentParameters();
        _settings = settings;
        _inputCount = executor.Graph.Inputs.Count;
        int outputs = executor.Graph.Outputs.Count;
        _fused = new bool[outputs];
        _fusableLoss = new bool[outputs];
        for (int k = 0; k < outputs; k++)
        {
            // The fused gradient pairs the loss with a final softmax over the last axis: not with classes on another axis.
            // Whether the output's layer ends with softmax is asked at each step (FuseOutputs): its activation may change.
            _fusableLoss[k] = settings.Losses[k] is ISoftmaxCrossEntropy { FromLogits: false } and not CategoricalCrossEntropy { Axis: not -1 };
        }

        _gradientStorage = new Tensor?[outputs];
        _otherLengthStorage = new List<Tensor>?[outputs];
        _gradients = new Tensor?[outputs];
        _outputLosses = new float[outputs];
        _reductionScales = new double[outputs];
        _masked = new MaskedOutput?[outputs];
        _maskCache = new MaskedOutput?[outputs];
        _entryWeights = new EntryWeights?[outputs];
    }

    /// <summary>The compile settings this trainer uses.</summary>
    public CompileSettings Settings => _settings;

    /// <summary>
    /// Which outputs are sure to carry a mask (an Embedding(maskZero) or Masking upstream), found once: the weight checks of
    /// every TrainOnBatch ask, and a warm call allocates nothing.
    /// </summary>
    public ReadOnlySpan<bool> SurelyMaskedOutputs => _surelyMasked ??= _executor.OutputsSurelyMasked();

    private bool[]? _surelyMasked;

    /// <summary>One training step on a batch (inputs, then targets): returns the total loss plus penalties; updates the metrics.</summary>
    public float TrainStep(ReadOnlySpan<Tensor> batch)
    {
        float loss = ComputeGradients(batch, updateMetrics: true, skipInputGradients: true);
        _settings.Optimizer.ParameterPath = _model.ParameterPathLookup;
        _settings.Optimizer.Step(_parameterSet.All);
        return loss;
    }

    /// <summary>
    /// Forward in training mode, the weighted losses plus penalties and the layers' added losses, and the backward pass with
    /// the penalties' gradients (each layer that added a loss adds its gradient in its own backward pass):
    /// every parameter's gradient holds dLoss/dParameter afterwards. Returns the loss. With
    /// <paramref name="skipInputGradients"/> (a training step, whose optimizer step reads only the parameters' gradients),
    /// the pass leaves out the input gradients <see cref="Model.ComputesInputGradients"/> asks for.
    /// </summary>
    public float ComputeGradients(ReadOnlySpan<Tensor> batch, bool updateMetrics, bool skipInputGradients)
    {
        // Before the forward pass: a refused step must not have moved a moving statistic or a random stream.
        _executor.RequireInputGradients("a training step", skipInputGradients);
        _parameterSet = _model.CurrentParameters();
        ReadOnlySpan<Tensor> inputs = batch[.._inputCount];
        ReadOnlySpan<Tensor> targets = batch.Slice(_inputCount, _outputLosses.Length);
        if (!_settings.HasCompiledLoss && !_lossTermsFound)
        {
            // A training pass moves moving statistics and random streams: the terms are looked for in an inference pass
            // first (which changes nothing), so that a refused step leaves the model as it was.
            _executor.Forward(inputs, training: false);
            RequireLossTerms();
        }

        Tensor[] outputs = _executor.Forward(inputs, training: true, skipInputGradients);
        for (int k = 0; k < _fused.Length; k++)
        {
            // A layer's activation set since the last step (a softmax dropped or added) decides this step's pairing.
            _fused[k] = _fusableLoss[k] && _executor.CanFuse(k);
        }

        PrepareMasks(outputs, targets, batch);
        float loss = WeightedLoss(outputs, targets, batch) + Penalties.Total(_parameterSet.Regularized) + _executor.ActivityLoss + _executor.AddedLoss;
        if (updateMetrics)
        {
            UpdateMetrics(outputs, targets, batch);
        }

        for (int k = 0; k < outputs.Length; k++)
        {
            Loss? outputLoss = _settings.Losses[k];
            if (outputLoss is null)
            {
                _gradients[k] = null;
                continue;
            }

            Tensor gradient = GradientBuffer(k, outputs[k]);
            MaskedOutput? masked = _masked[k];
            ReadOnlySpan<float> sampleWeights = PerSampleWeights(WeightsOf(batch, k));

            // A built-in loss takes a masked output as rows; a loss of your own sees the output's shape, masked or not, and
            // its gradient's rows are weighted below as the rows' would be (the same memory, row for row).
            bool asRows = masked is not null && outputLoss.IsBuiltIn;
            Tensor p = asRows ? masked!.Predictions(outputs[k]) : outputs[k], t = asRows ? masked!.Targets(targets[k]) : targets[k], g = asRows ? masked!.Gradient(gradient) : gradient;

            // A loss over pairs of rows (Circle) weighs each row's value inside its own gradient, where the terms of one
            // row's value reach other rows: scaling rows afterwards would weigh them by the wrong row.
            bool pairsWeighted = outputLoss.PairsRows && (masked is not null || !sampleWeights.IsEmpty);
            if (pairsWeighted)
            {
                outputLoss.WeightedMeanGradient(p, t, masked is not null ? masked.LossWeights : sampleWeights, g);
            }
            else if (_fused[k])
            {
                outputLoss.MeanLogitsGradient(p, t, g);
            }
            else
            {
                outputLoss.MeanGradient(p, t, g);
            }

            if (_reductionScales[k] != 1)
            {
                gradient.Scale((float)_reductionScales[k]);
            }

            if (_settings.LossWeights is float[] weights && weights[k] != 1f)
            {
                gradient.Scale(weights[k]);
            }

            if (pairsWeighted)
            {
                // Weighted already.
            }
            else if (masked is not null)
            {
                ScaleRows(g, masked.LossWeights);
            }
            else if (!sampleWeights.IsEmpty)
            {
                if (outputLoss.CouplesSamples(outputs[k]))
                {
                    // Keras broadcasts a whole-batch loss L against the weights: the loss is L·mean(w), and so is its gradient.
                    gradient.Scale((float)(System.Numerics.Tensors.TensorPrimitives.Sum(sampleWeights) / sampleWeights.Length));
                }
                else
                {
                    ScaleRows(gradient, sampleWeights);
                }
            }

            _gradients[k] = gradient;
        }

        _executor.Backward(_gradients, _fused);
        Penalties.AddGradients(_parameterSet.Regularized);
        return loss;
    }

    /// <summary>
    /// The training loop of <c>Fit</c>. <paramref name="shuffleSeed"/> gives the seed of the training shuffles (its argument:
    /// whether a callback resumed an earlier run); it is asked once the callbacks are checked and have begun, so that a Fit
    /// that fails before training leaves the model's count of Fit calls, and so the next Fit's shuffles, unchanged.
    /// </summary>
    public History Fit(EpochBatches loader, EpochBatches? validation, int initialEpoch, int epochs, int validationFreq, List<Callback> callbacks, int verbose, TextWriter writer, Func<bool, long> shuffleSeed, CancellationToken cancellationToken)
    {
        CheckCallbacks(callbacks);
        var history = new History();
        _model.StopTraining = false;
        var progress = new ProgressBar(writer, verbose, ProgressBar.IsInteractive(writer)) { Warnings = _executor.Graph.Warnings };
        var empty = new Dictionary<string, double>(StringComparer.Ordinal);
        var batchLogs = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string key in _settings.LogKeys)
        {
            batchLogs[key] = 0;
        }

        foreach (Callback callback in callbacks)
        {
            callback.Model = _model;
        }

        // Every key a callback reads is known now: a typo or a val_ key without validation data fails before training.
        var epochKeys = new HashSet<string>(_settings.LogKeys, StringComparer.Ordinal);
        // With validationFreq above 1 the val_ keys are in some epochs' logs only: callbacks skip the epochs without them.
        IReadOnlySet<string> intermittentKeys = new HashSet<string>(StringComparer.Ordinal);
        if (validation is not null)
        {
            epochKeys.UnionWith(_settings.LogKeys.Select(key => "val_" + key));
            if (validationFreq > 1)
            {
                intermittentKeys = new HashSet<string>(_settings.LogKeys.Select(key => "val_" + key), StringComparer.Ordinal);
            }
        }

        foreach (Callback callback in callbacks)
        {
            callback.IntermittentLogKeys = intermittentKeys;
            callback.CheckBeforeFit(epochKeys);
            if (callback.LogsLearningRate)
            {
                epochKeys.Add("learning_rate");
            }
        }

        _model.ResumeEpoch = null;
        foreach (Callback callback in callbacks)
        {
            callback.OnTrainBegin(empty);
        }

        bool resumed = _model.ResumeEpoch is int;
        if (_model.ResumeEpoch is int resumeEpoch)
        {
            initialEpoch = Math.Max(initialEpoch, resumeEpoch);
            _model.ResumeEpoch = null;
        }

        loader.ResetSeed(shuffleSeed(resumed));
        _model.History = history;
        var outputLossSums = new double[_outputLosses.Length];
        IReadOnlyDictionary<string, double> lastLogs = empty;
        try
        {
            for (int epoch = initialEpoch; epoch < epochs; epoch++)
            {
                foreach (Callback callback in callbacks)
                {
                    callback.OnEpochBegin(epoch, empty);
                }

                ResetMetrics();
                Array.Clear(outputLossSums);
                progress.BeginEpoch(epoch, epochs, loader.Steps);
                loader.Begin(epoch);
                try
                {
                    TrainEpoch(loader, callbacks, empty, batchLogs, outputLossSums, progress, cancellationToken);
                }
                finally
                {
                    loader.End();
                }

                var epochLogs = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (string key in _settings.LogKeys)
                {
                    epochLogs[key] = batchLogs[key];
                }

                // Keras 3's _should_eval: after the epochs whose 1-based number is a multiple of validation_freq.
                if (validation is not null && (epoch + 1) % validationFreq == 0)
                {
                    _model.StopEvaluating = false;
                    foreach (Callback callback in callbacks)
                    {
                        callback.OnTestBegin(empty);
                    }

                    Evaluate(validation, epoch, epochLogs, "val_", progress: null, callbacks, cancellationToken);
                    if (callbacks.Count > 0)
                    {
                        var testLogs = epochLogs.Where(log => log.Key.StartsWith("val_", StringComparison.Ordinal))
                            .ToDictionary(log => log.Key["val_".Length..], log => log.Value, StringComparer.Ordinal);
                        foreach (Callback callback in callbacks)
                        {
                            callback.OnTestEnd(testLogs);
                        }
                    }
                }

                progress.End(epochLogs);
                foreach (Callback callback in callbacks)
                {
                    // Keras logs the rate the epoch used, read before ReduceLROnPlateau may lower it.
                    double rate = _settings.Optimizer.LearningRate;
                    callback.OnEpochEnd(epoch, epochLogs);
                    if (callback.LogsLearningRate)
                    {
                        epochLogs["learning_rate"] = rate;
                    }
                }

                history.Append(epoch, epochLogs);
                lastLogs = epochLogs;
                if (_model.StopTraining)
                {
                    break;
                }
            }
        }
        catch
        {
            // A callback that changed the weights for a while (SwapEmaWeights) puts them back before the exception leaves Fit.
            foreach (Callback callback in callbacks)
            {
                callback.OnRunOver();
            }

            throw;
        }

        foreach (Callback callback in callbacks)
        {
            callback.OnRunOver();
        }

        if (epochs > 0)
        {
            _settings.Optimizer.FinalizeVariableValues(_parameterSet.All);
        }

        foreach (Callback callback in callbacks)
        {
            callback.OnTrainEnd(lastLogs);
        }

        return history;
    }

    // The steps of one epoch, until the batches run out or a callback stops training; the running means go into batchLogs.
    private void TrainEpoch(EpochBatches loader, List<Callback> callbacks, IReadOnlyDictionary<string, double> emptyLogs, Dictionary<string, double> batchLogs, double[] outputLossSums, ProgressBar progress, CancellationToken cancellationToken)
    {
        double lossSum = 0;
        long seen = 0;
        for (int b = 0; ; b++)
        {
            if (NextBatch(loader, cancellationToken) is not Tensor[] batch)
            {
                return;
            }

            // Keras passes no logs here: the running means would be the previous batch's (or epoch's), not this one's.
            for (int c = 0; c < callbacks.Count; c++)
            {
                callbacks[c].OnBatchBegin(b, emptyLogs);
            }

            int n = batch[0].Shape[0];
            float loss = TrainStep(batch);
            lossSum += (double)loss * n;
            seen += n;
            batchLogs["loss"] = lossSum / seen;
            for (int k = 0; k < outputLossSums.Length; k++)
            {
                if (_settings.LossKeys[k] is string key)
                {
                    outputLossSums[k] += (double)_outputLosses[k] * n;
                    batchLogs[key] = outputLossSums[k] / seen;
                }
            }

            WriteMetrics(batchLogs, string.Empty);
            for (int c = 0; c < callbacks.Count; c++)
            {
                callbacks[c].OnBatchEnd(b, batchLogs);
            }

            progress.Update(b + 1, batchLogs);
            if (_model.StopTraining)
            {
                return;
            }
        }
    }

    // The next batch, or null at the end of the pass; training and validation both stop here on cancellation.
    private static Tensor[]? NextBatch(EpochBatches loader, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return loader.Next();
    }

    /// <summary>
    /// <c>Evaluate</c>'s run (Keras' <c>evaluate</c> with callbacks): <see cref="Callback.OnTestBegin"/>, the batches with
    /// their events, <see cref="Callback.OnTestEnd"/> with the results written into <paramref name="logs"/>; every
    /// callback's <see cref="Callback.OnRunOver"/> however it ends.
    /// </summary>
    public void EvaluateRun(EpochBatches loader, Dictionary<string, double> logs, ProgressBar progress, IReadOnlyList<Callback> callbacks, CancellationToken cancellationToken)
    {
        foreach (Callback callback in callbacks)
        {
            callback.Model = _model;
        }

        // Keras clears stop_evaluating before on_test_begin, so a callback may stop the evaluation from there.
        _model.StopEvaluating = false;
        try
        {
            foreach (Callback callback in callbacks)
            {
                callback.OnTestBegin(ReadOnlyDictionary<string, double>.Empty);
            }

            Evaluate(loader, 0, logs, string.Empty, progress, callbacks, cancellationToken);
            foreach (Callback callback in callbacks)
            {
                callback.OnTestEnd(logs);
            }
        }
        finally
        {
            foreach (Callback callback in callbacks)
            {
                callback.OnRunOver();
            }
        }
    }

    /// <summary>Refuses a null entry in a list of callbacks, naming its index.</summary>
    public static void CheckCallbacks(IReadOnlyList<Callback> callbacks)
    {
        for (int c = 0; c < callbacks.Count; c++)
        {
            if (callbacks[c] is null)
            {
                throw new ArgumentException($"callbacks[{c}] is null; pass only callback objects.", nameof(callbacks));
            }
        }
    }

    /// <summary>
    /// The callbacks of an <c>Evaluate</c> or <c>Predict</c> call on <paramref name="model"/>, checked before the call
    /// changes anything: no null entry, and each one's <see cref="Callback.CheckRun"/>. Empty (not allocated) for none.
    /// </summary>
    public static IReadOnlyList<Callback> CheckedCallbacks(IEnumerable<Callback>? callbacks, Model model)
    {
        if (callbacks is null)
        {
            return [];
        }

        List<Callback> list = [.. callbacks];
        CheckCallbacks(list);
        foreach (Callback callback in list)
        {
            callback.CheckRun(model);
        }

        return list;
    }

    /// <summary>
    /// The loss (plus penalties), the per-output losses and the metrics over a loader, in inference mode, into
    /// <paramref name="logs"/> under <paramref name="prefix"/>; the callbacks' test-batch events around each batch, until
    /// the batches run out or one sets <c>Model.StopEvaluating</c>.
    /// </summary>
    public void Evaluate(EpochBatches loader, int epoch, Dictionary<string, double> logs, string prefix, ProgressBar? progress, IReadOnlyList<Callback> callbacks, CancellationToken cancellationToken)
    {
        ResetMetrics();
        int outputs = _outputLosses.Length;
        var outputLossSums = new double[outputs];
        double lossSum = 0;
        long seen = 0;

        // Only a callback changes weights while the batches are evaluated (the pass is renewed and the penalties re-read
        // after its events); otherwise layers may reuse what they derive from the weights, and the penalties stand.
        double penalties = Penalties.Total(_parameterSet.Regularized);
        Dictionary<string, double>? batchLogs = callbacks.Count > 0 ? new Dictionary<string, double>(StringComparer.Ordinal) : null;
        long enclosingPass = InferencePass.Begin();
        loader.Begin(epoch);
        try
        {
            for (int b = 0; NextBatch(loader, cancellationToken) is Tensor[] batch; b++)
            {
                if (callbacks.Count > 0)
                {
                    for (int c = 0; c < callbacks.Count; c++)
                    {
                        callbacks[c].OnTestBatchBegin(b, ReadOnlyDictionary<string, double>.Empty);
                    }

                    // A callback may have changed weights: nothing derived from the old ones is read again, and the
                    // penalties are those of the weights the batch runs on.
                    InferencePass.Renew();
                    penalties = Penalties.Total(_parameterSet.Regularized);
                }

                int n = batch[0].Shape[0];
                lossSum += (double)InferenceLoss(batch) * n;
                for (int k = 0; k < outputs; k++)
                {
                    outputLossSums[k] += (double)_outputLosses[k] * n;
                }

                seen += n;
                if (batchLogs is not null)
                {
                    WriteRunningValues(batchLogs, lossSum, outputLossSums, seen, penalties);
                    for (int c = 0; c < callbacks.Count; c++)
                    {
                        callbacks[c].OnTestBatchEnd(b, batchLogs);
                    }

                    InferencePass.Renew();
                }

                if (progress is not null)
                {
                    logs["loss"] = lossSum / seen;
                    progress.Update(b + 1, logs);
                }

                if (_model.StopEvaluating)
                {
                    break;
                }
            }
        }
        finally
        {
            loader.End();
            InferencePass.End(enclosingPass);
        }

        // Written in the order of the log keys, as the epoch's training values are.
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        WriteRunningValues(values, lossSum, outputLossSums, seen, penalties);
        foreach (string key in _settings.LogKeys)
        {
            logs[prefix + key] = values[key];
        }
    }

    // The means so far of the loss (plus the penalties) and of each output's loss, and the metrics' results, in the order of the log keys.
    private void WriteRunningValues(Dictionary<string, double> values, double lossSum, double[] outputLossSums, long seen, double penalties)
    {
        values["loss"] = (lossSum / seen) + penalties;
        for (int k = 0; k < outputLossSums.Length; k++)
        {
            if (_settings.LossKeys[k] is string key)
            {
                values[key] = outputLossSums[k] / seen;
            }
        }

        WriteMetrics(values, string.Empty);
    }

    /// <summary>
    /// Keras' <c>test_on_batch</c> step: forward in inference mode, the weighted losses plus penalties, the metrics updated
    /// (not reset). Returns the loss.
    /// </summary>
    public float TestStep(ReadOnlySpan<Tensor> batch) => InferenceLoss(batch) + Penalties.Total(_parameterSet.Regularized);

    /// <summary>Writes <paramref name="loss"/> and every metric's current result into <paramref name="logs"/> (Keras' <c>get_metrics_result</c>).</summary>
    public void WriteBatchLogs(Dictionary<string, double> logs, double loss)
    {
        logs["loss"] = loss;
        WriteMetrics(logs, string.Empty);
    }

    // One batch in inference mode: forward, the weighted losses plus the activity regularizers' loss and the layers' added
    // losses (each output's loss kept for the logs; no weight penalties), the metrics updated; Evaluate's loop and TestStep
    // share it. A batch whose layers add a loss runs in one pass (ForwardForLoss): an added term is not a mean of rows.
    private float InferenceLoss(ReadOnlySpan<Tensor> batch)
    {
        ReadOnlySpan<Tensor> targets = batch.Slice(_inputCount, _outputLosses.Length);
        Tensor[] predictions = _executor.ForwardForLoss(batch[.._inputCount]);
        if (!_settings.HasCompiledLoss && !_lossTermsFound)
        {
            RequireLossTerms();
        }

        PrepareMasks(predictions, targets, batch);
        float loss = WeightedLoss(predictions, targets, batch) + _executor.ActivityLoss + _executor.AddedLoss;
        UpdateMetrics(predictions, targets, batch);
        return loss;
    }

    // Keras 3's compute_loss sums the compiled loss and model.losses (the layers' added losses, activity and weight
    // regularizers) and raises "No loss to compute. Provide a `loss` argument in `compile()`." when both are empty. Without
    // a compiled loss, the last pass must have had a term of its own; once one has, later batches are not checked.
    private void RequireLossTerms()
    {
        if (_parameterSet.Regularized.Count > 0 || _executor.LastPassHasLayerLosses)
        {
            _lossTermsFound = true;
            return;
        }

        throw new InvalidOperationException(
            $"No loss to compute: model '{_model.Name}' was compiled without a loss, and no layer of it added one (AddLoss) in this batch or has an activity regularizer, and no weight has a regularizer. Give Compile a loss (Keras: \"No loss to compute. Provide a `loss` argument in `compile()`.\"), or add the loss from a layer.");
    }

    // The sum of the outputs' losses, each times its weight; each output's loss (before the output weight) is kept for
    // the logs. With sample weights, an output's loss is Keras' sum(w_i * loss_i) / batch (sum_over_batch_size), times the
    // factor of the loss's reduction, kept for the gradient.
    private float WeightedLoss(Tensor[] outputs, ReadOnlySpan<Tensor> targets, ReadOnlySpan<Tensor> batch)
    {
        float total = 0f;
        for (int k = 0; k < outputs.Length; k++)
        {
            if (_settings.Losses[k] is Loss loss)
            {
                ReadOnlySpan<float> sampleWeights = PerSampleWeights(WeightsOf(batch, k));
                float value;
                if (_masked[k] is MaskedOutput masked)
                {
                    _reductionScales[k] = 1;
                    value = loss.IsBuiltIn
                        ? SampleWeightedLoss(loss, masked.Predictions(outputs[k]), masked.Targets(targets[k]), masked.LossWeights)
                        : EntryWeightedLoss(loss, outputs[k], targets[k], masked.LossWeights);
                }
                else
                {
                    double scale = loss.ReductionScale(outputs[k], sampleWeights);
                    _reductionScales[k] = scale;
                    value = sampleWeights.IsEmpty ? loss.ComputeMean(outputs[k], targets[k]) : SampleWeightedLoss(loss, outputs[k], targets[k], sampleWeights);
                    value = scale == 1 ? value : (float)(value * scale);
                }

                _outputLosses[k] = value;
                total += _settings.LossWeights is float[] weights ? weights[k] * value : value;
            }
        }

        return total;
    }

    private float SampleWeightedLoss(Loss loss, Tensor predictions, Tensor targets, ReadOnlySpan<float> sampleWeights)
    {
        Span<float> values = LossValues(sampleWeights.Length);
        loss.ComputePerSample(predictions, targets, values);
        return WeightedMean(sampleWeights, values);
    }

    // The reused buffer for n per-sample or per-entry loss values.
    private Span<float> LossValues(int n)
    {
        if (_perSampleLosses.Length < n)
        {
            _perSampleLosses = new float[n];
        }

        return _perSampleLosses.AsSpan(0, n);
    }

    // Σ weight · value / n, accumulated in double.
    private static float WeightedMean(ReadOnlySpan<float> weights, ReadOnlySpan<float> values)
    {
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += (double)weights[i] * values[i];
        }

        return (float)(sum / values.Length);
    }

    // A loss of your own on a masked output: its values per entry (row of the last axis), computed on the output's own
    // shape, weighted by the mask's weights, as Keras weighs a loss's unreduced values.
    private float EntryWeightedLoss(Loss loss, Tensor predictions, Tensor targets, ReadOnlySpan<float> entryWeights)
    {
        int n = entryWeights.Length;
        if (Loss.Entries(predictions) != n)
        {
            throw new NotSupportedException(System.FormattableString.Invariant(
                $"{loss.GetType().Name} ('{loss.Name}'): the output {predictions.Shape} carries a mask of {n} values, not one per row of its last axis ({Loss.Entries(predictions)}); a loss of your own takes a mask of the output's leading axes only."));
        }

        Span<float> values = LossValues(n);
        loss.ComputePerEntry(predictions, targets, values);
        return WeightedMean(entryWeights, values);
    }

    // The weights of output k, or null for none: after the targets, an unweighted batch has no tensor, weights for every
    // output one, weights by output one per output, a (batch, 1) tensor for an output without them.
    private Tensor? WeightsOf(ReadOnlySpan<Tensor> batch, int output)
    {
        int first = _inputCount + _outputLosses.Length;
        if (batch.Length <= first)
        {
            return null;
        }

        Tensor weights = batch.Length == first + 1 ? batch[first] : batch[first + output];
        return SampleWeights.IsNone(weights) ? null : weights;
    }

    // One weight per sample, (batch); empty without weights or with weights per entry, which PrepareMasks spreads over rows.
    private static ReadOnlySpan<float> PerSampleWeights(Tensor? weights) =>
        weights is not null && SampleWeights.PerSample(weights) ? weights.AsReadOnlySpan() : default;

    private static void ScaleRows(Tensor gradient, ReadOnlySpan<float> sampleWeights)
    {
        Span<float> g = gradient.AsSpan();
        int row = g.Length / sampleWeights.Length;
        for (int i = 0; i < sampleWeights.Length; i++)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(g.Slice(i * row, row), sampleWeights[i], g.Slice(i * row, row));
        }
    }

    // Keras applies an output's mask to its losses and metrics, and a loss's own mask (ignore_class) to the loss: the
    // masked rows weigh nothing. Weights per entry (weights of more than one value per sample) weigh the rows one by one.
    private void PrepareMasks(Tensor[] outputs, ReadOnlySpan<Tensor> targets, ReadOnlySpan<Tensor> batch)
    {
        ReadOnlySpan<Tensor?> masks = _executor.OutputMasks;
        for (int k = 0; k < masks.Length; k++)
        {
            Loss? loss = _settings.Losses[k];
            if (loss is null && _settings.Metrics[k].Length == 0 && _settings.WeightedMetrics[k].Length == 0)
            {
                // Nothing reads this output's targets or rows (a model compiled without a loss may have none).
                _masked[k] = null;
                continue;
            }

            Tensor? weights = WeightsOf(batch, k);
            ReadOnlySpan<float> sampleWeights = PerSampleWeights(weights);
            bool perEntry = weights is not null && !SampleWeights.PerSample(weights);
            bool weighsEntries = perEntry && (loss is not null || _settings.WeightedMetrics[k].Length > 0);
            if (masks[k] is not null || loss is { MasksEntries: true } || weighsEntries)
            {
                if (masks[k] is not null)
                {
                    RefuseMaskAcrossAxis(_settings.Metrics[k], outputs[k].Rank);
                    RefuseMaskAcrossAxis(_settings.WeightedMetrics[k], outputs[k].Rank);
                    loss?.CheckTakesMask(outputs[k].Rank);
                }

                MaskedOutput masked = _maskCache[k] ??= new MaskedOutput { KeepsRank = NamesLastAxisByIndex(k) };
                ReadOnlySpan<float> rowWeights = sampleWeights;
                double givenSum = double.NaN;
                if (weighsEntries)
                {
                    EntryWeights entryWeights = _entryWeights[k] ??= new EntryWeights(_model.OutputNames[k]);
                    rowWeights = entryWeights.For(weights!, outputs[k]);
                    givenSum = entryWeights.GivenSum;
                }

                masked.Prepare(masks[k], loss, outputs[k], targets[k], rowWeights, weighsEntries, givenSum);
                _masked[k] = masked;
            }
            else
            {
                _masked[k] = null;
            }
        }
    }

    /// <summary>
    /// Refuses an output sure to carry a mask (an Embedding(maskZero) or Masking upstream) whose loss or metric takes none,
    /// before a call that runs batches changes anything; a mask only a pass reveals is refused then, in PrepareMasks. The
    /// model asks from its training and evaluation entry points only, so that a call that runs no batch (ResetMetrics)
    /// never throws; once passed, the check is not repeated.
    /// </summary>
    /// <exception cref="NotSupportedException">A loss or metric of a surely masked output cannot take the mask.</exception>
    public void RefuseSureMasks()
    {
        if (_sureMasksChecked)
        {
            return;
        }

        bool[] masked = _executor.OutputsSurelyMasked();
        IReadOnlyList<SymbolicTensor> outputs = _executor.Graph.Outputs;
        for (int k = 0; k < masked.Length; k++)
        {
            if (masked[k])
            {
                // The graph's shapes are per sample: the batch axis adds one.
                int rank = outputs[k].Shape.Rank + 1;
                RefuseMaskAcrossAxis(_settings.Metrics[k], rank);
                RefuseMaskAcrossAxis(_settings.WeightedMetrics[k], rank);
                _settings.Losses[k]?.CheckTakesMask(rank);
            }
        }

        _sureMasksChecked = true;
    }

    // Whether output k's loss or a metric names its class axis by index rather than -1: after RefuseMaskAcrossAxis, the last.
    private bool NamesLastAxisByIndex(int k) =>
        NamesAxis(_settings.Losses[k]) || _settings.Metrics[k].Any(NamesAxis) || _settings.WeightedMetrics[k].Any(NamesAxis);

    private static bool NamesAxis(object? lossOrMetric) => lossOrMetric is CategoricalCrossEntropy { Axis: not -1 } or BinaryCrossEntropy { Axis: not -1 }
        or CategoricalFocalCrossEntropy { Axis: not -1 } or BinaryFocalCrossEntropy { Axis: not -1 } or CategoricalCrossEntropyMetric { Axis: not -1 };

    // A metric reducing over another axis than the last cannot take the mask's rows (as the loss cannot): refused, not
    // computed over the wrong axis of the masked view.
    private static void RefuseMaskAcrossAxis(Metric[] metrics, int rank)
    {
        foreach (Metric metric in metrics)
        {
            if (metric is CategoricalCrossEntropyMetric { Axis: not -1 } crossEntropy)
            {
                LossChecks.MaskOnLastAxis(crossEntropy.Name, crossEntropy.Axis, rank);
            }
        }
    }

    private void UpdateMetrics(Tensor[] outputs, ReadOnlySpan<Tensor> targets, ReadOnlySpan<Tensor> batch)
    {
        for (int k = 0; k < outputs.Length; k++)
        {
            ReadOnlySpan<float> sampleWeights = PerSampleWeights(WeightsOf(batch, k));
            if (_masked[k] is MaskedOutput { HasModelMask: true } masked)
            {
                Tensor p = masked.Predictions(outputs[k]), t = masked.Targets(targets[k]);
                foreach (Metric metric in _settings.Metrics[k])
                {
                    metric.Update(p, t, masked.UnweightedMetricWeights);
                }

                foreach (Metric metric in _settings.WeightedMetrics[k])
                {
                    metric.Update(p, t, masked.MetricWeights);
                }

                continue;
            }

            Metric[] metrics = _settings.Metrics[k];
            for (int m = 0; m < metrics.Length; m++)
            {
                metrics[m].Update(outputs[k], targets[k]);
            }

            Metric[] weighted = _settings.WeightedMetrics[k];
            if (_masked[k] is MaskedOutput { HasEntryWeights: true } entryWeighted)
            {
                // Weights per entry: Keras' Mean-based metrics weigh each value, Σ w·value / Σ w over the entries.
                Tensor p = entryWeighted.Predictions(outputs[k]), t = entryWeighted.Targets(targets[k]);
                for (int m = 0; m < weighted.Length; m++)
                {
                    weighted[m].Update(p, t, entryWeighted.MetricWeights);
                }

                continue;
            }

            for (int m = 0; m < weighted.Length; m++)
            {
                weighted[m].Update(outputs[k], targets[k], sampleWeights);
            }
        }
    }

    private void WriteMetrics(Dictionary<string, double> logs, string prefix)
    {
        for (int k = 0; k < _settings.Metrics.Length; k++)
        {
            Metric[] metrics = _settings.Metrics[k];
            for (int m = 0; m < metrics.Length; m++)
            {
                logs[prefix.Length == 0 ? _settings.MetricKeys[k][m] : prefix + _settings.MetricKeys[k][m]] = metrics[m].Result();
            }

            Metric[] weighted = _settings.WeightedMetrics[k];
            for (int m = 0; m < weighted.Length; m++)
            {
                logs[prefix.Length == 0 ? _settings.WeightedMetricKeys[k][m] : prefix + _settings.WeightedMetricKeys[k][m]] = weighted[m].Result();
            }
        }
    }

    /// <summary>Clears every metric's state (Keras' <c>reset_metrics</c>).</summary>
    public void ResetMetrics()
    {
        foreach (Metric metric in _settings.AllMetrics)
        {
            metric.Reset();
        }
    }

    private Tensor GradientBuffer(int output, Tensor like)
    {
        int batch = like.Shape[0];
        ref Tensor? storage = ref _gradientStorage[output];
        if (storage is null || storage.Shape[0] < batch || storage.Rank != like.Rank || !storage.Shape.Dimensions[1..].SequenceEqual(like.Shape.Dimensions[1..]))
        {
            storage = OtherLengthBuffer(output, like);
        }

        return storage.FirstRows(batch);
    }

    // An output with variable axes (Input([null, ...])) changes its sample shape from batch to batch: the buffers of the
    // lengths met are kept (as many as the executor keeps variants), so going back to one allocates nothing.
    private Tensor OtherLengthBuffer(int output, Tensor like)
    {
        int batch = like.Shape[0];
        List<Tensor> kept = _otherLengthStorage[output] ??= [];
        for (int i = 0; i < kept.Count; i++)
        {
            Tensor candidate = kept[i];
            if (candidate.Shape[0] >= batch && candidate.Rank == like.Rank && candidate.Shape.Dimensions[1..].SequenceEqual(like.Shape.Dimensions[1..]))
            {
                return candidate;
            }
        }

        // A lambda here would capture `like` and allocate on every call, found or not.
        for (int i = kept.Count - 1; i >= 0; i--)
        {
            if (kept[i].Rank == like.Rank && kept[i].Shape.Dimensions[1..].SequenceEqual(like.Shape.Dimensions[1..]))
            {
                kept.RemoveAt(i);
            }
        }

        var created = new Tensor(like.Shape);
        kept.Insert(0, created);
        if (kept.Count > GraphExecutor.MaxVariants + 1)
        {
            kept.RemoveAt(kept.Count - 1);
        }

        return created;
    }
}
