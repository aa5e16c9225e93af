using System.Collections.ObjectModel;
using System.Globalization;
using NeuralNet.Datasets;
using NeuralNet.Training;

namespace NeuralNet.Models;

// Fit, Evaluate and Predict on a data source (an indexable BatchDataset or a stream of batches) instead of in-memory tensors.
public abstract partial class Model
{
    /// <summary>
    /// Trains the model on batches from a data source (Keras' <c>fit</c> on a <c>PyDataset</c>, a generator or a
    /// <c>tf.data.Dataset</c>): a <see cref="BatchDataset"/>, or a stream made with <see cref="DataSource.FromBatches(IEnumerable{DataBatch})"/>.
    /// The next batches are prepared on a background worker while the model trains; the steps follow the source's order,
    /// so a run is reproducible, and the same batches give the same weights as <c>Fit</c> on tensors.
    /// </summary>
    /// <param name="data">The training batches; each gives inputs, targets and optionally sample weights.</param>
    /// <param name="epochs">The number of epochs; 0 does nothing.</param>
    /// <param name="validationData">Batches evaluated after each epoch (a full pass, or <paramref name="validationSteps"/> batches from
    /// the start), logged with the prefix <c>val_</c>; null for none.</param>
    /// <param name="shuffle">Whether a <see cref="BatchDataset"/>'s batches are visited in a new seeded order each epoch (the
    /// order depends only on the seed and the epoch); streams keep their own order, and a <see cref="TimeseriesDataset"/> its own
    /// (shuffled or not when it was made, as Keras' <c>fit</c> ignores <c>shuffle</c> for a dataset).</param>
    /// <param name="stepsPerEpoch">Batches per epoch; null for one full pass. With a stream, each epoch takes the next
    /// <paramref name="stepsPerEpoch"/> batches, and the stream starts over when it ends (Keras' <c>steps_per_epoch</c> on a repeated dataset);
    /// a <see cref="BatchDataset"/> likewise goes on where the previous epoch stopped, and starts a new (seeded, when shuffling) order
    /// once every batch has been visited.</param>
    /// <param name="validationSteps">Validation batches per evaluation; null for a full pass.</param>
    /// <param name="callbacks">Callbacks, called in order.</param>
    /// <param name="verbose">0 silent, 1 progress bar, 2 one line per epoch.</param>
    /// <param name="seed">The seed of the shuffling; when null, derived from <see cref="Seed"/> and the number of earlier <c>Fit</c> calls.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="initialEpoch">The epoch to start at, as for <c>Fit</c> on tensors.</param>
    /// <param name="classWeight">Weights by class for a model with one output, applied to the training batches.</param>
    /// <param name="prefetch">Batches prepared ahead on a background worker (a bounded queue); 0 asks the source for each batch on
    /// the calling thread, between steps.</param>
    /// <param name="validationFreq">Validate after every n-th epoch only, as for <c>Fit</c> on tensors (Keras' <c>validation_freq</c>).</param>
    /// <param name="cancellationToken">Checked before every batch and while waiting for one, and given to asynchronous streams; on
    /// cancellation the model keeps the weights of the last completed step and <see cref="OperationCanceledException"/> is thrown.</param>
    /// <returns>Per-epoch logs, as <c>Fit</c> on tensors.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled, or every one of its parameters is in a frozen layer (checked when the call starts), or not built and <paramref name="data"/> is a stream
    /// (give the model an input shape first).</exception>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range, or <paramref name="stepsPerEpoch"/> exceeds a dataset's batch count.</exception>
    /// <exception cref="DataSourceException">A batch could not be produced (the source's exception is inside; the model keeps the
    /// weights of the last completed step), its shapes differ from the first batch's or do not fit the model (the message names
    /// the batch and the shapes), or a pass gave no batches.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public History Fit(
        DataSource data,
        int epochs = 1,
        DataSource? validationData = null,
        bool shuffle = true,
        int? stepsPerEpoch = null,
        int? validationSteps = null,
        IEnumerable<Callback>? callbacks = null,
        int verbose = 1,
        long? seed = null,
        TextWriter? output = null,
        int initialEpoch = 0,
        ClassWeights? classWeight = null,
        int prefetch = 2,
        int validationFreq = 1,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ValidateFitArguments(epochs, initialEpoch, verbose, validationFreq);
        ValidateSteps(data, stepsPerEpoch, nameof(stepsPerEpoch));
        if (validationData is not null)
        {
            ValidateSteps(validationData, validationSteps, nameof(validationSteps));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        using (_gate.EnterExclusive())
        {
            bool wasBuilt = IsBuilt;
            long stepsBefore = Optimizer!.StepCount;
            try
            {
                EnsureBuiltFrom(data);
                RequireTrainableParameters(nameof(Fit));
                Executor.RequireInputGradients(nameof(Fit), skipInputGradients: true);
                Trainer trainer = GetTrainer(nameof(Fit));
                // The trainer sets the shuffle seed once the callbacks are checked (ShuffleSeed).
                var train = new SourceBatches(data, "training data", stepsPerEpoch, shuffle, seed: 0, continuing: stepsPerEpoch is not null, prefetch,
                    batch => PreparedBatch(trainer, batch, classWeight), cancellationToken)
                { LengthsMayVary = HasVariableInputs };
                SourceBatches? validation = validationData is null ? null : new SourceBatches(validationData, "validation data", validationSteps, shuffle: false, seed: 0, continuing: false, prefetch,
                    batch => PreparedBatch(trainer, batch, classWeight: null), cancellationToken)
                { LengthsMayVary = HasVariableInputs };
                (_batchLossSum, _batchLossCount) = (0, 0);
                try
                {
                    return trainer.Fit(train, validation, initialEpoch, epochs, validationFreq, callbacks?.ToList() ?? [], verbose, output ?? Console.Out, ShuffleSeed(seed, initialEpoch), cancellationToken);
                }
                finally
                {
                    try
                    {
                        train.Close();
                    }
                    finally
                    {
                        validation?.Close();
                    }
                }
            }
            catch when (!wasBuilt && Optimizer.StepCount == stepsBefore)
            {
                // Built from the first batch by this call, which then failed before any step changed a weight (a batch
                // or its targets failed a check, the source failed): the model is unbuilt again, as Fit on tensors leaves it.
                UndoBuild();
                throw;
            }
        }
    }

