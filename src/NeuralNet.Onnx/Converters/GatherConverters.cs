using NeuralNet.Layers;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// The gather and segment layers on channels-last values, the float indices cast to int64 and taken modulo the axis'
/// size (ONNX <c>Mod</c>, NumPy's sign: -1 becomes n - 1), so that negative indices read as in the layer.
/// Take: data reshaped to (batch, outer, n, inner) and indices to (batch, 1, m, 1), expanded to (batch, outer, m,
/// inner), <c>GatherElements</c> on axis 2, reshaped to the output (each sample reads its own indices).
/// TakeAlongAxis: <c>GatherElements</c> on the axis, after <c>Expand</c> of the inputs to the broadcast shape.
/// SegmentSum and SegmentMax: <c>ScatterElements</c> on axis 1 with reduction add (opset 16) or max (opset 18) into
/// (batch, numSegments + 1, inner) filled with 0 or float32's lowest (the layer's empty segment), the ids expanded over
/// inner and every id out of range sent to the extra segment, which a <c>Slice</c> cuts off: dropped, as by the layers.
/// Take with no axis reads each sample flattened: (batch, 1, n, 1).
/// </summary>
internal static class GatherConverters
{
    /// <summary>The first opset whose ScatterElements takes reduction="add".</summary>
    public const int ScatterAddOpset = 16;

    /// <summary>The first opset whose ScatterElements takes reduction="max".</summary>
    public const int ScatterMaxOpset = 18;

    public static OnnxValue Take(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var take = (Take)layer;
        TensorShape data = layer.InputShapes[0];

        // With no axis, each sample's data is read flattened: one axis of all its entries.
        long outer = 1, size = data.ElementCount;
        if (take.Axis is int given)
        {
            int axis = given < 0 ? given + data.Rank : given - 1;
            for (int d = 0; d < axis; d++)
            {
                outer *= data[d];
            }

            size = data[axis];
        }

        long inner = data.ElementCount / (outer * size), count = layer.InputShapes[1].ElementCount;
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        string values = graph.Node("Reshape", [x.Name, graph.Int64s("data_shape", 0, outer, size, inner)]);
        string indices = Indices(graph, inputs[1], size);
        indices = graph.Node("Reshape", [indices, graph.Int64s("indices_shape", 0, 1, count, 1)]);
        indices = graph.Node("Expand", [indices, graph.Int64s("expanded", 1, outer, count, inner)]);
        string gathered = graph.Node("GatherElements", [values, indices], OnnxAttribute.Int("axis", 2));
        return graph.Node("Reshape", [gathered, ShapeConverters.BatchShape(graph, outputShape)], outputShape, Layout.ChannelsLast);
    }

    public static OnnxValue TakeAlongAxis(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var take = (TakeAlongAxis)layer;
        TensorShape data = layer.InputShapes[0], indexShape = layer.InputShapes[1];
        int axis = take.Axis < 0 ? take.Axis + data.Rank : take.Axis - 1;
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        string values = x.Name;
        string indices = Indices(graph, inputs[1], data[axis]);

        // GatherElements does not broadcast: both to the output's shape, each keeping its own size on the axis (1 stands
        // for the batch, which Expand keeps).
        long[] Target(TensorShape own) => [1, .. outputShape.Dimensions.ToArray().Select((d, i) => (long)(i == axis ? own[i] : d))];
        if (!Target(data).Skip(1).SequenceEqual(data.Dimensions.ToArray().Select(d => (long)d)))
        {
            values = graph.Node("Expand", [values, graph.Int64s("data_shape", Target(data))]);
        }

        if (!Target(indexShape).Skip(1).SequenceEqual(indexShape.Dimensions.ToArray().Select(d => (long)d)))
        {
            indices = graph.Node("Expand", [indices, graph.Int64s("indices_shape", Target(indexShape))]);
        }

        return graph.Node("GatherElements", [values, indices], outputShape, Layout.ChannelsLast, OnnxAttribute.Int("axis", axis + 1));
    }

    public static OnnxValue SegmentSum(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Segment(graph, layer, inputs, outputShape, ((SegmentSum)layer).NumSegments, "add", ScatterAddOpset, 0f);

    public static OnnxValue SegmentMax(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Segment(graph, layer, inputs, outputShape, ((SegmentMax)layer).NumSegments, "max", ScatterMaxOpset, Layers.SegmentMax.EmptySegmentValue);

    private static OnnxValue Segment(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape, int segments, string reduction, int opset, float empty)
    {
        if (graph.Opset < opset)
        {
            throw new NotSupportedException(
                $"Layer '{layer.Name}' ({layer.TypeName}) exports as ScatterElements with reduction=\"{reduction}\", which ONNX has from opset {opset}; the export asked for opset {graph.Opset}. Export with OnnxExportOptions.Opset = {opset} or later.");
        }

        long count = layer.InputShapes[1].ElementCount, inner = layer.InputShapes[0].ElementCount / count;
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        string updates = graph.Node("Reshape", [x.Name, graph.Int64s("data_shape", 0, count, inner)]);

        // An id outside [0, segments) is dropped, as by the layer: clamped to [-1, segments] while a float (no cast of a huge
        // value), then Mod (segments + 1) sends -1 to segments, an extra segment that collects the dropped rows and is cut off.
        string ids = graph.Node("Min", [graph.Node("Max", [graph.ChannelsLast(inputs[1]).Name, graph.Floats("below", [1], [-1f])]), graph.Floats("past", [1], [segments])]);
        ids = graph.Node("Cast", [ids], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Int64));
        ids = graph.Node("Mod", [ids, graph.Int64s("kept", segments + 1L)]);
        ids = graph.Node("Reshape", [ids, graph.Int64s("ids_shape", 0, count, 1)]);
        ids = graph.Node("Expand", [ids, graph.Int64s("expanded", 1, count, inner)]);

        // (batch, segments + 1, inner) filled with the empty segment's value: the batch size read from the data.
        string batch = graph.Node("Slice", [graph.Node("Shape", [updates]), graph.Int64s("batch_start", 0), graph.Int64s("batch_end", 1)]);
        string shape = graph.Node("Concat", [batch, graph.Int64s("segment_shape", segments + 1L, inner)], OnnxAttribute.Int("axis", 0));
        string initial = graph.Node("Expand", [graph.Floats("empty", [1], [empty]), shape]);
        string scattered = graph.Node("ScatterElements", [initial, ids, updates], OnnxAttribute.Int("axis", 1), OnnxAttribute.String("reduction", reduction));
        string kept = graph.Node("Slice", [scattered, graph.Int64s("kept_start", 0), graph.Int64s("kept_end", segments), graph.Int64s("kept_axis", 1)]);
        return graph.Node("Reshape", [kept, ShapeConverters.BatchShape(graph, outputShape)], outputShape, Layout.ChannelsLast);
    }

    // The float indices as int64 in [0, size): Cast, then Mod by the size (ONNX Mod with fmod=0 takes the divisor's sign).
    private static string Indices(OnnxGraphBuilder graph, OnnxValue indices, long size)
    {
        string cast = graph.Node("Cast", [graph.ChannelsLast(indices).Name], OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Int64));
        return graph.Node("Mod", [cast, graph.Int64s("size", size)]);
    }
}
