using System.Globalization;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Kernels;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// The base of the recurrent layers (Keras' <c>RNN</c> with a cell): reads (batch, timesteps, features), runs a cell over
/// the time steps, and returns the last output (batch, units) or, with <see cref="ReturnSequences"/>, every step's output
/// (batch, timesteps, units), in the order the steps ran (reversed with <see cref="GoBackwards"/>, as Keras returns them).
/// A step's output is its hidden state; with a mask, a masked step keeps the state and repeats the previous output
/// instead, zeros before a sample's first real step (Keras' backends), or zeros with <see cref="ZeroOutputForMask"/>.
/// </summary>
/// <remarks>
/// The input's products with the kernel, for every time step at once, are one GEMM before the loop; each step adds its
/// state's product with the recurrent kernel (a GEMM over the batch). The backward pass runs the steps in reverse
/// (back-propagation through time), then takes the kernel's gradient and the input's gradient as one GEMM each.
/// Weights use Keras' layouts: kernel (features, gates·units), recurrent kernel (units, gates·units), gate blocks in
/// Keras' order, so Keras weights load one to one.
/// </remarks>
public abstract partial class Recurrent : Layer, IRandomLayer
{
    private Parameter? _kernel;
    private Parameter? _recurrentKernel;
    private Parameter? _bias;
    private Tensor? _input;
    private Tensor? _projected;
    private Tensor? _states;
    private Tensor? _lastState;
    private Tensor? _stateGradients;
    private Tensor? _projectedGradients;
    private Tensor? _inputGradient;
    private Tensor? _stepMask;
    private Tensor? _maskedOutput;
    private Tensor? _maskedGradients;
    private Tensor? _dropMask;
    private Tensor? _droppedInput;
    private bool _dropped;
    private SeededRandom? _random;
    private TensorShape _featureShape;
    private TensorShape _sequenceShape;
    private Tensor? _carriedState;
    private Tensor? _recurrentMasks;
    private Tensor? _droppedPrevious;
    private Tensor? _gateStateGradient;
    private bool _recurrentDropped;
    private TensorShape _gateUnitsShape;
    private TensorShape _stepsWidthShape;
    private Tensor? _lastStateView;
    private Tensor? _initialState;
    private Tensor? _zeroState;
    private Tensor? _initialStateGradient;
    private Tensor? _stateOutputGradients;

    // The recurrent kernel's column blocks packed for the GEMM once per forward (and once per backward) pass instead of
    // once per step: U does not change within a pass. One copy per (first gate, gates) block a product reads.
    private PackedB?[]? _forwardPacks;
    private PackedB?[]? _backwardPacks;
    private Tensor?[] _additionalGradients = [];
    private TensorShape[] _stateShapes = [];

    /// <summary>Creates the layer's settings; parameters are created when it is built.</summary>
    private protected Recurrent(int units, int gates, ActivationFunction? activation, bool useBias, Initializer? kernelInitializer,
        Initializer? recurrentInitializer, Initializer? biasInitializer, Regularizer? kernelRegularizer, Regularizer? recurrentRegularizer,
        Regularizer? biasRegularizer, bool returnSequences, bool goBackwards, string? name)
        : base(name)
    {
        if (units <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(units), units, $"{GetType().Name} expects a positive number of units but got units={units}.");
        }

