namespace NeuralNet.Onnx.Converters;

/// <summary>
/// The layers that normalize or scale over some axes of a sample (LayerNormalization, RMSNormalization, UnitNormalization,
/// GroupNormalization, Normalization, PReLU): their axes and their per-index constants mapped into the layout a value has
/// in the graph, and ONNX's reductions, whose axes moved from an attribute to an input at different opsets.
/// </summary>
internal static class SampleAxes
{
    /// <summary>The opset from which ReduceMean, ReduceSumSquare and ReduceL2 take their axes as an input (ReduceSum: 13).</summary>
    private const int ReduceAxesInputOpset = 18;

    /// <summary>
    /// Keras' axes (counting the batch axis, negative from the end) of a value with <paramref name="sampleRank"/> sample axes,
    /// as sorted sample axes (0 is a sample's first axis); the layers validated them when they were built.
    /// </summary>
    public static int[] Resolve(IEnumerable<int> kerasAxes, int sampleRank) =>
        [.. kerasAxes.Select(a => (a < 0 ? a + sampleRank + 1 : a) - 1).Distinct().Order()];

    /// <summary>
    /// <paramref name="x"/> itself when constants over <paramref name="sampleAxes"/> broadcast in its layout: always channels
    /// last, and channels first when only the channels are involved (constants (C, 1, 1), or (C, 1, 1, 1) for a volume);
    /// otherwise the value channels last.
    /// </summary>
    public static OnnxValue InBroadcastableLayout(OnnxGraphBuilder graph, OnnxValue x, int[] sampleAxes) =>
        x.Layout == Layout.ChannelsFirst && !(sampleAxes.Length == 0 || (sampleAxes.Length == 1 && sampleAxes[0] == x.Shape.Rank - 1)) ? graph.ChannelsLast(x) : x;

    /// <summary>The axes of <paramref name="x"/>'s layout (batch axis 0) that NeuralNet numbers <paramref name="sampleAxes"/> (sample axis 0 first).</summary>
    public static long[] InLayout(OnnxValue x, int[] sampleAxes) => [.. sampleAxes.Select(a => (long)OnnxGraphBuilder.AxisIn(x, a + 1)).Order()];

    /// <summary>
    /// The dims of a constant that holds one value per index of <paramref name="sampleAxes"/> (in NeuralNet's order) and
    /// broadcasts over <paramref name="x"/> (from <see cref="InBroadcastableLayout"/>): the sample's dims with 1 on the other
    /// axes, or (C, 1, 1) (a volume: (C, 1, 1, 1)) channels first; () when no axis is kept (one value for all).
    /// </summary>
    public static long[] BroadcastDims(OnnxValue x, int[] sampleAxes)
    {
        if (sampleAxes.Length == 0)
        {
            return [];
        }

        if (x.Layout == Layout.ChannelsFirst)
        {
            return [x.Shape[x.Shape.Rank - 1], .. Enumerable.Repeat(1L, x.Shape.Rank - 1)];
        }

        var dims = new long[x.Shape.Rank];
        for (int a = 0; a < dims.Length; a++)
        {
            dims[a] = sampleAxes.Contains(a) ? x.Shape[a] : 1;
        }

        return dims;
    }

    /// <summary>The per-sample dims of <paramref name="x"/> in its layout: (C, H, W) for a channels-first image, (C, D, H, W) for a volume.</summary>
    public static long[] LayoutDims(OnnxValue x)
    {
        long[] dims = [.. x.Shape.Dimensions.ToArray().Select(d => (long)d)];
        return x.Layout == Layout.ChannelsFirst ? [dims[^1], .. dims[..^1]] : dims;
    }

    /// <summary><paramref name="opType"/> (ReduceMean, ReduceSumSquare, ...) of <paramref name="x"/> over <paramref name="axes"/>, kept as axes of size 1.</summary>
    public static string Reduce(OnnxGraphBuilder graph, string opType, string x, long[] axes) =>
        graph.Opset >= ReduceAxesInputOpset || opType == "ReduceSum"
            ? graph.Node(opType, [x, graph.Int64s("axes", axes)], OnnxAttribute.Int("keepdims", 1))
            : graph.Node(opType, [x], OnnxAttribute.Ints("axes", axes), OnnxAttribute.Int("keepdims", 1));

    /// <summary>
    /// (x − mean) · 1/√(variance + ε) over <paramref name="axes"/>, with the biased variance of the centered values: the order
    /// NeuralNet's LayerNorm and GroupNorm kernels compute in (ReduceMean, Sub, Mul, ReduceMean, Add, Sqrt, Reciprocal, Mul).
    /// </summary>
    public static string Standardize(OnnxGraphBuilder graph, string x, long[] axes, float epsilon)
    {
        string centered = graph.Node("Sub", [x, Reduce(graph, "ReduceMean", x, axes)]);
        string variance = Reduce(graph, "ReduceMean", graph.Node("Mul", [centered, centered]), axes);
        string inverseStd = graph.Node("Reciprocal", [graph.Node("Sqrt", [graph.Node("Add", [variance, graph.Scalar("epsilon", epsilon)])])]);
        return graph.Node("Mul", [centered, inverseStd]);
    }
}
