using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;

namespace NeuralNet.Keras;

/// <summary>
/// Keras operations in a functional config (<c>x + y</c>, <c>x * 0.5</c>, <c>ops.mean(x, axis=1)</c>): read as layers
/// (<see cref="KerasOperationLayers"/>), and written back as the operation items they were read from, so that Keras reads
/// the saved file as it read the original. The layers NeuralNet has only for operations (<see cref="ScalarArithmetic"/>,
/// <see cref="ElementwiseMath"/>, <see cref="Reduce"/>) are written as operations when built in C# too.
/// </summary>
internal static class KerasOperations
{
    // The operation item each loaded layer came from, kept with the layer for as long as it lives.
    private static readonly ConditionalWeakTable<Layer, JsonObject> s_origins = new();

    /// <summary>Replaces every operation item of the model's layer list (and nested models' lists) by its layer's item.</summary>
    /// <returns>The operation items replaced, by name.</returns>
    /// <exception cref="NotSupportedException">An operation NeuralNet does not read, or with an argument it cannot honour.</exception>
    public static Dictionary<string, JsonObject> Read(JsonObject model, string where)
    {
        var origins = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        Read(model, where, origins);
        return origins;
    }

    private static void Read(JsonObject model, string where, Dictionary<string, JsonObject> origins)
    {
        if (model["config"]?["layers"] is not JsonArray layers)
        {
            return;
        }

        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not JsonObject item)
            {
                continue;
            }

            if (KerasArchive.IsOperation(item))
            {
                JsonObject layer = KerasOperationLayers.ToLayerItem(item, where);
                origins[KerasConfigItems.NameOf(item)] = (JsonObject)item.DeepClone();
                layers[i] = layer;
            }
            else if (item["config"]?["layers"] is JsonArray)
            {
                Read(item, where, origins);
            }
        }
    }

    /// <summary>Keeps with each layer of <paramref name="model"/> named in <paramref name="origins"/> the item it came from.</summary>
    public static void Remember(Model model, Dictionary<string, JsonObject> origins)
    {
        foreach (Layer layer in model.Layers)
        {
            if (origins.TryGetValue(layer.Name, out JsonObject? origin))
            {
                s_origins.AddOrUpdate(layer, origin);
            }
        }
    }

    /// <summary>
    /// Replaces, in a functional config's layer list, the item of each layer that came from an operation (or exists only
    /// for operations) by the operation item, its tensors those of the layer's call.
    /// </summary>
    /// <exception cref="NotSupportedException">A layer that exists only for operations is in a Sequential model, which Keras cannot give an operation.</exception>
    public static void Write(Model model, JsonArray layers, bool sequential)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not JsonObject item || model.Layers.FirstOrDefault(l => l.Name == KerasConfigItems.NameOf(item)) is not Layer layer)
            {
                continue;
            }

            JsonObject? operation = s_origins.TryGetValue(layer, out JsonObject? origin) ? (JsonObject)origin.DeepClone() : KerasOperationForms.Of(layer);
            if (operation is null)
            {
                continue;
            }

            if (sequential)
            {
                throw new NotSupportedException($"Layer '{layer.Name}' ({layer.TypeName}) is written in Keras as an operation ({KerasConfigItems.Text(operation["module"])}.{KerasConfigItems.Text(operation["class_name"])}), which a Keras Sequential model cannot hold: build the model as a Functional one to save it as .keras.");
            }

            Queue<JsonObject> tensors = new((item["inbound_nodes"] as JsonArray ?? []).SelectMany(Tensors));
            operation["inbound_nodes"] = Substitute(operation["inbound_nodes"], tensors, layer);
            if (tensors.Count > 0)
            {
                throw new InvalidOperationException($"Layer '{layer.Name}' is called on more tensors than the Keras operation it was read from.");
            }

            layers[i] = operation;
        }
    }

    // The symbolic tensors in a node, a list or a value, in order.
    private static IEnumerable<JsonObject> Tensors(JsonNode? node) => node switch
    {
        _ when KerasOperationCall.IsTensor(node) => [(JsonObject)node!],
        JsonArray list => list.SelectMany(Tensors),
        JsonObject dictionary => dictionary.Select(pair => pair.Value).SelectMany(Tensors),
        _ => [],
    };

    // The template with each symbolic tensor replaced, in order, by the next of the layer's call.
    private static JsonNode? Substitute(JsonNode? template, Queue<JsonObject> tensors, Layer layer)
    {
        switch (template)
        {
            case JsonObject when KerasOperationCall.IsTensor(template):
                return (tensors.Count > 0 ? tensors.Dequeue() : throw new InvalidOperationException($"Layer '{layer.Name}' is called on fewer tensors than the Keras operation it was read from.")).DeepClone();
            case JsonArray list:
                return new JsonArray([.. list.Select(n => Substitute(n, tensors, layer))]);
            case JsonObject dictionary:
                var result = new JsonObject();
                foreach (var (key, value) in dictionary)
                {
                    result[key] = Substitute(value, tensors, layer);
                }

                return result;
            default:
                return template?.DeepClone();
        }
    }
}
