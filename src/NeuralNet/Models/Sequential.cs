using System.Globalization;
using System.Numerics.Tensors;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Optimizers;
using NeuralNet.Training;

namespace NeuralNet.Models;

/// <summary>
/// A linear stack of layers trained end to end, as Keras' <c>Sequential</c>: add layers, <see cref="Compile"/>,
/// <see cref="Fit"/>, <see cref="Evaluate"/>, <see cref="Predict"/>.
/// </summary>
/// <example>
/// <code>
/// var model = new Sequential([
///     new InputLayer(784),
///     new Dense(512, ActivationFunction.Relu),
///     new Dense(10, ActivationFunction.Softmax),
/// ]);
/// model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy());
/// History history = model.Fit(xTrain, yTrain, epochs: 5, batchSize: 32, validationSplit: 0.25);
/// </code>
/// </example>
/// <remarks>
/// <para>Layers are named Keras-style when added (<c>dense</c>, <c>dense_1</c>, <c>dropout</c>, ...) and seeded from the
/// model's <see cref="Seed"/> (layer <c>i</c> draws from <c>Derive(seed, i)</c>), so the same seed gives the same
/// initial weights, dropout masks and — with <c>Fit</c>'s seed — the same shuffling, bit for bit.</para>
/// <para>With an <see cref="InputLayer"/> first, the model is built as layers are added (so <see cref="Summary"/> and
/// shape errors work before training); otherwise it is built by the first <c>Fit</c>, <c>Evaluate</c> or <c>Predict</c>.</para>
/// <para>Thread safety: <c>Fit</c>, <c>Evaluate</c> and <c>Predict</c> take a lock on the model, so concurrent calls
/// are safe but run one at a time (layers own their buffers). Changing the model (<c>Add</c>, <c>Compile</c>,
/// <c>SetWeights</c>) while another thread uses it is not supported.</para>
/// </remarks>
public sealed partial class Sequential
{
    private readonly List<Layer> _layers = [];
    private readonly List<Parameter> _parameters = [];
    private readonly List<Parameter> _regularized = [];
    private readonly object _lock = new();
    private Metric[] _metrics = [];
    private string[] _logKeys = ["loss"];
    private TensorShape _inputShape;
    private bool _fusedSoftmaxCrossEntropy;
    private Tensor? _gradientStorage;
    private Tensor? _gradientView;
    private int _fitCount;

    /// <summary>Creates a model, optionally with its layers.</summary>
    /// <param name="layers">The layers in order; an <see cref="InputLayer"/> first declares the input shape.</param>
    /// <param name="name">The model's name, shown by <see cref="Summary"/>.</param>
    /// <param name="seed">The seed of every layer's initialization and dropout (and of shuffling when <c>Fit</c> gets none).</param>
    /// <exception cref="ArgumentException">A layer name repeats, a layer is added twice, or a layer does not fit the previous one's output.</exception>
    public Sequential(IEnumerable<Layer>? layers = null, string name = "sequential", long seed = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Seed = seed;
        if (layers is not null)
        {
            foreach (Layer layer in layers)
            {
                Add(layer);
            }
        }
    }

    /// <summary>The model's name.</summary>
    public string Name { get; }

    /// <summary>The seed layers are initialized from.</summary>
    public long Seed { get; }

    /// <summary>The layers, in order (including an initial <see cref="InputLayer"/>).</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <summary>Whether every layer is built (the input shape is known).</summary>
    public bool IsBuilt { get; private set; }

    /// <summary>The shape of one input sample (no batch axis). Throws until built.</summary>
    public TensorShape InputShape => IsBuilt ? _inputShape : throw NotBuilt();

    /// <summary>The shape of one output sample (no batch axis). Throws until built.</summary>
    public TensorShape OutputShape => IsBuilt ? _layers[^1].OutputShape : throw NotBuilt();

    /// <summary>Every parameter of every layer, in layer order (empty until built).</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>The number of scalars in all parameters.</summary>
    public long ParameterCount => _layers.Sum(l => l.ParameterCount);

    /// <summary>The number of scalars in trainable parameters.</summary>
    public long TrainableParameterCount => _layers.Sum(l => l.TrainableParameterCount);

