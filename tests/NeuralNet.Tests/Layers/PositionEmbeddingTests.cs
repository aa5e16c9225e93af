using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers;

// KerasHub's PositionEmbedding (keras_hub/src/layers/modeling/position_embedding.py): embeddings (sequence_length,
// features), glorot_uniform; call returns broadcast_to(embeddings[:steps], shape) for steps < sequence_length, else the
// hierarchical form alpha * E[i // S] + (1 - alpha) * E[i % S], E = (W - alpha * W[:1]) / (1 - alpha).
public class PositionEmbeddingTests
{
    [Fact]
    public void A_short_sequence_gets_the_first_rows_broadcast_whatever_the_input_values()
    {
        var layer = new PositionEmbedding(4);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 2), 1);
        layer.Forward(x, training: false);
        float[] w = [1, 2, 3, 4, 5, 6, 7, 8];
        w.CopyTo(layer.Embeddings.Value.AsSpan());

        float[] y = layer.Forward(x, training: false).ToArray();
        float[] yOfOtherValues = layer.Forward(Tensor.RandomNormal(new TensorShape(2, 3, 2), 2), training: false).ToArray();

        Assert.Equal([1f, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6], y);
        Assert.Equal(y, yOfOtherValues);
        Assert.Equal(new TensorShape(4, 2), layer.Embeddings.Value.Shape);
        Assert.Equal("embeddings", layer.Embeddings.Name);
    }

    [Fact]
    public void A_sequence_longer_than_sequence_length_gets_keras_hub_hierarchical_positions()
    {
        const int S = 3, F = 2, Steps = 8;
        var layer = new PositionEmbedding(S, hierarchicalAlpha: 0.25);
        Tensor x = new(1, Steps, F);
        layer.Forward(x, training: false);
        float[] w = [0.5f, -1f, 2f, 0.25f, -3f, 1.5f];
        w.CopyTo(layer.Embeddings.Value.AsSpan());

        float[] y = layer.Forward(x, training: false).ToArray();

        // The formula in double: E = (W - a W[0]) / (1 - a); step i = a E[i / S] + (1 - a) E[i % S].
        const double A = 0.25;
        double E(int row, int f) => (w[(row * F) + f] - (A * w[f])) / (1 - A);
        for (int i = 0; i < Steps; i++)
        {
            for (int f = 0; f < F; f++)
            {
                Assert.Equal((A * E(i / S, f)) + ((1 - A) * E(i % S, f)), y[(i * F) + f], 5);
            }
        }

        // The first S steps are the weights themselves.
        for (int k = 0; k < S * F; k++)
        {
            Assert.Equal(w[k], y[k], 5);
        }
    }

    [Theory]
    [InlineData(5, 3)]
    [InlineData(3, 3)]
    [InlineData(3, 8)]
    public void Backward_MatchesNumericalGradients(int sequenceLength, int steps)
    {
        var layer = new PositionEmbedding(sequenceLength, hierarchicalAlpha: 0.3);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, steps, 4), 21);
        layer.Forward(x, training: true);

        GradientChecker.CheckLayer(layer, x, 22).AssertPassed();
    }

    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    public void GetPositions_is_the_block_a_forward_pass_repeats_and_refuses_steps_out_of_range(int steps)
    {
        var layer = new PositionEmbedding(3, hierarchicalAlpha: 0.25);
        Assert.Throws<InvalidOperationException>(() => layer.GetPositions(2));
        Tensor x = Tensor.RandomNormal(new TensorShape(2, steps, 2), 1);
        float[] y = layer.Forward(x, training: false).ToArray();

        Tensor positions = layer.GetPositions(steps);

        Assert.Equal(new TensorShape(steps, 2), positions.Shape);
        Assert.Equal(y.AsSpan(0, steps * 2).ToArray(), positions.ToArray());
        Assert.Equal(y.AsSpan(steps * 2).ToArray(), positions.ToArray());
        var tooMany = Assert.Throws<ArgumentOutOfRangeException>(() => layer.GetPositions(10));
        Assert.Contains("1 to 9 steps", tooMany.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => layer.GetPositions(0));
    }

    [Fact]
    public void The_input_gets_a_zero_gradient()
    {
        var layer = new PositionEmbedding(4);
        var model = new Sequential([new InputLayer(3, 2), new Dense(2, name: "before"), layer], seed: 1);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 2), 3);
        model.Forward(x, training: true);

        model.Backward(Tensor.RandomNormal(new TensorShape(2, 3, 2), 4));

        Assert.All(model.GetLayer("before").Parameters.SelectMany(p => p.Gradient.ToArray()), g => Assert.Equal(0f, g));
        Assert.Contains(layer.Embeddings.Gradient.ToArray(), g => g != 0f);
    }

    [Fact]
    public void A_variable_length_model_takes_short_and_long_sequences_with_a_small_sequence_length()
    {
        // The NER tutorial's pattern: tokens + positions, Input(None) steps. Built at 64 and 128 steps, which
        // sequence_length 24 covers hierarchically (24² = 576).
        var tokens = new Input([null, 8], "tokens");
        SymbolicTensor summed = new Add().Call(tokens, new PositionEmbedding(24, name: "positions").Call(tokens));
        SymbolicTensor y = new Dense(3, ActivationFunction.Softmax, name: "tags").Call(summed);
        var model = new Functional(tokens, y, seed: 2);

        Assert.Equal(24 * 8, model.GetLayer("positions").ParameterCount);
        Assert.Equal(new TensorShape(2, 10, 3), model.Predict(Tensor.RandomNormal(new TensorShape(2, 10, 8), 5)).Shape);
        Assert.Equal(new TensorShape(1, 30, 3), model.Predict(Tensor.RandomNormal(new TensorShape(1, 30, 8), 6)).Shape);
        model.Compile(new Adam(0.01), new CategoricalCrossEntropy());
        Tensor xs = Tensor.RandomNormal(new TensorShape(4, 10, 8), 7);
        var targets = new Tensor(4, 10, 3);
        for (int i = 0; i < 40; i++)
        {
            targets.AsSpan()[(i * 3) + (i % 3)] = 1f;
        }

        History history = model.Fit(xs, targets, epochs: 20, batchSize: 4, verbose: 0);
        Assert.True(history["loss"][^1] < history["loss"][0], $"loss {history["loss"][0]} -> {history["loss"][^1]}");
    }

    [Fact]
    public void More_steps_than_sequence_length_squared_are_refused_naming_the_layer()
    {
        var layer = new PositionEmbedding(3, name: "pos");

        var e = Assert.Throws<ArgumentException>(() => layer.Forward(new Tensor(1, 10, 2), training: false));

        Assert.Contains("pos", e.Message, StringComparison.Ordinal);
        Assert.Contains("sequence_length=3", e.Message, StringComparison.Ordinal);
        Assert.Contains("10 steps", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_and_build_refuse_bad_arguments()
    {
        Assert.Contains("sequence_length=0", Assert.Throws<ArgumentOutOfRangeException>(() => new PositionEmbedding(0)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PositionEmbedding(4, hierarchicalAlpha: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PositionEmbedding(4, hierarchicalAlpha: double.NaN));
        Assert.Contains("(None, ..., steps, features)", Assert.Throws<ArgumentException>(() => new PositionEmbedding(4).Forward(new Tensor(2, 4), training: false)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_has_keras_hub_keys_and_save_load_keeps_the_weights()
    {
        Config config = new PositionEmbedding(7, hierarchicalAlpha: 0.5).GetConfig();
        Assert.Equal(7, config.GetInt32("sequence_length"));
        Assert.Equal(0.5f, config.GetSingle("hierarchical_alpha"));

        Sequential model = LayerTestKit.TrainedModel([5, 3], 7, new PositionEmbedding(6), new Dense(2));
        LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([5, 3], 8).X);
    }

    [Fact]
    public void TrainStep_AfterWarmUp_AllocatesNothing()
    {
        LayerTestKit.AssertTrainingAllocatesNothing([4, 3], new PositionEmbedding(6));
        LayerTestKit.AssertTrainingAllocatesNothing([9, 3], new PositionEmbedding(4));
    }
}
