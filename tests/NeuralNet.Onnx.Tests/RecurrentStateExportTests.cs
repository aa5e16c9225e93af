using Xunit;
using Microsoft.ML.OnnxRuntime;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;

namespace NeuralNet.Onnx.Tests;

/// <summary>
/// Recurrent layers that return their states (returnState) or start from initial states, alone, in Keras' seq2seq
/// encoder-decoder, in Bidirectional and with masks, exported and run in ONNX Runtime at the oldest, default and newest
/// opsets, compared with Predict.
/// </summary>
public sealed class RecurrentStateExportTests
{
    // Five samples of six ids: pre-padded, post-padded, all padding, zeros in the middle, no padding.
    private static readonly float[][] IdRows =
    [
        [0, 0, 3, 5, 2, 7],
        [4, 1, 8, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
        [2, 0, 9, 0, 0, 1],
        [1, 2, 3, 4, 5, 6],
    ];

    private static Tensor Ids => Tensor.FromArray([.. IdRows.SelectMany(r => r)], IdRows.Length, 6);

    public static TheoryData<string, bool, bool> KindsAndDirections()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (string kind in new[] { "SimpleRnn", "Lstm", "Gru", "GruResetBefore" })
        {
            foreach (bool returnSequences in new[] { false, true })
            {
                foreach (bool goBackwards in new[] { false, true })
                {
                    data.Add(kind, returnSequences, goBackwards);
                }
            }
        }

        return data;
    }

    public static TheoryData<string, bool, bool, bool> MaskedFromInitialStates()
    {
        var data = new TheoryData<string, bool, bool, bool>();
        foreach (string kind in new[] { "SimpleRnn", "Lstm", "Gru" })
        {
            foreach (bool returnSequences in new[] { false, true })
            {
                foreach (bool goBackwards in new[] { false, true })
                {
                    foreach (bool zeroOutputForMask in new[] { false, true })
                    {
                        data.Add(kind, returnSequences, goBackwards, zeroOutputForMask);
                    }
                }
            }
        }

        return data;
    }

    private static Recurrent Layer(string kind, int units, bool returnSequences = false, bool goBackwards = false, bool returnState = true,
        bool zeroOutputForMask = false, string? name = null) => kind switch
    {
        "SimpleRnn" => new SimpleRnn(units, returnSequences: returnSequences, goBackwards: goBackwards, name: name) { ReturnState = returnState, ZeroOutputForMask = zeroOutputForMask },
        "Lstm" => new Lstm(units, returnSequences: returnSequences, goBackwards: goBackwards, name: name) { ReturnState = returnState, ZeroOutputForMask = zeroOutputForMask },
        "Gru" => new Gru(units, returnSequences: returnSequences, goBackwards: goBackwards, name: name) { ReturnState = returnState, ZeroOutputForMask = zeroOutputForMask },
        _ => new Gru(units, resetAfter: false, returnSequences: returnSequences, goBackwards: goBackwards, name: name) { ReturnState = returnState, ZeroOutputForMask = zeroOutputForMask },
    };

    [Theory]
    [MemberData(nameof(KindsAndDirections))]
    public void Returned_states_match_Predict(string kind, bool returnSequences, bool goBackwards)
    {
        var x = new Input(new TensorShape(5, 3), name: "x");
        Recurrent layer = Layer(kind, 4, returnSequences, goBackwards);
        var model = new Functional([x], Apart(layer.CallOutputs(x)), name: "states", seed: 1).Randomized();
        Assert.Equal(1 + layer.StateCount, model.Outputs.Count);

        OnnxRoundTrip.AssertMatchesPredictOn(model, Tensor.RandomNormal(new TensorShape(4, 5, 3), seed: 2));
    }

    [Theory]
    [MemberData(nameof(KindsAndDirections))]
    public void Initial_states_given_as_inputs_match_Predict(string kind, bool returnSequences, bool goBackwards)
    {
        var x = new Input(new TensorShape(5, 3), name: "x");
        Recurrent layer = Layer(kind, 4, returnSequences, goBackwards);
        SymbolicTensor[] states = [.. Enumerable.Range(0, layer.StateCount).Select(k => new Input(new TensorShape(4), name: k == 0 ? "h" : "c"))];
        var model = new Functional([x, .. states], Apart(layer.CallOutputs([x, .. states])), name: "initial", seed: 1).Randomized();

        Tensor[] inputs = [Tensor.RandomNormal(new TensorShape(4, 5, 3), seed: 2), .. states.Select((_, k) => Tensor.RandomNormal(new TensorShape(4, 4), seed: 3 + k))];
        OnnxRoundTrip.AssertMatchesPredictOn(model, inputs);

        // The initial states matter: from zeros the outputs differ.
        Tensor[] fromZeros = [inputs[0], .. states.Select(_ => new Tensor(new TensorShape(4, 4)))];
        Assert.NotEqual(model.PredictOutputs(inputs)[1].AsReadOnlySpan().ToArray(), model.PredictOutputs(fromZeros)[1].AsReadOnlySpan().ToArray());
    }

