using System.Globalization;
using NeuralNet.Optimizers;

namespace NeuralNet.Keras;

/// <summary>The two orders Keras 3 has built an optimizer's variables in.</summary>
internal enum KerasOptimizerOrder
{
    /// <summary>
    /// Keras 3.0 to 3.9: the base optimizer's <c>build</c> made each trainable variable's EMA <c>average</c> and
    /// <c>gradient_accumulator</c> together, and Nadam made its <c>u_product</c> before its moments.
    /// </summary>
    Keras30,

    /// <summary>
    /// Keras 3.10 on (keras-team/keras#21232 and #21247, May 2025): every <c>average</c>, then every
    /// <c>gradient_accumulator</c> (<c>add_optimizer_variables</c>), and Nadam's <c>u_product</c> after its moments.
    /// </summary>
    Keras310,
}

/// <summary>What one of Keras' optimizer variables is.</summary>
internal enum KerasOptimizerVariableKind
{
    /// <summary>The step count (<c>_iterations</c>), an integer scalar.</summary>
    Iteration,

    /// <summary>The learning rate, a float scalar; Keras has none when the rate is a schedule.</summary>
    LearningRate,

    /// <summary>A per-parameter state tensor of the parameter's shape.</summary>
    Slot,

    /// <summary>Nadam's running product of momentum factors (<c>u_product</c>), a float scalar.</summary>
    NadamProduct,
}

/// <summary>
/// One variable of Keras' <c>optimizer.variables</c>: what it is and, for a slot, the weight it belongs to, its index in
/// <see cref="Optimizer.StateSlotNames"/> and the shape Keras gives it (the parameter's, or Adafactor's factored or
/// scalar <c>r</c> and <c>c</c>).
/// </summary>
internal sealed record KerasOptimizerVariable(KerasOptimizerVariableKind Kind, KerasWeight? Weight = null, int Slot = -1, string SlotName = "", TensorShape Shape = default)
{
    /// <summary>Whether the variable is a slot of another shape than its parameter's.</summary>
    public bool IsReshaped => Kind == KerasOptimizerVariableKind.Slot && Shape != Weight!.Parameter.Shape;

    /// <summary>The variable in words, for messages.</summary>
    public string Describe() => Kind switch
    {
        KerasOptimizerVariableKind.Iteration => "the step count (iteration, an integer scalar)",
        KerasOptimizerVariableKind.LearningRate => "the learning rate (a float scalar)",
        KerasOptimizerVariableKind.NadamProduct => "Nadam's u_product (a float scalar)",
        _ => $"the '{SlotName}'{(IsReshaped ? $" {Shape}" : string.Empty)} of parameter '{Weight!.Parameter.Name}' {Weight.Parameter.Shape} of layer '{Weight.Layer.Name}' ({Weight.Path})",
    };
}

/// <summary>
/// The order of Keras 3's <c>optimizer.variables</c>, which <c>saving_lib</c> writes as <c>optimizer/vars/0</c>,
/// <c>/1</c>, ... and reads back by position (<c>BaseOptimizer.save_own_variables</c>, <c>load_own_variables</c>):
/// <c>iteration</c>; <c>learning_rate</c> unless the rate is a schedule (<c>BaseOptimizer.__init__</c>); the base
/// <c>build</c>'s EMA averages and gradient accumulators (see <see cref="KerasOptimizerOrder"/>); then each optimizer's
/// <c>build</c>, one variable per trainable variable and name, the names of one <c>add_optimizer_variables</c> call
/// interleaved (momentum0, velocity0, momentum1, ...). Trainable variables are in the model's
/// <c>trainable_variables</c> order: its layers in order, each layer's own then its inner layers'. Two optimizers' variables
/// are not all of their parameter's shape: Adafactor's <c>r</c> and <c>c</c> are its factored moments (scalar placeholders
/// for a parameter of fewer than two axes), as NeuralNet keeps them; Muon has no <c>velocity</c> for a matrix its Muon rule
/// steps, where NeuralNet keeps a rank-0 placeholder that is left out on saving and made again on loading.
/// </summary>
internal static class KerasOptimizerVariables
{
    private const string AverageSlot = "average";
    private const string AccumulatorSlot = "gradient_accumulator";

    // Per optimizer (Keras' name), the groups of its build: each group's names are made together per trainable variable,
    // groups one after another (keras/src/optimizers/*.py, build). A name the optimizer's options leave out (SGD's
    // momentum at 0, Adam's velocity_hat without amsgrad, RMSprop's momentum and average_gradient) is skipped.
    private static readonly Dictionary<string, string[][]> s_groups = new(StringComparer.Ordinal)
    {
        ["sgd"] = [["momentum"]],
        ["adam"] = [["momentum", "velocity"], ["velocity_hat"]],
        ["adamw"] = [["momentum", "velocity"], ["velocity_hat"]],
        ["nadam"] = [["momentum", "velocity"]],
        ["adamax"] = [["momentum", "norm"]],
        ["adagrad"] = [["accumulator"]],
        ["adadelta"] = [["accumulated_grad", "accumulated_delta_var"]],
        ["rmsprop"] = [["velocity"], ["momentum"], ["average_gradient"]],
        ["ftrl"] = [["accumulator", "linear"]],
        ["lion"] = [["momentum"]],
        ["lamb"] = [["momentum", "velocity"]],
        ["schedule_free_adamw"] = [["z", "velocity"]],
        ["adafactor"] = [["r", "c", "velocity"]],
        ["muon"] = [["momentum", "velocity"]],
    };

