using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// TimeDistributed as Predict runs it: the input (batch, steps, ...) reshaped to (batch·steps, ...), the wrapped layer
/// written by its own converter (weights named <c>time_distributed/dense/kernel</c>, ...), its output turned channels last and
/// reshaped back to (batch, steps, ...output). Any layer with an ONNX form can be wrapped, a wrapper too.
/// </summary>
internal static class TimeDistributedConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Run(graph, (TimeDistributed)layer, inputs[0], null, outputShape);

    /// <summary>
    /// With the mask (batch, steps, ...) that arrives with the input, for a wrapped layer that reads it: the mask folded the
    /// same way, (batch·steps, ...), as Predict gives each step's mask to the wrapped layer.
    /// </summary>
    public static OnnxValue ConvertMasked(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape) =>
        Run(graph, (TimeDistributed)layer, inputs[0], masks[0], outputShape);

    /// <summary>Whether the wrapped layer of <paramref name="layer"/> has a masked ONNX form.</summary>
    public static bool WritesMasked(TimeDistributed layer) => MaskedLayerConverters.Find(layer.InnerLayer) is not null;

    private static OnnxValue Run(OnnxGraphBuilder graph, TimeDistributed wrapper, OnnxValue input, string? mask, TensorShape outputShape)
    {
        Layer inner = wrapper.InnerLayer;
        OnnxValue x = graph.ChannelsLast(input);
        TensorShape innerInput = inner.InputShape, innerOutput = inner.OutputShape;

        // -1: the batch times the steps, which the graph only knows when it runs.
        string folded = graph.Node("Reshape", [x.Name, graph.Int64s("folded_shape", [-1, .. Dims(innerInput)])]);
        var foldedValue = new OnnxValue(folded, innerInput, Layout.ChannelsLast);
        OnnxValue y;
        if (mask is null)
        {
            LayerConverter convert = LayerConverters.Find(inner)
                ?? throw new NotSupportedException($"Layer '{wrapper.Name}' (TimeDistributed) wraps layer '{inner.Name}' ({inner.TypeName}), which has no ONNX form in NeuralNet.Onnx.");
            y = convert(graph, inner, [foldedValue], innerOutput);
        }
        else
        {
            string foldedMask = graph.Node("Reshape", [mask, graph.Int64s("folded_mask_shape", [-1, .. Dims(innerInput)[..^1]])]);
            y = MaskedLayerConverters.Find(inner)!(graph, inner, [foldedValue], [foldedMask], innerOutput);
        }

        return graph.Node("Reshape", [graph.ChannelsLast(y).Name, graph.Int64s("unfolded_shape", [-1, wrapper.InputShape[0], .. Dims(innerOutput)])], outputShape, Layout.ChannelsLast);
    }

    private static long[] Dims(TensorShape shape) => [.. shape.Dimensions.ToArray().Select(d => (long)d)];
}
