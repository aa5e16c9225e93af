using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Training;

namespace NeuralNet.Models;

/// <summary>
/// A trainable graph of layer calls with one or more inputs and outputs (Keras' <c>Model</c>): <see cref="Functional"/>
/// models are written with <see cref="Input"/> and <see cref="Layer.Call(SymbolicTensor)"/>, <see cref="Sequential"/>
/// models are a chain. Both are compiled, trained, evaluated, saved and loaded the same way.
/// </summary>
/// <remarks>
/// <para>Layers are seeded from the model's <see cref="Seed"/> (the i-th layer of <see cref="Layers"/> draws from
/// <c>Derive(seed, i)</c>) unless an earlier model seeded them, so the same seed gives the same initial weights, dropout
/// masks and — with <c>Fit</c>'s seed — the same shuffling, bit for bit, whatever the number of threads.</para>
/// <para>Thread safety: the <c>Predict</c> methods (<c>Predict</c>, <c>PredictOutputs</c>, <c>PredictOnBatch</c>) run side by
/// side when called from several threads, each on layers of its own that share the model's weights (the model's own
/// layers, or copies made when two predictions overlap and kept for later ones), with the same results as one at a time.
/// <c>Fit</c>, <c>Evaluate</c>, <c>Save</c>, <c>Forward</c>, <c>Backward</c> and the other methods that use the model's own
/// layers run alone: they wait for running predictions to finish and hold new ones back. A callback of <c>Fit</c> may
/// call <c>Predict</c>, which then runs in the training thread's turn. The methods that change the model
/// (<c>SetWeights</c>, <c>LoadWeights</c>, <c>Compile</c>, <see cref="Sequential.Add(Layer)"/>, <see cref="Sequential.Build"/>) also
/// run alone, so a prediction sees the model as it was before the change or as it is after it. <see cref="Trainable"/>
/// changes only what training updates, not what a prediction computes. What the model's lock cannot see is not supported
/// while another thread uses the model: a layer's own changes (a preprocessing layer's <c>Adapt</c>,
/// <see cref="Layer.Trainable"/> set during another thread's <c>Fit</c>, a parameter's values written directly).
/// Models built on the same layer object (an encoder in an autoencoder and in a model of its own) predict on copies of
/// their layers, so their <c>Predict</c>, <c>PredictOutputs</c> and <c>PredictOnBatch</c> calls may run side by side and
/// beside one call that runs a model's own layers (<c>Fit</c>, <c>Evaluate</c>, the custom-loop methods, the first
/// prediction of a model not built yet, a prediction from the model's own callbacks); a prediction beside the other's
/// <c>Fit</c> reads weights that training is changing. Two calls that run
/// their own layers, in two such models at once, are not supported (each model's lock covers that model only); nor is
/// building one of them while another predicts from another thread.</para>
/// </remarks>
public abstract partial class Model
{
    private readonly ModelGate _gate = new();
    private ParameterSet _parameterSet = ParameterSet.Empty;
    private readonly Tensor[] _stepBatch = new Tensor[2];
    private readonly Dictionary<string, double> _batchLogs = new(StringComparer.Ordinal);
    private double _batchLossSum;
    private long _batchLossCount;
    private GraphExecutor? _executor;
    private CompileRequest? _compileRequest;
    private Trainer? _trainer;
    private int _fitCount;
    private bool _trainable = true;

    /// <summary>Creates a model.</summary>
    /// <param name="name">The model's name, shown by <see cref="Summary"/>.</param>
    /// <param name="seed">The seed of every layer's initialization and dropout.</param>
    private protected Model(string name, long seed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Seed = seed;
    }

    /// <summary>The model's name.</summary>
    public string Name { get; }

    /// <summary>The seed layers are initialized from.</summary>
    public long Seed { get; }

    /// <summary>The layers, each once (a shared layer too), in Keras' order.</summary>
    public abstract IReadOnlyList<Layer> Layers { get; }

    /// <summary>The layer named <paramref name="name"/> (Keras' <c>model.get_layer(name)</c>).</summary>
    /// <param name="name">The layer's name, as <see cref="Summary"/> shows it.</param>
    /// <returns>The layer, one of <see cref="Layers"/>.</returns>
    /// <exception cref="ArgumentException">No layer of the model has that name; the message lists the names it has.</exception>
    public Layer GetLayer(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (Layer layer in Layers)
        {
            if (layer.Name == name)
            {
                return layer;
            }
        }

        throw new ArgumentException($"Model '{Name}' has no layer named '{name}'; its layers are {string.Join(", ", Layers.Select(l => $"'{l.Name}'"))}.", nameof(name));
    }

