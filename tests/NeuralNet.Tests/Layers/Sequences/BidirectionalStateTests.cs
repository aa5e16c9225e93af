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
