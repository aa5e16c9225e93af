using NeuralNet.Activations;
using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// SimpleRnn, Lstm and Gru as ONNX's RNN, LSTM and GRU operators. ONNX reads (steps, batch, features) and wants its weights
/// per gate as rows: W (1, gates·units, features) = the kernel transposed, R likewise from the recurrent kernel, B the
/// input bias then the recurrent bias. LSTM's gate blocks go from Keras' i, f, c, o to ONNX's i, o, f, c; GRU's z, r, h are
/// the same in both, and Keras' reset_after is ONNX's linear_before_reset. ONNX's reverse direction returns the states in
/// time order where Keras returns them in the order the steps ran, so a backwards sequence is reversed once more.
/// </summary>
internal static class RecurrentConverter
{
    private static readonly int[] LstmGates = [0, 3, 1, 2];

    /// <summary>Whether the layer's activations exist in ONNX's recurrent operators; the error names the layer otherwise.</summary>
    public static void CheckActivations(Recurrent layer)
    {
        foreach (ActivationFunction function in Activations(layer))
        {
            _ = OnnxName(function, layer);
        }
    }

    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Run(graph, (Recurrent)layer, inputs[0], outputShape, flipped: false);

    /// <summary>
    /// The layer run over <paramref name="input"/>; a returned sequence in the order the layer returns it, or reversed when
    /// <paramref name="flipped"/> (what <see cref="Bidirectional"/> does to its backward layer's): one Slice at most either way.
    /// </summary>
    public static OnnxValue Run(OnnxGraphBuilder graph, Recurrent recurrent, OnnxValue input, TensorShape outputShape, bool flipped)
    {
        int units = recurrent.Units, features = recurrent.InputShape[1], width = recurrent.Kernel.Shape[1], gates = width / units;
        int[] order = recurrent is Lstm ? LstmGates : [.. Enumerable.Range(0, gates)];
        OnnxValue x = graph.ChannelsLast(input);
        string timeMajor = graph.Node("Transpose", [x.Name], OnnxAttribute.Ints("perm", 1, 0, 2));

        string w = graph.Initializer(recurrent.Kernel, [1, width, features], values => GateRows(values, features, units, order));
        string r = graph.Initializer(recurrent.RecurrentKernel, [1, width, units], values => GateRows(values, units, units, order));
        string b = "";
        if (recurrent.Bias is { } bias)
        {
            bool twoBiases = recurrent is Gru { ResetAfter: true };
            b = graph.Initializer(bias, [1, 2 * width], values =>
            {
                var both = new float[2 * width];
                Reorder(values.AsSpan(0, width), order, units, both.AsSpan(0, width));
                if (twoBiases)
                {
                    Reorder(values.AsSpan(width, width), order, units, both.AsSpan(width, width));
                }

                return both;
            });
        }

        List<Protobuf.AttributeProto> attributes =
        [
            OnnxAttribute.Int("hidden_size", units),
            OnnxAttribute.String("direction", recurrent.GoBackwards ? "reverse" : "forward"),
            OnnxAttribute.Strings("activations", [.. Activations(recurrent).Select(f => OnnxName(f, recurrent))]),
        ];
        if (recurrent is Gru gru)
        {
            attributes.Add(OnnxAttribute.Int("linear_before_reset", gru.ResetAfter ? 1 : 0));
        }

        string opType = recurrent switch
        {
            Lstm => "LSTM",
            Gru => "GRU",
            _ => "RNN",
        };
        string[] outputs = graph.MultiOutputNode(opType, [timeMajor, w, r, b], 2, [.. attributes]);
        if (!recurrent.ReturnSequences)
        {
            // Y_h (1, batch, units): the last state.
            return graph.Node("Squeeze", [outputs[1], graph.Int64s("axes", 0)], outputShape, Layout.ChannelsLast);
        }

        // Y (steps, 1, batch, units) -> (batch, steps, units), in time order.
        string steps = graph.Node("Squeeze", [outputs[0], graph.Int64s("axes", 1)]);
        string batchMajor = graph.Node("Transpose", [steps], OnnxAttribute.Ints("perm", 1, 0, 2));
        if (recurrent.GoBackwards == flipped)
        {
            // Time order: ONNX's order, which is the layer's when it runs forwards and the flip of it when it runs backwards.
            return new OnnxValue(batchMajor, outputShape, Layout.ChannelsLast);
        }

        return graph.Node("Slice", [batchMajor, graph.Int64s("starts", -1), graph.Int64s("ends", long.MinValue), graph.Int64s("axes", 1), graph.Int64s("steps", -1)],
            outputShape, Layout.ChannelsLast);
    }

    // LSTM: f (gates), g (candidate), h (output); GRU: f, g; RNN: f.
    private static ActivationFunction[] Activations(Recurrent layer) => layer switch
    {
        Lstm lstm => [lstm.RecurrentActivation, lstm.Activation, lstm.Activation],
        Gru gru => [gru.RecurrentActivation, gru.Activation],
        _ => [layer.Activation],
    };

    private static string OnnxName(ActivationFunction function, Layer layer) => function switch
    {
        Tanh => "Tanh",
        Sigmoid => "Sigmoid",
        Relu => "Relu",
        _ => throw new NotSupportedException(
            $"Layer '{layer.Name}' ({layer.TypeName}) uses the activation '{function.Name}', which ONNX's recurrent operators do not have in NeuralNet.Onnx; supported there: tanh, sigmoid, relu."),
    };

    // (rows, gates·units) column blocks in Keras' order -> (gates·units, rows) row blocks in ONNX's order.
    private static float[] GateRows(float[] keras, int rows, int units, int[] order)
    {
        int width = order.Length * units;
        var onnx = new float[keras.Length];
        for (int g = 0; g < order.Length; g++)
        {
            for (int j = 0; j < units; j++)
            {
                int column = (order[g] * units) + j, row = (g * units) + j;
                for (int i = 0; i < rows; i++)
                {
                    onnx[(row * rows) + i] = keras[(i * width) + column];
                }
            }
        }

        return onnx;
    }

    private static void Reorder(ReadOnlySpan<float> keras, int[] order, int units, Span<float> onnx)
    {
        for (int g = 0; g < order.Length; g++)
        {
            keras.Slice(order[g] * units, units).CopyTo(onnx.Slice(g * units, units));
        }
    }
}
