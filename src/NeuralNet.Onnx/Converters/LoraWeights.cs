using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// A LoRA layer (<see cref="ILoraLayer"/>) exports as a plain one: its weight's initializer holds the merged weight
/// <c>W + (alpha / rank) · A·B</c>, what the layer computes with and what Keras saves.
/// </summary>
internal static class LoraWeights
{
    /// <summary>The relayout that replaces the weight's values by the merged ones; null when LoRA is not enabled.</summary>
    public static Func<float[], float[]>? Merged(ILoraLayer layer) =>
        layer.LoraEnabled ? _ => layer.GetMergedWeight().AsReadOnlySpan().ToArray() : null;
}
