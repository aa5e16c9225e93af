using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Rescaling: <c>y = x · scale + offset</c> as Mul by the scale, then Add of the offset when it is not 0, in the order
/// Predict computes it (the product rounded before the offset is added). Element-wise with scalar constants, so any rank
/// and either layout; a factor per channel multiplies by a constant shaped for the value's layout (C) channels last,
/// (C, 1, 1) channels first, so a convolution's channels-first output needs no Transpose.
/// </summary>
internal static class RescalingConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var rescaling = (Rescaling)layer;
        OnnxValue x = inputs[0];
        string scale;
        if (rescaling.ChannelScales is IReadOnlyList<float> channels)
        {
            scale = graph.ChannelConstant(x, "scale", [.. channels]);
        }
        else
        {
            scale = graph.Scalar("scale", rescaling.Scale);
        }

        string y = graph.Node("Mul", [x.Name, scale]);
        if (rescaling.Offset != 0f)
        {
            y = graph.Node("Add", [y, graph.Scalar("offset", rescaling.Offset)]);
        }

        return new OnnxValue(y, outputShape, x.Layout);
    }
}