    /// <summary>
    /// Whether Keras' variables of <paramref name="optimizer"/> are known: it is one of NeuralNet's built-in optimizers.
    /// Another (a registered custom optimizer) is saved and loaded with its config only, its state fresh, as Keras skips
    /// variables it cannot place.
    /// </summary>
    public static bool IsKnown(Optimizer optimizer) => optimizer.GetType().Assembly == typeof(Optimizer).Assembly && s_groups.ContainsKey(optimizer.Name);

    /// <summary>
    /// The variables of <paramref name="optimizer"/> built on <paramref name="trainable"/> (the model's trainable weights
    /// in Keras' order), in the order of <paramref name="order"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The optimizer is not one of NeuralNet's, or keeps a slot whose place Keras does not define.</exception>
    public static List<KerasOptimizerVariable> Of(Optimizer optimizer, IReadOnlyList<KerasWeight> trainable, KerasOptimizerOrder order)
    {
        IReadOnlyList<string> slots = optimizer.StateSlotNames;
        if (optimizer.GetType().Assembly != typeof(Optimizer).Assembly || !s_groups.TryGetValue(optimizer.Name, out string[][]? groups))
        {
            throw new NotSupportedException($"The optimizer {optimizer.GetType().FullName} (\"{optimizer.Name}\") is not one of NeuralNet's, so where Keras keeps its variables is unknown: save or load the weights alone (SaveWeights, LoadWeights), or use a built-in optimizer.");
        }

        int own = slots.Count - (optimizer.UseEma ? 1 : 0) - (optimizer.GradientAccumulationSteps is null ? 0 : 1);
        var placed = groups.SelectMany(g => g).ToHashSet(StringComparer.Ordinal);
        if (slots.Take(own).FirstOrDefault(s => !placed.Contains(s)) is string unknown)
        {
            throw new NotSupportedException($"The {optimizer.Name} optimizer keeps a '{unknown}' per parameter, which Keras' {optimizer.Name} does not have.");
        }

        var variables = new List<KerasOptimizerVariable> { new(KerasOptimizerVariableKind.Iteration) };
        if (optimizer.Schedule is null)
        {
            variables.Add(new(KerasOptimizerVariableKind.LearningRate));
        }

        string[] baseSlots = [.. new[] { AverageSlot, AccumulatorSlot }.Where(slots.Contains)];
        if (order == KerasOptimizerOrder.Keras30)
        {
            AddInterleaved(variables, optimizer, trainable, baseSlots);
        }
        else
        {
            foreach (string slot in baseSlots)
            {
                AddInterleaved(variables, optimizer, trainable, [slot]);
            }
        }

        bool nadam = optimizer.Name == "nadam";
        if (nadam && order == KerasOptimizerOrder.Keras30)
        {
            variables.Add(new(KerasOptimizerVariableKind.NadamProduct));
        }

        foreach (string[] group in groups)
        {
            AddInterleaved(variables, optimizer, trainable, [.. group.Where(s => slots.Take(own).Contains(s))]);
        }

        if (nadam && order == KerasOptimizerOrder.Keras310)
        {
            variables.Add(new(KerasOptimizerVariableKind.NadamProduct));
        }

        return variables;
    }