    [Theory]
    [InlineData("Lstm")]
    [InlineData("Gru")]
    [InlineData("SimpleRnn")]
    public void An_encoder_decoder_runs_with_any_batch_size_from_one_file(string kind)
    {
        // Keras' seq2seq: Input -> encoder (returnState) -> its states start the decoder (returnSequences) -> Dense softmax.
        var source = new Input(new TensorShape(7, 3), name: "encoder_inputs");
        var target = new Input(new TensorShape(4, 5), name: "decoder_inputs");
        SymbolicTensor[] encoded = Layer(kind, 6, name: "encoder").CallOutputs(source);
        SymbolicTensor[] decoded = Layer(kind, 6, returnSequences: true, name: "decoder").CallOutputs([target, .. encoded[1..]]);
        SymbolicTensor next = new Dense(5, ActivationFunction.Softmax, name: "next").Call(decoded[0]);
        var model = new Functional([source, target], [next, .. Apart(decoded[1..])], name: "seq2seq", seed: 4).Randomized();

        byte[] onnx = model.ToOnnxBytes();
        using (var session = new InferenceSession(onnx))
        {
            foreach (NodeMetadata value in session.InputMetadata.Values.Concat(session.OutputMetadata.Values))
            {
                Assert.Equal("batch", value.SymbolicDimensions[0]);
            }

            Assert.Equal([-1, 6], session.OutputMetadata[model.OutputNames[1]].Dimensions);
        }

        foreach (int batch in new[] { 1, 2, 7 })
        {
            Tensor[] inputs = [Tensor.RandomNormal(new TensorShape(batch, 7, 3), seed: batch), Tensor.RandomNormal(new TensorShape(batch, 4, 5), seed: 10 + batch)];
            IReadOnlyList<Tensor> expected = model.PredictOutputs(inputs);
            Dictionary<string, (float[] Values, int[] Dimensions)> actual = OnnxRoundTrip.RunOnnx(onnx, model, inputs);
            for (int o = 0; o < expected.Count; o++)
            {
                (float[] values, int[] dimensions) = actual[model.OutputNames[o]];
                Assert.Equal(expected[o].Shape.Dimensions.ToArray(), dimensions);
                OnnxRoundTrip.AssertClose(expected[o].AsReadOnlySpan(), values, $"{model.OutputNames[o]} at batch {batch}");
            }
        }

        // The decoder reads the encoder's states: a graph input feeds the encoder node only, whose state outputs the decoder reads.
        GraphProto graph = ModelProto.Parser.ParseFrom(onnx).Graph;
        NodeProto decoder = graph.Node.Single(n => n.Name.StartsWith("decoder/", StringComparison.Ordinal) && n.OpType == OpType(kind));
        Assert.Equal(kind == "Lstm" ? 7 : 6, decoder.Input.Count);
        NodeProto encoder = graph.Node.Single(n => n.Name.StartsWith("encoder/", StringComparison.Ordinal) && n.OpType == OpType(kind));
        int[] read = [.. decoder.Input.Skip(5).Select(state => EncoderOutputIndex(graph, encoder, state))];
        Assert.Equal(kind == "Lstm" ? [1, 2] : [1], read);
    }

    // Follows a value back through the layout nodes (Unsqueeze, Squeeze, Identity) to the encoder node; returns which of
    // its outputs it is (1: Y_h, 2: Y_c), or fails when it comes from anywhere else.
    private static int EncoderOutputIndex(GraphProto graph, NodeProto encoder, string value)
    {
        for (int hops = 0; hops < 8; hops++)
        {
            int index = encoder.Output.IndexOf(value);
            if (index >= 0)
            {
                return index;
            }

            NodeProto producer = graph.Node.Single(n => n.Output.Contains(value));
            Assert.Contains(producer.OpType, (string[])["Unsqueeze", "Squeeze", "Identity"]);
            value = producer.Input[0];
        }

        throw new Xunit.Sdk.XunitException($"'{value}' does not come from the encoder node '{encoder.Name}'.");
    }

    private static string OpType(string kind) => kind switch
    {
        "Lstm" => "LSTM",
        "Gru" => "GRU",
        _ => "RNN",
    };

