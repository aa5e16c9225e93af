using System.Globalization;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Keras' <c>RNN</c> layer: runs an <see cref="RnnCell"/> — a built-in one or one of your own — over the time steps of
/// (batch, timesteps, features) and returns the last step's output (batch, output size) or, with
/// <see cref="ReturnSequences"/>, every step's (batch, timesteps, output size), in the order the steps ran (reversed with
/// <see cref="GoBackwards"/>, as Keras returns them).
/// </summary>
/// <remarks>
/// <para>Masks as Keras' backends apply them: a masked step keeps the states it got, and its output repeats the previous
/// step's output (zeros before the first real step), or is zeros with <see cref="ZeroOutputForMask"/>. Initial states
/// (Keras' <c>initial_state</c>) are further inputs after the sequence, all the cell's states or none; without them
/// the states start at zeros. With <see cref="ReturnState"/> the layer's further outputs are the final states.</para>
/// <para>This is the generic path: one call of the cell per step. <see cref="SimpleRnn"/>, <see cref="Lstm"/> and
/// <see cref="Gru"/> compute the same as <c>Rnn</c> over their cells, faster (the input products of all steps in one
/// GEMM); use them unless you need a cell of your own or stacked cells. <see cref="Stateful"/> carries the final states of a
/// call into the next as <see cref="Recurrent.Stateful"/> does; <c>unroll</c> is accepted and kept for Keras' config, and changes nothing (Keras' values do not depend on it).</para>
/// </remarks>
/// <example><code>
/// var rnn = new Rnn(new StackedRnnCells(new LstmCell(32), new GruCell(16)), returnSequences: true);
/// </code></example>
public sealed class Rnn : Layer, IRandomLayer, IRecurrentLayer
{
    private readonly StateCarrier _carried = new();
    private readonly RnnCell _template;
    private readonly int _templateStateCount;
    private RnnCell? _cell;
    private SeededRandom? _random;
    private int _steps;
    private int _features;
    private int _stateWidth;
    private int _outputSize;
    private TensorShape _featureShape;
    private TensorShape _stateShape;
    private TensorShape _outputStepShape;
    private TensorShape _sequenceShape;
    private TensorShape[] _stateShapes = [];
    private Tensor? _inputs;
    private Tensor? _states;
    private Tensor? _outputs;
    private Tensor? _output;
    private Tensor?[] _finalStates = [];
    private Tensor? _stepMask;
    private Tensor? _outputGradient;
    private Tensor? _carriedOutputGradient;
    private Tensor? _nextStateGradients;
    private Tensor? _previousStateGradients;
    private Tensor? _cellStateGradients;
    private Tensor? _stepInputGradients;
    private Tensor? _inputGradient;
    private Tensor?[] _initialStateGradients = [];
    private Tensor?[] _stateOutputGradients = [];

    /// <summary>Creates the layer over <paramref name="cell"/>.</summary>
    /// <param name="cell">The cell to run at each step; the layer builds its own copy of it.</param>
    /// <param name="returnSequences">Whether to return every step's output (batch, timesteps, output size) rather than the last.</param>
    /// <param name="returnState">Whether the layer's further outputs are its final states (Keras' <c>return_state</c>).</param>
    /// <param name="goBackwards">Whether to run from the last time step to the first.</param>
    /// <param name="zeroOutputForMask">Whether a masked step outputs zeros rather than the previous output.</param>
    /// <param name="unroll">Keras' <c>unroll</c>: kept in the config; the values do not depend on it.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>rnn</c>, <c>rnn_1</c>, ...</param>
    /// <exception cref="ArgumentNullException"><paramref name="cell"/> is null.</exception>
    /// <exception cref="ArgumentException">The cell has no state, a state or output size below 1, or is already built.</exception>
    public Rnn(RnnCell cell, bool returnSequences = false, bool returnState = false, bool goBackwards = false,
        bool zeroOutputForMask = false, bool unroll = false, string? name = null)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(cell);
        if (cell.IsBuilt)
        {
            throw new ArgumentException($"{Describe()} needs an unbuilt cell but {cell.TypeName} is already built (by another layer); create a new cell.", nameof(cell));
        }

