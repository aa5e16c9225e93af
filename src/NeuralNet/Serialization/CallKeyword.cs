using System.Text.Json;
using System.Text.Json.Nodes;

namespace NeuralNet.Serialization;

/// <summary>Reads the keyword arguments a saved layer call carries (<c>training=</c>, <c>reverse=</c>, <c>use_causal_mask=</c>).</summary>
internal static class CallKeyword
{
    /// <summary>
    /// A boolean keyword: its value, or null when it is absent or null (the call left it to the layer's default).
    /// Anything else is refused, naming the keyword and the call.
    /// </summary>
    public static bool? ReadFlag(JsonObject? kwargs, string key, Config call) => kwargs?[key] switch
    {
        null => null,
        JsonNode flag when flag.GetValueKind() is JsonValueKind.True or JsonValueKind.False => flag.GetValue<bool>(),
        JsonNode other => throw call.Error($"\"{key}\" must be true, false or null but is {Config.Describe(other)}."),
    };
}
