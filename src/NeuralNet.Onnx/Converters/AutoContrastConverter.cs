using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// AutoContrast, active at inference: in Predict's float32 order, the value range mapped to [0, 255] (Sub, Div, Mul; not
/// written for (0, 255)), per image and channel l = ReduceMin and h = ReduceMax over height and width (kept as size-1 axes),
/// scale = 255 / (h − l), z = u · scale + (−l · scale), Clip to [0, 255], mapped back (Div, Mul, Add); Where z is NaN (a
/// constant channel, 0 · ∞) the input itself. The NaN test reads z before the Clip, whose NaN handling ONNX leaves open.
/// Element-wise after the reductions, so either layout.
/// </summary>
internal static class AutoContrastConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var contrast = (AutoContrast)layer;
        OnnxValue x = inputs[0];
        (double low, double high) = contrast.ValueRange;
        bool maps = contrast.ValueRange != (0, 255);
        string width = graph.Scalar("range_width", (float)high - (float)low);
        string rangeLow = graph.Scalar("range_low", (float)low);
        string full = graph.Scalar("full_scale", 255f);

        string u = maps ? graph.Node("Mul", [graph.Node("Div", [graph.Node("Sub", [x.Name, rangeLow]), width]), full]) : x.Name;
        long[] spatial = SampleAxes.InLayout(x, [0, 1]);
        string min = SampleAxes.Reduce(graph, "ReduceMin", u, spatial);
        string max = SampleAxes.Reduce(graph, "ReduceMax", u, spatial);
        string scale = graph.Node("Div", [full, graph.Node("Sub", [max, min])]);
        string offset = graph.Node("Mul", [graph.Node("Neg", [min]), scale]);
        string z = graph.Node("Add", [graph.Node("Mul", [u, scale]), offset]);
        string clipped = graph.Node("Clip", [z, graph.Scalar("zero", 0f), full]);
        string back = maps ? graph.Node("Add", [graph.Node("Mul", [graph.Node("Div", [clipped, full]), width]), rangeLow]) : clipped;
        return graph.Node("Where", [graph.Node("IsNaN", [z]), x.Name, back], outputShape, x.Layout);
    }
}
