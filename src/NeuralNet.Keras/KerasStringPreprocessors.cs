using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace NeuralNet.Keras;

/// <summary>
/// Keras' string layers (<c>TextVectorization</c>, <c>StringLookup</c>) called on a string <c>keras.Input</c>, as the
/// text-classification tutorial's end-to-end model calls its vectorizer: NeuralNet's tensors hold floats, so such a
/// layer leaves the graph and becomes a preprocessor of the model (<see cref="Models.Model.Preprocessing"/>, under the
/// layer's name, or its Input's: see <see cref="Split"/>), and its Input takes what the layer gives (ids or encoded rows,
/// as floats).
/// </summary>
internal static partial class KerasStringPreprocessors
{
    /// <summary>A layer taken out of the graph: its item for <see cref="Models.Model.Preprocessing"/> and its archive path.</summary>
    /// <param name="Name">The layer's name.</param>
    /// <param name="Key">The preprocessor's key: the layer's name, or its Input's (see <see cref="Split"/>).</param>
    /// <param name="Item">The layer's <c>{"class_name", "config"}</c>, vocabulary filled in.</param>
    /// <param name="Group">Its path in the weights file (<c>layers/text_vectorization</c>).</param>
    public sealed record Removed(string Name, string Key, JsonObject Item, string Group);

    /// <summary>Whether <paramref name="className"/> is a Keras layer that takes strings.</summary>
    public static bool IsStringLayer(string? className) => className is "StringLookup" or "TextVectorization";

    /// <summary>
    /// Takes every string layer out of <paramref name="root"/>'s graph: its Input gets the layer's output shape and
    /// float32, and what took the layer's output takes the Input's. The JSON alone changes. The preprocessor is keyed by
    /// the layer's name, unless Keras made that name up (<c>string_lookup</c>, <c>text_vectorization_2</c>) and the user
    /// named the Input (the structured-data tutorial's <c>keras.Input(name="thal", dtype="string")</c>, not Keras'
    /// <c>input_layer</c>: see <see cref="IsAutomaticInputName"/>): then by the Input's name, the column it stands for.
    /// </summary>
    /// <exception cref="NotSupportedException">A string layer is called on something other than a string Input of its own (another layer's output, an Input another layer reads too).</exception>
    public static List<Removed> Split(JsonObject root, IReadOnlyDictionary<string, string> groups, string source)
    {
        var removed = new List<Removed>();
        if (root["config"] is not JsonObject model || model["layers"] is not JsonArray layers)
        {
            return removed;
        }

        bool sequential = KerasConfigItems.IsClass(root, "Sequential");
        foreach (JsonObject item in layers.OfType<JsonObject>().Where(i => IsStringLayer(KerasConfigItems.Text(i["class_name"]))).ToList())
        {
            string name = KerasConfigItems.NameOf(item);
            string what = $"{source}: {KerasArchive.ConfigEntry}: '{name}' ({KerasConfigItems.Text(item["class_name"])})";
            JsonObject input = sequential ? SequentialInput(layers, item, what) : FunctionalInput(layers, item, name, what);
            var config = input["config"] as JsonObject ?? throw new InvalidDataException($"{what} takes the Input '{KerasConfigItems.NameOf(input)}', whose config is not an object.");
            if (KerasConfigItems.Text(config["dtype"]) != "string")
            {
                throw new NotSupportedException($"{what} takes the Input '{KerasConfigItems.NameOf(input)}' of dtype \"{KerasConfigItems.Text(config["dtype"])}\"; NeuralNet runs string layers as preprocessors of a string Input (keras.Input(dtype=\"string\")).");
            }

            config["batch_shape"] = OutputShape(item, config["batch_shape"] as JsonArray ?? config["shape"] as JsonArray, what);
            config.Remove("shape");
            config["dtype"] = "float32";
            layers.Remove(item);
            if (sequential)
            {
                model["build_input_shape"] = config["batch_shape"]!.DeepClone();
                if (root["build_config"] is JsonObject build)
                {
                    build["input_shape"] = config["batch_shape"]!.DeepClone();
                }
            }
            else
            {
                Reroute(model, name, KerasConfigItems.NameOf(input));
            }

            var preprocessor = new JsonObject { ["class_name"] = item["class_name"]!.DeepClone(), ["config"] = item["config"]!.DeepClone() };
            string inputName = KerasConfigItems.NameOf(input);
            string key = IsAutomaticName(name, KerasConfigItems.Text(item["class_name"])!) && !IsAutomaticInputName(inputName, name) ? inputName : name;
            removed.Add(new Removed(name, key, preprocessor, groups.TryGetValue(name, out string? group) ? group : "layers/" + name));
        }

        // Names are unique in a valid config, so no two keys coincide; in a damaged one (a layer named like another's
        // Input) the layer's name is kept, so that no preprocessor silently replaces another before the reader refuses it.
        return [.. removed.Select(r => r.Key != r.Name && removed.Any(o => o != r && (o.Key == r.Key || o.Name == r.Key)) ? r with { Key = r.Name } : r)];
    }

