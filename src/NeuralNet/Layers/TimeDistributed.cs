using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Applies a layer to every time step of a sequence (Keras' <c>TimeDistributed</c>): input (batch, timesteps, ...)
/// runs through the wrapped layer as (batch·timesteps, ...) and comes back as (batch, timesteps, ...output). One set
/// of weights serves every step; they are saved as this layer's, under the wrapped layer's name
/// (<c>time_distributed/dense/kernel</c>).
/// </summary>
/// <remarks>
/// <para>
/// A mask on the input, (batch, timesteps, ...), goes to the wrapped layer step by step, as Keras passes
/// <c>mask[:, i]</c> to a layer that takes one: <c>TimeDistributed(GlobalAveragePooling1D)</c> over
/// (batch, sentences, words, features) averages the real words of each sentence.
/// </para>
/// <para>
/// The output's mask has to fit the output, (batch, timesteps, ...output without its last axis), which Keras' (the input
/// mask passed on unchanged) does not when the wrapped layer drops axes. It is, in this order:
/// the wrapped layer's output mask, stacked back over the timesteps, when it gives one that fits its output (a
/// <c>Dense</c> passes its mask on; an <c>Embedding(maskZero)</c> makes one, with or without an input mask);
/// otherwise, when the input has a mask, its time part: a timestep is real when any of its positions is real (Keras'
/// <c>any</c> reduction, as in the merge layers), repeated over the output's other positions (so a (batch, timesteps)
/// mask passes on as it is); otherwise none. The wrapped layer dropping or consuming a mask thus removes only the
/// positions inside a step, never the time axis: an all-padding sentence stays masked for the layers after.
/// </para>
/// </remarks>
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
    private Tensor? _viewedMask;
    private Tensor? _maskView;
    private Tensor? _viewedInnerMask;
    private Tensor? _innerMaskView;
    private Tensor? _timeMask;
    private Tensor? _outputMask;
    private TensorShape _innerInputShape;
    private TensorShape _innerOutputShape;
    private TensorShape _innerMaskShape;
    private TensorShape _outputMaskShape;

    /// <summary>Wraps <paramref name="layer"/> to run on every time step.</summary>
    /// <param name="layer">A single-input layer, unbuilt; the wrapper runs a copy made from its configuration.</param>
    /// <param name="name">The layer's name; the model names it <c>time_distributed</c>, ... when null.</param>
    /// <exception cref="ArgumentException"><paramref name="layer"/> is an <see cref="InputLayer"/>, built, takes several inputs,
    /// is already given to another wrapper or has LoRA enabled.</exception>
    public TimeDistributed(Layer layer, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(layer);
        WrappedLayers.Check(layer, "TimeDistributed", "layer", nameof(layer));
        Layer = layer;
        layer.Wrapper = this;
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
        // Keras' TimeDistributed runs the inner layer's call(), not __call__, so an activity regularizer on it adds nothing.
        Layer inner = SerializationRegistry.Recreate(Layer, Layer.GetConfig().Set("name", innerName).Remove("activity_regularizer"));
        _innerInputShape = InnerSample(inputShape);
        BuildInner(inner, _innerInputShape, innerName + "/");
        inner.Wrapper = this;
        _inner = inner;
        _innerLayers = [inner];
        _innerOutputShape = inner.OutputShape;
        _innerMaskShape = new TensorShape(inputShape.Dimensions[1..^1]);
        TensorShape output = inner.OutputShape.Prepend(inputShape[0]);
        _outputMaskShape = new TensorShape(output.Dimensions[..^1]);
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        Layer inner = InnerLayer;
        inner.Seed = Seed;

        // A shared wrapper's k-th call runs its own inner copy: it draws the k-th stream, as a shared Dropout does.
        inner.CallIndex = CallIndex;
        inner.ComputesInputGradient = ComputesInputGradient;
        int batch = input.Shape[0];
        int rows = batch * InputShape[0];
        Tensor flat = View(input, ref _viewedInput, ref _inputView, rows, _innerInputShape);
        Tensor? mask = InputMask;
        Tensor y;
        if (mask is null)
        {
            y = inner.Forward(flat, training);
        }
        else
        {
            // (batch, timesteps, ...) -> (batch·timesteps, ...): each step's mask, as Keras gives mask[:, i] to the layer.
            y = inner.Forward(flat, View(mask, ref _viewedMask, ref _maskView, rows, _innerMaskShape), training);
        }

        _outputMask = OutputMaskOf(mask, y, batch);
        return View(y, ref _viewedOutput, ref _outputView, batch, OutputShape);
    }

    // Not judged before a pass (its inner layer's mask is known only once it runs).
    internal override bool MasksSurely(ReadOnlySpan<bool> inputsMasked) => false;

    /// <summary>The output's mask, chosen in <see cref="OnForward"/> (see the remarks).</summary>
    /// <param name="inputs">The input of the forward pass.</param>
    /// <param name="output">The output.</param>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output) => _outputMask;

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        int batch = outputGradient.Shape[0];
        Tensor flat = View(outputGradient, ref _viewedGradient, ref _gradientView, batch * InputShape[0], _innerOutputShape);
        // The inner layer follows this wrapper's plan (a call of the wrapper's public Backward computes the input gradient).
        InnerLayer.ComputesInputGradient = ComputesInputGradient;
        Tensor dx = InnerLayer.BackwardAsPlanned(flat);

        // An inner layer that computes no input gradient (this wrapper first in the model) hands back its output gradient,
        // which has the output's shape, not the input's: nothing reads an input gradient then.
        return ComputesInputGradient ? View(dx, ref _viewedInputGradient, ref _inputGradientView, batch, InputShape) : outputGradient;
    }

    private Tensor? OutputMaskOf(Tensor? inputMask, Tensor innerOutput, int batch)
    {
        Tensor? inner = InnerLayer.OutputMask;
        if (inner is not null && MaskFits(inner.Shape, innerOutput.Shape))
        {
            // A mask the wrapped layer passed on unchanged is the input's: hand on the input's own tensor.
            return inputMask is not null && ReferenceEquals(inner, _maskView)
                ? inputMask
                : View(inner, ref _viewedInnerMask, ref _innerMaskView, batch, _outputMaskShape);
        }

        if (inputMask is null)
        {
            return null;
        }

        int steps = InputShape[0];
        int within = _innerMaskShape.ElementCount;
        int repeat = _outputMaskShape.ElementCount / steps;
        if (within == 1 && repeat == 1 && _innerMaskShape.Rank == 0 && _outputMaskShape.Rank == 1)
        {
            // One flag per step in and out: the input's mask is the output's (a wrapped layer that adds or drops size-1
            // axes, TimeDistributed(Reshape(1, 4)) or of Flatten over (1, 3), needs the reshaping below).
            return inputMask;
        }

        // The time part of the input's mask, any(mask over a step's positions), repeated over the output's positions.
        Tensor result = BatchView(ref _timeMask, batch, _outputMaskShape);
        ReadOnlySpan<float> m = inputMask.AsReadOnlySpan();
        Span<float> r = result.AsSpan();
        for (int step = 0; step < batch * steps; step++)
        {
            bool real = false;
            foreach (float value in m.Slice(step * within, within))
            {
                real |= value != 0f;
            }

            r.Slice(step * repeat, repeat).Fill(real ? 1f : 0f);
        }

        return result;
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
