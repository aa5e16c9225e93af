using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// The merge layers: element-wise Add, Subtract, Divide (Div), Where (Where of the condition compared with 0, a number as x1 or x2 a scalar), Comparison (Greater, Less, Equal, And, Or, Not, cast to float), Multiply, Average (Mean), Maximum (Max), Minimum (Min), and Concatenate.
/// Inputs that share a layout are merged in it; mixed layouts are merged channels last. With masks, Multiply, Maximum
/// and Minimum leave masked positions out as Keras 3 does (the other merges' values do not depend on masks).
/// </summary>
internal static class MergeConverters
{
    public static OnnxValue Add(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Chain(graph, "Add", inputs, outputShape);

    public static OnnxValue Subtract(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Chain(graph, "Sub", inputs, outputShape);

    public static OnnxValue Divide(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Chain(graph, "Div", inputs, outputShape);

    // ONNX's Where takes a boolean condition: Not(Equal(c, 0)) is NumPy's truth of a number, NaN true and -0 false.
    public static OnnxValue Where(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var where = (NeuralNet.Layers.Where)layer;
        List<OnnxValue> values = Broadcastable(graph, inputs, outputShape);
        string truth = graph.Node("Not", [graph.Node("Equal", [values[0].Name, graph.Scalar("zero", 0f)])]);

        // A number in place of x1 or x2 is a scalar initializer, which ONNX's Where broadcasts as NumPy does.
        int next = 1;
        string x1 = where.WhenTrue is float c1 ? graph.Scalar("when_true", c1) : values[next++].Name;
        string x2 = where.WhenFalse is float c2 ? graph.Scalar("when_false", c2) : values[next].Name;
        return graph.Node("Where", [truth, x1, x2], outputShape, values[0].Layout);
    }

    // ONNX's comparisons give booleans, cast to the 0/1 floats the layer gives. a >= b is Or(Greater, Equal), which, as
    // NeuralNet's, is false where either is NaN (Not(Less) would be true); the logical operators compare with 0 first.
    public static OnnxValue Comparison(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var comparison = (NeuralNet.Layers.Comparison)layer;
        List<OnnxValue> values = Broadcastable(graph, inputs, outputShape);
        string a = values[0].Name;
        string b = comparison.Constant is float c ? graph.Scalar("constant", c) : comparison.Operator == ComparisonOperator.LogicalNot ? a : values[1].Name;
        // Only the logical operators compare with 0: an initializer nothing reads makes ONNX Runtime warn.
        string? zero = null;
        string Zero() => zero ??= graph.Scalar("zero", 0f);
        string Truth(string x) => graph.Node("Not", [graph.Node("Equal", [x, Zero()])]);
        string holds = comparison.Operator switch
        {
            ComparisonOperator.Greater => graph.Node("Greater", [a, b]),
            ComparisonOperator.GreaterEqual => graph.Node("Or", [graph.Node("Greater", [a, b]), graph.Node("Equal", [a, b])]),
            ComparisonOperator.Less => graph.Node("Less", [a, b]),
            ComparisonOperator.LessEqual => graph.Node("Or", [graph.Node("Less", [a, b]), graph.Node("Equal", [a, b])]),
            ComparisonOperator.Equal => graph.Node("Equal", [a, b]),
            ComparisonOperator.NotEqual => graph.Node("Not", [graph.Node("Equal", [a, b])]),
            ComparisonOperator.LogicalAnd => graph.Node("And", [Truth(a), Truth(b)]),
            ComparisonOperator.LogicalOr => graph.Node("Or", [Truth(a), Truth(b)]),
            _ => graph.Node("Equal", [a, Zero()]),
        };
        return graph.Node("Cast", [holds], outputShape, values[0].Layout, OnnxAttribute.Int("to", (long)Protobuf.TensorProto.Types.DataType.Float));
    }

    public static OnnxValue Multiply(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Chain(graph, "Mul", inputs, outputShape);

    public static OnnxValue Average(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Variadic(graph, "Mean", inputs, outputShape);

    public static OnnxValue Maximum(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Variadic(graph, "Max", inputs, outputShape);

    public static OnnxValue Minimum(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Variadic(graph, "Min", inputs, outputShape);

    /// <summary>
    /// Multiply with masks (bool, null for none): a masked position of an input counts as 1 (<c>Where</c>, then <c>Mul</c> left
    /// to right, exact: a product by 1 is the other factor), and with every input masked a position masked in all of them is 0.
    /// </summary>
    public static OnnxValue MaskedMultiply(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape)
    {
        List<OnnxValue> values = MaskedOperands(graph, inputs, outputShape);
        string?[] real = [.. masks.Select(m => m is null ? null : PerFeature(graph, m))];
        string Factor(int i) => real[i] is { } r ? graph.Node("Where", [r, values[i].Name, graph.Scalar("one", 1f)]) : values[i].Name;
        string result = Factor(0);
        for (int i = 1; i < values.Count; i++)
        {
            result = graph.Node("Mul", [result, Factor(i)]);
        }

        if (real.All(r => r is not null))
        {
            string any = real.Skip(1).Aggregate(real[0]!, (all, r) => graph.Node("Or", [all, r!]));
            result = graph.Node("Where", [any, result, graph.Scalar("zero", 0f)]);
        }

        return new OnnxValue(result, outputShape, Layout.ChannelsLast);
    }

    /// <summary>Maximum with masks: the largest over the inputs real at a position (see <see cref="MaskedExtremum"/>).</summary>
    public static OnnxValue MaskedMaximum(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape) =>
        MaskedExtremum(graph, "Max", inputs, masks, outputShape);

    /// <summary>Minimum with masks: the smallest over the inputs real at a position.</summary>
    public static OnnxValue MaskedMinimum(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape) =>
        MaskedExtremum(graph, "Min", inputs, masks, outputShape);

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

    /// <summary>Stack: each input channels last, <c>Unsqueeze</c>d at the new axis, then <c>Concat</c> along it.</summary>
    public static OnnxValue Stack(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        int rank = outputShape.Rank + 1, axis = ((Stack)layer).Axis;
        long full = axis < 0 ? axis + rank : axis;
        string axes = graph.Int64s("axes", full);
        return graph.Node("Concat", [.. inputs.Select(x => graph.Node("Unsqueeze", [graph.ChannelsLast(x).Name, axes]))], outputShape, Layout.ChannelsLast,
            OnnxAttribute.Int("axis", full));
    }

    // Keras 3's fold (NeuralNet's Extremum): a masked input leaves the running result as it is, a real one replaces it
    // where every input so far is masked and is folded in (Max, Min) elsewhere; a position masked in every input keeps
    // the first input's value. An input without a mask is real everywhere.
    private static OnnxValue MaskedExtremum(OnnxGraphBuilder graph, string opType, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape)
    {
        List<OnnxValue> values = MaskedOperands(graph, inputs, outputShape);
        string result = values[0].Name;
        string? realSoFar = masks[0] is { } first ? PerFeature(graph, first) : null;
        for (int i = 1; i < values.Count; i++)
        {
            string x = values[i].Name;
            string folded = graph.Node(opType, [result, x]);
            string next = realSoFar is null ? folded : graph.Node("Where", [realSoFar, folded, x]);
            if (masks[i] is { } mask)
            {
                string real = PerFeature(graph, mask);
                next = graph.Node("Where", [real, next, result]);
                realSoFar = realSoFar is null ? null : graph.Node("Or", [realSoFar, real]);
            }
            else
            {
                realSoFar = null;
            }

            result = next;
        }

        return new OnnxValue(result, outputShape, Layout.ChannelsLast);
    }

    // The inputs broadcasting as the unmasked merges do, channels last (as masks are).
    private static List<OnnxValue> MaskedOperands(OnnxGraphBuilder graph, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        [.. Broadcastable(graph, inputs, outputShape).Select(graph.ChannelsLast)];

    // A mask (batch, ...) as (batch, ..., 1), to choose whole feature rows.
    private static string PerFeature(OnnxGraphBuilder graph, string mask) => graph.Node("Unsqueeze", [mask, graph.Int64s("axes", -1)]);

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