    // Keras' automatic layer name: the class in snake case, numbered by the session's uniquify (string_lookup_3).
    private static bool IsAutomaticName(string name, string className)
    {
        string snake = KerasNames.ToSnakeCase(className);
        return name == snake || (name.StartsWith(snake + "_", StringComparison.Ordinal) && name.Length > snake.Length + 1 && name[(snake.Length + 1)..].All(char.IsAsciiDigit));
    }

    /// <summary>
    /// Whether <paramref name="inputName"/> is a name Keras gives an Input the user did not name, so that it says nothing
    /// of the column the string layer <paramref name="layerName"/> on it encodes: Keras 3's <c>input_layer</c>,
    /// <c>input_layer_1</c>, Keras 2's <c>input_1</c>, and Keras 2's Sequential's <c>&lt;first layer's name&gt;_input</c>
    /// (tf.keras' <c>Sequential.add</c>). <see cref="Split"/> does not key by such a name, and
    /// <see cref="KerasStringPreprocessorWriter"/> refuses a key that would be one.
    /// </summary>
    public static bool IsAutomaticInputName(string inputName, string layerName) =>
        AutomaticInputName().IsMatch(inputName) || inputName == layerName + "_input";

    [GeneratedRegex(@"^(input_layer(_\d+)?|input_\d+)$")]
    private static partial Regex AutomaticInputName();

    /// <summary>The removed layers as NeuralNet's model files keep preprocessors (<c>{"name": {"class_name", "config"}}</c>), or null for none.</summary>
    public static string? Items(IReadOnlyList<Removed> removed)
    {
        if (removed.Count == 0)
        {
            return null;
        }

        var items = new JsonObject();
        foreach (Removed layer in removed)
        {
            items[layer.Key] = layer.Item.DeepClone();
        }

        return items.ToJsonString();
    }

    // A Sequential's string layer must be its first, after its InputLayer.
    private static JsonObject SequentialInput(JsonArray layers, JsonObject item, string what)
    {
        int at = layers.IndexOf(item);
        return at == 1 && layers[0] is JsonObject first && KerasConfigItems.IsClass(first, "InputLayer")
            ? first
            : throw new NotSupportedException($"{what} is not the first layer after the Sequential's string Input; NeuralNet runs string layers as preprocessors of the model's string Input.");
    }

    // A functional model's string layer must be called once, on an Input nothing else reads.
    private static JsonObject FunctionalInput(JsonArray layers, JsonObject item, string name, string what)
    {
        List<JsonArray> calls = [.. Histories(item["inbound_nodes"])];
        JsonObject? input = calls.Count == 1 && KerasConfigItems.Text(calls[0][0]) is string from
            ? layers.OfType<JsonObject>().FirstOrDefault(l => KerasConfigItems.IsClass(l, "InputLayer") && KerasConfigItems.NameOf(l) == from)
            : null;
        if (input is null)
        {
            throw new NotSupportedException($"{what} is not called once on a keras.Input; NeuralNet runs string layers as preprocessors of the model's string Input.");
        }

        string inputName = KerasConfigItems.NameOf(input);
        if (layers.OfType<JsonObject>().Any(l => l != item && Histories(l["inbound_nodes"]).Any(h => KerasConfigItems.Text(h[0]) == inputName)))
        {
            throw new NotSupportedException($"{what} reads the Input '{inputName}', which other layers read too; NeuralNet runs string layers as preprocessors, so their Input must feed them alone.");
        }

        return input;
    }

