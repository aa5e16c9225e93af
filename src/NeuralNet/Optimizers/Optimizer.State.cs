namespace NeuralNet.Optimizers;

public abstract partial class Optimizer
{
    // Keras' names for the base options' variables, one per trainable parameter.
    private const string AverageSlot = "average";
    private const string AccumulatorSlot = "gradient_accumulator";

    private readonly Dictionary<Parameter, ParameterState> _state = new(ReferenceEqualityComparer.Instance);
    private readonly List<Parameter> _stateOrder = [];

    /// <summary>
    /// The names of the state tensors kept per parameter, in the order <see cref="GetState"/> returns them and
    /// <see cref="SetState"/> takes them: the subclass' <see cref="SlotNames"/> (Keras' names: <c>momentum</c>,
    /// <c>velocity</c>, ...), then <c>average</c> with <see cref="UseEma"/> and <c>gradient_accumulator</c> with
    /// <see cref="GradientAccumulationSteps"/>.
    /// </summary>
    public IReadOnlyList<string> StateSlotNames
    {
        get
        {
            if (!UseEma && GradientAccumulationSteps is null)
            {
                return SlotNames;
            }

            var names = new List<string>(SlotNames);
            if (UseEma)
            {
                names.Add(AverageSlot);
            }

            if (GradientAccumulationSteps is not null)
            {
                names.Add(AccumulatorSlot);
            }

            return names;
        }
    }

    /// <summary>
    /// The state created so far, in the order parameters were first stepped: (parameter, slot name, tensor).
    /// Serialization saves these with <see cref="StepCount"/> so that training can resume exactly.
    /// </summary>
    internal IEnumerable<(Parameter Parameter, string Slot, Tensor Value)> GetStateTensors()
    {
        IReadOnlyList<string> names = StateSlotNames;
        foreach (Parameter parameter in _stateOrder)
        {
            ParameterState state = _state[parameter];
            for (int s = 0; s < state.Count; s++)
            {
                yield return (parameter, names[s], state[s]);
            }
        }
    }

    /// <summary>The number of scalars in the state created so far (for summaries).</summary>
    internal long StateElementCount
    {
        get
        {
            long count = 0;
            foreach (ParameterState state in _state.Values)
            {
                for (int s = 0; s < state.Count; s++)
                {
                    count += state[s].Length;
                }
            }

            return count;
        }
    }

    /// <summary>
    /// Whether any state has been created: the optimizer has stepped, or state was loaded or set (a parameter's state, or
    /// a step count above 0). Unlike Keras' <c>optimizer.built</c>, it is false until then: a fresh optimizer creates a
    /// parameter's state at its first step.
    /// </summary>
    public bool HasState => _state.Count > 0 || StepCount > 0;

    /// <summary>
    /// The shape of the subclass' slot <paramref name="slot"/> for <paramref name="parameter"/>: the parameter's, unless an
    /// optimizer of the library keeps less (Adafactor's factored moments, Muon's unused velocity).
    /// </summary>
    private protected virtual TensorShape SlotShape(int slot, Parameter parameter) => parameter.Shape;

    /// <summary>The shape of state tensor <paramref name="slotIndex"/> (an index into <see cref="StateSlotNames"/>) of <paramref name="parameter"/>.</summary>
    internal TensorShape StateShape(Parameter parameter, int slotIndex) =>
        slotIndex < SlotNames.Count ? SlotShape(slotIndex, parameter) : parameter.Shape;

    /// <summary>
    /// The name of a parameter as Keras' <c>variable.path</c> (<c>layer/parameter</c>), given by the model that compiled
    /// the optimizer and set again by its trainer before each step; null for an optimizer stepped without one. The lookup
    /// gives null for a parameter of another model; its own name is used then.
    /// </summary>
    internal Func<Parameter, string?>? ParameterPath { get; set; }

    /// <summary>The path of <paramref name="parameter"/>: <see cref="ParameterPath"/>'s, or its own name.</summary>
    private protected string PathOf(Parameter parameter) => ParameterPath?.Invoke(parameter) ?? parameter.Name;

    /// <summary>Whether the subclass' slot <paramref name="slot"/> starts as a copy of the parameter's value (ScheduleFreeAdamW's <c>z</c>).</summary>
    private protected virtual bool SlotStartsAtValue(int slot) => false;

    /// <summary>The value a state tensor starts at (0 unless a subclass says otherwise: Adagrad's accumulator).</summary>
    private protected virtual float SlotInitialValue(int slot) => 0f;

    /// <summary>The subclass' state tensors of <paramref name="parameter"/> (its <see cref="SlotNames"/>), created on first use.</summary>
    internal Tensor[] GetOrCreateState(Parameter parameter) => State(parameter).Slots;

    /// <summary>The state tensor <paramref name="slotIndex"/> (an index into <see cref="StateSlotNames"/>) of <paramref name="parameter"/>, created on first use; loading writes into it.</summary>
    internal Tensor GetOrCreateState(Parameter parameter, int slotIndex) => State(parameter)[slotIndex];

    /// <summary>Forgets all state and the step count (a fresh optimizer with the same hyper-parameters).</summary>
    internal void ResetState()
    {
        _state.Clear();
        _parallelSlots.Clear();
        _stateOrder.Clear();
        StepCount = 0;
    }

    // The state of a parameter, created (see SlotInitialValue) the first time it is asked for.
    private ParameterState State(Parameter parameter)
    {
        if (!_state.TryGetValue(parameter, out ParameterState? state))
        {
            state = NewState(parameter);
            _state.Add(parameter, state);
            _stateOrder.Add(parameter);
        }

        return state;
    }

    // The state a parameter starts with at its first step (see SlotInitialValue), not yet kept.
    private ParameterState NewState(Parameter parameter)
    {
        IReadOnlyList<string> names = SlotNames;
        var slots = new Tensor[names.Count];
        for (int s = 0; s < slots.Length; s++)
        {
            slots[s] = new Tensor(SlotShape(s, parameter));
            if (SlotStartsAtValue(s))
            {
                parameter.Value.CopyTo(slots[s]);
            }
            else if (SlotInitialValue(s) is float initial and not 0f)
            {
                slots[s].AsSpan().Fill(initial);
            }
        }

        // The moving average starts at the parameter's value, not at 0 as Keras' does: the same after the first step
        // (whose momentum is 0), but a parameter first stepped later (a layer unfrozen during training, one with no
        // state in a restored file) would otherwise average towards 0 and take that at the end of Fit.
        return new ParameterState(
            slots,
            UseEma ? parameter.Value.Clone() : null,
            GradientAccumulationSteps is null ? null : new Tensor(parameter.Shape));
    }

    // A parameter's state: the subclass' slots (what Update receives), then the EMA average and the gradient accumulator
    // when those options are on; indexed in the order of StateSlotNames.
    private sealed class ParameterState(Tensor[] slots, Tensor? average, Tensor? accumulator)
    {
        public Tensor[] Slots { get; } = slots;

        public Tensor? Average { get; } = average;

        public Tensor? Accumulator { get; } = accumulator;

        public int Count => Slots.Length + (Average is null ? 0 : 1) + (Accumulator is null ? 0 : 1);

        public Tensor this[int index] =>
            index < Slots.Length ? Slots[index]
            : index == Slots.Length && Average is not null ? Average
            : index < Count ? Accumulator!
            : throw new ArgumentOutOfRangeException(nameof(index), index, $"The parameter has {Count} state tensors.");
    }
}
