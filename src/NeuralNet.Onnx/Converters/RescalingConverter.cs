using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Rescaling: <c>y = x · scale + offset</c> as Mul by the scale, then Add of the offset when it is not 0, in the order
/// Predict computes it (the product rounded before the offset is added). Element-wise with scalar constants, so any rank
/// and either layout.
/// </summary>
internal static class RescalingConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var rescaling = (Rescaling)layer;
        OnnxValue x = inputs[0];
        string y = graph.Node("Mul", [x.Name, graph.Scalar("scale", rescaling.Scale)]);
        if (rescaling.Offset != 0f)
        {
            y = graph.Node("Add", [y, graph.Scalar("offset", rescaling.Offset)]);
        }

        return new OnnxValue(y, outputShape, x.Layout);
    }
}
