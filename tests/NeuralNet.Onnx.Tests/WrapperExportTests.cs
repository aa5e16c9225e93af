using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;
using Google.Protobuf;
using Xunit;

namespace NeuralNet.Onnx.Tests;

/// <summary>
/// What Bidirectional and TimeDistributed become in the file and what export refuses in them, beside their round trips in
/// <see cref="ExportCases"/>.
/// </summary>
public sealed class WrapperExportTests
{
    [Fact]
    public void Bidirectional_is_two_recurrent_nodes_whose_flips_cancel_then_the_merge()
    {
        GraphProto graph = Graph([5, 3], new Bidirectional(new Lstm(4, returnSequences: true, name: "lstm"), name: "both"));
        Assert.Equal(["LSTM", "LSTM"], graph.Node.Where(n => n.OpType == "LSTM").Select(n => n.OpType));
        Assert.Equal(["forward", "reverse"], graph.Node.Where(n => n.OpType == "LSTM").Select(n => n.Attribute.Single(a => a.Name == "direction").S.ToStringUtf8()));

        // The backward layer returns its steps last to first and Bidirectional flips them back: ONNX's reverse LSTM
        // already gives them in time order, so no Slice.
        Assert.DoesNotContain(graph.Node, n => n.OpType == "Slice");
        Assert.Equal("Concat", graph.Node[^1].OpType);
        Assert.Contains(graph.Initializer, i => i.Name == "both/forward_lstm/kernel");
        Assert.Contains(graph.Initializer, i => i.Name == "both/backward_lstm/recurrent_kernel");
    }

    [Fact]
    public void A_forward_layer_that_goes_backwards_is_flipped_once_each_way()
    {
        GraphProto graph = Graph([5, 3], new Bidirectional(new Gru(3, returnSequences: true, goBackwards: true), BidirectionalMergeMode.Mul));
        Assert.Equal(2, graph.Node.Count(n => n.OpType == "Slice"));
        Assert.Equal("Mul", graph.Node[^1].OpType);
    }

