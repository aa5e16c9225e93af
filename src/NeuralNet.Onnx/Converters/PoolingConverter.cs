using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>MaxPooling2D and AveragePooling2D as MaxPool and AveragePool (padding not counted in averages, as Keras), and global average pooling of images and volumes.</summary>
internal static class PoolingConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var pooling = (Pooling2D)layer;
        OnnxValue x = graph.ChannelsFirst(inputs[0]);
        TensorShape input = layer.InputShape;
        List<Protobuf.AttributeProto> attributes =
        [
            OnnxAttribute.Ints("kernel_shape", pooling.PoolSize.Height, pooling.PoolSize.Width),
            OnnxAttribute.Ints("strides", pooling.Strides.Height, pooling.Strides.Width),
            OnnxAttribute.Ints("pads", SamePadding.Pads(pooling.Padding, input[0], input[1], pooling.PoolSize, pooling.Strides)),
        ];
        if (pooling is AveragePooling2D)
        {
            attributes.Add(OnnxAttribute.Int("count_include_pad", 0));
        }

        return graph.Node(pooling is MaxPooling2D ? "MaxPool" : "AveragePool", [x.Name], outputShape, Layout.ChannelsFirst, [.. attributes]);
    }

    /// <summary>
    /// GlobalAveragePooling2D and GlobalAveragePooling3D: GlobalAveragePool on the channels-first image or volume, then the
    /// (N, C, 1, 1) or (N, C, 1, 1, 1) result flattened to (N, C); kept channels first when the 2D layer keeps its axes.
    /// </summary>
    public static OnnxValue ConvertGlobalAverage(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        OnnxValue x = graph.ChannelsFirst(inputs[0]);
        if (layer is GlobalAveragePooling2D { KeepDims: true })
        {
            return graph.Node("GlobalAveragePool", [x.Name], outputShape, Layout.ChannelsFirst);
        }

        string pooled = graph.Node("GlobalAveragePool", [x.Name]);
        return graph.Node("Flatten", [pooled], outputShape, Layout.ChannelsLast, OnnxAttribute.Int("axis", 1));
    }
}
