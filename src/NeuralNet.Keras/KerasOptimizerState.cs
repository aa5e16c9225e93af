using System.Globalization;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Optimizers;

namespace NeuralNet.Keras;

/// <summary>
/// A compiled model's optimizer state in a Keras weights file: the datasets <c>optimizer/vars/0</c>, <c>/1</c>, ... that
/// Keras' <c>saving_lib</c> writes from <c>optimizer.variables</c> (<see cref="KerasOptimizerVariables"/>), read into and
/// written from <see cref="Optimizer.GetState"/>, <see cref="Optimizer.SetState"/> and <see cref="Optimizer.StepCount"/>.
/// </summary>
internal static class KerasOptimizerState
{
    /// <summary>The group Keras keeps a model's optimizer in (the model's <c>optimizer</c> attribute).</summary>
    public const string Group = "optimizer";

    private const string Variables = Group + "/vars";

    /// <summary>
    /// Reads the file's optimizer variables into <paramref name="model"/>'s optimizer, as Keras' <c>load_model</c> does:
    /// when their number is not the number the optimizer has (an optimizer saved before it was built, which has only
    /// <c>iteration</c> and <c>learning_rate</c>, or one built on other trainable variables), Keras skips them with a
    /// warning ("Skipping variable loading for optimizer") and so does this: the optimizer stays fresh. A file without
    /// optimizer variables, or a Keras 2 archive, leaves it fresh too. Otherwise every variable is checked before the
    /// optimizer changes.
    /// </summary>
    /// <param name="weights">The archive's weights file.</param>
    /// <param name="model">The loaded, compiled model.</param>
    /// <param name="layout">The model's weights in Keras' order (their parameters are matched to the model's by name).</param>
    /// <param name="kerasVersion">The archive's <c>keras_version</c>, which decides the order of the variables.</param>
    /// <returns>Whether the optimizer state was read.</returns>
    /// <exception cref="InvalidDataException">A variable has another shape or type than the optimizer's, or a value out of its range.</exception>
    public static bool Read(H5WeightsReader weights, Model model, IReadOnlyList<KerasWeight> layout, string? kerasVersion)
    {
        Optimizer optimizer = model.Optimizer ?? throw new InvalidOperationException("The model is not compiled.");
        string group = weights.Resolve(Variables);
        if (!weights.Has(group) || !KerasOptimizerVariables.IsKnown(optimizer) || KerasOptimizerVariables.OrderOf(kerasVersion) is not KerasOptimizerOrder order)
        {
            return false;
        }

        List<KerasOptimizerVariable> variables = KerasOptimizerVariables.Of(optimizer, Trainable(model, layout), order);
        List<string> datasets = weights.DatasetPaths(group);
        if (datasets.Count != variables.Count)
        {
            return false;
        }

        long stepCount = 0;
        float? learningRate = null;
        var state = new Dictionary<Parameter, Tensor[]>(ReferenceEqualityComparer.Instance);
        int slotCount = optimizer.StateSlotNames.Count;
        for (int i = 0; i < variables.Count; i++)
        {
            KerasOptimizerVariable variable = variables[i];
            string path = string.Create(CultureInfo.InvariantCulture, $"{group}/{i}");
            string problem;
            switch (variable.Kind)
            {
                case KerasOptimizerVariableKind.Iteration:
                    if (!weights.TryReadInt64Scalar(path, out stepCount, out problem) || stepCount < 0)
                    {
                        throw Error(weights, path, stepCount < 0 ? string.Create(CultureInfo.InvariantCulture, $"holds {stepCount}, a negative step count") : problem, variable, variables.Count, optimizer, order);
                    }

                    break;
                case KerasOptimizerVariableKind.LearningRate:
                    float rate = ReadScalar(weights, path, variable, variables.Count, optimizer, order);
                    learningRate = rate >= 0f && float.IsFinite(rate)
                        ? rate
                        : throw Error(weights, path, string.Create(CultureInfo.InvariantCulture, $"holds {rate}; a learning rate is a non-negative finite number"), variable, variables.Count, optimizer, order);
                    break;
                case KerasOptimizerVariableKind.NadamProduct:
                    // NeuralNet's Nadam works the product out from the step count (the same up to float32 rounding).
                    ReadScalar(weights, path, variable, variables.Count, optimizer, order);
                    break;
                default:
                    Parameter parameter = variable.Weight!.Parameter;
                    string expected = variable.IsReshaped ? $"Keras' '{variable.SlotName}' of that parameter" : "the parameter";
                    if (!weights.TryRead(path, variable.Shape, allowInteger: false, out float[] values, out problem, expected))
                    {
                        throw Error(weights, path, problem, variable, variables.Count, optimizer, order);
                    }

                    if (!state.TryGetValue(parameter, out Tensor[]? slots))
                    {
                        state.Add(parameter, slots = new Tensor[slotCount]);
                    }

                    slots[variable.Slot] = Tensor.FromArray(values, variable.Shape.Dimensions);
                    break;
            }
        }

        // A slot Keras has no variable for is Muon's velocity of a matrix its Muon rule steps (KerasOptimizerVariables):
        // NeuralNet keeps it as a rank-0 placeholder at 0, which the update never reads.
        foreach (Tensor[] slots in state.Values)
        {
            for (int s = 0; s < slots.Length; s++)
            {
                slots[s] ??= new Tensor(default(TensorShape));
            }
        }

        optimizer.SetState(stepCount, state.Select(s => new KeyValuePair<Parameter, IReadOnlyList<Tensor>>(s.Key, s.Value)));
        if (learningRate is float value)
        {
            // Keras assigns its learning_rate variable (lowered by ReduceLROnPlateau, say) over the config's value.
            optimizer.LearningRate = value;
        }

        return true;
    }