    /// <summary>The optimizer given to <see cref="Compile"/>, or null.</summary>
    public Optimizer? Optimizer { get; private set; }

    /// <summary>The loss given to <see cref="Compile"/>, or null.</summary>
    public Loss? Loss { get; private set; }

    /// <summary>The metrics given to <see cref="Compile"/>.</summary>
    public IReadOnlyList<Metric> Metrics => _metrics;

    /// <summary>Whether <see cref="Compile"/> has been called.</summary>
    public bool IsCompiled => Optimizer is not null;

    /// <summary>Set to true (by a callback) to stop <see cref="Fit"/> after the current batch; reset when <c>Fit</c> starts.</summary>
    public bool StopTraining { get; set; }

    /// <summary>Appends a layer, names it if it has no name, seeds it and, when the model is built, builds it.</summary>
    /// <param name="layer">The layer; not already in this model.</param>
    /// <exception cref="ArgumentException">The name is taken, the layer is already in the model, an <see cref="InputLayer"/> is not first, or the layer does not accept the previous output shape.</exception>
    public void Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (_layers.Contains(layer))
        {
            throw new ArgumentException($"{Describe(layer)} is already in model '{Name}'; a layer instance can appear only once.", nameof(layer));
        }

        if (layer is InputLayer && _layers.Count > 0)
        {
            throw new ArgumentException($"An InputLayer can only be the first layer of model '{Name}', which already has {_layers.Count} layer(s).", nameof(layer));
        }

        if (layer.Name.Length == 0)
        {
            layer.Name = UniqueName(layer.DefaultNamePrefix);
        }
        else if (_layers.Any(l => l.Name == layer.Name))
        {
            throw new ArgumentException($"Model '{Name}' already has a layer named '{layer.Name}'; layer names must be unique.", nameof(layer));
        }

        if (!layer.IsBuilt)
        {
            layer.Seed = SeededRandom.Derive(Seed, _layers.Count);
        }

