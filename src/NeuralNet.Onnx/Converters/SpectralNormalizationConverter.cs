using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// SpectralNormalization as Predict runs it: an inference call is the wrapped layer with its stored kernel (the last
/// normalized kernel, as training left it), so the wrapped layer's own converter writes it, weights named
/// <c>spectral_normalization/dense/kernel</c>, .... The power method and <c>vector_u</c> belong to training and are not
/// written.
/// </summary>
internal static class SpectralNormalizationConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var wrapper = (SpectralNormalization)layer;
        Layer inner = wrapper.InnerLayer;
        LayerConverter convert = LayerConverters.Find(inner)
            ?? throw new NotSupportedException($"Layer '{wrapper.Name}' (SpectralNormalization) wraps layer '{inner.Name}' ({inner.TypeName}), which has no ONNX form in NeuralNet.Onnx.");
        return convert(graph, inner, inputs, outputShape);
    }
}