        CheckSizes(cell, nameof(cell));
        _template = cell;
        _templateStateCount = cell.StateSizes.Count;
        ReturnSequences = returnSequences;
        ReturnState = returnState;
        GoBackwards = goBackwards;
        ZeroOutputForMask = zeroOutputForMask;
        Unroll = unroll;
    }

    /// <summary>The cell: the layer's built copy once built, else the cell it was given.</summary>
    public RnnCell Cell => _cell ?? _template;

    /// <summary>Whether the output holds every step's output rather than the last.</summary>
    public bool ReturnSequences { get; }

    /// <summary>Whether the layer's further outputs are its final states, one per cell state.</summary>
    public bool ReturnState { get; }

    /// <summary>Whether the steps run from the last time step to the first.</summary>
    public bool GoBackwards { get; }

    /// <summary>Whether a masked step outputs zeros rather than repeating the previous output (Keras' <c>zero_output_for_mask</c>).</summary>
    public bool ZeroOutputForMask { get; }

    /// <summary>Keras' <c>unroll</c>, kept for the config: the steps run in a loop either way, with the same values.</summary>
    public bool Unroll { get; }

    /// <summary>
    /// Keras' <c>stateful</c>: the final states of each call are the initial states of the next, sample i of a batch
    /// continuing sample i of the batch before, until <see cref="ResetStates"/>; as <see cref="Recurrent.Stateful"/>, whose
    /// rules apply here (the first call fixes the batch size, a call with another batch size throws, no gradient flows
    /// into the previous call, given initial states replace the carried ones for that call, one instance per model).
    /// Set before the layer is built; <c>false</c> by default.
    /// </summary>
    public bool Stateful { get; init; }

    /// <summary>
    /// The number of states the cell carries, every state counted (an LSTM cell's h and c are two; <see cref="StackedRnnCells"/>'
    /// cells' states one after the other): the number of initial states the layer takes and of final states it returns.
    /// Keras' <c>len(cell.state_size)</c> is the same for a single cell, but counts one entry per cell of stacked cells.
    /// </summary>
    public int StateCount => _templateStateCount;

    /// <summary>
    /// Keras' <c>reset_state</c> (and <c>reset_states</c>): sets the states a <see cref="Stateful"/> layer carries to zeros
    /// and frees its batch size. Nothing happens for a layer that is not stateful.
    /// </summary>
    public void ResetStates() => _carried.Reset();

    /// <summary>The states this stateful layer carries into its next call, (batch, size) each; empty before the first call and after a reset (for tests).</summary>
    internal Tensor[] CarriedStates => _carried.States;

    Tensor[] IStatefulLayer.CarriedStates => CarriedStates;

    // The cell's states do not depend on the step count, and the copies for other step counts share _carried (cloned from this layer).
    bool IStatefulLayer.CarriesAnyStepCount => true;

    /// <inheritdoc/>
    public override string TypeName => "RNN";

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "rnn";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    SeededRandom IRandomLayer.LayerRandom => _random ??= CreateRandom(_template.DropoutSeed);

    /// <inheritdoc/>
    public override Config GetConfig() => base.GetConfig()
        .Set("cell", SerializationRegistry.Serialize(_template))
        .Set("return_sequences", ReturnSequences)
        .Set("return_state", ReturnState)
        .Set("go_backwards", GoBackwards)
        .Set("stateful", Stateful)
        .Set("unroll", Unroll)
        .Set("zero_output_for_mask", ZeroOutputForMask);

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static Rnn FromConfig(Config config)
    {
        RnnCell cell = SerializationRegistry.Deserialize<RnnCell>(
            config.GetNode("cell") ?? throw config.Error("\"cell\" is missing or null; expected a cell as {\"class_name\", \"config\"}."), config, "cell");
        return new Rnn(cell, config.GetBoolean("return_sequences", false), config.GetBoolean("return_state", false), config.GetBoolean("go_backwards", false),
            config.GetBoolean("zero_output_for_mask", false), config.GetBoolean("unroll", false), config.GetString("name"))
        {
            Stateful = config.GetBoolean("stateful", false),
        };
    }

    /// <inheritdoc/>
    private protected override int MaximumInputs => 1 + _templateStateCount;

    /// <inheritdoc/>
    internal override bool HasSeveralOutputs => ReturnState;

    /// <inheritdoc/>
    private protected override IReadOnlyList<TensorShape> AdditionalOutputShapes => ReturnState ? _stateShapes : [];

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape) => BuildLayer([inputShape]);

    /// <inheritdoc/>
    private protected override TensorShape BuildLayer(ReadOnlySpan<TensorShape> inputShapes)
    {
        TensorShape input = inputShapes[0];
        if (input.Rank != 2 || input[0] <= 0)
        {
            throw new ArgumentException($"{Describe()} expects input (None, timesteps, features) with a known number of timesteps but got {input.ToBatchString()}.", nameof(inputShapes));
        }

        IReadOnlyList<int> sizes = _template.StateSizes;
        if (inputShapes.Length > 1)
        {
            if (inputShapes.Length != 1 + sizes.Count)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()} takes its input alone or with all {sizes.Count} initial state(s) of its cell {_template.Describe()} but got {inputShapes.Length - 1}."), nameof(inputShapes));
            }

            for (int i = 0; i < sizes.Count; i++)
            {
                if (inputShapes[i + 1].Rank != 1 || inputShapes[i + 1][0] != sizes[i])
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"{Describe()} expects initial state {i} of its cell {_template.Describe()} to be (None, {sizes[i]}) but got {inputShapes[i + 1].ToBatchString()}."), nameof(inputShapes));
                }
            }
        }

        StateCarrier.RefuseCopy(this, Stateful);
        RnnCell cell = _template.CopyUnbuilt();
        cell.Build(input[1], (name, shape, initializer, regularizer, constraint) => AddParameter(name, shape, initializer, regularizer, constraint: constraint));
        cell.CheckBuiltSizes(sizes, _template.OutputSize, Describe());

        _cell = cell;
        _steps = input[0];
        _features = input[1];
        _stateWidth = cell.TotalStateSize;
        _outputSize = cell.BuiltOutputSize;
        _featureShape = new TensorShape(_features);
        _stateShape = new TensorShape(_stateWidth);
        _outputStepShape = new TensorShape(_outputSize);
        _sequenceShape = input;
        _stateShapes = [.. sizes.Select(s => new TensorShape(s))];
        _finalStates = new Tensor?[sizes.Count];
        _initialStateGradients = new Tensor?[sizes.Count];
        _stateOutputGradients = new Tensor?[sizes.Count];
        return ReturnSequences ? new TensorShape(_steps, _outputSize) : _outputStepShape;
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training) => RunForward([input], training);

    /// <inheritdoc/>
    private protected override Tensor RunForward(ReadOnlySpan<Tensor> inputs, bool training)
    {
        RnnCell cell = _cell!;
        int batch = inputs[0].Shape[0], steps = _steps, f = _features, sw = _stateWidth, o = _outputSize;
        Span<float> xs = BatchView(ref _inputs, steps * batch, _featureShape).AsSpan();
        Span<float> states = BatchView(ref _states, (steps + 1) * batch, _stateShape).AsSpan();
        Span<float> outputs = BatchView(ref _outputs, steps * batch, _outputStepShape).AsSpan();

        // Step-major copies: the cell reads a step's rows as one (batch, features) block.
        ReadOnlySpan<float> x = inputs[0].AsReadOnlySpan();
        for (int s = 0; s < steps; s++)
        {
            int t = TimeIndex(s);
            for (int b = 0; b < batch; b++)
            {
                x.Slice(((b * steps) + t) * f, f).CopyTo(xs.Slice(((s * batch) + b) * f, f));
            }
        }

        // Keras: given initial states win over the carried ones; a stateful layer keeps its final states either way.
        bool carries = Stateful && batch > 0;
        if (carries)
        {
            _carried.Start(batch, _stateShapes, this);
        }

        Span<float> initial = states[..(batch * sw)];
        initial.Clear();
        for (int i = 0; i < _stateShapes.Length; i++)
        {
            ReadOnlySpan<float> start = inputs.Length > 1 ? inputs[i + 1].AsReadOnlySpan() : carries ? _carried.States[i].AsReadOnlySpan() : default;
            start.CopyTo(cell.State(initial, batch, i));
        }

        _stepMask = InputMask;
        cell.Random = ((IRandomLayer)this).LayerRandom;
        cell.Prepare(batch, steps, training);
        for (int s = 0; s < steps; s++)
        {
            Span<float> previous = states.Slice(s * batch * sw, batch * sw), next = states.Slice((s + 1) * batch * sw, batch * sw);
            Span<float> output = outputs.Slice(s * batch * o, batch * o);
            cell.Forward(batch, s, xs.Slice(s * batch * f, batch * f), previous, output, next);
            if (_stepMask is not null)
            {
                ApplyMask(cell, batch, s, previous, next, outputs);
            }
        }

        ReadOnlySpan<float> finalStates = states.Slice(steps * batch * sw, batch * sw);
        if (carries)
        {
            for (int i = 0; i < _stateShapes.Length; i++)
            {
                cell.State(finalStates, batch, i).CopyTo(_carried.States[i].AsSpan());
            }
        }

        return WriteOutputs(cell, batch, finalStates, outputs);
    }

    // Keras' masked step: the states pass through; the output repeats the previous one (zeros at first) or is zeros.
    private void ApplyMask(RnnCell cell, int batch, int s, ReadOnlySpan<float> previous, Span<float> next, Span<float> outputs)
    {
        int o = _outputSize;
        for (int b = 0; b < batch; b++)
        {
            if (!Masked(b, s))
            {
                continue;
            }

            for (int i = 0; i < _stateShapes.Length; i++)
            {
                int size = _stateShapes[i][0];
                cell.State(previous, batch, i).Slice(b * size, size).CopyTo(cell.State(next, batch, i).Slice(b * size, size));
            }

            Span<float> row = outputs.Slice(((s * batch) + b) * o, o);
            if (ZeroOutputForMask || s == 0)
            {
                row.Clear();
            }
            else
            {
                outputs.Slice((((s - 1) * batch) + b) * o, o).CopyTo(row);
            }
        }
    }

    private Tensor WriteOutputs(RnnCell cell, int batch, ReadOnlySpan<float> finalStates, ReadOnlySpan<float> outputs)
    {
        int steps = _steps, o = _outputSize;
        Tensor output;
        if (ReturnSequences)
        {
            output = BatchView(ref _output, batch, OutputShape);
            Span<float> y = output.AsSpan();
            for (int s = 0; s < steps; s++)
            {
                for (int b = 0; b < batch; b++)
                {
                    outputs.Slice(((s * batch) + b) * o, o).CopyTo(y.Slice(((b * steps) + s) * o, o));
                }
            }
        }
        else
        {
            output = BatchView(ref _output, batch, _outputStepShape);
            outputs.Slice((steps - 1) * batch * o, batch * o).CopyTo(output.AsSpan());
        }

        if (ReturnState)
        {
            for (int i = 0; i < _stateShapes.Length; i++)
            {
                cell.State(finalStates, batch, i).CopyTo(BatchView(ref _finalStates[i], batch, _stateShapes[i]).AsSpan());
            }
        }

        return output;
    }

    /// <inheritdoc/>
    private protected override Tensor AdditionalOutput(int index) => _finalStates[index]!;

    /// <inheritdoc/>
    private protected override void SetAdditionalOutputGradients(ReadOnlySpan<Tensor?> gradients)
    {
        if (gradients.IsEmpty)
        {
            Array.Clear(_stateOutputGradients);
        }
        else
        {
            gradients.CopyTo(_stateOutputGradients);
        }
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        Tensor? inputGradient = null;
        RunBackward(outputGradient, new Span<Tensor?>(ref inputGradient));
        return inputGradient!;
    }

    /// <inheritdoc/>
    private protected override void RunBackward(Tensor outputGradient, Span<Tensor?> inputGradients)
    {
        RnnCell cell = _cell!;
        int batch = outputGradient.Shape[0], steps = _steps, f = _features, sw = _stateWidth, o = _outputSize;
        if (_inputs is null || _inputs.Shape[0] != steps * batch)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} got an output gradient {outputGradient.Shape} that does not follow a forward pass of the same batch size."));
        }

        ReadOnlySpan<float> xs = _inputs.AsReadOnlySpan(), states = _states!.AsReadOnlySpan(), dy = outputGradient.AsReadOnlySpan();
        Span<float> dOut = BatchView(ref _outputGradient, batch, _outputStepShape).AsSpan();
        Span<float> carried = BatchView(ref _carriedOutputGradient, batch, _outputStepShape).AsSpan();
        Span<float> next = BatchView(ref _nextStateGradients, batch, _stateShape).AsSpan();
        Span<float> previous = BatchView(ref _previousStateGradients, batch, _stateShape).AsSpan();
        Span<float> cellNext = BatchView(ref _cellStateGradients, batch, _stateShape).AsSpan();
        Span<float> dxs = BatchView(ref _stepInputGradients, steps * batch, _featureShape).AsSpan();
        carried.Clear();
        next.Clear();
        for (int i = 0; i < _stateOutputGradients.Length; i++)
        {
            _stateOutputGradients[i]?.AsReadOnlySpan().CopyTo(cell.State(next, batch, i));
        }

        for (int s = steps - 1; s >= 0; s--)
        {
            // The step's output gradient: the returned output's share plus what masked later steps repeated of it.
            for (int b = 0; b < batch; b++)
            {
                Span<float> g = dOut.Slice(b * o, o), c = carried.Slice(b * o, o);
                if (ReturnSequences)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(dy.Slice(((b * steps) + s) * o, o), c, g);
                }
                else if (s == steps - 1)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(dy.Slice(b * o, o), c, g);
                }
                else
                {
                    c.CopyTo(g);
                }

                if (Masked(b, s))
                {
                    if (ZeroOutputForMask)
                    {
                        c.Clear();
                    }
                    else
                    {
                        g.CopyTo(c);
                    }

                    g.Clear();
                }
                else
                {
                    c.Clear();
                }
            }

            ReadOnlySpan<float> nextForCell = next;
            if (_stepMask is not null)
            {
                // A masked sample's new states are the carried ones, not the cell's: the cell gets no gradient for them.
                next.CopyTo(cellNext);
                ClearMaskedStateRows(cell, batch, s, cellNext);
                nextForCell = cellNext;
            }

            // The cell writes or adds to zeroed gradients (RnnCell.Backward's contract), never to the previous step's.
            Span<float> dx = dxs.Slice(s * batch * f, batch * f);
            dx.Clear();
            previous.Clear();
            cell.Backward(batch, s, xs.Slice(s * batch * f, batch * f), states.Slice(s * batch * sw, batch * sw), states.Slice((s + 1) * batch * sw, batch * sw),
                dOut, nextForCell, dx, previous);
            if (_stepMask is not null)
            {
                PassMaskedStateGradients(cell, batch, s, next, previous, dx);
            }

            Span<float> swap = next;
            next = previous;
            previous = swap;
        }

        WriteInputGradients(cell, batch, next, dxs, inputGradients);
    }

    private void ClearMaskedStateRows(RnnCell cell, int batch, int s, Span<float> stateGradients)
    {
        for (int b = 0; b < batch; b++)
        {
            if (Masked(b, s))
            {
                for (int i = 0; i < _stateShapes.Length; i++)
                {
                    int size = _stateShapes[i][0];
                    cell.State(stateGradients, batch, i).Slice(b * size, size).Clear();
                }
            }
        }
    }

    private void PassMaskedStateGradients(RnnCell cell, int batch, int s, ReadOnlySpan<float> next, Span<float> previous, Span<float> dx)
    {
        for (int b = 0; b < batch; b++)
        {
            if (Masked(b, s))
            {
                for (int i = 0; i < _stateShapes.Length; i++)
                {
                    int size = _stateShapes[i][0];
                    cell.State(next, batch, i).Slice(b * size, size).CopyTo(cell.State(previous, batch, i).Slice(b * size, size));
                }

                dx.Slice(b * _features, _features).Clear();
            }
        }
    }

    private void WriteInputGradients(RnnCell cell, int batch, ReadOnlySpan<float> initialStateGradients, ReadOnlySpan<float> dxs, Span<Tensor?> inputGradients)
    {
        int steps = _steps, f = _features;
        Tensor inputGradient = BatchView(ref _inputGradient, batch, _sequenceShape);
        Span<float> dx = inputGradient.AsSpan();
        for (int s = 0; s < steps; s++)
        {
            int t = TimeIndex(s);
            for (int b = 0; b < batch; b++)
            {
                dxs.Slice(((s * batch) + b) * f, f).CopyTo(dx.Slice(((b * steps) + t) * f, f));
            }
        }

        inputGradients[0] = inputGradient;
        for (int i = 1; i < inputGradients.Length; i++)
        {
            Tensor dState = BatchView(ref _initialStateGradients[i - 1], batch, _stateShapes[i - 1]);
            cell.State(initialStateGradients, batch, i - 1).CopyTo(dState.AsSpan());
            inputGradients[i] = dState;
        }
    }

    /// <inheritdoc/>
    protected override Tensor? ComputeMask(ReadOnlySpan<Tensor> inputs, Tensor output) => ReturnSequences ? InputMask : null;

    internal override bool MasksSurely(ReadOnlySpan<bool> inputsMasked) => ReturnSequences && inputsMasked.Length > 0 && inputsMasked[0];

    private int TimeIndex(int s) => GoBackwards ? _steps - 1 - s : s;

    private bool Masked(int b, int s) => _stepMask is not null && _stepMask.AsReadOnlySpan()[(b * _steps) + TimeIndex(s)] == 0f;

    private void CheckSizes(RnnCell cell, string parameter)
    {
        IReadOnlyList<int> sizes = cell.StateSizes;
        if (sizes is null || sizes.Count == 0 || sizes.Any(s => s <= 0) || cell.OutputSize <= 0)
        {
            string given = sizes is null ? "null" : $"[{string.Join(", ", sizes)}]";
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} needs a cell with at least one state, every state size and the output size positive, but its cell {cell.TypeName} has state sizes {given} and output size {cell.OutputSize}."), parameter);
        }
    }
}
