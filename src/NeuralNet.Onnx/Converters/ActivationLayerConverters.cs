using NeuralNet.Activations;
using NeuralNet.Layers;
using Softmax = NeuralNet.Layers.Softmax;

namespace NeuralNet.Onnx.Converters;

/// <summary>The Keras activation layers (ReLU, LeakyReLU, ELU, PReLU, Softmax) and LogSoftmax as ONNX nodes; element-wise, so any layout.</summary>
internal static class ActivationLayerConverters
{
    /// <summary>ReLU: Relu; with only a maximum, Clip; otherwise Keras' formula written out.</summary>
    public static OnnxValue ReLU(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var relu = (Layers.ReLU)layer;
        OnnxValue x = inputs[0];
        if (relu.NegativeSlope == 0f && relu.Threshold == 0f)
        {
            return relu.MaxValue is float max
                ? graph.Node("Clip", [x.Name, graph.Scalar("zero", 0f), graph.Scalar("max_value", max)], x.Shape, x.Layout)
                : graph.Node("Relu", [x.Name], x.Shape, x.Layout);
        }

        // (x > threshold ? min(x, max_value) : 0) + negative_slope * min(x - threshold, 0)
        string zero = graph.Scalar("zero", 0f), threshold = graph.Scalar("threshold", relu.Threshold);
        string capped = relu.MaxValue is float m ? graph.Node("Min", [x.Name, graph.Scalar("max_value", m)]) : x.Name;
        string positive = graph.Node("Where", [graph.Node("Greater", [x.Name, threshold]), capped, zero]);
        string negative = graph.Node("Mul", [graph.Node("Min", [graph.Node("Sub", [x.Name, threshold]), zero]), graph.Scalar("negative_slope", relu.NegativeSlope)]);
        return graph.Node("Add", [positive, negative], x.Shape, x.Layout);
    }

    /// <summary>LeakyReLU: ONNX LeakyRelu.</summary>
    public static OnnxValue LeakyReLU(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        ActivationConverter.Apply(graph, new LeakyRelu(((Layers.LeakyReLU)layer).NegativeSlope), inputs[0], layer);

    /// <summary>ELU: ONNX Elu.</summary>
    public static OnnxValue ELU(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        ActivationConverter.Apply(graph, new Elu(((Layers.ELU)layer).Alpha), inputs[0], layer);

    /// <summary>
    /// PReLU: ONNX PRelu with the learned alpha as its slope, shaped as the sample with 1 on the shared axes (ONNX broadcasts
    /// it over the batch). PRelu's x &lt; 0 ? alpha · x : x is Predict's max(x, 0) + alpha · min(x, 0) exactly. A
    /// channels-first image or volume stays so when alpha is one per channel (shared over every other axis); else it is
    /// turned back.
    /// </summary>
    public static OnnxValue PReLU(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        Parameter alpha = ((Layers.PReLU)layer).Alpha;
        long[] shape = [.. alpha.Shape.Dimensions.ToArray().Select(d => (long)d)];
        OnnxValue x = inputs[0];
        if (x.Layout == Layout.ChannelsFirst && shape[..^1].Any(d => d != 1))
        {
            x = graph.ChannelsLast(x);
        }

        long[] dims = x.Layout == Layout.ChannelsFirst ? [shape[^1], .. shape[..^1]] : shape;
        return graph.Node("PRelu", [x.Name, graph.Initializer(alpha, dims)], outputShape, x.Layout);
    }

    /// <summary>Softmax over one axis: ONNX Softmax with that axis (opset 13's, over one axis); several axes have no converter yet.</summary>
    public static OnnxValue Softmax(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        layer.EndsWithSoftmax
            ? ActivationConverter.Apply(graph, ActivationFunction.Softmax, inputs[0], layer)
            : OverOneAxis(graph, layer, inputs[0], ((Softmax)layer).Axes, "Softmax");

    /// <summary>LogSoftmax over one axis: ONNX LogSoftmax with that axis; several axes have no converter yet.</summary>
    public static OnnxValue LogSoftmax(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        OverOneAxis(graph, layer, inputs[0], ((Layers.LogSoftmax)layer).Axes, "LogSoftmax");

    private static OnnxValue OverOneAxis(OnnxGraphBuilder graph, Layer layer, OnnxValue x, IReadOnlyList<int> axes, string op)
    {
        if (axes is not [int axis])
        {
            throw new NotSupportedException($"Layer '{layer.Name}' ({layer.TypeName}) runs over axes [{string.Join(", ", axes)}] taken together; NeuralNet.Onnx exports a {layer.TypeName} layer over one axis only.");
        }

        int full = axis < 0 ? axis + x.Rank : axis;
        return graph.Node(op, [x.Name], x.Shape, x.Layout, OnnxAttribute.Int("axis", OnnxGraphBuilder.AxisIn(x, full)));
    }
}
