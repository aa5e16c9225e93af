using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

// Keras' stateful=True with batch_shape=(B, None, features): the states carry over between calls of any number of steps.
// A model runs each step count on a copy of the layer (GraphExecutor's variants); the copies share the layer's states.
public class StatefulVariableStepsTests
{
    private const int Batch = 2;
    private const int Features = 3;

    public static TheoryData<string> Kinds => ["simple_rnn", "lstm", "gru", "gru_reset_before", "rnn_lstm_cell"];

    private static Layer Stateful(string kind, string name) => kind switch
    {
        "simple_rnn" => new SimpleRnn(4, returnSequences: true, name: name) { Stateful = true },
        "lstm" => new Lstm(4, returnSequences: true, name: name) { Stateful = true },
        "gru" => new Gru(4, returnSequences: true, name: name) { Stateful = true },
        "gru_reset_before" => new Gru(4, resetAfter: false, returnSequences: true, name: name) { Stateful = true },
        _ => new Rnn(new LstmCell(4), returnSequences: true, name: name) { Stateful = true },
    };

    private static Functional Model(string kind, long seed = 11)
    {
        var x = new Input([null, Features], "x");
        return new Functional(x, Stateful(kind, "carry").Call(x), name: "stateful_steps", seed: seed);
    }

    private static Tensor Sequence(int steps, long seed, int features = Features)
    {
        var random = new Random((int)seed);
        return Tensor.FromArray([.. Enumerable.Range(0, Batch * steps * features).Select(_ => (float)((random.NextDouble() * 2) - 1))], Batch, steps, features);
    }

    // x[:, from:from+count, :] as its own tensor.
    private static Tensor Steps(Tensor x, int from, int count)
    {
        int total = x.Shape[1];
        var part = new Tensor(Batch, count, Features);
        for (int n = 0; n < Batch; n++)
        {
            x.AsReadOnlySpan().Slice(((n * total) + from) * Features, count * Features).CopyTo(part.AsSpan().Slice(n * count * Features, count * Features));
        }

        return part;
    }

    private static int[] Bits(ReadOnlySpan<float> values) => [.. values.ToArray().Select(BitConverter.SingleToInt32Bits)];

    private static Tensor[] Carried(Model model) => ((IStatefulLayer)model.GetLayer("carry")).CarriedStates;

    // Ten steps in one call against 4 then 6 in two calls: the same outputs and final states, bit for bit (each step runs
    // the same per-row arithmetic whatever the step count).
    [Theory]
    [MemberData(nameof(Kinds))]
    public void Ten_steps_in_one_call_equal_four_then_six_with_the_states_carried(string kind)
    {
        AssertFourThenSixEqualTen(Model(kind));
    }

    private static void AssertFourThenSixEqualTen(Model model)
    {
        Tensor x = Sequence(10, seed: 3);

        int[] whole = Bits(model.PredictOnBatch(x).AsReadOnlySpan());
        int[][] wholeStates = [.. Carried(model).Select(s => Bits(s.AsReadOnlySpan()))];
        model.ResetStates();
        int[] first = Bits(model.PredictOnBatch(Steps(x, 0, 4)).AsReadOnlySpan());
        int[] second = Bits(model.PredictOnBatch(Steps(x, 4, 6)).AsReadOnlySpan());

        // Output (batch, steps, units): per sample, the first call's 4 steps then the second call's 6.
        const int Units = 4;
        int[] joined = [.. Enumerable.Range(0, Batch).SelectMany(n => first.Skip(n * 4 * Units).Take(4 * Units).Concat(second.Skip(n * 6 * Units).Take(6 * Units)))];
        Assert.Equal(whole, joined);
        Tensor[] carried = Carried(model);
        Assert.Equal(wholeStates.Length, carried.Length);
        for (int i = 0; i < carried.Length; i++)
        {
            Assert.Equal(wholeStates[i], Bits(carried[i].AsReadOnlySpan()));
        }

        // And the second call did continue the first: from zeros, the same 6 steps give other outputs.
        model.ResetStates();
        Assert.NotEqual(second, Bits(model.PredictOnBatch(Steps(x, 4, 6)).AsReadOnlySpan()));
    }

    [Fact]
    public void The_nominal_length_and_other_lengths_share_one_set_of_states()
    {
        // 64 steps run on the model's own layers, 3 on a copy: 64 then 3 equals 67 in one call (a third copy).
        Functional model = Model("lstm");
        Tensor x = Sequence(67, seed: 4);
        float[] whole = model.PredictOnBatch(x).ToArray();
        model.ResetStates();
        model.PredictOnBatch(Steps(x, 0, 64));
        float[] tail = model.PredictOnBatch(Steps(x, 64, 3)).ToArray();

        for (int n = 0; n < Batch; n++)
        {
            Assert.Equal(whole.AsSpan(((n * 67) + 64) * 4, 3 * 4).ToArray(), tail.AsSpan(n * 3 * 4, 3 * 4).ToArray());
        }
    }

    [Fact]
    public void Training_steps_of_varying_lengths_carry_the_states_and_allocate_nothing_once_warm()
    {
        Functional model = Model("gru");
        model.Compile(new Sgd(0.01f), new MeanSquaredError());
        (Tensor X, Tensor Y)[] batches = [(Sequence(4, 5), Sequence(4, 6, features: 4)), (Sequence(6, 7), Sequence(6, 8, features: 4))];
        void Steps()
        {
            foreach ((Tensor x, Tensor y) in batches)
            {
                model.TrainStep(x, y);
            }
        }

        Steps();
        float[] afterFirstRound = Carried(model)[0].ToArray();
        Steps();
        Assert.NotEqual(afterFirstRound, Carried(model)[0].ToArray());
        AllocationCheck.AssertNone(Steps);
    }

    [Fact]
    public void A_stateful_bidirectional_on_variable_steps_is_refused_naming_it_and_fixed_lengths()
    {
        var x = new Input([null, Features], "x");
        var wrapper = new Bidirectional(new Lstm(2) { Stateful = true }, name: "both_ways");

        var ex = Assert.Throws<ArgumentException>(() => wrapper.Call(x));

        Assert.Contains("both_ways", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(None, None, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("fixed lengths", ex.Message, StringComparison.Ordinal);
    }

    // A nested model's layers run in the outer model's graph: its stateful layer gets the same copies per length.
    [Fact]
    public void A_stateful_layer_of_a_nested_model_carries_its_states_across_step_counts()
    {
        var inner = new Input([null, Features], "inner_x");
        var nested = new Functional(inner, Stateful("lstm", "carry").Call(inner), name: "inner");
        var x = new Input([null, Features], "x");
        var model = new Functional(x, nested.Call(x), name: "outer", seed: 12);

        AssertFourThenSixEqualTen(model);
    }
}
