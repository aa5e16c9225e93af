using System.Text.Json;
using System.Text.Json.Nodes;

namespace NeuralNet.Keras;

/// <summary>
/// Masks Keras wrote into layer calls that the user never passed. <c>Layer.__call__</c> fills a call's <c>mask</c>
/// (or MultiHeadAttention's <c>query_mask</c>, <c>value_mask</c>, <c>key_mask</c>) from the masks its inputs carry, and
/// Keras 3.0-3.9 recorded the filled-in call in the node (later versions too when the call skipped input conversion,
/// until keras-team/keras#23296). A carried mask is a symbolic tensor made by operations: <c>Embedding(mask_zero=True)</c>'s
/// <c>not_equal(ids, 0)</c>, <c>Masking</c>'s <c>any(not_equal(x, mask_value), axis=-1)</c>. So the file holds those
/// operations as items of the layer list, and NeuralNet, whose graphs are made of layers, would refuse it, although it
/// carries the same masks itself. This drops such a keyword, and the operations no longer used, when the mask is one of
/// those two forms, made from the input of an Embedding with <c>mask_zero</c> or of a Masking with the same value, and the
/// called layer's inputs come from that layer: the mask NeuralNet carries there is the one Keras passed. A mask of any
/// other form (one the user computed, or Keras' merge of two masks) is left, and refused as an operation.
/// </summary>
internal static class KerasFilledMasks
{
    private static readonly string[] s_maskKeywords = ["mask", "query_mask", "value_mask", "key_mask"];

