using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Runs a recurrent layer (<see cref="SimpleRnn"/>, <see cref="Lstm"/>, <see cref="Gru"/>, or <see cref="Rnn"/> over
/// any cell) over the sequence both ways and joins the two outputs (Keras' <c>Bidirectional</c>): a
/// forward copy of the layer, named <c>forward_</c> + its name, and a copy running from the last step to the first,
/// named <c>backward_</c> + its name (or the backward layer you give). A returned backward sequence is put back in time
/// order before the join, as Keras does; masked steps give zeros in returned sequences (Keras sets
/// <c>zero_output_for_mask</c> on both copies).
/// </summary>
/// <remarks>
/// Weights: the forward layer's then the backward layer's, each in its own Keras layout, saved as
/// <c>forward_lstm/kernel</c>, ..., <c>backward_lstm/kernel</c>, ...; <c>Bidirectional(Lstm(64))</c> has twice
/// <c>Lstm(64)</c>'s parameters. With <see cref="BidirectionalMergeMode.None"/> the two outputs stay apart. With layers
/// that return their states, the states follow: the forward layer's, then the backward layer's, as many as each carries
/// (an LSTM forward and a GRU backward give h, c, h), as Keras lists them. Initial states (Keras'
/// <c>initial_state</c>) are further inputs after the sequence, the forward layer's then the backward layer's:
/// <c>bidirectional.CallOutputs(x, forwardH, forwardC, backwardH, backwardC)</c>.
/// </remarks>
public sealed class Bidirectional : Layer, IStatefulLayer
{
    private Layer? _forward;
    private Layer? _backward;
    private Layer[] _innerLayers = [];
    private Tensor? _output;
    private Tensor? _forwardGradient;
    private Tensor? _backwardGradient;
    private Tensor? _inputGradient;
    private TensorShape _halfShape;
    private TensorShape[] _extraShapes = [];
    private Tensor?[] _extraGradients = [];
    private Tensor? _backwardOutput;
    private Tensor?[] _forwardGradients = [];
    private Tensor?[] _backwardGradients = [];
    private Tensor[] _forwardInputs = [];
    private Tensor[] _backwardInputs = [];
    private Tensor?[] _forwardMasks = [];
    private Tensor?[] _backwardMasks = [];
    private Tensor?[] _forwardInputGradients = new Tensor?[1];
    private Tensor?[] _backwardInputGradients = new Tensor?[1];

    /// <summary>Wraps <paramref name="layer"/> to run both ways.</summary>
    /// <param name="layer">The recurrent layer — a <see cref="Recurrent"/> (SimpleRnn, Lstm, Gru) or an <see cref="Rnn"/> — unbuilt. The wrapper runs copies of it, made from its configuration (as Keras does), so an <see cref="Rnn"/>'s cell, and each of its stacked cells, must be a built-in cell or one registered with <see cref="SerializationRegistry.Register{T}"/>.</param>
    /// <param name="mergeMode">How the two outputs are joined; Keras' default concatenates them.</param>
    /// <param name="backwardLayer">The layer to run backwards instead of a copy of <paramref name="layer"/> with <c>goBackwards</c> flipped; it must return sequences and states exactly when <paramref name="layer"/> does, and may be of another kind (an LSTM one way, a GRU the other).</param>
    /// <param name="name">The layer's name; the model names it <c>bidirectional</c>, ... when null.</param>
    /// <exception cref="ArgumentException">A layer is not recurrent or is already built, an <see cref="Rnn"/>'s cell is not registered, or the two layers disagree on <c>returnSequences</c>, <c>ReturnState</c> or <c>Stateful</c>, or run the same way.</exception>
    public Bidirectional(Layer layer, BidirectionalMergeMode mergeMode = BidirectionalMergeMode.Concat, Layer? backwardLayer = null, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(layer);
        IRecurrentLayer forwardTemplate = RequireRecurrent(layer, nameof(layer));
        IRecurrentLayer? backwardTemplate = backwardLayer is null ? null : RequireRecurrent(backwardLayer, nameof(backwardLayer));
        if (!Enum.IsDefined(mergeMode))
        {
            throw new ArgumentOutOfRangeException(nameof(mergeMode), mergeMode, "Bidirectional's merge mode is one of Concat, Sum, Mul, Ave, None.");
        }

        if (layer.IsBuilt || backwardLayer is { IsBuilt: true })
        {
            throw new ArgumentException("Bidirectional wraps an unbuilt recurrent layer: it builds copies of it for the two directions.", layer.IsBuilt ? nameof(layer) : nameof(backwardLayer));
        }

        if (backwardLayer is not null)
        {
            // Keras' _verify_layer_config: the outputs of the two directions are joined step by step and listed state by state.
            RequireSame(layer, backwardLayer, "returnSequences", forwardTemplate.ReturnSequences, backwardTemplate!.ReturnSequences);
            RequireSame(layer, backwardLayer, "returnState", forwardTemplate.ReturnState, backwardTemplate.ReturnState);
            RequireSame(layer, backwardLayer, "Stateful", forwardTemplate.Stateful, backwardTemplate.Stateful);

            if (backwardTemplate.GoBackwards == forwardTemplate.GoBackwards)
            {
                throw new ArgumentException("Bidirectional's backward layer must run the other way: its goBackwards must differ from the forward layer's.", nameof(backwardLayer));
            }
        }

        Layer = layer;
        BackwardLayerTemplate = backwardLayer;
        MergeMode = mergeMode;
    }

    // Keras' Bidirectional takes any RNN: here the layers that run over the steps with states, a cell only if it can be
    // copied from its config (Keras' backward layer is deserialized from the forward layer's config).
    private static IRecurrentLayer RequireRecurrent(Layer layer, string parameter)
    {
        if (layer is not IRecurrentLayer recurrent)
        {
            throw new ArgumentException(
                $"Bidirectional wraps a recurrent layer (SimpleRnn, Lstm, Gru or Rnn) but got {layer}.", parameter);
        }

        if (layer is Rnn rnn)
        {
            foreach (RnnCell cell in StackedRnnCells.AllCells(rnn.Cell))
            {
                if (SerializationRegistry.GetRegisteredName(cell.GetType()) is null)
                {
                    throw new ArgumentException(
                        $"Bidirectional builds its two directions from the config of {layer}, as Keras does, but its cell {cell.GetType().FullName} is not registered: register it with SerializationRegistry.Register<{cell.GetType().Name}>(\"MyApp>{cell.GetType().Name}\", config => ...) and override GetConfig, so that a copy can be made of it.", parameter);
                }
            }
        }

        return recurrent;
    }

    private static void RequireSame(Layer layer, Layer backwardLayer, string setting, bool forwardValue, bool backwardValue)
    {
        if (forwardValue != backwardValue)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Bidirectional's forward layer {layer} and backward layer {backwardLayer} must agree on {setting}; got {setting} {forwardValue} and {backwardValue}."), nameof(backwardLayer));
        }
    }

    /// <summary>The recurrent layer given to the constructor (the template of the forward copy): a <see cref="Recurrent"/> or an <see cref="Rnn"/>.</summary>
    public Layer Layer { get; }

    /// <summary>How the two outputs are joined.</summary>
    public BidirectionalMergeMode MergeMode { get; }

    /// <summary>The forward copy that runs (named <c>forward_</c> + the layer's name), once built.</summary>
    public Layer ForwardLayer => _forward ?? throw new InvalidOperationException($"{Describe()} has no forward layer until it is built.");

    /// <summary>The backward layer that runs (named <c>backward_</c> + the layer's name unless given), once built.</summary>
    public Layer BackwardLayer => _backward ?? throw new InvalidOperationException($"{Describe()} has no backward layer until it is built.");

    internal override IReadOnlyList<Layer> InnerLayers => _innerLayers;

    /// <summary>
    /// Whether both directions carry their states from one call to the next (the wrapped layer's
    /// <see cref="Recurrent.Stateful"/>, as Keras' <c>Bidirectional.stateful</c>): the forward layer continues from its
    /// last state, the backward layer from the state it reached at the first step of the previous call.
    /// </summary>
    public bool Stateful => Wrapped.Stateful;

    /// <summary>Keras' <c>reset_state</c>: zeroes the states both directions carry (see <see cref="Recurrent.ResetStates"/>); nothing happens unless <see cref="Stateful"/>.</summary>
    public void ResetStates()
    {
        (_forward as IStatefulLayer)?.ResetStates();
        (_backward as IStatefulLayer)?.ResetStates();
    }

    Tensor[] IStatefulLayer.CarriedStates =>
        [.. (_forward as IStatefulLayer)?.CarriedStates ?? [], .. (_backward as IStatefulLayer)?.CarriedStates ?? []];

    /// <summary>Whether the output is a sequence (the wrapped layer's <c>returnSequences</c>).</summary>
    public bool ReturnSequences => Wrapped.ReturnSequences;

    private IRecurrentLayer Wrapped => (IRecurrentLayer)Layer;

    private IRecurrentLayer BackwardWrapped => (IRecurrentLayer)(BackwardLayerTemplate ?? Layer);

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "bidirectional";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    private Layer? BackwardLayerTemplate { get; }

    /// <inheritdoc/>
    public override Config GetConfig()
    {
        Config config = base.GetConfig()
            .Set("layer", SerializeWrapped(Layer, _forward))
            .Set("merge_mode", MergeMode == BidirectionalMergeMode.None ? null : MergeMode.ToString().ToLowerInvariant());
        return BackwardLayerTemplate is null ? config : config.Set("backward_layer", SerializeWrapped(BackwardLayerTemplate, _backward));
    }

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Bidirectional FromConfig(Config config)
    {
        Layer Read(string key) => SerializationRegistry.Deserialize<Layer>(
                config.GetNode(key) ?? throw config.Error($"\"{key}\" is missing or null; expected a recurrent layer (SimpleRNN, LSTM, GRU or RNN) as {{\"class_name\", \"config\"}}."),
                config,
                key) is { } layer and IRecurrentLayer
            ? layer
            : throw config.Error($"\"{key}\" must be a recurrent layer (SimpleRNN, LSTM, GRU or RNN).");

        // Keras writes merge_mode None as null.
        string mode = config.GetNode("merge_mode") is null && config.Keys.Contains("merge_mode") ? "none" : config.GetString("merge_mode", "concat");
        BidirectionalMergeMode mergeMode = mode switch
        {
            "none" => BidirectionalMergeMode.None,
            "concat" => BidirectionalMergeMode.Concat,
            "sum" => BidirectionalMergeMode.Sum,
            "mul" => BidirectionalMergeMode.Mul,
            "ave" => BidirectionalMergeMode.Ave,
            _ => throw config.Error($"\"merge_mode\" must be \"concat\", \"sum\", \"mul\", \"ave\" or null but is \"{FormatError.Shorten(mode)}\"."),
        };
        return new(Read("layer"), mergeMode, config.Contains("backward_layer") ? Read("backward_layer") : null, config.GetString("name"));
    }

    /// <inheritdoc/>
    private protected override int MaximumInputs => 1 + Wrapped.StateCount + BackwardWrapped.StateCount;

    // Initial states, Keras' initial_state: all of both layers' states after the sequence, the forward layer's first
    // (Keras splits its list in halves, which is the same when both layers carry as many states), or none.
    private protected override TensorShape BuildLayer(ReadOnlySpan<TensorShape> inputShapes)
    {
        int forwardStates = Wrapped.StateCount, backwardStates = BackwardWrapped.StateCount;
        if (inputShapes.Length > 1 && inputShapes.Length != 1 + forwardStates + backwardStates)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} takes its input alone or with all initial states, the forward layer's {forwardStates} then the backward layer's {backwardStates}, but got {inputShapes.Length - 1} initial state(s)."), nameof(inputShapes));
        }

        bool withStates = inputShapes.Length > 1;
        return BuildDirections(inputShapes[0], withStates ? inputShapes[1..(1 + forwardStates)] : [], withStates ? inputShapes[(1 + forwardStates)..] : []);
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => BuildDirections(inputShape, [], []);

    private TensorShape BuildDirections(TensorShape inputShape, ReadOnlySpan<TensorShape> forwardStates, ReadOnlySpan<TensorShape> backwardStates)
    {
        string baseName = Layer.Name.Length > 0 ? Layer.Name : Layer.DefaultNamePrefix;
        if (baseName.StartsWith("forward_", StringComparison.Ordinal))
        {
            baseName = baseName["forward_".Length..];
        }

        if (Stateful && !ReferenceEquals(Primary, this))
        {
            // The copy of a later call would build directions with states of their own.
            throw new InvalidOperationException(
                $"{Describe()} wraps a stateful layer: it carries its states from one call to the next, so it runs on one instance and cannot be called more than once in a model (a shared layer).");
        }

        // Keras' copies: the same configuration under new names; the copies zero masked steps of returned sequences.
        Layer forward = Copy(Layer, "forward_" + baseName, Wrapped.GoBackwards);
        Layer backward = Copy(BackwardLayerTemplate ?? Layer, BackwardLayerTemplate?.Name is { Length: > 0 } given ? given : "backward_" + baseName,
            BackwardLayerTemplate is null ? !Wrapped.GoBackwards : BackwardWrapped.GoBackwards);
        BuildInner(forward, [inputShape, .. forwardStates], forward.Name + "/");
        BuildInner(backward, [inputShape, .. backwardStates], backward.Name + "/");
        _forwardInputs = new Tensor[1 + forwardStates.Length];
        _backwardInputs = new Tensor[1 + backwardStates.Length];
        _forwardMasks = new Tensor?[_forwardInputs.Length];
        _backwardMasks = new Tensor?[_backwardInputs.Length];
        _forwardInputGradients = new Tensor?[_forwardInputs.Length];
        _backwardInputGradients = new Tensor?[_backwardInputs.Length];
        TensorShape forwardShape = forward.OutputShape, backwardShape = backward.OutputShape;
        if (MergeMode is not (BidirectionalMergeMode.Concat or BidirectionalMergeMode.None) && forwardShape != backwardShape)
        {
            throw new ArgumentException(
                $"{Describe()} merges by {MergeMode}, which needs equal outputs, but the forward layer gives {forwardShape.ToBatchString()} and the backward layer {backwardShape.ToBatchString()}.", nameof(inputShape));
        }

        _forward = forward;
        _backward = backward;
        _innerLayers = [forward, backward];
        _halfShape = forwardShape;

        // Keras' outputs: the merged output (or the forward, then the backward output), then the forward layer's states and the backward layer's.
        _extraShapes = [.. MergeMode == BidirectionalMergeMode.None ? [backwardShape] : Array.Empty<TensorShape>(),
            .. forward.OutputShapes.Skip(1), .. backward.OutputShapes.Skip(1)];
        _extraGradients = new Tensor?[_extraShapes.Length];
        _forwardGradients = new Tensor?[forward.OutputCount];
        _backwardGradients = new Tensor?[backward.OutputCount];
        if (MergeMode != BidirectionalMergeMode.Concat)
        {
            return forwardShape;
        }

        int[] dims = forwardShape.Dimensions.ToArray();
        dims[^1] += backwardShape[-1];
        return new TensorShape(dims);
    }

    /// <inheritdoc/>
    internal override bool HasSeveralOutputs => MergeMode == BidirectionalMergeMode.None || Wrapped.ReturnState;

    /// <inheritdoc/>
    private protected override IReadOnlyList<TensorShape> AdditionalOutputShapes => _extraShapes;

    /// <inheritdoc/>
    private protected override Tensor AdditionalOutput(int index)
    {
        if (MergeMode == BidirectionalMergeMode.None)
        {
            if (index == 0)
            {
                return _backwardOutput!;
            }

            index--;
        }

        int forwardStates = ForwardLayer.OutputCount - 1;
        return index < forwardStates ? ForwardLayer.GetOutput(index + 1) : BackwardLayer.GetOutput(index - forwardStates + 1);
    }

    /// <inheritdoc/>
    private protected override void SetAdditionalOutputGradients(ReadOnlySpan<Tensor?> gradients)
    {
        if (gradients.IsEmpty)
        {
            Array.Clear(_extraGradients);
        }
        else
        {
            gradients.CopyTo(_extraGradients);
        }
    }

    /// <inheritdoc/>
    private protected override Tensor RunForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // The initial states go to the directions as their own further inputs: the forward layer's first.
        int forwardStates = _forwardInputs.Length - 1;
        for (int k = 1; k < inputs.Length; k++)
        {
            (k <= forwardStates ? _forwardInputs : _backwardInputs)[k <= forwardStates ? k : k - forwardStates] = inputs[k];
        }

        return OnForward(inputs[0], training);
    }

    /// <inheritdoc/>
    private protected override void RunBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        inputGradients[0] = OnBackward(outputGradient);
        int forwardStates = _forwardInputs.Length - 1;
        for (int k = 1; k < inputGradients.Length; k++)
        {
            inputGradients[k] = k <= forwardStates ? _forwardInputGradients[k] : _backwardInputGradients[k - forwardStates];
        }
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        Layer forward = ForwardLayer, backward = BackwardLayer;

        // The copies draw their own dropout streams from this layer's seed (given by the model after the build).
        forward.Seed = SeededRandom.Derive(Seed, 0);
        backward.Seed = SeededRandom.Derive(Seed, 1);
        (forward.CallIndex, backward.CallIndex) = (CallIndex, CallIndex);
        forward.ComputesInputGradient = ComputesInputGradient;
        backward.ComputesInputGradient = ComputesInputGradient;
        Tensor? mask = InputMask;
        Tensor f = RunDirection(forward, _forwardInputs, _forwardMasks, input, mask, training);
        Tensor b = RunDirection(backward, _backwardInputs, _backwardMasks, input, mask, training);
        int batch = input.Shape[0];
        int steps = ReturnSequences ? InputShapes[0][0] : 1;
        if (MergeMode == BidirectionalMergeMode.None)
        {
            _backwardOutput = ReturnSequences ? FlipSteps(b, BatchView(ref _output, batch, backward.OutputShape), steps) : b;
            return f;
        }

        Tensor output = BatchView(ref _output, batch, OutputShape);
        int uf = forward.OutputShape[-1], ub = backward.OutputShape[-1], width = OutputShape[-1];
        ReadOnlySpan<float> fs = f.AsReadOnlySpan(), bs = b.AsReadOnlySpan();
        Span<float> y = output.AsSpan();
        for (int n = 0; n < batch; n++)
        {
            for (int t = 0; t < steps; t++)
            {
                ReadOnlySpan<float> fr = fs.Slice(((n * steps) + t) * uf, uf);
                ReadOnlySpan<float> br = bs.Slice(((n * steps) + BackwardStep(t, steps)) * ub, ub);
                Span<float> yr = y.Slice(((n * steps) + t) * width, width);
                switch (MergeMode)
                {
                    case BidirectionalMergeMode.Concat:
                        fr.CopyTo(yr);
                        br.CopyTo(yr[uf..]);
                        break;
                    case BidirectionalMergeMode.Sum:
                        System.Numerics.Tensors.TensorPrimitives.Add(fr, br, yr);
                        break;
                    case BidirectionalMergeMode.Mul:
                        System.Numerics.Tensors.TensorPrimitives.Multiply(fr, br, yr);
                        break;
                    default:
                        for (int j = 0; j < width; j++)
                        {
                            yr[j] = (fr[j] + br[j]) * 0.5f;
                        }

                        break;
                }
            }
        }

        return output;
    }

    // One direction over the sequence (its mask, when one arrives) and, with initial states, its states (no masks).
    private static Tensor RunDirection(Layer layer, Tensor[] inputs, Tensor?[] masks, Tensor input, Tensor? mask, bool training)
    {
        if (inputs.Length == 1)
        {
            return mask is null ? layer.Forward(input, training) : layer.Forward(input, mask, training);
        }

        inputs[0] = input;
        masks[0] = mask;
        return layer.Forward(inputs, masks, training);
    }

    /// <inheritdoc/>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output) => ReturnSequences ? InputMask : null;

    // Keras' compute_mask: without a merge, both returned sequences carry the input's mask (the states none).
    internal override Tensor? OutputMaskAt(int index) =>
        index == 0 || (index == 1 && MergeMode == BidirectionalMergeMode.None) ? OutputMask : null;

    internal override bool MasksSurely(ReadOnlySpan<bool> inputsMasked) => ReturnSequences && inputsMasked[0];

    internal override bool MasksSurelyAt(int index, ReadOnlySpan<bool> inputsMasked) =>
        (index == 0 || (index == 1 && MergeMode == BidirectionalMergeMode.None)) && MasksSurely(inputsMasked);

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        Layer forward = ForwardLayer, backward = BackwardLayer;
        int batch = outputGradient.Shape[0];
        int steps = ReturnSequences ? InputShapes[0][0] : 1;
        int uf = forward.OutputShape[-1], ub = backward.OutputShape[-1], width = OutputShape[-1];
        Tensor df = BatchView(ref _forwardGradient, batch, _halfShape);
        Tensor db = BatchView(ref _backwardGradient, batch, backward.OutputShape);
        if (MergeMode == BidirectionalMergeMode.None)
        {
            // Output 0 is the forward layer's own; output 1 the backward layer's in time order, flipped back here.
            outputGradient.AsReadOnlySpan().CopyTo(df.AsSpan());
            if (_extraGradients[0] is Tensor backwardGradient)
            {
                if (ReturnSequences)
                {
                    FlipSteps(backwardGradient, db, steps);
                }
                else
                {
                    backwardGradient.AsReadOnlySpan().CopyTo(db.AsSpan());
                }
            }
            else
            {
                db.AsSpan().Clear();
            }

            return BackwardDirections(df, db, batch);
        }

        ReadOnlySpan<float> dy = outputGradient.AsReadOnlySpan();
        ReadOnlySpan<float> fs = MergeMode == BidirectionalMergeMode.Mul ? forward.GetOutput(0).AsReadOnlySpan() : default;
        ReadOnlySpan<float> bs = MergeMode == BidirectionalMergeMode.Mul ? backward.GetOutput(0).AsReadOnlySpan() : default;
        Span<float> dfs = df.AsSpan(), dbs = db.AsSpan();
        for (int n = 0; n < batch; n++)
        {
            for (int t = 0; t < steps; t++)
            {
                int fRow = ((n * steps) + t) * uf, bRow = ((n * steps) + BackwardStep(t, steps)) * ub;
                ReadOnlySpan<float> g = dy.Slice(((n * steps) + t) * width, width);
                Span<float> gf = dfs.Slice(fRow, uf), gb = dbs.Slice(bRow, ub);
                switch (MergeMode)
                {
                    case BidirectionalMergeMode.Concat:
                        g[..uf].CopyTo(gf);
                        g[uf..].CopyTo(gb);
                        break;
                    case BidirectionalMergeMode.Sum:
                        g.CopyTo(gf);
                        g.CopyTo(gb);
                        break;
                    case BidirectionalMergeMode.Mul:
                        System.Numerics.Tensors.TensorPrimitives.Multiply(g, bs.Slice(bRow, ub), gf);
                        System.Numerics.Tensors.TensorPrimitives.Multiply(g, fs.Slice(fRow, uf), gb);
                        break;
                    default:
                        System.Numerics.Tensors.TensorPrimitives.Multiply(g, 0.5f, gf);
                        System.Numerics.Tensors.TensorPrimitives.Multiply(g, 0.5f, gb);
                        break;
                }
            }
        }

        return BackwardDirections(df, db, batch);
    }

    // Both directions' backward passes, with their state outputs' gradients when they return states; the input gradient is their sum.
    private Tensor BackwardDirections(Tensor df, Tensor db, int batch)
    {
        Layer forward = ForwardLayer, backward = BackwardLayer;

        // The directions follow this wrapper's plan (a call of the wrapper's public Backward computes the input gradient).
        forward.ComputesInputGradient = ComputesInputGradient;
        backward.ComputesInputGradient = ComputesInputGradient;
        if (forward.OutputCount > 1)
        {
            // The state outputs are the forward layer's then the backward layer's, each as many as that layer carries (an
            // LSTM two, a GRU one).
            int first = MergeMode == BidirectionalMergeMode.None ? 1 : 0, forwardStates = forward.OutputCount - 1;
            _forwardGradients[0] = df;
            _backwardGradients[0] = db;
            for (int k = 0; k < forwardStates; k++)
            {
                _forwardGradients[k + 1] = _extraGradients[first + k];
            }

            for (int k = 0; k < backward.OutputCount - 1; k++)
            {
                _backwardGradients[k + 1] = _extraGradients[first + forwardStates + k];
            }

            forward.BackwardAsPlanned(_forwardGradients, _forwardInputGradients);
            backward.BackwardAsPlanned(_backwardGradients, _backwardInputGradients);
        }
        else
        {
            forward.BackwardAsPlanned(df, _forwardInputGradients);
            backward.BackwardAsPlanned(db, _backwardInputGradients);
        }

        Tensor inputGradient = BatchView(ref _inputGradient, batch, InputShapes[0]);
        if (ComputesInputGradient)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(_forwardInputGradients[0]!.AsReadOnlySpan(), _backwardInputGradients[0]!.AsReadOnlySpan(), inputGradient.AsSpan());
        }

        return inputGradient;
    }

    // (batch, steps, units) with the steps reversed, into destination.
    private static Tensor FlipSteps(Tensor source, Tensor destination, int steps)
    {
        int batch = source.Shape[0], units = source.Shape[-1];
        ReadOnlySpan<float> x = source.AsReadOnlySpan();
        Span<float> y = destination.AsSpan();
        for (int n = 0; n < batch; n++)
        {
            for (int t = 0; t < steps; t++)
            {
                x.Slice(((n * steps) + t) * units, units).CopyTo(y.Slice(((n * steps) + BackwardStep(t, steps)) * units, units));
            }
        }

        return destination;
    }

    // Keras flips the backward layer's returned sequence (it comes in the order the steps ran) back into time order.
    private static int BackwardStep(int t, int steps) => steps - 1 - t;

    private static Layer Copy(Layer template, string name, bool goBackwards)
    {
        Config config = template.GetConfig()
            .Set("name", name)
            .Set("go_backwards", goBackwards)
            .Set("zero_output_for_mask", ((IRecurrentLayer)template).ReturnSequences);
        return SerializationRegistry.Recreate(template, config);
    }
}
