using System.Collections.ObjectModel;
using System.Globalization;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Training;

namespace NeuralNet.Models;

// Fit, Evaluate, Predict and the custom-loop entry points; the loops themselves are the Trainer's.
public abstract partial class Model
{
    /// <summary>
    /// What the latest <c>Fit</c> recorded (Keras' <c>model.history</c>): the object that <c>Fit</c> returns, set once its
    /// checks have passed and the callbacks' <c>OnTrainBegin</c> has run, and appended after every epoch, so the epochs
    /// completed before an exception or a cancellation stay readable here. Null before the first <c>Fit</c>.
    /// </summary>
    /// <remarks>Read it from a callback or after <c>Fit</c> returns: another thread reading it while <c>Fit</c> appends may see an epoch half recorded.</remarks>
    public History? History { get; internal set; }

    /// <summary>
    /// Trains the model for a number of epochs (Keras' <c>fit</c>) and returns what was logged per epoch.
    /// </summary>
    /// <param name="x">Inputs: one tensor (samples, ...) per model input, in order or by input name.</param>
    /// <param name="y">Targets: one tensor (samples, ...) per output, as its loss expects, in order or by output name; null
    /// (Keras' <c>fit(x)</c>) for a model compiled without a loss and without metrics (<see cref="Compile(Optimizers.Optimizer)"/>), which
    /// trains on the losses its layers add.</param>
    /// <param name="epochs">The number of passes over the training data; 0 does nothing.</param>
    /// <param name="batchSize">Samples per gradient step; the last batch of an epoch may be smaller.</param>
    /// <param name="validationSplit">The fraction of samples held out for validation, taken from the END of every input and
    /// target before any shuffling (Keras semantics), in [0, 1).</param>
    /// <param name="validationData">Validation inputs and targets; cannot be combined with <paramref name="validationSplit"/>.</param>
    /// <param name="shuffle">Whether to shuffle the training samples before each epoch.</param>
    /// <param name="callbacks">Callbacks, called in order.</param>
    /// <param name="verbose">0 silent, 1 progress bar, 2 one line per epoch.</param>
    /// <param name="seed">The seed of the shuffling; when null, derived from <see cref="Seed"/> and the number of earlier <c>Fit</c> calls.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null (redrawn in place only on an interactive console).</param>
    /// <param name="initialEpoch">The epoch to start at (Keras' <c>initial_epoch</c>): training runs epochs
    /// <paramref name="initialEpoch"/> to <paramref name="epochs"/> - 1. Each epoch's shuffle depends only on the seed and
    /// the epoch, so a model saved after epoch k, loaded and fitted again with <c>initialEpoch: k</c> and the same seed
    /// gets the same weights as uninterrupted training. When greater than 0 and no seed is given, the seed derived for the
    /// model's previous <c>Fit</c> call is reused (the call being resumed); a seed given to that call must be given again.</param>
    /// <param name="classWeight">Weights by class (Keras' <c>class_weight</c>), for a model with one output: each training
    /// sample's loss is multiplied by the weight of its class (see <see cref="ClassWeights"/>); validation data (also from
    /// <paramref name="validationSplit"/>) is not weighted, as in Keras. Cannot be combined with <paramref name="sampleWeight"/>.</param>
    /// <param name="sampleWeight">Non-negative weights (Keras' <c>sample_weight</c>): one per training sample, (samples), each
    /// output's loss becoming sum(weight × per-sample loss) / batch size (for Keras' default reduction; see docs/losses.md for
    /// the others); or one per entry of the losses' values, (samples, ...) broadcasting to them, such as (samples, steps) for
    /// a (samples, steps, classes) output, each value weighted and the sum divided by the number of values (docs/training.md).
    /// One tensor weighs every output; for a model with several outputs, a list with one tensor per output in output order
    /// or a dictionary by output name weighs each output's loss and weighted metrics by its own tensor (Keras'
    /// <c>sample_weight</c> as a list or dict), an output the dictionary does not name left unweighted. With <paramref name="validationSplit"/> the held-out
    /// samples keep their weights, so <c>val_loss</c> is weighted too. Only the <c>weightedMetrics</c> of <c>Compile</c> receive
    /// the weights (Keras' <c>metrics</c> are not weighted).</param>
    /// <param name="validationFreq">Validate after every n-th epoch only (Keras' <c>validation_freq</c>): epochs n - 1, 2n - 1, ...
    /// (0-based), so 2 validates after the 2nd, 4th, ... epoch. The other epochs' logs and <see cref="History"/> hold no
    /// <c>val_</c> quantities (<see cref="History.EpochsOf"/> says which epochs do), and callbacks monitoring one skip those
    /// epochs, as Keras' do. At least 1.</param>
    /// <param name="validationSampleWeight">Weights for <paramref name="validationData"/>, in any form <paramref name="sampleWeight"/>
    /// takes (Keras' <c>validation_data=(x, y, sample_weight)</c>): <c>val_loss</c> and the <c>val_</c> weighted metrics are
    /// then what <c>Evaluate</c> gives with these weights. Null for none; refused without <paramref name="validationData"/>.</param>
    /// <param name="cancellationToken">Checked before every batch; on cancellation the model keeps the weights of the last
    /// completed step and <see cref="OperationCanceledException"/> is thrown.</param>
    /// <returns>Per-epoch <c>loss</c> (mean over the epoch's samples, plus weight penalties), per-output losses when there are
    /// several, metrics, and their <c>val_</c> counterparts.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled, or every one of its parameters is in a frozen layer (checked when the call starts: a callback that unfreezes layers later does not help).</exception>
    /// <exception cref="ArgumentException">The number of arrays or their shapes do not fit the model or the losses, sample counts
    /// differ, inputs contain NaN or infinity, or both validation options are given.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epochs"/> is negative, <paramref name="batchSize"/> is below 1,
    /// <paramref name="validationSplit"/> is outside [0, 1), or <paramref name="verbose"/> is not 0, 1 or 2.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public History Fit(
        ModelData x,
        ModelData? y = null,
        int epochs = 1,
        int batchSize = 32,
        double validationSplit = 0,
        (ModelData X, ModelData Y)? validationData = null,
        bool shuffle = true,
        IEnumerable<Callback>? callbacks = null,
        int verbose = 1,
        long? seed = null,
        TextWriter? output = null,
        int initialEpoch = 0,
        ClassWeights? classWeight = null,
        ModelData? sampleWeight = null,
        int validationFreq = 1,
        ModelData? validationSampleWeight = null,
        CancellationToken cancellationToken = default)
    {
        ValidateFitArguments(epochs, initialEpoch, verbose, validationFreq);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (!(validationSplit >= 0 && validationSplit < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, string.Create(CultureInfo.InvariantCulture, $"validationSplit must be in [0, 1). Received: validationSplit={validationSplit}."));
        }

        if (validationSplit > 0 && validationData is not null)
        {
            throw new ArgumentException("Give either validationSplit or validationData, not both.", nameof(validationData));
        }

        if (validationSampleWeight is not null && validationData is null)
        {
            throw new ArgumentException("validationSampleWeight weighs validationData, which was not given (with validationSplit the held-out samples keep their sampleWeight).", nameof(validationSampleWeight));
        }

        using (_gate.EnterExclusive())
        {
            RefuseWeightsWithoutTargets(y, classWeight, sampleWeight, nameof(Fit));
            Tensor[] train = CheckedData(x, y, nameof(x), nameof(y), trainingMethod: nameof(Fit));
            Trainer trainer = GetTrainer(nameof(Fit));
            ReadOnlySpan<Tensor> weights = BatchWeights(trainer, train, classWeight, sampleWeight);
            int weightCount = weights.Length;
            train = AppendWeights(train, weights);

            Tensor[]? validation = null;
            if (validationSplit > 0)
            {
                int samples = train[0].Shape[0];
                // Keras 3 (array_slicing.train_validation_split): split_at = floor(n * (1 - split)), in doubles.
                int split = (int)Math.Floor(samples * (1.0 - validationSplit));
                if (split <= 0 || split >= samples)
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"validationSplit={validationSplit} of {samples} samples leaves {split} for training and {samples - split} for validation; both must be at least 1."), nameof(validationSplit));
                }

                validation = [.. train.Select(t => t.Slice(split, samples - split))];
                train = [.. train.Select(t => t.Slice(0, split))];
                if (classWeight is not null)
                {
                    // Keras applies class weights to the training data only; sample weights are split with the data.
                    validation = validation[..^weightCount];
                }
            }
            else if (validationData is (ModelData vx, ModelData vy))
            {
                // Keras' validation_data=(x, y, sample_weight): weighted as Evaluate(x, y, sampleWeight) weighs them.
                validation = CheckedData(vx, vy, "validationData.X", "validationData.Y");
                validation = AppendWeights(validation, BatchWeights(trainer, validation, classWeight: null, validationSampleWeight, nameof(validationSampleWeight)));
            }

            // The trainer sets the shuffle seed once the callbacks are checked (ShuffleSeed).
            var loader = new BatchLoader(train, batchSize, shuffle, seed: 0);
            BatchLoader? validationLoader = validation is null ? null : new BatchLoader(validation, batchSize, shuffle: false, seed: 0);

            (_batchLossSum, _batchLossCount) = (0, 0);
            return trainer.Fit(new LoaderBatches(loader), validationLoader is null ? null : new LoaderBatches(validationLoader), initialEpoch, epochs, validationFreq, callbacks?.ToList() ?? [], verbose, output ?? Console.Out, ShuffleSeed(seed, initialEpoch), cancellationToken);
        }
    }

    /// <summary>Computes the loss (plus weight penalties), the per-output losses and the metrics on a dataset, in inference mode (Keras' <c>evaluate</c>).</summary>
    /// <param name="x">Inputs, as for <c>Fit</c>.</param>
    /// <param name="y">Targets, as for <c>Fit</c>; null (Keras' <c>evaluate(x)</c>) for a model compiled without a loss and
    /// without metrics, whose loss is what its layers add.</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <param name="verbose">0 silent, 1 progress bar, 2 one line.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="sampleWeight">Non-negative weights as for <c>Fit</c>, one per sample or one per entry of the losses' values, for every output or by output; null for none.</param>
    /// <param name="callbacks">Callbacks whose test events run around the evaluation and its batches (Keras' <c>callbacks</c>); null for none.</param>
    /// <param name="cancellationToken">Checked before every batch; the model is unchanged either way.</param>
    /// <returns><c>loss</c> and every logged quantity by name.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled, or a callback refuses it (<see cref="SwapEmaWeights"/> without <c>UseEma</c>).</exception>
    /// <exception cref="ArgumentException">The arrays do not fit the model, sample counts differ, inputs are not finite, or a sample
    /// weight is negative, not finite or of the wrong length, or a callback is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1 or <paramref name="verbose"/> is not 0, 1 or 2.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(ModelData x, ModelData? y = null, int batchSize = 32, int verbose = 1, TextWriter? output = null, ModelData? sampleWeight = null, IEnumerable<Callback>? callbacks = null, CancellationToken cancellationToken = default)
    {
        RequireCompiled(nameof(Evaluate));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ValidateVerbose(verbose);
        IReadOnlyList<Callback> checkedCallbacks = Trainer.CheckedCallbacks(callbacks, this);
        using (_gate.EnterExclusive())
        {
            bool wasBuilt = IsBuilt;
            try
            {
                RefuseWeightsWithoutTargets(y, classWeight: null, sampleWeight, nameof(Evaluate));
                Tensor[] data = CheckedData(x, y, nameof(x), nameof(y), method: nameof(Evaluate));
                Trainer trainer = GetTrainer(nameof(Evaluate));
                data = AppendWeights(data, BatchWeights(trainer, data, classWeight: null, sampleWeight));

                var loader = new BatchLoader(data, batchSize, shuffle: false, seed: 0);
                TextWriter writer = output ?? Console.Out;
                var progress = new ProgressBar(writer, verbose, ProgressBar.IsInteractive(writer)) { Warnings = Graph.Warnings };
                progress.Begin(loader.BatchCount);
                Dictionary<string, double> logs = EvaluationLogs(trainer);

                (_batchLossSum, _batchLossCount) = (0, 0);
                trainer.EvaluateRun(new LoaderBatches(loader), logs, progress, checkedCallbacks, cancellationToken);
                progress.End(logs);
                return logs;
            }
            catch when (!wasBuilt)
            {
                // Built from x by this call, which changes no weight: a failure (a callback's, say) leaves the model unbuilt.
                UndoBuild();
                throw;
            }
        }
    }

    /// <summary>Computes the output of a model with one output for <paramref name="x"/> in inference mode, batch by batch (Keras' <c>predict</c>).</summary>
    /// <param name="x">Inputs, as for <c>Fit</c>.</param>
    /// <param name="batchSize">Samples per forward pass (and per callback batch).</param>
    /// <param name="callbacks">Callbacks whose predict events run around the call and its batches (Keras' <c>callbacks</c>);
    /// null for none. With callbacks the call holds the model alone, since a callback may change it.</param>
    /// <param name="verbose">0 silent (the default), 1 progress bar, 2 one line at the end, as Keras' <c>predict(verbose=...)</c>
    /// shows them (<c>4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step</c>): one step per batch of <paramref name="batchSize"/> rows.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null (redrawn in place only on an interactive console).</param>
    /// <param name="cancellationToken">Checked before each batch.</param>
    /// <returns>A new tensor (samples, ...<see cref="OutputShape"/>); when a callback sets <see cref="StopPredicting"/>,
    /// the rows of the batches run.</returns>
    /// <exception cref="ArgumentException">The inputs do not fit the model, or contain NaN or infinity (as Fit and Evaluate reject them), or a callback is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1, or <paramref name="verbose"/> is not 0, 1 or 2.</exception>
    /// <exception cref="InvalidOperationException">The model has no layers, or several outputs (use <see cref="PredictOutputs(ModelData, int, IEnumerable{Callback}?, int, TextWriter?, CancellationToken)"/>),
    /// or a callback refuses it (<see cref="SwapEmaWeights"/> without <c>UseEma</c>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    /// <remarks>Keras' <c>verbose="auto"</c> shows the bar; here the default is silent, since <c>Predict</c> is also the call
    /// a served model makes from many threads at once, whose bars would interleave on one console.</remarks>
    public Tensor Predict(ModelData x, int batchSize = 32, IEnumerable<Callback>? callbacks = null, int verbose = 0, TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ValidateVerbose(verbose);
        if (PredictCallbacks.Create(callbacks, this) is PredictCallbacks run)
        {
            return PredictWithCallbacks(x, batchSize, run, singleOutput: true, verbose, output, cancellationToken)[0];
        }

        using ModelGate.PredictionScope prediction = _gate.EnterPrediction();
        bool wasBuilt = IsBuilt;
        try
        {
            return PredictSingleOutput(prediction.Executor, x, batchSize, verbose, output, cancellationToken);
        }
        catch when (!wasBuilt)
        {
            // Built from x by this call (the model is held alone then): a failed call leaves nothing of it.
            UndoBuild();
            throw;
        }
    }

    /// <summary>
    /// Computes the output of a model with one input and one output for <paramref name="x"/> into
    /// <paramref name="destination"/>, in inference mode: the call a served model makes for each request. When
    /// <paramref name="x"/> fits in one batch (one sample, say), a warm call allocates nothing.
    /// </summary>
    /// <param name="x">Inputs (samples, ...<see cref="InputShape"/>).</param>
    /// <param name="destination">Where the predictions go: (samples, ...<see cref="OutputShape"/>), overwritten.</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <param name="cancellationToken">Checked before each batch.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="x"/> does not fit the model or is not finite, or
    /// <paramref name="destination"/> does not have the predictions' shape (the message names both shapes).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The model has several inputs or outputs (a model with several inputs may
    /// instead report, as <see cref="ArgumentException"/>, that one tensor does not match them).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled; the batches before
    /// it are in <paramref name="destination"/>, the rest of it is as it was.</exception>
    /// <remarks>A <see cref="Sequential"/> without an <see cref="Layers.InputLayer"/> is built by its first prediction; when that
    /// call fails (any check, or a pass), the model is left unbuilt, ready to build from corrected data.</remarks>
    public void Predict(Tensor x, Tensor destination, int batchSize = 32, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        using ModelGate.PredictionScope prediction = _gate.EnterPrediction();
        bool wasBuilt = IsBuilt;
        try
        {
            PredictInto(prediction.Executor, prediction.SingleInput ?? _stepBatch, x, destination, batchSize, cancellationToken);
        }
        catch when (!wasBuilt)
        {
            // Built from x by this call, whose later checks (finite values, the destination's shape) or passes failed.
            UndoBuild();
            throw;
        }
    }

    /// <summary>Computes every output for <paramref name="x"/> in inference mode, batch by batch.</summary>
    /// <param name="x">Inputs, as for <c>Fit</c>.</param>
    /// <param name="batchSize">Samples per forward pass (and per callback batch).</param>
    /// <param name="callbacks">Callbacks whose predict events run around the call and its batches; null for none. With
    /// callbacks the call holds the model alone.</param>
    /// <param name="verbose">0 silent (the default), 1 progress bar, 2 one line at the end, as for <c>Predict</c>.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <param name="cancellationToken">Checked before each batch.</param>
    /// <returns>One new tensor (samples, ...) per output, in output order (the rows run, when a callback sets <see cref="StopPredicting"/>).</returns>
    /// <exception cref="ArgumentException">The inputs do not fit the model, or contain NaN or infinity, or a callback is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1, or <paramref name="verbose"/> is not 0, 1 or 2.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public IReadOnlyList<Tensor> PredictOutputs(ModelData x, int batchSize = 32, IEnumerable<Callback>? callbacks = null, int verbose = 0, TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ValidateVerbose(verbose);
        if (PredictCallbacks.Create(callbacks, this) is PredictCallbacks run)
        {
            return PredictWithCallbacks(x, batchSize, run, singleOutput: false, verbose, output, cancellationToken);
        }

        using ModelGate.PredictionScope prediction = _gate.EnterPrediction();
        bool wasBuilt = IsBuilt;
        try
        {
            Tensor[] inputs = CheckedInputs(x, nameof(x), checkFinite: true);
            return PredictCore(prediction.Executor ?? Executor, inputs, batchSize, cancellationToken, progress: PredictProgress(verbose, output));
        }
        catch when (!wasBuilt)
        {
            UndoBuild();
            throw;
        }
    }

    /// <summary>
    /// Runs the model forward on one batch (Keras' <c>model(x, training=...)</c>), for custom training loops.
    /// </summary>
    /// <param name="x">One batch per input.</param>
    /// <param name="training">True for training behaviour (dropout, batch statistics).</param>
    /// <returns>The outputs, in output order; owned by the model's layers and overwritten by the next call.</returns>
    /// <exception cref="ArgumentException">The inputs do not fit the model.</exception>
    public IReadOnlyList<Tensor> Forward(ModelData x, bool training)
    {
        using (_gate.EnterExclusive())
        {
            Tensor[] inputs = CheckedInputs(x, nameof(x));
            if (inputs[0].Shape[0] == 0)
            {
                throw new ArgumentException($"x has no samples {inputs[0].Shape}; a forward pass needs at least one (Predict of an empty batch gives an empty result).", nameof(x));
            }

            return Executor.Forward(inputs, training);
        }
    }

    /// <summary>
    /// The loss of the layers' activity regularizers (<see cref="Layers.Layer.ActivityRegularizer"/>) in the model's last
    /// forward pass: the sum of each regularizer's penalty on its layer's output divided by the batch size, as Keras adds
    /// it to <c>model.losses</c>. <c>Fit</c>, <c>Evaluate</c> and <see cref="ComputeGradients"/> include it in their loss;
    /// a custom loop with <see cref="Forward"/> adds it to its own. 0 when no layer has one.
    /// </summary>
    public float ActivityLoss => Executor.ActivityLoss;

    /// <summary>
    /// The losses the model's layers added in its last forward pass with <c>AddLoss</c> (Keras' <c>add_loss</c>; see
    /// <see cref="Layers.Layer.AddedLoss"/>), summed as the layers gave them. <c>Fit</c>, <c>Evaluate</c>,
    /// <c>TrainOnBatch</c>, <c>TestOnBatch</c> and <see cref="ComputeGradients"/> include it in their loss, as Keras 3's
    /// <c>compute_loss</c> adds <c>model.losses</c>; a custom loop with <see cref="Forward"/> adds it to its own, and
    /// <see cref="Backward"/> runs the layers' backward passes, which add the terms' gradients. <c>Evaluate</c>, validation
    /// and <c>TestOnBatch</c> run a batch whose layers add a loss in one pass, however large (a term is the layer's function
    /// of the whole batch, a sum as well as a mean), where other batches run in passes of the training batch's rows.
    /// 0 when no layer adds one.
    /// </summary>
    public float AddedLoss => Executor.AddedLoss;

    /// <summary>
    /// Back-propagates through the model's last forward pass (<see cref="Forward"/>, or the last batch of <c>Fit</c>, or of
    /// an <c>Evaluate</c> or a <c>Predict</c> that ran it in one pass, no larger than the training batch or 128 rows, and
    /// that no other thread's prediction overlapped), for custom training loops: adds dLoss/dParameter to every trainable
    /// parameter's <see cref="Parameter.Gradient"/> given dLoss/dOutput for each output. Weight penalties are not added
    /// (see <see cref="ComputeGradients"/>); the gradients of layers' activity regularizers are (each layer adds its own to
    /// its output gradient), and their loss is <see cref="ActivityLoss"/>; so are the gradients of the losses layers added
    /// with <c>AddLoss</c> (each layer's backward pass adds its own), whose sum is <see cref="AddedLoss"/>. An optimizer's
    /// <c>Step(model.Parameters)</c> applies and clears the gradients. With <see cref="ComputesInputGradients"/> on for the
    /// forward pass, it also leaves dLoss/dInput for every input in <see cref="InputGradients"/>.
    /// </summary>
    /// <param name="outputGradients">One gradient per output, shaped as the outputs of the last forward call, in order or by output name.</param>
    /// <exception cref="ArgumentException">The number or shapes of the gradients do not match the outputs of the last forward call.</exception>
    /// <exception cref="InvalidOperationException">No forward pass ran yet, or the last one ran in passes.</exception>
    public void Backward(ModelData outputGradients)
    {
        using (_gate.EnterExclusive())
        {
            Tensor[] gradients = outputGradients.ListOf(Outputs.Count) ?? outputGradients.Resolve(OutputNames, Name, "output gradient", nameof(outputGradients));
            Executor.CheckOutputGradients(gradients);
            Executor.RequireBackward(nameof(Backward));
            Executor.Backward(gradients, []);
        }
    }

    /// <summary>
    /// Computes the gradients of the compiled loss for one batch, for custom training loops: forward in training mode, the
    /// losses (weighted) plus weight penalties, and the backward pass, adding dLoss/dParameter to every trainable parameter's
    /// <see cref="Parameter.Gradient"/> (which an optimizer step or <see cref="Parameter.ZeroGradient"/> clears, so two calls
    /// before a step accumulate two batches). Apply them with <c>model.Optimizer.Step(model.Parameters)</c> (or any optimizer).
    /// With <see cref="ComputesInputGradients"/> on, it also leaves dLoss/dInput in <see cref="InputGradients"/> (adversarial
    /// training reads them here: <c>Fit</c> and <c>TrainOnBatch</c> compute none).
    /// </summary>
    /// <param name="x">One batch per input.</param>
    /// <param name="y">One batch of targets per output; null for a model compiled without a loss and without metrics.</param>
    /// <param name="sampleWeight">Weights as for <c>Fit</c>: one per sample, (samples), or one per entry of the losses' values
    /// (samples, ...), such as (samples, steps) for a (samples, steps, classes) output; null for none.</param>
    /// <returns>The loss, penalties and the layers' added losses (<see cref="AddedLoss"/>) included.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The arrays do not fit the model or the losses, or the weights do not fit the outputs.</exception>
    public float ComputeGradients(ModelData x, ModelData? y = null, ModelData? sampleWeight = null)
    {
        RequireCompiled(nameof(ComputeGradients));
        using (_gate.EnterExclusive())
        {
            RefuseWeightsWithoutTargets(y, classWeight: null, sampleWeight, nameof(ComputeGradients));
            Tensor[] batch = CheckedData(x, y, nameof(x), nameof(y), checkFinite: false, method: nameof(ComputeGradients));
            Executor.RequireInputGradients(nameof(ComputeGradients), skipInputGradients: false);
            Trainer trainer = GetTrainer(nameof(ComputeGradients));
            batch = AppendWeights(batch, BatchWeights(trainer, batch, classWeight: null, sampleWeight));

            return trainer.ComputeGradients(batch, updateMetrics: false, skipInputGradients: false);
        }
    }

    /// <summary>
    /// One gradient step on one batch (Keras' <c>train_on_batch</c>): forward in training mode, the compiled loss, the
    /// backward pass and the optimizer's update. As in Keras, the logged loss and metrics accumulate over the calls since
    /// the last <see cref="ResetMetrics"/> (or <c>Fit</c> / <c>Evaluate</c>, which reset them).
    /// </summary>
    /// <param name="x">One batch per input, as for <c>Fit</c>.</param>
    /// <param name="y">One batch of targets per output; null for a model compiled without a loss and without metrics.</param>
    /// <param name="sampleWeight">Non-negative weights as for <c>Fit</c>, one per sample or one per entry of the losses' values, for every output or by output; null for none.</param>
    /// <param name="classWeight">Weights by class, as for <c>Fit</c>; null for none.</param>
    /// <returns><c>loss</c> (the mean per sample of the batch losses since the last reset, penalties included) and every metric, by name;
    /// a view the model reuses, overwritten by the next batch call.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled, or every one of its parameters is in a frozen layer (checked when the call starts: a callback that unfreezes layers later does not help).</exception>
    /// <exception cref="ArgumentException">The arrays do not fit the model or the losses, or contain NaN or infinity.</exception>
    public IReadOnlyDictionary<string, double> TrainOnBatch(ModelData x, ModelData? y = null, ModelData? sampleWeight = null, ClassWeights? classWeight = null)
    {
        RequireCompiled(nameof(TrainOnBatch));
        Optimizer!.CheckCanStep();
        using (_gate.EnterExclusive())
        {
            try
            {
                RefuseWeightsWithoutTargets(y, classWeight, sampleWeight, nameof(TrainOnBatch));
                Tensor[] data = CheckedData(x, y, nameof(x), nameof(y), trainingMethod: nameof(TrainOnBatch), reuse: true);
                Trainer trainer = GetTrainer(nameof(TrainOnBatch));
                Tensor[] batch = WithWeights(data, BatchWeights(trainer, data, classWeight, sampleWeight));
                return BatchLogs(trainer, trainer.TrainStep(batch), batch[0].Shape[0]);
            }
            finally
            {
                ReleaseBatchArrays();
            }
        }
    }

    /// <summary>
    /// The loss and metrics of one batch in inference mode (Keras' <c>test_on_batch</c>); like <see cref="TrainOnBatch"/>,
    /// the results accumulate over calls until <see cref="ResetMetrics"/>. The weights do not change.
    /// </summary>
    /// <param name="x">One batch per input.</param>
    /// <param name="y">One batch of targets per output; null for a model compiled without a loss and without metrics.</param>
    /// <param name="sampleWeight">Non-negative weights as for <c>Fit</c>, one per sample or one per entry of the losses' values, for every output or by output; null for none.</param>
    /// <returns><c>loss</c> and every metric by name, a view the model reuses.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">The arrays do not fit the model or the losses, or contain NaN or infinity.</exception>
    public IReadOnlyDictionary<string, double> TestOnBatch(ModelData x, ModelData? y = null, ModelData? sampleWeight = null)
    {
        RequireCompiled(nameof(TestOnBatch));
        using (_gate.EnterExclusive())
        {
            try
            {
                RefuseWeightsWithoutTargets(y, classWeight: null, sampleWeight, nameof(TestOnBatch));
                Tensor[] data = CheckedData(x, y, nameof(x), nameof(y), reuse: true, method: nameof(TestOnBatch));
                Trainer trainer = GetTrainer(nameof(TestOnBatch));
                Tensor[] batch = WithWeights(data, BatchWeights(trainer, data, classWeight: null, sampleWeight));
                return BatchLogs(trainer, trainer.TestStep(batch), batch[0].Shape[0]);
            }
            finally
            {
                ReleaseBatchArrays();
            }
        }
    }

    /// <summary>The outputs of a model with one output for one batch, in inference mode (Keras' <c>predict_on_batch</c>), as a new tensor.</summary>
    /// <param name="x">One batch per input.</param>
    /// <returns>A new tensor (samples, ...<see cref="OutputShape"/>).</returns>
    /// <exception cref="ArgumentException">The inputs do not fit the model, or contain NaN or infinity.</exception>
    /// <exception cref="InvalidOperationException">The model has several outputs (use <see cref="PredictOutputs(ModelData, int, IEnumerable{Callback}?, int, TextWriter?, CancellationToken)"/>).</exception>
    public Tensor PredictOnBatch(ModelData x)
    {
        using ModelGate.PredictionScope prediction = _gate.EnterPrediction();
        bool wasBuilt = IsBuilt;
        try
        {
            return PredictSingleOutput(prediction.Executor, x, batchSize: null, verbose: 0, output: null, CancellationToken.None);
        }
        catch when (!wasBuilt)
        {
            UndoBuild();
            throw;
        }
    }

    /// <summary>Clears the running loss and metric states that <see cref="TrainOnBatch"/> and <see cref="TestOnBatch"/> accumulate (Keras' <c>reset_metrics</c>).</summary>
    public void ResetMetrics()
    {
        using (_gate.EnterExclusive())
        {
            _batchLossSum = 0;
            _batchLossCount = 0;
            if (IsCompiled)
            {
                CurrentTrainer(nameof(ResetMetrics)).ResetMetrics();
            }
        }
    }

    // Evaluate's logs: every key the trainer reports, at zero until the pass fills them.
    private static Dictionary<string, double> EvaluationLogs(Trainer trainer)
    {
        var logs = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string key in trainer.Settings.LogKeys)
        {
            logs[key] = 0;
        }

        return logs;
    }

    // Keras' loss tracker weights each batch's loss by its sample count, as Fit's epoch mean does.
    private IReadOnlyDictionary<string, double> BatchLogs(Trainer trainer, float loss, int samples)
    {
        _batchLossSum += (double)loss * samples;
        _batchLossCount += samples;
        trainer.WriteBatchLogs(_batchLogs, _batchLossSum / _batchLossCount);
        return _batchLogs;
    }

    /// <summary>One training step on a batch: the inputs, then the targets, in order (the benchmarks' entry point); returns the loss.</summary>
    internal float TrainStep(ReadOnlySpan<Tensor> batch) => GetTrainer(nameof(Fit)).TrainStep(batch);

    /// <summary>One training step on a batch of one input and one target (the benchmarks' entry point); returns the loss.</summary>
    internal float TrainStep(Tensor inputs, Tensor targets)
    {
        _stepBatch[0] = inputs;
        _stepBatch[1] = targets;
        return GetTrainer(nameof(Fit)).TrainStep(_stepBatch);
    }

    // Predict and PredictOnBatch (batchSize null: the whole input in one pass) of a model with one output; executor null
    // for the model's own, which the checks may have to build first.
    private Tensor PredictSingleOutput(GraphExecutor? executor, ModelData x, int? batchSize, int verbose, TextWriter? output, CancellationToken cancellationToken)
    {
        Tensor[] inputs = CheckedInputs(x, nameof(x), checkFinite: true);
        if (Outputs.Count != 1)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Model '{Name}' has {Outputs.Count} outputs; call PredictOutputs."));
        }

        return PredictCore(executor ?? Executor, inputs, batchSize ?? Math.Max(inputs[0].Shape[0], 1), cancellationToken, progress: PredictProgress(verbose, output))[0];
    }

    // Predict or PredictOutputs with callbacks.
    private Tensor[] PredictWithCallbacks(ModelData x, int batchSize, PredictCallbacks callbacks, bool singleOutput, int verbose, TextWriter? output, CancellationToken cancellationToken) =>
        PredictHeld(callbacks, run =>
        {
            Tensor[] inputs = CheckedInputs(x, nameof(x), checkFinite: true);
            if (singleOutput && Outputs.Count != 1)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Model '{Name}' has {Outputs.Count} outputs; call PredictOutputs."));
            }

            run.Begin();
            return PredictCore(Executor, inputs, batchSize, cancellationToken, run, PredictProgress(verbose, output));
        });

    // The progress display of a prediction (Keras' ProgbarLogger on predict: no metrics); null when verbose is 0, so a
    // silent prediction creates nothing for it.
    private ProgressBar? PredictProgress(int verbose, TextWriter? output)
    {
        if (verbose == 0)
        {
            return null;
        }

        TextWriter writer = output ?? Console.Out;
        return new ProgressBar(writer, verbose, ProgressBar.IsInteractive(writer)) { Warnings = Graph.Warnings };
    }

    // A prediction with callbacks: the model held alone (a callback may change its weights, as SwapEmaWeights does) and
    // built from the data when it is not yet. predict checks the data, then begins the callbacks; every callback's
    // OnRunOver runs however the call ends, and a failed call leaves the model unbuilt, as the calls without callbacks do.
    private Tensor[] PredictHeld(PredictCallbacks run, Func<PredictCallbacks, Tensor[]> predict)
    {
        using (_gate.EnterExclusive())
        {
            bool wasBuilt = IsBuilt;
            try
            {
                long enclosingPass = InferencePass.Begin();
                try
                {
                    Tensor[] results = predict(run);
                    run.End();
                    return results;
                }
                finally
                {
                    InferencePass.End(enclosingPass);
                    run.Over();
                }
            }
            catch when (!wasBuilt)
            {
                UndoBuild();
                throw;
            }
        }
    }

    // A copy of the first rows of each result (Predict stopped by a callback). Not a lambda in PredictCore: one capturing
    // its loop's locals would allocate on every batch, callbacks or not.
    private static Tensor[] FirstRows(Tensor[] results, int rows)
    {
        var copies = new Tensor[results.Length];
        for (int k = 0; k < results.Length; k++)
        {
            copies[k] = results[k].Slice(0, rows).Clone();
        }

        return copies;
    }

    // The batches of the callbacks and of the progress display are the caller's batchSize rows; each runs in passes of at
    // most InferenceRows rows (without either the passes are all there is).
    private Tensor[] PredictCore(GraphExecutor executor, Tensor[] inputs, int batchSize, CancellationToken cancellationToken, PredictCallbacks? callbacks = null, ProgressBar? progress = null)
    {
        int samples = inputs[0].Shape[0];
        TensorShape[] outputShapes = executor.OutputShapesFor(inputs);
        var results = outputShapes.Select(shape => new Tensor(shape.Prepend(samples))).ToArray();
        var batch = new Tensor[inputs.Length];
        int passRows = Math.Min(batchSize, Executor.InferenceRows);
        int step = callbacks is null && progress is null ? passRows : batchSize;
        Tensor[] views = callbacks is null ? [] : new Tensor[results.Length];
        progress?.Begin((samples + batchSize - 1) / batchSize);
        for (int start = 0, b = 0; start < samples; start += step, b++)
        {
            int count = Math.Min(step, samples - start);
            if (callbacks is not null)
            {
                // A cancelled call begins no further batch.
                cancellationToken.ThrowIfCancellationRequested();
                callbacks.BatchBegin(b);
            }

            for (int pass = start; pass < start + count; pass += passRows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int rows = Math.Min(passRows, start + count - pass);
                for (int i = 0; i < inputs.Length; i++)
                {
                    batch[i] = inputs[i].Slice(pass, rows);
                }

                Tensor[] outputs = executor.Forward(batch, training: false);
                for (int k = 0; k < outputs.Length; k++)
                {
                    int stride = outputShapes[k].ElementCount;
                    outputs[k].AsReadOnlySpan().CopyTo(results[k].AsSpan().Slice(pass * stride, rows * stride));
                }
            }

            if (callbacks is not null)
            {
                for (int k = 0; k < results.Length; k++)
                {
                    views[k] = results[k].Slice(start, count);
                }

                if (callbacks.BatchEnd(b, views) && start + count < samples)
                {
                    // Keras' ProgbarLogger finalizes at its target, stopped or not.
                    progress?.End(ReadOnlyDictionary<string, double>.Empty);
                    return FirstRows(results, start + count);
                }
            }

            progress?.Update(b + 1, ReadOnlyDictionary<string, double>.Empty);
        }

        progress?.End(ReadOnlyDictionary<string, double>.Empty);
        return results;
    }

    // Predict(x, destination) on executor (null: the model's own, which the checks may have to build first); single is the
    // runner's one-input array, cleared afterwards so it keeps no caller's tensor.
    private void PredictInto(GraphExecutor? executor, Tensor[] single, Tensor x, Tensor destination, int batchSize, CancellationToken cancellationToken)
    {
        if (!IsBuilt || x.Rank < 2 || Inputs.Count != 1 || !VariableShapes.Fits(x.Shape.Dimensions[1..], Inputs[0].Shape, Inputs[0].ProbeShape))
        {
            // The checks with their messages (they allocate; a call that passes them does not come here again, but for
            // one value per sample given to Input(1), read through a (samples, 1) view made on each call).
            x = CheckedInputs(x, nameof(x))[0];
        }

        if (Inputs.Count != 1 || Outputs.Count != 1)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Model '{Name}' has {Inputs.Count} inputs and {Outputs.Count} outputs; Predict into a destination takes one of each (call PredictOutputs)."));
        }

        executor ??= Executor;
        single[0] = x;
        TensorShape outputShape = executor.OutputShapesFor(single.AsSpan(0, 1))[0];
        single[0] = null!;
        ReadOnlySpan<int> sample = outputShape.Dimensions;
        int samples = x.Shape[0];
        if (destination.Rank != sample.Length + 1 || destination.Shape[0] != samples || !destination.Shape.Dimensions[1..].SequenceEqual(sample))
        {
            throw new ArgumentException($"destination has shape {destination.Shape} but the predictions of x {x.Shape} have shape {outputShape.Prepend(samples)}.", nameof(destination));
        }

        CheckFinite(x, nameof(x), keys: null, index: 0, count: 1);
        batchSize = Math.Min(batchSize, Executor.InferenceRows);
        int stride = outputShape.ElementCount;
        Span<float> results = destination.AsSpan();
        try
        {
            for (int start = 0; start < samples; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int count = Math.Min(batchSize, samples - start);
                single[0] = count == samples ? x : x.Slice(start, count);
                Tensor output = executor.Forward(single.AsSpan(0, 1), training: false)[0];
                output.AsReadOnlySpan().CopyTo(results.Slice(start * stride, count * stride));
            }
        }
        finally
        {
            single[0] = null!;
        }
    }

    private void ValidateFitArguments(int epochs, int initialEpoch, int verbose, int validationFreq)
    {
        RequireCompiled(nameof(Fit));
        Optimizer!.CheckCanStep();
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        if (initialEpoch < 0 || initialEpoch > epochs)
        {
            throw new ArgumentOutOfRangeException(nameof(initialEpoch), initialEpoch, string.Create(CultureInfo.InvariantCulture, $"initialEpoch must be in [0, epochs]; epochs={epochs}. Received: initialEpoch={initialEpoch}."));
        }

        if (validationFreq < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(validationFreq), validationFreq, string.Create(CultureInfo.InvariantCulture, $"validationFreq must be at least 1 (validate after every n-th epoch). Received: validationFreq={validationFreq}."));
        }

        ValidateVerbose(verbose);
    }

    // The seed of a Fit call's shuffles, asked by the trainer once the call's checks have passed and its callbacks have
    // begun (so a Fit that fails before training does not move the count, and the next Fit shuffles as it would have):
    // - after BackupAndRestore put back the Fit count of the run it resumes, that run's stream (also when the same model
    //   object retries after an exception, its own count having moved on), and the count is left as restored;
    // - otherwise a resumed call (initialEpoch > 0) continues the stream of the call it resumes, and a new call takes the
    //   next stream and counts itself.
    private Func<bool, long> ShuffleSeed(long? seed, int initialEpoch) => restored =>
    {
        if (restored)
        {
            return seed ?? SeededRandom.Derive(Seed, 1_000_000 + Math.Max(_fitCount - 1, 0));
        }

        bool resuming = initialEpoch > 0 && _fitCount > 0;
        long shuffleSeed = seed ?? SeededRandom.Derive(Seed, 1_000_000 + (resuming ? _fitCount - 1 : _fitCount));
        if (!resuming)
        {
            _fitCount++;
        }

        return shuffleSeed;
    };

    private void RequireCompiled(string method)
    {
        if (!IsCompiled)
        {
            throw new InvalidOperationException($"{method} was called before Compile: call model.Compile(optimizer, loss, metrics) first.");
        }
    }

    private static void ValidateVerbose(int verbose)
    {
        if (verbose is < 0 or > 2)
        {
            throw new ArgumentOutOfRangeException(nameof(verbose), verbose, "verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch).");
        }
    }
}
