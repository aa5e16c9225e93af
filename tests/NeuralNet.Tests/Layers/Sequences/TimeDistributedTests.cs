using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

public class TimeDistributedTests
{
    // keras/src/layers/rnn/time_distributed_test.py, test_correctness: Dense(1, kernel 0.01, no bias) on arange(24) as (3, 2, 4).
    [Fact]
    public void Matches_keras_published_values()
    {
        var layer = new TimeDistributed(new Dense(1, kernelInitializer: new Constant(0.01f), useBias: false));
        Tensor sequence = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)i)], 3, 2, 4);

        float[] output = layer.Forward(sequence, training: false).ToArray();

        float[] expected = [0.06f, 0.22f, 0.38f, 0.53999996f, 0.7f, 0.86f];
        Assert.Equal([3, 2, 1], layer.OutputShape.Prepend(3).Dimensions.ToArray());
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(output[i] - expected[i]) <= 1e-6, $"element {i} is {output[i]}, Keras gives {expected[i]}.");
        }
    }

    [Fact]
    public void Every_step_goes_through_the_same_weights_and_gradients_match_numerical_ones()
    {
        var layer = new TimeDistributed(new Dense(3, ActivationFunction.Tanh)) { Seed = 4 };
        layer.Build(new TensorShape(5, 2));
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 5, 2), 6);

        float[] output = layer.Forward(input, training: false).ToArray();
        Tensor step = Tensor.FromArray(input.ToArray()[6..8], 1, 2);
        Assert.Equal(layer.InnerLayer.Forward(step, training: false).ToArray(), output[9..12]);
        Assert.Equal(["dense/kernel", "dense/bias"], layer.Parameters.Select(p => p.Name).ToArray());

        GradientChecker.CheckLayer(layer, input, seed: 7).AssertPassed(maxKinkFraction: 0);
        var conv = new TimeDistributed(new Conv1D(2, 2, padding: Padding.Same)) { Seed = 8 };
        conv.Build(new TensorShape(3, 4, 2));
        GradientChecker.CheckLayer(conv, Tensor.RandomNormal(new TensorShape(2, 3, 4, 2), 9), seed: 10).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void A_sequence_labeller_keeps_the_mask_trains_and_saves_bit_for_bit()
    {
        var model = new Sequential(seed: 5);
        model.Add(new InputLayer(6));
        model.Add(new Embedding(9, 4, maskZero: true));
        model.Add(new Lstm(5, returnSequences: true));
        model.Add(new TimeDistributed(new Dense(3, ActivationFunction.Softmax)));
        model.Compile(new Adam(0.01f), new SparseCategoricalCrossEntropy());
        Tensor x = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)((i * 5 % 9) * (i % 6 < 4 ? 1 : 0)))], 4, 6);
        Tensor y = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)(i % 3))], 4, 6);
        model.Fit(x, y, epochs: 2, batchSize: 2, verbose: 0);
        var distributed = (TimeDistributed)model.Layers.First(l => l is TimeDistributed);
        Assert.NotNull(distributed.OutputMask);

        string path = Path.Combine(Path.GetTempPath(), $"time-distributed-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Assert.Equal(model.Predict(x).ToArray(), Model.Load(path).Predict(x).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Bad_input_names_the_layer_and_shape()
    {
        var error = Assert.Throws<ArgumentException>(() => new TimeDistributed(new Dense(2), name: "per_step").Build(new TensorShape(4)));
        Assert.Contains("TimeDistributed 'per_step'", error.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 4)", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new TimeDistributed(new Add()));
    }

    [Fact]
    public void A_step_through_the_wrapper_and_a_masking_layer_allocates_nothing_after_the_first_batch()
    {
        var masking = new Masking();
        var layer = new TimeDistributed(new Dense(3)) { Seed = 2 };
        Tensor input = Tensor.RandomNormal(new TensorShape(4, 5, 2), 3);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(4, 5, 3), 4);

        void Step()
        {
            Tensor masked = masking.Forward(input, training: true);
            layer.Forward(masked, masking.OutputMask, training: true);
            masking.Backward(layer.Backward(upstream));
        }

        Step();
        AllocationCheck.AssertNone(Step);
    }
}
