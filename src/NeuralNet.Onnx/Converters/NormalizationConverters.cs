using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// LayerNormalization, RMSNormalization, UnitNormalization and GroupNormalization, which normalize each sample on its own, and the
/// preprocessing layer Normalization (fixed statistics), written as their formulas in the order Predict computes them:
/// reductions over the normalized axes of the value's layout, then element-wise nodes with constants shaped to broadcast.
/// </summary>
/// <remarks>
/// Written out at every opset rather than as ONNX's LayerNormalization (opset 17) and GroupNormalization (opset 18, changed
/// in 21): the same nodes then run in every runtime from opset 13, with the centered variance Predict computes.
/// </remarks>
internal static class NormalizationConverters
{
    // Keras' floor on the sum of squares (ops.maximum(square_sum, 1e-12); NeuralNet's UnitNorm.Floor).
    private const float UnitNormFloor = 1e-12f;

    /// <summary>LayerNormalization: standardized over its axes, then · γ and + β (each shaped as the normalized axes).</summary>
    public static OnnxValue LayerNormalization(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var norm = (Layers.LayerNormalization)layer;
        int[] axes = SampleAxes.Resolve(norm.Axes, layer.InputShape.Rank);
        OnnxValue x = SampleAxes.InBroadcastableLayout(graph, inputs[0], axes);
        string y = SampleAxes.Standardize(graph, x.Name, SampleAxes.InLayout(x, axes), norm.Epsilon);

        // γ and β hold their values in the input's axis order whatever order the axes were given in (LayerNormalization.OnBuild).
        y = ScaleAndShift(graph, y, norm.Gamma, norm.Beta, SampleAxes.BroadcastDims(x, axes));
        return new OnnxValue(y, outputShape, x.Layout);
    }

    /// <summary>
    /// RMSNormalization: x · 1/√(mean(x²) + ε) over its trailing axes, then · scale (shaped as the normalized axes), in the
    /// order RmsNorm.Forward computes: Mul, ReduceMean, Add (ε), Sqrt, Reciprocal, Mul, Mul. A channels-first value stays
    /// so when only the channels are normalized.
    /// </summary>
    public static OnnxValue RMSNormalization(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var norm = (Layers.RMSNormalization)layer;
        int[] axes = SampleAxes.Resolve(norm.Axes, layer.InputShape.Rank);
        OnnxValue x = SampleAxes.InBroadcastableLayout(graph, inputs[0], axes);
        string meanSquare = SampleAxes.Reduce(graph, "ReduceMean", graph.Node("Mul", [x.Name, x.Name]), SampleAxes.InLayout(x, axes));
        string inverseRms = graph.Node("Reciprocal", [graph.Node("Sqrt", [graph.Node("Add", [meanSquare, graph.Scalar("epsilon", norm.Epsilon)])])]);
        string y = graph.Node("Mul", [graph.Node("Mul", [x.Name, inverseRms]), graph.Initializer(norm.Scale, SampleAxes.BroadcastDims(x, axes))]);
        return new OnnxValue(y, outputShape, x.Layout);
    }

    /// <summary>UnitNormalization: x · 1/√max(Σx², 1e-12) over its axes (UnitNorm.Forward).</summary>
    public static OnnxValue UnitNormalization(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var norm = (Layers.UnitNormalization)layer;
        int[] axes = SampleAxes.Resolve(norm.Axes, layer.InputShape.Rank);
        OnnxValue x = SampleAxes.InBroadcastableLayout(graph, inputs[0], axes);
        string squares = SampleAxes.Reduce(graph, "ReduceSumSquare", x.Name, SampleAxes.InLayout(x, axes));
        string floored = graph.Node("Max", [squares, graph.Scalar("floor", UnitNormFloor)]);
        string inverseNorm = graph.Node("Reciprocal", [graph.Node("Sqrt", [floored])]);
        return graph.Node("Mul", [x.Name, inverseNorm], outputShape, x.Layout);
    }

