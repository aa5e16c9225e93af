using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// DepthwiseConv1D, SeparableConv1D and Conv1DTranspose: ONNX's Conv and ConvTranspose on (batch, channels, steps), between
/// transposes from and back to NeuralNet's (batch, steps, channels), as Conv1D's. The depthwise kernel, Keras'
/// (kernel, channels, multiplier), is a Conv with one group per input channel and weight (channels · multiplier, 1, kernel):
/// output channel c · multiplier + m reads channel c with kernel[.., c, m], Keras' order. SeparableConv1D follows it with a
/// kernel-1 Conv whose weight is the pointwise kernel re-laid out from (1, expanded, filters) to (filters, expanded, 1),
/// carrying the bias. Conv1DTranspose's kernel (kernel, filters, channels) becomes ConvTranspose's (channels, filters,
/// kernel), unflipped, with the steps Keras crops from the full scatter as pads and those it adds as output_padding
/// (see <see cref="Conv2DTransposeConverter"/>).
/// </summary>
internal static class Conv1DFamilyConverters
{
    /// <summary>DepthwiseConv1D: one grouped Conv (bias per expanded channel), then the activation.</summary>
    public static OnnxValue DepthwiseConv1D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var conv = (Layers.DepthwiseConv1D)layer;
        string y = Depthwise(graph, inputs[0], conv.Kernel, conv.Bias, conv.KernelSize, conv.Strides, conv.DilationRate, conv.Padding, layer.InputShape[0], outputShape[0]);
        var result = new OnnxValue(SequenceConverters.ChannelsLast(graph, y), outputShape, Layout.ChannelsLast);
        return conv.Activation is { } activation ? ActivationConverter.Apply(graph, activation, result, layer) : result;
    }

    /// <summary>SeparableConv1D: the depthwise Conv without bias, a kernel-1 Conv with the bias, then the activation.</summary>
    public static OnnxValue SeparableConv1D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var conv = (Layers.SeparableConv1D)layer;
        string depthwise = Depthwise(graph, inputs[0], conv.DepthwiseKernel, null, conv.KernelSize, conv.Strides, conv.DilationRate, conv.Padding, layer.InputShape[0], outputShape[0]);
        int expanded = conv.PointwiseKernel.Shape[1], filters = conv.Filters;
        string pointwise = graph.Initializer(conv.PointwiseKernel, [filters, expanded, 1], keras =>
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
        List<string> operands = [depthwise, pointwise];
        if (conv.Bias is { } bias)
        {
            operands.Add(graph.Initializer(bias));
        }

        string y = graph.Node("Conv", operands,
            OnnxAttribute.Ints("kernel_shape", 1), OnnxAttribute.Ints("strides", 1), OnnxAttribute.Ints("pads", 0, 0), OnnxAttribute.Int("group", 1));
        var result = new OnnxValue(SequenceConverters.ChannelsLast(graph, y), outputShape, Layout.ChannelsLast);
        return conv.Activation is { } activation ? ActivationConverter.Apply(graph, activation, result, layer) : result;
    }

    /// <summary>Conv1DTranspose: one ConvTranspose, then the activation.</summary>
    public static OnnxValue Conv1DTranspose(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var conv = (Layers.Conv1DTranspose)layer;
        TensorShape kernel = conv.Kernel.Shape;
        int k = kernel[0], filters = kernel[1], channels = kernel[2];
        string weights = graph.Initializer(conv.Kernel, [channels, filters, k], keras => SequenceConverters.KernelStepsLast(keras, k, filters, channels));
        List<string> operands = [SequenceConverters.ChannelsFirst(graph, inputs[0]), weights];
        if (conv.Bias is { } bias)
        {
            operands.Add(graph.Initializer(bias));
        }

        // Keras' window of the full (steps − 1) · stride + ke map starts at ke − 1 − left (DilatedConvGeometry.TransposeAxis).
        int steps = layer.InputShape[0], output = outputShape[0], ke = ((k - 1) * conv.DilationRate) + 1;
        int left;
        if (conv.Padding != Padding.Same)
        {
            left = ke - 1;
        }
        else
        {
            int padLength = conv.OutputPadding is int op ? ke + (ke % 2) - 2 + op : conv.Strides + ke - 2;
            left = Math.Min((padLength / 2) + (padLength % 2), ke - 1);
        }

        int before = ke - 1 - left, after = ((steps - 1) * conv.Strides) + ke - before - output;
        string y = graph.Node("ConvTranspose", operands,
            OnnxAttribute.Ints("kernel_shape", k),
            OnnxAttribute.Ints("strides", conv.Strides),
            OnnxAttribute.Ints("dilations", conv.DilationRate),
            OnnxAttribute.Ints("pads", before, Math.Max(after, 0)),
            OnnxAttribute.Ints("output_padding", Math.Max(-after, 0)),
            OnnxAttribute.Int("group", 1));
        var result = new OnnxValue(SequenceConverters.ChannelsLast(graph, y), outputShape, Layout.ChannelsLast);
        return conv.Activation is { } activation ? ActivationConverter.Apply(graph, activation, result, layer) : result;
    }

    // The depthwise convolution of the sequence x: Conv with group = channels, channels first.
    private static string Depthwise(OnnxGraphBuilder graph, OnnxValue sequence, Parameter kernel, Parameter? bias, int kernelSize, int strides, int dilation,
        Padding padding, int steps, int outSteps)
    {
        int k = kernel.Shape[0], channels = kernel.Shape[1], multiplier = kernel.Shape[2];
        string weights = graph.Initializer(kernel, [channels * multiplier, 1, k], keras =>
        {
            var onnx = new float[keras.Length];
            for (int j = 0; j < k; j++)
            {
                for (int c = 0; c < channels; c++)
                {
                    for (int m = 0; m < multiplier; m++)
                    {
                        onnx[(((c * multiplier) + m) * k) + j] = keras[(((j * channels) + c) * multiplier) + m];
                    }
                }
            }

            return onnx;
        });
        List<string> operands = [SequenceConverters.ChannelsFirst(graph, sequence), weights];
        if (bias is not null)
        {
            operands.Add(graph.Initializer(bias));
        }

        // Keras 'same': ⌈steps / strides⌉ outputs, the padding split evenly with the odd step after.
        int span = ((kernelSize - 1) * dilation) + 1;
        int total = padding == Padding.Same ? Math.Max(((outSteps - 1) * strides) + span - steps, 0) : 0;
        return graph.Node("Conv", operands,
            OnnxAttribute.Ints("kernel_shape", k),
            OnnxAttribute.Ints("strides", strides),
            OnnxAttribute.Ints("dilations", dilation),
            OnnxAttribute.Ints("pads", total / 2, total - (total / 2)),
            OnnxAttribute.Int("group", channels));
    }
}
