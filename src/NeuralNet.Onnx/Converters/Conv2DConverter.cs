using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>Conv2D: ONNX's Conv on the channels-first image, the kernel re-laid out from Keras' (kh, kw, in, out) to (out, in, kh, kw).</summary>
internal static class Conv2DConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var conv = (Conv2D)layer;
        OnnxValue x = graph.ChannelsFirst(inputs[0]);
        TensorShape kernel = conv.Kernel.Shape;
        int kh = kernel[0], kw = kernel[1], channels = kernel[2], filters = kernel[3];
        string weights = graph.Initializer(conv.Kernel, [filters, channels, kh, kw], values => Relayout(values, kh, kw, channels, filters));
        List<string> operands = [x.Name, weights];
        if (conv.Bias is { } bias)
        {
            operands.Add(graph.Initializer(bias));
        }

        TensorShape input = layer.InputShape;
        OnnxValue y = graph.Node("Conv", operands, outputShape, Layout.ChannelsFirst,
            OnnxAttribute.Ints("kernel_shape", kh, kw),
            OnnxAttribute.Ints("strides", conv.Strides.Height, conv.Strides.Width),
            OnnxAttribute.Ints("pads", SamePadding.Pads(conv.Padding, input[0], input[1], conv.KernelSize, conv.Strides)),
            OnnxAttribute.Ints("dilations", 1, 1),
            OnnxAttribute.Int("group", 1));
        return conv.Activation is { } activation ? ActivationConverter.Apply(graph, activation, y, layer) : y;
    }

    private static float[] Relayout(float[] keras, int kh, int kw, int channels, int filters)
    {
        var onnx = new float[keras.Length];
        for (int y = 0; y < kh; y++)
        {
            for (int x = 0; x < kw; x++)
            {
                for (int c = 0; c < channels; c++)
                {
                    for (int f = 0; f < filters; f++)
                    {
                        onnx[(((((f * channels) + c) * kh) + y) * kw) + x] = keras[(((((y * kw) + x) * channels) + c) * filters) + f];
                    }
                }
            }
        }

        return onnx;
    }
}