    [Theory]
    [MemberData(nameof(KindsAndDirections))]
    public void Masked_final_states_are_those_of_the_last_real_step(string kind, bool returnSequences, bool goBackwards)
    {
        var model = MaskedStates(kind, returnSequences, goBackwards, steps: 6).Randomized();
        float[][] onnxStates = [.. OnnxStates(model, Ids)];
        OnnxRoundTrip.AssertMatchesPredictOn(model, Ids);

        // Padding first and padding last give the states of the real ids alone: the masked steps kept them.
        (int Row, float[] Real)[] samples = [(0, [3, 5, 2, 7]), (1, [4, 1, 8])];
        foreach ((int row, float[] real) in samples)
        {
            var unpadded = MaskedStates(kind, returnSequences, goBackwards, steps: real.Length);
            CopyWeights(model, unpadded);
            IReadOnlyList<Tensor> expected = unpadded.PredictOutputs([Tensor.FromArray(real, 1, real.Length)]);
            for (int k = 0; k < onnxStates.Length; k++)
            {
                int units = expected[1 + k].Length;
                OnnxRoundTrip.AssertClose(expected[1 + k].AsReadOnlySpan(), onnxStates[k].AsSpan(row * units, units), $"state {k} of row {row} against its real ids alone");
            }
        }

        // A sample all padding keeps the zero states it started from.
        Assert.All(onnxStates, state => Assert.All(state.AsSpan(2 * 4, 4).ToArray(), v => Assert.Equal(0f, v)));
    }

    // Embedding(maskZero) -> the layer returning its states.
    private static Functional MaskedStates(string kind, bool returnSequences, bool goBackwards, int steps)
    {
        var ids = new Input(new TensorShape(steps), name: "ids");
        SymbolicTensor words = new Embedding(10, 3, maskZero: true, name: "words").Call(ids);
        return new Functional([ids], Apart(Layer(kind, 4, returnSequences, goBackwards, name: "reader").CallOutputs(words)), name: "masked_states", seed: 5);
    }

    // The model's state outputs (all outputs but the first) as ONNX Runtime computes them.
    private static IEnumerable<float[]> OnnxStates(Model model, Tensor ids)
    {
        Dictionary<string, (float[] Values, int[] Dimensions)> outputs = OnnxRoundTrip.RunOnnx(model.ToOnnxBytes(), model, [ids]);
        return model.OutputNames.Skip(1).Select(name => outputs[name].Values);
    }