    /// <summary>
    /// GroupNormalization: the channel axis split into (groups, channels / groups) by a Reshape, standardized over every
    /// axis but the batch and the group, reshaped back, then · γ and + β per channel. Either layout: the channel axis is
    /// wherever the value holds it.
    /// </summary>
    public static OnnxValue GroupNormalization(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var norm = (Layers.GroupNormalization)layer;
        OnnxValue x = inputs[0];
        int axis = SampleAxes.Resolve([norm.Axis], layer.InputShape.Rank)[0];
        int channels = layer.InputShape[axis];
        int groups = norm.Groups == -1 ? channels : norm.Groups;
        int at = OnnxGraphBuilder.AxisIn(x, axis + 1) - 1;
        long[] dims = SampleAxes.LayoutDims(x);

        // (batch, ..., groups, channels / groups, ...): 0 copies the batch dimension.
        long[] grouped = [0, .. dims[..at], groups, channels / groups, .. dims[(at + 1)..]];
        long[] reduced = [.. Enumerable.Range(1, grouped.Length - 1).Where(a => a != at + 1).Select(a => (long)a)];
        string y = graph.Node("Reshape", [x.Name, graph.Int64s("grouped_shape", grouped)]);
        y = SampleAxes.Standardize(graph, y, reduced, norm.Epsilon);
        y = graph.Node("Reshape", [y, graph.Int64s("shape", [0, .. dims])]);

        // Per channel, broadcast over the axes after the channel axis.
        y = ScaleAndShift(graph, y, norm.Gamma, norm.Beta, [channels, .. Enumerable.Repeat(1L, dims.Length - at - 1)]);
        return new OnnxValue(y, outputShape, x.Layout);
    }

    /// <summary>
    /// Normalization (the preprocessing layer) with its adapted or given statistics: (x − mean) / std, or x · std + mean
    /// inverted, std = max(√variance, 1e-7) computed here as Predict computes it; one value per index of the kept axes.
    /// </summary>
    public static OnnxValue Normalization(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var norm = (Layers.Normalization)layer;
        int[] axes = SampleAxes.Resolve(norm.Axes, layer.InputShape.Rank);
        OnnxValue x = SampleAxes.InBroadcastableLayout(graph, inputs[0], axes);
        int count = axes.Aggregate(1, (n, a) => n * layer.InputShape[a]);
        float[] mean = Statistics(norm.Mean, norm.GivenMean, count);
        float[] std = [.. Statistics(norm.Variance, norm.GivenVariance, count).Select(v => MathF.Max(MathF.Sqrt(v), Layers.Normalization.Epsilon))];
        long[] dims = SampleAxes.BroadcastDims(x, axes);
        string meanValue = graph.Floats("mean", dims, mean), stdValue = graph.Floats("std", dims, std);
        string y = norm.Invert
            ? graph.Node("Add", [graph.Node("Mul", [x.Name, stdValue]), meanValue])
            : graph.Node("Div", [graph.Node("Sub", [x.Name, meanValue]), stdValue]);
        return new OnnxValue(y, outputShape, x.Layout);
    }

    // The adapted statistic, or the given one (one value, or one per kept index) repeated to `count` values.
    private static float[] Statistics(Parameter? adapted, IReadOnlyList<float>? given, int count) =>
        adapted is not null ? adapted.Value.AsReadOnlySpan().ToArray()
        : given!.Count == 1 ? [.. Enumerable.Repeat(given[0], count)]
        : [.. given];

    // · γ and + β, each shaped to broadcast as dims, when the layer has them (center, scale).
    private static string ScaleAndShift(OnnxGraphBuilder graph, string y, Parameter? gamma, Parameter? beta, long[] dims)
    {
        if (gamma is not null)
        {
            y = graph.Node("Mul", [y, graph.Initializer(gamma, dims)]);
        }

        return beta is null ? y : graph.Node("Add", [y, graph.Initializer(beta, dims)]);
    }
}