        _layers.Add(layer);
        try
        {
            if (IsBuilt)
            {
                layer.Build(_layers[^2].OutputShape);
                FinishBuild();
            }
            else if (_layers[0] is InputLayer input)
            {
                Build(input.Shape);
            }
        }
        catch
        {
            _layers.RemoveAt(_layers.Count - 1);
            throw;
        }
    }

    /// <summary>Builds every layer for inputs of per-sample shape <paramref name="inputShape"/>.</summary>
    /// <exception cref="InvalidOperationException">The model has no layers, or was built for another shape.</exception>
    /// <exception cref="ArgumentException">A layer does not accept the shape it receives.</exception>
    public void Build(TensorShape inputShape)
    {
        if (_layers.Count == 0)
        {
            throw new InvalidOperationException($"Model '{Name}' has no layers; add layers before building or training it.");
        }

        if (IsBuilt)
        {
            if (inputShape != _inputShape)
            {
                throw new InvalidOperationException($"Model '{Name}' was built for input {_inputShape.ToBatchString()} and cannot take {inputShape.ToBatchString()}.");
            }

            return;
        }

        TensorShape shape = inputShape;
        foreach (Layer layer in _layers)
        {
            layer.Build(shape);
            shape = layer.OutputShape;
        }

        _inputShape = inputShape;
        IsBuilt = true;
        FinishBuild();
    }

    /// <summary>Configures training: the optimizer, the loss and the metrics to report (Keras' <c>compile</c>).</summary>
    /// <param name="optimizer">The optimizer; it keeps per-parameter state, so give each model its own.</param>
    /// <param name="loss">The loss.</param>
    /// <param name="metrics">Metrics reported under their names (and <c>val_</c> names), e.g. <c>new Accuracy()</c>.</param>
    /// <exception cref="ArgumentException">Two metrics share a name, or a metric is named <c>loss</c>.</exception>
    public void Compile(Optimizer optimizer, Loss loss, params Metric[] metrics)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(metrics);
        var names = new HashSet<string>(StringComparer.Ordinal) { "loss" };
        foreach (Metric metric in metrics)
        {
            ArgumentNullException.ThrowIfNull(metric, nameof(metrics));
            if (!names.Add(metric.Name))
            {
                throw new ArgumentException($"Metric name '{metric.Name}' is used twice (or clashes with 'loss'); metric names must be unique.", nameof(metrics));
            }
        }

        Optimizer = optimizer;
        Loss = loss;
        _metrics = [.. metrics];
        _logKeys = [.. names.Order(StringComparer.Ordinal)];
        UpdateFusion();
    }

    /// <summary>
    /// Trains the model for a number of epochs (Keras' <c>fit</c>) and returns what was logged per epoch.
    /// </summary>
    /// <param name="x">Inputs, (samples, ...<see cref="InputShape"/>).</param>
    /// <param name="y">Targets, (samples, ...) as the loss expects.</param>
    /// <param name="epochs">The number of passes over the training data; 0 does nothing.</param>
    /// <param name="batchSize">Samples per gradient step; the last batch of an epoch may be smaller.</param>
    /// <param name="validationSplit">The fraction of samples held out for validation, taken from the END of
    /// <paramref name="x"/> and <paramref name="y"/> before any shuffling (Keras semantics), in [0, 1).</param>
    /// <param name="validationData">Validation inputs and targets; cannot be combined with <paramref name="validationSplit"/>.</param>
    /// <param name="shuffle">Whether to shuffle the training samples before each epoch.</param>
    /// <param name="callbacks">Callbacks, called in order.</param>
    /// <param name="verbose">0 silent, 1 progress bar, 2 one line per epoch.</param>
    /// <param name="seed">The seed of the shuffling; when null, derived from <see cref="Seed"/> and the number of earlier <c>Fit</c> calls.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null (redrawn in place only on an interactive console).</param>
    /// <param name="initialEpoch">The epoch to start at (Keras' <c>initial_epoch</c>): training runs epochs
    /// <paramref name="initialEpoch"/> to <paramref name="epochs"/> - 1. Each epoch's shuffle depends only on the seed and
    /// the epoch, so a model saved after epoch k, loaded and fitted again with <c>initialEpoch: k</c> and the same seed
    /// gets the same weights as uninterrupted training. When greater than 0 and no seed is given, the shuffle seed of the
    /// model's previous <c>Fit</c> call is reused (the call being resumed).</param>
    /// <param name="cancellationToken">Checked before every batch; on cancellation the model keeps the weights of the last
    /// completed step and <see cref="OperationCanceledException"/> is thrown.</param>
    /// <returns>Per-epoch <c>loss</c> (mean over the epoch's samples, plus weight penalties), metrics, and their <c>val_</c> counterparts.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">Shapes do not fit the model or the loss, sample counts differ, inputs contain NaN or infinity, or both validation options are given.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epochs"/> is negative, <paramref name="batchSize"/> is below 1, <paramref name="validationSplit"/> is outside [0, 1), or <paramref name="verbose"/> is not 0, 1 or 2.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public History Fit(
        Tensor x,
        Tensor y,
        int epochs = 1,
        int batchSize = 32,
        double validationSplit = 0,
        (Tensor X, Tensor Y)? validationData = null,
        bool shuffle = true,
        IEnumerable<Callback>? callbacks = null,
        int verbose = 1,
        long? seed = null,
        TextWriter? output = null,
        int initialEpoch = 0,
        CancellationToken cancellationToken = default)
    {
        RequireCompiled(nameof(Fit));
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        if (initialEpoch < 0 || initialEpoch > epochs)
        {
            throw new ArgumentOutOfRangeException(nameof(initialEpoch), initialEpoch, string.Create(CultureInfo.InvariantCulture, $"initialEpoch must be in [0, epochs]; epochs={epochs}. Received: initialEpoch={initialEpoch}."));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ValidateVerbose(verbose);
        if (!(validationSplit >= 0 && validationSplit < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, string.Create(CultureInfo.InvariantCulture, $"validationSplit must be in [0, 1). Received: validationSplit={validationSplit}."));
        }

        if (validationSplit > 0 && validationData is not null)
        {
            throw new ArgumentException("Give either validationSplit or validationData, not both.", nameof(validationData));
        }

        lock (_lock)
        {
            ValidateData(x, y, nameof(x), nameof(y));
            Tensor trainX = x, trainY = y;
            Tensor? valX = null, valY = null;
            if (validationSplit > 0)
            {
                int samples = x.Shape[0];
                int split = (int)Math.Ceiling(samples * (1.0 - validationSplit));
                if (split <= 0 || split >= samples)
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"validationSplit={validationSplit} of {samples} samples leaves {split} for training and {samples - split} for validation; both must be at least 1."), nameof(validationSplit));
                }

                trainX = x.Slice(0, split);
                trainY = y.Slice(0, split);
                valX = x.Slice(split, samples - split);
                valY = y.Slice(split, samples - split);
            }
            else if (validationData is (Tensor vx, Tensor vy))
            {
                ValidateData(vx, vy, "validationData.X", "validationData.Y");
                valX = vx;
                valY = vy;
            }

            // A resumed call (initialEpoch > 0) continues the shuffle stream of the call it resumes.
            bool resuming = initialEpoch > 0 && _fitCount > 0;
            long shuffleSeed = seed ?? SeededRandom.Derive(Seed, 1_000_000 + (resuming ? _fitCount - 1 : _fitCount));
            if (!resuming)
            {
                _fitCount++;
            }

            return Train(trainX, trainY, valX, valY, initialEpoch, epochs, batchSize, shuffle, shuffleSeed,
                callbacks?.ToList() ?? [], verbose, output ?? Console.Out, cancellationToken);
        }
    }

    /// <summary>Computes the loss (plus weight penalties) and metrics on a dataset, in inference mode (Keras' <c>evaluate</c>).</summary>
    /// <param name="x">Inputs, (samples, ...<see cref="InputShape"/>).</param>
    /// <param name="y">Targets.</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <param name="verbose">0 silent, 1 progress bar, 2 one line.</param>
    /// <param name="output">Where progress goes; <see cref="Console.Out"/> when null.</param>
    /// <returns><c>loss</c> and every metric by name.</returns>
    /// <exception cref="InvalidOperationException">The model is not compiled.</exception>
    /// <exception cref="ArgumentException">Shapes do not fit, sample counts differ, or inputs are not finite.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1 or <paramref name="verbose"/> is not 0, 1 or 2.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(Tensor x, Tensor y, int batchSize = 32, int verbose = 1, TextWriter? output = null)
    {
        RequireCompiled(nameof(Evaluate));
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ValidateVerbose(verbose);
        lock (_lock)
        {
            ValidateData(x, y, nameof(x), nameof(y));
            var loader = new BatchLoader(x, y, batchSize, shuffle: false, seed: 0);
            TextWriter writer = output ?? Console.Out;
            var progress = new ProgressBar(writer, verbose, ProgressBar.IsInteractive(writer));
            progress.Begin(loader.BatchCount);
            var logs = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (string key in _logKeys)
            {
                logs[key] = 0;
            }

            EvaluateCore(loader, logs, string.Empty, progress);
            progress.End(logs);
            return logs;
        }
    }

    /// <summary>Computes the outputs for <paramref name="x"/> in inference mode, batch by batch (Keras' <c>predict</c>).</summary>
    /// <param name="x">Inputs, (samples, ...<see cref="InputShape"/>).</param>
    /// <param name="batchSize">Samples per forward pass.</param>
    /// <returns>A new tensor (samples, ...<see cref="OutputShape"/>).</returns>
    /// <exception cref="ArgumentException">The input shape does not fit the model.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The model has no layers.</exception>
    public Tensor Predict(Tensor x, int batchSize = 32)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        lock (_lock)
        {
            ValidateInput(x, nameof(x));
            int samples = x.Shape[0];
            var result = new Tensor(OutputShape.Prepend(samples));
            int stride = OutputShape.ElementCount;
            for (int start = 0; start < samples; start += batchSize)
            {
                int count = Math.Min(batchSize, samples - start);
                Tensor batch = Forward(x.Slice(start, count), training: false);
                batch.AsReadOnlySpan().CopyTo(result.AsSpan().Slice(start * stride, count * stride));
            }

            return result;
        }
    }

    /// <summary>The Keras 3 summary table: layers with output shapes and parameter counts, then totals with sizes.</summary>
    public string Summary() => ModelSummary.Render(this);

    /// <summary>Writes <see cref="Summary"/> to <paramref name="writer"/> (<see cref="Console.Out"/> when null).</summary>
    public void PrintSummary(TextWriter? writer = null) => (writer ?? Console.Out).Write(Summary());

    /// <summary>Copies of every parameter's value, in <see cref="Parameters"/> order (Keras' <c>get_weights</c>).</summary>
    public IReadOnlyList<Tensor> GetWeights() => _parameters.Select(p => p.Value.Clone()).ToList();

    /// <summary>Overwrites every parameter's value, in <see cref="Parameters"/> order (Keras' <c>set_weights</c>).</summary>
    /// <exception cref="ArgumentException">The count or a shape differs; the message names the parameter.</exception>
    public void SetWeights(IReadOnlyList<Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (weights.Count != _parameters.Count)
        {
            throw new ArgumentException($"Model '{Name}' has {_parameters.Count} weight tensors but {weights.Count} were given.", nameof(weights));
        }

        for (int i = 0; i < weights.Count; i++)
        {
            if (weights[i] is null || weights[i].Shape != _parameters[i].Shape)
            {
                throw new ArgumentException($"Weight {i} ({ParameterName(i)}) has shape {_parameters[i].Shape} but the given tensor has {weights[i]?.Shape.ToString() ?? "null"}.", nameof(weights));
            }
        }

        for (int i = 0; i < weights.Count; i++)
        {
            weights[i].CopyTo(_parameters[i].Value);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Sequential '{Name}' ({_layers.Count} layers, {ParameterCount} parameters)";

    /// <summary>Copies every parameter value into <paramref name="destination"/>, reusing its tensors when they fit.</summary>
    internal void CopyWeightsTo(List<Tensor> destination)
    {
        if (destination.Count != _parameters.Count)
        {
            destination.Clear();
            destination.AddRange(_parameters.Select(p => new Tensor(p.Shape)));
        }

        for (int i = 0; i < _parameters.Count; i++)
        {
            _parameters[i].Value.CopyTo(destination[i]);
        }
    }

    /// <summary>The saved-file name of parameter <paramref name="index"/>: <c>dense/kernel</c>.</summary>
    internal string ParameterName(int index)
    {
        int seen = 0;
        foreach (Layer layer in _layers)
        {
            if (index < seen + layer.Parameters.Count)
            {
                return $"{layer.Name}/{layer.Parameters[index - seen].Name}";
            }

            seen += layer.Parameters.Count;
        }

        throw new ArgumentOutOfRangeException(nameof(index));
    }

    /// <summary>One training step on a batch: forward, loss (plus penalties), backward, optimizer step. Returns the loss.</summary>
    internal float TrainStep(Tensor inputs, Tensor targets)
    {
        Tensor output = Forward(inputs, training: true);
        float loss = Loss!.Compute(output, targets) + Penalty();
        for (int m = 0; m < _metrics.Length; m++)
        {
            _metrics[m].Update(output, targets);
        }

        Tensor gradient = GradientBuffer(output.Shape[0]);
        Layer last = _layers[^1];
        if (_fusedSoftmaxCrossEntropy)
        {
            ((ISoftmaxCrossEntropy)Loss).LogitsGradient(output, targets, gradient);
            gradient = last.BackwardFromLogitsGradient(gradient);
        }
        else
        {
            Loss.Gradient(output, targets, gradient);
            gradient = last.Backward(gradient);
        }

        for (int i = _layers.Count - 2; i >= 0 && _layers[i + 1].ComputesInputGradient; i--)
        {
            gradient = _layers[i].Backward(gradient);
        }

        Optimizer!.Step(_parameters);
        return loss;
    }

    private History Train(Tensor x, Tensor y, Tensor? valX, Tensor? valY, int initialEpoch, int epochs, int batchSize, bool shuffle, long shuffleSeed,
        List<Callback> callbacks, int verbose, TextWriter writer, CancellationToken cancellationToken)
    {
        var history = new History();
        StopTraining = false;
        UpdateFusion();
        var loader = new BatchLoader(x, y, batchSize, shuffle, shuffleSeed);
        BatchLoader? validation = valX is null ? null : new BatchLoader(valX, valY!, batchSize, shuffle: false, seed: 0);
        var progress = new ProgressBar(writer, verbose, ProgressBar.IsInteractive(writer));
        var empty = new Dictionary<string, double>(StringComparer.Ordinal);
        var batchLogs = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string key in _logKeys)
        {
            batchLogs[key] = 0;
        }

        foreach (Callback callback in callbacks)
        {
            callback.Model = this;
        }

        foreach (Callback callback in callbacks)
        {
            callback.OnTrainBegin(empty);
        }

        IReadOnlyDictionary<string, double> lastLogs = empty;
        for (int epoch = initialEpoch; epoch < epochs; epoch++)
        {
            foreach (Callback callback in callbacks)
            {
                callback.OnEpochBegin(epoch, empty);
            }

            loader.ShuffleForEpoch(epoch);
            ResetMetrics();
            double lossSum = 0;
            long seen = 0;
            progress.BeginEpoch(epoch, epochs, loader.BatchCount);
            for (int b = 0; b < loader.BatchCount; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                for (int c = 0; c < callbacks.Count; c++)
                {
                    callbacks[c].OnBatchBegin(b, batchLogs);
                }

                (Tensor inputs, Tensor targets) = loader.GetBatch(b);
                int n = inputs.Shape[0];
                float loss = TrainStep(inputs, targets);
                lossSum += (double)loss * n;
                seen += n;
                batchLogs["loss"] = lossSum / seen;
                for (int m = 0; m < _metrics.Length; m++)
                {
                    batchLogs[_metrics[m].Name] = _metrics[m].Result();
                }

                for (int c = 0; c < callbacks.Count; c++)
                {
                    callbacks[c].OnBatchEnd(b, batchLogs);
                }

                progress.Update(b + 1, batchLogs);
                if (StopTraining)
                {
                    break;
                }
            }

            var epochLogs = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (string key in _logKeys)
            {
                epochLogs[key] = batchLogs[key];
            }

            if (validation is not null)
            {
                EvaluateCore(validation, epochLogs, "val_", progress: null);
            }

            progress.End(epochLogs);
            foreach (Callback callback in callbacks)
            {
                callback.OnEpochEnd(epoch, epochLogs);
            }

            history.Append(epoch, epochLogs);
            lastLogs = epochLogs;
            if (StopTraining)
            {
                break;
            }
        }

        foreach (Callback callback in callbacks)
        {
            callback.OnTrainEnd(lastLogs);
        }

        return history;
    }

    private void EvaluateCore(BatchLoader loader, Dictionary<string, double> logs, string prefix, ProgressBar? progress)
    {
        ResetMetrics();
        double lossSum = 0;
        long seen = 0;
        for (int b = 0; b < loader.BatchCount; b++)
        {
            (Tensor inputs, Tensor targets) = loader.GetBatch(b);
            Tensor output = Forward(inputs, training: false);
            int n = inputs.Shape[0];
            lossSum += (double)Loss!.Compute(output, targets) * n;
            seen += n;
            for (int m = 0; m < _metrics.Length; m++)
            {
                _metrics[m].Update(output, targets);
            }

            if (progress is not null)
            {
                logs["loss"] = lossSum / seen;
                progress.Update(b + 1, logs);
            }
        }

        double penalty = Penalty();
        foreach (string key in _logKeys)
        {
            logs[prefix + key] = key == "loss" ? (lossSum / seen) + penalty : _metrics.First(m => m.Name == key).Result();
        }
    }

    private Tensor Forward(Tensor input, bool training)
    {
        Tensor output = input;
        for (int i = 0; i < _layers.Count; i++)
        {
            output = _layers[i].Forward(output, training);
        }

        return output;
    }

    private float Penalty()
    {
        float penalty = 0f;
        for (int i = 0; i < _regularized.Count; i++)
        {
            Parameter p = _regularized[i];
            penalty += p.Regularizer!.Penalty(p.Value.AsReadOnlySpan());
        }

        return penalty;
    }

    private void ResetMetrics()
    {
        for (int m = 0; m < _metrics.Length; m++)
        {
            _metrics[m].Reset();
        }
    }

    private Tensor GradientBuffer(int batch)
    {
        TensorShape sample = _layers[^1].OutputShape;
        if (_gradientStorage is null || _gradientStorage.Shape[0] < batch || _gradientStorage.Length / _gradientStorage.Shape[0] != sample.ElementCount)
        {
            _gradientStorage = new Tensor(sample.Prepend(batch));
            _gradientView = null;
        }

        if (_gradientStorage.Shape[0] == batch)
        {
            return _gradientStorage;
        }

        if (_gradientView is null || _gradientView.Shape[0] != batch)
        {
            _gradientView = _gradientStorage.Slice(0, batch);
        }

        return _gradientView;
    }

    private void FinishBuild()
    {
        _parameters.Clear();
        _regularized.Clear();
        foreach (Layer layer in _layers)
        {
            _parameters.AddRange(layer.Parameters);
        }

        _regularized.AddRange(_parameters.Where(p => p.Regularizer is not null));

        // Nobody reads the input gradient of the layers up to and including the first one with parameters.
        int firstWithParameters = _layers.FindIndex(l => l.Parameters.Count > 0);
        int lastSkipped = firstWithParameters < 0 ? _layers.Count - 1 : firstWithParameters;
        for (int i = 0; i < _layers.Count; i++)
        {
            _layers[i].ComputesInputGradient = i > lastSkipped;
        }

        UpdateFusion();
    }

    private void UpdateFusion() =>
        _fusedSoftmaxCrossEntropy = _layers.Count > 0 && Loss is ISoftmaxCrossEntropy { FromLogits: false } && _layers[^1].EndsWithSoftmax;

    private string UniqueName(string prefix)
    {
        for (int i = 0; ; i++)
        {
            string candidate = i == 0 ? prefix : string.Create(CultureInfo.InvariantCulture, $"{prefix}_{i}");
            if (!_layers.Any(l => l.Name == candidate))
            {
                return candidate;
            }
        }
    }

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

    private void ValidateData(Tensor x, Tensor y, string xName, string yName)
    {
        ArgumentNullException.ThrowIfNull(x, xName);
        ArgumentNullException.ThrowIfNull(y, yName);
        if (y.Rank == 0 || (x.Rank > 0 && x.Shape[0] != y.Shape[0]))
        {
            throw new ArgumentException($"{xName} has {(x.Rank > 0 ? x.Shape[0] : 0)} samples {x.Shape} but {yName} has {(y.Rank > 0 ? y.Shape[0] : 0)} {y.Shape}; the first axes must match.", yName);
        }

        ValidateInput(x, xName);
        TensorShape targetShape = y.Shape.DropFirst();
        Loss!.ValidateShapes(OutputShape, targetShape);
        foreach (Metric metric in _metrics)
        {
            metric.ValidateShapes(OutputShape, targetShape);
        }

        CheckFinite(x, xName);
        CheckFinite(y, yName);
    }

    private void ValidateInput(Tensor x, string name)
    {
        if (_layers.Count == 0)
        {
            throw new InvalidOperationException($"Model '{Name}' has no layers; add layers before training or predicting.");
        }

        if (x.Rank < 2)
        {
            throw new ArgumentException($"{name} must have a batch axis first, (samples, ...), but has shape {x.Shape}.", name);
        }

        TensorShape sample = x.Shape.DropFirst();
        if (!IsBuilt)
        {
            Build(sample);
            return;
        }

        if (sample != _inputShape)
        {
            Layer first = _layers.FirstOrDefault(l => l is not InputLayer) ?? _layers[0];
            throw new ArgumentException($"{Describe(first)} expects input {_inputShape.ToBatchString()} but got {sample.ToBatchString()}.", name);
        }
    }

    private static void CheckFinite(Tensor t, string name)
    {
        ReadOnlySpan<float> values = t.AsReadOnlySpan();
        if (values.Length == 0 || float.IsFinite(TensorPrimitives.MaxMagnitude(values)))
        {
            return;
        }

        for (int i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                int stride = values.Length / t.Shape[0];
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name} contains {(float.IsNaN(values[i]) ? "NaN" : "infinity")} at sample {i / stride} (element {i % stride}); training data must be finite."), name);
            }
        }
    }

    private static string Describe(Layer layer) => layer.Name.Length == 0 ? layer.TypeName : $"{layer.TypeName} '{layer.Name}'";

    private InvalidOperationException NotBuilt() =>
        new($"Model '{Name}' is not built yet: start it with an InputLayer, or call Fit, Predict or Build.");
}
