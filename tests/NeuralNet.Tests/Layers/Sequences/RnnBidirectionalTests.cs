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
        foreach ((string key, string cell) in new[] { ("layer", "LSTMCell"), ("backward_layer", "GRUCell") })
        {
            Assert.Equal("RNN", (string?)config[key]!["class_name"]);
            JsonNode rnn = config[key]!["config"]!;
            Assert.Equal(["cell", "go_backwards", "return_sequences", "return_state", "stateful", "unroll", "zero_output_for_mask"],
                ((JsonObject)rnn).Select(p => p.Key).Where(k => k is "cell" or "go_backwards" or "return_sequences" or "return_state" or "stateful" or "unroll" or "zero_output_for_mask").Order());
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

    [Fact]
    public void A_stateful_rnn_carries_both_directions_and_resets()
    {
        var layer = new Bidirectional(new Rnn(new GruCell(2), returnSequences: true) { Stateful = true }) { Seed = 2 };
        layer.Build(new TensorShape(3, 2));
        Tensor x1 = Tensor.RandomNormal(new TensorShape(2, 3, 2), 1), x2 = Tensor.RandomNormal(new TensorShape(2, 3, 2), 2);
        float[] first = layer.Forward(x1, training: false).ToArray();
        float[] second = layer.Forward(x1, training: false).ToArray();
        Assert.NotEqual(first, second);
        Assert.Single(((Rnn)layer.BackwardLayer).CarriedStates);

        layer.ResetStates();
        Assert.Empty(((Rnn)layer.ForwardLayer).CarriedStates);
        Assert.Equal(first, layer.Forward(x1, training: false).ToArray());
        Assert.Throws<InvalidOperationException>(() => layer.Forward(Tensor.RandomNormal(new TensorShape(3, 3, 2), 2), training: false));
        Assert.NotNull(x2);
    }

    [Fact]
    public void An_unregistered_user_cell_is_refused_naming_the_layer_and_the_cell()
    {
        var error = Assert.Throws<ArgumentException>(() => new Bidirectional(new Rnn(new StackedRnnCells(new GruCell(2), new RnnTests.ShiftingCell()), name: "mine")));

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
