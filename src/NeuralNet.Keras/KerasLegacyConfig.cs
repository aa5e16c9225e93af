using System.Text.Json.Nodes;

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
        string className = (string?)root["class_name"] ?? string.Empty;
        if (className is not ("Sequential" or "Functional" or "Model"))
        {
            throw new NotSupportedException($"{source}: model_config describes a model of class \"{className}\"; NeuralNet reads Sequential and Functional models (a subclassed Keras model has no graph in its file).");
        }

        ConvertModel(root, source);
        return root;
    }

    private static bool IsModel(JsonObject item) =>
        (string?)item["class_name"] is "Sequential" or "Functional" or "Model" && item["config"]?["layers"] is JsonArray;

    // A model item (the root, or a model nested in it): its class, layers and inbound nodes, recursively.
    private static void ConvertModel(JsonObject model, string source)
    {
        string className = (string?)model["class_name"] ?? string.Empty;
        model["class_name"] = className == "Model" ? "Functional" : className;
        JsonObject config = model["config"] as JsonObject ?? throw new InvalidDataException($"{source}: model_config has a model without \"config\".");
        JsonArray layers = config["layers"] as JsonArray ?? throw new InvalidDataException($"{source}: model_config has a model without a \"layers\" list.");

        // tf.keras numbered the calls of a nested model that starts with an InputLayer from 1 (its own node came first);
        // Keras 3 numbers them from 0 in inbound nodes, and a functional model's from 1 in output_layers.
        var skipFirst = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (JsonObject item in layers.OfType<JsonObject>().Where(IsModel))
        {
            if (item["config"]?["layers"] is JsonArray inner && inner.FirstOrDefault() is JsonObject first && (string?)first["class_name"] == "InputLayer")
            {
                skipFirst[(string?)item["config"]?["name"] ?? (string?)item["name"] ?? string.Empty] = (string?)item["class_name"] == "Sequential";
            }
        }

        foreach (JsonObject item in layers.OfType<JsonObject>())
        {
            ConvertLayer(item, skipFirst.Keys);
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
                    if (skipFirst.TryGetValue((string?)triple[0] ?? string.Empty, out bool sequential) && sequential)
                    {
                        Decrement(triple);
                    }
                }
            }
        }

        if ((string?)model["class_name"] == "Sequential" && layers.FirstOrDefault() is JsonObject head && (string?)head["class_name"] != "InputLayer"
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
                    ["name"] = ((string?)headConfig["name"] ?? "layer") + "_input",
                },
            });
        }

        foreach (JsonObject item in layers.OfType<JsonObject>())
        {
            if ((string?)item["class_name"] != "InputLayer" && item["config"] is JsonObject layerConfig)
            {
                layerConfig.Remove("batch_input_shape");
            }
        }
    }

    private static void Decrement(JsonArray history)
    {
        if (history.Count > 1 && history[1] is JsonValue value && value.TryGetValue(out int node) && node > 0)
        {
            history[1] = node - 1;
        }
    }

    private static void ConvertLayer(JsonObject item, ICollection<string> skipFirst)
    {
        if (item["config"] is JsonObject config)
        {
            switch ((string?)item["class_name"])
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
            }
        }

        if (item["inbound_nodes"] is JsonArray nodes)
        {
            item["inbound_nodes"] = new JsonArray([.. nodes.Select(n => ConvertNode(n, skipFirst))]);
        }
    }

    // [["input_1", 0, 0, {}], ...] (one entry per input tensor) -> {"args": [tensor] or [[tensors]], "kwargs": {...}}.
    private static JsonNode? ConvertNode(JsonNode? node, ICollection<string> skipFirst)
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
            if (skipFirst.Contains((string?)history[0] ?? string.Empty))
            {
                Decrement(history);
            }

            tensors.Add(new JsonObject
            {
                ["class_name"] = "__keras_tensor__",
                ["config"] = new JsonObject { ["keras_history"] = history },
            });
            if (input.Count > 3 && input[3] is JsonObject arguments)
            {
                kwargs = arguments.DeepClone();
            }
        }

        JsonNode args = tensors.Count == 1 ? new JsonArray(tensors[0]) : new JsonArray(new JsonArray([.. tensors]));
        return new JsonObject { ["args"] = args, ["kwargs"] = kwargs };
    }
}
