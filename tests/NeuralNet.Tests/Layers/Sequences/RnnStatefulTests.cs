using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

// Keras' RNN(cell, stateful=True) (keras/src/layers/rnn/rnn.py): the final states of a call are the next call's
// initial states, until reset_state; the same mechanism as the built-in recurrent layers (StatefulRecurrentTests).
public class RnnStatefulTests
{
    // Keras' own expectations: keras/src/layers/rnn/{simple_rnn,lstm,gru}_test.py, test_statefulness: units 4, kernel
    // 0.01, recurrent kernel 0.02, bias 0.03, input arange(24) as (2, 3, 4); the second call's output. The layers' tests,
    // since RNN over the layer's cell computes the layer's step.
    [Theory]
    [InlineData("simple_rnn", 0.40559256f, 0.7361247f)]
    [InlineData("lstm", 0.3124785f, 0.6863672f)]
    [InlineData("gru", 0.29542392f, 0.5885018f)]
    public void Second_call_matches_keras_published_values_and_reset_starts_again(string variant, params float[] expected)
    {
        Initializer k = new Constant(0.01f), r = new Constant(0.02f), b = new Constant(0.03f);
        RnnCell cell = variant switch
        {
            "simple_rnn" => new SimpleRnnCell(4, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b),
            "lstm" => new LstmCell(4, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b),
            _ => new GruCell(4, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b),
        };
        var layer = new Rnn(cell) { Stateful = true };
        StatefulRecurrentTests.AssertKerasStatefulness(variant, layer, () =>
        {
            layer.ResetStates();
            Assert.Empty(layer.CarriedStates);
        }, expected);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Two_stateful_calls_equal_one_call_over_the_concatenated_sequence(bool goBackwards)
    {
        // Stacked cells, one of them a user's: three states carried. Going backwards, the later half runs first.
        Rnn Make(bool stateful, int steps) => Built(new Rnn(new StackedRnnCells(new LstmCell(3), new MinimalRnnCell(2)), returnSequences: true, goBackwards: goBackwards) { Stateful = stateful }, steps, 3);
        Rnn whole = Make(false, 6), halves = Make(true, 3);
        CopyWeights(whole, halves);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 6, 3), 5);
        float[] expected = whole.Forward(x, training: false).ToArray();

        Tensor early = Steps(x, 0, 3), late = Steps(x, 3, 3);
        float[] first = halves.Forward(goBackwards ? late : early, training: false).ToArray();
        float[] second = halves.Forward(goBackwards ? early : late, training: false).ToArray();