    /// <summary>
    /// The datasets of <paramref name="model"/>'s optimizer as Keras writes them, in Keras 3.10+'s order: the current
    /// state of every trainable parameter (or the state its first step would create), as a built Keras optimizer has.
    /// </summary>
    /// <exception cref="NotSupportedException">The optimizer is not one of NeuralNet's, or keeps a state tensor of another
    /// shape than Keras' variable in its place (which Keras would misread).</exception>
    public static (List<(string Path, Tensor Value, bool IsInteger)> Datasets, List<(string Path, long Value)> Integers) Write(Model model, IReadOnlyList<KerasWeight> layout)
    {
        Optimizer optimizer = model.Optimizer ?? throw new InvalidOperationException("The model is not compiled.");
        List<KerasOptimizerVariable> variables = KerasOptimizerVariables.Of(optimizer, Trainable(model, layout), KerasOptimizerOrder.Keras310);
        var datasets = new List<(string, Tensor, bool)>();
        var integers = new List<(string, long)>();
        var states = new Dictionary<Parameter, IReadOnlyList<Tensor>>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < variables.Count; i++)
        {
            KerasOptimizerVariable variable = variables[i];
            string path = string.Create(CultureInfo.InvariantCulture, $"{Variables}/{i}");
            switch (variable.Kind)
            {
                case KerasOptimizerVariableKind.Iteration:
                    integers.Add((path, optimizer.StepCount));
                    break;
                case KerasOptimizerVariableKind.LearningRate:
                    datasets.Add((path, Tensor.FromArray([(float)optimizer.LearningRate]), false));
                    break;
                case KerasOptimizerVariableKind.NadamProduct:
                    datasets.Add((path, Tensor.FromArray([NadamProduct((Nadam)optimizer)]), false));
                    break;
                default:
                    Parameter parameter = variable.Weight!.Parameter;
                    if (!states.TryGetValue(parameter, out IReadOnlyList<Tensor>? state))
                    {
                        states.Add(parameter, state = optimizer.GetState(parameter));
                    }

                    Tensor value = state[variable.Slot];
                    if (value.Shape != variable.Shape)
                    {
                        // Keras' load_own_variables assigns by position; a variable of another shape would be misread.
                        throw new NotSupportedException($"The {optimizer.Name} optimizer keeps {variable.Describe()} as {value.Shape}, where Keras' {optimizer.Name} has a variable of {variable.Shape} ('{path}'): Keras would misread the archive. Save the weights alone (SaveWeights), or clear the optimizer's state (SetState(0, [])) before saving.");
                    }

                    datasets.Add((path, value, false));
                    break;
            }
        }

