using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// LayerScale (Keras' convnext.LayerScale): <c>y = x · gamma</c> as one Mul by gamma shaped to broadcast over the last
/// axis in the value's layout (channels first for an image or volume that arrives so), any rank.
/// </summary>
internal static class LayerScaleConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var scale = (LayerScale)layer;
        OnnxValue x = inputs[0];
        string y = graph.Node("Mul", [x.Name, graph.ChannelConstant(x, "gamma", scale.Gamma.Value.AsReadOnlySpan())]);
        return new OnnxValue(y, outputShape, x.Layout);
    }
}
