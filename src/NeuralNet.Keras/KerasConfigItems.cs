using System.Text.Json.Nodes;

namespace NeuralNet.Keras;

/// <summary>
/// Reading the items of a Keras model config (<c>{"class_name", "config": {"name", ...}, "name"?}</c>) without trusting
/// their JSON kinds: a value of another kind reads as absent, and the config's reader reports what is then missing. Also
/// builds the tensor objects that the readers rewriting older forms put into node arguments.
/// </summary>
internal static class KerasConfigItems
{
    /// <summary>
    /// The value of <paramref name="key"/> when <paramref name="node"/> is an object, else null: a file may hold an array
    /// or a number where an object belongs, and <see cref="JsonNode"/>'s own indexer throws then.
    /// </summary>
    public static JsonNode? Key(this JsonNode? node, string key) => (node as JsonObject)?[key];

    /// <summary>The item's layer name: its config's <c>name</c>, else the item's own; "" when neither is a string.</summary>
    public static string NameOf(JsonObject item) => Text(item["config"].Key("name")) ?? Text(item["name"]) ?? string.Empty;

    /// <summary>Whether the item's <c>class_name</c> is <paramref name="name"/>.</summary>
    public static bool IsClass(JsonObject item, string name) => Text(item["class_name"]) == name;

    /// <summary>Whether the item is a whole model (a nested Sequential or functional model, with its layer list).</summary>
    public static bool IsModel(JsonObject item) =>
        Text(item["class_name"]) is "Sequential" or "Functional" or "Model" && item["config"].Key("layers") is JsonArray;

    /// <summary>
    /// Keras 3's tensor object in a node's arguments, <c>{"class_name": "__keras_tensor__", "config": {...}}</c>, whose
    /// config holds at least <c>keras_history</c> ([layer, node, tensor]).
    /// </summary>
    public static JsonObject Tensor(JsonObject tensorConfig) => new() { ["class_name"] = "__keras_tensor__", ["config"] = tensorConfig };

    /// <summary>Keras 3's tensor object for the [layer, node, tensor] reference <paramref name="history"/> (taken, not copied).</summary>
    public static JsonObject TensorFrom(JsonNode history) => Tensor(new JsonObject { ["keras_history"] = history });

    /// <summary>The model config's layer items.</summary>
    public static IEnumerable<JsonObject> Items(JsonObject? config) => (config.Key("layers") as JsonArray ?? []).OfType<JsonObject>();

    /// <summary>
    /// The group of every layer of a config without nested models, by layer name: Keras' container names
    /// (<c>layers/dense</c>, <c>layers/dense_1</c>) in the order of the config's layer list, which is Keras' model.layers
    /// order; a Sequential's InputLayer is not in Keras' Sequential.layers (a functional model's inputs are).
    /// </summary>
    public static Dictionary<string, string> Groups(JsonObject root)
    {
        bool sequential = IsClass(root, "Sequential");
        // Keras' Functional.layers holds layers only: saving_lib gives operations no group.
        List<JsonObject> items = [.. Items(root["config"] as JsonObject).Where(i => (!sequential || !IsClass(i, "InputLayer")) && !KerasOperations.IsOperationItem(i))];
        List<string> groups = KerasNames.ContainerNames(items.Select(i => Text(i["class_name"]) ?? string.Empty));
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < items.Count; i++)
        {
            result.TryAdd(NameOf(items[i]), "layers/" + groups[i]);
        }

        return result;
    }

    /// <summary>A lookup config's <c>pad_to_max_tokens</c>: true only when it holds JSON true (Keras' default is false).</summary>
    public static bool PadsToMaxTokens(JsonObject config) => config["pad_to_max_tokens"] is JsonValue pad && pad.TryGetValue(out bool value) && value;

    /// <summary>The node's string, or null when it is absent or not a string.</summary>
    internal static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : null;
}
