using System.Globalization;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Models;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A step of a model: it owns its parameters, their gradients, its cached activations and its scratch buffers.
/// </summary>
/// <remarks>
/// <para>Shapes given to and returned by <see cref="Build(TensorShape)"/>, <see cref="InputShape"/> and <see cref="OutputShape"/>
/// are per sample, without the batch axis (Keras prints them with a leading <c>None</c>). Tensors given to
/// <see cref="Forward(Tensor, bool)"/> and <see cref="Backward(Tensor)"/> carry the batch axis first.</para>
/// <para>In a model, a layer is used through <see cref="Call(SymbolicTensor)"/>: calling it on symbolic tensors builds it for
/// their shapes and records the call. A layer called more than once shares its parameters between the calls; each call
/// gets its own caches, and the gradients of all calls add up: the model runs a later call on a copy of the layer taken
/// just before it was first built (a shallow copy of its settings), built again with the same <see cref="Parameter"/>
/// objects. So a layer keeps its caches and helper objects in fields set by <see cref="OnBuild(TensorShape)"/> or
/// later, never by the constructor, whose state must be settings only.</para>
/// <para>Memory: buffers are created when the layer first sees a batch of a given size and reused after that,
/// so training allocates nothing once warmed up. The tensor returned by <see cref="Forward(Tensor, bool)"/> or
/// <see cref="Backward(Tensor)"/> belongs to the layer and is overwritten by its next call; copy it to keep it.</para>
/// <para>Backward accumulates into <see cref="Parameter.Gradient"/>; the optimizer step clears the gradients. Weight
/// penalties (<see cref="Parameter.Regularizer"/>) are added by the trainer, not by layers. A layer is not
/// thread-safe: one forward/backward at a time.</para>
/// </remarks>
public abstract partial class Layer
{
    private List<Parameter> _parameters = [];
    private List<Node> _nodes = [];
    private TensorShape[] _inputShapes = [];
    private Tensor? _zeroInputGradient;
    private TensorShape _outputShape;
    private Layer? _template;
    private Layer? _primary;
    private ParameterSource? _parameterSource;
    private bool _parametersPending;
    private bool _ranFused;
    private bool _trainable = true;

    // Counts this layer's Trainable changes: an executor compares the sum over its layers with the sum it planned its
    // backward pass for (a few integers per forward pass), so a model with nothing frozen does no other work for freezing,
    // and freezing a layer of one model never replans another.
    private int _trainabilityVersion;

    // Counts the parameters added to this layer after it was built (LoRA): a model compares the sum over the layers it runs
    // with the sum it collected its parameter list at, so enabling LoRA touches only the models that hold the layer.
    private int _parameterSetVersion;

    // Counts the changes of both kinds above in every layer of the process: an executor that finds the same count as at its
    // last look knows that none of its layers changed, reading one integer per step instead of one per layer, and sums its
    // layers' counts again only when this one moved (a change in any model's layer costs the others one such sum).
    private static long s_changes;

    /// <summary>Creates a layer that its model names after its type (<c>dense</c>, <c>dense_1</c>, ...): what a subclass without a constructor of its own gets.</summary>
    protected Layer()
        : this(null)
    {
    }

    /// <summary>Creates a layer.</summary>
    /// <param name="name">The layer's name; when null, the model names it after its type (<c>dense</c>, <c>dense_1</c>, ...).</param>
    protected Layer(string? name)
    {
        Name = name ?? string.Empty;
    }

    /// <summary>The layer's name, unique within its model; empty until the layer is named by a model when none was given.</summary>
    public string Name { get; internal set; }

    /// <summary>The prefix of automatic names, in Keras' snake_case (<c>dense</c>, <c>conv2d</c>, <c>max_pooling2d</c>).</summary>
    public abstract string DefaultNamePrefix { get; }

    /// <summary>The type shown in summaries, such as <c>Dense</c>.</summary>
    public virtual string TypeName => GetType().Name;

    /// <summary>Whether <see cref="Build(TensorShape)"/> has run.</summary>
    public bool IsBuilt { get; private set; }

    /// <summary>The shape of one input sample. Throws until the layer is built, and for a layer built for several inputs.</summary>
    /// <exception cref="InvalidOperationException">The layer is not built, or takes several inputs (see <see cref="InputShapes"/>).</exception>
    public TensorShape InputShape => !IsBuilt ? throw NotBuilt()
        : _inputShapes.Length == 1 ? _inputShapes[0]
        : throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{Describe()} takes {_inputShapes.Length} inputs; read InputShapes."));

    /// <summary>The shape of one sample of each input, in call order. Throws until the layer is built.</summary>
    public IReadOnlyList<TensorShape> InputShapes => IsBuilt ? _inputShapes : throw NotBuilt();

    /// <summary>The shape of one output sample. Throws until the layer is built.</summary>
    public TensorShape OutputShape => IsBuilt ? _outputShape : throw NotBuilt();

    /// <summary>Every parameter of the layer, trainable or not, in creation order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>The number of scalars in all parameters.</summary>
    public long ParameterCount => _parameters.Sum(p => (long)p.Value.Length);

    /// <summary>
    /// Whether the layer's weights are trained (Keras' <c>layer.trainable</c>); true by default. Setting it to false freezes
    /// the layer: the optimizer leaves its parameters as they are (<see cref="Parameter.Trainable"/> becomes false), they
    /// are not counted in <see cref="TrainableParameterCount"/>, their weight penalties leave the loss, a backward pass that
    /// reaches only frozen layers stops there, and <see cref="BatchNormalization"/> runs in inference mode even in training
    /// (Keras: <c>training and self.trainable</c>). A wrapper (<see cref="Bidirectional"/>, <see cref="TimeDistributed"/>)
    /// passes the value on to the layers inside it, as Keras' setter recurses; <c>Model.Trainable</c> sets every layer.
    /// </summary>
    /// <remarks>
    /// The value is saved in the layer's configuration (<c>"trainable"</c>) and read back on load. A change takes effect at
    /// the model's next forward pass (the next training step, also inside a running <c>Fit</c> from a callback); unlike
    /// Keras, <c>Compile</c> need not be called again. Set it between steps, not while another thread trains the model.
    /// Non-trainable statistics (BatchNormalization's moving mean and variance) stay non-trainable when the layer is
    /// unfrozen.
    /// </remarks>
    public bool Trainable
    {
        get => Primary._trainable;
        set
        {
            Layer layer = Primary;
            layer._trainable = value;
            foreach (Parameter parameter in layer._parameters)
            {
                parameter.Frozen = !value;
            }

            foreach (Layer inner in layer.InnerLayers)
            {
                inner.Trainable = value;
            }

            Interlocked.Increment(ref layer._trainabilityVersion);
            Interlocked.Increment(ref s_changes);
        }
    }

