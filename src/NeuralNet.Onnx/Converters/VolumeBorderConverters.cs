using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// ZeroPadding3D, Cropping3D and UpSampling3D on a volume's depth, height and width wherever the value's layout holds
/// them (channels last, or channels first after a Conv3D or 3-D pooling): a <c>Pad</c> with zeros, one <c>Slice</c> of
/// the three axes, and a <c>Gather</c> per upsampled axis of position floor(o / size), NeuralNet's repeat; nothing when
/// every amount is 0 or every factor 1.
/// </summary>
internal static class VolumeBorderConverters
{
    /// <summary>ZeroPadding3D: <c>Pad</c> (constant 0) by (before, after) on each of depth, height and width.</summary>
    public static OnnxValue ZeroPadding3D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var padding = ((Layers.ZeroPadding3D)layer).Padding;
        OnnxValue x = inputs[0];
        (int Before, int After)[] sides = [padding.Depth, padding.Height, padding.Width];
        if (sides.All(s => s is (0, 0)))
        {
            return x;
        }

        // ONNX's pads: the begins of every axis, then the ends, in the value's layout; the default fill is 0.
        var pads = new long[10];
        for (int a = 0; a < 3; a++)
        {
            int at = OnnxGraphBuilder.AxisIn(x, a + 1);
            (pads[at], pads[at + 5]) = (sides[a].Before, sides[a].After);
        }

        return graph.Node("Pad", [x.Name, graph.Int64s("pads", pads)], outputShape, x.Layout, OnnxAttribute.String("mode", "constant"));
    }

    /// <summary>Cropping3D: one <c>Slice</c> of before..size − after on each of depth, height and width.</summary>
    public static OnnxValue Cropping3D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var cropping = ((Layers.Cropping3D)layer).Cropping;
        OnnxValue x = inputs[0];
        (int Before, int After)[] sides = [cropping.Depth, cropping.Height, cropping.Width];
        if (sides.All(s => s is (0, 0)))
        {
            return x;
        }

        TensorShape input = layer.InputShape;
        string starts = graph.Int64s("starts", [.. sides.Select(s => (long)s.Before)]);
        string ends = graph.Int64s("ends", [.. sides.Select((s, a) => (long)(input[a] - s.After))]);
        string axes = graph.Int64s("axes", [.. Enumerable.Range(1, 3).Select(a => (long)OnnxGraphBuilder.AxisIn(x, a))]);
        return graph.Node("Slice", [x.Name, starts, ends, axes], outputShape, x.Layout);
    }

    /// <summary>UpSampling3D: per axis whose factor is above 1, a <c>Gather</c> of position floor(o / size) for every output position o.</summary>
    public static OnnxValue UpSampling3D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var size = ((Layers.UpSampling3D)layer).Size;
        OnnxValue x = inputs[0];
        (string Name, int Factor)[] axes = [("depth", size.Depth), ("rows", size.Height), ("columns", size.Width)];
        string y = x.Name;
        for (int a = 0; a < 3; a++)
        {
            (string name, int factor) = axes[a];
            if (factor > 1)
            {
                long[] source = [.. Enumerable.Range(0, outputShape[a]).Select(o => (long)(o / factor))];
                y = graph.Node("Gather", [y, graph.Int64s(name, source)], OnnxAttribute.Int("axis", OnnxGraphBuilder.AxisIn(x, a + 1)));
            }
        }

        return new OnnxValue(y, outputShape, x.Layout);
    }
}
