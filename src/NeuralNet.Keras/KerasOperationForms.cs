using System.Text.Json.Nodes;
using NeuralNet.Layers;

namespace NeuralNet.Keras;

/// <summary>
/// The Keras operation item, as Keras 3's <c>Functional.get_config</c> writes one, of a layer that NeuralNet has only for
/// operations: <see cref="ScalarArithmetic"/> as <c>ops.add</c>, ... with its number, <see cref="ElementwiseMath"/> as
/// <c>ops.sqrt</c>, ..., <see cref="Reduce"/> as <c>ops.mean</c>, ... with <c>axis</c> and <c>keepdims</c>,
/// <see cref="Clip"/> as <c>ops.clip</c> with <c>x_min</c> and <c>x_max</c>, <see cref="Divide"/> as <c>ops.divide</c> (of inputs of the same rank only),
/// <see cref="MatMul"/> as <c>ops.matmul</c>, <see cref="Stack"/> as <c>ops.stack</c> with <c>axis</c>, <see cref="Layers.LogSoftmax"/> as <c>ops.log_softmax</c> with <c>axis</c>. Its tensor
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
        Divide d => Item(SameRank(d).Name, "Divide", new JsonObject(), new JsonArray(s_placeholder.DeepClone(), s_placeholder.DeepClone())),
        Reduce r => Item(r.Name, KerasOperationLayers.ClassOf(r.Reduction), ReductionConfig(r), new JsonArray(s_placeholder.DeepClone())),
        Stack s => Unnamed(Item(s.Name, "Stack", new JsonObject { ["axis"] = s.Axis }, new JsonArray(new JsonArray([.. s.InputShapes.Select(_ => s_placeholder.DeepClone())])))),
        MatMul m => Item(m.Name, "Matmul", new JsonObject(), new JsonArray(s_placeholder.DeepClone(), s_placeholder.DeepClone())),
        Layers.LogSoftmax l => Unnamed(Item(l.Name, "LogSoftmax", new JsonObject { ["axis"] = AxisNode(l.GetConfig()) }, new JsonArray(s_placeholder.DeepClone()), KerasOperationLayers.NnModule)),
        _ => null,
    };

    // NeuralNet's merge layers give an input of lower rank its missing axes right after the batch axis, ops.divide (NumPy)
    // aligns the shapes from the last axis: the same rank is the only case where the two agree.
    private static Divide SameRank(Divide layer)
    {
        if (layer.IsBuilt && layer.InputShapes[0].Rank != layer.InputShapes[1].Rank)
        {
            throw new NotSupportedException($"Layer '{layer.Name}' (Divide) divides inputs of different ranks, {layer.InputShapes[0].ToBatchString()} and {layer.InputShapes[1].ToBatchString()}: it gives the lower-rank input its missing axes after the batch axis, where Keras' ops.divide aligns the shapes from the last axis, so it cannot be written as that operation. Reshape the lower-rank input to the other's rank first.");
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
    // __init__(self, axis=0) had none before) leave it out of their config: Operation.from_config calls cls(**config), and
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
