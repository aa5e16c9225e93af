using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Masking's values: a position (all axes but the last) whose features all equal the mask value becomes zeros, the others
/// pass unchanged (<c>Equal</c>, <c>Not</c>, <c>Cast</c>, <c>ReduceMax</c> over the features, <c>Where</c>). The mask it makes is
/// not in the file: export refuses a model where a layer reads it (see OnnxExporter's mask check), so every layer after it
/// computes what it computes without the mask.
/// </summary>
internal static class MaskingConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        string differs = graph.Node("Not", [graph.Node("Equal", [x.Name, graph.Scalar("mask_value", ((Masking)layer).MaskValue)])]);
        string anyDiffers = SampleAxes.Reduce(graph, "ReduceMax",
            graph.Node("Cast", [differs], OnnxAttribute.Int("to", (long)Protobuf.TensorProto.Types.DataType.Float)), [x.Rank - 1]);
        string real = graph.Node("Greater", [anyDiffers, graph.Scalar("zero", 0f)]);
        return graph.Node("Where", [real, x.Name, graph.Scalar("zero", 0f)], outputShape, Layout.ChannelsLast);
    }
}
