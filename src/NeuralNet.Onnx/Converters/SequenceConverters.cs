using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// Conv1D and the 1-D and global pooling layers: ONNX's Conv, MaxPool, AveragePool, GlobalMaxPool and GlobalAveragePool on
/// (batch, channels, steps), between transposes from and back to NeuralNet's (batch, steps, channels); pads explicit.
/// </summary>
internal static class SequenceConverters
{
    /// <summary>Conv1D: the kernel re-laid out from Keras' (kernel, in, filters) to ONNX's (filters, in, kernel); 'causal' pads before only.</summary>
    public static OnnxValue Conv1D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var conv = (Layers.Conv1D)layer;
        int kernel = conv.KernelSize, channels = conv.InputShape[1], filters = conv.Filters, steps = conv.InputShape[0];
        string weights = graph.Initializer(conv.Kernel, [filters, channels, kernel], keras => KernelStepsLast(keras, kernel, channels, filters));
        List<string> operands = [ChannelsFirst(graph, inputs[0]), weights];
        if (conv.Bias is { } bias)
        {
            operands.Add(graph.Initializer(bias));
        }

        int span = (conv.DilationRate * (kernel - 1)) + 1;
        long after = conv.Padding switch
        {
            Padding.Same => Math.Max(((outputShape[0] - 1) * conv.Strides) + span - steps, 0) - conv.PadBefore,
            _ => 0,
        };
        string y = graph.Node("Conv", operands,
            OnnxAttribute.Ints("kernel_shape", kernel),
            OnnxAttribute.Ints("strides", conv.Strides),
            OnnxAttribute.Ints("dilations", conv.DilationRate),
            OnnxAttribute.Ints("pads", conv.PadBefore, after),
            OnnxAttribute.Int("group", 1));
        var result = new OnnxValue(ChannelsLast(graph, y), outputShape, Layout.ChannelsLast);
        return ActivationConverter.Apply(graph, conv.Activation, result, layer);
    }

    /// <summary>MaxPooling1D and AveragePooling1D (padding not counted in averages).</summary>
    public static OnnxValue Pooling1D(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        var pooling = (Layers.Pooling1D)layer;
        int steps = pooling.InputShape[0];
        long total = pooling.Padding == Padding.Same ? Math.Max(((outputShape[0] - 1) * pooling.Strides) + pooling.PoolSize - steps, 0) : 0;
        List<Protobuf.AttributeProto> attributes =
        [
            OnnxAttribute.Ints("kernel_shape", pooling.PoolSize),
            OnnxAttribute.Ints("strides", pooling.Strides),
            OnnxAttribute.Ints("pads", total / 2, total - (total / 2)),
        ];
        if (pooling is AveragePooling1D)
        {
            attributes.Add(OnnxAttribute.Int("count_include_pad", 0));
        }

        string y = graph.Node(pooling is MaxPooling1D ? "MaxPool" : "AveragePool", [ChannelsFirst(graph, inputs[0])], [.. attributes]);
        return new OnnxValue(ChannelsLast(graph, y), outputShape, Layout.ChannelsLast);
    }

    /// <summary>
    /// GlobalMaxPooling1D, GlobalAveragePooling1D, GlobalMaxPooling2D and GlobalMaxPooling3D: the global operator on the
    /// channels-first sequence, image or volume, then (batch, channels).
    /// </summary>
    public static OnnxValue GlobalPooling(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        string opType = layer is GlobalAveragePooling1D ? "GlobalAveragePool" : "GlobalMaxPool";
        string x = inputs[0].Rank >= 4 ? graph.ChannelsFirst(inputs[0]).Name : ChannelsFirst(graph, inputs[0]);
        string pooled = graph.Node(opType, [x]);
        return graph.Node("Flatten", [pooled], outputShape, Layout.ChannelsLast, OnnxAttribute.Int("axis", 1));
    }

    /// <summary>
    /// GlobalAveragePooling1D with the mask (batch, steps) that arrives with its input: Keras' Σ mask·x / Σ mask over the
    /// steps (ReduceSum of both, Div), so the mean is over the real steps only; NaN (0/0) for a sample whose steps are all
    /// masked, as Predict gives.
    /// </summary>
    public static OnnxValue MaskedGlobalAverage(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape)
    {
        OnnxValue x = graph.ChannelsLast(inputs[0]);
        string real = graph.Node("Cast", [graph.Node("Unsqueeze", [masks[0]!, graph.Int64s("axes", 2)])], OnnxAttribute.Int("to", (long)Protobuf.TensorProto.Types.DataType.Float));
        string sum = SampleAxes.Reduce(graph, "ReduceSum", graph.Node("Mul", [x.Name, real]), [1]);
        string count = SampleAxes.Reduce(graph, "ReduceSum", real, [1]);
        return graph.Node("Flatten", [graph.Node("Div", [sum, count])], outputShape, Layout.ChannelsLast, OnnxAttribute.Int("axis", 1));
    }

    /// <summary>A 1D kernel from Keras' (steps, middle, last) to ONNX's (last, middle, steps): Conv1D's (k, in, filters) and Conv1DTranspose's (k, filters, in).</summary>
    internal static float[] KernelStepsLast(float[] keras, int steps, int middle, int last)
    {
        var onnx = new float[keras.Length];
        for (int j = 0; j < steps; j++)
        {
            for (int a = 0; a < middle; a++)
            {
                for (int b = 0; b < last; b++)
                {
                    onnx[(((b * middle) + a) * steps) + j] = keras[(((j * middle) + a) * last) + b];
                }
            }
        }

        return onnx;
    }

    // (batch, steps, channels) <-> (batch, channels, steps).
    internal static string ChannelsFirst(OnnxGraphBuilder graph, OnnxValue sequence) =>
        graph.Node("Transpose", [graph.ChannelsLast(sequence).Name], OnnxAttribute.Ints("perm", 0, 2, 1));

    internal static string ChannelsLast(OnnxGraphBuilder graph, string sequence) =>
        graph.Node("Transpose", [sequence], OnnxAttribute.Ints("perm", 0, 2, 1));
}
