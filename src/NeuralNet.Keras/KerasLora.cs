using NeuralNet.Layers;

namespace NeuralNet.Keras;

/// <summary>
/// What Keras' <c>save_own_variables</c> and <c>load_own_variables</c> do with a LoRA layer (<see cref="ILoraLayer"/>):
/// the weights file keeps the merged weight in the weight's place and not A and B, which loading sets to zeros.
/// </summary>
internal static class KerasLora
{
    /// <summary>Whether <paramref name="parameter"/> is A or B of <paramref name="owner"/>'s LoRA, which Keras does not save.</summary>
    public static bool IsAdapter(Layer owner, Parameter parameter) =>
        owner is ILoraLayer { LoraEnabled: true } lora && (ReferenceEquals(parameter, lora.LoraA) || ReferenceEquals(parameter, lora.LoraB));

    /// <summary>The value Keras saves for <paramref name="parameter"/>: the merged weight for a LoRA layer's weight, else the value.</summary>
    public static Tensor SavedValue(Layer owner, Parameter parameter) =>
        owner is ILoraLayer { LoraEnabled: true } lora && ReferenceEquals(parameter, lora.LoraTarget) ? lora.GetMergedWeight() : parameter.Value;

    /// <summary>
    /// Zero tensors for every A and B of <paramref name="architecture"/>, named as a model file names parameters
    /// (<c>layer/lora_kernel_a</c>): a Keras archive has none, and Keras' <c>load_own_variables</c> sets them to zeros.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, Tensor>> ZeroAdapterTensors(Models.Model architecture)
    {
        foreach (Layer layer in architecture.Layers)
        {
            if (layer is ILoraLayer { LoraEnabled: true, LoraA: Parameter a, LoraB: Parameter b })
            {
                yield return new($"{layer.Name}/{a.Name}", new Tensor(a.Shape));
                yield return new($"{layer.Name}/{b.Name}", new Tensor(b.Shape));
            }
        }
    }

    /// <summary>
    /// The values read for the model's saved parameters, with zeros for every A and B (Keras' <c>load_own_variables</c>)
    /// of the layers whose weight was read (a layer skipped by <c>skipMismatch</c> keeps its A and B, as Keras' fails before
    /// it zeroes them).
    /// </summary>
    public static IEnumerable<(Parameter Parameter, Tensor Value)> WithZeroAdapters(Models.Model model, IEnumerable<(Parameter Parameter, Tensor Value)> read)
    {
        var loaded = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var item in read)
        {
            loaded.Add(item.Parameter);
            yield return item;
        }

        foreach (Layer layer in model.Layers)
        {
            if (layer is ILoraLayer { LoraEnabled: true, LoraA: Parameter a, LoraB: Parameter b } lora && loaded.Contains(lora.LoraTarget))
            {
                yield return (a, new Tensor(a.Shape));
                yield return (b, new Tensor(b.Shape));
            }
        }
    }

    /// <summary><paramref name="skipped"/> with the A and B of each LoRA layer whose weight is among them (they keep their values too).</summary>
    public static IEnumerable<Parameter> WithAdapters(Models.Model model, IReadOnlySet<Parameter> skipped) =>
        skipped.Concat(model.Layers.SelectMany(l => l is ILoraLayer { LoraEnabled: true, LoraA: Parameter a, LoraB: Parameter b } lora && skipped.Contains(lora.LoraTarget) ? new[] { a, b } : []));
}
