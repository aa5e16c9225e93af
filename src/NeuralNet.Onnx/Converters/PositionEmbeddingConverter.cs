using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// PositionEmbedding (KerasHub's): the (steps, features) block of position rows as a constant, broadcast to the input's
/// shape with one Expand. Export has fixed lengths, so the block (hierarchical positions included) is known here.
/// </summary>
internal static class PositionEmbeddingConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var embedding = (PositionEmbedding)layer;
        // The block broadcasts over the leading axes of (batch, ..., steps, features): read the input in that order.
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        int steps = layer.InputShape[-2], features = layer.InputShape[-1];
        Tensor positions = embedding.GetPositions(steps);
        string block = graph.Floats("positions", [steps, features], positions.AsReadOnlySpan());
        return graph.Node("Expand", [block, graph.Node("Shape", [x.Name])], outputShape, Layout.ChannelsLast);
    }
}
