using System.Globalization;

namespace NeuralNet.Optimizers;

public abstract partial class Optimizer
{
    /// <summary>
    /// A copy of the state the next <see cref="Step"/> starts from for <paramref name="parameter"/>, one tensor per
    /// <see cref="StateSlotNames"/> entry, each of the parameter's shape except <see cref="Adafactor"/>'s factored moments and <see cref="Muon"/>'s scalar velocity of a matrix it steps (Keras' <c>optimizer.variables</c> of one model
    /// variable; PyTorch's <c>state_dict()["state"]</c> entry): the state kept for it, or, before its first step, the state
    /// that step would create (zeros; Adagrad's and Ftrl's initial accumulator; ScheduleFreeAdamW's <c>z</c> at the parameter's value; the parameter's value as the
    /// <see cref="UseEma"/> average). Nothing is created or changed, and the copies do not follow later steps.
    /// </summary>
    /// <param name="parameter">A parameter of the model the optimizer trains.</param>
    /// <returns>The slot tensors, in the order of <see cref="StateSlotNames"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="parameter"/> is null.</exception>
    public IReadOnlyList<Tensor> GetState(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ParameterState state = _state.TryGetValue(parameter, out ParameterState? kept) ? kept : NewState(parameter);
        var copies = new Tensor[state.Count];
        for (int s = 0; s < copies.Length; s++)
        {
            copies[s] = state[s].Clone();
        }

        return copies;
    }

    /// <summary>
    /// Replaces the whole state (Keras' <c>optimizer.load_own_variables</c>, PyTorch's <c>load_state_dict</c>): the step
    /// count becomes <paramref name="stepCount"/> and each listed parameter's state becomes a copy of its tensors; a
    /// parameter not listed has no state and starts afresh at its next step. Everything is checked before anything
    /// changes, so on bad input the optimizer keeps the state it had.
    /// </summary>
    /// <param name="stepCount">The number of <see cref="Step"/> calls taken so far (<see cref="StepCount"/>); with
    /// <see cref="GradientAccumulationSteps"/> this counts every call, and <see cref="Iterations"/> follows from it.</param>
    /// <param name="state">Per parameter, one tensor per <see cref="StateSlotNames"/> entry, in that order, each of the
    /// parameter's shape (<see cref="Adafactor"/>'s <c>r</c> and <c>c</c>, <see cref="Muon"/>'s <c>velocity</c>: the shapes they document); each parameter at most once.</param>
    /// <exception cref="ArgumentNullException"><paramref name="state"/>, a parameter, a list or a tensor is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepCount"/> is negative.</exception>
    /// <exception cref="ArgumentException">A parameter is listed twice, has another number of tensors than the optimizer
    /// keeps, or a tensor of another shape than the parameter's; the message names the parameter, the slot and the shapes.</exception>
    public void SetState(long stepCount, IEnumerable<KeyValuePair<Parameter, IReadOnlyList<Tensor>>> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        List<KeyValuePair<Parameter, IReadOnlyList<Tensor>>> entries = [.. state];
        IReadOnlyList<string> names = StateSlotNames;
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < entries.Count; i++)
        {
            (Parameter parameter, IReadOnlyList<Tensor> values) = (entries[i].Key, entries[i].Value);
            string where = string.Create(CultureInfo.InvariantCulture, $"state[{i}]");
            if (parameter is null)
            {
                throw new ArgumentNullException(nameof(state), $"{where} has no parameter.");
            }

            string what = $"{where} (parameter '{parameter.Name}' {parameter.Shape})";
            if (!seen.Add(parameter))
            {
                throw new ArgumentException($"{what} lists a parameter already given; give each parameter once.", nameof(state));
            }

            if (values is null)
            {
                throw new ArgumentNullException(nameof(state), $"{what} has no tensors.");
            }

            if (values.Count != names.Count)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{what} has {values.Count} tensors, but the {Name} optimizer keeps {names.Count} per parameter ({string.Join(", ", names)}). Nothing was changed."), nameof(state));
            }

            for (int s = 0; s < names.Count; s++)
            {
                if (values[s] is not Tensor value)
                {
                    throw new ArgumentNullException(nameof(state), $"{what}: the '{names[s]}' tensor is null.");
                }

                TensorShape expected = StateShape(parameter, s);
                if (value.Shape != expected)
                {
                    string wanted = expected == parameter.Shape ? $"the parameter is {parameter.Shape}" : $"the {Name} optimizer keeps it as {expected} for a parameter of {parameter.Shape}";
                    throw new ArgumentException($"{what}: the '{names[s]}' tensor is {value.Shape}, but {wanted}. Nothing was changed.", nameof(state));
                }
            }
        }

        ResetState();
        foreach ((Parameter parameter, IReadOnlyList<Tensor> values) in entries)
        {
            ParameterState kept = State(parameter);
            for (int s = 0; s < names.Count; s++)
            {
                values[s].CopyTo(kept[s]);
            }
        }

        StepCount = stepCount;
    }
}
