using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// DepthwiseConv2D and SeparableConv2D as ONNX's Conv on the channels-first image. The depthwise kernel, Keras'
/// (kh, kw, channels, depthMultiplier), is a grouped convolution with one group per input channel: ONNX's weight
/// (channels · depthMultiplier, 1, kh, kw), output channel c · depthMultiplier + m reading channel c with kernel[.., c, m],
/// Keras' order of the expanded channels. SeparableConv2D follows it with a 1×1 Conv, the pointwise kernel re-laid out
/// from (1, 1, expanded, filters) to (filters, expanded, 1, 1), which carries the bias. Padding is resolved for the
/// dilated kernel span, as Conv2D's.
/// </summary>
internal static class DepthwiseConverters
{
    /// <summary>DepthwiseConv2D: one grouped Conv (bias per expanded channel), then the activation.</summary>
    public static OnnxValue DepthwiseConv2D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var conv = (Layers.DepthwiseConv2D)layer;
        OnnxValue y = Depthwise(graph, inputs[0], conv.Kernel, conv.Bias, conv.KernelSize, conv.Strides, conv.DilationRate, conv.Padding, layer.InputShape, outputShape);
        return conv.Activation is { } activation ? ActivationConverter.Apply(graph, activation, y, layer) : y;
    }

    /// <summary>SeparableConv2D: the depthwise Conv without bias, a 1×1 Conv with the bias, then the activation.</summary>
    public static OnnxValue SeparableConv2D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var conv = (Layers.SeparableConv2D)layer;
        TensorShape depthwiseShape = new(outputShape[0], outputShape[1], conv.DepthwiseKernel.Shape[2] * conv.DepthwiseKernel.Shape[3]);
        OnnxValue depthwise = Depthwise(graph, inputs[0], conv.DepthwiseKernel, null, conv.KernelSize, conv.Strides, conv.DilationRate, conv.Padding, layer.InputShape, depthwiseShape);
        int expanded = depthwiseShape[2], filters = conv.Filters;
        string pointwise = graph.Initializer(conv.PointwiseKernel, [filters, expanded, 1, 1], keras =>
        {
            var onnx = new float[keras.Length];
            for (int e = 0; e < expanded; e++)
            {
                for (int f = 0; f < filters; f++)
                {
                    onnx[(f * expanded) + e] = keras[(e * filters) + f];
                }
            }

            return onnx;
        });
        List<string> operands = [depthwise.Name, pointwise];
        if (conv.Bias is { } bias)
        {
            operands.Add(graph.Initializer(bias));
        }

        OnnxValue y = graph.Node("Conv", operands, outputShape, Layout.ChannelsFirst,
            OnnxAttribute.Ints("kernel_shape", 1, 1), OnnxAttribute.Ints("strides", 1, 1), OnnxAttribute.Ints("pads", 0, 0, 0, 0), OnnxAttribute.Int("group", 1));
        return conv.Activation is { } activation ? ActivationConverter.Apply(graph, activation, y, layer) : y;
    }

    // The depthwise convolution of the image x: Conv with group = channels.
    private static OnnxValue Depthwise(OnnxGraphBuilder graph, OnnxValue image, Parameter kernel, Parameter? bias, (int Height, int Width) kernelSize,
        (int Height, int Width) strides, (int Height, int Width) dilation, Padding padding, TensorShape input, TensorShape outputShape)
    {
        OnnxValue x = graph.ChannelsFirst(image);
        int kh = kernel.Shape[0], kw = kernel.Shape[1], channels = kernel.Shape[2], multiplier = kernel.Shape[3];
        string weights = graph.Initializer(kernel, [channels * multiplier, 1, kh, kw], keras =>
        {
            var onnx = new float[keras.Length];
            for (int y = 0; y < kh; y++)
            {
                for (int x = 0; x < kw; x++)
                {
                    for (int c = 0; c < channels; c++)
                    {
                        for (int m = 0; m < multiplier; m++)
                        {
                            onnx[(((((c * multiplier) + m) * kh) + y) * kw) + x] = keras[(((((y * kw) + x) * channels) + c) * multiplier) + m];
                        }
                    }
                }
            }

            return onnx;
        });
        List<string> operands = [x.Name, weights];
        if (bias is not null)
        {
            operands.Add(graph.Initializer(bias));
        }

        (int Height, int Width) span = (((kernelSize.Height - 1) * dilation.Height) + 1, ((kernelSize.Width - 1) * dilation.Width) + 1);
        return graph.Node("Conv", operands, outputShape, Layout.ChannelsFirst,
            OnnxAttribute.Ints("kernel_shape", kh, kw),
            OnnxAttribute.Ints("strides", strides.Height, strides.Width),
            OnnxAttribute.Ints("pads", SamePadding.Pads(padding, input[0], input[1], span, strides)),
            OnnxAttribute.Ints("dilations", dilation.Height, dilation.Width),
            OnnxAttribute.Int("group", channels));
    }
}