    /// <summary>The count of <see cref="Trainable"/> changes of this layer so far (see <see cref="_trainabilityVersion"/>).</summary>
    internal int TrainabilityVersion => Volatile.Read(ref Primary._trainabilityVersion);

    /// <summary>Counts a change of one of its parameters' <see cref="Parameter.Trainable"/>, which the models' backward plans depend on.</summary>
    internal void NoteTrainabilityChanged()
    {
        // The layer's count first, then the process-wide one the executors read (VersionChanges).
        Interlocked.Increment(ref Primary._trainabilityVersion);
        Interlocked.Increment(ref s_changes);
    }

    /// <summary>The count of parameters added to this built layer so far (see <see cref="_parameterSetVersion"/>).</summary>
    internal int ParameterSetVersion => Volatile.Read(ref Primary._parameterSetVersion);

    /// <summary>
    /// The count of <see cref="TrainabilityVersion"/> and <see cref="ParameterSetVersion"/> changes of all layers so far:
    /// while it stays the same, so does every layer's count (each layer's is raised before this one).
    /// </summary>
    internal static long VersionChanges => Volatile.Read(ref s_changes);

    /// <summary>
    /// Tells the models that hold this built layer that it has new parameters and that a weight's trainability changed
    /// (LoRA was enabled): they collect their parameters again and plan their next backward pass again.
    /// </summary>
    /// <param name="added">How many parameters were added, the last ones of the layer.</param>
    internal void OnParametersAdded(int added)
    {
        // Drawn now, as Build fills a layer's parameters, so they hold their values at once; unless a symbolic call built the
        // layer and no model seeded it yet: its older parameters are pending, and all of them wait for the model's seed.
        bool waitsForSeed = false;
        for (int i = 0; i < _parameters.Count - added; i++)
        {
            waitsForSeed |= !IsSeeded && _parameters[i].PendingInitializer is not null;
        }

        if (!waitsForSeed)
        {
            InitializeParameters();
        }

        Interlocked.Increment(ref Primary._trainabilityVersion);
        Interlocked.Increment(ref Primary._parameterSetVersion);
        Interlocked.Increment(ref s_changes);
    }

