using NeuralNet.Layers;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// CategoryEncoding and Discretization, whose ids are whole numbers held in floats, so comparisons give Predict's values
/// exactly: an id compared (<c>Equal</c>) with every category 0..depth − 1 is its one-hot row, which multi-hot reduces by
/// <c>ReduceMax</c> and count by <c>ReduceSum</c> over each sample's last axis (Keras' <c>encode_categorical_inputs</c>); a
/// Discretization bucket is the number of bin boundaries ≤ the value (<c>Less</c>, <c>Not</c>, <c>ReduceSum</c>: NaN
/// falls in the last bin, as in Predict). Predict refuses ids outside [0, depth); the graph cannot throw, and encodes them
/// as rows of zeros.
/// </summary>
internal static class CategoryConverters
{
    public static OnnxValue CategoryEncoding(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var encoding = (Layers.CategoryEncoding)layer;
        OnnxValue ids = graph.ChannelsLast(inputs[0]);
        return Encode(graph, ids.Name, ids.Rank, encoding.OutputMode, encoding.NumTokens, outputShape);
    }

    public static OnnxValue Discretization(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var discretization = (Layers.Discretization)layer;
        float[] boundaries = [.. discretization.BinBoundaries!];
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        TensorShape bucketShape = inputs[0].Shape;

        // Each value against every boundary on a new last axis: the count of boundaries ≤ the value is its bucket.
        string atOrAbove = graph.Node("Not", [graph.Node("Less", [Unsqueezed(graph, x.Name, x.Rank), graph.Floats("bin_boundaries", [boundaries.Length], boundaries)])]);
        string counted = SampleAxes.Reduce(graph, "ReduceSum", Floats(graph, atOrAbove), [x.Rank]);
        string buckets = graph.Node("Reshape", [counted, ShapeConverters.BatchShape(graph, bucketShape)]);
        return discretization.OutputMode == CategoryOutputMode.Int
            ? new OnnxValue(buckets, outputShape, Layout.ChannelsLast)
            : Encode(graph, buckets, x.Rank, discretization.OutputMode, outputShape[-1], outputShape);
    }

    /// <summary>Whole-number ids (batch, S...) of rank <paramref name="rank"/> (the batch axis included) encoded per <paramref name="mode"/> (see the class); ids outside [0, depth) give nothing.</summary>
    public static OnnxValue Encode(OnnxGraphBuilder graph, string ids, int rank, CategoryOutputMode mode, int depth, TensorShape outputShape)
    {
        float[] categories = [.. Enumerable.Range(0, depth).Select(c => (float)c)];
        string oneHot = Floats(graph, graph.Node("Equal", [Unsqueezed(graph, ids, rank), graph.Floats("categories", [depth], categories)]));

        // Multi-hot and count reduce each sample's last axis (a scalar sample is a row of one id: nothing to reduce).
        string encoded = mode == CategoryOutputMode.OneHot || rank == 1
            ? oneHot
            : SampleAxes.Reduce(graph, mode == CategoryOutputMode.Count ? "ReduceSum" : "ReduceMax", oneHot, [rank - 1]);
        return graph.Node("Reshape", [encoded, ShapeConverters.BatchShape(graph, outputShape)], outputShape, Layout.ChannelsLast);
    }

    private static string Unsqueezed(OnnxGraphBuilder graph, string x, int rank) => graph.Node("Unsqueeze", [x, graph.Int64s("axes", rank)]);

    private static string Floats(OnnxGraphBuilder graph, string condition) =>
        graph.Node("Cast", [condition], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Float));
}
