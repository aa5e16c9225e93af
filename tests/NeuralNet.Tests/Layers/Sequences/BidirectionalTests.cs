using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

public class BidirectionalTests
{
    private static readonly Initializer K = new Constant(0.01f), R = new Constant(0.02f), B = new Constant(0.03f);

    public static TheoryData<BidirectionalMergeMode, bool, bool> GradientCases
    {
        get
        {
            var data = new TheoryData<BidirectionalMergeMode, bool, bool>();
            foreach (BidirectionalMergeMode mode in Enum.GetValues<BidirectionalMergeMode>())
            {
                data.Add(mode, false, false);
                data.Add(mode, true, true);
            }

            data.Add(BidirectionalMergeMode.Concat, false, true);
            return data;
        }
    }

    // keras/src/layers/rnn/bidirectional_test.py, test_correctness and test_masking: input arange(24) as (2, 3, 4)
    // ((2, 4, 3) for masking), kernel 0.01, recurrent kernel 0.02, bias 0.03.
    [Fact]
    public void Matches_keras_published_values()
    {
        Tensor sequence = Arange(2, 3, 4);
        AssertClose([0.39687276f, 0.39687276f, 0.10004295f, 0.10004295f, 0.7237238f, 0.7237238f, 0.53391594f, 0.53391594f],
            new Bidirectional(new SimpleRnn(2, kernelInitializer: K, recurrentInitializer: R, biasInitializer: B)).Forward(sequence, training: false));
        AssertClose([0.24845785f, 0.24845785f, 0.6288199f, 0.6288199f],
            new Bidirectional(new SimpleRnn(2, kernelInitializer: K, recurrentInitializer: R, biasInitializer: B), BidirectionalMergeMode.Ave).Forward(sequence, training: false));
        var backward = new SimpleRnn(2, kernelInitializer: new Constant(0.03f), recurrentInitializer: R, biasInitializer: new Constant(0.01f), goBackwards: true);
        AssertClose([0.08374989f, 0.08374989f, 0.6740834f, 0.6740834f],
            new Bidirectional(new SimpleRnn(2, kernelInitializer: K, recurrentInitializer: R, biasInitializer: B), BidirectionalMergeMode.Mul, backward).Forward(sequence, training: false));
        AssertClose(
            [0.20937867f, 0.20937867f, 0.34462988f, 0.34462988f, 0.40290534f, 0.40290534f, 0.59829646f, 0.59829646f, 0.6734641f, 0.6734641f, 0.6479671f, 0.6479671f],
            new Bidirectional(new Gru(2, kernelInitializer: K, recurrentInitializer: R, biasInitializer: B, returnSequences: true), BidirectionalMergeMode.Sum).Forward(sequence, training: false));

        Tensor mask = Tensor.FromArray([1, 1, 0, 1, 1, 0, 0, 1], 2, 4);
        AssertClose([0.19393763f, 0.19393763f, 0.11669192f, 0.11669192f, 0.30818558f, 0.30818558f, 0.28380975f, 0.28380975f],
            new Bidirectional(new Gru(2, kernelInitializer: K, recurrentInitializer: R, biasInitializer: B)).Forward(Arange(2, 4, 3), mask, training: false));
    }