    /// <summary>Whether a parameter of the layer is trainable now (created trainable, layer not frozen).</summary>
    /// <remarks>A copy that runs another call asks its layer, whose parameters may have grown since the copy was built (LoRA).</remarks>
    internal bool HasTrainableParameters
    {
        get
        {
            foreach (Parameter parameter in Primary._parameters)
            {
                if (parameter.Trainable)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>The number of scalars in trainable parameters (none while the layer is frozen, see <see cref="Trainable"/>).</summary>
    public long TrainableParameterCount => _parameters.Where(p => p.Trainable).Sum(p => (long)p.Value.Length);

    /// <summary>
    /// Whether the model's backward pass has this layer produce the gradient with respect to its input. A model turns this
    /// off for layers whose input gradient nobody reads (those with no parameters upstream, unless the model
    /// <see cref="Models.Model.ComputesInputGradients"/>), which saves a matrix product per step in a model's first dense
    /// layer. The public <c>Backward</c> calls ignore it: called by hand, they always compute the input gradient.
    /// </summary>
    public bool ComputesInputGradient { get; internal set; } = true;

    /// <summary>
    /// Whether the layer cannot compute the gradient with respect to its inputs (a <see cref="Lambda"/> given no gradient
    /// function): a model refuses to train through it before a step changes anything (<see cref="InputGradientUnavailable"/>).
    /// </summary>
    internal virtual bool LacksInputGradient => false;

    /// <summary>Why <paramref name="method"/> cannot run through this layer when it <see cref="LacksInputGradient"/>: the message of the refusal.</summary>
    /// <param name="method">What needs the gradient (<c>Fit</c>, <c>Backward</c>, ...).</param>
    /// <param name="trainableBefore">A layer before this one whose trainable weights need the gradient, or null when only
    /// the model's gradients with respect to its inputs (<c>Model.ComputesInputGradients</c>) need it.</param>
    internal virtual string InputGradientUnavailable(string method, Layer? trainableBefore) => $"{Describe()} cannot compute the gradient with respect to its input, which {method} needs.";

    /// <summary>
    /// Whether the layer's last operation is a softmax over the last axis, so that a cross-entropy loss can hand it
    /// the fused gradient with respect to the softmax's input (see <see cref="BackwardFromLogitsGradient"/>). A layer
    /// that returns true must override <see cref="OnBackwardFromLogitsGradient"/>.
    /// </summary>
    public virtual bool EndsWithSoftmax => false;

    /// <summary>The seed the layer draws its random numbers from (initializers, dropout masks), set by the model.</summary>
    protected internal long Seed { get; internal set; }

    /// <summary>Whether a model has given this layer its <see cref="Seed"/>.</summary>
    internal bool IsSeeded { get; set; }

    /// <summary>
    /// 0 for the layer itself; k for the instance a model runs for the layer's k-th call in that model. A layer that draws
    /// random numbers while running (as <see cref="Dropout"/> does) can mix it into its seed so that each call draws its own.
    /// </summary>
    protected internal int CallIndex { get; internal set; }

    /// <summary>The layer whose call this instance runs (itself, except for the copies of shared layers).</summary>
    internal Layer Primary => _primary ?? this;

    /// <summary>
    /// Whether this is a copy that runs the same call as <see cref="Primary"/> on other lengths of variable axes (a model's
    /// variant, or the probing build) rather than another call: a stateful recurrent layer lets such copies carry its states.
    /// </summary>
    internal bool IsLengthVariant { get; private set; }

    /// <summary>The layer's calls on symbolic tensors, in order (Keras' inbound nodes).</summary>
    internal IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>The smallest number of inputs the layer takes.</summary>
    private protected virtual int MinimumInputs => 1;

    /// <summary>The largest number of inputs the layer takes.</summary>
    private protected virtual int MaximumInputs => 1;

    /// <summary>
    /// Calls the layer on a symbolic tensor (Keras' <c>layer(x)</c>): builds the layer for the tensor's shape on the first
    /// call and returns the symbolic output, from which a <see cref="Functional"/> model is made.
    /// </summary>
    /// <param name="input">The symbolic input, from an <see cref="Input"/> or another layer's call.</param>
    /// <returns>The symbolic output, of shape <see cref="OutputShape"/>.</returns>
    /// <exception cref="ArgumentException">The layer does not accept the shape, or was first called on another shape.</exception>
    public SymbolicTensor Call(SymbolicTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Call([input]);
    }

    /// <summary>Calls a layer that takes several inputs (such as <see cref="Add"/> or <see cref="Concatenate"/>) on symbolic tensors.</summary>
    /// <param name="inputs">The symbolic inputs, in order.</param>
    /// <returns>The symbolic output.</returns>
    /// <exception cref="ArgumentException">The number of inputs or their shapes do not fit the layer, or differ from its first call.</exception>
    /// <exception cref="InvalidOperationException">The layer has several outputs (such as an LSTM with <c>returnState</c>); call <see cref="CallOutputs(ReadOnlySpan{SymbolicTensor})"/>.</exception>
    public SymbolicTensor Call(params ReadOnlySpan<SymbolicTensor> inputs)
    {
        SymbolicTensor[] outputs = CallOutputs(inputs);
        if (outputs.Length != 1)
        {
            // The call is recorded only when it is used: forget it, so a model built later does not see it.
            _nodes.RemoveAt(_nodes.Count - 1);
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} has {outputs.Length} outputs (such as a recurrent layer's states asked with returnState, attention scores asked with returnAttentionScores, or the pieces of Split or Unstack); call CallOutputs, which returns them all."));
        }

        return outputs[0];
    }

    /// <summary>
    /// Calls the layer on symbolic tensors and returns all of its outputs (Keras returns a list for such layers): for an
    /// LSTM with <c>returnState</c>, the output, the last hidden state and the last cell state. A layer with one output
    /// returns an array of one.
    /// </summary>
    /// <param name="inputs">The symbolic inputs, in order.</param>
    /// <returns>The symbolic outputs, of shapes <see cref="OutputShapes"/>.</returns>
    /// <exception cref="ArgumentException">The number of inputs or their shapes do not fit the layer, or differ from its first call.</exception>
    /// <exception cref="InvalidOperationException">The layer is an <see cref="InputLayer"/>, which takes no tensors.</exception>
    public SymbolicTensor[] CallOutputs(params ReadOnlySpan<SymbolicTensor> inputs)
    {
        if (this is InputLayer)
        {
            // Keras' InputLayer takes no tensors; a graph holding such a call would save but not load.
            throw new InvalidOperationException($"{Describe()} starts a model and cannot be called on a tensor; use the Input it made (or the tensor itself) instead.");
        }

        RequireInputCount(inputs.Length, nameof(inputs));
        var shapes = new TensorShape[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(inputs[i], nameof(inputs));
            shapes[i] = inputs[i].Shape;
        }

        if (AnyVariable(inputs))
        {
            CheckVariableAxes(inputs);
        }

        bool wasBuilt = IsBuilt;
        if (wasBuilt)
        {
            if (!shapes.AsSpan().SequenceEqual(_inputShapes))
            {
                throw new ArgumentException(
                    $"{Describe()} was first called on {FormatShapes(_inputShapes)} and cannot be called on {FormatShapes(shapes)}; a layer called again shares its weights, so its inputs must keep their shapes (unlike Keras). To apply it to inputs of other lengths, concatenate them along that axis, call it once, and split the result (Concatenate, then Split).",
                    nameof(inputs));
            }
        }
        else
        {
            try
            {
                BuildDeferred(shapes);
            }
            catch (ArgumentException e) when (AnyVariable(inputs))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{e.Message} (Its inputs' variable axes hold InputLayer.NominalLength, {InputLayer.NominalLength}, while the model is built: {string.Join(", ", inputs.ToArray().Select(t => t.BatchString))}.)"), e.ParamName, e);
            }
        }

        TensorShape[]? probeOutputs = null;
        try
        {
            probeOutputs = ProbeOutputShapes(inputs);
        }
        catch
        {
            // Nothing changes when a call fails: a build this call made is undone.
            Rollback(_nodes.Count, unbuild: !wasBuilt);
            throw;
        }

        Node node = AddNode(inputs.ToArray());
        IReadOnlyList<TensorShape> more = AdditionalOutputShapes;
        var outputs = new SymbolicTensor[1 + more.Count];
        outputs[0] = new SymbolicTensor(_outputShape, node, probeShape: probeOutputs?[0]);
        for (int k = 0; k < more.Count; k++)
        {
            outputs[k + 1] = new SymbolicTensor(more[k], node, k + 1, probeOutputs?[k + 1]);
        }

        return outputs;
    }

    /// <summary>
    /// Creates the parameters for inputs of shape <paramref name="inputShape"/> (per sample); the output shape becomes
    /// <see cref="OutputShape"/>. Building twice with the same shape does nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The shape is not one this layer accepts; the message names the layer and the shapes.</exception>
    /// <exception cref="InvalidOperationException">The layer was already built for another shape.</exception>
    public void Build(TensorShape inputShape) => Build([inputShape]);

    /// <summary>Creates the parameters for inputs of the given per-sample shapes (one per input); see <see cref="Build(TensorShape)"/>.</summary>
    /// <exception cref="ArgumentException">The number of inputs or a shape is not one this layer accepts.</exception>
    /// <exception cref="InvalidOperationException">The layer was already built for other shapes.</exception>
    public void Build(params ReadOnlySpan<TensorShape> inputShapes)
    {
        BuildDeferred(inputShapes);
        if (_parametersPending)
        {
            InitializeParameters();
        }
    }

    // Builds without filling the parameters: a symbolic call creates them before the model that seeds the layer exists.
    private void BuildDeferred(ReadOnlySpan<TensorShape> inputShapes)
    {
        if (IsBuilt)
        {
            if (!inputShapes.SequenceEqual(_inputShapes))
            {
                throw new InvalidOperationException($"{Describe()} was built for input {FormatShapes(_inputShapes)} and cannot take {FormatShapes(inputShapes)}.");
            }

            return;
        }

        RequireInputCount(inputShapes.Length, nameof(inputShapes));
        _template ??= (Layer)MemberwiseClone();
        _building = true;
        try
        {
            _outputShape = BuildLayer(inputShapes);
        }
        catch
        {
            // Nothing half-built: the parameters (and sublayers) of a failed build are dropped.
            _parameters.Clear();
            _sublayers.Clear();
            _parametersPending = false;
            throw;
        }
        finally
        {
            _building = false;
        }

        _inputShapes = inputShapes.ToArray();
        IsBuilt = true;
        if (!Trainable)
        {
            // Frozen before it was built (or a copy of a frozen layer): the layers a wrapper made inside itself are frozen
            // too (AddParameter froze the parameters).
            foreach (Layer inner in InnerLayers)
            {
                inner.Trainable = false;
            }
        }
    }

    /// <summary>
    /// Computes the layer's output for a batch.
    /// </summary>
    /// <param name="input">A batch: (batch, ...<see cref="InputShape"/>).</param>
    /// <param name="training">True during training: dropout drops, batch normalization uses batch statistics.</param>
    /// <returns>(batch, ...<see cref="OutputShape"/>), owned by the layer until its next forward call.</returns>
    /// <exception cref="ArgumentException">The input does not have this layer's input shape.</exception>
    public Tensor Forward(Tensor input, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Forward([input], training);
    }

    /// <summary>Computes the output of a layer that takes several inputs (all with the same batch size).</summary>
    /// <param name="inputs">One batch per input, in call order.</param>
    /// <param name="training">True during training.</param>
    /// <returns>(batch, ...<see cref="OutputShape"/>), owned by the layer until its next forward call.</returns>
    /// <exception cref="ArgumentException">The number of inputs, a shape or the batch sizes do not fit.</exception>
    public Tensor Forward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        Array.Clear(_inputMasks);
        return ForwardCore(inputs, training);
    }

    private Tensor ForwardCore(ReadOnlySpan<Tensor> inputs, bool training)
    {
        if (!IsBuilt)
        {
            var shapes = new TensorShape[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                ArgumentNullException.ThrowIfNull(inputs[i], nameof(inputs));
                shapes[i] = inputs[i].Shape.DropFirst();
            }

            Build(shapes);
        }

        if (inputs.Length != _inputShapes.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{Describe()} takes {_inputShapes.Length} input(s) but got {inputs.Length}."), nameof(inputs));
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(inputs[i], nameof(inputs));
            CheckBatchShape(inputs[i], _inputShapes[i], inputs.Length == 1 ? -1 : i);
            if (inputs[i].Shape[0] != inputs[0].Shape[0])
            {
                throw new ArgumentException($"{Describe()} got inputs with different batch sizes: {inputs[0].Shape} and {inputs[i].Shape}.", nameof(inputs));
            }
        }

        if (_parametersPending)
        {
            InitializeParameters();
        }

        Layer? outer = t_running;
        if (outer is not null)
        {
            CheckRunsInsideItsOwner(outer);
        }

        if (_sublayers.Count > 0)
        {
            PrepareSublayers();
        }

        Tensor output;
        BeginForwardLosses();
        t_running = this;
        try
        {
            output = RunForward(inputs, training);
        }
        finally
        {
            t_running = outer;
            EndForwardLosses();
        }

        OutputMask = ComputeMask(inputs, output);
        _lastOutput = output;
        RecordActivityPenalty(output);
        _ranFused = false;
        return output;
    }

    /// <summary>
    /// Back-propagates through the last forward call of a single-input layer: accumulates parameter gradients and returns
    /// the gradient with respect to the input. A call by hand always computes it, whatever <see cref="ComputesInputGradient"/>
    /// says for the layer's model (the first layer of a model skips it in the model's own backward pass).
    /// </summary>
    /// <param name="outputGradient">dLoss/dOutput for the batch of the last forward call.</param>
    /// <returns>dLoss/dInput, shaped as the last input, owned by the layer (plus the gradient of the
    /// <see cref="ActivityRegularizer"/>, when there is one). A one-input <see cref="MultiInputLayer"/> that leaves its
    /// input's slot null gives zeros (a buffer the layer keeps).</returns>
    /// <exception cref="ArgumentException">The gradient's shape differs from the last output's.</exception>
    /// <exception cref="InvalidOperationException">The layer takes several inputs (call <see cref="Backward(Tensor, Span{Tensor})"/>), or the
    /// model's last forward pass ran it together with another layer (a convolution and the max pooling that reads its output) and it holds no
    /// caches of that pass.</exception>
    public Tensor Backward(Tensor outputGradient)
    {
        bool planned = ComputesInputGradient;
        ComputesInputGradient = true;
        try
        {
            return BackwardAsPlanned(outputGradient);
        }
        finally
        {
            // The model's plan for its own backward pass stays as it was.
            ComputesInputGradient = planned;
        }
    }

    /// <summary>
    /// <see cref="Backward(Tensor)"/> as a model or a wrapper runs it: the input gradient only when
    /// <see cref="ComputesInputGradient"/> is true, else the output gradient itself (which nothing reads).
    /// </summary>
    internal Tensor BackwardAsPlanned(Tensor outputGradient)
    {
        CheckOutputGradient(outputGradient);
        if (_inputShapes.Length != 1)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{Describe()} takes {_inputShapes.Length} inputs; call Backward(outputGradient, inputGradients)."));
        }

        if (BackwardOneInput(outputGradient) is Tensor inputGradient)
        {
            return inputGradient;
        }

        // A one-input MultiInputLayer that left its slot null gives no gradient to its input: zeros, not the output's gradient.
        Tensor zeros = BatchView(ref _zeroInputGradient, outputGradient.Shape[0], _inputShapes[0]);
        zeros.AsSpan().Clear();
        return zeros;
    }

    /// <summary>
    /// <see cref="Backward(Tensor)"/> for the model's executor: null where a one-input <see cref="MultiInputLayer"/> left its
    /// input's slot null (no gradient to that input, which the executor then skips), so that no zeros are written; follows
    /// <see cref="ComputesInputGradient"/>, which the executor sets before the call.
    /// </summary>
    internal Tensor? BackwardOrNull(Tensor outputGradient)
    {
        CheckOutputGradient(outputGradient);
        return BackwardOneInput(outputGradient);
    }

    private Tensor? BackwardOneInput(Tensor outputGradient)
    {
        outputGradient = WithActivityGradient(outputGradient);
        Tensor? inputGradient = null;
        RunBackward(outputGradient, new Span<Tensor?>(ref inputGradient));
        return inputGradient is null && ComputesInputGradient ? null : inputGradient ?? outputGradient;
    }

    /// <summary>
    /// Back-propagates through the last forward call: accumulates parameter gradients and writes the gradient with
    /// respect to each input into <paramref name="inputGradients"/> (tensors owned by the layer). A call by hand always
    /// computes the input gradients, whatever <see cref="ComputesInputGradient"/> says for the layer's model.
    /// </summary>
    /// <param name="outputGradient">dLoss/dOutput for the batch of the last forward call.</param>
    /// <param name="inputGradients">One entry per input; receives dLoss/dInput, or null for an input the layer gives no
    /// gradient (a <see cref="MultiInputLayer"/> may leave one null).</param>
    /// <exception cref="ArgumentException">The gradient's shape differs from the last output's, or the span's length from the input count.</exception>
    public void Backward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        bool planned = ComputesInputGradient;
        ComputesInputGradient = true;
        try
        {
            BackwardAsPlanned(outputGradient, inputGradients);
        }
        finally
        {
            ComputesInputGradient = planned;
        }
    }

