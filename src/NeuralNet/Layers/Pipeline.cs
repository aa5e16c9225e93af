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
/// configurations when it is built (<see cref="RunningLayers"/>), whose weights are this layer's own, saved under each
/// layer's name (<c>pipeline/dense/kernel</c>); an unnamed layer is named after its type, numbered within the pipeline
/// (<c>random_flip</c>, <c>random_flip_1</c>). The i-th layer draws its random numbers from a seed derived from the
/// pipeline's and i, unless it was given a seed of its own. Layers of several inputs or outputs are refused.
/// </para>
/// </remarks>
public sealed class Pipeline : Layer
{
    private readonly Layer[] _layers;
    private readonly IReadOnlyList<Layer> _layersView;
    private readonly string[] _names;
    private Layer[] _running = [];
    private IReadOnlyList<Layer> _runningView = [];

    /// <summary>Chains <paramref name="layers"/>, applied in order.</summary>
    /// <param name="layers">At least one unbuilt single-input layer, each given once and to no other wrapper; the pipeline runs copies made from their configurations.</param>
    /// <param name="name">The layer's name; the model names it <c>pipeline</c>, ... when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="layers"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="layers"/> is empty, holds a null, an <see cref="InputLayer"/>, a multi-input,
    /// built or already wrapped layer, the same layer twice, or two layers of one name.</exception>
    public Pipeline(IEnumerable<Layer> layers, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Layer[] given = [.. layers];
        _names = CheckLayers(given);
        _layers = given;
        _layersView = Array.AsReadOnly(given);
        foreach (Layer layer in given)
        {
            layer.Wrapper = this;
        }
    }

    /// <summary>The layers given to the constructor, in order (the templates of the copies that run; Keras' <c>layers</c>).</summary>
    public IReadOnlyList<Layer> Layers => _layersView;

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
    /// <exception cref="ArgumentException">The input's shape is not the one the pipeline was built for, or a layer refuses it.</exception>
    public Tensor Apply(Tensor input, bool training = true)
    {
        ArgumentNullException.ThrowIfNull(input);
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

        return base.GetConfig().Set("layers", layers);
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
        for (int i = 0; i < items.Count; i++)
        {
            string key = string.Create(CultureInfo.InvariantCulture, $"layers[{i}]");
            layers[i] = SerializationRegistry.Deserialize<Layer>(
                items[i] ?? throw config.Error($"\"{key}\" is null; expected a layer as {{\"class_name\", \"config\"}}."), config, key);
        }

        try
        {
            return new Pipeline(layers, config.GetString("name"));
        }
        catch (ArgumentException e)
        {
            throw config.Error(e.Message, e);
        }
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        var running = new Layer[_layers.Length];
        TensorShape shape = inputShape;
        for (int i = 0; i < _layers.Length; i++)
        {
            Layer inner = SerializationRegistry.Recreate(_layers[i], _layers[i].GetConfig().Set("name", _names[i]));
            inner.Seed = SeededRandom.Derive(Seed, i);
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
            inner.Seed = SeededRandom.Derive(Seed, i);

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

    // Sure when the chain of layers is, judged layer by layer.
    internal override bool MasksSurely(ReadOnlySpan<bool> inputsMasked)
    {
        bool masked = inputsMasked.Length > 0 && inputsMasked[0];
        foreach (Layer inner in _running)
        {
            masked = inner.MasksSurely(new ReadOnlySpan<bool>(ref masked));
        }

        return masked;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient) => BackwardFrom(_running.Length - 1, outputGradient, outputGradient);

    /// <inheritdoc/>
    protected override Tensor OnBackwardFromLogitsGradient(Tensor logitsGradient)
    {
        Layer last = _running[^1];
        Tensor dx = last.BackwardFromLogitsGradient(logitsGradient);
        return last.ComputesInputGradient ? BackwardFrom(_running.Length - 2, dx, logitsGradient) : logitsGradient;
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

            gradient = inner.Backward(gradient);
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
            string problem = layer switch
            {
                null => "is null",
                InputLayer => "is an InputLayer, which starts a model and cannot be called on a tensor",
                MultiInputLayer => "takes several inputs; a pipeline passes one tensor from layer to layer",
                { IsBuilt: true } => "is built; a pipeline runs copies of unbuilt layers, made from their configurations",
                { Wrapper: Layer wrapper } => $"is already given to {wrapper}",
                _ => Array.IndexOf(layers, layer) < i ? string.Create(CultureInfo.InvariantCulture, $"is given twice (also as layer {Array.IndexOf(layers, layer)}); give each place a layer of its own") : string.Empty,
            };
            if (problem.Length > 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Pipeline's layer {i}{(layer is null ? string.Empty : $", {layer},")} {problem}."), nameof(layers));
            }

            LowRankAdaptation.RefuseWrapping(layer!, "Pipeline");
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
