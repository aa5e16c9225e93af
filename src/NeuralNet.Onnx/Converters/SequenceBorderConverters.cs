using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// ZeroPadding1D, Cropping1D and UpSampling1D on the steps axis of (batch, steps, channels) values, which stay channels
/// last: a <c>Pad</c> with zeros, a <c>Slice</c>, and a <c>Gather</c> of each step <c>size</c> times (NeuralNet's repeat).
/// </summary>
internal static class SequenceBorderConverters
{
    /// <summary>ZeroPadding1D: <c>Pad</c> (constant 0) by (left, right) steps.</summary>
    public static OnnxValue ZeroPadding1D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var padding = ((Layers.ZeroPadding1D)layer).Padding;
        OnnxValue x = inputs[0];
        if (padding is (0, 0))
        {
            return x;
        }

        // ONNX's pads: the begins of (batch, steps, channels), then the ends.
        string pads = graph.Int64s("pads", 0, padding.Left, 0, 0, padding.Right, 0);
        return graph.Node("Pad", [x.Name, pads], outputShape, x.Layout, OnnxAttribute.String("mode", "constant"));
    }

    /// <summary>Cropping1D: a <c>Slice</c> of steps left..steps − right.</summary>
    public static OnnxValue Cropping1D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var cropping = ((Layers.Cropping1D)layer).Cropping;
        OnnxValue x = inputs[0];
        if (cropping is (0, 0))
        {
            return x;
        }

        string starts = graph.Int64s("starts", cropping.Left);
        string ends = graph.Int64s("ends", layer.InputShape[0] - cropping.Right);
        return graph.Node("Slice", [x.Name, starts, ends, graph.Int64s("axes", 1)], outputShape, x.Layout);
    }

    /// <summary>UpSampling1D: a <c>Gather</c> on the steps axis of step floor(o / size) for every output step o.</summary>
    public static OnnxValue UpSampling1D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        int size = ((Layers.UpSampling1D)layer).Size;
        OnnxValue x = inputs[0];
        if (size == 1)
        {
            return x;
        }

        long[] source = [.. Enumerable.Range(0, outputShape[0]).Select(o => (long)(o / size))];
        return graph.Node("Gather", [x.Name, graph.Int64s("steps", source)], outputShape, x.Layout, OnnxAttribute.Int("axis", 1));
    }
}