    // What reads the layer's output reads the Input's now: the inbound nodes' keras_history and the model's outputs
    // (KerasStringPreprocessorWriter reroutes the other way when it puts the layer back).
    internal static void Reroute(JsonObject model, string layer, string input)
    {
        foreach (JsonObject item in KerasConfigItems.Items(model))
        {
            foreach (JsonArray history in Histories(item["inbound_nodes"]))
            {
                if (KerasConfigItems.Text(history[0]) == layer)
                {
                    history[0] = input;
                }
            }
        }

        RenameTriples(model["output_layers"], layer, input);
    }

    private static void RenameTriples(JsonNode? node, string layer, string input)
    {
        if (node is not JsonArray array)
        {
            return;
        }

        if (array.Count == 3 && KerasConfigItems.Text(array[0]) == layer)
        {
            array[0] = input;
            return;
        }

        foreach (JsonNode? element in array)
        {
            RenameTriples(element, layer, input);
        }
    }

    // Every keras_history triple under a layer's inbound nodes.
    private static IEnumerable<JsonArray> Histories(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj when obj["keras_history"] is JsonArray { Count: 3 } history:
                yield return history;
                break;
            case JsonObject obj:
                foreach (var (_, child) in obj.ToList())
                {
                    foreach (JsonArray found in Histories(child))
                    {
                        yield return found;
                    }
                }

                break;
            case JsonArray array:
                foreach (JsonNode? child in array.ToList())
                {
                    foreach (JsonArray found in Histories(child))
                    {
                        yield return found;
                    }
                }

                break;
        }
    }

    // Keras' compute_output_shape of the layer for the Input's batch shape.
    private static JsonArray OutputShape(JsonObject item, JsonArray? inputShape, string what)
    {
        var config = item["config"] as JsonObject ?? throw new InvalidDataException($"{what}: the layer's config is not an object.");
        if (inputShape is { Count: 0 })
        {
            throw new InvalidDataException($"{what}: its Input's batch_shape is empty; expected the batch axis and the sample axes, such as [null, 1].");
        }

        JsonNode?[] shape = inputShape is null ? [null, null] : [.. inputShape.Select(d => d?.DeepClone())];
        string mode = KerasConfigItems.Text(config["output_mode"]) ?? "int";
        bool vectorizer = KerasConfigItems.IsClass(item, "TextVectorization");
        if (mode == "int")
        {
            // TextVectorization: (batch, output_sequence_length); StringLookup: the input's shape.
            return vectorizer ? [shape[0], config["output_sequence_length"]?.DeepClone()] : [.. shape];
        }

        JsonNode depth = Depth(config, what);
        if (vectorizer)
        {
            return [shape[0], depth];
        }

        return mode == "one_hot" && !(shape.Length > 1 && shape[^1] is JsonValue last && last.TryGetValue(out int one) && one == 1)
            ? [.. shape, depth]
            : [.. shape[..^1], depth];
    }

    // Keras' depth: max_tokens with pad_to_max_tokens, else the vocabulary's size (its frozen vocabulary_size).
    private static JsonNode Depth(JsonObject config, string what)
    {
        bool padded = KerasConfigItems.PadsToMaxTokens(config);
        JsonNode? depth = padded ? config["max_tokens"] : config["vocabulary_size"];
        return depth is JsonValue number && number.TryGetValue(out int size) && size > 0
            ? JsonValue.Create(size)
            : throw new InvalidDataException($"{what}: its encoded output has no known width (\"{(padded ? "max_tokens" : "vocabulary_size")}\" is not a positive integer).");
    }
}
