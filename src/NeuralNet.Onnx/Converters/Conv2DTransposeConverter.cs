using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Conv2DTranspose: ONNX's ConvTranspose on the channels-first image. Keras' kernel (kh, kw, filters, channels) becomes
/// ONNX's (channels, filters, kh, kw), unflipped: both scatter input pixel (i, j) through tap (a, b) to the output pixel
/// (i · stride + a · dilation, j · stride + b · dilation) of the full map, (in − 1) · stride + (k − 1) · dilation + 1 long.
/// Keras' output is a window of that map: the rows and columns it crops at the start are ConvTranspose's begin
/// <c>pads</c>; those it crops at the end its end pads, or, where Keras extends the map with zeros (bias and activation
/// still applied), <c>output_padding</c>.
/// </summary>
internal static class Conv2DTransposeConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var conv = (Conv2DTranspose)layer;
        OnnxValue x = graph.ChannelsFirst(inputs[0]);
        TensorShape kernel = conv.Kernel.Shape;
        int kh = kernel[0], kw = kernel[1], filters = kernel[2], channels = kernel[3];
        string weights = graph.Initializer(conv.Kernel, [channels, filters, kh, kw], keras =>
        {
            var onnx = new float[keras.Length];
            for (int y = 0; y < kh; y++)
            {
                for (int w = 0; w < kw; w++)
                {
                    for (int f = 0; f < filters; f++)
                    {
                        for (int c = 0; c < channels; c++)
                        {
                            onnx[(((((c * filters) + f) * kh) + y) * kw) + w] = keras[(((((y * kw) + w) * filters) + f) * channels) + c];
                        }
                    }
                }
            }

            return onnx;
        });
        List<string> operands = [x.Name, weights];
        if (conv.Bias is { } bias)
        {
            operands.Add(graph.Initializer(bias));
        }

        bool same = conv.Padding == Padding.Same;
        (long top, long bottom, long extraRows) = Crop(layer.InputShape[0], outputShape[0], kh, conv.Strides.Height, conv.DilationRate.Height, same, conv.OutputPadding?.Height);
        (long left, long right, long extraColumns) = Crop(layer.InputShape[1], outputShape[1], kw, conv.Strides.Width, conv.DilationRate.Width, same, conv.OutputPadding?.Width);
        OnnxValue result = graph.Node("ConvTranspose", operands, outputShape, Layout.ChannelsFirst,
            OnnxAttribute.Ints("kernel_shape", kh, kw),
            OnnxAttribute.Ints("strides", conv.Strides.Height, conv.Strides.Width),
            OnnxAttribute.Ints("dilations", conv.DilationRate.Height, conv.DilationRate.Width),
            OnnxAttribute.Ints("pads", top, left, bottom, right),
            OnnxAttribute.Ints("output_padding", extraRows, extraColumns),
            OnnxAttribute.Int("group", 1));
        return conv.Activation is { } activation ? ActivationConverter.Apply(graph, activation, result, layer) : result;
    }

    /// <summary>
    /// One axis: the indices Keras crops from the start and from the end of the full map, and the zeros it adds at the end
    /// (ConvTranspose's begin pad, end pad and output_padding); shared with Conv3DTranspose.
    /// </summary>
    /// <remarks>
    /// Keras' padding (NeuralNet's DilatedConvGeometry.TransposeAxis, from keras/src/backend/common/backend_utils.py's
    /// _convert_conv_transpose_padding_args_from_keras_to_jax): the window starts at ke − 1 − left of the full map.
    /// </remarks>
    internal static (long Before, long After, long Extra) Crop(int input, int output, int kernel, int stride, int dilation, bool same, int? outputPadding)
    {
        int ke = ((kernel - 1) * dilation) + 1;
        int left;
        if (!same)
        {
            left = ke - 1;
        }
        else
        {
            int padLength = outputPadding is int op ? ke + (ke % 2) - 2 + op : stride + ke - 2;
            left = Math.Min((padLength / 2) + (padLength % 2), ke - 1);
        }

        int before = ke - 1 - left;
        int after = ((input - 1) * stride) + ke - before - output;
        return after >= 0 ? (before, after, 0) : (before, 0, -after);
    }
}