    /// <summary><see cref="Backward(Tensor, Span{Tensor})"/> as a model or a wrapper runs it: input gradients only when <see cref="ComputesInputGradient"/>.</summary>
    internal void BackwardAsPlanned(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        CheckOutputGradient(outputGradient);
        if (inputGradients.Length != _inputShapes.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{Describe()} takes {_inputShapes.Length} input(s) but {inputGradients.Length} input gradient slots were given."), nameof(inputGradients));
        }

        inputGradients.Clear();
        RunBackward(WithActivityGradient(outputGradient), inputGradients);
    }

    /// <summary>
    /// Back-propagates from dLoss/dLogits, the gradient with respect to the input of the layer's final softmax
    /// (for softmax + cross-entropy, <c>(p - t) / batch</c>): the layer skips the softmax derivative and continues
    /// its backward pass as <see cref="Backward(Tensor)"/> does (parameter gradients accumulated, input gradient returned).
    /// </summary>
    /// <param name="logitsGradient">dLoss/dLogits, shaped as the last output: (batch, ...<see cref="OutputShape"/>).</param>
    /// <returns>dLoss/dInput, as <see cref="Backward(Tensor)"/> returns it.</returns>
    /// <exception cref="NotSupportedException">The layer does not end with softmax (<see cref="EndsWithSoftmax"/> is false).</exception>
    public Tensor BackwardFromLogitsGradient(Tensor logitsGradient)
    {
        bool planned = ComputesInputGradient;
        ComputesInputGradient = true;
        try
        {
            return BackwardFromLogitsAsPlanned(logitsGradient);
        }
        finally
        {
            ComputesInputGradient = planned;
        }
    }

