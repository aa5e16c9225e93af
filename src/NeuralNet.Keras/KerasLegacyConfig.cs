using System.Text.Json.Nodes;

namespace NeuralNet.Keras;

/// <summary>
/// A Keras 2 model config (the <c>model_config</c> of a legacy <c>.h5</c> file, tf.keras 2.x) in the Keras 3 form
/// NeuralNet reads, as Keras 3's legacy loader takes it: <c>batch_input_shape</c> becomes an <c>InputLayer</c>'s
/// <c>batch_shape</c> (a Sequential whose first layer carried it gets Keras 2's <c>&lt;name&gt;_input</c> layer), inbound
/// nodes written as lists of <c>[layer, node, tensor, kwargs]</c> become <c>{"args", "kwargs"}</c> calls, a
/// one-element <c>BatchNormalization</c> axis list its axis, and <c>Embedding</c>'s <c>input_length</c> (dropped by Keras
/// 3) goes.
/// </summary>
internal static class KerasLegacyConfig
{
    /// <summary>The converted copy of <paramref name="modelConfig"/>.</summary>
    /// <exception cref="InvalidDataException">The config is not a Keras 2 Sequential or functional model config.</exception>
    /// <exception cref="NotSupportedException">The model nests a model.</exception>
    public static JsonObject Convert(JsonObject modelConfig, string source)
    {
        var root = (JsonObject)modelConfig.DeepClone();
        string className = (string?)root["class_name"] ?? string.Empty;
        if (className is not ("Sequential" or "Functional" or "Model"))
        {
            throw new NotSupportedException($"{source}: model_config describes a model of class \"{className}\"; NeuralNet reads Sequential and Functional models (a subclassed Keras model has no graph in its file).");
        }

        root["class_name"] = className == "Model" ? "Functional" : className;
        JsonArray layers = root["config"]?["layers"] as JsonArray ?? throw new InvalidDataException($"{source}: model_config has no \"layers\" list.");
        if (layers.OfType<JsonObject>().FirstOrDefault(i => (string?)i["class_name"] is "Sequential" or "Functional" or "Model") is JsonObject nested)
        {
            throw new NotSupportedException($"{source}: model_config nests the model '{(string?)nested["config"]?["name"]}'; NeuralNet.Keras reads nested models from Keras 3 .keras archives, not from Keras 2 .h5 files.");
        }

        foreach (JsonObject item in layers.OfType<JsonObject>())
        {
            ConvertLayer(item);
        }

        if (className == "Sequential" && layers.FirstOrDefault() is JsonObject first && (string?)first["class_name"] != "InputLayer"
            && first["config"] is JsonObject firstConfig && firstConfig["batch_input_shape"] is JsonNode shape)
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
                    ["name"] = ((string?)firstConfig["name"] ?? "layer") + "_input",
                },
            });
        }

        foreach (JsonObject item in layers.OfType<JsonObject>())
        {
            if ((string?)item["class_name"] != "InputLayer" && item["config"] is JsonObject config)
            {
                config.Remove("batch_input_shape");
            }
        }

        return root;
    }

    private static void ConvertLayer(JsonObject item)
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
            item["inbound_nodes"] = new JsonArray([.. nodes.Select(ConvertNode)]);
        }
    }

    // [["input_1", 0, 0, {}], ...] (one entry per input tensor) -> {"args": [tensor] or [[tensors]], "kwargs": {...}}.
    private static JsonNode? ConvertNode(JsonNode? node)
    {
        if (node is not JsonArray inputs)
        {
            return node?.DeepClone();
        }

        var tensors = new List<JsonNode>();
        JsonNode kwargs = new JsonObject();
        foreach (JsonArray input in inputs.OfType<JsonArray>())
        {
            tensors.Add(new JsonObject
            {
                ["class_name"] = "__keras_tensor__",
                ["config"] = new JsonObject { ["keras_history"] = new JsonArray([.. input.Take(3).Select(v => v?.DeepClone())]) },
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
