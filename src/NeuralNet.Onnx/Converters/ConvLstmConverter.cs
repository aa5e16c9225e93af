using NeuralNet.Activations;
using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// ConvLstm1D, ConvLstm2D and ConvLstm3D, which ONNX has no operator for, as a Scan over the time steps whose body is one
/// step of Keras' ConvLSTM cell on channels-first frames:
/// z = Conv(x_t, W, b) (the layer's strides, dilations and padding) + Conv(h, U) ('same', stride 1, no dilation);
/// i, f, c̃, o = Split(z) in Keras' gate order; c = σ(f)·c + σ(i)·act(c̃); h = σ(o)·act(c), σ the recurrent activation.
/// The kernels go from Keras' (kernel..., in, 4·filters) to Conv's (4·filters, in, kernel...). The Scan reads the steps
/// last to first when the layer goes backwards and writes the outputs in the order the steps ran, as Keras returns
/// them. The states start at zeros, or at the initial states the call passes; with returnState the final h and c follow
/// the output.
/// </summary>
internal static class ConvLstmConverter
{
    /// <summary>The layer's output alone (what a layer without returnState gives).</summary>
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Outputs(graph, (ConvLstm)layer, inputs)[0];

    /// <summary>Whether the layer's activations have an ONNX form; the error names the layer otherwise. A softmax runs over the filters, as the layer applies it.</summary>
    public static void CheckActivations(ConvLstm layer)
    {
        foreach (ActivationFunction function in new[] { layer.Activation, layer.RecurrentActivation })
        {
            if (!ActivationConverter.IsSupported(function))
            {
                throw ActivationConverter.Unsupported(function, layer);
            }
        }
    }

    /// <summary>
    /// Every output of one call: the output (batch, [steps,] ...outSpatial, filters), then with returnState the final h and c
    /// (batch, ...outSpatial, filters). <paramref name="inputs"/> are the sequence and, when the call gives them, the
    /// initial h and c.
    /// </summary>
    public static OnnxValue[] Outputs(OnnxGraphBuilder graph, ConvLstm layer, IReadOnlyList<OnnxValue> inputs)
    {
        TensorShape sequenceShape = layer.InputShapes[0], kernelShape = layer.Kernel.Shape;
        int rank = sequenceShape.Rank - 2, channels = sequenceShape[rank + 1], filters = layer.Filters;
        long[] kernel = [.. kernelShape.Dimensions[..rank].ToArray().Select(k => (long)k)];
        int taps = (int)kernel.Aggregate(1L, (a, b) => a * b);
        (long[] strides, long[] dilations) = Steps(layer, rank);
        int[] inSpatial = sequenceShape.Dimensions[1..(rank + 1)].ToArray();
        var stateShape = new TensorShape([.. StateSpatial(layer, rank), filters]);

        string w = graph.Initializer(layer.Kernel, [4L * filters, channels, .. kernel], values => VolumeConverters.Relayout(values, taps, channels, 4 * filters));
        string u = graph.Initializer(layer.RecurrentKernel, [4L * filters, filters, .. kernel], values => VolumeConverters.Relayout(values, taps, filters, 4 * filters));
        string[] inputOperands = layer.Bias is { } bias ? [w, graph.Initializer(bias)] : [w];
        long[] inputPads = Pads(layer.Padding == Padding.Same, inSpatial, kernel, strides, dilations);
        long[] statePads = Pads(true, StateSpatial(layer, rank), kernel, [.. Enumerable.Repeat(1L, rank)], [.. Enumerable.Repeat(1L, rank)]);

        // (batch, steps, ...spatial, channels) -> (steps, batch, channels, ...spatial): each step a channels-first frame batch.
        long[] timeFirst = [1, 0, rank + 2, .. Enumerable.Range(2, rank).Select(a => (long)a)];
        string steps = graph.Node("Transpose", [graph.ChannelsLast(inputs[0]).Name], OnnxAttribute.Ints("perm", timeFirst));
        string[] starts = inputs.Count > 1
            ? [.. inputs.Skip(1).Select(state => rank == 1 ? SequenceConverters.ChannelsFirst(graph, state) : graph.ChannelsFirst(state).Name)]
            : [ZeroState(graph, inputs[0], stateShape, rank), ZeroState(graph, inputs[0], stateShape, rank)];

        string previousH = graph.NewName("previous_h"), previousC = graph.NewName("previous_c"), frame = graph.NewName("frame");
        Protobuf.ValueInfoProto[] bodyInputs = [.. new[] { previousH, previousC, frame }.Select(name => OnnxGraphBuilder.Typed(name, Protobuf.TensorProto.Types.DataType.Float))];
        Protobuf.GraphProto body = graph.Subgraph("step", bodyInputs, () =>
        {
            string fromInput = graph.Node("Conv", [frame, .. inputOperands],
                OnnxAttribute.Ints("kernel_shape", kernel), OnnxAttribute.Ints("strides", strides), OnnxAttribute.Ints("dilations", dilations),
                OnnxAttribute.Ints("pads", inputPads), OnnxAttribute.Int("group", 1));
            string fromState = graph.Node("Conv", [previousH, u],
                OnnxAttribute.Ints("kernel_shape", kernel), OnnxAttribute.Ints("pads", statePads), OnnxAttribute.Int("group", 1));
            string z = graph.Node("Add", [fromInput, fromState]);
            string[] gates = graph.MultiOutputNode("Split", [z, graph.Int64s("split", filters, filters, filters, filters)], 4, OnnxAttribute.Int("axis", 1));
            string Apply(ActivationFunction function, string value) =>
                ActivationConverter.Apply(graph, function, new OnnxValue(value, stateShape, Layout.ChannelsFirst), layer).Name;

            string i = Apply(layer.RecurrentActivation, gates[0]), f = Apply(layer.RecurrentActivation, gates[1]), o = Apply(layer.RecurrentActivation, gates[3]);
            string c = graph.Node("Add", [graph.Node("Mul", [f, previousC]), graph.Node("Mul", [i, Apply(layer.Activation, gates[2])])]);
            string h = graph.Node("Mul", [o, Apply(layer.Activation, c)]);
            // The sequence is a scan output only when the layer returns it; a body output needs its own name.
            string[] outputs = layer.ReturnSequences ? [h, c, graph.Node("Identity", [h])] : [h, c];
            return [.. outputs.Select(name => OnnxGraphBuilder.Typed(name, Protobuf.TensorProto.Types.DataType.Float))];
        });

        List<Protobuf.AttributeProto> scanAttributes =
        [
            OnnxAttribute.Graph("body", body),
            OnnxAttribute.Int("num_scan_inputs", 1),
            OnnxAttribute.Ints("scan_input_directions", layer.GoBackwards ? 1 : 0),
        ];
        if (layer.ReturnSequences)
        {
            // In the order the steps ran, as Keras returns them (ONNX's checker wants no empty list without scan outputs).
            scanAttributes.Add(OnnxAttribute.Ints("scan_output_directions", 0));
        }

        string[] scanned = graph.MultiOutputNode("Scan", [.. starts, steps], layer.ReturnSequences ? 3 : 2, [.. scanAttributes]);

        if (!layer.ReturnSequences)
        {
            OnnxValue finalH = ChannelsLastState(graph, scanned[0], stateShape);
            return layer.ReturnState ? [finalH, finalH, ChannelsLastState(graph, scanned[1], stateShape)] : [finalH];
        }

        // (steps, batch, filters, ...spatial) -> (batch, steps, ...spatial, filters).
        long[] batchFirst = [1, 0, .. Enumerable.Range(3, rank).Select(a => (long)a), 2];
        OnnxValue sequence = graph.Node("Transpose", [scanned[2]], layer.OutputShape, Layout.ChannelsLast, OnnxAttribute.Ints("perm", batchFirst));
        return layer.ReturnState ? [sequence, ChannelsLastState(graph, scanned[0], stateShape), ChannelsLastState(graph, scanned[1], stateShape)] : [sequence];
    }

