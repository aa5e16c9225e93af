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
            LayerConverter convert = LayerConverters.Find(inner)
                ?? throw new NotSupportedException($"Layer '{pipeline.Name}' (Pipeline) holds layer '{inner.Name}' ({inner.TypeName}), which has no ONNX form in NeuralNet.Onnx.");
            x = convert(graph, inner, [x], inner.OutputShape);
        }

        return x;
    }
}