    /// <summary>Trains on a stream of batches, enumerated once per epoch (or continued, with <paramref name="stepsPerEpoch"/>);
    /// the same as <c>Fit(DataSource.FromBatches(data), ...)</c>.</summary>
    /// <inheritdoc cref="Fit(DataSource, int, DataSource?, bool, int?, int?, IEnumerable{Callback}?, int, long?, TextWriter?, int, ClassWeights?, int, int, CancellationToken)"/>
    public History Fit(IEnumerable<DataBatch> data, int epochs = 1, DataSource? validationData = null, int? stepsPerEpoch = null, int? validationSteps = null, IEnumerable<Callback>? callbacks = null, int verbose = 1, TextWriter? output = null, int initialEpoch = 0, ClassWeights? classWeight = null, int prefetch = 2, int validationFreq = 1, CancellationToken cancellationToken = default) =>
        Fit(DataSource.FromBatches(data), epochs, validationData, shuffle: false, stepsPerEpoch, validationSteps, callbacks, verbose, seed: null, output, initialEpoch, classWeight, prefetch, validationFreq, cancellationToken);

    /// <summary>Trains on an asynchronous stream of batches, read on the prefetch worker; the same as <c>Fit(DataSource.FromBatches(data), ...)</c>.</summary>
    /// <inheritdoc cref="Fit(DataSource, int, DataSource?, bool, int?, int?, IEnumerable{Callback}?, int, long?, TextWriter?, int, ClassWeights?, int, int, CancellationToken)"/>
    public History Fit(IAsyncEnumerable<DataBatch> data, int epochs = 1, DataSource? validationData = null, int? stepsPerEpoch = null, int? validationSteps = null, IEnumerable<Callback>? callbacks = null, int verbose = 1, TextWriter? output = null, int initialEpoch = 0, ClassWeights? classWeight = null, int prefetch = 2, int validationFreq = 1, CancellationToken cancellationToken = default) =>
        Fit(DataSource.FromBatches(data), epochs, validationData, shuffle: false, stepsPerEpoch, validationSteps, callbacks, verbose, seed: null, output, initialEpoch, classWeight, prefetch, validationFreq, cancellationToken);