    /// <summary>Drops the filled-in masks of <paramref name="model"/>'s layer calls, at any depth.</summary>
    public static void Drop(JsonObject model)
    {
        if (model["config"]?["layers"] is not JsonArray list)
        {
            return;
        }

        List<JsonObject> items = [.. list.OfType<JsonObject>()];
        foreach (JsonObject nested in items.Where(KerasConfigItems.IsModel))
        {
            Drop(nested);
        }

        Dictionary<string, JsonObject> byName = [];
        foreach (JsonObject item in items)
        {
            byName.TryAdd(KerasConfigItems.NameOf(item), item);
        }

        // Each operation whose output is a carried mask, with the layer that carries it.
        Dictionary<string, string> maskSources = [];
        foreach (JsonObject item in items.Where(IsOperation))
        {
            if (MaskSource(item, items, byName) is string source)
            {
                maskSources[KerasConfigItems.NameOf(item)] = source;
            }
        }

        if (maskSources.Count == 0)
        {
            return;
        }

        // The operations the carried masks are made of: the sources and the not_equal an any() reads.
        var maskOperations = new HashSet<string>(maskSources.Keys);
        foreach (string name in maskSources.Keys)
        {
            if (KerasConfigItems.IsClass(byName[name], "Any") && SingleCall(byName[name]) is JsonArray args && Reference(args[0]) is (string inner, _, _))
            {
                maskOperations.Add(inner);
            }
        }

        foreach (JsonObject item in items.Where(i => !IsOperation(i)))
        {
            foreach (JsonObject node in (item["inbound_nodes"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (node["kwargs"] is not JsonObject kwargs)
                {
                    continue;
                }

                foreach (string keyword in s_maskKeywords)
                {
                    if (kwargs[keyword] is JsonNode mask && IsCarried(mask, node, maskSources, byName))
                    {
                        kwargs.Remove(keyword);
                    }
                }
            }
        }

        RemoveUnused(model, list, maskOperations);
    }

    private static bool IsOperation(JsonObject item) =>
        KerasConfigItems.Text(item["module"]) is string module && module.StartsWith("keras.src.ops", StringComparison.Ordinal);

    // The layer whose carried mask the operation computes, or null: not_equal(ids, 0) on an Embedding(mask_zero=True)'s
    // input, or any(not_equal(x, v), axis=-1) on a Masking(mask_value=v)'s input.
    private static string? MaskSource(JsonObject operation, List<JsonObject> items, Dictionary<string, JsonObject> byName)
    {
        if (SingleCall(operation) is not JsonArray args)
        {
            return null;
        }

        if (KerasConfigItems.IsClass(operation, "NotEqual") && args.Count == 2 && Number(args[1]) == 0)
        {
            return ConsumerOf(args[0], items, "Embedding", c => c["mask_zero"]?.GetValueKind() == JsonValueKind.True);
        }

        if (KerasConfigItems.IsClass(operation, "Any") && args.Count == 1 && Number(operation["config"]?["axis"]) == -1
            && operation["config"]?["keepdims"]?.GetValueKind() is null or JsonValueKind.False
            && Reference(args[0]) is (string inner, _, _) && byName.TryGetValue(inner, out JsonObject? notEqual)
            && IsOperation(notEqual) && KerasConfigItems.IsClass(notEqual, "NotEqual")
            && SingleCall(notEqual) is JsonArray { Count: 2 } compared && Number(compared[1]) is double value)
        {
            return ConsumerOf(compared[0], items, "Masking", c => Number(c["mask_value"] ?? 0.0) == value);
        }

        return null;
    }

    // The args of an item's one call, with no keyword arguments; null otherwise.
    private static JsonArray? SingleCall(JsonObject item) =>
        item["inbound_nodes"] is JsonArray { Count: 1 } nodes && nodes[0] is JsonObject node && node["args"] is JsonArray args
        && (node["kwargs"] is not JsonObject kwargs || kwargs.Count == 0) ? args : null;

    // The name of a layer of class className, configured as accepted, that takes tensor as its input.
    private static string? ConsumerOf(JsonNode? tensor, List<JsonObject> items, string className, Func<JsonNode, bool> accepted)
    {
        if (Reference(tensor) is not { } reference)
        {
            return null;
        }

        foreach (JsonObject item in items.Where(i => KerasConfigItems.IsClass(i, className) && i["config"] is JsonNode config && accepted(config)))
        {
            foreach (JsonObject node in (item["inbound_nodes"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (node["args"] is JsonArray { Count: >= 1 } args && Reference(args[0]) == reference)
                {
                    return KerasConfigItems.NameOf(item);
                }
            }
        }

        return null;
    }

    // A mask keyword (a tensor, or a list of tensors and nulls) whose tensors are all carried masks of layers upstream of the call.
    private static bool IsCarried(JsonNode mask, JsonObject node, Dictionary<string, string> maskSources, Dictionary<string, JsonObject> byName)
    {
        JsonNode?[] parts = mask is JsonArray list ? [.. list] : [mask];
        if (parts.All(p => p is null))
        {
            return false;
        }

        HashSet<string> upstream = Upstream(node, byName);
        return parts.All(p => p is null
            || (Reference(p) is (string name, _, _) && maskSources.TryGetValue(name, out string? source) && upstream.Contains(source)));
    }

    // Every layer the call's positional inputs come from, directly or not.
    private static HashSet<string> Upstream(JsonObject node, Dictionary<string, JsonObject> byName)
    {
        var seen = new HashSet<string>();
        var pending = new Stack<JsonNode?>(Tensors(node["args"]));
        while (pending.Count > 0)
        {
            if (Reference(pending.Pop()) is (string name, _, _) && seen.Add(name) && byName.TryGetValue(name, out JsonObject? item))
            {
                foreach (JsonObject inbound in (item["inbound_nodes"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    foreach (JsonNode? tensor in Tensors(inbound["args"]))
                    {
                        pending.Push(tensor);
                    }
                }
            }
        }

        return seen;
    }

    // The tensor objects in a node's args (nested one list deep, as Keras writes Add()([a, b])).
    private static IEnumerable<JsonNode?> Tensors(JsonNode? args) =>
        (args as JsonArray ?? []).SelectMany(a => a is JsonArray inner ? [.. inner] : new[] { a });

    private static (string Layer, double Node, double Tensor)? Reference(JsonNode? tensor) =>
        tensor is JsonObject obj && obj["config"]?["keras_history"] is JsonArray { Count: 3 } history
        && KerasConfigItems.Text(history[0]) is string layer && Number(history[1]) is double n && Number(history[2]) is double t
            ? (layer, n, t)
            : null;

    private static double? Number(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : null;

    // Removes the mask operations nothing refers to any longer (a not_equal goes once the any() reading it is gone).
    private static void RemoveUnused(JsonObject model, JsonArray list, HashSet<string> maskOperations)
    {
        bool removed = true;
        while (removed)
        {
            removed = false;
            foreach (JsonObject item in list.OfType<JsonObject>().Where(i => IsOperation(i) && maskOperations.Contains(KerasConfigItems.NameOf(i))).ToList())
            {
                string name = KerasConfigItems.NameOf(item);
                if (!list.OfType<JsonObject>().Any(other => other != item && Refers(other, name)) && !IsOutput(model, name))
                {
                    list.Remove(item);
                    removed = true;
                }
            }
        }
    }

    private static bool IsOutput(JsonObject model, string name) => NamesLayer(model["config"]?["output_layers"], name);

    // Whether a structure of [layer, node, tensor] references (a list, nested lists or a dict of them) names the layer.
    private static bool NamesLayer(JsonNode? references, string name) => references switch
    {
        JsonArray array => KerasConfigItems.Text(array.FirstOrDefault()) == name || array.Any(e => NamesLayer(e, name)),
        JsonObject dict => dict.Any(p => NamesLayer(p.Value, name)),
        _ => false,
    };

    private static bool Refers(JsonObject item, string name) =>
        (item["inbound_nodes"] as JsonArray ?? []).OfType<JsonObject>().Any(node => Mentions(node, name));

    private static bool Mentions(JsonNode? node, string name) => node switch
    {
        JsonObject obj => Reference(obj) is (string layer, _, _) && layer == name || obj.Any(p => Mentions(p.Value, name)),
        JsonArray array => array.Any(e => Mentions(e, name)),
        _ => false,
    };
}