        return (datasets, integers);
    }

    /// <summary>The groups Keras makes for the optimizer (even when it holds no variables).</summary>
    public static IEnumerable<string> Groups => [Group, Variables];

    // The model's trainable weights in Keras' order (model.trainable_variables): the layout's order, which is Keras' layer
    // order with each layer's own variables first, without the non-trainable ones (moving statistics, frozen layers).
    // The layout may have been made on another instance of the same architecture: parameters are matched by name.
    // A LoRA layer's A and B have no place in the layout (Keras saves the merged weight) but Keras trains them: its
    // enable_lora creates them after the layer's other variables (dense.py: kernel, bias, lora_kernel_a, lora_kernel_b,
    // the kernel then made non-trainable), so they follow the layer's last weight.
    private static List<KerasWeight> Trainable(Model model, IReadOnlyList<KerasWeight> layout)
    {
        var trainable = new List<KerasWeight>();
        for (int i = 0; i < layout.Count; i++)
        {
            KerasWeight weight = layout[i];
            var layer = model.GetLayer(weight.Layer.Name);
            Parameter parameter = layer.Parameters.Single(p => p.Name == weight.Parameter.Name);
            if (parameter.Trainable)
            {
                trainable.Add(weight with { Layer = layer, Parameter = parameter });
            }

            bool lastOfLayer = i == layout.Count - 1 || layout[i + 1].Layer.Name != weight.Layer.Name;
            if (lastOfLayer && layer is ILoraLayer { LoraEnabled: true, LoraA: Parameter a, LoraB: Parameter b })
            {
                trainable.AddRange(((Parameter[])[a, b]).Where(p => p.Trainable).Select(p => new KerasWeight($"{weight.Path} + {p.Name} (trained, not saved: Keras saves the merged weight)", layer, p, IsInteger: false)));
            }
        }

        return trainable;
    }

    // Keras' u_product after `iterations` updates: the product of β1(1 − ½·0.96^t) for t = 1..iterations.
    private static float NadamProduct(Nadam nadam)
    {
        double product = 1;
        for (long t = 1; t <= nadam.Iterations && product != 0; t++)
        {
            product *= nadam.Beta1 * (1 - (0.5 * Math.Pow(0.96f, t)));
        }

        return (float)product;
    }

    private static float ReadScalar(H5WeightsReader weights, string path, KerasOptimizerVariable variable, int count, Optimizer optimizer, KerasOptimizerOrder order) =>
        weights.TryRead(path, default, allowInteger: false, out float[] values, out string problem)
            ? values[0]
            : throw Error(weights, path, problem, variable, count, optimizer, order);

    private static InvalidDataException Error(H5WeightsReader weights, string path, string problem, KerasOptimizerVariable variable, int count, Optimizer optimizer, KerasOptimizerOrder order) =>
        new(string.Create(CultureInfo.InvariantCulture,
            $"{weights.Source}: dataset '{path}' {problem}; it should hold {variable.Describe()}, one of the {count} variables of the {optimizer.Name} optimizer in {KerasOptimizerVariables.Describe(order)} (iteration, {(optimizer.Schedule is null ? "learning_rate, " : string.Empty)}then {KerasOptimizerVariables.DescribeSlots(optimizer)}). The file was written for another model or optimizer; nothing was loaded."));
}
