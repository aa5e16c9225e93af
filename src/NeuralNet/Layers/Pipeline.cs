using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Applies a series of layers to an input, in order (Keras' <c>keras.layers.Pipeline</c>): a plain layer, not a model,
/// typically an image augmentation pipeline (<c>new Pipeline([new RandomFlip(), new RandomRotation(0.2)])</c>) used in a
/// model or on data with <see cref="Apply"/>.
/// </summary>
/// <remarks>
/// <para>
/// Each layer runs on the previous one's output and receives its output mask, as Keras' <c>call</c> passes
/// <c>mask</c> from layer to layer; the pipeline's output mask is the last layer's. Inside a model the pipeline runs in
/// the model's mode (<c>Fit</c> trains, <c>Predict</c> infers), as Keras' resolves <c>training</c> from the outer call;
/// called on data alone, Keras' <c>training</c> defaults to true, which is <see cref="Apply"/>'s default here.
/// </para>
/// <para>
/// As the other wrappers (<see cref="TimeDistributed"/>), the pipeline runs copies of the layers given, made from their
/// configurations when it is built (<see cref="RunningLayers"/>, which <see cref="Layers"/> returns from then on), whose
/// weights are this layer's own, saved under each layer's name (<c>pipeline/dense/kernel</c>); an unnamed layer is named
/// after its type, numbered within the pipeline (<c>random_flip</c>, <c>random_flip_1</c>). The i-th layer draws its
/// random numbers from its own seed when given one, else from a seed derived from i and the pipeline's <c>seed</c> (or,
/// without one, the model's). Layers of several inputs or outputs are refused.
/// </para>
/// </remarks>
public sealed class Pipeline : Layer
{
    private readonly Layer[] _layers;
    private readonly IReadOnlyList<Layer> _layersView;
    private readonly string[] _names;
    private readonly long? _seed;
    private Layer[] _running = [];
    private IReadOnlyList<Layer> _runningView = [];

    /// <summary>Chains <paramref name="layers"/>, applied in order.</summary>
    /// <param name="layers">At least one unbuilt single-input layer, each given once and to no other wrapper; the pipeline runs copies made from their configurations.</param>
    /// <param name="seed">The seed the layers' random numbers derive from (a layer given a seed of its own keeps it), as the
    /// random layers' <c>seed</c>; null to derive it from the model's seed, which a pipeline used alone with
    /// <see cref="Apply"/> does not have (every unseeded one would then draw the same transforms). Not a Keras argument:
    /// Keras archives leave it out.</param>
    /// <param name="name">The layer's name; the model names it <c>pipeline</c>, ... when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="layers"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="layers"/> is empty, holds a null, an <see cref="InputLayer"/>, a multi-input,
    /// built or already wrapped layer, the same layer twice, or two layers of one name.</exception>
    public Pipeline(IEnumerable<Layer> layers, long? seed = null, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Layer[] given = [.. layers];
        _names = CheckLayers(given);
        _seed = seed;
        _layers = given;
        _layersView = Array.AsReadOnly(given);
        foreach (Layer layer in given)
        {
            layer.Wrapper = this;
        }
    }

    /// <summary>
    /// Keras' <c>layers</c>: the layers that run, in order, once the pipeline is built (<see cref="RunningLayers"/>, so that
    /// freezing one of them acts); before, the layers given to the constructor, the templates the running copies are made
    /// from (their configurations, <c>trainable</c> included, carry over; state set on them otherwise, such as
    /// <c>Adapt</c>, does not).
    /// </summary>
    public IReadOnlyList<Layer> Layers => _running.Length > 0 ? _runningView : _layersView;

    /// <summary>The seed given to the constructor, or null when the layers' seeds derive from the model's.</summary>
    public long? PipelineSeed => _seed;

    /// <summary>The copies of <see cref="Layers"/> that run, in order, once the pipeline is built.</summary>
    /// <exception cref="InvalidOperationException">The pipeline is not built.</exception>
    public IReadOnlyList<Layer> RunningLayers => _running.Length > 0 ? _runningView
        : throw new InvalidOperationException($"{Describe()} has no running layers until it is built.");

    internal override IReadOnlyList<Layer> InnerLayers => _running;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "pipeline";

    /// <inheritdoc/>
    public override bool EndsWithSoftmax => _running.Length > 0 && _running[^1].EndsWithSoftmax && _running[^1].ActivityRegularizer is null;

    /// <summary>
    /// Keras' <c>pipeline(x)</c> on data: runs the layers on <paramref name="input"/>, in training mode unless told otherwise
    /// (Keras' <c>Pipeline.call</c> defaults <c>training</c> to true, so augmentation applies), building the pipeline for the
    /// input's shape on first use, and returns a new tensor that the caller owns (the layers' buffers are reused by the next
    /// call), ready for a <c>DataSource</c>. Give a data pipeline its own instance, not one that is also in a model: <c>Fit</c>
    /// prepares the next batches on a background worker while it trains, and one instance would be run by both at once.
    /// </summary>
    /// <param name="input">A batch, (batch, ...the pipeline's input shape).</param>
    /// <param name="training">The mode of the call; true by default, as in Keras.</param>
    /// <returns>The output, (batch, ...<see cref="Layer.OutputShape"/>), a copy.</returns>
    /// <exception cref="ArgumentException">The input is not a batch of at least one sample, its shape is not the one the pipeline
    /// was built for, or a layer refuses it; the pipeline is left as it was (unbuilt if it was).</exception>
    public Tensor Apply(Tensor input, bool training = true)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2 || input.Shape[0] == 0)
        {
            throw new ArgumentException($"{Describe()} applies to a batch (batch, ...) of at least one sample but got {input.Shape}.", nameof(input));
        }

        if (!IsBuilt)
        {
            try
            {
                Build(input.Shape.DropFirst());
            }
            catch (ArgumentException e) when (e.ParamName != nameof(input))
            {
                // Build names its own parameter; the caller of Apply gave the input.
                throw new ArgumentException(e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal), nameof(input), e);
            }
        }

        return Forward(input, training).Clone();
    }

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        var layers = new JsonArray();
        for (int i = 0; i < _layers.Length; i++)
        {
            JsonObject item = SerializeWrapped(_layers[i], _running.Length > 0 ? _running[i] : null);
            if (item["config"] is JsonObject config)
            {
                // The name the running copy holds its weights under, so that a file loads into the same names.
                config["name"] = _names[i];
            }

            layers.Add((JsonNode)item);
        }

        return base.GetConfig().Set("layers", layers).Set("seed", _seed);
    }

    /// <summary>Keras' <c>from_config</c>: refuses a config whose <c>layers</c> is not a list, with Keras' message.</summary>
    internal static Pipeline FromConfig(Config config)
    {
        if (config.GetNode("layers") is not JsonArray items)
        {
            string received = config.GetNode("layers")?.ToJsonString() ?? "None";
            throw config.Error($"`Pipeline` config must contain a `layers` key mapping to a list of serialized layers. Received config with layers={FormatError.Shorten(received)}.");
        }

        var layers = new Layer[items.Count];
        var taken = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < items.Count; i++)
        {
            string key = string.Create(CultureInfo.InvariantCulture, $"layers[{i}]");
            JsonNode item = items[i] ?? throw config.Error($"\"{key}\" is null; expected a layer as {{\"class_name\", \"config\"}}.");
            layers[i] = SerializationRegistry.Deserialize<Layer>(UniquelyNamed(item, taken), config, key);
        }

        try
        {
            return new Pipeline(layers, config.GetNullableInt64("seed"), config.GetString("name"));
        }
        catch (ArgumentException e)
        {
            throw config.Error(e.Message, e);
        }
    }

    // Keras keeps a pipeline's weights by class, not name, so its files may give two layers one name; NeuralNet keeps
    // them under the names, which must differ: a repeated name becomes name_1, name_2, ... (past the names taken).
    private static JsonNode UniquelyNamed(JsonNode item, HashSet<string> taken)
    {
        if (item["config"]?["name"] is not JsonValue value || !value.TryGetValue(out string? name) || name.Length == 0)
        {
            return item;
        }

        string unique = name;
        for (int k = 1; !taken.Add(unique); k++)
        {
            unique = string.Create(CultureInfo.InvariantCulture, $"{name}_{k}");
        }

        if (unique == name)
        {
            return item;
        }

        JsonNode renamed = item.DeepClone();
        renamed["config"]!["name"] = unique;
        return renamed;
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        var running = new Layer[_layers.Length];
        TensorShape shape = inputShape;
        for (int i = 0; i < _layers.Length; i++)
        {
            Layer inner = SerializationRegistry.Recreate(_layers[i], _layers[i].GetConfig().Set("name", _names[i]));
            inner.Seed = SeededRandom.Derive(_seed ?? Seed, i);
            try
            {
                BuildInner(inner, shape, _names[i] + "/");
            }
            catch (ArgumentException e)
            {
                string from = i == 0 ? "the pipeline's input" : $"the output of layer {i - 1}, {running[i - 1]},";
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{Describe()}: layer {i}, {inner}, cannot take {from} {shape.ToBatchString()}: {e.Message}"), nameof(inputShape), e);
            }

            if (inner.OutputCount > 1)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{Describe()}: layer {i}, {inner}, has {inner.OutputCount} outputs; a pipeline passes one tensor from layer to layer."), nameof(inputShape));
            }

            inner.Wrapper = this;
            running[i] = inner;
            shape = inner.OutputShape;
        }

        _running = running;
        _runningView = Array.AsReadOnly(running);
        return shape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        Tensor x = input;
        Tensor? mask = InputMask;

        // A layer computes its input gradient when the pipeline must, or when a layer before it has weights to train.
        bool needed = ComputesInputGradient;
        for (int i = 0; i < _running.Length; i++)
        {
            Layer inner = _running[i];
            inner.Seed = SeededRandom.Derive(_seed ?? Seed, i);

            // A shared pipeline's k-th call draws the k-th streams; a copy for other lengths draws from the model's instance.
            inner.CallIndex = CallIndex;
            inner.RandomSource = RandomSource is Pipeline source ? source._running[i] : null;
            inner.ComputesInputGradient = needed;
            x = inner.Forward(x, mask, training);
            mask = inner.OutputMask;
            needed |= inner.HasTrainableParameters;
        }

        return x;
    }

    /// <summary>The last layer's output mask (Keras: the pipeline returns the last layer's output, which carries it).</summary>
    /// <param name="inputs">The input of the forward pass.</param>
    /// <param name="output">The output.</param>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output) => _running[^1].OutputMask;

    // Sure when the chain of layers is, judged layer by layer; unbuilt, there is no chain to judge (as TimeDistributed).
    internal override bool MasksSurely(ReadOnlySpan<bool> inputsMasked)
    {
        if (_running.Length == 0)
        {
            return false;
        }

        bool masked = inputsMasked.Length > 0 && inputsMasked[0];
        foreach (Layer inner in _running)
        {
            masked = inner.MasksSurely(new ReadOnlySpan<bool>(ref masked));
        }

        return masked;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        PlanInnerGradients();
        return BackwardFrom(_running.Length - 1, outputGradient, outputGradient);
    }

    /// <inheritdoc/>
    protected override Tensor OnBackwardFromLogitsGradient(Tensor logitsGradient)
    {
        PlanInnerGradients();
        Layer last = _running[^1];
        Tensor dx = last.BackwardFromLogitsAsPlanned(logitsGradient);
        return last.ComputesInputGradient ? BackwardFrom(_running.Length - 2, dx, logitsGradient) : logitsGradient;
    }

    // The forward pass's choice of which layers compute their input gradient, made again from this pipeline's flag now: a
    // call of the pipeline's public Backward computes its input gradient even after a forward pass planned none.
    private void PlanInnerGradients()
    {
        bool needed = ComputesInputGradient;
        for (int i = 0; i < _running.Length; i++)
        {
            _running[i].ComputesInputGradient = needed;
            needed |= _running[i].HasTrainableParameters;
        }
    }

    // Back through layers top, top - 1, ..., 0; stops below the last layer that needs to run (one with weights to train
    // or whose input gradient is read). Without an input gradient to return, hands back the output gradient, as
    // TimeDistributed does: nothing reads it.
    private Tensor BackwardFrom(int top, Tensor gradient, Tensor outputGradient)
    {
        for (int i = top; i >= 0; i--)
        {
            Layer inner = _running[i];
            if (!inner.ComputesInputGradient && !inner.HasTrainableParameters)
            {
                break;
            }

            gradient = inner.BackwardAsPlanned(gradient);
            if (!inner.ComputesInputGradient)
            {
                break;
            }
        }

        return ComputesInputGradient ? gradient : outputGradient;
    }

    // Every check of the constructor, before any layer is marked as wrapped; returns the running copies' names.
    private static string[] CheckLayers(Layer[] layers)
    {
        if (layers.Length == 0)
        {
            throw new ArgumentException("Pipeline expects at least one layer but got an empty list (Keras' Pipeline returns its last layer's output, so an empty one fails when called).", nameof(layers));
        }

        for (int i = 0; i < layers.Length; i++)
        {
            Layer? layer = layers[i];
            int first = Array.IndexOf(layers, layer);
            if (layer is null || first < i)
            {
                string problem = layer is null ? "is null" : string.Create(CultureInfo.InvariantCulture, $", {layer}, is given twice (also as layer {first}); give each place a layer of its own");
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Pipeline's layer {i}{(layer is null ? " " : string.Empty)}{problem}."), nameof(layers));
            }

            WrappedLayers.Check(layer, "Pipeline", string.Create(CultureInfo.InvariantCulture, $"layer {i}"), nameof(layers));
        }

        return InnerNames(layers);
    }

    // The given names; an unnamed layer gets its type's prefix, numbered past the names already taken in the pipeline.
    private static string[] InnerNames(Layer[] layers)
    {
        var names = new string[layers.Length];
        var taken = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < layers.Length; i++)
        {
            if (layers[i].Name.Length > 0)
            {
                if (!taken.Add(layers[i].Name))
                {
                    throw new ArgumentException(
                        string.Create(CultureInfo.InvariantCulture, $"Pipeline's layers {Array.FindIndex(layers, l => l.Name == layers[i].Name)} and {i} are both named '{layers[i].Name}'; the pipeline saves each layer's weights under its name, so names must differ."),
                        nameof(layers));
                }

                names[i] = layers[i].Name;
            }
        }

        for (int i = 0; i < layers.Length; i++)
        {
            if (names[i] is null)
            {
                string prefix = layers[i].DefaultNamePrefix, name = prefix;
                for (int k = 1; !taken.Add(name); k++)
                {
                    name = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{k}");
                }

                names[i] = name;
            }
        }

        return names;
    }
}
