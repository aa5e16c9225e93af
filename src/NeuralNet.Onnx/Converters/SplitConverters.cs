using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// <see cref="Split"/> and <see cref="Unstack"/>: one <c>Slice</c> per piece along the axis (channels last), and for
/// Unstack a <c>Reshape</c> that drops the axis. One <c>Split</c> node (from opset 13, the exporter's minimum, <c>split</c> is
/// an input) would do the same; Slice was kept as the form written and checked in ONNX Runtime.
/// </summary>
internal static class SplitConverters
{
    /// <summary>The first piece alone: the converter of a Split or Unstack with one output.</summary>
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Outputs(graph, layer, inputs)[0];

    /// <summary>Every piece, in the order of the layer's outputs.</summary>
    public static OnnxValue[] Outputs(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs)
    {
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        (int keras, bool drop) = layer switch
        {
            Split split => (split.Axis, false),
            Unstack unstack => (unstack.Axis, true),
            _ => throw new ArgumentException($"{layer.Name} is neither a Split nor an Unstack.", nameof(layer)),
        };
        TensorShape input = layer.InputShapes[0];
        int axis = keras < 0 ? keras + input.Rank + 1 : keras;
        IReadOnlyList<TensorShape> shapes = layer.OutputShapes;
        var outputs = new OnnxValue[shapes.Count];
        int start = 0;
        for (int p = 0; p < shapes.Count; p++)
        {
            int size = drop ? 1 : shapes[p][axis - 1];
            string piece = graph.Node("Slice", [x.Name, graph.Int64s("starts", start), graph.Int64s("ends", start + size), graph.Int64s("axes", axis)]);
            if (drop)
            {
                // 0 keeps the batch size as it is in the input.
                piece = graph.Node("Reshape", [piece, graph.Int64s("shape", [0, .. shapes[p].Dimensions.ToArray().Select(d => (long)d)])]);
            }

            outputs[p] = new OnnxValue(piece, shapes[p], Layout.ChannelsLast);
            start += size;
        }

        return outputs;
    }
}