    /// <summary>
    /// The layer at <paramref name="index"/> in <see cref="Layers"/> (Keras' <c>model.get_layer(index=i)</c>). A
    /// <see cref="Sequential"/> lists its <see cref="InputLayer"/> there, where Keras' <c>Sequential.layers</c> leaves it out,
    /// so index 0 of a Sequential that starts with one is that <see cref="InputLayer"/>.
    /// </summary>
    /// <param name="index">The position, from 0.</param>
    /// <returns>The layer.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The model has no layer at that position.</exception>
    public Layer GetLayer(int index)
    {
        IReadOnlyList<Layer> layers = Layers;
        return index >= 0 && index < layers.Count ? layers[index]
            : throw new ArgumentOutOfRangeException(nameof(index), index, string.Create(CultureInfo.InvariantCulture, $"Model '{Name}' has {layers.Count} layer(s), numbered from 0."));
    }

    /// <summary>Whether the model's graph exists (a <see cref="Sequential"/> without an <see cref="InputLayer"/> is built by its first use).</summary>
    public bool IsBuilt => _executor is not null;

    /// <summary>The symbolic inputs, in order. Throws until built.</summary>
    public IReadOnlyList<SymbolicTensor> Inputs => Executor.Graph.Inputs;

    /// <summary>The symbolic outputs, in order. Throws until built.</summary>
    public IReadOnlyList<SymbolicTensor> Outputs => Executor.Graph.Outputs;

    /// <summary>The names of the inputs (their <see cref="InputLayer"/>s' names): the keys of dictionary inputs. Throws until built.</summary>
    public IReadOnlyList<string> InputNames => [.. Inputs.Select(t => t.Layer.Name)];

    /// <summary>
    /// The names of the outputs: the keys of dictionary targets, losses and metrics. An output is named after the layer that
    /// produces it; when one layer gives several outputs (an attention layer's output and its scores), the later ones get
    /// <c>_1</c>, <c>_2</c>, ... after the layer's name (<c>mha</c>, <c>mha_1</c>), as tf.keras named them: Keras 3 gives
    /// both the layer's name, which a dictionary cannot tell apart.
    /// </summary>
    public virtual IReadOnlyList<string> OutputNames => UniqueOutputNames([.. Outputs.Select(t => t.Layer.Name)]);

