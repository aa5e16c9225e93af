using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Pipeline as Predict runs it: each of its running layers written in turn by its own converter, on the previous one's
/// output (weights named <c>pipeline/dense/kernel</c>, ...). The exporter checks first that every inner layer has an
/// ONNX form; a mask is not handed to a layer inside (<see cref="MaskFlow"/> refuses a model that would need it).
/// </summary>
internal static class PipelineConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var pipeline = (Pipeline)layer;
        OnnxValue x = inputs[0];
        foreach (Layer inner in pipeline.RunningLayers)
        {
            // OnnxExporter.CheckLayer refused the model before writing anything if an inner layer had no ONNX form.
            x = LayerConverters.Find(inner)!(graph, inner, [x], inner.OutputShape);
        }

        return x;
    }
}
