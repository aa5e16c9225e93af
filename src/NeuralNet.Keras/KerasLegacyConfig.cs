using System.Text.Json;
using System.Text.Json.Nodes;
using static NeuralNet.Keras.KerasConfigItems;

namespace NeuralNet.Keras;

/// <summary>
/// A Keras 2 model config (the <c>model_config</c> of a legacy <c>.h5</c> file, tf.keras 2.x) in the Keras 3 form
/// NeuralNet reads, as Keras 3's legacy loader takes it: <c>batch_input_shape</c> becomes an <c>InputLayer</c>'s
/// <c>batch_shape</c> (a Sequential whose first layer carried it gets Keras 2's <c>&lt;name&gt;_input</c> layer), inbound
/// nodes written as lists of <c>[layer, node, tensor, kwargs]</c> become <c>{"args", "kwargs"}</c> calls, a
/// one-element <c>BatchNormalization</c> axis list its axis, and <c>Embedding</c>'s <c>input_length</c> (dropped by Keras
/// 3) goes. Nested models are converted too, their call numbers moved to Keras 3's.
/// </summary>
internal static class KerasLegacyConfig
{
    /// <summary>The converted copy of <paramref name="modelConfig"/>.</summary>
    /// <exception cref="InvalidDataException">The config is not a Keras 2 Sequential or functional model config.</exception>
    /// <exception cref="NotSupportedException">The model is of another class (a subclassed model).</exception>
    public static JsonObject Convert(JsonObject modelConfig, string source)
    {
        var root = (JsonObject)modelConfig.DeepClone();
        string className = root["class_name"] is JsonValue kind && kind.TryGetValue(out string? text) ? text : string.Empty;
        if (className is not ("Sequential" or "Functional" or "Model"))
        {
            throw new NotSupportedException($"{source}: model_config describes a model of class \"{className}\"; NeuralNet reads Sequential and Functional models (a subclassed Keras model has no graph in its file).");
        }

        ConvertModel(root, source);
        return root;
    }

    // A model item (the root, or a model nested in it): its class, layers and inbound nodes, recursively.
    private static void ConvertModel(JsonObject model, string source)
    {
        string className = model["class_name"] is JsonValue kind && kind.TryGetValue(out string? text) ? text : string.Empty;
        model["class_name"] = className == "Model" ? "Functional" : className;
        JsonObject config = model["config"] as JsonObject ?? throw new InvalidDataException($"{source}: model_config has a model without \"config\".");
        JsonArray layers = config["layers"] as JsonArray ?? throw new InvalidDataException($"{source}: model_config has a model without a \"layers\" list.");

        // The versions of Keras 2 numbered a nested model's calls differently (tf.keras 2.4+ from 1 when the model starts
        // with an InputLayer, tf.keras 2.0-2.3 from 1 for graph networks, Keras 2.2 from 1 for every network). A nested
        // model is read only when called once, so its one call gets Keras 3's numbers whatever was written: 0 in inbound
        // nodes, and in input_layers and output_layers 1 for a functional model, 0 for a Sequential.
        var nested = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (JsonObject item in layers.OfType<JsonObject>().Where(IsModel))
        {
            nested[NameOf(item)] = IsClass(item, "Sequential");
        }

        foreach (JsonObject item in layers.OfType<JsonObject>())
        {
            ConvertLayer(item, nested.Keys, source);
            if (IsModel(item))
            {
                ConvertModel(item, source);
            }
        }

        foreach (string key in new[] { "input_layers", "output_layers" })
        {
            if (config[key] is JsonArray triples)
            {
                IEnumerable<JsonArray> each = triples.FirstOrDefault() is JsonValue ? [triples] : [.. triples.OfType<JsonArray>()];
                foreach (JsonArray triple in each)
                {
                    if (triple.Count > 1 && nested.TryGetValue(Text(triple[0], source), out bool sequential))
                    {
                        triple[1] = sequential ? 0 : 1;
                    }
                }
            }
        }

        if (className == "Sequential" && layers.FirstOrDefault() is JsonObject head && !IsClass(head, "InputLayer")
            && head["config"] is JsonObject headConfig && headConfig["batch_input_shape"] is JsonNode shape)
        {
            // Keras 2's Dense(..., input_shape=...) as a Sequential's first layer: the input layer Keras 2 made for it.
            layers.Insert(0, new JsonObject
            {
                ["class_name"] = "InputLayer",
                ["config"] = new JsonObject
                {
                    ["batch_shape"] = shape.DeepClone(),
                    ["dtype"] = "float32",
                    ["sparse"] = false,
                    ["name"] = NameOf(head) + "_input",
                },
            });
        }

        foreach (JsonObject item in layers.OfType<JsonObject>())
        {
            if (!IsClass(item, "InputLayer") && item["config"] is JsonObject layerConfig)
            {
                layerConfig.Remove("batch_input_shape");
            }
        }
    }

