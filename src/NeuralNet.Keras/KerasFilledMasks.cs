using System.Globalization;
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
/// those two forms and equals the mask the matching input carries: the input comes from that Embedding or Masking
/// through layers that pass a mask on unchanged (<see cref="s_passThrough"/>, a recurrent layer's sequences, an attention
/// layer's query), and <c>logical_or</c> where Keras 3 merges the masks of an <c>Add</c> and the like (a residual
/// connection). Any other mask (one the user computed, passed past a layer that drops masks, or Keras' join of the
/// masks of a <c>Concatenate</c>) is left, and refused as an operation.
/// </summary>
internal static class KerasFilledMasks
{
    // Layers whose output carries their first input's mask unchanged, in Keras (supports_masking, the default
    // compute_mask) and in NeuralNet (SupportsMasking, no ComputeMask of their own).
    private static readonly HashSet<string> s_passThrough =
    [
        "Dense", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
        "AlphaDropout", "Activation", "ReLU", "ELU", "LeakyReLU", "PReLU", "LayerNormalization", "BatchNormalization",
        "GroupNormalization", "UnitNormalization", "Identity", "ActivityRegularization",
    ];

    private static readonly HashSet<string> s_recurrent = ["SimpleRNN", "LSTM", "GRU"];

    // Merge layers whose output mask is Keras 3's logical_or of their inputs' (NeuralNet's Merge ORs them too).
    private static readonly HashSet<string> s_orMerges = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"];
    private static readonly string[] s_sequenceNames = ["query", "value", "key"];

