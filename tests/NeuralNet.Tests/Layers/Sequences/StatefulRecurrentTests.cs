using System.Text.Json.Nodes;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using Xunit;
using RecurrentLayer = NeuralNet.Layers.Recurrent;

namespace NeuralNet.Tests.Layers.Sequences;

// Keras' stateful=True (keras/src/layers/rnn/rnn.py): the final states of a call are the next call's initial states,
// until reset_state; no gradient crosses from one call to the one before.
public class StatefulRecurrentTests
{
    private static readonly Func<bool, RecurrentLayer>[] Variants =
    [
        stateful => new SimpleRnn(3) { Stateful = stateful, ReturnState = true },
        stateful => new SimpleRnn(3, returnSequences: true, goBackwards: true) { Stateful = stateful, ReturnState = true },
        stateful => new Lstm(3) { Stateful = stateful, ReturnState = true },
        stateful => new Lstm(2, returnSequences: true, goBackwards: true) { Stateful = stateful, ReturnState = true },
        stateful => new Gru(3) { Stateful = stateful, ReturnState = true },
        stateful => new Gru(3, resetAfter: false, returnSequences: true) { Stateful = stateful, ReturnState = true },
    ];

    public static TheoryData<int> VariantIndices => [.. Enumerable.Range(0, Variants.Length)];

    // Keras' own expectations: keras/src/layers/rnn/{simple_rnn,lstm,gru}_test.py, test_statefulness: units 4, kernel
    // 0.01, recurrent kernel 0.02, bias 0.03, input arange(24) as (2, 3, 4); the second call's output, and again after
    // reset_state and two calls.
    [Theory]
    [InlineData("simple_rnn", 0.40559256f, 0.7361247f)]
    [InlineData("lstm", 0.3124785f, 0.6863672f)]
    [InlineData("gru", 0.29542392f, 0.5885018f)]
    public void Second_call_matches_keras_published_values_and_reset_starts_again(string variant, params float[] expected)
    {
        Initializer k = new Constant(0.01f), r = new Constant(0.02f), b = new Constant(0.03f);
        RecurrentLayer layer = variant switch
        {
            "simple_rnn" => new SimpleRnn(4, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b) { Stateful = true },
            "lstm" => new Lstm(4, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b) { Stateful = true },
            _ => new Gru(4, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b) { Stateful = true },
        };
        AssertKerasStatefulness(variant, layer, () =>
        {
            layer.ResetStates();
            Assert.Empty(layer.CarriedStates);
        }, expected);
    }

