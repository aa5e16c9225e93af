using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;
using RecurrentLayer = NeuralNet.Layers.Recurrent;

namespace NeuralNet.Tests.Layers.Sequences;

// returnState and initial states (Keras' return_state and initial_state): further outputs and inputs of the recurrent layers.
public class RecurrentStateTests
{
    private static readonly Func<RecurrentLayer>[] Variants =
    [
        () => new SimpleRnn(3) { ReturnState = true },
        () => new SimpleRnn(3, returnSequences: true, goBackwards: true) { ReturnState = true },
        () => new Lstm(3) { ReturnState = true },
        () => new Lstm(3, returnSequences: true) { ReturnState = true },
        () => new Lstm(2, goBackwards: true, useBias: false) { ReturnState = true },
        () => new Gru(3) { ReturnState = true },
        () => new Gru(3, returnSequences: true, goBackwards: true) { ReturnState = true },
        () => new Gru(3, resetAfter: false) { ReturnState = true },
        () => new Gru(2, resetAfter: false, returnSequences: true) { ReturnState = true },
    ];

    public static TheoryData<int, bool> Cases
    {
        get
        {
            var cases = new TheoryData<int, bool>();
            for (int i = 0; i < Variants.Length; i++)
            {
                cases.Add(i, false);
                cases.Add(i, true);
            }

            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void States_and_output_match_the_float64_reference(int variant, bool initialStates)
    {
        RecurrentLayer layer = Variants[variant]();
        Tensor[] inputs = Inputs(layer, batch: 3, steps: 5, features: 4, initialStates, seed: 31);
        layer.Build([.. inputs.Select(t => t.Shape.DropFirst())]);

        Tensor output = layer.Forward(inputs, training: false);

        var finalH = new List<float>();
        var finalC = new List<float>();
        float[] expected = RecurrentReference.Forward(layer, inputs[0], initialStates ? inputs[1] : null, initialStates && layer is Lstm ? inputs[2] : null, finalH, finalC);
        Assert.Equal(1 + layer.StateCount, layer.OutputCount);
        AssertClose(expected, output.ToArray(), $"{layer} output");
        AssertClose([.. finalH], layer.GetOutput(1).ToArray(), $"{layer} hidden state");
        Assert.Equal([3, layer.Units], layer.GetOutput(1).Shape.Dimensions.ToArray());
        if (layer is Lstm)
        {
            AssertClose([.. finalC], layer.GetOutput(2).ToArray(), $"{layer} cell state");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradients_of_every_output_reach_inputs_states_and_weights(int variant, bool initialStates)
    {
        RecurrentLayer layer = Variants[variant]();
        Tensor[] inputs = Inputs(layer, batch: 2, steps: 4, features: 3, initialStates, seed: 7);
        layer.Build([.. inputs.Select(t => t.Shape.DropFirst())]);
        MultiOutputGradientChecker.CheckLayer(layer, inputs, seed: 11).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(5)]
    public void Gradients_of_the_states_alone_reach_the_weights(int variant)
    {
        // Output 0 has no gradient (a seq2seq encoder's output is unused): the layer starts from zeros for it.
        RecurrentLayer layer = Variants[variant]();
        Tensor[] inputs = Inputs(layer, batch: 2, steps: 3, features: 3, initialStates: true, seed: 3);
        layer.Build([.. inputs.Select(t => t.Shape.DropFirst())]);
        MultiOutputGradientChecker.CheckLayer(layer, inputs, seed: 5, skipFirstOutput: true).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(7)]
    public void Masked_leading_steps_carry_the_initial_state(int variant)
    {
        // Pre-padded samples: the masked steps pass the initial state through, so the result equals the unpadded suffix.
        RecurrentLayer layer = Variants[variant]();
        Tensor[] full = Inputs(layer, batch: 2, steps: 5, features: 3, initialStates: true, seed: 19);
        var mask = Tensor.FromArray([0, 0, 1, 1, 1, 0, 0, 1, 1, 1], 2, 5);
        layer.Build([.. full.Select(t => t.Shape.DropFirst())]);
        Tensor output = layer.Forward(full, [mask, .. Enumerable.Repeat<Tensor?>(null, full.Length - 1)], training: false);
        float[] state = layer.GetOutput(1).ToArray();
        float[] last = layer.ReturnSequences ? [] : output.ToArray();

        RecurrentLayer twin = Variants[variant]();
        Tensor suffix = Tensor.FromSpan(Suffix(full[0], 2), 2, 3, 3);
        twin.Build([suffix.Shape.DropFirst(), .. full.Skip(1).Select(t => t.Shape.DropFirst())]);
        for (int i = 0; i < layer.Parameters.Count; i++)
        {
            layer.Parameters[i].Value.AsReadOnlySpan().CopyTo(twin.Parameters[i].Value.AsSpan());
        }

        Tensor twinOutput = twin.Forward([suffix, .. full.Skip(1)], training: false);
        if (twin.GoBackwards)
        {
            // Backwards, the masked steps come last: the state after them is the state after the real ones.
            Assert.Equal(twin.GetOutput(1).ToArray(), state);
        }
        else
        {
            Assert.Equal(twin.GetOutput(1).ToArray(), state);
            if (!layer.ReturnSequences)
            {
                Assert.Equal(twinOutput.ToArray(), last);
            }
        }
    }

    public static TheoryData<int> VariantIndices => [.. Enumerable.Range(0, Variants.Length)];

    [Theory]
    [MemberData(nameof(VariantIndices))]
    public void Masked_steps_before_the_first_real_one_output_zeros_while_the_states_carry_the_initial_states(int variant)
    {
        // Keras' backends carry the output from zeros (flat_zero_output) and the states from the initial states, so a masked
        // step before any real one outputs zeros, and a fully masked sample gives a zero output beside its initial states.
        RecurrentLayer layer = Variants[variant]();
        Tensor[] full = Inputs(layer, batch: 2, steps: 5, features: 3, initialStates: true, seed: 23);
        float[] leading = layer.GoBackwards ? [1, 1, 1, 0, 0] : [0, 0, 1, 1, 1];   // the first two steps to run are masked
        var mask = Tensor.FromArray([.. leading, 0, 0, 0, 0, 0], 2, 5);              // sample 1: every step masked
        layer.Build([.. full.Select(t => t.Shape.DropFirst())]);
        float[] output = layer.Forward(full, [mask, .. Enumerable.Repeat<Tensor?>(null, full.Length - 1)], training: false).ToArray();
        float[][] states = [.. Enumerable.Range(1, layer.StateCount).Select(k => layer.GetOutput(k).ToArray())];

        RecurrentLayer twin = Variants[variant]();
        Tensor real = Tensor.FromSpan(Block(full[0], layer.GoBackwards ? 0 : 2, 3), 2, 3, 3);
        twin.Build([real.Shape.DropFirst(), .. full.Skip(1).Select(t => t.Shape.DropFirst())]);
        for (int i = 0; i < layer.Parameters.Count; i++)
        {
            layer.Parameters[i].Value.AsReadOnlySpan().CopyTo(twin.Parameters[i].Value.AsSpan());
        }

        float[] twinOutput = twin.Forward([real, .. full.Skip(1)], training: false).ToArray();
        int u = layer.Units, rows = layer.ReturnSequences ? 5 : 1, twinRows = layer.ReturnSequences ? 3 : 1;
        float[] expected = new float[2 * rows * u];
        Array.Copy(twinOutput, 0, expected, (rows - twinRows) * u, twinRows * u);
        Assert.Equal(expected, output);
        for (int k = 0; k < layer.StateCount; k++)
        {
            Assert.Equal(twin.GetOutput(k + 1).ToArray().AsSpan(0, u).ToArray(), states[k].AsSpan(0, u).ToArray());
            Assert.Equal(full[k + 1].ToArray().AsSpan(u, u).ToArray(), states[k].AsSpan(u, u).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(VariantIndices))]
    public void Gradients_through_masked_steps_with_initial_states_match_numerical_gradients(int variant)
    {
        // Leading masked steps (zero outputs, carried initial states), a masked middle step, a fully masked sample, a masked end.
        RecurrentLayer layer = Variants[variant]();
        Tensor[] inputs = Inputs(layer, batch: 3, steps: 4, features: 3, initialStates: true, seed: 37);
        var mask = Tensor.FromArray([0, 1, 0, 1, /**/ 0, 0, 0, 0, /**/ 1, 1, 0, 0], 3, 4);
        layer.Build([.. inputs.Select(t => t.Shape.DropFirst())]);
        MultiOutputGradientChecker.CheckLayer(layer, inputs, seed: 17, mask: mask).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Call_on_a_layer_with_states_asks_for_CallOutputs()
    {
        var layer = new Lstm(4, name: "encoder") { ReturnState = true };
        var x = new Input(new TensorShape(5, 3));

        var ex = Assert.Throws<InvalidOperationException>(() => layer.Call(x));

        Assert.Contains("LSTM 'encoder' has 3 outputs", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CallOutputs", ex.Message, StringComparison.Ordinal);
        SymbolicTensor[] outputs = layer.CallOutputs(x);
        Assert.Equal(3, outputs.Length);
        Assert.Equal([1, 2], outputs.Skip(1).Select(o => o.OutputIndex));
        Assert.All(outputs, o => Assert.Equal(new TensorShape(4), o.Shape));
        Assert.Single(layer.Nodes);
    }

    [Fact]
    public void Sequential_refuses_a_layer_with_states()
    {
        var model = new Sequential();
        model.Add(new InputLayer(5, 3));

        var ex = Assert.Throws<ArgumentException>(() => model.Add(new Gru(4, name: "gru") { ReturnState = true }));

        Assert.Contains("GRU 'gru' has several outputs", ex.Message, StringComparison.Ordinal);
        Assert.Single(model.Layers);
    }

    [Theory]
    [InlineData(2, "takes its input alone or with all 2 initial state(s) (h, c) but got 1 initial state(s)")]
    [InlineData(3, "expects initial state 2 to be (None, 4) but got (None, 5)")]
    public void Initial_states_of_the_wrong_number_or_shape_are_refused(int inputs, string message)
    {
        var layer = new Lstm(4, name: "decoder");
        TensorShape[] shapes = inputs == 2 ? [new(6, 3), new(4)] : [new(6, 3), new(4), new(5)];

        var ex = Assert.Throws<ArgumentException>(() => layer.Build(shapes));

        Assert.Contains("LSTM 'decoder' " + message, ex.Message, StringComparison.Ordinal);
        Assert.False(layer.IsBuilt);
        Assert.Empty(layer.Parameters);
    }

    [Fact]
    public void An_encoder_decoder_trains_checks_its_gradients_and_saves_bit_for_bit()
    {
        Functional model = EncoderDecoder();
        Tensor source = Tensor.RandomNormal(new TensorShape(16, 6, 3), 1);
        Tensor target = Tensor.RandomNormal(new TensorShape(16, 4, 2), 2);
        Tensor labels = Tensor.RandomNormal(new TensorShape(16, 4, 2), 3);
        ModelGradientChecker.Check(model, [source, target], seed: 9).AssertPassed(maxKinkFraction: 0);

        model.Compile(new Adam(0.01f), new MeanSquaredError());
        var history = model.Fit(new[] { source, target }, labels, epochs: 5, batchSize: 8, shuffle: false, verbose: 0);
        Assert.True(history["loss"][^1] < history["loss"][0], $"loss went from {history["loss"][0]} to {history["loss"][^1]}");

        string path = Path.Combine(Path.GetTempPath(), $"seq2seq-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(model.Predict(new[] { source, target }).ToArray(), loaded.Predict(new[] { source, target }).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Summary_lists_every_output_shape_and_which_output_a_call_reads()
    {
        Functional model = EncoderDecoder();
        string summary = model.Summary();

        // The table wraps long cells, as Keras' does: compare without the wrapping.
        string shapes = string.Join(" ", summary.Split('\n').Select(line => line.Split('│')).Where(cells => cells.Length > 2)
            .Select(cells => cells[2].Trim()).Where(cell => cell.Length > 0));
        Assert.Contains("[(None, 5), (None, 5), (None, 5)]", shapes, StringComparison.Ordinal);
        Assert.Contains("encoder[0][1]", summary, StringComparison.Ordinal);
        Assert.Contains("encoder[0][2]", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void An_encoder_decoder_training_step_allocates_nothing_once_warm()
    {
        Functional model = EncoderDecoder();
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Tensor source = Tensor.RandomNormal(new TensorShape(8, 6, 3), 1);
        Tensor target = Tensor.RandomNormal(new TensorShape(8, 4, 2), 2);
        Tensor labels = Tensor.RandomNormal(new TensorShape(8, 4, 2), 3);
        Tensor[] batch = [source, target, labels];
        model.TrainStep(batch);
        model.TrainStep(batch);

        AllocationCheck.AssertNone(() => model.TrainStep(batch));
    }

    // Keras' seq2seq example in small: the encoder LSTM's states start the decoder LSTM.
    private static Functional EncoderDecoder()
    {
        var source = new Input(new TensorShape(6, 3), name: "source");
        var target = new Input(new TensorShape(4, 2), name: "target");
        SymbolicTensor[] encoded = new Lstm(5, name: "encoder") { ReturnState = true }.CallOutputs(source);
        SymbolicTensor decoded = new Lstm(5, returnSequences: true, name: "decoder").Call(target, encoded[1], encoded[2]);
        SymbolicTensor output = new TimeDistributed(new Dense(2)).Call(decoded);
        return new Functional([source, target], [output], name: "seq2seq", seed: 4);
    }

    private static Tensor[] Inputs(RecurrentLayer layer, int batch, int steps, int features, bool initialStates, long seed)
    {
        var inputs = new List<Tensor> { Tensor.RandomNormal(new TensorShape(batch, steps, features), seed) };
        for (int k = 0; initialStates && k < layer.StateCount; k++)
        {
            inputs.Add(Tensor.RandomNormal(new TensorShape(batch, layer.Units), seed + 100 + k, standardDeviation: 0.5f));
        }

        return [.. inputs];
    }

    private static float[] Suffix(Tensor x, int skip) => Block(x, skip, x.Shape[1] - skip);

    // Time steps first .. first + count of every sample.
    private static float[] Block(Tensor x, int first, int count)
    {
        int batch = x.Shape[0], steps = x.Shape[1], features = x.Shape[2];
        var result = new List<float>();
        for (int b = 0; b < batch; b++)
        {
            result.AddRange(x.AsReadOnlySpan().Slice(((b * steps) + first) * features, count * features).ToArray());
        }

        return [.. result];
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-6 + (1e-5 * Math.Abs(expected[i])), $"{what}: element {i} is {actual[i]}, the reference gives {expected[i]}.");
        }
    }
}