    [Fact]
    public void The_output_is_the_forward_copy_beside_the_time_ordered_backward_copy()
    {
        var layer = new Bidirectional(new Lstm(3, returnSequences: true)) { Seed = 3 };
        layer.Build(new TensorShape(4, 2));
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 4, 2), 5);

        float[] output = layer.Forward(input, training: false).ToArray();
        float[] forward = layer.ForwardLayer.Forward(input, training: false).ToArray();
        float[] backward = layer.BackwardLayer.Forward(input, training: false).ToArray();

        for (int n = 0; n < 2; n++)
        {
            for (int t = 0; t < 4; t++)
            {
                for (int j = 0; j < 3; j++)
                {
                    Assert.Equal(forward[(((n * 4) + t) * 3) + j], output[(((n * 4) + t) * 6) + j]);
                    Assert.Equal(backward[(((n * 4) + 3 - t) * 3) + j], output[(((n * 4) + t) * 6) + 3 + j]);
                }
            }
        }

        Assert.True(((Recurrent)layer.BackwardLayer).GoBackwards);
        Assert.Equal("forward_lstm", layer.ForwardLayer.Name);
        Assert.Equal("backward_lstm", layer.BackwardLayer.Name);
        Assert.Equal(["forward_lstm/kernel", "forward_lstm/recurrent_kernel", "forward_lstm/bias", "backward_lstm/kernel", "backward_lstm/recurrent_kernel", "backward_lstm/bias"],
            layer.Parameters.Select(p => p.Name).ToArray());
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Backward_matches_numerical_gradients(BidirectionalMergeMode mode, bool returnSequences, bool masked)
    {
        var layer = new Bidirectional(new Gru(2, returnSequences: returnSequences), mode) { Seed = 11 };
        layer.Build(new TensorShape(4, 3));
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 4, 3), 12);
        Tensor? mask = masked ? Tensor.FromArray([1, 0, 1, 1, 1, 1, 0, 0], 2, 4) : null;
        GradientChecker.CheckLayer(layer, input, seed: 13, mask: mask).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Parameter_counts_equal_keras_and_the_model_saves_and_loads_bit_for_bit()
    {
        Assert.Equal(72, Built(new Bidirectional(new SimpleRnn(4)), new TensorShape(2, 4)).ParameterCount);
        Assert.Equal(2 * 80_384, Built(new Bidirectional(new Lstm(128)), new TensorShape(28, 28)).ParameterCount);

        var model = new Sequential(seed: 21);
        model.Add(new InputLayer(7));
        model.Add(new Embedding(10, 4, maskZero: true));
        model.Add(new Bidirectional(new Lstm(3, returnSequences: true), BidirectionalMergeMode.Sum));
        model.Add(new Bidirectional(new Gru(2), backwardLayer: new Gru(2, goBackwards: true, resetAfter: false)));
        model.Add(new Dense(1));
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Tensor x = Tensor.FromArray([.. Enumerable.Range(0, 28).Select(i => (float)(i * 7 % 10 * (i % 7 < 5 ? 1 : 0)))], 4, 7);
        Tensor y = Tensor.FromArray([1, -1, 0.5f, 0], 4, 1);
        model.Fit(x, y, epochs: 2, batchSize: 2, verbose: 0);

        string path = Path.Combine(Path.GetTempPath(), $"bidirectional-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
            var second = (Bidirectional)loaded.Layers.First(l => l is Bidirectional b && b.Layer is Gru);
            Assert.False(((Gru)second.BackwardLayer).ResetAfter);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Bad_combinations_are_refused_with_what_was_expected()
    {
        Assert.Contains("returnSequences", Assert.Throws<ArgumentException>(() => new Bidirectional(new Lstm(2), backwardLayer: new Lstm(2, returnSequences: true, goBackwards: true))).Message, StringComparison.Ordinal);
        Assert.Contains("goBackwards", Assert.Throws<ArgumentException>(() => new Bidirectional(new Lstm(2), backwardLayer: new Lstm(2))).Message, StringComparison.Ordinal);
        var layer = new Bidirectional(new Lstm(2), BidirectionalMergeMode.Sum, new Lstm(3, goBackwards: true), name: "bi");
        var error = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(3, 2)));
        Assert.Contains("Bidirectional 'bi'", error.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 3)", error.Message, StringComparison.Ordinal);
    }

    private static Layer Built(Layer layer, TensorShape shape)
    {
        layer.Build(shape);
        return layer;
    }

    private static Tensor Arange(int a, int b, int c) => Tensor.FromArray([.. Enumerable.Range(0, a * b * c).Select(i => (float)i)], a, b, c);

    private static void AssertClose(float[] expected, Tensor actual)
    {
        float[] values = actual.ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(values[i] - expected[i]) <= 1e-5 + (1e-5 * Math.Abs(expected[i])), $"element {i} is {values[i]}, Keras gives {expected[i]}.");
        }
    }
}
