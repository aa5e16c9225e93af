using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

/// <summary>Keras' <c>RNN</c> layer over cells: the built-in cells, a user's cell, stacked cells, masks and states.</summary>
public class RnnTests
{
    static RnnTests() => SerializationRegistry.Register("Tests>MinimalRnnCell", config => new MinimalRnnCell(config.GetInt32("units")));

    private static readonly Func<Rnn>[] Variants =
    [
        () => new Rnn(new SimpleRnnCell(3)),
        () => new Rnn(new LstmCell(3), returnSequences: true),
        () => new Rnn(new GruCell(3), goBackwards: true),
        () => new Rnn(new GruCell(2, resetAfter: false), returnSequences: true),
        () => new Rnn(new MinimalRnnCell(3), returnSequences: true, goBackwards: true),
        () => new Rnn(new StackedRnnCells(new LstmCell(3), new MinimalRnnCell(2)), returnSequences: true),
        () => new Rnn(new StackedRnnCells(new GruCell(2), new SimpleRnnCell(3)), returnSequences: true, zeroOutputForMask: true),
        () => new Rnn(new LstmCell(2), goBackwards: true, zeroOutputForMask: true),
    ];

    public static TheoryData<int, bool> VariantsWithMasks => Pairs(Variants.Length);

    [Theory]
    [MemberData(nameof(VariantsWithMasks))]
    public void Backward_matches_numerical_gradients(int variant, bool masked)
    {
        Rnn layer = Built(variant, features: 3, steps: 5);
        Tensor input = Tensor.RandomNormal(new TensorShape(3, 5, 3), 29);
        Tensor? mask = masked ? Tensor.FromArray([1, 1, 0, 1, 0, /**/ 0, 0, 1, 1, 1, /**/ 1, 0, 0, 0, 1], 3, 5) : null;
        GradientChecker.CheckLayer(layer, input, seed: 6, mask: mask).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Initial_states_and_returned_states_match_numerical_gradients(bool masked)
    {
        // Three states (an LSTM's h and c, then a user cell's h): their initial values are inputs, their final values outputs.
        var layer = new Rnn(new StackedRnnCells(new LstmCell(3), new MinimalRnnCell(2)), returnSequences: true, returnState: true) { Seed = 4 };
        layer.Build(new TensorShape(4, 2), new TensorShape(3), new TensorShape(3), new TensorShape(2));
        Tensor[] inputs =
        [
            Tensor.RandomNormal(new TensorShape(2, 4, 2), 1),
            Tensor.RandomNormal(new TensorShape(2, 3), 2, 0f, 0.5f),
            Tensor.RandomNormal(new TensorShape(2, 3), 3, 0f, 0.5f),
            Tensor.RandomNormal(new TensorShape(2, 2), 4, 0f, 0.5f),
        ];
        Tensor? mask = masked ? Tensor.FromArray([0, 1, 1, 0, /**/ 1, 0, 0, 1], 2, 4) : null;

        Assert.Equal(4, layer.OutputCount);
        MultiOutputGradientChecker.CheckLayer(layer, inputs, seed: 9, mask: mask).AssertPassed(maxKinkFraction: 0);
    }

    public static TheoryData<int, bool> FastLayerPairs => Pairs(6);

    [Theory]
    [MemberData(nameof(FastLayerPairs))]
    public void Rnn_over_a_built_in_cell_computes_what_its_layer_computes(int pair, bool masked)
    {
        (Layer fast, Rnn generic) = pair switch
        {
            0 => ((Layer)new SimpleRnn(4, returnSequences: true), new Rnn(new SimpleRnnCell(4), returnSequences: true)),
            1 => (new Lstm(4), new Rnn(new LstmCell(4))),
            2 => (new Lstm(3, returnSequences: true, goBackwards: true) { ZeroOutputForMask = true }, new Rnn(new LstmCell(3), returnSequences: true, goBackwards: true, zeroOutputForMask: true)),
            3 => (new Gru(4, returnSequences: true), new Rnn(new GruCell(4), returnSequences: true)),
            4 => (new Gru(3, resetAfter: false, goBackwards: true), new Rnn(new GruCell(3, resetAfter: false), goBackwards: true)),
            _ => (new Lstm(4, returnSequences: true) { ReturnState = true }, new Rnn(new LstmCell(4), returnSequences: true, returnState: true)),
        };
        fast.Seed = 3;
        generic.Seed = 99;
        fast.Build(new TensorShape(6, 5));
        generic.Build(new TensorShape(6, 5));
        Assert.Equal(fast.Parameters.Select(p => (p.Name, p.Shape)), generic.Parameters.Select(p => (p.Name, p.Shape)));
        for (int i = 0; i < fast.Parameters.Count; i++)
        {
            // Random biases: zeros would hide a wrong bias layout.
            Tensor.RandomNormal(fast.Parameters[i].Shape, 50 + i, 0f, 0.5f).AsReadOnlySpan().CopyTo(fast.Parameters[i].Value.AsSpan());
            fast.Parameters[i].Value.AsReadOnlySpan().CopyTo(generic.Parameters[i].Value.AsSpan());
        }

        Tensor input = Tensor.RandomNormal(new TensorShape(3, 6, 5), 7);
        Tensor? mask = masked ? Tensor.FromArray([1, 1, 0, 1, 1, 0, /**/ 0, 1, 1, 1, 0, 1, /**/ 1, 0, 0, 0, 0, 1], 3, 6) : null;
        Tensor expected = fast.Forward(input, mask, training: false);
        Tensor actual = generic.Forward(input, mask, training: false);
        // The same kernels in the same order: the forward values are the same bits.
        Assert.Equal(expected.ToArray(), actual.ToArray());
        for (int k = 1; k < fast.OutputCount; k++)
        {
            Assert.Equal(fast.GetOutput(k).ToArray(), generic.GetOutput(k).ToArray());
        }

        Tensor upstream = Tensor.RandomNormal(expected.Shape, 8);
        foreach (Parameter p in fast.Parameters.Concat(generic.Parameters))
        {
            p.ZeroGradient();
        }

        AssertClose(fast.Backward(upstream).ToArray(), generic.Backward(upstream).ToArray(), "input gradient");
        for (int i = 0; i < fast.Parameters.Count; i++)
        {
            AssertClose(fast.Parameters[i].Gradient.ToArray(), generic.Parameters[i].Gradient.ToArray(), fast.Parameters[i].Name + " gradient");
        }
    }

    [Fact]
    public void Rnn_over_an_lstm_cell_matches_the_float64_keras_formulas()
    {
        // RecurrentReference: Keras' LSTMCell.call (implementation 2) as float64 loops, reading an Lstm layer's weights.
        var lstm = new Lstm(3, returnSequences: true) { Seed = 5 };
        lstm.Build(new TensorShape(4, 2));
        var rnn = new Rnn(new LstmCell(3), returnSequences: true);
        rnn.Build(new TensorShape(4, 2));
        for (int i = 0; i < 3; i++)
        {
            Tensor.RandomNormal(lstm.Parameters[i].Shape, 20 + i, 0f, 0.5f).AsReadOnlySpan().CopyTo(lstm.Parameters[i].Value.AsSpan());
            lstm.Parameters[i].Value.AsReadOnlySpan().CopyTo(rnn.Parameters[i].Value.AsSpan());
        }

        Tensor input = Tensor.RandomNormal(new TensorShape(2, 4, 2), 3);
        float[] expected = RecurrentReference.Forward(lstm, input);
        float[] actual = rnn.Forward(input, training: false).ToArray();
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6, $"element {i}: {actual[i]}, float64 Keras formula {expected[i]}");
        }
    }

    // keras/src/layers/rnn/*_test.py, test_masking (the values RecurrentMaskingTests checks the layers with): kernel 0.01,
    // recurrent kernel 0.02, bias 0.03, input arange(24) as (2, 4, 3); Keras' layers there are RNN over these cells.
    [Theory]
    [InlineData("lstm", "TTTF,TTFF", new[] { 0.11755939f, 0.28556206f })]
    [InlineData("lstm_zero_output", "TTTF,TTFF", new[] { 0.01588910f, 0.05552048f, 0.11755939f, 0f, 0.14185596f, 0.28556206f, 0f, 0f })]
    [InlineData("lstm_backwards", "FTTT,FFTT", new[] { 0.15341201f, 0.3844719f })]
    [InlineData("gru_sequences", "TTFT,TFFT", new[] { 0.03606692f, 0.09497581f, 0.09497581f, 0.19393763f, 0.16051409f, 0.16051409f, 0.16051409f, 0.30818558f })]
    [InlineData("gru_backwards", "TTFT,TFFT", new[] { 0.11669192f, 0.28380975f })]
    [InlineData("simple_rnn", "TTFT,TFFT", new[] { 0.32951632f, 0.61799484f })]
    [InlineData("simple_rnn_zero_output", "TTFT,TFFT", new[] { 0.0599281f, 0.15122814f, 0f, 0.32394567f, 0.3969304f, 0f, 0f, 0.608085f })]
    public void Matches_keras_published_masking_values(string variant, string maskText, float[] expected)
    {
        Initializer k = new Constant(0.01f), r = new Constant(0.02f), b = new Constant(0.03f);
        bool zero = variant.EndsWith("zero_output", StringComparison.Ordinal), backwards = variant.EndsWith("backwards", StringComparison.Ordinal);
        bool sequences = zero || variant.EndsWith("sequences", StringComparison.Ordinal);
        int units = variant.StartsWith("simple", StringComparison.Ordinal) && !sequences ? 4 : 2;
        RnnCell cell = variant.Split('_')[0] switch
        {
            "lstm" => new LstmCell(units, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b),
            "gru" => new GruCell(units, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b),
            _ => new SimpleRnnCell(units, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b),
        };
        var layer = new Rnn(cell, returnSequences: sequences, goBackwards: backwards, zeroOutputForMask: zero);
        Tensor sequence = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)i)], 2, 4, 3);
        Tensor mask = Tensor.FromArray([.. maskText.Replace(",", string.Empty, StringComparison.Ordinal).Select(c => c == 'T' ? 1f : 0f)], 2, 4);

        ReadOnlySpan<float> y = layer.Forward(sequence, mask, training: false).AsReadOnlySpan();

        Assert.Equal(expected.Length * units, y.Length);
        for (int i = 0; i < y.Length; i++)
        {
            float e = expected[i / units];
            Assert.True(Math.Abs(y[i] - e) <= 1e-5 + (1e-5 * Math.Abs(e)), $"{variant}: element {i} is {y[i]}, Keras gives {e}.");
        }
    }

    [Fact]
    public void Dropout_masks_are_drawn_once_per_sequence()
    {
        // With no recurrent product and the same input at every step, every step's output is the same only if the
        // input mask is the same for every step (Keras' get_dropout_mask, cached for the call).
        var layer = new Rnn(new SimpleRnnCell(4, recurrentInitializer: new Zeros(), dropout: 0.5, seed: 3), returnSequences: true);
        layer.Build(new TensorShape(5, 6));
        float[] row = Tensor.RandomNormal(new TensorShape(6), 1).ToArray();
        Tensor input = Tensor.FromArray([.. Enumerable.Range(0, 2 * 5).SelectMany(_ => row)], 2, 5, 6);

        float[] trained = layer.Forward(input, training: true).ToArray();
        float[] inferred = layer.Forward(input, training: false).ToArray();

        for (int b = 0; b < 2; b++)
        {
            for (int s = 1; s < 5; s++)
            {
                Assert.Equal(trained.AsSpan(((b * 5) + 0) * 4, 4).ToArray(), trained.AsSpan(((b * 5) + s) * 4, 4).ToArray());
            }
        }

        Assert.NotEqual(inferred, trained);
    }

    [Fact]
    public void A_training_step_allocates_nothing_after_the_first_batch()
    {
        var layer = new Rnn(new StackedRnnCells(new LstmCell(4, dropout: 0.2, recurrentDropout: 0.3), new GruCell(3, recurrentDropout: 0.2), new MinimalRnnCell(3)),
            returnSequences: true, zeroOutputForMask: true) { Seed = 2 };
        Tensor input = Tensor.RandomNormal(new TensorShape(8, 6, 5), 4);
        Tensor mask = Tensor.FromArray([.. Enumerable.Range(0, 48).Select(i => i % 6 < 2 + (i / 6 % 4) ? 1f : 0f)], 8, 6);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(8, 6, 3), 5);
        layer.Forward(input, mask, training: true);
        layer.Backward(upstream);

        AllocationCheck.AssertNone(() =>
        {
            layer.Forward(input, mask, training: true);
            layer.Backward(upstream);
        });
    }

    [Fact]
    public void A_user_cell_trains_in_fit_reproducibly_and_round_trips_through_save_and_load()
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(64, 5, 3), 1);
        float[] sums = new float[64];
        for (int i = 0; i < x.Length; i++)
        {
            sums[i / 15] += x.AsReadOnlySpan()[i] * 0.2f;
        }

        Tensor y = Tensor.FromArray(sums, 64, 1);
        Model Train()
        {
            var input = new Input(new TensorShape(5, 3));
            SymbolicTensor h = new Rnn(new MinimalRnnCell(8), returnSequences: true).Call(input);
            SymbolicTensor last = new Rnn(new StackedRnnCells(new LstmCell(4, dropout: 0.1), new GruCell(4))).Call(h);
            var model = new Functional(input, new Dense(1).Call(last), seed: 11);
            model.Compile(new Adam(0.01f), new MeanSquaredError());
            History history = model.Fit(x, y, epochs: 25, batchSize: 16, verbose: 0);
            Assert.True(history["loss"][^1] < history["loss"][0] * 0.5, $"loss {history["loss"][0]} -> {history["loss"][^1]}");
            return model;
        }

        Model first = Train(), second = Train();
        Assert.Equal(first.Predict(x).ToArray(), second.Predict(x).ToArray());

        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-rnncell-{Environment.ProcessId}.safetensors");
        try
        {
            first.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(first.Predict(x).ToArray(), loaded.Predict(x).ToArray());
            Rnn[] layers = [.. loaded.Layers.OfType<Rnn>()];
            Assert.IsType<MinimalRnnCell>(layers[0].Cell);
            Assert.Equal(["LSTMCell", "GRUCell"], ((StackedRnnCells)layers[1].Cell).Cells.Select(c => c.TypeName));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_config_is_keras_rnn_config_with_the_serialized_cell()
    {
        var layer = new Rnn(new StackedRnnCells(new GruCell(2, resetAfter: false), new MinimalRnnCell(3)), returnSequences: true, unroll: true, name: "rnn");
        string json = layer.GetConfig().ToJson();

        System.Text.Json.Nodes.JsonNode cell = System.Text.Json.Nodes.JsonNode.Parse(json)!["cell"]!;
        Assert.Equal("StackedRNNCells", (string?)cell["class_name"]);
        Assert.Equal("GRUCell", (string?)cell["config"]!["cells"]![0]!["class_name"]);
        Assert.False((bool)cell["config"]!["cells"]![0]!["config"]!["reset_after"]!);
        Assert.Equal("Tests>MinimalRnnCell", (string?)cell["config"]!["cells"]![1]!["registered_name"]);
        Assert.True((bool)System.Text.Json.Nodes.JsonNode.Parse(json)!["unroll"]!);
        Rnn copy = Assert.IsType<Rnn>(SerializationRegistry.Deserialize<Layer>(SerializationRegistry.Serialize(layer), new Config(), "layer"));
        Assert.Equal(json, copy.GetConfig().ToJson());
    }

    [Fact]
    public void A_cell_without_state_is_refused_naming_the_layer_and_the_cell()
    {
        var error = Assert.Throws<ArgumentException>(() => new Rnn(new StatelessCell(), name: "seq"));
        Assert.Contains("RNN 'seq'", error.Message, StringComparison.Ordinal);
        Assert.Contains("StatelessCell", error.Message, StringComparison.Ordinal);
        Assert.Contains("state sizes []", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_initial_state_is_refused_with_both_shapes_before_anything_is_built()
    {
        var layer = new Rnn(new LstmCell(3), name: "encoder");
        var error = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(5, 2), new TensorShape(3), new TensorShape(4)));
        Assert.Contains("RNN 'encoder'", error.Message, StringComparison.Ordinal);
        Assert.Contains("LSTMCell", error.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 3)", error.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 4)", error.Message, StringComparison.Ordinal);
        Assert.False(layer.IsBuilt);
        Assert.Empty(layer.Parameters);
    }

    [Fact]
    public void A_cell_whose_state_sizes_change_when_built_is_refused_with_both_sizes()
    {
        var layer = new Rnn(new ShiftingCell(), name: "seq");
        var error = Assert.Throws<InvalidOperationException>(() => layer.Build(new TensorShape(5, 7)));
        Assert.Contains("RNN 'seq'", error.Message, StringComparison.Ordinal);
        Assert.Contains("ShiftingCell", error.Message, StringComparison.Ordinal);
        Assert.Contains("[2]", error.Message, StringComparison.Ordinal);
        Assert.Contains("[7]", error.Message, StringComparison.Ordinal);
        Assert.False(layer.IsBuilt);
        Assert.Empty(layer.Parameters);
    }

    [Fact]
    public void One_cell_given_to_two_layers_gives_each_its_own_weights()
    {
        var cell = new MinimalRnnCell(2);
        var a = new Rnn(cell) { Seed = 1 };
        var b = new Rnn(cell) { Seed = 2 };
        a.Build(new TensorShape(3, 2));
        b.Build(new TensorShape(3, 4));

        Assert.False(cell.IsBuilt);
        Assert.NotSame(a.Cell, b.Cell);
        Assert.Equal([2, 2], a.Parameters[0].Shape.Dimensions.ToArray());
        Assert.Equal([4, 2], b.Parameters[0].Shape.Dimensions.ToArray());
    }

    private static TheoryData<int, bool> Pairs(int count)
    {
        var data = new TheoryData<int, bool>();
        for (int v = 0; v < count; v++)
        {
            data.Add(v, false);
            data.Add(v, true);
        }

        return data;
    }

    private static Rnn Built(int variant, int features, int steps)
    {
        Rnn layer = Variants[variant]();
        layer.Seed = 31 + variant;
        layer.Build(new TensorShape(steps, features));
        foreach (Parameter p in layer.Parameters.Where(p => p.Name.EndsWith("bias", StringComparison.Ordinal)))
        {
            Tensor.RandomNormal(p.Shape, 41 + variant, 0f, 0.5f).AsReadOnlySpan().CopyTo(p.Value.AsSpan());
        }

        return layer;
    }

    // The gradients differ in summation order only: the layers take the kernel's and the input's gradients as one GEMM over
    // every step, the cells step by step. Relative to the value (a few float32 ulps): the SIMD-less and SSE kernels round
    // sums near 4 differently by about 1e-6 (CI's DOTNET_EnableAVX2=0 run).
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-6 * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: layer {expected[i]}, Rnn over the cell {actual[i]}");
        }
    }

    private sealed class StatelessCell : RnnCell
    {
        public override IReadOnlyList<int> StateSizes => [];

        public override int OutputSize => 2;

        protected override void OnBuild(int inputSize)
        {
        }

        public override void Forward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, Span<float> output, Span<float> newStates) =>
            throw new NotSupportedException();

        public override void Backward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, ReadOnlySpan<float> newStates,
            ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> newStateGradients, Span<float> inputGradient, Span<float> stateGradients) =>
            throw new NotSupportedException();
    }

    // Declares 2 units, then takes its input's width once built: a cell whose state would not be the one declared.
    internal sealed class ShiftingCell : RnnCell
    {
        private int[] _sizes = [2];

        public override IReadOnlyList<int> StateSizes => _sizes;

        protected override void OnBuild(int inputSize)
        {
            AddWeight("kernel", new TensorShape(inputSize, inputSize), new Zeros());
            _sizes = [inputSize];
        }

        public override void Forward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, Span<float> output, Span<float> newStates) =>
            throw new NotSupportedException();

        public override void Backward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, ReadOnlySpan<float> newStates,
            ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> newStateGradients, Span<float> inputGradient, Span<float> stateGradients) =>
            throw new NotSupportedException();
    }
}
