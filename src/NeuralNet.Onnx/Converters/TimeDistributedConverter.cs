using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// TimeDistributed as Predict runs it: the input (batch, steps, ...) reshaped to (batch·steps, ...), the wrapped layer
/// written by its own converter (weights named <c>time_distributed/dense/kernel</c>, ...), its output turned channels last and
/// reshaped back to (batch, steps, ...output). Any layer with an ONNX form can be wrapped, a wrapper too.
/// </summary>
internal static class TimeDistributedConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var wrapper = (TimeDistributed)layer;
        Layer inner = wrapper.InnerLayer;
        LayerConverter convert = LayerConverters.Find(inner)
            ?? throw new NotSupportedException($"Layer '{layer.Name}' (TimeDistributed) wraps layer '{inner.Name}' ({inner.TypeName}), which has no ONNX form in NeuralNet.Onnx.");
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        TensorShape innerInput = inner.InputShape, innerOutput = inner.OutputShape;

        // -1: the batch times the steps, which the graph only knows when it runs.
        string folded = graph.Node("Reshape", [x.Name, graph.Int64s("folded_shape", [-1, .. Dims(innerInput)])]);
        OnnxValue y = graph.ChannelsLast(convert(graph, inner, [new OnnxValue(folded, innerInput, Layout.ChannelsLast)], innerOutput));
        return graph.Node("Reshape", [y.Name, graph.Int64s("unfolded_shape", [-1, wrapper.InputShape[0], .. Dims(innerOutput)])], outputShape, Layout.ChannelsLast);
    }

    private static long[] Dims(TensorShape shape) => [.. shape.Dimensions.ToArray().Select(d => (long)d)];
}