    /// <summary><see cref="BackwardFromLogitsGradient"/> as a model or a wrapper runs it: the input gradient only when <see cref="ComputesInputGradient"/>.</summary>
    internal Tensor BackwardFromLogitsAsPlanned(Tensor logitsGradient)
    {
        if (!EndsWithSoftmax)
        {
            throw new NotSupportedException($"{Describe()} does not end with softmax, so it cannot take a gradient with respect to softmax logits; call Backward.");
        }

        CheckOutputGradient(logitsGradient);
        if (_activityRegularizer is not null)
        {
            throw new InvalidOperationException($"{Describe()} has an activity regularizer, whose gradient is with respect to its output, not the softmax logits; call Backward.");
        }

        return OnBackwardFromLogitsGradient(logitsGradient);
    }

    /// <summary>
    /// The layer's configuration (Keras' <c>get_config</c>): <c>name</c>, <c>trainable</c> and <c>dtype</c> here (and
    /// <c>activity_regularizer</c> when the layer has one);
    /// subclasses add their constructor arguments. A layer no model has named yet writes the name its first model would
    /// give it, <see cref="DefaultNamePrefix"/> (<c>"dense"</c>), as Keras names a layer when it is made; its
    /// <see cref="Name"/> stays empty, so models still number their layers themselves (<c>dense</c>, <c>dense_1</c>). Saving a model writes it; the factory registered with
    /// <see cref="SerializationRegistry"/> reads it back (<c>trainable</c> is read by the registry for every layer, so a
    /// factory need not).
    /// </summary>
    public virtual Config GetConfig()
    {
        Config config = new Config().Set("name", Name.Length == 0 ? DefaultNamePrefix : Name).Set("trainable", Trainable).Set("dtype", "float32");
        if (DropsMasks)
        {
            config.Set("drops_masks", true);
        }

        return _activityRegularizer is null ? config : config.Set("activity_regularizer", _activityRegularizer);
    }

    /// <summary>Validates <paramref name="inputShape"/>, creates the parameters and returns the output shape (all per sample).</summary>
    protected abstract TensorShape OnBuild(TensorShape inputShape);

    /// <summary>The forward computation; the input's shape has been checked.</summary>
    protected abstract Tensor OnForward(Tensor input, bool training);

    /// <summary>The backward computation; the gradient's shape has been checked.</summary>
    protected abstract Tensor OnBackward(Tensor outputGradient);

