using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Applies a layer to every time step of a sequence (Keras' <c>TimeDistributed</c>): input (batch, timesteps, ...)
/// runs through the wrapped layer as (batch·timesteps, ...) and comes back as (batch, timesteps, ...output). One set
/// of weights serves every step; they are saved as this layer's, under the wrapped layer's name
/// (<c>time_distributed/dense/kernel</c>). A mask on the input passes to the output.
/// </summary>
public sealed class TimeDistributed : Layer
{
    private Layer? _inner;
    private Layer[] _innerLayers = [];
    private Tensor? _viewedInput;
    private Tensor? _inputView;
    private Tensor? _viewedOutput;
    private Tensor? _outputView;
    private Tensor? _viewedGradient;
    private Tensor? _gradientView;
    private Tensor? _viewedInputGradient;
    private Tensor? _inputGradientView;
    private TensorShape _innerInputShape;
    private TensorShape _innerOutputShape;

    /// <summary>Wraps <paramref name="layer"/> to run on every time step.</summary>
    /// <param name="layer">A single-input layer, unbuilt; the wrapper runs a copy made from its configuration.</param>
    /// <param name="name">The layer's name; the model names it <c>time_distributed</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="layer"/> is built or takes several inputs.</exception>
    public TimeDistributed(Layer layer, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer.IsBuilt || layer is MultiInputLayer)
        {
            throw new ArgumentException($"TimeDistributed wraps an unbuilt single-input layer but got {(layer.IsBuilt ? "a built" : "the multi-input")} layer {layer}.", nameof(layer));
        }

        Layer = layer;
    }

    /// <summary>The layer given to the constructor (the template of the copy that runs).</summary>
    public Layer Layer { get; }

    /// <summary>The copy of <see cref="Layer"/> that runs, once built.</summary>
    public Layer InnerLayer => _inner ?? throw new InvalidOperationException($"{Describe()} has no inner layer until it is built.");

    internal override IReadOnlyList<Layer> InnerLayers => _innerLayers;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "time_distributed";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig().Set("layer", SerializeWrapped(Layer, _inner));

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static TimeDistributed FromConfig(Config config) =>
        new(
            SerializationRegistry.Deserialize<Layer>(
                config.GetNode("layer") ?? throw config.Error("\"layer\" is missing or null; expected the wrapped layer as {\"class_name\", \"config\"}."),
                config,
                "layer"),
            config.GetString("name"));

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank < 2)
        {
            throw new ArgumentException($"{Describe()} expects input (None, timesteps, ...) but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        string innerName = Layer.Name.Length > 0 ? Layer.Name : Layer.DefaultNamePrefix;
        Layer inner = SerializationRegistry.Recreate(Layer, Layer.GetConfig().Set("name", innerName));
        _innerInputShape = InnerSample(inputShape);
        BuildInner(inner, _innerInputShape, innerName + "/");
        _inner = inner;
        _innerLayers = [inner];
        _innerOutputShape = inner.OutputShape;
        return inner.OutputShape.Prepend(inputShape[0]);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        Layer inner = InnerLayer;
        inner.Seed = Seed;

        // A shared wrapper's k-th call runs its own inner copy: it draws the k-th stream, as a shared Dropout does.
        inner.CallIndex = CallIndex;
        inner.ComputesInputGradient = ComputesInputGradient;
        int rows = input.Shape[0] * InputShape[0];
        Tensor flat = View(input, ref _viewedInput, ref _inputView, rows, _innerInputShape);
        Tensor y = inner.Forward(flat, training);
        return View(y, ref _viewedOutput, ref _outputView, input.Shape[0], OutputShape);
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        int batch = outputGradient.Shape[0];
        Tensor flat = View(outputGradient, ref _viewedGradient, ref _gradientView, batch * InputShape[0], _innerOutputShape);
        Tensor dx = InnerLayer.Backward(flat);
        return View(dx, ref _viewedInputGradient, ref _inputGradientView, batch, InputShape);
    }

    private static TensorShape InnerSample(TensorShape shape) => new(shape.Dimensions[1..].ToArray());

    // The same memory under another batch shape; remembered per source tensor so that steady training does not allocate.
    private static Tensor View(Tensor source, ref Tensor? viewed, ref Tensor? view, int rows, TensorShape sample)
    {
        if (!ReferenceEquals(source, viewed) || view is null || view.Shape[0] != rows)
        {
            int[] dims = new int[sample.Rank + 1];
            dims[0] = rows;
            sample.Dimensions.CopyTo(dims.AsSpan(1));
            view = source.Reshape(dims);
            viewed = source;
        }

        return view;
    }
}
