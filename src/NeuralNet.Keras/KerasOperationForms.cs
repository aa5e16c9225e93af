using System.Globalization;
using System.Text.Json.Nodes;
using NeuralNet.Layers;

namespace NeuralNet.Keras;

/// <summary>
/// The Keras operation item, as Keras 3's <c>Functional.get_config</c> writes one, of a layer that NeuralNet has only for
/// operations: <see cref="ScalarArithmetic"/> as <c>ops.add</c>, ... with its number, <see cref="ElementwiseMath"/> as
/// <c>ops.sqrt</c>, ..., <see cref="Reduce"/> as <c>ops.mean</c>, ... with <c>axis</c> and <c>keepdims</c>,
/// <see cref="Clip"/> as <c>ops.clip</c> with <c>x_min</c> and <c>x_max</c>, <see cref="Divide"/> as <c>ops.divide</c> (of inputs of the same rank only),
/// <see cref="Where"/> as <c>ops.where</c> (of inputs of the same rank only; its numbers inline in the call), <see cref="Comparison"/> as <c>ops.greater</c>, ... (its number second), <see cref="Split"/> as <c>ops.split</c>, <see cref="Unstack"/> as <c>ops.unstack</c>,
/// <see cref="MatMul"/> as <c>ops.matmul</c>, <see cref="Stack"/> as <c>ops.stack</c> with <c>axis</c>, <see cref="Layers.LogSoftmax"/> as <c>ops.log_softmax</c> with <c>axis</c>,
/// <see cref="TakeAlongAxis"/> as <c>ops.take_along_axis</c> with <c>axis</c> (its indices carry the batch axis, so on the
/// batch NumPy's rule picks within each sample, as the layer does). Its tensor
/// arguments are placeholders that <see cref="KerasOperations.Write"/> fills with the layer's call.
/// </summary>
internal static class KerasOperationForms
{
    private static readonly JsonObject s_placeholder = KerasConfigItems.Tensor([]);

    /// <summary>The layer's operation item, or null when the layer has a Keras layer of its own.</summary>
    public static JsonObject? Of(Layer layer) => layer switch
    {
        ScalarArithmetic a => Item(a.Name, KerasOperationLayers.ClassOf(a.Operator), new JsonObject(), a.ConstantFirst ? new JsonArray(a.Constant, s_placeholder.DeepClone()) : new JsonArray(s_placeholder.DeepClone(), a.Constant)),
        ElementwiseMath m => Item(m.Name, KerasOperationLayers.ClassOf(m.Function), m.Function == ElementwiseFunction.Round ? new JsonObject { ["decimals"] = 0 } : new JsonObject(), new JsonArray(s_placeholder.DeepClone()), KerasOperationLayers.ModuleOf(m.Function)),
        Clip c => Item(c.Name, "Clip", new JsonObject { ["x_min"] = c.Min, ["x_max"] = c.Max }, new JsonArray(s_placeholder.DeepClone())),
        Divide d => Item(SameRank(d, "ops.divide").Name, "Divide", new JsonObject(), Placeholders(2)),
        Where w => Item(SameRank(w, "ops.where").Name, "Where", new JsonObject(), new JsonArray(s_placeholder.DeepClone(), Branch(w.WhenTrue), Branch(w.WhenFalse))),
        Comparison c => Item(SameRank(c, $"{c.Operator} operation").Name, c.Operator.ToString(), new JsonObject(), c.Operator == ComparisonOperator.LogicalNot ? Placeholders(1) : new JsonArray(s_placeholder.DeepClone(), Branch(c.Constant))),
        Split s => Unnamed(Item(s.Name, "Split", new JsonObject { ["indices_or_sections"] = s.GetConfig().GetNode("indices_or_sections"), ["axis"] = s.Axis }, Placeholders(1))),
        Unstack u => Unnamed(Item(u.Name, "Unstack", new JsonObject { ["num"] = u.Num, ["axis"] = u.Axis }, Placeholders(1), KerasOperationLayers.CoreModule)),
        Reduce r => Item(r.Name, KerasOperationLayers.ClassOf(r.Reduction), ReductionConfig(r), new JsonArray(s_placeholder.DeepClone())),
        Stack s => Unnamed(Item(s.Name, "Stack", new JsonObject { ["axis"] = s.Axis }, new JsonArray(new JsonArray([.. s.InputShapes.Select(_ => s_placeholder.DeepClone())])))),
        MatMul m => Item(m.Name, "Matmul", new JsonObject(), new JsonArray(s_placeholder.DeepClone(), s_placeholder.DeepClone())),
        Layers.LogSoftmax l => Unnamed(Item(l.Name, "LogSoftmax", new JsonObject { ["axis"] = AxisNode(l.GetConfig()) }, new JsonArray(s_placeholder.DeepClone()), KerasOperationLayers.NnModule)),
        TakeAlongAxis t => Unnamed(Item(t.Name, "TakeAlongAxis", new JsonObject { ["axis"] = t.Axis }, Placeholders(2))),
        _ => null,
    };

