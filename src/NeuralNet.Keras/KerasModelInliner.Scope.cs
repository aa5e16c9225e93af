using System.Text.Json.Nodes;

namespace NeuralNet.Keras;

internal sealed partial class KerasModelInliner
{
    // The tensors of one model's scope: its layers' new names, and the tensors its inputs and nested calls stand for.
    private sealed class Scope
    {
        public Dictionary<string, string> Renamed { get; } = new(StringComparer.Ordinal);

        public Dictionary<(string Layer, int Node, int Tensor), JsonArray> Tensors { get; } = [];

        public HashSet<string> NestedFunctional { get; } = new(StringComparer.Ordinal);

        // Keras' Functional.get_config numbers a nested functional model's calls from 1 in input_layers and
        // output_layers (its from_config subtracts 1 again), and from 0 in inbound nodes.
        public JsonArray FromModelTriple(JsonArray triple) =>
            triple.Count > 1 && NestedFunctional.Contains(KerasConfigItems.Text(triple[0]) ?? string.Empty) && triple[1] is JsonValue n && n.TryGetValue(out int node)
                ? new JsonArray(triple[0]!.DeepClone(), node - 1, triple.Count > 2 ? triple[2]?.DeepClone() : 0)
                : triple;

        public JsonArray Resolve(JsonArray history, KerasModelInliner owner)
        {
            string layer = (history.Count > 0 ? KerasConfigItems.Text(history[0]) : null) ?? string.Empty;
            int node = history.Count > 1 && history[1] is JsonValue n && n.TryGetValue(out int nodeIndex) ? nodeIndex : 0;
            int tensor = history.Count > 2 && history[2] is JsonValue t && t.TryGetValue(out int tensorIndex) ? tensorIndex : 0;
            if (Tensors.TryGetValue((layer, node, tensor), out JsonArray? bound))
            {
                return (JsonArray)bound.DeepClone();
            }

            return Renamed.TryGetValue(layer, out string? name)
                ? new JsonArray(name, node, tensor)
                : throw owner.Error($"a call refers to layer '{layer}', which comes later or does not exist");
        }
    }
}
