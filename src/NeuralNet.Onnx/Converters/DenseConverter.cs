using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>Dense: MatMul with the kernel (in, units) over the last axis, Add of the bias, then the activation as its own node.</summary>
internal static class DenseConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var dense = (Dense)layer;
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        string y = graph.Node("MatMul", [x.Name, graph.Initializer(dense.Kernel, relayout: LoraWeights.Merged(dense))]);
        if (dense.Bias is { } bias)
        {
            y = graph.Node("Add", [y, graph.Initializer(bias)]);
        }

        return ActivationConverter.Apply(graph, dense.Activation, new OnnxValue(y, outputShape, Layout.ChannelsLast), layer);
    }
}