    // tf.keras' Network._set_output_names: a name already taken becomes name_1, name_2, ... (counting per layer name).
    private static string[] UniqueOutputNames(string[] names)
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < names.Length; k++)
        {
            string layer = names[k], proposal = layer;
            while (!taken.Add(proposal))
            {
                int count = counts.GetValueOrDefault(layer, 1);
                proposal = string.Create(CultureInfo.InvariantCulture, $"{layer}_{count}");
                counts[layer] = count + 1;
            }

            names[k] = proposal;
        }

        return names;
    }

    /// <summary>
    /// The shape of one sample of the model's single input (no batch axis). Throws until built, and for several inputs.
    /// A variable axis holds <see cref="InputLayer.NominalLength"/> (see <see cref="SymbolicTensor.VariableAxes"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is not built or has several inputs (see <see cref="Inputs"/>).</exception>
    public TensorShape InputShape => Single(Inputs, "inputs").Shape;

    /// <summary>
    /// The shape of one sample of the model's single output (no batch axis). Throws until built, and for several outputs.
    /// A variable axis holds its length for the nominal input lengths; a batch of other lengths gives other lengths there.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is not built or has several outputs (see <see cref="Outputs"/>).</exception>
    public TensorShape OutputShape => Single(Outputs, "outputs").Shape;

    /// <summary>Every parameter of every layer, each once, in layer order (empty until built).</summary>
    /// <remarks>Enabling LoRA on a layer of the model adds its parameters here (<see cref="ILoraLayer.EnableLora"/>).</remarks>
    public IReadOnlyList<Parameter> Parameters => CurrentParameters().All;

    /// <summary>The number of scalars in all parameters (a shared layer's counted once).</summary>
    public long ParameterCount => Layers.Sum(l => l.ParameterCount);

    /// <summary>The number of scalars in trainable parameters (those of frozen layers not counted).</summary>
    public long TrainableParameterCount => Layers.Sum(l => l.TrainableParameterCount);

    /// <summary>
    /// Whether the model is trained (Keras' <c>model.trainable</c>); true by default. Setting it sets
    /// <see cref="Layer.Trainable"/> of every layer in <see cref="Layers"/> (and the layers inside wrappers), as Keras' setter
    /// recurses: <c>baseModel.Trainable = false</c> freezes a whole model. A layer's own setting can be changed afterwards
    /// (unfreeze the top layers to fine-tune them). Saved in the model file and read back. The change takes effect at the
    /// next training step; <c>Compile</c> need not be called again.
    /// </summary>
    public bool Trainable
    {
        get => _trainable;
        set
        {
            _trainable = value;
            foreach (Layer layer in Layers)
            {
                layer.Trainable = value;
            }
        }
    }

    /// <summary>The optimizer given to <c>Compile</c>, or null.</summary>
    public Optimizer? Optimizer => _compileRequest?.Optimizer;

    /// <summary>The loss given to <c>Compile</c> when every output has that loss; null otherwise (see <see cref="Losses"/>).</summary>
    public Loss? Loss => _compileRequest?.Losses is { Length: > 0 } losses && losses.All(l => ReferenceEquals(l, losses[0])) ? losses[0] : null;

    /// <summary>Each output's loss, in output order (null for an output without one); empty until compiled.</summary>
    public IReadOnlyList<Loss?> Losses => _compileRequest?.Losses ?? [];

    /// <summary>Each output's weight in the total loss (Keras' <c>loss_weights</c>), or null when all are 1.</summary>
    public IReadOnlyList<float>? LossWeights => _compileRequest?.LossWeights;

    /// <summary>Every metric given to <c>Compile</c>, output by output.</summary>
    public IReadOnlyList<Metric> Metrics => _compileRequest?.Metrics.SelectMany(m => m).ToList() ?? [];

    /// <summary>The weighted metrics of every output (Keras' <c>weighted_metrics</c>), in output order; empty when none.</summary>
    public IReadOnlyList<Metric> WeightedMetrics => _compileRequest?.WeightedMetrics?.SelectMany(m => m).ToList() ?? [];

    /// <summary>Whether <c>Compile</c> has been called.</summary>
    public bool IsCompiled => _compileRequest is not null;

    /// <summary>Set to true (by a callback) to stop <c>Fit</c> after the current batch; reset when <c>Fit</c> starts.</summary>
    public bool StopTraining { get; set; }

    /// <summary>
    /// Set to true (by a callback) to stop <c>Evaluate</c>, or <c>Fit</c>'s validation, after the current batch (Keras'
    /// <c>stop_evaluating</c>); the results are those of the batches evaluated. Reset when an evaluation starts.
    /// </summary>
    public bool StopEvaluating { get; set; }

    /// <summary>
    /// Set to true (by a callback) to stop <c>Predict</c> after the current batch (Keras' <c>stop_predicting</c>); it then
    /// returns the predictions of the batches run. Reset when a <c>Predict</c> with callbacks starts.
    /// </summary>
    public bool StopPredicting { get; set; }

    private Func<Parameter, string?>? _parameterPathLookup;

    /// <summary>The executor of the built graph.</summary>
    private protected GraphExecutor Executor => _executor ?? throw NotBuilt();

    // Whether the model is built with inputs whose lengths vary (Input([null, ...])).
    private bool HasVariableInputs => _executor?.HasVariableInputs == true;

    /// <summary>The model's graph of layer calls (the summary and the serializer read it).</summary>
    internal Graph Graph => Executor.Graph;

    /// <summary>
    /// Configures training from Keras identifiers, as <c>model.compile(optimizer="adam", loss="mse", metrics=["mae"])</c>:
    /// each name gives the component with its default settings. Optimizers: <c>"sgd"</c>, <c>"adam"</c>, <c>"rmsprop"</c>,
    /// <c>"adamw"</c>, <c>"adagrad"</c>, <c>"adadelta"</c>, <c>"adamax"</c>, <c>"nadam"</c>, <c>"lion"</c>, <c>"ftrl"</c>, <c>"lamb"</c>, <c>"adafactor"</c>, <c>"muon"</c>, <c>"schedule_free_adamw"</c>;
    /// losses such as <c>"categorical_crossentropy"</c>, <c>"binary_crossentropy"</c>, <c>"mse"</c>, <c>"mae"</c>, <c>"huber"</c>;
    /// metrics such as <c>"accuracy"</c> (resolved from the targets' shape, as Keras resolves it from the loss), <c>"mae"</c>,
    /// <c>"auc"</c>, <c>"precision"</c>, <c>"mape"</c>, <c>"binary_crossentropy"</c>, <c>"kl_divergence"</c>, <c>"true_positives"</c>,
    /// <c>"poisson"</c> (docs/training.md lists them all). Names of registered types of your own work too. As in Keras 3, a metric is logged
    /// under the identifier given: <c>"mae"</c> logs <c>mae</c> and <c>val_mae</c>, <c>"acc"</c> logs <c>acc</c>.
    /// </summary>
    /// <param name="optimizer">The optimizer's identifier.</param>
    /// <param name="loss">The loss' identifier, applied to every output.</param>
    /// <param name="metrics">The metrics' identifiers (one output).</param>
    /// <example><c>model.Compile("adam", "sparse_categorical_crossentropy", "accuracy");</c></example>
    /// <exception cref="ArgumentException">An identifier is unknown (the message lists the known ones), or as for <see cref="Compile(Optimizer, Loss, Metric[])"/>.</exception>
    public void Compile(string optimizer, string loss, params string[] metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        Optimizer resolvedOptimizer = SerializationRegistry.FromIdentifier<Optimizer>(optimizer, nameof(optimizer));
        Loss resolvedLoss = SerializationRegistry.FromIdentifier<Loss>(loss, nameof(loss));
        Metric[] resolvedMetrics = [.. metrics.Select(m => SerializationRegistry.FromIdentifier<Metric>(m, nameof(metrics)))];

        // Keras 3 (compile_utils.get_metric) logs a metric named by a string under that string: "mae", not mean_absolute_error.
        for (int i = 0; i < metrics.Length; i++)
        {
            resolvedMetrics[i].Rename(metrics[i], nameof(metrics));
        }

        Compile(resolvedOptimizer, resolvedLoss, resolvedMetrics);
    }

    /// <summary>
    /// Configures training without a compiled loss, from the optimizer's Keras identifier (Keras'
    /// <c>model.compile(optimizer="adam")</c>); see <see cref="Compile(Optimizer)"/>.
    /// </summary>
    /// <param name="optimizer">The optimizer's identifier, such as <c>"adam"</c>.</param>
    /// <exception cref="ArgumentException">The identifier is unknown (the message lists the known ones).</exception>
    public void Compile(string optimizer) => Compile(SerializationRegistry.FromIdentifier<Optimizer>(optimizer, nameof(optimizer)));

    /// <summary>
    /// Configures training without a compiled loss (Keras' <c>model.compile(optimizer=...)</c> with no <c>loss</c>): the loss
    /// of <c>Fit</c>, <c>Evaluate</c> and the batch methods is then the sum of what the layers add with <c>AddLoss</c>, the
    /// activity regularizers' loss and the weights' penalties, as Keras 3's <c>compute_loss</c> sums <c>model.losses</c>.
    /// They take no targets (<c>model.Fit(x)</c>, <c>model.Evaluate(x)</c>; targets given are not used), and log
    /// <c>loss</c> alone. A batch with none of those terms is refused, as Keras raises "No loss to compute".
    /// </summary>
    /// <param name="optimizer">The optimizer; it keeps per-parameter state, so give each model its own.</param>
    /// <example><c>vae.Compile(new Adam()); vae.Fit(images, epochs: 30);</c></example>
    public void Compile(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        int outputs = OutputCountForCompile;
        SetCompileRequest(new CompileRequest(optimizer, new Loss?[outputs], null, [.. Enumerable.Range(0, outputs).Select(_ => Array.Empty<Metric>())]));
    }

    /// <summary>
    /// Configures training with one loss for every output (Keras' <c>compile</c>): the optimizer, the loss and, for a model
    /// with one output, the metrics to report.
    /// </summary>
    /// <param name="optimizer">The optimizer; it keeps per-parameter state, so give each model its own.</param>
    /// <param name="loss">The loss, applied to every output.</param>
    /// <param name="metrics">Metrics reported under their <see cref="Metric.Name"/>s (and <c>val_</c> names), e.g. <c>new Accuracy()</c>
    /// or <c>new Precision(0.3) { Name = "p30" }</c>; a name already logged gets <c>_1</c>, <c>_2</c>, ... as in Keras. A model
    /// with several outputs takes its metrics per output: use the overload with a list or a dictionary.</param>
    /// <exception cref="ArgumentException">A metric's log name clashes with <c>loss</c> or with another metric's (after Keras' suffixes), or metrics were given as one list for several outputs.</exception>
    public void Compile(Optimizer optimizer, Loss loss, params Metric[] metrics)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(metrics);
        int outputs = OutputCountForCompile;
        if (outputs > 1 && metrics.Length > 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Model '{Name}' has {outputs} outputs ({string.Join(", ", OutputNames)}); give its metrics per output, as a list of lists or a dictionary by output name."), nameof(metrics));
        }

        Metric[][] perOutput = outputs == 1 ? [metrics] : [.. Enumerable.Range(0, outputs).Select(_ => Array.Empty<Metric>())];
        SetCompileRequest(new CompileRequest(optimizer, [.. Enumerable.Repeat<Loss?>(loss, outputs)], null, perOutput));
    }

    /// <summary>
    /// Configures training with one loss for every output, plain metrics and weighted metrics (Keras' <c>compile(...,
    /// metrics, weighted_metrics)</c>) for a model with one output.
    /// </summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="loss">The loss.</param>
    /// <param name="metrics">Metrics computed without sample weights.</param>
    /// <param name="weightedMetrics">Metrics that receive <c>Fit</c>'s and <c>Evaluate</c>'s sample (or class) weights; each is
    /// logged under its name, or <c>weighted_</c> + its name when a plain metric has that name (as Keras).</param>
    /// <exception cref="ArgumentException">The model has several outputs, a metric instance repeats, or two log names coincide.</exception>
    public void Compile(Optimizer optimizer, Loss loss, IReadOnlyList<Metric> metrics, IReadOnlyList<Metric> weightedMetrics)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(weightedMetrics);
        int outputs = OutputCountForCompile;
        if (outputs > 1)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Model '{Name}' has {outputs} outputs ({string.Join(", ", OutputNames)}); give its metrics and weighted metrics per output, as lists of lists or dictionaries by output name."), nameof(weightedMetrics));
        }

        SetCompileRequest(new CompileRequest(optimizer, [loss], null, [[.. metrics]], [[.. weightedMetrics]]));
    }

    /// <summary>Configures training with a loss, a weight and metrics per output, in output order.</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="losses">One loss per output (null for an output not trained; all null for none, as <see cref="Compile(Optimizer)"/>).</param>
    /// <param name="lossWeights">One weight per output (the total loss is the weighted sum), or null for all 1.</param>
    /// <param name="metrics">One list of metrics per output, or null for none.</param>
    /// <param name="weightedMetrics">One list of weighted metrics per output (they receive the sample weights), or null for none.</param>
    /// <exception cref="ArgumentException">A count differs from the number of outputs, a metric instance repeats, or two log names coincide.</exception>
    public void Compile(Optimizer optimizer, IReadOnlyList<Loss?> losses, IReadOnlyList<float>? lossWeights = null, IReadOnlyList<IReadOnlyList<Metric>>? metrics = null, IReadOnlyList<IReadOnlyList<Metric>>? weightedMetrics = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(losses);
        int outputs = OutputCountForCompile;
        Metric[][] perOutput = metrics is null ? [.. Enumerable.Range(0, outputs).Select(_ => Array.Empty<Metric>())] : [.. metrics.Select(m => m?.ToArray() ?? [])];
        Metric[][]? weighted = weightedMetrics is null ? null : [.. weightedMetrics.Select(m => m?.ToArray() ?? [])];
        SetCompileRequest(new CompileRequest(optimizer, [.. losses], lossWeights?.ToArray(), perOutput, weighted));
    }

    /// <summary>Configures training by output name (the names of the layers that produce the outputs, made unique, <see cref="OutputNames"/>).</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="losses">Losses by output name; an output left out is not trained (an empty dictionary: no compiled loss, as <see cref="Compile(Optimizer)"/>).</param>
    /// <param name="lossWeights">Weights by output name (1 for an output left out), or null.</param>
    /// <param name="metrics">Metrics by output name, or null.</param>
    /// <param name="weightedMetrics">Weighted metrics by output name (they receive the sample weights), or null.</param>
    /// <exception cref="ArgumentException">A name is not an output's, a metric instance repeats, or two log names coincide.</exception>
    public void Compile(Optimizer optimizer, IReadOnlyDictionary<string, Loss> losses, IReadOnlyDictionary<string, float>? lossWeights = null, IReadOnlyDictionary<string, IReadOnlyList<Metric>>? metrics = null, IReadOnlyDictionary<string, IReadOnlyList<Metric>>? weightedMetrics = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(losses);
        IReadOnlyList<string> names = OutputNames;
        CheckOutputKeys(losses.Keys, names, nameof(losses));
        CheckOutputKeys(lossWeights?.Keys ?? [], names, nameof(lossWeights));
        CheckOutputKeys(metrics?.Keys ?? [], names, nameof(metrics));
        CheckOutputKeys(weightedMetrics?.Keys ?? [], names, nameof(weightedMetrics));
        SetCompileRequest(new CompileRequest(
            optimizer,
            [.. names.Select(n => losses.GetValueOrDefault(n))],
            lossWeights is null ? null : [.. names.Select(n => lossWeights.GetValueOrDefault(n, 1f))],
            [.. names.Select(n => metrics?.GetValueOrDefault(n)?.ToArray() ?? [])],
            weightedMetrics is null ? null : [.. names.Select(n => weightedMetrics.GetValueOrDefault(n)?.ToArray() ?? [])]));
    }

    /// <summary>The Keras 3 summary table: layers with output shapes and parameter counts (and, for a graph that is not a chain, what each is connected to), then totals with sizes.</summary>
    public string Summary() => ModelSummary.Render(this);

    /// <summary>Writes <see cref="Summary"/> to <paramref name="writer"/> (<see cref="Console.Out"/> when null).</summary>
    public void PrintSummary(TextWriter? writer = null) => (writer ?? Console.Out).Write(Summary());

    /// <summary>
    /// Copies of every parameter's value in Keras' order (Keras' <c>model.get_weights()</c>): each layer's
    /// <see cref="Layer.Weights"/> (its <see cref="Layer.GetWeights"/> list), one layer after the other. That is
    /// <see cref="Parameters"/> order except inside a layer whose Keras order differs from its creation order (a
    /// <see cref="SpectralNormalization"/>, a layer with sublayers; see <see cref="Layer.GetWeights"/>).
    /// </summary>
    public IReadOnlyList<Tensor> GetWeights() => WeightParameters().Select(p => p.Value.Clone()).ToList();

    /// <summary>
    /// Overwrites every parameter's value, in <see cref="GetWeights"/> order (Keras' <c>set_weights</c>). Waits for running
    /// predictions to finish and holds new ones back while it copies, so each prediction sees the old weights or the new.
    /// </summary>
    /// <exception cref="ArgumentException">The count or a shape differs; the message names the parameter. Nothing is changed then.</exception>
    /// <exception cref="InvalidOperationException">Called from inside a prediction of this model (a layer calling back into it).</exception>
    public void SetWeights(IReadOnlyList<Tensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        SetWeights(WeightParameters(), weights);
    }

    /// <summary>
    /// <see cref="SetWeights(IReadOnlyList{Tensor})"/> in <see cref="Parameters"/> order, for values <see cref="CopyWeightsTo"/>
    /// took (EarlyStopping's best weights).
    /// </summary>
    internal void RestoreWeights(IReadOnlyList<Tensor> weights) => SetWeights(CurrentParameters().All, weights);

    private void SetWeights(IReadOnlyList<Parameter> parameters, IReadOnlyList<Tensor> weights)
    {
        if (weights.Count != parameters.Count)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Model '{Name}' has {parameters.Count} weight tensors but {weights.Count} were given."), nameof(weights));
        }

        for (int i = 0; i < weights.Count; i++)
        {
            if (weights[i] is null || weights[i].Shape != parameters[i].Shape)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Weight {i} ({ParameterName(parameters[i])}) has shape {parameters[i].Shape} but the given tensor has {weights[i]?.Shape.ToString() ?? "null"}."), nameof(weights));
            }
        }

        // Held alone, as LoadWeights is: a running prediction must not read half-copied weights (nor a kernel that a
        // Dense layer packed from the old ones for the prediction's later batches).
        using (_gate.EnterExclusive())
        {
            for (int i = 0; i < weights.Count; i++)
            {
                weights[i].CopyTo(parameters[i].Value);
                parameters[i].PendingInitializer = null;
            }
        }
    }

    // Keras' model.weights: the model's layers' weights in turn (Functional and Sequential have none of their own).
    // Each layer's Weights holds its Parameters in another order, so this holds Parameters' entries.
    private Parameter[] WeightParameters() => [.. Layers.SelectMany(l => l.Weights)];

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{GetType().Name} '{Name}' ({Layers.Count} layers, {ParameterCount} parameters)");

    /// <summary>The number of outputs a compile request must cover (known before a <see cref="Sequential"/> is built).</summary>
    private protected virtual int OutputCountForCompile => Outputs.Count;

    /// <summary>
    /// Set by a callback's <c>OnTrainBegin</c> (BackupAndRestore) to make the running Fit start at this epoch instead of its
    /// <c>initialEpoch</c>; the trainer reads and clears it.
    /// </summary>
    internal int? ResumeEpoch { get; set; }

    /// <summary>The Fit count saved with the model, so that a resumed Fit continues the shuffle stream.</summary>
    internal int FitCount
    {
        get => _fitCount;
        set => _fitCount = value;
    }

    /// <summary>Each output's metrics, as compiled.</summary>
    internal IReadOnlyList<Metric[]> OutputMetrics => _compileRequest?.Metrics ?? [];

    /// <summary>The weighted metrics of each output, as compiled (empty lists when none).</summary>
    internal IReadOnlyList<Metric[]> OutputWeightedMetrics => _compileRequest is CompileRequest request ? request.WeightedOrEmpty(request.Metrics.Length) : [];

    /// <summary>The layer instances the model runs: each layer, and the extra instances of shared layers' later calls.</summary>
    internal IEnumerable<Layer> LayerInstances => Executor.Instances;

    /// <summary>The parameters with a regularizer.</summary>
    internal IReadOnlyList<Parameter> RegularizedParameters => CurrentParameters().Regularized;

    /// <summary>Copies every parameter value into <paramref name="destination"/>, reusing its tensors when they fit.</summary>
    internal void CopyWeightsTo(List<Tensor> destination)
    {
        IReadOnlyList<Parameter> parameters = CurrentParameters().All;
        if (destination.Count != parameters.Count)
        {
            destination.Clear();
            destination.AddRange(parameters.Select(p => new Tensor(p.Shape)));
        }

        for (int i = 0; i < parameters.Count; i++)
        {
            parameters[i].Value.CopyTo(destination[i]);
        }
    }

    /// <summary>
    /// The model's <see cref="TryParameterName"/> as one delegate, made once, for the optimizer's
    /// <see cref="Optimizer.ParameterPath"/>.
    /// </summary>
    internal Func<Parameter, string?> ParameterPathLookup => _parameterPathLookup ??= TryParameterName;

    /// <summary>The name of a parameter in files and messages: <c>layer/parameter</c>.</summary>
    /// <exception cref="InvalidOperationException">The parameter does not belong to this model.</exception>
    internal string ParameterName(Parameter parameter) =>
        TryParameterName(parameter) ?? throw new InvalidOperationException($"Parameter '{parameter.Name}' does not belong to model '{Name}'; was the optimizer used with another model?");

    /// <summary><c>layer/parameter</c> for a parameter of this model; null for another's.</summary>
    internal string? TryParameterName(Parameter parameter)
    {
        foreach (Layer layer in Layers)
        {
            foreach (Parameter p in layer.Parameters)
            {
                if (ReferenceEquals(p, parameter))
                {
                    return $"{layer.Name}/{p.Name}";
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Makes <paramref name="graph"/> the model's graph: seeds the layers no model seeded before (layer i from
    /// <c>Derive(Seed, i)</c>), fills their pending parameters, collects the parameters and prepares the executor.
    /// </summary>
    private protected void SetGraph(Graph graph, IReadOnlyList<Layer> layers)
    {
        // The executor first: creating the instances of shared layers is the last step that can fail, so nothing below
        // (names, seeds, initial weights) changes a layer unless the model is created.
        var executor = new GraphExecutor(graph);
        graph.AssignNames();
        for (int i = 0; i < layers.Count; i++)
        {
            Layer layer = layers[i];
            if (!layer.IsSeeded)
            {
                layer.Seed = SeededRandom.Derive(Seed, i);
                layer.IsSeeded = true;
            }

            layer.InitializeParameters();
        }

        executor.SyncInstances();
        executor.ReportSureMaskDrops();
        ApplyInputGradientSetting(executor);
        Volatile.Write(ref _parameterSet, ParameterSet.Collect(layers, executor.ParameterSetStamp()));
        _executor = executor;
        _gate.SetExecutor(executor);
        _trainer = null;
    }

    /// <summary>
    /// The parameter lists, collected again when a layer the model runs gained parameters since (LoRA enabled, even from a
    /// callback during Fit). A collected set is never changed, only replaced: a list a caller or a running step holds stays
    /// as it was. Allocates nothing unless a layer changed.
    /// </summary>
    internal ParameterSet CurrentParameters()
    {
        ParameterSet set = Volatile.Read(ref _parameterSet);
        if (_executor is GraphExecutor executor && executor.ParameterSetStamp() is long stamp && stamp != set.Stamp)
        {
            set = ParameterSet.Collect(Layers, stamp);
            Volatile.Write(ref _parameterSet, set);
        }

        return set;
    }

    /// <summary>
    /// Undoes the build that the current call made from its data, when that data then failed a check: the model is as it
    /// was before the call (a Sequential without an InputLayer can build again from the corrected data). Nothing to do
    /// for a model built when it was created.
    /// </summary>
    private protected virtual void UndoBuild()
    {
    }

    /// <summary>
    /// Takes the model for the caller alone (reentrant on its thread): waits for running predictions and holds new ones
    /// back until disposed. Everything that changes the model's graph or weights while predictions may run holds it.
    /// </summary>
    /// <exception cref="InvalidOperationException">This thread is inside a prediction of this model.</exception>
    private protected ModelGate.ExclusiveScope EnterExclusive() => _gate.EnterExclusive();

    /// <summary>Drops the graph <see cref="SetGraph"/> made: the model is not built.</summary>
    private protected void ForgetGraph()
    {
        _executor = null;
        Volatile.Write(ref _parameterSet, ParameterSet.Empty);
        _trainer = null;
        _gate.ForgetExecutor();
    }

    /// <summary>
    /// The trainer for the current graph and compile settings, created when either changed, for a call that runs batches
    /// (Fit, Evaluate, TrainOnBatch, TestOnBatch, ComputeGradients): an output sure to carry a mask that its loss or a
    /// metric cannot take is refused here, before the call changes anything.
    /// </summary>
    private protected Trainer GetTrainer(string method)
    {
        Trainer trainer = CurrentTrainer(method);
        trainer.RefuseSureMasks();
        return trainer;
    }

    /// <summary>The trainer for the current graph and compile settings, created when either changed, unchecked: for calls that run no batch (ResetMetrics).</summary>
    private Trainer CurrentTrainer(string method)
    {
        CompileRequest request = _compileRequest ?? throw new InvalidOperationException($"{method} was called before Compile: call model.Compile(optimizer, loss, metrics) first.");
        return _trainer ??= new Trainer(this, Executor,
            CompileSettings.Create(request.Optimizer, request.Losses, request.LossWeights, request.Metrics, request.WeightedOrEmpty(request.Metrics.Length), OutputNames));
    }

    /// <summary>
    /// Which way the logged quantity <paramref name="key"/> of the compiled model improves (see
    /// <see cref="CompileSettings.DirectionOf"/>); unknown before <c>Compile</c>.
    /// </summary>
    internal MetricDirection LogDirection(string key)
    {
        if (_trainer is Trainer trainer)
        {
            return trainer.Settings.DirectionOf(key);
        }

        return _compileRequest is CompileRequest request
            ? CompileSettings.Create(request.Optimizer, request.Losses, request.LossWeights, request.Metrics, request.WeightedOrEmpty(request.Metrics.Length), OutputNames).DirectionOf(key)
            : MetricDirection.Unknown;
    }

    /// <summary>Thrown by members that need the graph before it exists.</summary>
    private protected virtual InvalidOperationException NotBuilt() => new($"Model '{Name}' is not built yet.");

    private void SetCompileRequest(CompileRequest request)
    {
        // Resolve now, so that a bad request fails at Compile; a Sequential not yet built resolves against its one output.
        CompileSettings.Create(request.Optimizer, request.Losses, request.LossWeights, request.Metrics, request.WeightedOrEmpty(request.Metrics.Length), OutputNames);

        // Predictions do not read the compile settings, but Fit, Evaluate and the custom-loop methods do: a Compile from
        // another thread waits for them to finish rather than swap the optimizer or the losses in the middle of a run.
        using (_gate.EnterExclusive())
        {
            _compileRequest = request;
            _trainer = null;

            // Muon picks its rule by Keras' variable paths (layer/parameter); the trainer sets it again before each step, so
            // an optimizer compiled on two models asks the one it is stepping for.
            request.Optimizer.ParameterPath = ParameterPathLookup;
        }
    }

    private void CheckOutputKeys(IEnumerable<string> keys, IReadOnlyList<string> names, string parameterName)
    {
        foreach (string key in keys)
        {
            if (!names.Contains(key))
            {
                throw new ArgumentException($"'{key}' is not an output of model '{Name}'; its outputs are {string.Join(", ", names.Select(n => $"'{n}'"))}.", parameterName);
            }
        }
    }

    private T Single<T>(IReadOnlyList<T> items, string what) => items.Count == 1
        ? items[0]
        : throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"Model '{Name}' has {items.Count} {what}; read {(what == "inputs" ? "Inputs" : "Outputs")}[i].Shape."));

    private sealed record CompileRequest(Optimizer Optimizer, Loss?[] Losses, float[]? LossWeights, Metric[][] Metrics, Metric[][]? WeightedMetrics = null)
    {
        public Metric[][] WeightedOrEmpty(int outputs) => WeightedMetrics ?? [.. Enumerable.Range(0, outputs).Select(_ => Array.Empty<Metric>())];
    }
}