    /// <summary>The fused backward pass of a layer that ends with softmax: continue from dLoss/dLogits (see <see cref="BackwardFromLogitsGradient"/>).</summary>
    protected virtual Tensor OnBackwardFromLogitsGradient(Tensor logitsGradient) =>
        throw new NotSupportedException($"{Describe()} says it ends with softmax but does not override OnBackwardFromLogitsGradient.");

    /// <summary>Builds for the given input shapes and returns the output shape; single-input layers run <see cref="OnBuild(TensorShape)"/>.</summary>
    private protected virtual TensorShape BuildLayer(ReadOnlySpan<TensorShape> inputShapes) => OnBuild(inputShapes[0]);

    /// <summary>The forward computation for checked inputs.</summary>
    private protected virtual Tensor RunForward(ReadOnlySpan<Tensor> inputs, bool training) => OnForward(inputs[0], training);

    /// <summary>The backward computation for a checked output gradient; writes the input gradients it computes.</summary>
    private protected virtual void RunBackward(Tensor outputGradient, Span<Tensor?> inputGradients) => inputGradients[0] = OnBackward(outputGradient);

    /// <summary>
    /// Creates a parameter and registers it. Its values are filled by <paramref name="initializer"/> (drawing from
    /// <see cref="Seed"/>) when the model it belongs to is created or at the layer's first forward pass, whichever comes first.
    /// </summary>
    /// <param name="name">The parameter's name within the layer, such as <c>kernel</c>.</param>
    /// <param name="shape">Its shape.</param>
    /// <param name="initializer">How its values start.</param>
    /// <param name="regularizer">A penalty on it, or null.</param>
    /// <param name="trainable">Whether optimizers update it (false for a statistic the layer tracks itself).</param>
    /// <param name="constraint">The projection optimizers apply to it after each step, or null.</param>
    /// <exception cref="ArgumentException"><paramref name="initializer"/> or <paramref name="constraint"/> does not fit <paramref name="shape"/> (the message names the layer).</exception>
    protected Parameter AddParameter(string name, TensorShape shape, Initializer initializer, Regularizer? regularizer = null, bool trainable = true, Constraint? constraint = null)
    {
        ArgumentNullException.ThrowIfNull(initializer);
        try
        {
            initializer.ValidateShape(shape);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{Describe()}: the initializer of '{name}' does not fit it: {e.Message}", nameof(initializer), e);
        }

        if (constraint is not null)
        {
            try
            {
                constraint.ValidateShape(shape);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"{Describe()}: the constraint on '{name}' does not fit it: {e.Message}", nameof(constraint), e);
            }
        }

        Parameter parameter = _parameterSource is null
            ? new Parameter(name, shape, trainable, regularizer, initializer)
            : _parameterSource.Create(this, _parameters.Count, name, shape, trainable, regularizer, initializer);
        if (!Trainable)
        {
            parameter.Frozen = true;
        }