        Units = units;
        Gates = gates;
        Activation = activation ?? ActivationFunction.Tanh;
        UseBias = useBias;
        KernelInitializer = kernelInitializer ?? new GlorotUniform();
        RecurrentInitializer = recurrentInitializer ?? new Orthogonal();
        BiasInitializer = biasInitializer ?? new Zeros();
        KernelRegularizer = kernelRegularizer;
        RecurrentRegularizer = recurrentRegularizer;
        BiasRegularizer = biasRegularizer;
        ReturnSequences = returnSequences;
        GoBackwards = goBackwards;
    }

    /// <summary>The size of the state, and of each output step.</summary>
    public int Units { get; }

    /// <summary>The activation of the candidate state and the output (tanh unless given).</summary>
    public ActivationFunction Activation { get; }

    /// <summary>Whether the layer has a bias.</summary>
    public bool UseBias { get; }

    /// <summary>Initializes the kernel (glorot_uniform unless given).</summary>
    public Initializer KernelInitializer { get; }

    /// <summary>Initializes the recurrent kernel (orthogonal unless given).</summary>
    public Initializer RecurrentInitializer { get; }

    /// <summary>Initializes the bias (zeros unless given).</summary>
    public Initializer BiasInitializer { get; }

    /// <summary>The kernel's penalty, if any.</summary>
    public Regularizer? KernelRegularizer { get; }

    /// <summary>The recurrent kernel's penalty, if any.</summary>
    public Regularizer? RecurrentRegularizer { get; }

    /// <summary>The bias' penalty, if any.</summary>
    public Regularizer? BiasRegularizer { get; }

    /// <summary>
    /// The projection the optimizer applies to the kernel after each step (Keras' <c>kernel_constraint</c>, such as
    /// <c>new Lstm(64) { KernelConstraint = new MaxNorm(3) }</c>), or null. Set before the layer is built.
    /// </summary>
    public Constraint? KernelConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the bias after each step (Keras' <c>bias_constraint</c>), or null.</summary>
    public Constraint? BiasConstraint { get; init; }

    /// <summary>The projection the optimizer applies to the recurrent kernel after each step (Keras' <c>recurrent_constraint</c>), or null.</summary>
    public Constraint? RecurrentConstraint { get; init; }

    /// <summary>Whether the output holds every step's state (batch, timesteps, units) rather than the last (batch, units).</summary>
    public bool ReturnSequences { get; }

    /// <summary>Whether the steps run from the last time step to the first.</summary>
    public bool GoBackwards { get; }

    /// <summary>
    /// Whether a masked step outputs zeros (Keras' <c>zero_output_for_mask</c>): every masked step of a returned sequence,
    /// and without <see cref="ReturnSequences"/> the output of a sample whose last step to run is masked (its returned
    /// states are still the states the steps carried). By default a masked step repeats the previous step's output, zeros
    /// before the first real step, as in Keras. <c>Bidirectional</c> turns it on for its layers when they return
    /// sequences, as Keras does. Only used with a mask.
    /// </summary>
    public bool ZeroOutputForMask { get; init; }

    /// <summary>
    /// Keras' <c>dropout</c>: the fraction of the input features dropped in training, with one mask per sample kept for
    /// every time step (and every gate), the kept features scaled by 1 / (1 − rate). 0 by default; in [0, 1).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is outside [0, 1).</exception>
    public double Dropout
    {
        get;
        init => field = value is >= 0 and < 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(Dropout), value, $"{GetType().Name}'s dropout is a fraction in [0, 1).");
    }

    /// <summary>
    /// Keras' <c>recurrent_dropout</c>: the fraction of the previous state's units dropped in training before its product
    /// with the recurrent kernel, with one mask per sample and gate (Keras' implementation 1) kept for every time step, the
    /// kept units scaled by 1 / (1 − rate). The state itself is carried undropped (an LSTM's cell, a GRU's update mix).
    /// 0 by default; in [0, 1).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is outside [0, 1).</exception>
    public double RecurrentDropout
    {
        get;
        init => field = value is >= 0 and < 1 ? value
            : throw new ArgumentOutOfRangeException(nameof(RecurrentDropout), value, $"{GetType().Name}'s recurrentDropout is a fraction in [0, 1).");
    }

    /// <summary>The seed of the dropout masks (Keras' <c>seed</c>); null to draw them from the model's seed.</summary>
    public long? DropoutSeed { get; init; }

    /// <summary>
    /// Keras' <c>return_state</c>: the layer has further outputs, its last states (after the last step, masked steps
    /// carried): the hidden state (batch, units), and for an LSTM then the cell state (batch, units). Call such a layer
    /// with <see cref="Layer.CallOutputs(ReadOnlySpan{NeuralNet.Models.SymbolicTensor})"/>; <c>Sequential</c> refuses it, as Keras does.
    /// </summary>
    public bool ReturnState { get; init; }

    /// <summary>The number of states the layer carries from step to step: 1 (h), 2 for an LSTM (h and c).</summary>
    public virtual int StateCount => 1;

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    SeededRandom IRandomLayer.LayerRandom => _random ??= CreateRandom(DropoutSeed);

    /// <summary>The kernel (features, gates·units).</summary>
    public Parameter Kernel => _kernel ?? throw new InvalidOperationException($"{Describe()} has no kernel until it is built.");

    /// <summary>The recurrent kernel (units, gates·units).</summary>
    public Parameter RecurrentKernel => _recurrentKernel ?? throw new InvalidOperationException($"{Describe()} has no recurrent kernel until it is built.");

    /// <summary>The bias, or null without one.</summary>
    public Parameter? Bias => !UseBias ? null : _bias ?? throw new InvalidOperationException($"{Describe()} has no bias until it is built.");

    /// <summary>The number of gate blocks in the kernels (1 for SimpleRNN, 3 for GRU, 4 for LSTM).</summary>
    private protected int Gates { get; }

    /// <summary>The width of the kernels, gates·units.</summary>
    private protected int Width => Gates * Units;

    /// <summary>The bias' shape: (gates·units) unless the cell keeps a second, recurrent bias.</summary>
    private protected virtual TensorShape BiasShape => new(Width);

    /// <summary>The bias' initializer as the cell applies it (LSTM adds ones for the forget gate).</summary>
    private protected virtual Initializer EffectiveBiasInitializer => BiasInitializer;

    /// <summary>The part of the bias added to the input's products: the first gates·units values.</summary>
    private protected ReadOnlySpan<float> InputBias => UseBias ? _bias!.Value.AsReadOnlySpan()[..Width] : default;

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("units", Units)
        .Set("activation", Activation)
        .Set("use_bias", UseBias)
        .Set("kernel_initializer", KernelInitializer)
        .Set("recurrent_initializer", RecurrentInitializer)
        .Set("bias_initializer", BiasInitializer)
        .Set("kernel_regularizer", KernelRegularizer)
        .Set("recurrent_regularizer", RecurrentRegularizer)
        .Set("bias_regularizer", BiasRegularizer)
        .Set("kernel_constraint", KernelConstraint)
        .Set("recurrent_constraint", RecurrentConstraint)
        .Set("bias_constraint", BiasConstraint)
        .Set("return_sequences", ReturnSequences)
        .Set("go_backwards", GoBackwards)
        .Set("zero_output_for_mask", ZeroOutputForMask)
        .Set("dropout", Dropout)
        .Set("recurrent_dropout", RecurrentDropout)
        .Set("seed", DropoutSeed)
        .Set("return_state", ReturnState)
        .Set("stateful", Stateful);

    /// <inheritdoc/>
    private protected override int MaximumInputs => 1 + StateCount;

    /// <inheritdoc/>
    internal override bool HasSeveralOutputs => ReturnState;

    /// <inheritdoc/>
    private protected override IReadOnlyList<TensorShape> AdditionalOutputShapes => _stateShapes;

    // Initial states, Keras' initial_state: extra inputs after the sequence, all of the layer's states or none.
    private protected override TensorShape BuildLayer(ReadOnlySpan<TensorShape> inputShapes)
    {
        if (inputShapes.Length > 1)
        {
            if (inputShapes.Length != 1 + StateCount)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} takes its input alone or with all {StateCount} initial state(s) ({StateNames}) but got {inputShapes.Length - 1} initial state(s)."), nameof(inputShapes));
            }

            for (int i = 1; i < inputShapes.Length; i++)
            {
                if (inputShapes[i].Rank != 1 || inputShapes[i][0] != Units)
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"{Describe()} expects initial state {i} to be (None, {Units}) but got {inputShapes[i].ToBatchString()}."), nameof(inputShapes));
                }
            }
        }

        RefuseStatefulCopy();
        return OnBuild(inputShapes[0]);
    }

    private string StateNames => StateCount == 1 ? "h" : "h, c";

    /// <inheritdoc/>
    private protected override Tensor RunForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        // Keras: given initial states win over the carried ones; a stateful layer keeps its final states either way.
        int batch = inputs[0].Shape[0];
        bool carries = Stateful && batch > 0;
        if (carries)
        {
            StartStatefulPass(batch);
        }

        _initialState = inputs.Length > 1 ? inputs[1] : carries ? _passHidden : null;
        SetInitialCellState(inputs.Length > 2 ? inputs[2] : carries && StateCount > 1 ? _passCell : null);
        Tensor output = OnForward(inputs[0], training);
        if (carries)
        {
            KeepFinalStates(batch);
        }

        return output;
    }

    /// <inheritdoc/>
    private protected override void RunBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        inputGradients[0] = OnBackward(outputGradient);
        if (inputGradients.Length > 1)
        {
            // After the first step's reverse, the gradient carried to "step −1" is the initial state's.
            int batch = outputGradient.Shape[0];
            Tensor dh = BatchView(ref _initialStateGradient, batch, UnitsShape);
            CarriedStateGradient(batch).CopyTo(dh.AsSpan());
            inputGradients[1] = dh;
            WriteInitialCellGradient(batch, inputGradients[2..]);
        }
    }

    /// <inheritdoc/>
    private protected override Tensor AdditionalOutput(int index) => index == 0 ? _lastStateView! : LastCellState;

    /// <inheritdoc/>
    private protected override void SetAdditionalOutputGradients(ReadOnlySpan<Tensor?> gradients)
    {
        if (gradients.IsEmpty)
        {
            Array.Clear(_additionalGradients);
        }
        else
        {
            gradients.CopyTo(_additionalGradients);
        }
    }

    /// <summary>Runs after the last step of a forward pass (an LSTM keeps its last cell state for returnState).</summary>
    private protected virtual void FinishForward(int batch, int steps)
    {
    }

    /// <summary>A state of zeros, (units): the previous state of the first step without initial states.</summary>
    private protected ReadOnlySpan<float> ZeroState => _zeroState!.AsReadOnlySpan();

    /// <summary>The last cell state (an LSTM's second state output).</summary>
    private protected virtual Tensor LastCellState => throw new InvalidOperationException($"{Describe()} has one state.");

    /// <summary>Takes an LSTM's initial cell state for the coming forward pass (null: zeros).</summary>
    private protected virtual void SetInitialCellState(Tensor? cell)
    {
    }

    /// <summary>Writes an LSTM's initial cell-state gradient after a backward pass.</summary>
    private protected virtual void WriteInitialCellGradient(int batch, Span<Tensor?> gradients)
    {
    }

    /// <summary>The gradient of the last state output beyond the hidden state (an LSTM's cell state), or empty if none.</summary>
    private protected ReadOnlySpan<float> FinalCellGradient => _additionalGradients.Length > 1 && _additionalGradients[1] is Tensor g ? g.AsReadOnlySpan() : default;

    /// <summary>The state gradient carried from step to step in the backward pass, (batch, units).</summary>
    private protected Span<float> CarriedStateGradient(int batch) => Scratch(ref _carriedState, batch, UnitsShape).AsSpan();

    /// <summary>Whether step <paramref name="s"/> has a previous state: every step but the first, and the first too given an initial state.</summary>
    private protected bool HasPrevious(int s) => s > 0 || _initialState is not null;

    /// <summary>The previous states of step <paramref name="s"/> for the whole batch, rows <paramref name="stride"/> apart.</summary>
    private protected ReadOnlySpan<float> PreviousStates(int s, int steps, out int stride)
    {
        if (s > 0)
        {
            stride = steps * Units;
            return States[((s - 1) * Units)..];
        }

        stride = Units;
        return (_initialState ?? _zeroState!).AsReadOnlySpan();
    }

    /// <summary>Sample <paramref name="b"/>'s previous state at step <paramref name="s"/> (the initial state, or zeros, before the first).</summary>
    private protected ReadOnlySpan<float> PreviousState(int b, int steps, int s) => s > 0
        ? States.Slice((((b * steps) + s) - 1) * Units, Units)
        : (_initialState ?? _zeroState!).AsReadOnlySpan().Slice(_initialState is null ? 0 : b * Units, Units);

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (inputShape.Rank != 2)
        {
            throw new ArgumentException($"{Describe()} expects input (None, timesteps, features) but got {inputShape.ToBatchString()}.", nameof(inputShape));
        }

        _kernel = AddParameter("kernel", new TensorShape(inputShape[1], Width), KernelInitializer, KernelRegularizer, constraint: KernelConstraint);
        _recurrentKernel = AddParameter("recurrent_kernel", new TensorShape(Units, Width), RecurrentInitializer, RecurrentRegularizer, constraint: RecurrentConstraint);
        if (UseBias)
        {
            _bias = AddParameter("bias", BiasShape, EffectiveBiasInitializer, BiasRegularizer, constraint: BiasConstraint);
        }

        // The per-sample shapes of the step buffers, made once: a TensorShape holds an array, and the steps must not allocate.
        _featureShape = new TensorShape(inputShape[1]);
        _sequenceShape = inputShape;
        StepsByWidth = new TensorShape(inputShape[0], Width);
        StepsByUnits = new TensorShape(inputShape[0], Units);
        WidthShape = new TensorShape(Width);
        UnitsShape = new TensorShape(Units);
        _zeroState = new Tensor(UnitsShape);
        _gateUnitsShape = new TensorShape(Gates, Units);
        _stepsWidthShape = new TensorShape(inputShape[0], Width);
        _stateShapes = ReturnState ? [.. Enumerable.Repeat(UnitsShape, StateCount)] : [];
        _additionalGradients = new Tensor?[_stateShapes.Length];
        return ReturnSequences ? StepsByUnits : UnitsShape;
    }

    /// <summary>(timesteps, gates·units), set when built.</summary>
    private protected TensorShape StepsByWidth { get; private set; }

    /// <summary>(timesteps, units), set when built.</summary>
    private protected TensorShape StepsByUnits { get; private set; }

    /// <summary>(gates·units), set when built.</summary>
    private protected TensorShape WidthShape { get; private set; }

    /// <summary>(units), set when built.</summary>
    private protected TensorShape UnitsShape { get; private set; }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        int batch = input.Shape[0], steps = _sequenceShape[0], features = _sequenceShape[1];
        Tensor projected = BatchView(ref _projected, batch, StepsByWidth);
        Tensor states = BatchView(ref _states, batch, StepsByUnits);

        // Keras' input dropout: one mask per sample, the same for every step.
        _dropped = training && Dropout > 0;
        if (_dropped)
        {
            input = DropInput(input, batch, steps, features);
        }

        // Every step's input product in one GEMM: (batch·steps, features) · (features, width), plus the input bias.
        int rows = batch * steps;
        if (UseBias)
        {
            Gemm.Multiply(false, false, rows, Width, features, input.AsReadOnlySpan(), features, Kernel.Value.AsReadOnlySpan(), Width,
                InputBias, GemmActivation.None, projected.AsSpan(), Width);
        }
        else
        {
            Gemm.Multiply(false, false, rows, Width, features, 1f, input.AsReadOnlySpan(), features, Kernel.Value.AsReadOnlySpan(), Width, 0f, projected.AsSpan(), Width);
        }

        _recurrentDropped = training && RecurrentDropout > 0;
        if (_recurrentDropped)
        {
            Tensor masks = BatchView(ref _recurrentMasks, batch, _gateUnitsShape);
            _random ??= ((IRandomLayer)this).LayerRandom;
            _random.FillKeepMask(masks.AsSpan(), (uint)Math.Round(RecurrentDropout * (1 << 24)), (float)(1.0 / (1.0 - RecurrentDropout)));
            BatchView(ref _droppedPrevious, batch, _stepsWidthShape);
        }

        _stepMask = InputMask;
        InvalidateAll(_forwardPacks);
        PrepareSteps(batch, steps);
        for (int s = 0; s < steps; s++)
        {
            ForwardStep(batch, steps, s, TimeIndex(s, steps), projected.AsSpan(), states.AsSpan());
        }

        FinishForward(batch, steps);
        _input = input;
        if (ReturnSequences)
        {
            LastOutput = OutputsDifferFromStates ? ZeroMaskedOutputs(ref _maskedOutput, states, batch, steps) : states;
            if (ReturnState)
            {
                _lastStateView = BatchView(ref _lastState, batch, UnitsShape);
                CopyLastStep(states.AsReadOnlySpan(), _lastStateView.AsSpan(), batch, steps);
            }

            return LastOutput;
        }

        Tensor last = BatchView(ref _lastState, batch, UnitsShape);
        CopyLastStep(states.AsReadOnlySpan(), last.AsSpan(), batch, steps);
        _lastStateView = last;
        LastOutput = last;
        if (OutputsDifferFromStates)
        {
            // Keras' single output slot holds the last masked output, which is not always the last state.
            Tensor output = BatchView(ref _maskedOutput, batch, UnitsShape);
            last.AsReadOnlySpan().CopyTo(output.AsSpan());
            for (int b = 0; b < batch; b++)
            {
                if (LastOutputZeroed(b, steps))
                {
                    output.AsSpan().Slice(b * Units, Units).Clear();
                }
            }

            LastOutput = output;
        }

        return LastOutput;
    }

    /// <summary>
    /// Whether a masked step's output can differ from its state in this pass. Keras carries the output of a masked step
    /// from the previous output, which starts at zeros, and the state from the previous state, which starts at the
    /// initial state: they part before a sample's first real step once initial states are given, and at every masked
    /// step with <see cref="ZeroOutputForMask"/>. Otherwise the output is the state and needs no copy.
    /// </summary>
    private bool OutputsDifferFromStates => _stepMask is not null && (ZeroOutputForMask || _initialState is not null);

    /// <summary>Whether sample <paramref name="b"/>'s output after the last step is zeros while its state is not.</summary>
    private bool LastOutputZeroed(int b, int steps)
    {
        if (!Masked(b, steps, TimeIndex(steps - 1, steps)))
        {
            return false;
        }

        if (ZeroOutputForMask)
        {
            return true;
        }

        for (int s = 0; s < steps; s++)
        {
            if (!Masked(b, steps, s))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Copies every sample's row for the last step of <paramref name="values"/> (batch, steps, units) into <paramref name="destination"/> (batch, units).</summary>
    private protected void CopyLastStep(ReadOnlySpan<float> values, Span<float> destination, int batch, int steps)
    {
        for (int b = 0; b < batch; b++)
        {
            values.Slice(((b * steps) + steps - 1) * Units, Units).CopyTo(destination.Slice(b * Units, Units));
        }
    }

    private void AddToLastStep(ReadOnlySpan<float> gradient, Span<float> stateGradients, int batch, int steps)
    {
        for (int b = 0; b < batch; b++)
        {
            Span<float> row = stateGradients.Slice(((b * steps) + steps - 1) * Units, Units);
            System.Numerics.Tensors.TensorPrimitives.Add(row, gradient.Slice(b * Units, Units), row);
        }
    }

    /// <summary>The output of the last forward pass (for wrappers whose backward pass needs it).</summary>
    internal Tensor LastOutput { get; private set; } = null!;

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        int batch = outputGradient.Shape[0], steps = _sequenceShape[0], features = _sequenceShape[1];
        if (_input is null || _input.Shape[0] != batch)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size."));
        }

        Tensor stateGradients;
        if (ReturnSequences)
        {
            // A zeroed output step does not depend on the state: its gradient stops there.
            stateGradients = OutputsDifferFromStates ? ZeroMaskedOutputs(ref _maskedGradients, outputGradient, batch, steps) : outputGradient;
            if (_additionalGradients.Length > 0 && _additionalGradients[0] is Tensor finalState)
            {
                // The last state's own gradient joins the last step's, in a buffer of the layer's: the caller's tensor is not written.
                if (ReferenceEquals(stateGradients, outputGradient))
                {
                    Tensor copy = BatchView(ref _stateOutputGradients, batch, StepsByUnits);
                    stateGradients.AsReadOnlySpan().CopyTo(copy.AsSpan());
                    stateGradients = copy;
                }

                AddToLastStep(finalState.AsReadOnlySpan(), stateGradients.AsSpan(), batch, steps);
            }
        }
        else
        {
            stateGradients = BatchView(ref _stateGradients, batch, StepsByUnits);
            Span<float> g = stateGradients.AsSpan();
            g.Clear();
            bool zeroed = OutputsDifferFromStates;
            for (int b = 0; b < batch; b++)
            {
                // A zeroed last output does not depend on the state: only the state output's gradient reaches it.
                if (!zeroed || !LastOutputZeroed(b, steps))
                {
                    outputGradient.AsReadOnlySpan().Slice(b * Units, Units).CopyTo(g.Slice(((b * steps) + steps - 1) * Units, Units));
                }
            }

            if (_additionalGradients.Length > 0 && _additionalGradients[0] is Tensor finalState)
            {
                AddToLastStep(finalState.AsReadOnlySpan(), g, batch, steps);
            }
        }

        Tensor projectedGradients = BatchView(ref _projectedGradients, batch, StepsByWidth);
        InvalidateAll(_backwardPacks);
        for (int s = steps - 1; s >= 0; s--)
        {
            BackwardStep(batch, steps, s, TimeIndex(s, steps), stateGradients.AsReadOnlySpan(), projectedGradients.AsSpan());
        }

        // The input products' gradients, every step at once: dKernel += xᵀ·dZ, dBias += Σ dZ, dInput = dZ·kernelᵀ.
        int rows = batch * steps;
        ReadOnlySpan<float> dz = projectedGradients.AsReadOnlySpan();
        Span<float> kernelGradient = Kernel.GradientForProduct(out float beta);
        Gemm.Multiply(true, false, features, Width, rows, 1f, _input.AsReadOnlySpan(), features, dz, Width, beta, kernelGradient, Width);
        if (UseBias)
        {
            Span<float> biasGradient = _bias!.Gradient.AsSpan()[..Width];
            for (int r = 0; r < rows; r++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(biasGradient, dz.Slice(r * Width, Width), biasGradient);
            }
        }

        Tensor inputGradient = BatchView(ref _inputGradient, batch, _sequenceShape);
        Gemm.Multiply(false, true, rows, features, Width, 1f, dz, Width, Kernel.Value.AsReadOnlySpan(), Width, 0f, inputGradient.AsSpan(), features);
        if (_dropped)
        {
            Span<float> dx = inputGradient.AsSpan();
            ReadOnlySpan<float> m = _dropMask!.AsReadOnlySpan();
            for (int r = 0; r < rows; r++)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(dx.Slice(r * features, features), m.Slice(r / steps * features, features), dx.Slice(r * features, features));
            }
        }

        return inputGradient;
    }

    /// <inheritdoc/>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output) => ReturnSequences ? InputMask : null;

    internal override bool MasksSurely(ReadOnlySpan<bool> inputsMasked) => IsLibraryType && ReturnSequences && inputsMasked[0];

    /// <summary>Sizes the cell's per-step buffers for <paramref name="batch"/> samples of <paramref name="steps"/> steps.</summary>
    private protected abstract void PrepareSteps(int batch, int steps);

    /// <summary>Whether the current call has a mask.</summary>
    private protected bool HasMask => _stepMask is not null;

    /// <summary>Whether sample <paramref name="b"/>'s time step <paramref name="t"/> is masked in the current call.</summary>
    private protected bool Masked(int b, int steps, int t) => _stepMask is not null && _stepMask.AsReadOnlySpan()[(b * steps) + t] == 0f;

    /// <summary>
    /// Keras' masked step: the state of sample <paramref name="b"/> passes through step <paramref name="s"/>
    /// unchanged (<paramref name="initial"/>, the sample's initial state or zeros, before the first step). <paramref name="values"/> holds one row of <paramref name="size"/> per step.
    /// </summary>
    private protected static void CarryState(Span<float> values, int b, int steps, int s, int size, ReadOnlySpan<float> initial)
    {
        Span<float> row = values.Slice(((b * steps) + s) * size, size);
        if (s == 0)
        {
            initial.CopyTo(row);
        }
        else
        {
            values.Slice((((b * steps) + s) - 1) * size, size).CopyTo(row);
        }
    }

    /// <summary>
    /// The previous state's gradient <paramref name="dh"/> = dZ·Uᵀ for the rows that ran the step, plus for masked rows
    /// the gradient they carry unchanged (already in <paramref name="dh"/>).
    /// </summary>
    private protected void RecurrentInputGradientKeepingMasked(int batch, int steps, int t, ReadOnlySpan<float> dz, int ldz, int columns, Span<float> dh)
    {
        if (_stepMask is null)
        {
            RecurrentInputGradient(batch, dz, ldz, 0, columns, 0f, dh);
            return;
        }

        for (int b = 0; b < batch; b++)
        {
            if (!Masked(b, steps, t))
            {
                dh.Slice(b * Units, Units).Clear();
            }
        }

        RecurrentInputGradient(batch, dz, ldz, 0, columns, 1f, dh);
    }

    private Tensor DropInput(Tensor input, int batch, int steps, int features)
    {
        Tensor mask = BatchView(ref _dropMask, batch, _featureShape);
        _random ??= ((IRandomLayer)this).LayerRandom;
        _random.FillKeepMask(mask.AsSpan(), (uint)Math.Round(Dropout * (1 << 24)), (float)(1.0 / (1.0 - Dropout)));
        Tensor dropped = BatchView(ref _droppedInput, batch, _sequenceShape);
        ReadOnlySpan<float> x = input.AsReadOnlySpan(), m = mask.AsReadOnlySpan();
        Span<float> y = dropped.AsSpan();
        for (int r = 0; r < batch * steps; r++)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(x.Slice(r * features, features), m.Slice(r / steps * features, features), y.Slice(r * features, features));
        }

        return dropped;
    }

    // source (batch, steps, units) by step, with the rows whose output is zeros cleared: every masked step with
    // ZeroOutputForMask, else the masked steps before a sample's first real one (Keras' output starts at zeros).
    private Tensor ZeroMaskedOutputs(ref Tensor? buffer, Tensor source, int batch, int steps)
    {
        Tensor result = BatchView(ref buffer, batch, StepsByUnits);
        source.AsReadOnlySpan().CopyTo(result.AsSpan());
        Span<float> r = result.AsSpan();
        for (int b = 0; b < batch; b++)
        {
            bool real = false;
            for (int s = 0; s < steps; s++)
            {
                if (!Masked(b, steps, TimeIndex(s, steps)))
                {
                    real = true;
                }
                else if (ZeroOutputForMask || !real)
                {
                    r.Slice(((b * steps) + s) * Units, Units).Clear();
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Runs step <paramref name="s"/> (the s-th to run), which reads time step <paramref name="t"/>: <paramref name="projected"/>
    /// (batch, steps, width) holds every time step's input product; the step writes its state to row s of <paramref name="states"/>
    /// (batch, steps, units), whose row s − 1 is the previous state (zeros before the first step).
    /// </summary>
    private protected abstract void ForwardStep(int batch, int steps, int s, int t, Span<float> projected, Span<float> states);

    /// <summary>
    /// The reverse of step <paramref name="s"/>: adds <paramref name="stateGradients"/>' row s to the gradient carried from
    /// the later steps, writes dLoss/d(input product) of time step <paramref name="t"/> to <paramref name="projectedGradients"/>,
    /// accumulates the recurrent kernel's (and recurrent bias') gradients, and carries the gradient to step s − 1.
    /// </summary>
    private protected abstract void BackwardStep(int batch, int steps, int s, int t, ReadOnlySpan<float> stateGradients, Span<float> projectedGradients);

    /// <summary>The time step the s-th step reads.</summary>
    private protected int TimeIndex(int s, int steps) => GoBackwards ? steps - 1 - s : s;

    /// <summary>Every time step's pre-activations (batch, steps, width) after the forward pass: the input products plus what the steps added.</summary>
    private protected ReadOnlySpan<float> ProjectedValues => _projected!.AsReadOnlySpan();

    /// <summary>The forward states (batch, steps, units), by step.</summary>
    private protected ReadOnlySpan<float> States => _states!.AsReadOnlySpan();

    /// <summary>
    /// <paramref name="destination"/> (rows strided by <paramref name="ldc"/>) = beta·destination + previous states · U[:, columns],
    /// for a step that <see cref="HasPrevious"/>.
    /// </summary>
    private protected void AddRecurrentProduct(int batch, int steps, int s, int firstColumn, int columns,
        float beta, Span<float> destination, int ldc)
    {
        if (!_recurrentDropped)
        {
            ReadOnlySpan<float> previous = PreviousStates(s, steps, out int stride);
            Gemm.Multiply(false, false, batch, columns, Units, 1f, previous, stride,
                RecurrentKernel.Value.AsReadOnlySpan()[firstColumn..], Width, beta, destination, ldc, PackFor(ref _forwardPacks, firstColumn, columns));
            return;
        }

        // Recurrent dropout: each gate block reads the previous state through its own mask.
        for (int g = firstColumn / Units; g < (firstColumn + columns) / Units; g++)
        {
            DropPreviousStates(batch, steps, s, g);
            Gemm.Multiply(false, false, batch, Units, Units, 1f, _droppedPrevious!.AsReadOnlySpan()[((s * Width) + (g * Units))..], steps * Width,
                RecurrentKernel.Value.AsReadOnlySpan()[(g * Units)..], Width, beta, destination[((g * Units) - firstColumn)..], ldc,
                PackFor(ref _forwardPacks, g * Units, Units));
        }
    }

    /// <summary>
    /// With recurrent dropout in this pass, writes step <paramref name="s"/>'s previous states through gate
    /// <paramref name="gate"/>'s mask into the layer's buffer (kept for the backward pass); nothing otherwise.
    /// </summary>
    private protected void DropPreviousStates(int batch, int steps, int s, int gate)
    {
        if (!_recurrentDropped)
        {
            return;
        }

        Span<float> dropped = _droppedPrevious!.AsSpan();
        ReadOnlySpan<float> masks = _recurrentMasks!.AsReadOnlySpan();
        for (int b = 0; b < batch; b++)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(PreviousState(b, steps, s), masks.Slice(((b * Gates) + gate) * Units, Units),
                dropped.Slice((((b * steps) + s) * Width) + (gate * Units), Units));
        }
    }

    /// <summary>Sample <paramref name="b"/>'s previous state at step <paramref name="s"/> as gate <paramref name="gate"/>'s product reads it: through its recurrent-dropout mask (after <see cref="DropPreviousStates"/>), else as is.</summary>
    private protected ReadOnlySpan<float> PreviousStateForGate(int b, int steps, int s, int gate) => _recurrentDropped
        ? _droppedPrevious!.AsReadOnlySpan().Slice((((b * steps) + s) * Width) + (gate * Units), Units)
        : PreviousState(b, steps, s);

    /// <summary>The recurrent-dropout masks of the last training pass that drew them, (batch, gates, units) in its first rows (for tests).</summary>
    internal Tensor? RecurrentDropoutMasks => _recurrentMasks;

    /// <summary>Sample <paramref name="b"/>'s recurrent-dropout mask of gate <paramref name="gate"/> in this pass; empty without recurrent dropout.</summary>
    private protected ReadOnlySpan<float> RecurrentMask(int b, int gate) => _recurrentDropped
        ? _recurrentMasks!.AsReadOnlySpan().Slice(((b * Gates) + gate) * Units, Units)
        : default;

    /// <summary>dU[:, columns] += (previous states of step <paramref name="s"/>, through the gates' masks)ᵀ · dZ, dZ rows strided by <paramref name="ldb"/>.</summary>
    private protected void AccumulatePreviousStateGradient(int batch, int steps, int s, ReadOnlySpan<float> dz, int ldb, int firstColumn, int columns)
    {
        if (!_recurrentDropped)
        {
            AccumulateRecurrentGradient(batch, PreviousStates(s, steps, out int stride), stride, dz, ldb, firstColumn, columns);
            return;
        }

        for (int g = firstColumn / Units; g < (firstColumn + columns) / Units; g++)
        {
            AccumulateRecurrentGradient(batch, _droppedPrevious!.AsReadOnlySpan()[((s * Width) + (g * Units))..], steps * Width,
                dz[((g * Units) - firstColumn)..], ldb, g * Units, Units);
        }
    }

    /// <summary>Recurrent kernel gradient: dU[:, columns] += Aᵀ · dZ, A (batch, units) rows strided by <paramref name="lda"/>.</summary>
    private protected void AccumulateRecurrentGradient(int batch, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> dz, int ldb, int firstColumn, int columns) =>
        Gemm.Multiply(true, false, Units, columns, batch, 1f, a, lda, dz, ldb, 1f, RecurrentKernel.Gradient.AsSpan()[firstColumn..], Width);

    /// <summary>
    /// The previous state's gradient: dh (batch, units) = beta·dh + dZ · U[:, columns]ᵀ (each gate block's share through its
    /// recurrent-dropout mask in a pass that drops), dZ rows strided by <paramref name="ldz"/>.
    /// </summary>
    private protected void RecurrentInputGradient(int batch, ReadOnlySpan<float> dz, int ldz, int firstColumn, int columns, float beta, Span<float> dh)
    {
        if (!_recurrentDropped)
        {
            RawRecurrentInputGradient(batch, dz, ldz, firstColumn, columns, beta, dh);
            return;
        }

        if (beta == 0f)
        {
            dh[..(batch * Units)].Clear();
        }

        Span<float> share = Scratch(ref _gateStateGradient, batch, UnitsShape).AsSpan();
        ReadOnlySpan<float> masks = _recurrentMasks!.AsReadOnlySpan();
        for (int g = firstColumn / Units; g < (firstColumn + columns) / Units; g++)
        {
            RawRecurrentInputGradient(batch, dz[((g * Units) - firstColumn)..], ldz, g * Units, Units, 0f, share);
            for (int b = 0; b < batch; b++)
            {
                Span<float> row = dh.Slice(b * Units, Units);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(share.Slice(b * Units, Units), masks.Slice(((b * Gates) + g) * Units, Units), row, row);
            }
        }
    }

    /// <summary>d(A) (batch, units) = beta·d(A) + dZ · U[:, columns]ᵀ for the matrix A the product read, masks left out.</summary>
    private protected void RawRecurrentInputGradient(int batch, ReadOnlySpan<float> dz, int ldz, int firstColumn, int columns, float beta, Span<float> dh) =>
        Gemm.Multiply(false, true, batch, Units, columns, 1f, dz, ldz, RecurrentKernel.Value.AsReadOnlySpan()[firstColumn..], Width, beta, dh, Units,
            PackFor(ref _backwardPacks, firstColumn, columns));

    // The packed copy of U[:, firstColumn..firstColumn + columns) for this pass (Gemm packs it on first use).
    private PackedB PackFor(ref PackedB?[]? packs, int firstColumn, int columns)
    {
        packs ??= new PackedB?[Gates * (Gates + 1)];
        return packs[(firstColumn / Units * (Gates + 1)) + (columns / Units)] ??= new PackedB();
    }

    private static void InvalidateAll(PackedB?[]? packs)
    {
        if (packs is null)
        {
            return;
        }

        foreach (PackedB? pack in packs)
        {
            pack?.Invalidate();
        }
    }

    /// <summary>A (batch, ...shape) scratch view, as <see cref="Layer.BatchView"/>.</summary>
    private protected static Tensor Scratch(ref Tensor? buffer, int batch, TensorShape shape) => BatchView(ref buffer, batch, shape);
}
