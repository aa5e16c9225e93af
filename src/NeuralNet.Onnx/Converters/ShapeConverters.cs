using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>The layers that only move values: Flatten, Reshape, Permute and RepeatVector on channels-last values; DepthToSpace and SpaceToDepth on channels first.</summary>
internal static class ShapeConverters
{
    /// <summary>Flatten: ONNX's Flatten at axis 1, on the channels-last value so that the order of the features is NeuralNet's.</summary>
    public static OnnxValue Flatten(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        return graph.Node("Flatten", [x.Name], outputShape, Layout.ChannelsLast, OnnxAttribute.Int("axis", 1));
    }

    /// <summary>Reshape: the target shape with its -1 resolved, and 0 (copy the input's) for the batch axis.</summary>
    public static OnnxValue Reshape(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        return graph.Node("Reshape", [x.Name, BatchShape(graph, outputShape)], outputShape, Layout.ChannelsLast);
    }

    /// <summary>Permute: a Transpose that keeps the batch axis first (Keras' dims count from 1).</summary>
    public static OnnxValue Permute(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        long[] permutation = [0, .. ((Permute)layer).Dims.Select(d => (long)d)];
        return graph.Node("Transpose", [x.Name], outputShape, Layout.ChannelsLast, OnnxAttribute.Ints("perm", permutation));
    }

    /// <summary>RepeatVector: (N, D) unsqueezed to (N, 1, D), then tiled n times along the new axis.</summary>
    public static OnnxValue RepeatVector(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        string unsqueezed = graph.Node("Unsqueeze", [x.Name, graph.Int64s("axes", 1)]);
        return graph.Node("Tile", [unsqueezed, graph.Int64s("repeats", 1, ((RepeatVector)layer).Count, 1)], outputShape, Layout.ChannelsLast);
    }

    /// <summary>
    /// DepthToSpace / SpaceToDepth: ONNX's operators of the same names on the channels-first image, mode DCR, which reads
    /// the channels in TensorFlow's order ((bi*b + bj)*c + k), the layers' order.
    /// </summary>
    public static OnnxValue DepthSpace(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        OnnxValue x = graph.ChannelsFirst(inputs[0]);
        (string op, int blockSize) = layer switch
        {
            DepthToSpace d => ("DepthToSpace", d.BlockSize),
            _ => ("SpaceToDepth", ((SpaceToDepth)layer).BlockSize),
        };

        // SpaceToDepth has no mode attribute: its one order is DCR.
        return op == "DepthToSpace"
            ? graph.Node(op, [x.Name], outputShape, Layout.ChannelsFirst, OnnxAttribute.Int("blocksize", blockSize), OnnxAttribute.String("mode", "DCR"))
            : graph.Node(op, [x.Name], outputShape, Layout.ChannelsFirst, OnnxAttribute.Int("blocksize", blockSize));
    }

    /// <summary>A Reshape target for values whose samples have <paramref name="shape"/>: 0 (the input's batch size), then the sample's dimensions.</summary>
    public static string BatchShape(OnnxGraphBuilder graph, TensorShape shape) =>
        graph.Int64s("shape", [0, .. shape.Dimensions.ToArray().Select(d => (long)d)]);
}
