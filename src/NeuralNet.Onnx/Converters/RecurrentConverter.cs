using NeuralNet.Activations;
using NeuralNet.Layers;

namespace NeuralNet.Onnx.Converters;

/// <summary>
/// SimpleRnn, Lstm and Gru as ONNX's RNN, LSTM and GRU operators. ONNX reads (steps, batch, features) and wants its weights
/// per gate as rows: W (1, gates·units, features) = the kernel transposed, R likewise from the recurrent kernel, B the
/// input bias then the recurrent bias. LSTM's gate blocks go from Keras' i, f, c, o to ONNX's i, o, f, c; GRU's z, r, h are
/// the same in both, and Keras' reset_after is ONNX's linear_before_reset. ONNX's reverse direction returns the states in
/// time order where Keras returns them in the order the steps ran, so a backwards sequence is reversed once more. Keras'
/// states, initial (initial_state) and final (return_state), are (batch, units); ONNX's initial_h, initial_c, Y_h and Y_c
/// are (num_directions = 1, batch, units), so they are Unsqueezed going in and Squeezed coming out.
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

    /// <summary>The layer's first output alone (what <see cref="TimeDistributed"/> returns of it), from its initial-state inputs when it has them.</summary>
    public static OnnxValue Convert(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, TensorShape outputShape) =>
        Run(graph, (Recurrent)layer, inputs[0], [.. inputs.Skip(1)], outputShape, flipped: false, mask: null)[0];

    /// <summary>The layer with the mask (batch, steps) that arrives with its input: a Scan over the steps (see <see cref="MaskedSteps"/>).</summary>
    public static OnnxValue ConvertMasked(OnnxGraphBuilder graph, Layer layer, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<string?> masks, TensorShape outputShape) =>
        Run(graph, (Recurrent)layer, inputs[0], [.. inputs.Skip(1)], outputShape, flipped: false, masks[0])[0];

    /// <summary>
    /// Every output of one call of the layer, as Predict gives them: the output, then with returnState the final states
    /// (h, then an LSTM's c), each (batch, units); <paramref name="inputs"/> are the sequence and, when the call gives them,
    /// the initial states (batch, units); <paramref name="mask"/> the bool mask (batch, steps) of the sequence, or null.
    /// </summary>
    public static OnnxValue[] Outputs(OnnxGraphBuilder graph, Recurrent recurrent, IReadOnlyList<OnnxValue> inputs, string? mask) =>
        Run(graph, recurrent, inputs[0], [.. inputs.Skip(1)], recurrent.OutputShape, flipped: false, mask);

    /// <summary>
    /// The layer run over <paramref name="input"/> from <paramref name="initialStates"/> (Keras' initial_state: h, then an
    /// LSTM's c, each (batch, units); none for zeros), with the bool <paramref name="mask"/> (batch, steps) when one arrives
    /// with it: the output, a returned sequence in the order the layer returns it, or reversed when <paramref name="flipped"/>
    /// (what <see cref="Bidirectional"/> does to its backward layer's), one Slice at most either way; then, with
    /// returnState, the final states (batch, units), the states after the last step run (masked steps carried).
    /// </summary>
    public static OnnxValue[] Run(OnnxGraphBuilder graph, Recurrent recurrent, OnnxValue input, IReadOnlyList<OnnxValue> initialStates, TensorShape outputShape, bool flipped, string? mask)
    {
        int units = recurrent.Units, features = recurrent.InputShapes[0][1], width = recurrent.Kernel.Shape[1], gates = width / units;
        int[] order = recurrent is Lstm ? LstmGates : [.. Enumerable.Range(0, gates)];
        OnnxValue x = graph.ChannelsLast(input);

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

        // Keras' states are (batch, units); ONNX's initial_h, initial_c, Y_h and Y_c are (num_directions = 1, batch, units).
        string[] initial = [.. initialStates.Select(state => graph.Node("Unsqueeze", [graph.ChannelsLast(state).Name, graph.Int64s("axes", 0)]))];

        // sequence: Y (steps, 1, batch, units) in time order; finals: Y_h (and an LSTM's Y_c) (1, batch, units), the states
        // after the last step run; output: the layer's output when it is not the sequence.
        string sequence;
        string[] finals;
        OnnxValue? output = null;
        if (mask is null)
        {
            string timeMajor = graph.Node("Transpose", [x.Name], OnnxAttribute.Ints("perm", 1, 0, 2));
            string[] operands = initial.Length == 0 ? [timeMajor, w, r, b] : [timeMajor, w, r, b, "", .. initial];
            int outputCount = recurrent.ReturnState ? 1 + recurrent.StateCount : 2;
            string[] outputs = graph.MultiOutputNode(OpType(recurrent), operands, outputCount, Attributes(recurrent, recurrent.GoBackwards ? "reverse" : "forward"));
            (sequence, finals) = (outputs[0], outputs[1..]);
        }
        else
        {
            (sequence, finals) = MaskedSteps(graph, recurrent, x, mask, [w, r, b], initial);
            if (!recurrent.ReturnSequences && (recurrent.ZeroOutputForMask || initial.Length > 0))
            {
                // The output is the last step's (zeros when that step is masked, or masked like every step before it
                // from initial states), not the state it carried.
                string stepRunLast = graph.Node("Gather", [sequence, graph.Int64s("last_step", recurrent.GoBackwards ? 0 : -1)], OnnxAttribute.Int("axis", 0));
                output = graph.Node("Squeeze", [stepRunLast, graph.Int64s("axes", 0, 1)], outputShape, Layout.ChannelsLast);
            }
        }

        OnnxValue[] states = [.. finals.Take(recurrent.ReturnState ? recurrent.StateCount : 0)
            .Select(final => graph.Node("Squeeze", [final, graph.Int64s("axes", 0)], new TensorShape(units), Layout.ChannelsLast))];
        output ??= recurrent.ReturnSequences ? Sequence(graph, recurrent, sequence, outputShape, flipped)
            : states.Length > 0 ? states[0] with { Shape = outputShape }
            : graph.Node("Squeeze", [finals[0], graph.Int64s("axes", 0)], outputShape, Layout.ChannelsLast);
        return [output.Value, .. states];
    }

    // (steps, 1, batch, units) in time order -> (batch, steps, units), in the order the layer returns it (flipped back
    // when flipped).
    private static OnnxValue Sequence(OnnxGraphBuilder graph, Recurrent recurrent, string sequence, TensorShape outputShape, bool flipped)
    {
        string steps = graph.Node("Squeeze", [sequence, graph.Int64s("axes", 1)]);
        string batchMajor = graph.Node("Transpose", [steps], OnnxAttribute.Ints("perm", 1, 0, 2));
        if (recurrent.GoBackwards == flipped)
        {
            // Time order: ONNX's order, which is the layer's when it runs forwards and the flip of it when it runs backwards.
            return new OnnxValue(batchMajor, outputShape, Layout.ChannelsLast);
        }

        return graph.Node("Slice", [batchMajor, graph.Int64s("starts", -1), graph.Int64s("ends", long.MinValue), graph.Int64s("axes", 1), graph.Int64s("steps", -1)],
            outputShape, Layout.ChannelsLast);
    }

    /// <summary>
    /// Keras' masked steps, which ONNX's operators cannot take (their sequence_lens only cuts padding off the end): a Scan
    /// runs the layer's ONNX operator one step at a time (the same weights, from the states the previous step left), and
    /// keeps the new states where the step is real and the previous ones where it is masked (Where), as Predict carries
    /// them; a step's output is its state, zeros at a masked step with ZeroOutputForMask, and from given initial states
    /// the previous output (Keras carries outputs and states apart, the output from zeros), so a masked step before the
    /// first real one outputs zeros while its state is the initial one. The Scan reads the steps last to first for a layer
    /// that goes backwards and writes the outputs back in time order, as ONNX's reverse direction does. initial holds
    /// the initial states (1, batch, units), or none for zeros.
    /// </summary>
    /// <returns>The outputs (steps, 1, batch, units) in time order, and the final states (1, batch, units): h, then an LSTM's c.</returns>
    private static (string Sequence, string[] Finals) MaskedSteps(OnnxGraphBuilder graph, Recurrent recurrent, OnnxValue x, string mask, string[] weights, string[] initial)
    {
        // (batch, steps, features) -> (steps, 1, batch, features): each step is the (1, batch, features) ONNX's operators read;
        // the mask (batch, steps) -> (steps, 1, batch, 1), each step's broadcasting over a state.
        long[] timeFirst = [2, 0, 1, 3];
        string inputSteps = graph.Node("Transpose", [graph.Node("Unsqueeze", [x.Name, graph.Int64s("axes", 0)])], OnnxAttribute.Ints("perm", timeFirst));
        string maskSteps = graph.Node("Transpose", [graph.Node("Unsqueeze", [mask, graph.Int64s("axes", 0, 3)])], OnnxAttribute.Ints("perm", timeFirst));

        int stateCount = recurrent.StateCount;
        bool carriesOutput = initial.Length > 0 && !recurrent.ZeroOutputForMask;
        string? zeros = initial.Length == 0 || carriesOutput ? ZeroState(graph, recurrent, x) : null;
        string[] starts = initial.Length > 0 ? initial : [.. Enumerable.Repeat(zeros!, stateCount)];

        string[] previous = [.. Enumerable.Range(0, stateCount).Select(k => graph.NewName(k == 0 ? "previous_h" : "previous_c"))];
        string previousOutput = graph.NewName("previous_output");
        string inputStep = graph.NewName("input_step"), maskStep = graph.NewName("mask_step");
        Protobuf.ValueInfoProto[] bodyInputs =
        [
            .. previous.Concat(carriesOutput ? [previousOutput] : []).Select(name => OnnxGraphBuilder.Typed(name, Protobuf.TensorProto.Types.DataType.Float)),
            OnnxGraphBuilder.Typed(inputStep, Protobuf.TensorProto.Types.DataType.Float),
            OnnxGraphBuilder.Typed(maskStep, Protobuf.TensorProto.Types.DataType.Bool),
        ];
        Protobuf.GraphProto body = graph.Subgraph("step", bodyInputs, () =>
        {
            string[] ran = graph.MultiOutputNode(OpType(recurrent), [inputStep, .. weights, "", .. previous], 1 + stateCount, Attributes(recurrent, "forward"));
            string[] kept = [.. Enumerable.Range(0, stateCount).Select(k => graph.Node("Where", [maskStep, ran[1 + k], previous[k]]))];
            string[] outputs = recurrent.ZeroOutputForMask ? [graph.Node("Where", [maskStep, ran[1], graph.Scalar("zero", 0f)])]
                : carriesOutput ? CarriedOutput(graph, graph.Node("Where", [maskStep, ran[1], previousOutput]))
                : [graph.Node("Identity", [kept[0]])];
            return [.. kept.Concat(outputs).Select(name => OnnxGraphBuilder.Typed(name, Protobuf.TensorProto.Types.DataType.Float))];
        });

        long direction = recurrent.GoBackwards ? 1 : 0;
        int carried = stateCount + (carriesOutput ? 1 : 0);
        string[] scanned = graph.MultiOutputNode("Scan", [.. starts, .. carriesOutput ? [zeros!] : Array.Empty<string>(), inputSteps, maskSteps], carried + 1,
            OnnxAttribute.Graph("body", body),
            OnnxAttribute.Int("num_scan_inputs", 2),
            OnnxAttribute.Ints("scan_input_directions", direction, direction),
            OnnxAttribute.Ints("scan_output_directions", direction));
        return (scanned[carried], scanned[..stateCount]);
    }

    // The output a step carries to the next (a Scan state) and writes (a scan output): two body outputs, so two names.
    private static string[] CarriedOutput(OnnxGraphBuilder graph, string output) => [output, graph.Node("Identity", [output])];

    // Zero states (1, batch, units) for the batch the graph runs with.
    private static string ZeroState(OnnxGraphBuilder graph, Recurrent recurrent, OnnxValue x)
    {
        string batch = graph.Node("Slice", [graph.Node("Shape", [x.Name]), graph.Int64s("starts", 0), graph.Int64s("ends", 1)]);
        string stateShape = graph.Node("Concat", [graph.Int64s("one", 1), batch, graph.Int64s("one", 1)], OnnxAttribute.Int("axis", 0));
        return graph.Node("Expand", [graph.Floats("zero_state", [1, 1, recurrent.Units], new float[recurrent.Units]), stateShape]);
    }

    private static string OpType(Recurrent recurrent) => recurrent switch
    {
        Lstm => "LSTM",
        Gru => "GRU",
        _ => "RNN",
    };

    private static Protobuf.AttributeProto[] Attributes(Recurrent recurrent, string direction)
    {
        List<Protobuf.AttributeProto> attributes =
        [
            OnnxAttribute.Int("hidden_size", recurrent.Units),
            OnnxAttribute.String("direction", direction),
            OnnxAttribute.Strings("activations", [.. Activations(recurrent).Select(f => OnnxName(f, recurrent))]),
        ];
        if (recurrent is Gru gru)
        {
            attributes.Add(OnnxAttribute.Int("linear_before_reset", gru.ResetAfter ? 1 : 0));
        }

        return [.. attributes];
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
