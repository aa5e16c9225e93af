using NeuralNet.Layers;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// ReversibleEmbedding: a call on ids as Embedding's (Cast, Gather); a reverse call as MatMul with the embeddings'
/// Transpose (tied; the file keeps the one matrix) or with reverse_embeddings, then Div, Tanh and Mul for the soft cap.
/// </summary>
internal static class ReversibleEmbeddingConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var embedding = (ReversibleEmbedding)layer;
        OnnxValue input = graph.ChannelsLast(inputs[0]);

        // A lookup appends an axis (ids (..) -> (.., outputDim)); a reverse call replaces the last one (.., inputDim).
        if (outputShape.Rank == input.Shape.Rank + 1)
        {
            string indices = graph.Node("Cast", [input.Name], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Int64));
            return graph.Node("Gather", [graph.Initializer(embedding.Embeddings), indices], outputShape, Layout.ChannelsLast, OnnxAttribute.Int("axis", 0));
        }

        string kernel = embedding.TieWeights
            ? graph.Node("Transpose", [graph.Initializer(embedding.Embeddings)], OnnxAttribute.Ints("perm", 1, 0))
            : graph.Initializer(embedding.ReverseEmbeddings!);
        string logits = graph.Node("MatMul", [input.Name, kernel]);
        if (embedding.LogitSoftCap is float cap)
        {
            // Keras' order: divide, tanh, multiply.
            string c = graph.Scalar("logit_soft_cap", cap);
            logits = graph.Node("Mul", [graph.Node("Tanh", [graph.Node("Div", [logits, c])]), c]);
        }

        return new OnnxValue(logits, outputShape, Layout.ChannelsLast);
    }
}
