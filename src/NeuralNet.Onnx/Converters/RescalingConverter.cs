using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Rescaling: <c>y = x · scale + offset</c> as Mul by the scale, then Add of the offset when it is not 0, in the order
/// Predict computes it (the product rounded before the offset is added). Element-wise with scalar constants, so any rank
/// and either layout; a factor per channel multiplies a channels-last value by a vector, which broadcasts over the last axis.
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
            x = graph.ChannelsLast(x);
            scale = graph.Floats("scale", [channels.Count], [.. channels]);
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