    // A final state (batch, filters, ...spatial) as NeuralNet holds it: a 2-D or 3-D one stays channels first for the
    // layers after it (as a Conv2D's image does), a 1-D one is transposed to (batch, steps, filters).
    private static OnnxValue ChannelsLastState(OnnxGraphBuilder graph, string state, TensorShape stateShape)
    {
        return stateShape.Rank == 2
            ? new OnnxValue(SequenceConverters.ChannelsLast(graph, state), stateShape, Layout.ChannelsLast)
            : new OnnxValue(state, stateShape, Layout.ChannelsFirst);
    }

    // Zeros (batch, filters, ...spatial) for the batch the graph runs with.
    private static string ZeroState(OnnxGraphBuilder graph, OnnxValue sequence, TensorShape stateShape, int rank)
    {
        long[] perSample = [stateShape[rank], .. stateShape.Dimensions[..rank].ToArray().Select(d => (long)d)];
        string batch = graph.Node("Slice", [graph.Node("Shape", [sequence.Name]), graph.Int64s("starts", 0), graph.Int64s("ends", 1)]);
        string shape = graph.Node("Concat", [batch, graph.Int64s("state_shape", perSample)], OnnxAttribute.Int("axis", 0));
        return graph.Node("Expand", [graph.Scalar("zero", 0f), shape]);
    }

    // The state's spatial sizes: the output frame's.
    private static int[] StateSpatial(ConvLstm layer, int rank)
    {
        ReadOnlySpan<int> output = layer.OutputShape.Dimensions;
        return output[(layer.ReturnSequences ? 1 : 0)..][..rank].ToArray();
    }

    private static (long[] Strides, long[] Dilations) Steps(ConvLstm layer, int rank) => layer switch
    {
        ConvLstm1D one => ([one.Strides], [one.DilationRate]),
        ConvLstm2D two => ([two.Strides.Height, two.Strides.Width], [two.DilationRate.Height, two.DilationRate.Width]),
        ConvLstm3D three => ([three.Strides.Depth, three.Strides.Height, three.Strides.Width], [three.DilationRate.Depth, three.DilationRate.Height, three.DilationRate.Width]),
        _ => throw new NotSupportedException($"Layer '{layer.Name}' ({layer.GetType().FullName}) is a ConvLSTM of rank {rank} NeuralNet.Onnx does not know."),
    };

    // ONNX's pads (all the befores, then all the afters): none for 'valid'; for 'same', Keras' total
    // max((out − 1)·stride + (k − 1)·dilation + 1 − in, 0) per axis with out = ⌈in / stride⌉, the odd position after.
    private static long[] Pads(bool same, int[] input, long[] kernel, long[] strides, long[] dilations)
    {
        int rank = input.Length;
        var pads = new long[2 * rank];
        for (int a = 0; same && a < rank; a++)
        {
            long output = (input[a] + strides[a] - 1) / strides[a];
            long total = Math.Max(((output - 1) * strides[a]) + ((kernel[a] - 1) * dilations[a]) + 1 - input[a], 0);
            pads[a] = total / 2;
            pads[rank + a] = total - (total / 2);
        }

        return pads;
    }
}
