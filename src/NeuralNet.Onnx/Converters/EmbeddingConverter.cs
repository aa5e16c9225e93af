using NeuralNet.Layers;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Converters;

/// <summary>Embedding: the float ids cast to int64, then Gather of the embeddings' rows.</summary>
internal static class EmbeddingConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var embedding = (Embedding)layer;
        OnnxValue ids = graph.ChannelsLast(inputs[0]);
        string indices = graph.Node("Cast", [ids.Name], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Int64));
        return graph.Node("Gather", [graph.Initializer(embedding.Embeddings, relayout: LoraWeights.Merged(embedding)), indices], outputShape, Layout.ChannelsLast, OnnxAttribute.Int("axis", 0));
    }
}
