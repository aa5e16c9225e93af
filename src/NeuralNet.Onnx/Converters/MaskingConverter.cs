using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Masking's values: a position (all axes but the last) whose features all equal the mask value becomes zeros, the others
/// pass unchanged (<c>Equal</c>, <c>Not</c>, <c>Cast</c>, <c>ReduceMax</c> over the features, <c>Greater</c>, <c>Where</c>).
/// The mask it makes is the same real positions without the last axis, written when a layer reads it (see <see cref="MaskFlow"/>).
/// </summary>
internal static class MaskingConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        string real = RealPositions(graph, x, ((Masking)layer).MaskValue);
        return graph.Node("Where", [real, x.Name, graph.Scalar("zero", 0f)], outputShape, Layout.ChannelsLast);
    }

    /// <summary>
    /// Bool (batch, ..., 1): true where any feature of the channels-last <paramref name="x"/> differs from <paramref name="maskValue"/>;
    /// written once per value and mask value, for the layer's output and for its mask.
    /// </summary>
    public static string RealPositions(OnnxGraphBuilder graph, OnnxValue x, float maskValue) =>
        graph.Shared(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"masking\0{x.Name}\0{maskValue:R}"), () =>
        {
            string differs = graph.Node("Not", [graph.Node("Equal", [x.Name, graph.Scalar("mask_value", maskValue)])]);
            string anyDiffers = SampleAxes.Reduce(graph, "ReduceMax",
                graph.Node("Cast", [differs], OnnxAttribute.Int("to", (long)Protobuf.TensorProto.Types.DataType.Float)), [x.Rank - 1]);
            return graph.Node("Greater", [anyDiffers, graph.Scalar("zero", 0f)]);
        });
}
