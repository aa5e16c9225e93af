using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

// Bidirectional with merge mode None (two outputs) and with layers that return their states (Keras' output list).
public class BidirectionalStateTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Merge_none_returns_each_direction_in_time_order(bool returnSequences)
    {
        var layer = new Bidirectional(new Gru(3, returnSequences: returnSequences), BidirectionalMergeMode.None) { Seed = 2 };
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 4, 3), 5);
        layer.Build(x.Shape.DropFirst());

        Tensor forward = layer.Forward(x, training: false);
        Tensor backward = layer.GetOutput(1);

        Assert.Equal(2, layer.OutputCount);
        Assert.Equal(layer.ForwardLayer.Forward(x, training: false).ToArray(), forward.ToArray());
        float[] own = layer.BackwardLayer.Forward(x, training: false).ToArray();
        if (returnSequences)
        {
            // The backward layer returns its steps in the order they ran; Bidirectional gives them in time order.
            for (int n = 0; n < 2; n++)
            {
                for (int t = 0; t < 4; t++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        Assert.Equal(own[(((n * 4) + 3 - t) * 3) + j], backward[n, t, j]);
                    }
                }
            }
        }
        else
        {
            Assert.Equal(own, backward.ToArray());
        }
    }

    [Theory]
    [InlineData(BidirectionalMergeMode.None, false, false)]
    [InlineData(BidirectionalMergeMode.None, true, false)]
    [InlineData(BidirectionalMergeMode.Concat, false, true)]
    [InlineData(BidirectionalMergeMode.Sum, true, true)]
    [InlineData(BidirectionalMergeMode.None, true, true)]
    public void Gradients_of_every_output_match_numerical_gradients(BidirectionalMergeMode mode, bool returnSequences, bool lstmStates)
    {
        Recurrent inner = lstmStates ? new Lstm(2, returnSequences: returnSequences) { ReturnState = true } : new SimpleRnn(2, returnSequences: returnSequences);
        var layer = new Bidirectional(inner, mode) { Seed = 3 };
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 3), 8);
        layer.Build(x.Shape.DropFirst());
        int expectedOutputs = (mode == BidirectionalMergeMode.None ? 2 : 1) + (lstmStates ? 4 : 0);
        Assert.Equal(expectedOutputs, layer.OutputCount);
        MultiOutputGradientChecker.CheckLayer(layer, [x], seed: 13).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void States_come_forward_first_then_backward_as_keras_lists_them()
    {
        var layer = new Bidirectional(new Lstm(3) { ReturnState = true }) { Seed = 1 };
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 4, 2), 3);
        layer.Build(x.Shape.DropFirst());

        Tensor merged = layer.Forward(x, training: false);

        Assert.Equal(5, layer.OutputCount);
        Assert.Equal(new TensorShape(6), layer.OutputShape);
        for (int n = 0; n < 2; n++)
        {
            for (int j = 0; j < 3; j++)
            {
                Assert.Equal(merged[n, j], layer.GetOutput(1)[n, j]);      // forward h = the forward half of the output
                Assert.Equal(merged[n, 3 + j], layer.GetOutput(3)[n, j]);  // backward h = the backward half
            }
        }

        Assert.Equal(layer.ForwardLayer.GetOutput(2).ToArray(), layer.GetOutput(2).ToArray());
        Assert.Equal(layer.BackwardLayer.GetOutput(2).ToArray(), layer.GetOutput(4).ToArray());
    }

    [Theory]
    [InlineData(false, BidirectionalMergeMode.Concat, false)]
    [InlineData(true, BidirectionalMergeMode.Concat, false)]
    [InlineData(false, BidirectionalMergeMode.None, true)]
    [InlineData(true, BidirectionalMergeMode.Sum, true)]
    public void An_lstm_and_a_gru_list_their_own_states_and_match_numerical_gradients(bool lstmForward, BidirectionalMergeMode mode, bool returnSequences)
    {
        // Keras concatenates y[1:] + y_rev[1:] whatever their lengths: (h, c) of the LSTM and h of the GRU, forward first.
        Recurrent lstm = new Lstm(2, returnSequences: returnSequences, goBackwards: !lstmForward) { ReturnState = true };
        Recurrent gru = new Gru(2, returnSequences: returnSequences, goBackwards: lstmForward) { ReturnState = true };
        var layer = new Bidirectional(lstmForward ? lstm : gru, mode, backwardLayer: lstmForward ? gru : lstm) { Seed = 4 };
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 3), 6);
        layer.Build(x.Shape.DropFirst());

        layer.Forward(x, training: false);

        int first = mode == BidirectionalMergeMode.None ? 2 : 1, forwardStates = lstmForward ? 2 : 1;
        Assert.Equal(first + 3, layer.OutputCount);
        for (int k = 0; k < 3; k++)
        {
            var owner = (Recurrent)(k < forwardStates ? layer.ForwardLayer : layer.BackwardLayer);
            int index = k < forwardStates ? k + 1 : k - forwardStates + 1;
            Assert.Equal(owner.GetOutput(index).ToArray(), layer.GetOutput(first + k).ToArray());
        }

        Tensor mask = Tensor.FromArray([1, 1, 0, /**/ 0, 1, 1], 2, 3);
        MultiOutputGradientChecker.CheckLayer(layer, [x], seed: 21).AssertPassed(maxKinkFraction: 0);
        MultiOutputGradientChecker.CheckLayer(layer, [x], seed: 22, mask: mask).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(true, false, "returnState", "True", "False")]
    [InlineData(false, true, "returnState", "False", "True")]
    public void Layers_that_disagree_on_return_state_are_refused_naming_both(bool forwardState, bool backwardState, string setting, string forwardValue, string backwardValue)
    {
        var forward = new Lstm(2, name: "words") { ReturnState = forwardState };
        var backward = new Gru(2, goBackwards: true, name: "words_back") { ReturnState = backwardState };

        var ex = Assert.Throws<ArgumentException>(() => new Bidirectional(forward, backwardLayer: backward));

        Assert.Contains("LSTM 'words'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("GRU 'words_back'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{setting} {forwardValue} and {backwardValue}", ex.Message, StringComparison.Ordinal);
        Assert.Equal("backwardLayer", ex.ParamName);
    }

    [Fact]
    public void Layers_that_disagree_on_return_sequences_are_refused_naming_both()
    {
        var forward = new Lstm(2, returnSequences: true, name: "words");
        var backward = new Lstm(2, goBackwards: true, name: "words_back");

        var ex = Assert.Throws<ArgumentException>(() => new Bidirectional(forward, backwardLayer: backward));

        Assert.Contains("LSTM 'words'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("LSTM 'words_back'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("returnSequences True and False", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_none_trains_saves_and_loads_bit_for_bit_and_sequential_refuses_it()
    {
        var x = new Input(new TensorShape(5, 3), name: "x");
        SymbolicTensor[] both = new Bidirectional(new Lstm(4, returnSequences: true), BidirectionalMergeMode.None, name: "bi").CallOutputs(x);
        SymbolicTensor sum = new Add().Call(both[0], both[1]);
        SymbolicTensor y = new Dense(1).Call(new GlobalAveragePooling1D().Call(sum));
        var model = new Functional(x, y, name: "two_ways", seed: 6);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Tensor data = Tensor.RandomNormal(new TensorShape(16, 5, 3), 1), target = Tensor.RandomNormal(new TensorShape(16, 1), 2);
        model.Fit(data, target, epochs: 2, batchSize: 8, verbose: 0);

        string path = Path.Combine(Path.GetTempPath(), $"bi-none-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(BidirectionalMergeMode.None, loaded.Layers.OfType<Bidirectional>().Single().MergeMode);
            Assert.Equal(model.Predict(data).ToArray(), loaded.Predict(data).ToArray());
        }
        finally
        {
            File.Delete(path);
        }

        var sequential = new Sequential();
        sequential.Add(new InputLayer(5, 3));
        var ex = Assert.Throws<ArgumentException>(() => sequential.Add(new Bidirectional(new Gru(2), BidirectionalMergeMode.None, name: "pair")));
        Assert.Contains("Bidirectional 'pair' has several outputs", ex.Message, StringComparison.Ordinal);
    }
}
