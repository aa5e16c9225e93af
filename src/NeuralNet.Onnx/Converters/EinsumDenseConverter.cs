using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// EinsumDense: ONNX' Einsum with the layer's equation (the ellipsis written out, the labels renamed to lower-case letters in
/// order of appearance, which every Einsum reader accepts), Add of the bias (Keras' bias shape broadcasts as ONNX' Add
/// does, from the last axis), then the activation.
/// </summary>
internal static class EinsumDenseConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var einsum = (EinsumDense)layer;
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        string y = graph.Node("Einsum", [x.Name, graph.Initializer(einsum.Kernel, relayout: LoraWeights.Merged(einsum))], OnnxAttribute.String("equation", LowerCase(einsum)));
        if (einsum.Bias is { } bias)
        {
            y = graph.Node("Add", [y, graph.Initializer(bias)]);
        }

        return ActivationConverter.Apply(graph, einsum.Activation, new OnnxValue(y, outputShape, Layout.ChannelsLast), layer);
    }

    private static string LowerCase(EinsumDense layer)
    {
        string equation = layer.ExplicitEquation;
        var names = new Dictionary<char, char>();
        var result = new char[equation.Length];
        for (int i = 0; i < equation.Length; i++)
        {
            char c = equation[i];
            if (!char.IsAsciiLetter(c))
            {
                result[i] = c;
                continue;
            }

            if (!names.TryGetValue(c, out char name))
            {
                name = names.Count < 26
                    ? (char)('a' + names.Count)
                    : throw new NotSupportedException($"{layer} uses more than 26 einsum labels ('{equation}'); ONNX' Einsum has 26 letters.");
                names[c] = name;
            }

            result[i] = name;
        }

        return new string(result);
    }
}
