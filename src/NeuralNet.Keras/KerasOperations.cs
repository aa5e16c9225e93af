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

    // The key under which Read leaves, in each layer item it made, the operation item it replaced; Collect takes it out
    // once nested models are inlined, so that each origin goes with the name its layer finally has.
    private const string OriginKey = "neuralnet_operation";

    /// <summary>
    /// Replaces every operation item of the model's layer list (and nested models' lists) by its layer's item, which keeps
    /// the operation item for <see cref="Collect"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">An operation NeuralNet does not read, or with an argument it cannot honour.</exception>
    public static void Read(JsonObject model, string where)
    {
        if (model["config"].Key("layers") is not JsonArray layers)
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
                layer[OriginKey] = item.DeepClone();
                layers[i] = layer;
            }
            else if (item["config"].Key("layers") is JsonArray)
            {
                Read(item, where);
            }
        }
    }

    /// <summary>
    /// Takes out of a (flat) functional config's layer items the operation items <see cref="Read"/> left there: by the
    /// layer's name in the config (a nested model's layer renamed by the inliner under its new name), with the class of
    /// the layer that stands for it.
    /// </summary>
    public static Dictionary<string, (string ClassName, JsonObject Origin)> Collect(JsonObject model)
    {
        var origins = new Dictionary<string, (string, JsonObject)>(StringComparer.Ordinal);
        foreach (JsonObject item in (model["config"].Key("layers") as JsonArray ?? []).OfType<JsonObject>())
        {
            if (item[OriginKey] is JsonObject origin)
            {
                item.Remove(OriginKey);
                origins[KerasConfigItems.NameOf(item)] = (KerasConfigItems.Text(item["class_name"]) ?? string.Empty, origin);
            }
        }

        return origins;
    }

    /// <summary>Whether a layer-list item stands for a Keras operation (made by <see cref="Read"/> or <see cref="Mark"/>), which Keras' saving_lib gives no weights group.</summary>
    public static bool IsOperationItem(JsonObject item) => item.ContainsKey(OriginKey);

    /// <summary>Marks in the model's own config (<see cref="Model.ToJson"/>) the items of the layers written to Keras as operations.</summary>
    public static void Mark(Model model, JsonObject root)
    {
        foreach (JsonObject item in (root["config"].Key("layers") as JsonArray ?? []).OfType<JsonObject>())
        {
            if (model.Layers.FirstOrDefault(l => l.Name == KerasConfigItems.NameOf(item)) is Layer layer
                && (s_origins.TryGetValue(layer, out _) || KerasOperationForms.Of(layer) is not null))
            {
                item[OriginKey] = true;
            }
        }
    }

    /// <summary>Keeps with each layer of <paramref name="model"/> named in <paramref name="origins"/>, of the class recorded, the item it came from.</summary>
    public static void Remember(Model model, Dictionary<string, (string ClassName, JsonObject Origin)> origins)
    {
        foreach (Layer layer in model.Layers)
        {
            if (origins.TryGetValue(layer.Name, out var origin) && origin.ClassName == layer.TypeName)
            {
                s_origins.AddOrUpdate(layer, origin.Origin);
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
            if (operation is null && item["config"].Key("drops_masks") is JsonValue drops && drops.TryGetValue(out bool dropped) && dropped)
            {
                throw new NotSupportedException($"Layer '{layer.Name}' ({layer.TypeName}) drops masks, as the Keras operation it was read from did, but that operation item is not known here (the model went through NeuralNet's own format since): Keras' {layer.TypeName} layer would pass masks on. Save as .keras the model read from the .keras file.");
            }

            if (operation is null)
            {
                continue;
            }

            if (sequential)
            {
                throw new NotSupportedException($"Layer '{layer.Name}' ({layer.TypeName}) is written in Keras as an operation ({KerasConfigItems.Text(operation["module"])}.{KerasConfigItems.Text(operation["class_name"])}), which a Keras Sequential model cannot hold: build the model as a Functional one to save it as .keras.");
            }

            // The operation's name is the layer's (an inlined nested model's layer may have been renamed), and its
            // inbound nodes one per call of the layer, each the template's node with the call's tensors.
            operation["name"] = layer.Name;
            if (operation["config"] is JsonObject config && config.ContainsKey("name"))
            {
                config["name"] = layer.Name;
            }

            JsonNode? template = (operation["inbound_nodes"] as JsonArray)?.FirstOrDefault();
            var nodes = new JsonArray();
            foreach (JsonNode? node in item["inbound_nodes"] as JsonArray ?? [])
            {
                Queue<JsonObject> tensors = new(Tensors(node));
                nodes.Add(Substitute(template, tensors, layer));
                if (tensors.Count > 0)
                {
                    throw new InvalidOperationException($"Layer '{layer.Name}' is called on more tensors than the Keras operation it was read from.");
                }
            }

            operation["inbound_nodes"] = nodes;
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