    // x1 or x2 of ops.where, or a comparison's second operand: the number, inline in the args as Keras' serialize_node leaves a Python number, or a tensor.
    private static JsonNode Branch(float? constant) => constant is float c ? PythonFloat(c) : s_placeholder.DeepClone();

    // A finite number as Python's json.dumps writes a float: always with a decimal point or an exponent (1.0, not 1),
    // positional from 1e-4 up to 1e16 (-1000000000.0). Written as 1, Keras reads a Python int, and ops.where(c, 1, 0)
    // infers an int32 output.
    private static JsonNode PythonFloat(float value)
    {
        string shortest = value.ToString("R", CultureInfo.InvariantCulture);
        float magnitude = Math.Abs(value);
        if (shortest.Contains('E', StringComparison.Ordinal) && (magnitude == 0f || (magnitude >= 1e-4f && magnitude < 1e16f)))
        {
            shortest = decimal.Parse(shortest, NumberStyles.Float, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
        }

        if (shortest.IndexOfAny(['.', 'E']) < 0)
        {
            shortest += ".0";
        }

        return JsonNode.Parse(shortest)!;
    }

    private static JsonArray Placeholders(int count) => new([.. Enumerable.Range(0, count).Select(_ => s_placeholder.DeepClone())]);

    // NeuralNet's merge layers give an input of lower rank its missing axes right after the batch axis, the operation
    // (NumPy) aligns the shapes from the last axis: the same rank is the only case where the two agree.
    private static T SameRank<T>(T layer, string operation)
        where T : Merge
    {
        if (layer.IsBuilt && layer.InputShapes.Select(s => s.Rank).Distinct().Count() > 1)
        {
            string shapes = string.Join(", ", layer.InputShapes.Select(s => s.ToBatchString()));
            throw new NotSupportedException($"Layer '{layer.Name}' ({layer.TypeName}) combines inputs of different ranks, {shapes}: it gives a lower-rank input its missing axes after the batch axis, where Keras' {operation} aligns the shapes from the last axis, so it cannot be written as that operation. Reshape the lower-rank input to the other's rank first.");
        }

        return layer;
    }

    // Keras' Mean/Sum/Max/Min constructor arguments (Max and Min also take initial, None by default).
    private static JsonObject ReductionConfig(Reduce layer)
    {
        var config = new JsonObject
        {
            ["axis"] = new JsonArray([.. layer.Axes.Select(a => (JsonNode?)a)]),
            ["keepdims"] = layer.KeepDims,
        };
        if (layer.Reduction is Reduction.Max or Reduction.Min)
        {
            config["initial"] = null;
        }

        return config;
    }

    // The axis as the layer's config holds it: an integer, or a list.
    private static JsonNode? AxisNode(NeuralNet.Serialization.Config config) => config.GetNode("axis")?.DeepClone();

    // Keras ops whose __init__ takes no name in some 3.x release (nn's Softmax, LogSoftmax, ...; numpy's Stack, whose
    // __init__(self, axis=0) had none before, and TakeAlongAxis, __init__(self, axis=None)) leave it out of their config: Operation.from_config calls cls(**config), and
    // Functional wires the op by the item's own "name".
    private static JsonObject Unnamed(JsonObject item)
    {
        ((JsonObject)item["config"]!).Remove("name");
        return item;
    }

    private static JsonObject Item(string name, string className, JsonObject config, JsonArray args, string module = KerasOperationLayers.NumpyModule)
    {
        config["name"] = name;
        return new JsonObject
        {
            ["module"] = module,
            ["class_name"] = className,
            ["config"] = config,
            ["registered_name"] = className,
            ["name"] = name,
            ["inbound_nodes"] = new JsonArray(new JsonObject { ["args"] = args, ["kwargs"] = new JsonObject() }),
        };
    }
}