    // test_statefulness' protocol: input arange(24) as (2, 3, 4); the second call gives Keras' values (every unit of
    // sample n equal to expected[n]), and after a reset the same two calls give them again.
    internal static void AssertKerasStatefulness(string variant, Layer layer, Action resetAndCheck, float[] expected)
    {
        Tensor sequence = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)i)], 2, 3, 4);
        for (int round = 0; round < 2; round++)
        {
            float[] first = layer.Forward(sequence, training: false).ToArray();
            Tensor output = layer.Forward(sequence, training: false);
            for (int n = 0; n < 2; n++)
            {
                for (int j = 0; j < 4; j++)
                {
                    Assert.True(Math.Abs(output[n, j] - expected[n]) <= 1e-5 + (1e-5 * Math.Abs(expected[n])),
                        $"{variant} round {round}: sample {n} unit {j} is {output[n, j]}, Keras gives {expected[n]}.");
                }
            }

            Assert.NotEqual(first, output.ToArray());
            resetAndCheck();
        }
    }

    [Theory]
    [MemberData(nameof(VariantIndices))]
    public void A_call_continues_from_the_final_states_of_the_previous_one(int variant)
    {
        // The same as a stateless twin given the previous call's final states as initial states, bit for bit.
        RecurrentLayer layer = Variants[variant](true);
        Tensor x1 = Tensor.RandomNormal(new TensorShape(3, 4, 2), 1), x2 = Tensor.RandomNormal(new TensorShape(3, 4, 2), 2);
        layer.Forward(x1, training: false);
        Tensor[] carried = [.. layer.CarriedStates.Select(t => Tensor.FromSpan(t.AsReadOnlySpan(), t.Shape.Dimensions.ToArray()))];
        Assert.Equal(layer.StateCount, carried.Length);
        for (int s = 0; s < carried.Length; s++)
        {
            Assert.Equal(layer.GetOutput(1 + s).ToArray(), carried[s].ToArray());
        }

        float[] output = layer.Forward(x2, training: false).ToArray();

        RecurrentLayer twin = Twin(layer, stateful: false, withStates: true);
        float[] expected = twin.Forward([x2, .. carried], training: false).ToArray();
        Assert.Equal(expected, output);
        for (int s = 0; s < layer.StateCount; s++)
        {
            Assert.Equal(twin.GetOutput(1 + s).ToArray(), layer.CarriedStates[s].ToArray());
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(4)]
    public void Two_calls_equal_one_call_over_the_joined_sequence(int variant)
    {
        RecurrentLayer layer = Variants[variant](true);
        Tensor whole = Tensor.RandomNormal(new TensorShape(2, 6, 2), 5);
        layer.Forward(Tensor.FromSpan(Steps(whole, 0, 3), 2, 3, 2), training: false);
        float[] second = layer.Forward(Tensor.FromSpan(Steps(whole, 3, 3), 2, 3, 2), training: false).ToArray();

        RecurrentLayer twin = Twin(layer, stateful: false, withStates: false, steps: 6);
        float[] expected = twin.Forward(whole, training: false).ToArray();
        Assert.Equal(expected.Length, second.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - second[i]) <= 1e-6, $"{layer}: element {i} is {second[i]}, the joined sequence gives {expected[i]}.");
        }
    }

    [Theory]
    [MemberData(nameof(VariantIndices))]
    public void No_gradient_crosses_calls_the_carried_states_enter_as_constants(int variant)
    {
        // Truncated back-propagation through time: the second call's gradients are a stateless twin's given the carried
        // states as initial states (whose own gradients the stateful layer drops).
        RecurrentLayer layer = Variants[variant](true);
        Tensor x1 = Tensor.RandomNormal(new TensorShape(2, 4, 2), 3), x2 = Tensor.RandomNormal(new TensorShape(2, 4, 2), 4);
        layer.Forward(x1, training: true);
        Tensor[] carried = [.. layer.CarriedStates.Select(t => Tensor.FromSpan(t.AsReadOnlySpan(), t.Shape.Dimensions.ToArray()))];
        Tensor output = layer.Forward(x2, training: true);
        Tensor g = Tensor.RandomNormal(output.Shape, 9);
        foreach (Parameter p in layer.Parameters)
        {
            p.Gradient.AsSpan().Clear();
        }

        float[] dx = layer.Backward(g).ToArray();

        RecurrentLayer twin = Twin(layer, stateful: false, withStates: true);
        twin.Forward([x2, .. carried], training: true);
        var twinGradients = new Tensor?[1 + twin.StateCount];
        twin.Backward(g, twinGradients);
        float[] twinDx = twinGradients[0]!.ToArray();
        Assert.Equal(twinDx, dx);
        for (int i = 0; i < layer.Parameters.Count; i++)
        {
            Assert.Equal(twin.Parameters[i].Gradient.ToArray(), layer.Parameters[i].Gradient.ToArray());
        }
    }

    [Fact]
    public void Initial_states_given_as_inputs_replace_the_carried_ones_and_the_final_states_are_kept()
    {
        var layer = new Lstm(3) { Stateful = true, ReturnState = true };
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 4, 2), 6);
        Tensor h0 = Tensor.RandomNormal(new TensorShape(2, 3), 7), c0 = Tensor.RandomNormal(new TensorShape(2, 3), 8);
        layer.Build([new TensorShape(4, 2), new TensorShape(3), new TensorShape(3)]);
        layer.Forward([x, h0, c0], training: false);
        float[] first = layer.GetOutput(0).ToArray();
        layer.Forward([x, h0, c0], training: false);

        // Keras (rnn.py, call): a given initial_state is used as is, and self.states still take the final states.
        Assert.Equal(first, layer.GetOutput(0).ToArray());
        Assert.Equal(layer.GetOutput(1).ToArray(), layer.CarriedStates[0].ToArray());
        Assert.Equal(layer.GetOutput(2).ToArray(), layer.CarriedStates[1].ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    public void Masked_steps_carry_the_states_into_the_next_call(int variant)
    {
        RecurrentLayer layer = Variants[variant](true);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 4, 2), 12);
        var mask = Tensor.FromArray([1, 1, 0, 0, 0, 0, 0, 0], 2, 4);    // sample 1 is all padding
        layer.Forward(x, training: false);
        float[] before = layer.CarriedStates[0].ToArray();
        layer.Forward([x], [mask], training: false);

        Assert.Equal(layer.GetOutput(1).ToArray(), layer.CarriedStates[0].ToArray());
        Assert.Equal(before.AsSpan(layer.Units, layer.Units).ToArray(), layer.CarriedStates[0].ToArray().AsSpan(layer.Units, layer.Units).ToArray());
    }

    [Fact]
    public void Another_batch_size_is_refused_before_anything_changes_and_allowed_after_a_reset()
    {
        var layer = new Gru(3, name: "carrier") { Stateful = true };
        layer.Forward(Tensor.RandomNormal(new TensorShape(4, 5, 2), 1), training: false);
        float[] carried = layer.CarriedStates[0].ToArray();

        var ex = Assert.Throws<InvalidOperationException>(() => layer.Forward(Tensor.RandomNormal(new TensorShape(3, 5, 2), 2), training: false));
        Assert.Contains("GRU 'carrier' is stateful and carries the states of 4 samples, but was called on a batch of 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ResetStates()", ex.Message, StringComparison.Ordinal);
        Assert.Equal(carried, layer.CarriedStates[0].ToArray());

        layer.ResetStates();
        layer.Forward(Tensor.RandomNormal(new TensorShape(3, 5, 2), 2), training: false);
        Assert.Equal([3, 3], layer.CarriedStates[0].Shape.Dimensions.ToArray());
    }

    [Fact]
    public void ResetStates_does_nothing_to_a_layer_that_is_not_stateful()
    {
        var layer = new SimpleRnn(2);
        layer.ResetStates();
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 2), 1);
        float[] first = layer.Forward(x, training: false).ToArray();
        Assert.Equal(first, layer.Forward(x, training: false).ToArray());
        Assert.Empty(layer.CarriedStates);
    }

    [Fact]
    public void Model_predictions_continue_the_states_until_ResetStates()
    {
        Sequential model = Model(seed: 3);
        Tensor x = Tensor.RandomNormal(new TensorShape(8, 5, 2), 4);
        float[] first = model.Predict(x, batchSize: 4).ToArray();
        float[] second = model.Predict(x, batchSize: 4).ToArray();
        Assert.NotEqual(first, second);

        model.ResetStates();
        Assert.Equal(first, model.Predict(x, batchSize: 4).ToArray());

        // The batches of one Predict follow each other: the second batch continues the first's samples.
        model.ResetStates();
        Sequential twin = Model(seed: 3);
        twin.Predict(Tensor.FromSpan(x.AsReadOnlySpan()[..40], 4, 5, 2), batchSize: 4);
        float[] continued = twin.Predict(Tensor.FromSpan(x.AsReadOnlySpan()[40..], 4, 5, 2), batchSize: 4).ToArray();
        Assert.Equal(first.AsSpan(first.Length / 2).ToArray(), continued);
    }

    [Fact]
    public void The_last_smaller_batch_is_refused_with_both_sizes()
    {
        Sequential model = Model(seed: 3);
        Tensor x = Tensor.RandomNormal(new TensorShape(10, 5, 2), 4);
        var ex = Assert.Throws<InvalidOperationException>(() => model.Predict(x, batchSize: 4));
        Assert.Contains("LSTM 'memory' is stateful and carries the states of 4 samples, but was called on a batch of 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stateful_training_is_reproducible_and_allocation_free_once_warm()
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(8, 5, 2), 7), y = Tensor.RandomNormal(new TensorShape(8, 1), 8);
        float[][] Train()
        {
            Sequential model = Model(seed: 11);
            model.Compile(new Adam(0.01f), new MeanSquaredError());
            model.Fit(x, y, epochs: 2, batchSize: 4, shuffle: false, verbose: 0);
            var lstm = (Lstm)model.Layers.First(l => l is Lstm);
            return [.. model.Parameters.Select(p => p.Value.ToArray()), .. lstm.CarriedStates.Select(t => t.ToArray())];
        }

        float[][] a = Train(), b = Train();
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            Assert.Equal(a[i], b[i]);
        }

        Sequential warm = Model(seed: 11);
        warm.Compile(new Adam(0.01f), new MeanSquaredError());
        Tensor[] batch = [Tensor.FromSpan(x.AsReadOnlySpan()[..40], 4, 5, 2), Tensor.FromSpan(y.AsReadOnlySpan()[..4], 4, 1)];
        warm.TrainStep(batch);
        warm.TrainStep(batch);
        AllocationCheck.AssertNone(() => warm.TrainStep(batch));
    }

    [Fact]
    public async Task Concurrent_predictions_of_a_stateful_model_run_one_after_the_other()
    {
        // Each prediction continues the states the previous one left, so they cannot run side by side on copies: the
        // two results are the first and the second prediction of a sequential run, in either order.
        Tensor x = Tensor.RandomNormal(new TensorShape(16, 5, 2), 4);
        Sequential reference = Model(seed: 3);
        float[] p1 = reference.Predict(x, batchSize: 4).ToArray();
        float[] p2 = reference.Predict(x, batchSize: 4).ToArray();

        for (int attempt = 0; attempt < 5; attempt++)
        {
            Sequential model = Model(seed: 3);
            model.Predict(x, batchSize: 4);   // built and warm
            model.ResetStates();
            using var start = new Barrier(2);
            Task<float[]>[] tasks = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            {
                start.SignalAndWait();
                return model.Predict(x, batchSize: 4).ToArray();
            }))];
            float[][] results = await Task.WhenAll(tasks);
            bool inOrder = results[0].SequenceEqual(p1) && results[1].SequenceEqual(p2);
            bool swapped = results[0].SequenceEqual(p2) && results[1].SequenceEqual(p1);
            Assert.True(inOrder || swapped, $"attempt {attempt}: the concurrent predictions mixed their batches.");
        }
    }

    [Fact]
    public void A_shared_stateful_layer_is_refused_when_the_model_is_built()
    {
        var lstm = new Lstm(3, name: "shared_memory") { Stateful = true };
        var a = new Input(new TensorShape(4, 2));
        var b = new Input(new TensorShape(4, 2));
        SymbolicTensor merged = new Add().Call(lstm.Call(a), lstm.Call(b));
        var ex = Assert.ThrowsAny<InvalidOperationException>(() => new Functional([a, b], merged));
        Assert.Contains("LSTM 'shared_memory' is stateful", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be called more than once in a model", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stateful_round_trips_under_keras_config_key_and_keras_files_with_it_load()
    {
        foreach (RecurrentLayer layer in new RecurrentLayer[] { new SimpleRnn(2) { Stateful = true }, new Lstm(2) { Stateful = true }, new Gru(2) { Stateful = true }, new Gru(2) })
        {
            JsonNode written = SerializationRegistry.Serialize(layer);
            Assert.Equal(layer.Stateful, (bool)written["config"]!["stateful"]!);
            var read = (RecurrentLayer)SerializationRegistry.Deserialize<Layer>(written, new Config(), "layer");
            Assert.Equal(layer.Stateful, read.Stateful);
        }

        // As Keras 3 writes an LSTM(4, stateful=True).
        var keras = JsonNode.Parse("""{"class_name": "LSTM", "config": {"name": "lstm", "units": 4, "return_sequences": false, "return_state": false, "go_backwards": false, "stateful": true, "unroll": false, "zero_output_for_mask": false}}""")!;
        Assert.True(((Lstm)SerializationRegistry.Deserialize<Layer>(keras, new Config(), "layer")).Stateful);

        Sequential model = Model(seed: 3);
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 5, 2), 4);
        string path = Path.Combine(Path.GetTempPath(), $"stateful-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            NeuralNet.Models.Model loaded = NeuralNet.Models.Model.Load(path);
            Assert.True(((Lstm)loaded.Layers.First(l => l is Lstm)).Stateful);
            Assert.Equal(model.Predict(x, batchSize: 4).ToArray(), loaded.Predict(x, batchSize: 4).ToArray());
            Assert.Equal(model.Predict(x, batchSize: 4).ToArray(), loaded.Predict(x, batchSize: 4).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Bidirectional_carries_the_states_of_both_directions()
    {
        var bidirectional = new Bidirectional(new Lstm(2, returnSequences: true) { Stateful = true });
        Tensor x1 = Tensor.RandomNormal(new TensorShape(2, 3, 2), 1), x2 = Tensor.RandomNormal(new TensorShape(2, 3, 2), 2);
        bidirectional.Forward(x1, training: false);
        float[] output = bidirectional.Forward(x2, training: false).ToArray();
        Assert.True(bidirectional.Stateful);
        var (forwardLayer, backwardLayer) = ((RecurrentLayer)bidirectional.ForwardLayer, (RecurrentLayer)bidirectional.BackwardLayer);
        Assert.True(forwardLayer.Stateful && backwardLayer.Stateful);

        // Each direction as a stateful LSTM of its own, with the same weights.
        RecurrentLayer forward = Twin(forwardLayer, stateful: true, withStates: false);
        RecurrentLayer backward = Twin(backwardLayer, stateful: true, withStates: false);
        forward.Forward(x1, training: false);
        backward.Forward(x1, training: false);
        float[] f = forward.Forward(x2, training: false).ToArray(), b = backward.Forward(x2, training: false).ToArray();
        for (int n = 0; n < 2; n++)
        {
            for (int t = 0; t < 3; t++)
            {
                for (int j = 0; j < 2; j++)
                {
                    Assert.Equal(f[(((n * 3) + t) * 2) + j], output[(((n * 3) + t) * 4) + j]);
                    Assert.Equal(b[(((n * 3) + (2 - t)) * 2) + j], output[(((n * 3) + t) * 4) + 2 + j]);
                }
            }
        }

        bidirectional.ResetStates();
        Assert.Empty(forwardLayer.CarriedStates);
        Assert.Empty(backwardLayer.CarriedStates);

        var ex = Assert.Throws<ArgumentException>(() => new Bidirectional(new Lstm(2) { Stateful = true }, backwardLayer: new Lstm(2, goBackwards: true)));
        Assert.Contains("Stateful", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Model_ResetStates_reaches_layers_inside_Bidirectional()
    {
        var model = new Sequential(seed: 2);
        model.Add(new InputLayer(3, 2));
        model.Add(new Bidirectional(new Gru(2) { Stateful = true }));
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 2), 3);
        float[] first = model.Predict(x).ToArray();
        Assert.NotEqual(first, model.Predict(x).ToArray());
        model.ResetStates();
        Assert.Equal(first, model.Predict(x).ToArray());
    }

    private static Sequential Model(long seed)
    {
        var model = new Sequential(seed: seed);
        model.Add(new InputLayer(5, 2));
        model.Add(new Lstm(3, name: "memory") { Stateful = true });
        model.Add(new Dense(1));
        return model;
    }

    // A layer of the same kind and settings with the same weights (stateful or not, taking initial states or not).
    private static RecurrentLayer Twin(RecurrentLayer layer, bool stateful, bool withStates, int? steps = null)
    {
        Config config = layer.GetConfig().Set("stateful", stateful).Set("name", "twin");
        var twin = (RecurrentLayer)SerializationRegistry.Recreate(layer, config);
        TensorShape sequence = steps is int s ? new TensorShape(s, layer.InputShapes[0][1]) : layer.InputShapes[0];
        twin.Build([sequence, .. Enumerable.Repeat(new TensorShape(layer.Units), withStates ? layer.StateCount : 0)]);
        for (int i = 0; i < layer.Parameters.Count; i++)
        {
            layer.Parameters[i].Value.AsReadOnlySpan().CopyTo(twin.Parameters[i].Value.AsSpan());
        }

        return twin;
    }

    // Time steps first .. first + count of every sample of x (batch, steps, features).
    private static float[] Steps(Tensor x, int first, int count)
    {
        int steps = x.Shape[1], features = x.Shape[2];
        var result = new List<float>();
        for (int n = 0; n < x.Shape[0]; n++)
        {
            result.AddRange(x.AsReadOnlySpan().Slice(((n * steps) + first) * features, count * features).ToArray());
        }

        return [.. result];
    }

    [Fact]
    public void Predict_BatchLargerThanAPass_RunsInOnePass()
    {
        // Inference splits batches above 128 rows into passes; a stateful layer would then continue sample i of the first
        // pass in row i of the second. One call of 256 independent series must equal a stateless twin's.
        static Sequential Build(bool stateful) => new([new InputLayer(5, 3), new Lstm(4) { Stateful = stateful }], seed: 22);
        Sequential stateful = Build(true), stateless = Build(false);
        Tensor x = Tensor.RandomNormal(new TensorShape(256, 5, 3), 23);

        Assert.Equal(stateless.Predict(x, batchSize: 256).ToArray(), stateful.Predict(x, batchSize: 256).ToArray());
    }
}