        // A wrapped layer's parameter was created by the wrapper's AddParameter, and a copy's is the primary's: both keep
        // the owner they have.
        parameter.Owner ??= Primary;
        parameter.Constraint = constraint;
        _parametersPending |= parameter.PendingInitializer is not null;
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary><see cref="AddParameter"/> for the weights a shared helper adds to a built layer (LoRA's A and B, <see cref="LoraSlot"/>).</summary>
    internal Parameter AddHelperParameter(string name, TensorShape shape, Initializer initializer, Regularizer? regularizer) =>
        AddParameter(name, shape, initializer, regularizer);

    /// <summary>
    /// Returns a (batchSize, ...sampleShape) view of <paramref name="buffer"/>, replacing the buffer with a larger one
    /// only when a batch larger than any before arrives. This is how layers keep training allocation-free.
    /// </summary>
    protected static Tensor BatchView(ref Tensor? buffer, int batchSize, TensorShape sampleShape)
    {
        if (buffer is null || buffer.Shape[0] < batchSize || buffer.Length / buffer.Shape[0] != sampleShape.ElementCount)
        {
            buffer = new Tensor(sampleShape.Prepend(batchSize));
        }

        return buffer.FirstRows(batchSize);
    }

    /// <summary>A description for error messages: <c>Dense 'dense_1'</c>.</summary>
    protected string Describe() => Name.Length == 0 ? TypeName : $"{TypeName} '{Name}'";

    /// <summary><see cref="BatchView"/> for the internal passes that layers hand their computation to.</summary>
    internal static Tensor ReusedBatchView(ref Tensor? buffer, int batchSize, TensorShape sampleShape) => BatchView(ref buffer, batchSize, sampleShape);

    /// <summary><see cref="Describe"/> for the error messages of those passes.</summary>
    internal string Description => Describe();

    /// <summary>Records a call of this (built) layer on <paramref name="inputs"/>.</summary>
    private protected Node AddNode(SymbolicTensor[] inputs)
    {
        var node = new Node(this, _nodes.Count, inputs);
        _nodes.Add(node);
        return node;
    }

    /// <summary>
    /// Undoes what a failed attempt to build a model did to this layer: forgets the calls recorded since there were
    /// <paramref name="nodeCount"/>, and, when <paramref name="unbuild"/>, the build itself (shapes and parameters).
    /// </summary>
    internal void Rollback(int nodeCount, bool unbuild)
    {
        _nodes.RemoveRange(nodeCount, _nodes.Count - nodeCount);
        if (unbuild)
        {
            _parameters.Clear();
            _sublayers.Clear();
            _parametersPending = false;
            _inputShapes = [];
            IsBuilt = false;
        }
    }

    /// <summary>Fills the parameters still waiting for their initializer, each from <c>Derive(Seed, index)</c>.</summary>
    internal void InitializeParameters()
    {
        for (int i = 0; i < _parameters.Count; i++)
        {
            Parameter p = _parameters[i];
            if (p.PendingInitializer is Initializer initializer)
            {
                initializer.Initialize(p.Value.AsSpan(), p.Shape, SeededRandom.Derive(Seed, i));
                p.PendingInitializer = null;
            }
        }

        _parametersPending = false;
    }

    /// <summary>
    /// Builds the layer with new parameters left for the model to fill from the seed it gives the layer (an architecture
    /// being read without weights), as a call on symbolic tensors does.
    /// </summary>
    internal void BuildUninitialized(ReadOnlySpan<TensorShape> inputShapes) => BuildDeferred(inputShapes);

    /// <summary>Builds the layer with parameters supplied by <paramref name="source"/> (a file being loaded) instead of new ones.</summary>
    internal void Build(ReadOnlySpan<TensorShape> inputShapes, ParameterSource source)
    {
        _parameterSource = source;
        try
        {
            BuildDeferred(inputShapes);
        }
        finally
        {
            _parameterSource = null;
        }
    }

    /// <summary>
    /// The instance a model runs for this layer's <paramref name="callIndex"/>-th call (counted within the model): the
    /// layer itself for 0; otherwise a copy of the layer as it was before it was built, built for the same shapes with
    /// the same <see cref="Parameter"/> objects, so the calls share weights and gradients but not caches.
    /// </summary>
    /// <remarks>A reverse call (<see cref="ReversibleEmbedding.CallReverse"/>) always runs on a copy, built for its own input shape.</remarks>
    internal Layer InstanceForCall(Node node, int callIndex) => callIndex == 0 && !node.Reverse ? this : CopyForCall(callIndex, node);

    /// <summary>
    /// A new instance for this layer's <paramref name="callIndex"/>-th call: a copy of the layer as it was before it was
    /// built, built for the same shapes with the same <see cref="Parameter"/> objects. A model's concurrent predictions
    /// run on such copies, each with its own activations.
    /// </summary>
    internal Layer CopyForCall(int callIndex) => CopyForCall(callIndex, null);

    /// <summary>
    /// <see cref="CopyForCall(int)"/> for the call <paramref name="node"/>: a reverse call's copy runs in reverse
    /// (<see cref="RunReverse"/>) and is built for that call's input shape.
    /// </summary>
    internal Layer CopyForCall(int callIndex, Node? node) => CopyForShapes(callIndex, node, CallShapes(node));

    /// <summary>
    /// As <see cref="CopyForCall(int, Node?)"/>, built for <paramref name="inputShapes"/>: another length of a variable
    /// axis, which the layer's parameters must not depend on.
    /// </summary>
    internal Layer CopyForShapes(int callIndex, Node? node, ReadOnlySpan<TensorShape> inputShapes) => CopyForShapes(callIndex, node, inputShapes, lengthVariant: false);

    /// <summary>
    /// As <see cref="CopyForShapes(int, Node?, ReadOnlySpan{TensorShape})"/>; <paramref name="lengthVariant"/> marks a copy
    /// for other lengths of variable axes (<see cref="IsLengthVariant"/>), made by a model's variants and by probing.
    /// </summary>
    internal Layer CopyForShapes(int callIndex, Node? node, ReadOnlySpan<TensorShape> inputShapes, bool lengthVariant)
    {
        if (!IsBuilt || _template is null)
        {
            throw new InvalidOperationException($"{Describe()} must be built before it can be called more than once.");
        }

        var instance = (Layer)_template.MemberwiseClone();
        instance._parameters = [];
        instance._nodes = [];
        instance._sublayers = [];
        instance._template = null;
        instance._primary = this;
        instance._parameterSource = new SharedParameters(this, inputShapes.SequenceEqual(CallShapes(node)) ? null : inputShapes.ToArray());
        instance.Name = Name;
        instance.Seed = Seed;
        instance.IsSeeded = true;
        instance.CallIndex = callIndex;
        instance.IsLengthVariant = lengthVariant;
        if (node is { Reverse: true })
        {
            instance.RunReverse();
        }

        try
        {
            instance.BuildDeferred(inputShapes);
        }
        finally
        {
            instance._parameterSource = null;
        }

        return instance;
    }

    // The input shapes of the call `node` as the model was built: the layer's, or a reverse call's own.
    private TensorShape[] CallShapes(Node? node) => node is { Reverse: true } ? [.. node.Inputs.Select(t => t.Shape)] : _inputShapes;

    /// <summary>Makes this copy run a reverse call before it is built (<see cref="ReversibleEmbedding.CallReverse"/>); no other layer takes one.</summary>
    private protected virtual void RunReverse() => throw new InvalidOperationException($"{Describe()} takes no reverse calls.");

    /// <summary>The checks of backward passes: the layer is built and the gradient has the output's shape.</summary>
    private protected void CheckOutputGradient(Tensor outputGradient)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        if (!IsBuilt)
        {
            throw NotBuilt();
        }

        CheckBatchShape(outputGradient, _outputShape, -2);
        ThrowIfRanFused();
    }

    /// <summary>
    /// The check of a backward pass that reads the caches of the layer's last forward pass: one ran
    /// (<paramref name="lastInput"/>, the input it kept) with the batch size of <paramref name="outputGradient"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No forward pass ran, or it had another batch size.</exception>
    private protected void CheckForwardRan(Tensor? lastInput, Tensor outputGradient)
    {
        if (lastInput is null || lastInput.Shape[0] != outputGradient.Shape[0])
        {
            throw new InvalidOperationException(
                $"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size (last input: {lastInput?.Shape.ToString() ?? "none"}).");
        }
    }

    private void RequireInputCount(int count, string parameterName)
    {
        if (count < MinimumInputs || count > MaximumInputs)
        {
            string expected = MinimumInputs == MaximumInputs ? $"exactly {MinimumInputs}"
                : MaximumInputs == int.MaxValue ? $"at least {MinimumInputs}"
                : $"{MinimumInputs} to {MaximumInputs}";
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{Describe()} takes {expected} input(s) but was given {count}."), parameterName);
        }
    }

    /// <summary>
    /// Records a forward pass that the model ran for this layer together with another (a convolution and the max pooling
    /// that alone reads its output, see GraphExecutor): <see cref="GetOutput"/> gives <paramref name="output"/> (null: the
    /// layer kept none), and the layer's own Backward refuses until its next Forward, since its caches are not of that pass.
    /// </summary>
    internal void RecordFusedForward(Tensor? output)
    {
        _lastOutput = output;
        OutputMask = null;
        _ranFused = true;
    }

    /// <summary>Whether the last forward pass was one the model ran together with another layer (<see cref="RecordFusedForward"/>).</summary>
    private protected bool RanFused => _ranFused;

