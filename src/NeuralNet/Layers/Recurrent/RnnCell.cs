using System.Globalization;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// One time step of a recurrent network (Keras' RNN cell: <c>state_size</c>, <c>output_size</c>, <c>call(inputs, states)</c>),
/// run over a sequence by <see cref="Rnn"/>. Derive from it to write a cell of your own; <see cref="SimpleRnnCell"/>,
/// <see cref="LstmCell"/>, <see cref="GruCell"/> and <see cref="StackedRnnCells"/> are the built-in ones.
/// </summary>
/// <remarks>
/// <para>Layouts, all row-major <c>float</c> spans: an input is (batch, <see cref="InputSize"/>); an output is (batch,
/// <see cref="OutputSize"/>); the states are one block per state, one after another, state <c>i</c> being (batch,
/// <see cref="StateSizes"/>[i]) starting at batch × (the sizes before it) — <see cref="State(Span{float}, int, int)"/>
/// slices one out.</para>
/// <para>The <see cref="Rnn"/> layer keeps every step's input and states, and hands them back to <see cref="Backward"/>;
/// a cell keeps only what else its backward step needs (gate activations, say), in buffers sized by <see cref="Prepare"/>
/// and indexed by the step, so that training allocates nothing after the first batch. Masks, initial states, the order
/// of the steps and the outputs are the layer's business: a cell sees whole batches, one step at a time.</para>
/// <para>A cell instance belongs to one layer: the layer builds its own copy of the cell it is given (a memberwise copy
/// of the unbuilt cell, <see cref="CopyUnbuilt"/>). A memberwise copy shares every object the constructor created, so
/// create per-instance state — scratch arrays, caches, anything mutable — in <see cref="OnBuild"/> or
/// <see cref="Prepare"/>, never in the constructor or a field initializer (or override <see cref="CopyUnbuilt"/> to give
/// the copy its own); then one layer called twice, a cell given to two layers, and concurrent Predict copies never share
/// buffers. Immutable settings (units, sizes) may be made in the constructor.</para>
/// <para>To save a model holding a cell of your own, register the cell's type as a layer is registered:
/// <c>SerializationRegistry.Register("MyApp&gt;MinimalCell", config =&gt; new MinimalCell(config.GetInt32("units")))</c>,
/// and override <see cref="GetConfig"/>.</para>
/// </remarks>
public abstract class RnnCell
{
    private List<Parameter> _parameters = [];
    private Func<string, TensorShape, Initializer, Regularizer?, Constraint?, Parameter>? _addParameter;
    private int[] _stateOffsets = [];
    private int[] _stateSizes = [];
    private int _totalStateSize;
    private int _outputSize;

    /// <summary>The size of each state the cell carries from step to step, such as [units] or, for an LSTM, [units, units].</summary>
    public abstract IReadOnlyList<int> StateSizes { get; }

    /// <summary>The size of a step's output: the first state's size unless overridden.</summary>
    public virtual int OutputSize => StateSizes.Count > 0 ? StateSizes[0] : 0;

    /// <summary>The name the cell is saved under and that messages show: the CLR type's name unless overridden (Keras' class name for the built-ins).</summary>
    public virtual string TypeName => GetType().Name;

    /// <summary>Whether the cell has been built for an input size.</summary>
    public bool IsBuilt { get; private set; }

    /// <summary>The number of features of a step's input, known once built.</summary>
    public int InputSize { get; private set; }

    /// <summary>The cell's parameters, in the order it created them (the layer's, once a layer built it).</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>The sum of <see cref="StateSizes"/>: the width of one sample's states.</summary>
    public int TotalStateSize => IsBuilt ? _totalStateSize : StateSizes.Sum();

    /// <summary>The cell's settings (Keras' <c>get_config</c>): empty unless overridden. A registered cell's factory reads them back.</summary>
    public virtual Config GetConfig() => new();