    // A config value that must be a string; anything else is a malformed file, not a programming error.
    private static string Text(JsonNode? node, string source) =>
        node is JsonValue value && value.TryGetValue(out string? text) ? text
        : throw new InvalidDataException($"{source}: model_config has {node?.ToJsonString() ?? "null"} where a layer name belongs.");

    private static void ConvertLayer(JsonObject item, ICollection<string> nested, string source)
    {
        string className = item["class_name"] is JsonValue kind && kind.TryGetValue(out string? text) ? text : string.Empty;
        if (item["config"] is JsonObject config)
        {
            // Keras 2 settings NeuralNet has no form of: refused rather than loaded to compute something else.
            string layer = NameOf(item);
            if (config["time_major"] is JsonValue timeMajor && timeMajor.TryGetValue(out bool major) && major)
            {
                throw new NotSupportedException($"{source}: layer '{layer}' ({className}) has time_major: true (inputs as (time, batch, features)), which NeuralNet does not have.");
            }

            if (className == "InputLayer" && (IsTrue(config["ragged"]) || IsTrue(config["sparse"])))
            {
                throw new NotSupportedException($"{source}: input layer '{layer}' is ragged or sparse, which NeuralNet's dense tensors are not.");
            }

            switch (className)
            {
                case "InputLayer" when config["batch_input_shape"] is JsonNode shape:
                    config.Remove("batch_input_shape");
                    config["batch_shape"] = shape;
                    break;
                case "BatchNormalization" when config["axis"] is JsonArray { Count: 1 } axis:
                    config["axis"] = axis[0]?.DeepClone();
                    break;
                case "Embedding":
                    config.Remove("input_length");
                    break;
                case "Attention" or "AdditiveAttention" when config["causal"] is JsonNode causal:
                    // tf.keras 2.4-2.9 made causality a constructor argument; later versions a call argument.
                    config.Remove("causal");
                    config["use_causal_mask"] = causal;
                    break;
            }
        }

        if (item["inbound_nodes"] is JsonArray nodes)
        {
            item["inbound_nodes"] = new JsonArray([.. nodes.Select(n => ConvertNode(n, nested, source))]);
        }
    }

    // A keyword argument with its [layer, node, tensor] references (alone or in a list) as Keras 3's tensor objects.
    private static JsonNode? ConvertReferences(JsonNode? value, ICollection<string> nested)
    {
        if (value is JsonArray { Count: 3 } reference && reference[0]?.GetValueKind() == JsonValueKind.String
            && reference[1]?.GetValueKind() == JsonValueKind.Number && reference[2]?.GetValueKind() == JsonValueKind.Number)
        {
            var history = (JsonArray)reference.DeepClone();
            if (nested.Contains(reference[0]!.GetValue<string>()))
            {
                history[1] = 0;
            }

            return KerasConfigItems.TensorFrom(history);
        }

        return value is JsonArray list && list.All(e => e is JsonArray) ? new JsonArray([.. list.Select(e => ConvertReferences(e, nested))]) : value?.DeepClone();
    }

    private static bool IsTrue(JsonNode? node) => node is JsonValue value && value.TryGetValue(out bool flag) && flag;

    // [["input_1", 0, 0, {}], ...] (one entry per input tensor) -> {"args": [tensor] or [[tensors]], "kwargs": {...}}.
    private static JsonNode? ConvertNode(JsonNode? node, ICollection<string> nested, string source)
    {
        if (node is not JsonArray inputs)
        {
            return node?.DeepClone();
        }

        var tensors = new List<JsonNode>();
        JsonNode kwargs = new JsonObject();
        foreach (JsonArray input in inputs.OfType<JsonArray>())
        {
            var history = new JsonArray([.. input.Take(3).Select(v => v?.DeepClone())]);
            string inbound = Text(history.Count > 0 ? history[0] : null, source);
            if (inbound == "_CONSTANT_VALUE")
            {
                throw new NotSupportedException($"{source}: model_config passes a constant to a layer call (a TFOpLambda or a Python value), which NeuralNet's graphs do not take.");
            }

            if (nested.Contains(inbound) && history.Count > 1)
            {
                history[1] = 0;
            }

            tensors.Add(KerasConfigItems.TensorFrom(history));
            if (input.Count > 3 && input[3] is JsonObject arguments)
            {
                // tf.keras 2 names a tensor passed by keyword (mha(q, value=v, attention_mask=m)) as [layer, node, tensor].
                var converted = new JsonObject();
                foreach (KeyValuePair<string, JsonNode?> argument in arguments)
                {
                    converted[argument.Key] = ConvertReferences(argument.Value, nested);
                }

                kwargs = converted;
            }
        }

        JsonNode args = tensors.Count == 1 ? new JsonArray(tensors[0]) : new JsonArray(new JsonArray([.. tensors]));
        return new JsonObject { ["args"] = args, ["kwargs"] = kwargs };
    }
}