    private void ThrowIfRanFused()
    {
        if (_ranFused)
        {
            throw new InvalidOperationException($"{Describe()}: the model's last forward pass ran this layer together with another (a convolution with the max pooling that reads its output), so the layer holds no caches of that pass for its own Backward; the model's Backward runs it, or call the layer's Forward first.");
        }
    }

    /// <summary>Throws unless <paramref name="input"/> is a batch of this single-input layer's input shape (for paths that bypass <see cref="Forward(Tensor, bool)"/>).</summary>
    internal void CheckInput(Tensor input) => CheckBatchShape(input, _inputShapes[0], -1);

    // input is the input's index, -1 for the single input, -2 for the output gradient (named only when throwing).
    private void CheckBatchShape(Tensor tensor, TensorShape expected, int input)
    {
        bool empty = tensor.Rank > 0 && tensor.Shape[0] == 0;
        if (empty || tensor.Rank != expected.Rank + 1 || !tensor.Shape.Dimensions[1..].SequenceEqual(expected.Dimensions))
        {
            string what = input switch
            {
                -1 => "input",
                -2 => "output gradient",
                _ => string.Create(CultureInfo.InvariantCulture, $"input {input}"),
            };
            string problem = empty ? "; a batch needs at least one sample" : string.Empty;
            throw new ArgumentException($"{Describe()} expects {what} {expected.ToBatchString()} but got {tensor.Shape}{problem}.", input == -2 ? "outputGradient" : "input");
        }
    }

    private static string FormatShapes(ReadOnlySpan<TensorShape> shapes)
    {
        if (shapes.Length == 1)
        {
            return shapes[0].ToBatchString();
        }

        var parts = new string[shapes.Length];
        for (int i = 0; i < shapes.Length; i++)
        {
            parts[i] = shapes[i].ToBatchString();
        }

        return "[" + string.Join(", ", parts) + "]";
    }

    private InvalidOperationException NotBuilt() => new($"{Describe()} has not been built yet: add it to a model with an input shape, call it on an Input, or call Build.");

    /// <inheritdoc/>
    public override string ToString() => Describe();

    /// <summary>Supplies the parameters of a layer being built, in place of new, initialized ones.</summary>
    internal abstract class ParameterSource
    {
        /// <summary>The parameter the layer asks for with <see cref="AddParameter"/>, as its <paramref name="index"/>-th.</summary>
        public abstract Parameter Create(Layer layer, int index, string name, TensorShape shape, bool trainable, Regularizer? regularizer, Initializer initializer);
    }

    /// <summary>
    /// The configuration item of a layer this one wraps: <paramref name="template"/>'s (the layer given to the wrapper),
    /// with the <c>trainable</c> flag of <paramref name="running"/>, the copy that runs once built, which may have been
    /// frozen on its own.
    /// </summary>
    private protected static System.Text.Json.Nodes.JsonObject SerializeWrapped(Layer template, Layer? running)
    {
        System.Text.Json.Nodes.JsonObject item = SerializationRegistry.Serialize(template);
        if (item["config"] is System.Text.Json.Nodes.JsonObject config)
        {
            if (running is not null)
            {
                config["trainable"] = running.Trainable;
            }

            // An unnamed template keeps its empty name (GetConfig writes the prefix): the wrapper names the copies it runs
            // itself (Bidirectional's backward_gru) unless the template was given a name, so the file says which it was.
            if (template.Name.Length == 0)
            {
                config["name"] = string.Empty;
            }
        }

        return item;
    }

    /// <summary>
    /// Builds <paramref name="inner"/>, a layer this one wraps, for <paramref name="inputShape"/>: its parameters become
    /// this layer's, named <paramref name="prefix"/> + their own name, so this layer initializes, shares, saves and
    /// loads them as its own.
    /// </summary>
    private protected void BuildInner(Layer inner, TensorShape inputShape, string prefix) => BuildInner(inner, [inputShape], prefix);

    /// <summary>As <see cref="BuildInner(Layer, TensorShape, string)"/> for a wrapped layer of several inputs.</summary>
    private protected void BuildInner(Layer inner, ReadOnlySpan<TensorShape> inputShapes, string prefix)
    {
        // Marks the inner layer as this one's, so that its forward pass may run inside this layer's (CheckRunsInsideItsOwner).
        inner._owner = this;
        inner.Build(inputShapes, new InnerParameters(this, prefix));
    }

    // The parameters of a wrapped layer, created as the wrapper's own.
    private sealed class InnerParameters(Layer outer, string prefix) : ParameterSource
    {
        public override Parameter Create(Layer layer, int index, string name, TensorShape shape, bool trainable, Regularizer? regularizer, Initializer initializer) =>
            outer.AddParameter(prefix + name, shape, initializer, regularizer, trainable);
    }

    // The parameters of the layer being copied for another call, in creation order; otherShapes: the copy's input shapes
    // when they are not the layer's (another length of a variable axis).
    private sealed class SharedParameters(Layer primary, TensorShape[]? otherShapes) : ParameterSource
    {
        public override Parameter Create(Layer layer, int index, string name, TensorShape shape, bool trainable, Regularizer? regularizer, Initializer initializer)
        {
            // A wrapper's inner layer (TimeDistributed.InnerLayer) holds its parameters under the wrapper's prefix.
            Parameter? shared = index < primary._parameters.Count ? primary._parameters[index] : null;
            if (shared is not null && shared.Shape == shape
                && (shared.Name == name || (shared.Name.EndsWith(name, StringComparison.Ordinal) && shared.Name[^(name.Length + 1)] == '/')))
            {
                return shared;
            }

            string had = shared is null ? "nothing" : $"'{shared.Name}' {shared.Shape}";
            throw otherShapes is null
                ? new InvalidOperationException($"{primary.Describe()} created parameter '{name}' {shape} for a second call where its first call created {had}; a layer must create the same parameters for the same input shapes.")
                : new InvalidOperationException($"{primary.Describe()} creates parameter '{name}' {shape} for input {FormatShapes(otherShapes)} where it created {had} for {FormatShapes(primary._inputShapes)}: its weights depend on the length of a variable axis, which must then be fixed.");
        }
    }
}