    /// <summary>The loss (plus weight penalties), the per-output losses and the metrics over the batches of a data source, in inference mode (Keras' <c>evaluate</c>).</summary>
    /// <param name="data">The batches (inputs, targets, optional sample weights), in the source's order.</param>
    /// <param name="steps">The number of batches to evaluate; null for a full pass.</param>
    /// <param name="verbose">0 silent, 1 progress bar, 2 one line.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="prefetch">Batches prepared ahead on a background worker; 0 for none.</param>
    /// <param name="callbacks">Callbacks whose test events run around the evaluation and its batches (Keras' <c>callbacks</c>); null for none.</param>
    /// <param name="cancellationToken">Checked while waiting for a batch and given to asynchronous streams.</param>
    /// <returns><c>loss</c> and every logged quantity by name.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled, or not built and <paramref name="data"/> is a stream, or a
    /// callback refuses the model (<see cref="SwapEmaWeights"/> without <c>UseEma</c>).</exception>
    /// <exception cref="ArgumentException">A callback is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range.</exception>
    /// <exception cref="DataSourceException">A batch could not be produced or does not fit (the message names it), or the source gave no batches.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(DataSource data, int? steps = null, int verbose = 1, TextWriter? output = null, int prefetch = 2, IEnumerable<Callback>? callbacks = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        RequireCompiled(nameof(Evaluate));
        ValidateVerbose(verbose);
        ValidateSteps(data, steps, nameof(steps));
        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        IReadOnlyList<Callback> checkedCallbacks = Trainer.CheckedCallbacks(callbacks, this);
        using (_gate.EnterExclusive())
        {
            bool wasBuilt = IsBuilt;
            try
            {
                return EvaluateFromSource(data, steps, verbose, output, prefetch, checkedCallbacks, cancellationToken);
            }
            catch when (!wasBuilt)
            {
                // Built from the first batch by this call, which changes no weight: a failure leaves the model unbuilt.
                UndoBuild();
                throw;
            }
        }
    }

    private Dictionary<string, double> EvaluateFromSource(DataSource data, int? steps, int verbose, TextWriter? output, int prefetch, IReadOnlyList<Callback> callbacks, CancellationToken cancellationToken)
    {
        EnsureBuiltFrom(data);
        Trainer trainer = GetTrainer(nameof(Evaluate));
        var batches = new SourceBatches(data, "data", steps, shuffle: false, seed: 0, continuing: false, prefetch, batch => PreparedBatch(trainer, batch, classWeight: null), cancellationToken)
                { LengthsMayVary = HasVariableInputs };
        TextWriter writer = output ?? Console.Out;
        var progress = new ProgressBar(writer, verbose, ProgressBar.IsInteractive(writer)) { Warnings = Graph.Warnings };
        progress.Begin(batches.Steps);
        Dictionary<string, double> logs = EvaluationLogs(trainer);

        (_batchLossSum, _batchLossCount) = (0, 0);
        try
        {
            trainer.EvaluateRun(batches, logs, progress, callbacks, cancellationToken);
        }
        finally
        {
            batches.Close();
        }

        progress.End(logs);
        return logs;
    }

    /// <summary>Evaluates on a stream of batches; the same as <c>Evaluate(DataSource.FromBatches(data), ...)</c>.</summary>
    /// <inheritdoc cref="Evaluate(DataSource, int?, int, TextWriter?, int, IEnumerable{Callback}?, CancellationToken)"/>
    public IReadOnlyDictionary<string, double> Evaluate(IEnumerable<DataBatch> data, int? steps = null, int verbose = 1, TextWriter? output = null, int prefetch = 2, IEnumerable<Callback>? callbacks = null, CancellationToken cancellationToken = default) =>
        Evaluate(DataSource.FromBatches(data), steps, verbose, output, prefetch, callbacks, cancellationToken);

    /// <summary>Evaluates on an asynchronous stream of batches; the same as <c>Evaluate(DataSource.FromBatches(data), ...)</c>.</summary>
    /// <inheritdoc cref="Evaluate(DataSource, int?, int, TextWriter?, int, IEnumerable{Callback}?, CancellationToken)"/>
    public IReadOnlyDictionary<string, double> Evaluate(IAsyncEnumerable<DataBatch> data, int? steps = null, int verbose = 1, TextWriter? output = null, int prefetch = 2, IEnumerable<Callback>? callbacks = null, CancellationToken cancellationToken = default) =>
        Evaluate(DataSource.FromBatches(data), steps, verbose, output, prefetch, callbacks, cancellationToken);

    /// <summary>The output of a model with one output for every batch of a data source (targets, if any, are ignored), in inference mode (Keras' <c>predict</c>).</summary>
    /// <param name="data">The batches, in the source's order.</param>
    /// <param name="steps">The number of batches to predict; null for a full pass.</param>
    /// <param name="prefetch">Batches prepared ahead on a background worker; 0 for none.</param>
    /// <param name="callbacks">Callbacks whose predict events run around the call and each batch of the source (Keras'
    /// <c>callbacks</c>); null for none. With callbacks the call holds the model alone, since a callback may change it.</param>
    /// <param name="verbose">0 silent (the default), 1 progress bar, 2 one line at the end (Keras' <c>predict(verbose=...)</c>),
    /// one step per batch of the source; a stream's count shows as <c>n/Unknown</c> until it ends.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="cancellationToken">Checked while waiting for a batch and given to asynchronous streams.</param>
    /// <returns>A new tensor (samples, ...<see cref="OutputShape"/>), the batches' outputs one after another (those run,
    /// when a callback sets <see cref="StopPredicting"/>).</returns>
    /// <exception cref="InvalidOperationException">The model has several outputs (use <see cref="PredictOutputs(DataSource, int?, int, IEnumerable{Callback}?, int, TextWriter?, CancellationToken)"/>),
    /// or is not built and <paramref name="data"/> is a stream, or a callback refuses the model (<see cref="SwapEmaWeights"/> without <c>UseEma</c>).</exception>
    /// <exception cref="ArgumentException">A callback is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of its range (<paramref name="verbose"/> not 0, 1 or 2, say).</exception>
    /// <exception cref="DataSourceException">A batch could not be produced or does not fit, or the source gave no batches.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Tensor Predict(DataSource data, int? steps = null, int prefetch = 2, IEnumerable<Callback>? callbacks = null, int verbose = 0, TextWriter? output = null, CancellationToken cancellationToken = default) =>
        PredictFromSource(data, steps, prefetch, singleOutput: true, callbacks, verbose, output, cancellationToken)[0];

    /// <summary>Predicts a stream of batches; the same as <c>Predict(DataSource.FromBatches(data), ...)</c>.</summary>
    /// <inheritdoc cref="Predict(DataSource, int?, int, IEnumerable{Callback}?, int, TextWriter?, CancellationToken)"/>
    public Tensor Predict(IEnumerable<DataBatch> data, int? steps = null, int prefetch = 2, IEnumerable<Callback>? callbacks = null, int verbose = 0, TextWriter? output = null, CancellationToken cancellationToken = default) =>
        Predict(DataSource.FromBatches(data), steps, prefetch, callbacks, verbose, output, cancellationToken);

    /// <summary>Predicts an asynchronous stream of batches; the same as <c>Predict(DataSource.FromBatches(data), ...)</c>.</summary>
    /// <inheritdoc cref="Predict(DataSource, int?, int, IEnumerable{Callback}?, int, TextWriter?, CancellationToken)"/>
    public Tensor Predict(IAsyncEnumerable<DataBatch> data, int? steps = null, int prefetch = 2, IEnumerable<Callback>? callbacks = null, int verbose = 0, TextWriter? output = null, CancellationToken cancellationToken = default) =>
        Predict(DataSource.FromBatches(data), steps, prefetch, callbacks, verbose, output, cancellationToken);

    /// <summary>Every output for every batch of a data source, in inference mode.</summary>
    /// <inheritdoc cref="Predict(DataSource, int?, int, IEnumerable{Callback}?, int, TextWriter?, CancellationToken)"/>
    /// <returns>One new tensor (samples, ...) per output, in output order.</returns>
    public IReadOnlyList<Tensor> PredictOutputs(DataSource data, int? steps = null, int prefetch = 2, IEnumerable<Callback>? callbacks = null, int verbose = 0, TextWriter? output = null, CancellationToken cancellationToken = default) =>
        PredictFromSource(data, steps, prefetch, singleOutput: false, callbacks, verbose, output, cancellationToken);

    // A prediction like Predict(x): beside other predictions, on a copy of the layers when another prediction has them
    // (or when another model shares one), and as one inference pass; with the model held exclusively only while it is
    // not built (the first batch gives the input shape).
    private IReadOnlyList<Tensor> PredictFromSource(DataSource data, int? steps, int prefetch, bool singleOutput, IEnumerable<Callback>? callbacks, int verbose, TextWriter? output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ValidateSteps(data, steps, nameof(steps));
        ArgumentOutOfRangeException.ThrowIfNegative(prefetch);
        ValidateVerbose(verbose);
        if (PredictCallbacks.Create(callbacks, this) is PredictCallbacks callbackRun)
        {
            return PredictHeld(callbackRun, run => PredictBatches(ownExecutor: null, data, steps, prefetch, singleOutput, verbose, output, cancellationToken, run));
        }

        using ModelGate.PredictionScope prediction = _gate.EnterPrediction();
        bool wasBuilt = IsBuilt;
        try
        {
            return PredictBatches(prediction.Executor, data, steps, prefetch, singleOutput, verbose, output, cancellationToken);
        }
        catch when (!wasBuilt)
        {
            // Built from the first batch by this call (the model is held alone then), whose later checks or passes failed:
            // the model is unbuilt again, as Predict on tensors leaves it.
            UndoBuild();
            throw;
        }
    }

    // run: the callbacks of a call that has them (the model then held alone), begun once the model is built and checked.
    private Tensor[] PredictBatches(GraphExecutor? ownExecutor, DataSource data, int? steps, int prefetch, bool singleOutput, int verbose, TextWriter? output, CancellationToken cancellationToken, PredictCallbacks? run = null)
    {
        EnsureBuiltFrom(data);
        if (singleOutput && Outputs.Count != 1)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Model '{Name}' has {Outputs.Count} outputs; call PredictOutputs."));
        }

        GraphExecutor executor = ownExecutor ?? Executor;
        run?.Begin();
        var batches = new SourceBatches(data, "data", steps, shuffle: false, seed: 0, continuing: false, prefetch, batch => CheckedInputs(batch.X, "x", checkFinite: true), cancellationToken)
                { LengthsMayVary = HasVariableInputs };
        var parts = new List<Tensor>[Outputs.Count];
        for (int k = 0; k < parts.Length; k++)
        {
            parts[k] = [];
        }

        Tensor[] batchOutputs = run is null ? [] : new Tensor[parts.Length];
        ProgressBar? progress = PredictProgress(verbose, output);
        progress?.Begin(batches.Steps);
        batches.Begin(0);
        try
        {
            // b counts the batches predicted: an empty one (skipped) has no events, as Predict of no samples has no batch.
            for (int b = 0; batches.Next() is Tensor[] inputs;)
            {
                if (inputs[0].Shape[0] == 0)
                {
                    // An empty batch (the last chunk of a stream, say) predicts nothing, as Predict of no samples does.
                    continue;
                }

                run?.BatchBegin(b);
                Tensor[] outputs = executor.ForwardInPasses(inputs, executor.InferenceRows);
                for (int k = 0; k < outputs.Length; k++)
                {
                    parts[k].Add(outputs[k].Clone());
                }

                if (run is not null)
                {
                    for (int k = 0; k < parts.Length; k++)
                    {
                        batchOutputs[k] = parts[k][^1];
                    }

                    if (run.BatchEnd(b, batchOutputs))
                    {
                        break;
                    }
                }

                b++;
                progress?.Update(b, ReadOnlyDictionary<string, double>.Empty);
            }
        }
        finally
        {
            batches.End();
            batches.Close();
        }

        progress?.End(ReadOnlyDictionary<string, double>.Empty);

        return [.. parts.Select((list, k) => Concatenate(list, list.Count > 0 ? list[0].Shape.DropFirst() : Outputs[k].Shape, Outputs[k].Layer.Name))];
    }

    private static Tensor Concatenate(List<Tensor> batches, TensorShape sampleShape, string output)
    {
        foreach (Tensor batch in batches)
        {
            if (batch.Shape.DropFirst() != sampleShape)
            {
                // Batches of other lengths on a variable axis give outputs that cannot stand in one tensor.
                throw new InvalidOperationException(
                    $"The batches' predictions of output '{output}' have per-sample shapes {sampleShape} and {batch.Shape.DropFirst()}; one result tensor needs one shape (predict the batches of each length separately, or pad them to one length).");
            }
        }

        var result = new Tensor(sampleShape.Prepend(batches.Sum(b => b.Shape[0])));
        Span<float> destination = result.AsSpan();
        foreach (Tensor batch in batches)
        {
            batch.AsReadOnlySpan().CopyTo(destination);
            destination = destination[batch.Length..];
        }

        return result;
    }

    // A source batch as the trainer takes it: inputs, targets and weights, checked against the model and the losses.
    private Tensor[] PreparedBatch(Trainer trainer, DataBatch batch, ClassWeights? classWeight)
    {
        // A batch without targets suits a model compiled without a loss and without metrics (NoTargets refuses the others).
        RefuseWeightsWithoutTargets(batch.HasTargets ? (ModelData?)batch.Y : null, classWeight, batch.SampleWeight, "A data source's batch");
        Tensor[] data = CheckedData(batch.X, batch.HasTargets ? (ModelData?)batch.Y : null, "x", "y", method: "A data source's batch");
        ReadOnlySpan<Tensor> weights = BatchWeights(trainer, data, classWeight, batch.SampleWeight);
        return AppendWeights(data, weights);
    }

    // A model that learns its input shape from data (a Sequential without an InputLayer) is built from an indexable
    // source's first batch (a BatchDataset's or a TimeseriesDataset's); a stream cannot be looked at twice, so it needs a built model.
    private void EnsureBuiltFrom(DataSource data)
    {
        if (IsBuilt)
        {
            return;
        }

        DataBatch first = data switch
        {
            BatchDataset dataset => dataset.GetBatch(0),
            TimeseriesDataset series => series.GetBatch(0),
            _ => throw new InvalidOperationException($"Model '{Name}' is not built and the data is a stream, which cannot be read twice to learn the input shape; give the model its input shape first (an InputLayer, or Build)."),
        };

        try
        {
            CheckedInputs(first.X, "x");
        }
        catch (ArgumentException e)
        {
            throw new DataSourceException($"Batch 0 of the data: {e.Message}", 0, 0, e);
        }
    }

    private static void ValidateSteps(DataSource data, int? steps, string parameterName)
    {
        if (steps is int count)
        {
            if (count < 1)
            {
                throw new ArgumentOutOfRangeException(parameterName, count, $"{parameterName} must be at least 1, or null for a full pass. Received: {parameterName}={count}.");
            }

            int? batchCount = data switch
            {
                BatchDataset dataset => dataset.BatchCount,
                TimeseriesDataset series => series.BatchCount,
                _ => null,
            };
            if (count > batchCount)
            {
                throw new ArgumentOutOfRangeException(parameterName, count, string.Create(CultureInfo.InvariantCulture, $"{parameterName}={count} but the dataset {data.GetType().Name} has {batchCount} batches."));
            }
        }
    }
}
