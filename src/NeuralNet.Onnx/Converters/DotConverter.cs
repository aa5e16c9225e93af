using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Dot as NeuralNet computes it, per sample: A (M, K), the first input with its axis moved last; B (K, N), the second with
/// its axis moved first; optionally each row of A and column of B divided by max(‖·‖₂, 1e-7); then A·B reshaped to the
/// output shape. In ONNX: Transpose, Reshape, (ReduceL2, Max, Div), MatMul, Reshape.
/// </summary>
internal static class DotConverter
{
    private const float Epsilon = 1e-7f;

    /// <summary>The opset from which ReduceL2 takes its axes as an input rather than an attribute.</summary>
    private const int ReduceAxesInputOpset = 18;

    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var dot = (Dot)layer;
        OnnxValue a = graph.ChannelsLast(inputs[0]), b = graph.ChannelsLast(inputs[1]);
        int axisA = FullAxis(dot.Axes.First, a.Rank), axisB = FullAxis(dot.Axes.Second, b.Rank);
        long k = a.Shape[axisA - 1];
        long m = a.Shape.ElementCount / k, n = b.Shape.ElementCount / k;

        string left = MoveAxis(graph, a, axisA, toFront: false, [0, m, k]);
        string right = MoveAxis(graph, b, axisB, toFront: true, [0, k, n]);
        if (dot.Normalize)
        {
            left = graph.Node("Div", [left, Norm(graph, left, 2)]);
            right = graph.Node("Div", [right, Norm(graph, right, 1)]);
        }

        string product = graph.Node("MatMul", [left, right]);
        return graph.Node("Reshape", [product, ShapeConverters.BatchShape(graph, outputShape)], outputShape, Layout.ChannelsLast);
    }

    private static int FullAxis(int axis, int rank) => axis < 0 ? axis + rank : axis;

    // The value with 'axis' moved last (toFront false) or right after the batch axis (toFront true), reshaped to 'shape'.
    private static string MoveAxis(OnnxGraphBuilder graph, OnnxValue value, int axis, bool toFront, long[] shape)
    {
        List<long> others = [.. Enumerable.Range(1, value.Rank - 1).Where(d => d != axis).Select(d => (long)d)];
        long[] permutation = toFront ? [0, axis, .. others] : [0, .. others, axis];
        string moved = permutation.Select((p, i) => p == i).All(same => same)
            ? value.Name
            : graph.Node("Transpose", [value.Name], OnnxAttribute.Ints("perm", permutation));
        return graph.Node("Reshape", [moved, graph.Int64s("shape", shape)]);
    }

    // max(‖x‖₂ over 'axis', ε), kept as a broadcastable axis of size 1.
    private static string Norm(OnnxGraphBuilder graph, string x, long axis)
    {
        string norm = graph.Opset >= ReduceAxesInputOpset
            ? graph.Node("ReduceL2", [x, graph.Int64s("axes", axis)], OnnxAttribute.Int("keepdims", 1))
            : graph.Node("ReduceL2", [x], OnnxAttribute.Ints("axes", axis), OnnxAttribute.Int("keepdims", 1));
        return graph.Node("Max", [norm, graph.Scalar("epsilon", Epsilon)]);
    }
}
