using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// The merge layers: element-wise Add, Subtract, Multiply, Average (Mean), Maximum (Max), Minimum (Min), and Concatenate.
/// Inputs that share a layout are merged in it; mixed layouts are merged channels last.
/// </summary>
internal static class MergeConverters
{
    public static OnnxValue Add(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Chain(graph, "Add", inputs, outputShape);

    public static OnnxValue Subtract(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Chain(graph, "Sub", inputs, outputShape);

    public static OnnxValue Multiply(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Chain(graph, "Mul", inputs, outputShape);

    public static OnnxValue Average(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Variadic(graph, "Mean", inputs, outputShape);

    public static OnnxValue Maximum(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Variadic(graph, "Max", inputs, outputShape);

    public static OnnxValue Minimum(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Variadic(graph, "Min", inputs, outputShape);

    /// <summary>Concatenate along the layer's axis (Keras counts the batch axis), mapped into the inputs' layout.</summary>
    public static OnnxValue Concatenate(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        List<OnnxValue> values = SameLayout(graph, inputs);
        int rank = values[0].Rank;
        int axis = ((Concatenate)layer).Axis;
        axis = axis < 0 ? axis + rank : axis;
        return graph.Node("Concat", [.. values.Select(v => v.Name)], outputShape, values[0].Layout,
            OnnxAttribute.Int("axis", OnnxGraphBuilder.AxisIn(values[0], axis)));
    }

    // Binary operators applied left to right, ((a ∘ b) ∘ c) ..., as NeuralNet's merges compute them.
    private static OnnxValue Chain(OnnxGraphBuilder graph, string opType, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        List<OnnxValue> values = Broadcastable(graph, inputs, outputShape);
        string result = values[0].Name;
        for (int i = 1; i < values.Count; i++)
        {
            result = graph.Node(opType, [result, values[i].Name]);
        }

        return new OnnxValue(result, outputShape, values[0].Layout);
    }

    private static OnnxValue Variadic(OnnxGraphBuilder graph, string opType, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        List<OnnxValue> values = Broadcastable(graph, inputs, outputShape);
        return graph.Node(opType, [.. values.Select(v => v.Name)], outputShape, values[0].Layout);
    }

    // Inputs of the output's rank broadcast as ONNX's operators do once they share a layout. An input of lower rank gets
    // size-1 axes right after the batch axis, as Keras' merges add them; ONNX would align it with the batch axis instead.
    private static List<OnnxValue> Broadcastable(OnnxGraphBuilder graph, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        if (inputs.All(v => v.Shape.Rank == outputShape.Rank))
        {
            return SameLayout(graph, inputs);
        }

        var values = new List<OnnxValue>(inputs.Count);
        foreach (OnnxValue input in inputs)
        {
            OnnxValue value = graph.ChannelsLast(input);
            int missing = outputShape.Rank - value.Shape.Rank;
            if (missing > 0)
            {
                long[] axes = [.. Enumerable.Range(1, missing).Select(a => (long)a)];
                string expanded = graph.Node("Unsqueeze", [value.Name, graph.Int64s("axes", axes)]);
                value = new OnnxValue(expanded, new TensorShape([.. Enumerable.Repeat(1, missing), .. value.Shape.Dimensions]), Layout.ChannelsLast);
            }

            values.Add(value);
        }

        return values;
    }

    private static List<OnnxValue> SameLayout(OnnxGraphBuilder graph, IReadOnlyList<OnnxValue> inputs) =>
        inputs.All(v => v.Layout == inputs[0].Layout) ? [.. inputs] : [.. inputs.Select(graph.ChannelsLast)];
}