    /// <summary>
    /// Creates the cell's parameters for steps of <paramref name="inputSize"/> features, with <see cref="AddWeight"/>.
    /// </summary>
    /// <param name="inputSize">The number of features of a step's input.</param>
    protected abstract void OnBuild(int inputSize);

    /// <summary>
    /// Sizes what the cell keeps for a sequence of <paramref name="steps"/> steps of <paramref name="batch"/> samples and
    /// draws what it draws once per sequence (Keras' dropout masks). Called before every forward pass; allocate only when
    /// a batch or sequence larger than any before arrives.
    /// </summary>
    /// <param name="batch">The number of samples.</param>
    /// <param name="steps">The number of time steps.</param>
    /// <param name="training">Whether the pass trains (dropout acts only then).</param>
    public virtual void Prepare(int batch, int steps, bool training)
    {
    }

    /// <summary>
    /// One step over the batch: writes the step's output and the new states from the input and the previous states.
    /// </summary>
    /// <param name="batch">The number of samples.</param>
    /// <param name="step">The index of the step in the order the steps run, from 0: where to keep what backward needs.</param>
    /// <param name="input">The step's input (batch, <see cref="InputSize"/>).</param>
    /// <param name="states">The previous states (see the remarks' layout).</param>
    /// <param name="output">Receives the step's output (batch, <see cref="OutputSize"/>).</param>
    /// <param name="newStates">Receives the new states, laid out as <paramref name="states"/>.</param>
    public abstract void Forward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, Span<float> output, Span<float> newStates);

    /// <summary>
    /// The reverse of step <paramref name="step"/>: from the gradients of its output and of its new states, writes the
    /// gradients of its input and of its previous states (into zeroed buffers), and adds — never writes — the parameters'
    /// gradients to <see cref="Parameter.Gradient"/>, which the layer accumulates over the steps and the batch.
    /// Steps are reversed from the last to the first, after a forward pass over all of them.
    /// </summary>
    /// <param name="batch">The number of samples.</param>
    /// <param name="step">The step, as <see cref="Forward"/> saw it.</param>
    /// <param name="input">The step's input, as <see cref="Forward"/> read it.</param>
    /// <param name="states">The previous states, as <see cref="Forward"/> read them.</param>
    /// <param name="newStates">The new states <see cref="Forward"/> wrote.</param>
    /// <param name="outputGradient">dLoss/dOutput (batch, <see cref="OutputSize"/>).</param>
    /// <param name="newStateGradients">dLoss/dNewStates, laid out as the states.</param>
    /// <param name="inputGradient">Receives dLoss/dInput (batch, <see cref="InputSize"/>): zeros when the call starts, so the cell may write or add to it.</param>
    /// <param name="stateGradients">Receives dLoss/dStates, laid out as the states: zeros when the call starts, so the cell may write or add to it.</param>
    public abstract void Backward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, ReadOnlySpan<float> newStates,
        ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> newStateGradients, Span<float> inputGradient, Span<float> stateGradients);

    /// <summary>State <paramref name="index"/> (batch, <see cref="StateSizes"/>[index]) of a states span.</summary>
    /// <param name="states">The states (see the remarks' layout).</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="index">Which state.</param>
    /// <returns>The state's block.</returns>
    public Span<float> State(Span<float> states, int batch, int index) => states.Slice(batch * _stateOffsets[index], batch * _stateSizes[index]);

    /// <summary>State <paramref name="index"/> of read-only states, as <see cref="State(Span{float}, int, int)"/>.</summary>
    /// <param name="states">The states.</param>
    /// <param name="batch">The number of samples.</param>
    /// <param name="index">Which state.</param>
    /// <returns>The state's block.</returns>
    public ReadOnlySpan<float> State(ReadOnlySpan<float> states, int batch, int index) => states.Slice(batch * _stateOffsets[index], batch * _stateSizes[index]);

    /// <summary>
    /// Creates a parameter of the cell while it is built: registered with the layer that builds the cell, which
    /// initializes it from its seed, trains, saves and loads it.
    /// </summary>
    /// <param name="name">The parameter's name within the cell, such as <c>kernel</c>.</param>
    /// <param name="shape">Its shape.</param>
    /// <param name="initializer">How its values start.</param>
    /// <param name="regularizer">A penalty on it, or null.</param>
    /// <param name="constraint">The projection optimizers apply to it after each step, or null.</param>
    /// <returns>The parameter.</returns>
    /// <exception cref="InvalidOperationException">Called outside <see cref="OnBuild"/>.</exception>
    protected Parameter AddWeight(string name, TensorShape shape, Initializer initializer, Regularizer? regularizer = null, Constraint? constraint = null)
    {
        var add = _addParameter ?? throw new InvalidOperationException($"{TypeName} creates its weights in OnBuild, while a layer builds it.");
        Parameter parameter = add(name, shape, initializer, regularizer, constraint);
        _parameters.Add(parameter);
        return parameter;
    }

    /// <summary>
    /// An unbuilt copy of this unbuilt cell for a layer to build: a memberwise copy unless overridden. Override it when
    /// the cell holds other cells or mutable objects that each copy needs its own of (see <see cref="StackedRnnCells"/>).
    /// </summary>
    /// <returns>A new cell with the same settings.</returns>
    protected internal virtual RnnCell CopyUnbuilt()
    {
        var copy = (RnnCell)MemberwiseClone();
        copy.ResetBuild();
        return copy;
    }

    /// <summary>The seed of the layer's dropout generator the cell asks for (a built-in cell's <c>seed</c>), or null.</summary>
    internal virtual long? DropoutSeed => null;

    /// <summary>The dropout generator of the layer running the cell (set before <see cref="Prepare"/>); built-in cells draw their masks from it.</summary>
    internal SeededRandom? Random { get; set; }

    /// <summary>Builds the cell with its parameters created by <paramref name="addParameter"/> (the owning layer's).</summary>
    internal void Build(int inputSize, Func<string, TensorShape, Initializer, Regularizer?, Constraint?, Parameter> addParameter)
    {
        _addParameter = addParameter;
        try
        {
            OnBuild(inputSize);
        }
        finally
        {
            _addParameter = null;
        }

        InputSize = inputSize;
        IsBuilt = true;

        // Read once: a user's StateSizes may build a new list on every call, which per step would allocate.
        _stateSizes = [.. StateSizes];
        _outputSize = OutputSize;
        int offset = 0;
        _stateOffsets = new int[_stateSizes.Length];
        for (int i = 0; i < _stateOffsets.Length; i++)
        {
            _stateOffsets[i] = offset;
            offset += _stateSizes[i];
        }

        _totalStateSize = offset;
    }

    /// <summary>The output size, read once when built.</summary>
    internal int BuiltOutputSize => _outputSize;

    /// <summary>
    /// Refuses a built cell whose sizes are not those it declared before it was built (<paramref name="declaredStates"/>,
    /// <paramref name="declaredOutput"/>): its owner sized the states from the declared ones.
    /// </summary>
    /// <exception cref="InvalidOperationException">The sizes changed; <paramref name="owner"/>, the cell and both sizes are named.</exception>
    internal void CheckBuiltSizes(IReadOnlyList<int> declaredStates, int declaredOutput, string owner)
    {
        if (!_stateSizes.AsSpan().SequenceEqual([.. declaredStates]) || _outputSize != declaredOutput)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{owner}: its cell {TypeName} changed its sizes when built, from state sizes [{string.Join(", ", declaredStates)}] and output size {declaredOutput} to {Describe()}; a cell's sizes must not depend on its input."));
        }
    }

    /// <summary>A description for messages: the type and its state and output sizes.</summary>
    internal string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{TypeName} (state sizes [{string.Join(", ", StateSizes)}], output size {OutputSize})");

    private void ResetBuild()
    {
        // A memberwise copy shares the list: the copy needs its own.
        _parameters = [];
        _stateOffsets = [];
        _stateSizes = [];
        IsBuilt = false;
        InputSize = 0;
        Random = null;
    }
}
