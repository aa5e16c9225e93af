using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Conv3D, Conv3DTranspose, MaxPooling3D and AveragePooling3D: ONNX's Conv, ConvTranspose, MaxPool and AveragePool on the
/// channels-first volume (batch, channels, depth, height, width), which stays channels first for the layers after them as
/// a Conv2D's image does. Conv3D's kernel is re-laid out from Keras' (kd, kh, kw, in, filters) to ONNX's
/// (filters, in, kd, kh, kw); 'same' padding is resolved per axis for the dilated window span (k − 1) · dilation + 1, the
/// odd padded position after (Keras' rule). Conv3DTranspose's kernel goes from Keras' (kd, kh, kw, filters, in) to
/// ConvTranspose's (in, filters, kd, kh, kw), unflipped, and Keras' output window is cropped per axis as
/// <see cref="Conv2DTransposeConverter"/> crops its two.
/// </summary>
internal static class VolumeConverters
{
    /// <summary>Conv3D: one Conv (strides, dilations, explicit pads), then the activation.</summary>
    public static OnnxValue Conv3D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var conv = (Layers.Conv3D)layer;
        OnnxValue x = graph.ChannelsFirst(inputs[0]);
        TensorShape kernel = conv.Kernel.Shape;
        int kd = kernel[0], kh = kernel[1], kw = kernel[2], channels = kernel[3], filters = kernel[4];
        string weights = graph.Initializer(conv.Kernel, [filters, channels, kd, kh, kw], keras => Relayout(keras, kd * kh * kw, channels, filters));
        List<string> operands = [x.Name, weights];
        if (conv.Bias is { } bias)
        {
            operands.Add(graph.Initializer(bias));
        }

        (int Depth, int Height, int Width) d = conv.DilationRate;
        (int Depth, int Height, int Width) span = (((kd - 1) * d.Depth) + 1, ((kh - 1) * d.Height) + 1, ((kw - 1) * d.Width) + 1);
        OnnxValue y = graph.Node("Conv", operands, outputShape, Layout.ChannelsFirst,
            OnnxAttribute.Ints("kernel_shape", kd, kh, kw),
            OnnxAttribute.Ints("strides", conv.Strides.Depth, conv.Strides.Height, conv.Strides.Width),
            OnnxAttribute.Ints("pads", SamePadding.Pads(conv.Padding, Spatial(layer.InputShape), span, conv.Strides)),
            OnnxAttribute.Ints("dilations", d.Depth, d.Height, d.Width),
            OnnxAttribute.Int("group", 1));
        return ActivationConverter.Apply(graph, conv.Activation, y, layer);
    }

    /// <summary>
    /// Conv3DTranspose: one ConvTranspose whose <c>pads</c> are the positions Keras crops from each end of the full
    /// (in − 1) · stride + (k − 1) · dilation + 1 axis and whose <c>output_padding</c> the zeros it adds beyond it, then the activation.
    /// </summary>
    public static OnnxValue Conv3DTranspose(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var conv = (Layers.Conv3DTranspose)layer;
        OnnxValue x = graph.ChannelsFirst(inputs[0]);
        TensorShape kernel = conv.Kernel.Shape;
        int kd = kernel[0], kh = kernel[1], kw = kernel[2], filters = kernel[3], channels = kernel[4];
        string weights = graph.Initializer(conv.Kernel, [channels, filters, kd, kh, kw], keras => TransposeRelayout(keras, kd * kh * kw, filters, channels));
        List<string> operands = [x.Name, weights];
        if (conv.Bias is { } bias)
        {
            operands.Add(graph.Initializer(bias));
        }

        bool same = conv.Padding == Padding.Same;
        (int Depth, int Height, int Width) s = conv.Strides, d = conv.DilationRate;
        (int Depth, int Height, int Width)? op = conv.OutputPadding;
        TensorShape input = layer.InputShape;
        (long front, long back, long extraDepth) = Conv2DTransposeConverter.Crop(input[0], outputShape[0], kd, s.Depth, d.Depth, same, op?.Depth);
        (long top, long bottom, long extraRows) = Conv2DTransposeConverter.Crop(input[1], outputShape[1], kh, s.Height, d.Height, same, op?.Height);
        (long left, long right, long extraColumns) = Conv2DTransposeConverter.Crop(input[2], outputShape[2], kw, s.Width, d.Width, same, op?.Width);
        OnnxValue y = graph.Node("ConvTranspose", operands, outputShape, Layout.ChannelsFirst,
            OnnxAttribute.Ints("kernel_shape", kd, kh, kw),
            OnnxAttribute.Ints("strides", s.Depth, s.Height, s.Width),
            OnnxAttribute.Ints("dilations", d.Depth, d.Height, d.Width),
            OnnxAttribute.Ints("pads", front, top, left, back, bottom, right),
            OnnxAttribute.Ints("output_padding", extraDepth, extraRows, extraColumns),
            OnnxAttribute.Int("group", 1));
        return conv.Activation is { } activation ? ActivationConverter.Apply(graph, activation, y, layer) : y;
    }

    /// <summary>
    /// MaxPooling3D and AveragePooling3D as MaxPool and AveragePool: padded positions are skipped by the maximum and not
    /// counted in the mean (<c>count_include_pad</c> 0), as Keras pools.
    /// </summary>
    public static OnnxValue Pooling3D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var pooling = (Layers.Pooling3D)layer;
        OnnxValue x = graph.ChannelsFirst(inputs[0]);
        List<Protobuf.AttributeProto> attributes =
        [
            OnnxAttribute.Ints("kernel_shape", pooling.PoolSize.Depth, pooling.PoolSize.Height, pooling.PoolSize.Width),
            OnnxAttribute.Ints("strides", pooling.Strides.Depth, pooling.Strides.Height, pooling.Strides.Width),
            OnnxAttribute.Ints("pads", SamePadding.Pads(pooling.Padding, Spatial(layer.InputShape), pooling.PoolSize, pooling.Strides)),
        ];
        if (pooling is AveragePooling3D)
        {
            attributes.Add(OnnxAttribute.Int("count_include_pad", 0));
        }

        return graph.Node(pooling is MaxPooling3D ? "MaxPool" : "AveragePool", [x.Name], outputShape, Layout.ChannelsFirst, [.. attributes]);
    }

    // The (depth, height, width) of a volume's per-sample shape (depth, height, width, channels).
    private static (int Depth, int Height, int Width) Spatial(TensorShape volume) => (volume[0], volume[1], volume[2]);

    // Keras' (taps, in, filters), taps = (kd, kh, kw) row-major, to ONNX's (filters, in, taps).
    internal static float[] Relayout(float[] keras, int taps, int channels, int filters)
    {
        var onnx = new float[keras.Length];
        for (int t = 0; t < taps; t++)
        {
            for (int c = 0; c < channels; c++)
            {
                for (int f = 0; f < filters; f++)
                {
                    onnx[(((f * channels) + c) * taps) + t] = keras[(((t * channels) + c) * filters) + f];
                }
            }
        }

        return onnx;
    }

    // Keras' transposed kernel (taps, filters, in), taps = (kd, kh, kw) row-major, to ConvTranspose's (in, filters, taps).
    private static float[] TransposeRelayout(float[] keras, int taps, int filters, int channels)
    {
        var onnx = new float[keras.Length];
        for (int t = 0; t < taps; t++)
        {
            for (int f = 0; f < filters; f++)
            {
                for (int c = 0; c < channels; c++)
                {
                    onnx[(((c * filters) + f) * taps) + t] = keras[(((t * filters) + f) * channels) + c];
                }
            }
        }

        return onnx;
    }
}
