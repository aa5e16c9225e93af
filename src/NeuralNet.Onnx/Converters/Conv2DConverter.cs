using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Conv2D: ONNX's Conv on the channels-first image, the kernel re-laid out from Keras' (kh, kw, in / groups, out) to
/// (out, in / groups, kh, kw); dilation and groups map to Conv's <c>dilations</c> and <c>group</c>, and the padding is
/// resolved for the dilated kernel span (k - 1) * dilation + 1.
/// </summary>
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
        (int Height, int Width) d = conv.DilationRate;
        (int Height, int Width) span = (((conv.KernelSize.Height - 1) * d.Height) + 1, ((conv.KernelSize.Width - 1) * d.Width) + 1);
        OnnxValue y = graph.Node("Conv", operands, outputShape, Layout.ChannelsFirst,
            OnnxAttribute.Ints("kernel_shape", kh, kw),
            OnnxAttribute.Ints("strides", conv.Strides.Height, conv.Strides.Width),
            OnnxAttribute.Ints("pads", SamePadding.Pads(conv.Padding, input[0], input[1], span, conv.Strides)),
            OnnxAttribute.Ints("dilations", d.Height, d.Width),
            OnnxAttribute.Int("group", conv.Groups));
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