    [Fact]
    public void Bidirectional_without_a_merge_is_its_two_directions_as_two_outputs()
    {
        var x = new Input(new TensorShape(5, 3), name: "x");
        SymbolicTensor[] both = new Bidirectional(new Lstm(2, returnSequences: true, name: "lstm"), BidirectionalMergeMode.None, name: "both").CallOutputs(x);
        var model = new Functional([x], [both[0], new Identity(name: "backward").Call(both[1])], name: "apart", seed: 1);
        GraphProto graph = ModelProto.Parser.ParseFrom(model.ToOnnxBytes()).Graph;

        // One node per direction, no merge; the backward sequence flipped back to time order by ONNX's reverse direction.
        Assert.Equal(2, graph.Node.Count(n => n.OpType == "LSTM"));
        Assert.DoesNotContain(graph.Node, n => n.OpType is "Concat" or "Add" or "Mul");
        Assert.Equal(2, graph.Output.Count);
        OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), Tensor.RandomNormal(new TensorShape(3, 5, 3), 2));
    }

    [Fact]
    public void Bidirectional_without_a_merge_masks_both_directions_and_passes_the_mask_on_both_outputs()
    {
        var ids = new Input(new TensorShape(6), name: "ids");
        SymbolicTensor words = new Embedding(10, 3, maskZero: true).Call(ids);
        SymbolicTensor[] both = new Bidirectional(new Gru(3, returnSequences: true), BidirectionalMergeMode.None).CallOutputs(words);

        // Both outputs carry the input's mask (Keras' compute_mask returns (mask, mask)): the SimpleRnns after each skip padding.
        var model = new Functional([ids], [new SimpleRnn(2).Call(both[0]), new SimpleRnn(2).Call(both[1]), both[1]], name: "apart_masked", seed: 2);
        Tensor padded = Tensor.FromArray([0, 0, 3, 5, 2, 7, 4, 1, 8, 0, 0, 0, 2, 0, 9, 0, 0, 1], 3, 6);
        OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), padded);
    }

    [Fact]
    public void Bidirectional_returning_states_exports_when_the_model_reads_only_some_of_its_outputs()
    {
        // The merged output and the backward layer's cell state; the other states are written but read by nothing.
        var x = new Input(new TensorShape(5, 3), name: "x");
        SymbolicTensor[] all = new Bidirectional(new Lstm(2) { ReturnState = true }, name: "both").CallOutputs(x);
        Assert.Equal(5, all.Length);
        var model = new Functional(x, [all[0], new Dense(3, name: "from_cell").Call(all[4])], name: "states", seed: 2);
        OnnxRoundTrip.AssertMatchesPredict(model.Randomized(), batch: 4);
    }

    [Fact]
    public void Bidirectional_with_an_activation_onnx_lacks_names_the_inner_layer()
    {
        var model = new Sequential(name: "odd");
        model.Add(new InputLayer(5, 3));
        model.Add(new Bidirectional(new SimpleRnn(2, new Activations.Elu(), name: "rnn"), name: "both"));
        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
        Assert.Contains("Layer 'forward_rnn' (SimpleRNN) uses the activation 'elu'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TimeDistributed_folds_the_steps_into_the_batch_and_back()
    {
        GraphProto graph = Graph([5, 6], new TimeDistributed(new Dense(4, name: "dense"), name: "steps"));
        Assert.Equal(["Reshape", "MatMul", "Add", "Reshape"], graph.Node.Select(n => n.OpType));
        Assert.Equal([-1L, 6], Int64s(graph, "steps/folded_shape"));
        Assert.Equal([-1L, 5, 4], Int64s(graph, "steps/unfolded_shape"));
        Assert.Contains(graph.Initializer, i => i.Name == "steps/dense/kernel");
    }

    [Fact]
    public void TimeDistributed_of_a_layer_that_cannot_be_exported_names_both()
    {
        // A Discretization never adapted has no bin boundaries (Predict refuses it too).
        var model = new Sequential(name: "wrapped");
        model.Add(new InputLayer(4, 3));
        model.Add(new TimeDistributed(new Discretization(numBins: 3, name: "bins"), name: "steps"));
        var error = Assert.Throws<InvalidOperationException>(() => model.ToOnnxBytes());
        Assert.Contains("Layer 'bins' (inside 'steps') (Discretization) of model 'wrapped' has no bin boundaries yet", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_time_part_of_a_mask_made_inside_TimeDistributed_is_followed()
    {
        // Words of letters: TimeDistributed(Embedding(maskZero)) masks letters; after Flatten per word, a word is real when
        // any of its letters is.
        var model = new Sequential(name: "words", seed: 9);
        model.Add(new InputLayer(new TensorShape(4, 3), name: "letters"));
        model.Add(new TimeDistributed(new Embedding(10, 2, maskZero: true)));
        model.Add(new TimeDistributed(new Flatten()));
        model.Add(new Lstm(3, returnSequences: true));
        model.Randomized();
        Tensor letters = Tensor.FromArray(
        [
            0, 0, 0, 0, 0, 0, 1, 2, 0, 3, 4, 5,
            6, 0, 0, 0, 0, 0, 7, 8, 9, 0, 0, 0,
        ], 2, 4, 3);
        OnnxRoundTrip.AssertMatchesPredictOn(model, letters);
    }

    [Fact]
    public void The_layer_types_of_session_22_are_listed_as_supported()
    {
        Assert.Subset(OnnxExporter.SupportedLayers.ToHashSet(),
            new HashSet<string> { "Bidirectional", "TimeDistributed", "Attention", "AdditiveAttention", "MultiHeadAttention", "Masking", "CategoryEncoding", "Discretization", "IntegerLookup" });
    }

    private static GraphProto Graph(int[] shape, params Layer[] layers)
    {
        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(shape));
        foreach (Layer layer in layers)
        {
            model.Add(layer);
        }

        return ModelProto.Parser.ParseFrom(model.ToOnnxBytes()).Graph;
    }

    private static long[] Int64s(GraphProto graph, string name)
    {
        TensorProto tensor = graph.Initializer.Single(i => i.Name == name);
        return [.. Enumerable.Range(0, tensor.RawData.Length / sizeof(long)).Select(k => BitConverter.ToInt64(tensor.RawData.Span[(k * sizeof(long))..]))];
    }
}