    /// <summary>Drops the filled-in masks of <paramref name="model"/>'s layer calls, at any depth.</summary>
    public static void Drop(JsonObject model)
    {
        if (model["config"].Key("layers") is not JsonArray list)
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

        var graph = new Graph(byName);
        var maskOperations = new HashSet<string>();
        foreach (JsonObject item in items.Where(i => !KerasArchive.IsOperation(i)))
        {
            foreach (JsonObject node in (item["inbound_nodes"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (node["kwargs"] is not JsonObject kwargs)
                {
                    continue;
                }

                foreach ((string keyword, JsonNode? mask, JsonNode? input) in MaskedInputs(node, kwargs))
                {
                    if (mask is not null && graph.MaskOf(mask) is { } made && made.Key is not null && made.Key == graph.Carried(input))
                    {
                        maskOperations.UnionWith(made.Operations);
                        kwargs.Remove(keyword);
                    }
                }
            }
        }

        RemoveUnused(model, list, maskOperations);
    }

    // Each mask keyword of a call with the input whose mask Keras filled it from: mask with the one input (or, for a list
    // of inputs as Attention takes, the whole list, checked element by element), and MultiHeadAttention's
    // query_mask / value_mask / key_mask with its query, value and key.
    private static IEnumerable<(string Keyword, JsonNode? Mask, JsonNode? Input)> MaskedInputs(JsonObject node, JsonObject kwargs)
    {
        JsonArray args = node["args"] as JsonArray ?? [];
        if (kwargs["mask"] is JsonNode mask)
        {
            JsonNode? first = args.Count > 0 ? args[0] : kwargs["inputs"];
            if (mask is JsonArray masks && first is JsonArray inputs && masks.Count <= inputs.Count && masks.All(m => m is null or JsonObject))
            {
                // Every non-null mask of the list must be its input's; one pair is reported for the whole keyword.
                yield return ("mask", new JsonArray([.. masks.Select(m => m?.DeepClone())]), new JsonArray([.. inputs.Take(masks.Count).Select(t => t?.DeepClone())]));
            }
            else if (mask is JsonObject && first is JsonObject)
            {
                yield return ("mask", mask, first);
            }
        }

        for (int i = 0; i < s_sequenceNames.Length; i++)
        {
            if (kwargs[s_sequenceNames[i] + "_mask"] is JsonObject sequenceMask)
            {
                yield return (s_sequenceNames[i] + "_mask", sequenceMask, args.Count > i ? args[i] : kwargs[s_sequenceNames[i]]);
            }
        }
    }

    // Removes the mask operations nothing refers to any longer (a not_equal goes once the any() reading it is gone).
    private static void RemoveUnused(JsonObject model, JsonArray list, HashSet<string> maskOperations)
    {
        bool removed = true;
        while (removed)
        {
            removed = false;
            foreach (JsonObject item in list.OfType<JsonObject>().Where(i => KerasArchive.IsOperation(i) && maskOperations.Contains(KerasConfigItems.NameOf(i))).ToList())
            {
                string name = KerasConfigItems.NameOf(item);
                if (!list.OfType<JsonObject>().Any(other => other != item && NamesLayer(other["inbound_nodes"], name)) && !NamesLayer(model["config"].Key("output_layers"), name))
                {
                    list.Remove(item);
                    removed = true;
                }
            }
        }
    }

    // Whether a node list, or a structure of [layer, node, tensor] references, refers to the layer.
    private static bool NamesLayer(JsonNode? node, string name) => node switch
    {
        JsonArray array => KerasConfigItems.Text(array.FirstOrDefault()) == name || array.Any(e => NamesLayer(e, name)),
        JsonObject obj => obj.Any(p => NamesLayer(p.Value, name)),
        _ => false,
    };

    /// <summary>The model's tensors: the mask each carries, and what a mask operation computes.</summary>
    private sealed class Graph(Dictionary<string, JsonObject> byName)
    {
        private readonly Dictionary<string, string?> _carried = [];

        /// <summary>
        /// The mask a tensor (or a list of tensors) carries, as a key: "zero" and the ids tensor for an Embedding with
        /// mask_zero, "masking", the value and the input for a Masking; null when it carries none that is known here.
        /// </summary>
        public string? Carried(JsonNode? tensor)
        {
            if (tensor is JsonArray list)
            {
                return string.Join(";", list.Select(t => t is null ? "-" : Carried(t) ?? "?"));
            }

            if (Reference(tensor) is not (string layer, int nodeIndex, int output) reference)
            {
                return null;
            }

            string key = Key(reference);
            if (_carried.TryGetValue(key, out string? known))
            {
                return known;
            }

            _carried[key] = null; // a cycle (a malformed file) carries nothing
            string? carried = null;
            if (byName.TryGetValue(layer, out JsonObject? item) && !KerasArchive.IsOperation(item)
                && item["inbound_nodes"] is JsonArray nodes && nodeIndex < nodes.Count && nodes[nodeIndex] is JsonObject node
                && node["args"] is JsonArray { Count: > 0 } args && output == 0)
            {
                carried = CarriedBy(item, args, node["kwargs"].Key("reverse")?.GetValueKind() == JsonValueKind.True);
            }

            return _carried[key] = carried;
        }

        private string? CarriedBy(JsonObject item, JsonArray args, bool reverse)
        {
            string className = KerasConfigItems.Text(item["class_name"]) ?? string.Empty;
            JsonNode? config = item["config"];
            return className switch
            {
                "Embedding" or "ReversibleEmbedding" when !reverse && config.Key("mask_zero")?.GetValueKind() == JsonValueKind.True && Reference(args[0]) is { } ids => "zero " + Key(ids),
                "Masking" when Reference(args[0]) is { } x => MaskingKey(Number(config.Key("mask_value")) ?? 0.0, x),
                _ when s_passThrough.Contains(className) => Carried(args[0]),
                _ when s_recurrent.Contains(className) && config.Key("return_sequences")?.GetValueKind() == JsonValueKind.True => Carried(args[0]),
                "Bidirectional" when config.Key("layer").Key("config").Key("return_sequences")?.GetValueKind() == JsonValueKind.True => Carried(args[0]),
                "MultiHeadAttention" => Carried(args[0]),
                _ when s_orMerges.Contains(className) && args[0] is JsonArray { Count: >= 2 } merged => MergedKey(merged),
                "Attention" or "AdditiveAttention" when args[0] is JsonArray { Count: >= 2 } inputs => Carried(inputs[0]),
                _ => null,
            };
        }

        // Keras' Merge.compute_mask: none when an input carries none, else logical_or of the masks from the left.
        private string? MergedKey(JsonArray inputs)
        {
            string? key = null;
            foreach (JsonNode? input in inputs)
            {
                if (Carried(input) is not string carried)
                {
                    return null;
                }

                key = key is null ? carried : $"or({key},{carried})";
            }

            return key;
        }

        /// <summary>
        /// What a mask tensor (or a list of them) computes, as the key <see cref="Carried"/> gives, with the operations
        /// that make it; null when it is not one of the forms Keras' compute_mask writes.
        /// </summary>
        public (string? Key, List<string> Operations)? MaskOf(JsonNode mask)
        {
            if (mask is JsonArray list)
            {
                var operations = new List<string>();
                var keys = new List<string>();
                foreach (JsonNode? part in list)
                {
                    if (part is null)
                    {
                        keys.Add("-");
                        continue;
                    }

                    if (MaskOf(part) is not ({ } key, List<string> made))
                    {
                        return null;
                    }

                    keys.Add(key);
                    operations.AddRange(made);
                }

                return keys.All(k => k == "-") ? null : (string.Join(";", keys), operations);
            }

            if (Reference(mask) is not (string name, 0, 0) || !byName.TryGetValue(name, out JsonObject? operation) || !KerasArchive.IsOperation(operation)
                || SingleCall(operation) is not JsonArray args)
            {
                return null;
            }

            if (KerasConfigItems.IsClass(operation, "NotEqual") && args.Count == 2 && Number(args[1]) == 0 && Reference(args[0]) is { } ids)
            {
                return ("zero " + Key(ids), [name]);
            }

            if (KerasConfigItems.IsClass(operation, "LogicalOr") && args.Count == 2 && args[0] is JsonObject left && args[1] is JsonObject right
                && MaskOf(left) is ({ } leftKey, List<string> leftMade) && MaskOf(right) is ({ } rightKey, List<string> rightMade))
            {
                return ($"or({leftKey},{rightKey})", [name, .. leftMade, .. rightMade]);
            }

            if (KerasConfigItems.IsClass(operation, "Any") && args.Count == 1 && Number(operation["config"].Key("axis")) == -1
                && operation["config"].Key("keepdims")?.GetValueKind() is null or JsonValueKind.False
                && Reference(args[0]) is (string inner, 0, 0) && byName.TryGetValue(inner, out JsonObject? notEqual)
                && KerasArchive.IsOperation(notEqual) && KerasConfigItems.IsClass(notEqual, "NotEqual")
                && SingleCall(notEqual) is JsonArray { Count: 2 } compared && Number(compared[1]) is double value && Reference(compared[0]) is { } x)
            {
                return (MaskingKey(value, x), [name, inner]);
            }

            return null;
        }

        // The args of an operation's one call, with no keyword arguments; null otherwise.
        private static JsonArray? SingleCall(JsonObject item) =>
            item["inbound_nodes"] is JsonArray { Count: 1 } nodes && nodes[0] is JsonObject node && node["args"] is JsonArray args
            && (node["kwargs"] is not JsonObject kwargs || kwargs.Count == 0) ? args : null;

        private static string Key((string Layer, int Node, int Tensor) reference) =>
            string.Create(CultureInfo.InvariantCulture, $"{reference.Layer}/{reference.Node}/{reference.Tensor}");

        private static string MaskingKey(double value, (string Layer, int Node, int Tensor) input) =>
            string.Create(CultureInfo.InvariantCulture, $"masking {value:R} {Key(input)}");
    }

    private static (string Layer, int Node, int Tensor)? Reference(JsonNode? tensor) =>
        tensor is JsonObject obj && obj["config"].Key("keras_history") is JsonArray { Count: 3 } history
        && KerasConfigItems.Text(history[0]) is string layer && Number(history[1]) is double n && Number(history[2]) is double t
        && n >= 0 && t >= 0 && n == Math.Floor(n) && t == Math.Floor(t) && n < int.MaxValue && t < int.MaxValue
            ? (layer, (int)n, (int)t)
            : null;

    private static double? Number(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : null;
}