    [Theory]
    [MemberData(nameof(MaskedFromInitialStates))]
    public void Masked_layers_from_initial_states_match_Predict(string kind, bool returnSequences, bool goBackwards, bool zeroOutputForMask)
    {
        // From initial states Keras carries the output apart from the state: zeros until the first real step while the
        // state is the initial one, then the last real output.
        var ids = new Input(new TensorShape(6), name: "ids");
        Recurrent layer = Layer(kind, 4, returnSequences, goBackwards, zeroOutputForMask: zeroOutputForMask, name: "reader");
        SymbolicTensor[] states = [.. Enumerable.Range(0, layer.StateCount).Select(k => new Input(new TensorShape(4), name: k == 0 ? "h" : "c"))];
        SymbolicTensor words = new Embedding(10, 3, maskZero: true).Call(ids);
        var model = new Functional([ids, .. states], Apart(layer.CallOutputs([words, .. states])), name: "masked_initial", seed: 6).Randomized();

        Tensor[] inputs = [Ids, .. states.Select((_, k) => Tensor.RandomNormal(new TensorShape(IdRows.Length, 4), seed: 7 + k))];
        OnnxRoundTrip.AssertMatchesPredictOn(model, inputs);

        // The all-padding sample's states are its initial states, and its output zeros.
        IReadOnlyList<Tensor> predicted = model.PredictOutputs(inputs);
        for (int k = 0; k < states.Length; k++)
        {
            Assert.Equal(inputs[1 + k].AsReadOnlySpan().Slice(2 * 4, 4).ToArray(), predicted[1 + k].AsReadOnlySpan().Slice(2 * 4, 4).ToArray());
        }

        int outputRow = predicted[0].Length / IdRows.Length;
        Assert.All(predicted[0].AsReadOnlySpan().Slice(2 * outputRow, outputRow).ToArray(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [InlineData(BidirectionalMergeMode.Concat, false, false)]
    [InlineData(BidirectionalMergeMode.Sum, true, false)]
    [InlineData(BidirectionalMergeMode.Ave, false, true)]
    [InlineData(BidirectionalMergeMode.Mul, true, true)]
    [InlineData(BidirectionalMergeMode.None, false, false)]
    [InlineData(BidirectionalMergeMode.None, true, true)]
    public void Bidirectional_returns_the_merged_output_then_forward_and_backward_states_as_Predict(BidirectionalMergeMode mergeMode, bool returnSequences, bool masked)
    {
        // Keras' order: [output (or forward, backward without a merge), forward h, forward c, backward h]; a GRU backwards.
        var ids = new Input(new TensorShape(6), name: "ids");
        SymbolicTensor words = new Embedding(10, 3, maskZero: masked, name: "words").Call(ids);
        var both = new Bidirectional(new Lstm(4, returnSequences: returnSequences) { ReturnState = true }, mergeMode,
            backwardLayer: new Gru(4, returnSequences: returnSequences, goBackwards: true) { ReturnState = true }, name: "both");
        var model = new Functional([ids], Apart(both.CallOutputs(words)), name: "bidirectional_states", seed: 8).Randomized();
        Assert.Equal((mergeMode == BidirectionalMergeMode.None ? 2 : 1) + 3, model.Outputs.Count);

        OnnxRoundTrip.AssertMatchesPredictOn(model, Ids);
    }

    [Fact]
    public void A_masked_bidirectional_returns_each_direction_s_last_real_state()
    {
        // The forward layer's final state is the last real step's, the backward layer's the first real step's.
        static Functional Build(int steps)
        {
            var ids = new Input(new TensorShape(steps), name: "ids");
            SymbolicTensor words = new Embedding(10, 3, maskZero: true, name: "words").Call(ids);
            return new Functional([ids], Apart(new Bidirectional(new Gru(4) { ReturnState = true }, name: "both").CallOutputs(words)), name: "both_states", seed: 9);
        }

        Functional model = Build(6).Randomized();
        OnnxRoundTrip.AssertMatchesPredictOn(model, Ids);
        float[][] states = [.. OnnxStates(model, Ids)];
        var unpadded = Build(4);
        CopyWeights(model, unpadded);
        IReadOnlyList<Tensor> expected = unpadded.PredictOutputs([Tensor.FromArray([3, 5, 2, 7], 1, 4)]);
        OnnxRoundTrip.AssertClose(expected[1].AsReadOnlySpan(), states[0].AsSpan(0, 4), "forward state of the pre-padded row");
        OnnxRoundTrip.AssertClose(expected[2].AsReadOnlySpan(), states[1].AsSpan(0, 4), "backward state of the pre-padded row");
    }

    [Fact]
    public void TimeDistributed_of_a_layer_returning_its_states_gives_its_first_output_as_Predict()
    {
        // TimeDistributed returns the wrapped layer's first output; the states are not the wrapper's.
        var model = new Sequential(name: "per_word", seed: 12);
        model.Add(new InputLayer(new TensorShape(3, 4, 2)));
        model.Add(new TimeDistributed(new Lstm(3) { ReturnState = true }));
        OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), Tensor.RandomNormal(new TensorShape(2, 3, 4, 2), seed: 13));
    }

    [Fact]
    public void Stateful_layers_returning_states_are_still_refused_with_the_layer_named()
    {
        var x = new Input(new TensorShape(5, 3), name: "x");
        SymbolicTensor[] outputs = new Gru(4, name: "streaming_encoder") { ReturnState = true, Stateful = true }.CallOutputs(x);
        var model = new Functional(x, Apart(outputs), name: "stateful_states");
        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
        Assert.Contains("Layer 'streaming_encoder' (NeuralNet.Layers.Gru) of model 'stateful_states' is stateful (its states carry from one call to the next)", error.Message, StringComparison.Ordinal);
        Assert.Contains("export a copy built with Stateful = false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_recurrent_activation_ONNX_lacks_is_refused_with_the_layer_named_when_states_are_returned()
    {
        var x = new Input(new TensorShape(5, 3), name: "x");
        var h = new Input(new TensorShape(4), name: "h");
        SymbolicTensor[] outputs = new SimpleRnn(4, ActivationFunction.Selu, name: "odd") { ReturnState = true }.CallOutputs(x, h);
        var model = new Functional([x, h], Apart(outputs), name: "odd_states");
        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
        Assert.Contains("Layer 'odd' (SimpleRNN) uses the activation 'selu'", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A call's outputs as model outputs: the first as is, each further one through an Identity layer of its own, so
    /// that each output has a name of its own layer (a model may also output them directly, named layer, layer_1, ...).
    /// </summary>
    internal static SymbolicTensor[] Apart(IReadOnlyList<SymbolicTensor> outputs) =>
        [outputs[0], .. outputs.Skip(1).Select(output => new Identity().Call(output))];

    private static void CopyWeights(Model from, Model to)
    {
        foreach ((Parameter source, Parameter target) in from.Parameters.Zip(to.Parameters))
        {
            source.Value.AsReadOnlySpan().CopyTo(target.Value.AsSpan());
        }
    }
}
