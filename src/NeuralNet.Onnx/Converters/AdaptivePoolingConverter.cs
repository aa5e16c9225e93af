using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// The adaptive pooling layers (<see cref="AdaptivePooling"/>), which ONNX has no operator for, as MaxPool or AveragePool
/// on the channels-first value, one spatial axis at a time (a box's mean or maximum is that of its rows' means or maxima):
/// <list type="bullet">
/// <item>the axes whose output divides the input pool together, with window and stride input / output;</item>
/// <item>an axis of another size has windows of at most two lengths (⌈n / m⌉ and one more) starting at irregular places:
/// each length pools with stride 1 (every start), the two results are concatenated, and a Gather picks each window's start in
/// its length's part: Keras' own "small and big window" form of <c>adaptive_average_pool</c>.</item>
/// </list>
/// An output the size of the input is the input.
/// </summary>
internal static class AdaptivePoolingConverter
{
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape)
    {
        string op = layer is AdaptiveMaxPooling1D or AdaptiveMaxPooling2D or AdaptiveMaxPooling3D ? "MaxPool" : "AveragePool";
        int axes = outputShape.Rank - 1;
        int[] input = layer.InputShape.Dimensions[..axes].ToArray(), output = outputShape.Dimensions[..axes].ToArray();
        if (input.AsSpan().SequenceEqual(output))
        {
            return inputs[0];
        }

        string x = axes == 1 ? SequenceConverters.ChannelsFirst(graph, inputs[0]) : graph.ChannelsFirst(inputs[0]).Name;
        long[] divided = new long[axes];
        bool anyDivided = false;
        for (int k = 0; k < axes; k++)
        {
            divided[k] = input[k] % output[k] == 0 ? input[k] / output[k] : 1;
            anyDivided |= divided[k] > 1;
        }

        if (anyDivided)
        {
            x = graph.Node(op, [x], OnnxAttribute.Ints("kernel_shape", divided), OnnxAttribute.Ints("strides", divided));
        }

        for (int k = 0; k < axes; k++)
        {
            if (input[k] % output[k] != 0)
            {
                x = PoolAxis(graph, op, x, axes, k, input[k], output[k]);
            }
        }

        return axes == 1
            ? new OnnxValue(SequenceConverters.ChannelsLast(graph, x), outputShape, Layout.ChannelsLast)
            : new OnnxValue(x, outputShape, Layout.ChannelsFirst);
    }

    // Spatial axis k (ONNX axis 2 + k) of n positions pooled to m outputs whose windows are not all alike.
    private static string PoolAxis(OnnxGraphBuilder graph, string op, string x, int axes, int k, int n, int m)
    {
        int small = (n + m - 1) / m;
        var parts = new List<string>();
        var starts = new long[m];
        bool big = false;
        for (int i = 0; i < m; i++)
        {
            (int first, int end) = Window(i, n, m);
            big |= end - first > small;
            starts[i] = first;
        }

        parts.Add(Pool(graph, op, x, axes, k, small));
        if (big)
        {
            // The long windows' results follow the n − small + 1 short ones'.
            parts.Add(Pool(graph, op, x, axes, k, small + 1));
            for (int i = 0; i < m; i++)
            {
                (int first, int end) = Window(i, n, m);
                starts[i] += end - first > small ? n - small + 1 : 0;
            }
        }

        string pooled = parts.Count == 1 ? parts[0] : graph.Node("Concat", parts, OnnxAttribute.Int("axis", 2 + k));
        return graph.Node("Gather", [pooled, graph.Int64s("starts", starts)], OnnxAttribute.Int("axis", 2 + k));
    }

    // Windows of `length` positions at every start along axis k only.
    private static string Pool(OnnxGraphBuilder graph, string op, string x, int axes, int k, int length)
    {
        long[] kernel = new long[axes], strides = new long[axes];
        Array.Fill(kernel, 1);
        Array.Fill(strides, 1);
        kernel[k] = length;
        return graph.Node(op, [x], OnnxAttribute.Ints("kernel_shape", kernel), OnnxAttribute.Ints("strides", strides));
    }

    // PyTorch's and Keras' window i of n positions pooled to m: [⌊i·n / m⌋, ⌈(i + 1)·n / m⌉).
    private static (int First, int End) Window(int i, int n, int m) =>
        ((int)((long)i * n / m), (int)((((long)(i + 1) * n) + m - 1) / m));
}