        // returnSequences goes in the order the steps ran: (batch, 6, 2) vs two (batch, 3, 2) halves, bit for bit.
        float[] joined = [.. Enumerable.Range(0, 2).SelectMany(n => first.Skip(n * 6).Take(6).Concat(second.Skip(n * 6).Take(6)))];
        Assert.Equal(expected, joined);
    }

    public static TheoryData<int> LayerPairs => [0, 1, 2, 3];

    [Theory]
    [MemberData(nameof(LayerPairs))]
    public void A_stateful_rnn_over_a_built_in_cell_equals_the_stateful_layer_bit_for_bit(int pair)
    {
        (Recurrent fast, Rnn generic) = pair switch
        {
            0 => ((Recurrent)new SimpleRnn(4, returnSequences: true) { Stateful = true }, new Rnn(new SimpleRnnCell(4), returnSequences: true) { Stateful = true }),
            1 => (new Lstm(4) { Stateful = true, ReturnState = true }, new Rnn(new LstmCell(4), returnState: true) { Stateful = true }),
            2 => (new Gru(3, goBackwards: true, returnSequences: true) { Stateful = true }, new Rnn(new GruCell(3), goBackwards: true, returnSequences: true) { Stateful = true }),
            _ => (new Gru(3, resetAfter: false) { Stateful = true }, new Rnn(new GruCell(3, resetAfter: false)) { Stateful = true }),
        };
        fast.Seed = 3;
        fast.Build(new TensorShape(5, 2));
        Built(generic, 5, 2);
        for (int i = 0; i < fast.Parameters.Count; i++)
        {
            Tensor.RandomNormal(fast.Parameters[i].Shape, 50 + i, 0f, 0.5f).AsReadOnlySpan().CopyTo(fast.Parameters[i].Value.AsSpan());
            fast.Parameters[i].Value.AsReadOnlySpan().CopyTo(generic.Parameters[i].Value.AsSpan());
        }

        Tensor? mask = Tensor.FromArray([1, 1, 0, 1, 1, /**/ 0, 1, 1, 1, 0, /**/ 1, 1, 1, 0, 0], 3, 5);
        for (int call = 0; call < 3; call++)
        {
            Tensor x = Tensor.RandomNormal(new TensorShape(3, 5, 2), 10 + call);
            Assert.Equal(fast.Forward(x, mask, training: false).ToArray(), generic.Forward(x, mask, training: false).ToArray());
            Assert.Equal(fast.CarriedStates.Select(s => s.ToArray()), generic.CarriedStates.Select(s => s.ToArray()));
        }

        fast.ResetStates();
        generic.ResetStates();
        Tensor again = Tensor.RandomNormal(new TensorShape(3, 5, 2), 20);
        Assert.Equal(fast.Forward(again, training: false).ToArray(), generic.Forward(again, training: false).ToArray());
    }

    [Fact]
    public void A_batch_of_another_size_is_refused_naming_the_layer_and_both_sizes_before_the_states_change()
    {
        Rnn layer = Built(new Rnn(new LstmCell(3), name: "memory") { Stateful = true }, 4, 3);
        layer.Forward(Tensor.RandomNormal(new TensorShape(2, 4, 3), 1), training: false);
        float[][] carried = [.. layer.CarriedStates.Select(s => s.ToArray())];

        var error = Assert.Throws<InvalidOperationException>(() => layer.Forward(Tensor.RandomNormal(new TensorShape(5, 4, 3), 2), training: false));

        Assert.Contains("RNN 'memory' is stateful and carries the states of 2 samples, but was called on a batch of 5", error.Message, StringComparison.Ordinal);
        Assert.Equal(carried, layer.CarriedStates.Select(s => s.ToArray()));

        // ResetStates frees the batch size.
        layer.ResetStates();
        Assert.Equal(new TensorShape(5, 3), layer.Forward(Tensor.RandomNormal(new TensorShape(5, 4, 3), 2), training: false).Shape);
    }

    [Fact]
    public void A_stateful_training_step_allocates_nothing_after_the_first_batch()
    {
        Rnn layer = Built(new Rnn(new StackedRnnCells(new LstmCell(4, dropout: 0.2, recurrentDropout: 0.3), new GruCell(3)), returnSequences: true) { Stateful = true, Seed = 2 }, 6, 5);
        Tensor input = Tensor.RandomNormal(new TensorShape(8, 6, 5), 4);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(8, 6, 3), 5);
        layer.Forward(input, training: true);
        layer.Backward(upstream);

        AllocationCheck.AssertNone(() =>
        {
            layer.Forward(input, training: true);
            layer.Backward(upstream);
        });
    }

    [Fact]
    public void Stateful_is_written_as_keras_key_and_read_back()
    {
        var layer = new Rnn(new GruCell(2), name: "rnn") { Stateful = true };
        Config config = layer.GetConfig();
        Assert.True(config.GetBoolean("stateful"));

        var read = (Rnn)SerializationRegistry.Recreate(layer, config);
        Assert.True(read.Stateful);
        Assert.False(((Rnn)SerializationRegistry.Recreate(layer, config.Set("stateful", false))).Stateful);
    }

    private static Rnn Built(Rnn layer, int steps, int features)
    {
        layer.Build(new TensorShape(steps, features));
        return layer;
    }

    private static void CopyWeights(Layer from, Layer to)
    {
        for (int i = 0; i < from.Parameters.Count; i++)
        {
            from.Parameters[i].Value.AsReadOnlySpan().CopyTo(to.Parameters[i].Value.AsSpan());
        }
    }

    // Steps first .. first + count of every sample of x (batch, steps, features), as (batch, count, features).
    private static Tensor Steps(Tensor x, int first, int count)
    {
        int batch = x.Shape[0], steps = x.Shape[1], features = x.Shape[2];
        var result = new List<float>();
        for (int n = 0; n < batch; n++)
        {
            result.AddRange(x.AsReadOnlySpan().Slice(((n * steps) + first) * features, count * features).ToArray());
        }

        return Tensor.FromArray([.. result], batch, count, features);
    }
}
