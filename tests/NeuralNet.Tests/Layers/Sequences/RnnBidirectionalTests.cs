using System.Text.Json.Nodes;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

// Keras' Bidirectional(RNN(cell)) (keras/src/layers/rnn/bidirectional.py): the backward layer is made from the forward
// layer's config with go_backwards flipped, as for LSTM or GRU.
public class RnnBidirectionalTests
{
    static RnnBidirectionalTests() => SerializationRegistry.Register("Tests>MinimalRnnCell", config => new MinimalRnnCell(config.GetInt32("units")));

    private static readonly Initializer K = new Constant(0.01f), R = new Constant(0.02f), B = new Constant(0.03f);

    // keras/src/layers/rnn/bidirectional_test.py, test_correctness: input arange(24) as (2, 3, 4), kernel 0.01,
    // recurrent kernel 0.02, bias 0.03; here with RNN over SimpleRNNCell, which computes SimpleRNN's step.
    [Fact]
    public void Matches_keras_published_values()
    {
        Tensor sequence = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)i)], 2, 3, 4);
        float[] concat = new Bidirectional(new Rnn(new SimpleRnnCell(2, kernelInitializer: K, recurrentInitializer: R, biasInitializer: B))).Forward(sequence, training: false).ToArray();
        float[] ave = new Bidirectional(new Rnn(new SimpleRnnCell(2, kernelInitializer: K, recurrentInitializer: R, biasInitializer: B)), BidirectionalMergeMode.Ave).Forward(sequence, training: false).ToArray();

        AssertClose([0.39687276f, 0.39687276f, 0.10004295f, 0.10004295f, 0.7237238f, 0.7237238f, 0.53391594f, 0.53391594f], concat);
        AssertClose([0.24845785f, 0.24845785f, 0.6288199f, 0.6288199f], ave);
    }

    public static TheoryData<BidirectionalMergeMode, bool, bool> Cases
    {
        get
        {
            var data = new TheoryData<BidirectionalMergeMode, bool, bool>();
            foreach (BidirectionalMergeMode mode in Enum.GetValues<BidirectionalMergeMode>())
            {
                data.Add(mode, false, false);
                data.Add(mode, true, true);
            }

            data.Add(BidirectionalMergeMode.Concat, true, false);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Over_an_lstm_cell_equals_bidirectional_lstm_bit_for_bit(BidirectionalMergeMode mode, bool masked, bool returnState)
    {
        var fast = new Bidirectional(new Lstm(3, returnSequences: true) { ReturnState = returnState }, mode) { Seed = 4 };
        var generic = new Bidirectional(new Rnn(new LstmCell(3), returnSequences: true, returnState: returnState), mode) { Seed = 9 };
        fast.Build(new TensorShape(5, 2));
        generic.Build(new TensorShape(5, 2));
        // The same weights in the same order, under each direction's name (forward_lstm/kernel, forward_rnn/kernel, ...).
        Assert.Equal(fast.Parameters.Select(p => (p.Name.Replace("lstm", "rnn", StringComparison.Ordinal), p.Shape)), generic.Parameters.Select(p => (p.Name, p.Shape)));
        for (int i = 0; i < fast.Parameters.Count; i++)
        {
            Tensor.RandomNormal(fast.Parameters[i].Shape, 40 + i, 0f, 0.5f).AsReadOnlySpan().CopyTo(fast.Parameters[i].Value.AsSpan());
            fast.Parameters[i].Value.AsReadOnlySpan().CopyTo(generic.Parameters[i].Value.AsSpan());
        }

        Tensor x = Tensor.RandomNormal(new TensorShape(3, 5, 2), 7);
        Tensor? mask = masked ? Tensor.FromArray([1, 1, 0, 1, 1, /**/ 0, 1, 1, 1, 0, /**/ 1, 0, 0, 0, 1], 3, 5) : null;
        Tensor expected = fast.Forward(x, mask, training: false), actual = generic.Forward(x, mask, training: false);

        Assert.Equal(fast.OutputCount, generic.OutputCount);
        Assert.Equal(expected.ToArray(), actual.ToArray());
        for (int k = 1; k < fast.OutputCount; k++)
        {
            Assert.Equal(fast.GetOutput(k).ToArray(), generic.GetOutput(k).ToArray());
        }

        // Gradients through the same formulas, summed in another order: close, not bitwise.
        var upstream = new Tensor?[fast.OutputCount];
        for (int k = 0; k < upstream.Length; k++)
        {
            upstream[k] = Tensor.RandomNormal(fast.GetOutput(k).Shape, 60 + k);
        }

        var fastInput = new Tensor?[1];
        var genericInput = new Tensor?[1];
        fast.Backward(upstream, fastInput);
        generic.Backward(upstream, genericInput);
        AssertClose(fastInput[0]!.ToArray(), genericInput[0]!.ToArray());
        for (int i = 0; i < fast.Parameters.Count; i++)
        {
            AssertClose(fast.Parameters[i].Gradient.ToArray(), generic.Parameters[i].Gradient.ToArray());
        }
    }

    [Theory]
    [InlineData(BidirectionalMergeMode.Concat, false)]
    [InlineData(BidirectionalMergeMode.Mul, true)]
    [InlineData(BidirectionalMergeMode.Ave, true)]
    public void Over_stacked_cells_backward_matches_numerical_gradients(BidirectionalMergeMode mode, bool masked)
    {
        var layer = new Bidirectional(new Rnn(new StackedRnnCells(new GruCell(2), new MinimalRnnCell(2)), returnSequences: true), mode) { Seed = 5 };
        layer.Build(new TensorShape(4, 3));
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 4, 3), 11);
        Tensor? mask = masked ? Tensor.FromArray([1, 0, 1, 1, /**/ 0, 1, 1, 0], 2, 4) : null;

        GradientChecker.CheckLayer(layer, input, seed: 12, mask: mask).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Returned_states_match_numerical_gradients()
    {
        var layer = new Bidirectional(new Rnn(new StackedRnnCells(new LstmCell(2), new MinimalRnnCell(2)), returnState: true), BidirectionalMergeMode.None) { Seed = 6 };
        layer.Build(new TensorShape(3, 2));

        // Outputs: forward, backward, then three states each way (h, c of the LSTM cell, h of the user's cell).
        Assert.Equal(8, layer.OutputCount);
        MultiOutputGradientChecker.CheckLayer(layer, [Tensor.RandomNormal(new TensorShape(2, 3, 2), 13)], seed: 14).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Saves_the_rnn_with_its_cell_as_keras_config_and_loads_back_the_same_predictions()
    {
        var input = new Input(new TensorShape(4, 3));
        var backward = new Rnn(new StackedRnnCells(new GruCell(2), new MinimalRnnCell(2)), returnSequences: true, goBackwards: true, name: "back");
        SymbolicTensor h = new Bidirectional(new Rnn(new StackedRnnCells(new LstmCell(2), new MinimalRnnCell(2)), returnSequences: true, name: "rnn"), BidirectionalMergeMode.Sum, backward, name: "both").Call(input);
        var model = new Functional(input, new Dense(1).Call(h), seed: 3);

        JsonObject config = (JsonObject)JsonNode.Parse(model.GetLayer("both").GetConfig().ToJson())!;
        // Keras' get_config: merge_mode, layer and backward_layer, each the RNN's serialized config with its cell.
        Assert.Equal("sum", (string?)config["merge_mode"]);
        foreach ((string key, string cell, string name, bool goBackwards) in new[] { ("layer", "LSTMCell", "rnn", false), ("backward_layer", "GRUCell", "back", true) })
        {
            Assert.Equal("RNN", (string?)config[key]!["class_name"]);
            JsonNode rnn = config[key]!["config"]!;

            // The layers as given (Keras' constructor makes the forward_ copy and forces zero_output_for_mask itself).
            Assert.Equal(name, (string?)rnn["name"]);
            Assert.Equal(goBackwards, (bool)rnn["go_backwards"]!);
            Assert.True((bool)rnn["return_sequences"]!);
            Assert.False((bool)rnn["return_state"]!);
            Assert.False((bool)rnn["stateful"]!);
            Assert.False((bool)rnn["unroll"]!);
            Assert.False((bool)rnn["zero_output_for_mask"]!);
            Assert.Equal("StackedRNNCells", (string?)rnn["cell"]!["class_name"]);
            Assert.Equal(cell, (string?)rnn["cell"]!["config"]!["cells"]![0]!["class_name"]);
        }

        Tensor x = Tensor.RandomNormal(new TensorShape(5, 4, 3), 2);
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-bidirectional-rnn-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
            var both = (Bidirectional)loaded.GetLayer("both");
            Assert.IsType<MinimalRnnCell>(((StackedRnnCells)((Rnn)both.ForwardLayer).Cell).Cells[1]);
            Assert.True(((Rnn)both.BackwardLayer).GoBackwards);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // keras/src/layers/rnn/bidirectional_test.py, test_statefulness: Bidirectional(LSTM(2, stateful=True)), kernel 0.01,
    // recurrent kernel 0.02, bias 0.03, input arange(24) as (2, 4, 3), called twice, then again twice after reset_state;
    // here over RNN(LSTMCell(2)).
    [Fact]
    public void A_stateful_rnn_matches_keras_published_values_and_resets()
    {
        var layer = new Bidirectional(new Rnn(new LstmCell(2, kernelInitializer: K, recurrentInitializer: R, biasInitializer: B), name: "rnn") { Stateful = true }, name: "both");
        Tensor sequence = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)i)], 2, 4, 3);
        float[] keras = [0.26234663f, 0.26234663f, 0.16959146f, 0.16959146f, 0.6137073f, 0.6137073f, 0.5381646f, 0.5381646f];

        float[] first = layer.Forward(sequence, training: false).ToArray();
        AssertClose(keras, layer.Forward(sequence, training: false).ToArray());
        Assert.Equal(2, ((Rnn)layer.ForwardLayer).CarriedStates.Length);
        Assert.Equal(2, ((Rnn)layer.BackwardLayer).CarriedStates.Length);

        // After a reset both directions start from zeros again: the first call's values, then the second's.
        layer.ResetStates();
        Assert.Empty(((Rnn)layer.ForwardLayer).CarriedStates);
        Assert.Empty(((Rnn)layer.BackwardLayer).CarriedStates);
        Assert.Equal(first, layer.Forward(sequence, training: false).ToArray());
        AssertClose(keras, layer.Forward(sequence, training: false).ToArray());

        // The first call fixed the batch size at 2.
        var error = Assert.Throws<InvalidOperationException>(() => layer.Forward(Tensor.RandomNormal(new TensorShape(3, 4, 3), 2), training: false));
        Assert.Contains("RNN 'forward_rnn' is stateful and carries the states of 2 samples, but was called on a batch of 3", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_unregistered_user_cell_is_refused_naming_the_layer_and_the_cell(bool nested)
    {
        // At any depth: inside stacked cells that are themselves stacked.
        RnnCell user = nested ? new StackedRnnCells(new LstmCell(2), new RnnTests.ShiftingCell()) : new RnnTests.ShiftingCell();
        var error = Assert.Throws<ArgumentException>(() => new Bidirectional(new Rnn(new StackedRnnCells(new GruCell(2), user), name: "mine")));

        Assert.Contains("RNN 'mine'", error.Message, StringComparison.Ordinal);
        Assert.Contains(typeof(RnnTests.ShiftingCell).FullName!, error.Message, StringComparison.Ordinal);
        Assert.Contains("SerializationRegistry.Register", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_layer_that_is_not_recurrent_is_refused_naming_it()
    {
        var error = Assert.Throws<ArgumentException>(() => new Bidirectional(new Dense(3, name: "dense_7")));

        Assert.Contains("Dense 'dense_7'", error.Message, StringComparison.Ordinal);
        Assert.Contains("SimpleRnn, Lstm, Gru or Rnn", error.Message, StringComparison.Ordinal);
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 + (1e-5 * Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
