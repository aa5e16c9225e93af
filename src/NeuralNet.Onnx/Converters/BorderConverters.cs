using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// ZeroPadding2D and Cropping2D, on the image's rows and columns wherever the value's layout holds them: a <c>Pad</c>
/// with zeros, a <c>Slice</c> of both axes; nothing when every amount is 0.
/// </summary>
internal static class BorderConverters
{
    /// <summary>ZeroPadding2D: <c>Pad</c> (constant 0) by ((top, bottom), (left, right)).</summary>
    public static OnnxValue ZeroPadding2D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var padding = ((Layers.ZeroPadding2D)layer).Padding;
        OnnxValue x = inputs[0];
        if (padding is ((0, 0), (0, 0)))
        {
            return x;
        }

        // ONNX's pads: the begins of every axis, then the ends, in the value's layout; the default fill is 0.
        var pads = new long[8];
        int rows = OnnxGraphBuilder.AxisIn(x, 1), columns = OnnxGraphBuilder.AxisIn(x, 2);
        (pads[rows], pads[rows + 4]) = (padding.Height.Top, padding.Height.Bottom);
        (pads[columns], pads[columns + 4]) = (padding.Width.Left, padding.Width.Right);
        return graph.Node("Pad", [x.Name, graph.Int64s("pads", pads)], outputShape, x.Layout, OnnxAttribute.String("mode", "constant"));
    }

    /// <summary>Cropping2D: one <c>Slice</c> of rows top..height − bottom and columns left..width − right.</summary>
    public static OnnxValue Cropping2D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var cropping = ((Layers.Cropping2D)layer).Cropping;
        OnnxValue x = inputs[0];
        if (cropping is ((0, 0), (0, 0)))
        {
            return x;
        }

        int height = layer.InputShape[0], width = layer.InputShape[1];
        string starts = graph.Int64s("starts", cropping.Height.Top, cropping.Width.Left);
        string ends = graph.Int64s("ends", height - cropping.Height.Bottom, width - cropping.Width.Right);
        string axes = graph.Int64s("axes", OnnxGraphBuilder.AxisIn(x, 1), OnnxGraphBuilder.AxisIn(x, 2));
        return graph.Node("Slice", [x.Name, starts, ends, axes], outputShape, x.Layout);
    }
}