    /// <summary>
    /// The order of a file by its <c>metadata.json</c>'s <c>keras_version</c>; null for a Keras 2 archive (tf.keras 2.13
    /// and later wrote <c>.keras</c> files with another optimizer, whose variables are not read). A missing or
    /// unreadable version is taken as the current order.
    /// </summary>
    public static KerasOptimizerOrder? OrderOf(string? kerasVersion)
    {
        string[] parts = (kerasVersion ?? string.Empty).Split('.');
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int major))
        {
            return KerasOptimizerOrder.Keras310;
        }

        if (major < 3)
        {
            return null;
        }

        return major == 3 && parts.Length > 1 && int.TryParse(new string([.. parts[1].TakeWhile(char.IsAsciiDigit)]), NumberStyles.None, CultureInfo.InvariantCulture, out int minor) && minor < 10
            ? KerasOptimizerOrder.Keras30
            : KerasOptimizerOrder.Keras310;
    }

    /// <summary>The order as Keras versions, for messages.</summary>
    public static string Describe(KerasOptimizerOrder order) => order == KerasOptimizerOrder.Keras30 ? "Keras 3.0-3.9's order" : "Keras 3.10+'s order";

    /// <summary>
    /// What the optimizer's own variables are per trainable variable, in words, for messages: the names of
    /// <see cref="Optimizer.StateSlotNames"/>, with Adafactor's and Muon's exceptions.
    /// </summary>
    public static string DescribeSlots(Optimizer optimizer) => optimizer.Name switch
    {
        "adafactor" => $"{string.Join(", ", optimizer.StateSlotNames)} per trainable variable, r and c scalars for one of fewer than two axes",
        "muon" => $"{string.Join(", ", optimizer.StateSlotNames)} per trainable variable, no velocity for a matrix Muon's rule steps",
        _ => $"{string.Join(", ", optimizer.StateSlotNames)} per trainable variable",
    };

    // For each trainable weight, one variable per name (add_optimizer_variables with a list of names), of the shape Keras
    // gives it; a name Keras makes no variable for on that weight (Muon's velocity of a matrix it steps) is left out.
    private static void AddInterleaved(List<KerasOptimizerVariable> variables, Optimizer optimizer, IReadOnlyList<KerasWeight> trainable, string[] names)
    {
        if (names.Length == 0)
        {
            return;
        }

        IReadOnlyList<string> slots = optimizer.StateSlotNames;
        foreach (KerasWeight weight in trainable)
        {
            foreach (string name in names)
            {
                int slot = IndexOf(slots, name);
                if (KerasShape(optimizer, weight.Parameter, name, slot) is TensorShape shape)
                {
                    variables.Add(new(KerasOptimizerVariableKind.Slot, weight, slot, name, shape));
                }
            }
        }
    }

    // The shape of Keras' variable `name` for `parameter`, or null when Keras makes none. Every optimizer's variables take
    // their parameter's shape (add_variable_from_reference) except two, whose build reads (abridged: the branches for a
    // variable with overwrite_with_gradient, Keras' float8 scales, which NeuralNet does not have, are left out):
    //
    // keras/src/optimizers/adafactor.py, build, per var in var_list:
    //     if len(var.shape) < 2:
    //         self._r.append(backend.Variable(0, name=var.name, trainable=False))   # a float32 scalar placeholder
    //         self._c.append(backend.Variable(0, name=var.name, trainable=False))
    //     else:
    //         r_shape = var.shape[:-1]; c_shape = var.shape[:-2] + (var.shape[-1],)
    //         self._r.append(self.add_variable(shape=r_shape, dtype=var.dtype, name=var.name))
    //         self._c.append(self.add_variable(shape=c_shape, dtype=var.dtype, name=var.name))
    //     self._v.append(self.add_variable_from_reference(reference_variable=var, name="velocity"))
    // The placeholders are in optimizer.variables too, in that place: BaseOptimizer.__setattr__ hands `self._r = []` to
    // its _tracker, which wraps the list in a TrackedList, whose append adds a backend.Variable to the tracked
    // _variables (keras/src/utils/tracking.py, Tracker.track, TrackedList.append), as add_variable does
    // (_track_variable). So per weight: r, c, velocity, as NeuralNet's Adafactor keeps them (Adafactor.SlotShape).
    //
    // keras/src/optimizers/muon.py, build, per var in var_list:
    //     self.momentums[self._get_variable_index(var)] = self.add_variable_from_reference(reference_variable=var, name="momentum")
    //     if self._should_use_adamw(var):
    //         self.adam_velocities[self._get_variable_index(var)] = self.add_variable_from_reference(reference_variable=var, name="velocity")
    // So per weight: momentum, then velocity only for a weight AdamW steps. NeuralNet's Muon keeps a velocity for every
    // parameter: the parameter's shape for AdamW's (its rule is Keras' _should_use_adamw), a rank-0 placeholder at 0 for a
    // matrix Muon's rule steps, which is not written and is made again on loading. The state tells which, as it tells the
    // update (Muon.HasVelocity); before the first step GetState gives the shapes that step would create.
    private static TensorShape? KerasShape(Optimizer optimizer, Parameter parameter, string name, int slot)
    {
        TensorShape shape = parameter.Shape;
        return (optimizer.Name, name) switch
        {
            ("adafactor", "r" or "c") when shape.Rank < 2 => default(TensorShape),
            ("adafactor", "r") => new TensorShape(shape.Dimensions[..^1]),
            ("adafactor", "c") => new TensorShape([.. shape.Dimensions[..^2], shape[shape.Rank - 1]]),
            ("muon", "velocity") => optimizer.GetState(parameter)[slot].Shape == shape ? shape : null,
            _ => shape,
        };
    }

    private static int IndexOf(IReadOnlyList<string> slots, string name)
    {
        for (int i = 0; i < slots.Count; i++)
        {
            if (slots[i] == name)
            {
                return i;
            }
        }

        return -1;
    }
}
