using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Convolutional;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

public class ConvLstmTests
{
    // (kernel, strides, dilation, padding, frame (H, W), goBackwards, returnSequences): both paddings, strides, dilation,
    // an even kernel (asymmetric 'same' padding of the recurrent convolution), both directions.
    public static TheoryData<(int, int), (int, int), (int, int), Padding, (int, int), bool, bool> Cases2D => new()
    {
        { (3, 3), (1, 1), (1, 1), Padding.Valid, (5, 5), false, false },
        { (3, 3), (1, 1), (1, 1), Padding.Same, (4, 5), false, true },
        { (3, 2), (2, 1), (1, 1), Padding.Same, (5, 4), true, true },
        { (2, 2), (1, 1), (2, 1), Padding.Valid, (5, 4), true, false },
        { (2, 4), (1, 1), (1, 1), Padding.Same, (3, 5), false, true },
    };

    [Theory]
    [MemberData(nameof(Cases2D))]
    public void Forward_and_states_match_the_keras_cell_in_float64((int, int) kernel, (int, int) strides, (int, int) dilation, Padding padding,
        (int H, int W) frame, bool goBackwards, bool returnSequences)
    {
        var layer = new ConvLstm2D(3, kernel, strides, padding, dilation, returnSequences: returnSequences, goBackwards: goBackwards,
            biasInitializer: new RandomNormal(0, 0.5, 3)) { Seed = 4, ReturnState = true };
        const int batch = 2, steps = 3, channels = 2;
        layer.Build(new TensorShape(steps, frame.H, frame.W, channels));
        Tensor x = Tensor.RandomNormal(new TensorShape(batch, steps, frame.H, frame.W, channels), 5);

        Tensor y = layer.Forward(x, training: false);

        ConvLstmReference.Result expected = ConvLstmReference.Run(x.ToArray(), batch, steps, (1, frame.H, frame.W), channels, 3, layer.Kernel.Value.ToArray(),
            layer.RecurrentKernel.Value.ToArray(), layer.Bias!.Value.ToArray(), (1, kernel.Item1, kernel.Item2), (1, strides.Item1, strides.Item2),
            (1, dilation.Item1, dilation.Item2), padding == Padding.Same, goBackwards);
        ConvolutionTestKit.AssertClose(returnSequences ? BySample(expected.Hidden, batch) : expected.LastHidden, y.AsReadOnlySpan(), 1e-5);
        ConvolutionTestKit.AssertClose(expected.LastHidden, layer.GetOutput(1).AsReadOnlySpan(), 1e-5);
        ConvolutionTestKit.AssertClose(expected.LastCell, layer.GetOutput(2).AsReadOnlySpan(), 1e-5);
        Assert.Equal(expected.LastHidden.Length / batch, layer.OutputShapes[1].ElementCount);
    }

    [Fact]
    public void Memory_held_per_step_is_the_cell_state_not_the_patches()
    {
        // A 5×5 kernel over 4 channels into 2 filters: a step's patches are 25·4 + 25·2 = 150 floats per output position,
        // the per-step state (z, gates, c, act(c), h) 11·2 = 22, the input gradient 4 more. Six more steps may add at most
        // 40 floats per position and step, which keeping every step's patches (as before session 26) would exceed.
        const int Batch = 2, Positions = 8 * 8;
        long Allocated(int steps)
        {
            var layer = new ConvLstm2D(2, 5, padding: Padding.Same) { Seed = 1 };
            layer.Build(new TensorShape(steps, 8, 8, 4));
            Tensor x = Tensor.RandomNormal(new TensorShape(Batch, steps, 8, 8, 4), 2);
            Tensor dy = Tensor.RandomNormal(new TensorShape(Batch, 8, 8, 2), 3);
            long before = GC.GetAllocatedBytesForCurrentThread();
            layer.Forward(x, training: true);
            layer.Backward(dy);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Allocated(2); // warm-up (JIT)
        long growth = Allocated(8) - Allocated(2);
        long bound = 6L * Batch * Positions * 40 * sizeof(float);
        Assert.True(growth > 0 && growth <= bound, $"six more steps allocated {growth} bytes; at most {bound} expected");
    }

    [Fact]
    public void Forward_matches_the_reference_in_1d_and_3d_and_from_initial_states()
    {
        var one = new ConvLstm1D(2, 3, strides: 2, padding: Padding.Same, biasInitializer: new RandomNormal(0, 0.5, 1)) { Seed = 2 };
        one.Build(new TensorShape(3, 7, 2));
        Tensor x1 = Tensor.RandomNormal(new TensorShape(2, 3, 7, 2), 3);
        ConvLstmReference.Result r1 = ConvLstmReference.Run(x1.ToArray(), 2, 3, (1, 1, 7), 2, 2, one.Kernel.Value.ToArray(), one.RecurrentKernel.Value.ToArray(),
            one.Bias!.Value.ToArray(), (1, 1, 3), (1, 1, 2), (1, 1, 1), true, false);
        ConvolutionTestKit.AssertClose(r1.LastHidden, one.Forward(x1, training: false).AsReadOnlySpan(), 1e-5);

        var three = new ConvLstm3D(2, (2, 3, 2), padding: Padding.Same, returnSequences: true, goBackwards: true, useBias: false) { Seed = 3 };
        three.Build(new TensorShape(2, 3, 4, 3, 2));
        Tensor x3 = Tensor.RandomNormal(new TensorShape(2, 2, 3, 4, 3, 2), 4);
        ConvLstmReference.Result r3 = ConvLstmReference.Run(x3.ToArray(), 2, 2, (3, 4, 3), 2, 2, three.Kernel.Value.ToArray(), three.RecurrentKernel.Value.ToArray(),
            null, (2, 3, 2), (1, 1, 1), (1, 1, 1), true, true);
        ConvolutionTestKit.AssertClose(BySample(r3.Hidden, 2), three.Forward(x3, training: false).AsReadOnlySpan(), 1e-5);

        var initial = new ConvLstm2D(2, 3, padding: Padding.Same) { Seed = 5 };
        initial.Build(new TensorShape(2, 4, 4, 1), new TensorShape(4, 4, 2), new TensorShape(4, 4, 2));
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 2, 4, 4, 1), 6), h0 = Tensor.RandomNormal(new TensorShape(2, 4, 4, 2), 7), c0 = Tensor.RandomNormal(new TensorShape(2, 4, 4, 2), 8);
        ConvLstmReference.Result r = ConvLstmReference.Run(x.ToArray(), 2, 2, (1, 4, 4), 1, 2, initial.Kernel.Value.ToArray(), initial.RecurrentKernel.Value.ToArray(),
            initial.Bias!.Value.ToArray(), (1, 3, 3), (1, 1, 1), (1, 1, 1), true, false, h0.ToArray(), c0.ToArray());
        ConvolutionTestKit.AssertClose(r.LastHidden, initial.Forward([x, h0, c0], training: false).AsReadOnlySpan(), 1e-5);
    }

    [Theory]
    [MemberData(nameof(Cases2D))]
    public void Backward_matches_numerical_gradients((int, int) kernel, (int, int) strides, (int, int) dilation, Padding padding, (int H, int W) frame,
        bool goBackwards, bool returnSequences)
    {
        var layer = new ConvLstm2D(2, kernel, strides, padding, dilation, returnSequences: returnSequences, goBackwards: goBackwards,
            biasInitializer: new RandomNormal(0, 0.5, 3)) { Seed = 6 };
        layer.Build(new TensorShape(3, frame.H, frame.W, 2));
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 3, frame.H, frame.W, 2), 7), seed: 8).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_matches_numerical_gradients_in_1d_and_3d()
    {
        var one = new ConvLstm1D(2, 2, dilationRate: 2, returnSequences: true) { Seed = 1 };
        one.Build(new TensorShape(3, 6, 2));
        GradientChecker.CheckLayer(one, Tensor.RandomNormal(new TensorShape(2, 3, 6, 2), 2), seed: 3).AssertPassed(maxKinkFraction: 0);

        var three = new ConvLstm3D(2, (2, 2, 3), strides: (1, 2, 1), padding: Padding.Same, goBackwards: true) { Seed = 4 };
        three.Build(new TensorShape(2, 2, 3, 3, 1));
        GradientChecker.CheckLayer(three, Tensor.RandomNormal(new TensorShape(2, 2, 2, 3, 3, 1), 5), seed: 6).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Returned_states_and_initial_states_take_their_gradients(bool returnSequences)
    {
        var layer = new ConvLstm2D(2, (3, 2), padding: Padding.Same, returnSequences: returnSequences, biasInitializer: new RandomNormal(0, 0.5, 1)) { Seed = 2, ReturnState = true };
        layer.Build(new TensorShape(3, 3, 4, 2), new TensorShape(3, 4, 2), new TensorShape(3, 4, 2));
        Tensor[] inputs = [Tensor.RandomNormal(new TensorShape(2, 3, 3, 4, 2), 3), Tensor.RandomNormal(new TensorShape(2, 3, 4, 2), 4), Tensor.RandomNormal(new TensorShape(2, 3, 4, 2), 5)];
        MultiOutputGradientChecker.CheckLayer(layer, inputs, seed: 6).AssertPassed(maxKinkFraction: 0);
        MultiOutputGradientChecker.CheckLayer(layer, inputs, seed: 7, skipFirstOutput: true).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void A_single_step_from_zeros_gives_the_recurrent_kernel_a_zero_gradient()
    {
        var layer = new ConvLstm2D(2, 2) { Seed = 1 };
        layer.Build(new TensorShape(1, 3, 3, 1));
        layer.RecurrentKernel.Gradient.AsSpan().Fill(5f);
        layer.RecurrentKernel.DiscardGradient(); // the first product then overwrites: the layer must clear what it skips
        layer.Forward(Tensor.RandomNormal(new TensorShape(2, 1, 3, 3, 1), 2), training: true);
        layer.Backward(Tensor.RandomNormal(new TensorShape(2, 2, 2, 2), 3));
        Assert.All(layer.RecurrentKernel.Gradient.ToArray(), g => Assert.Equal(0f, g));
        Assert.Contains(layer.Kernel.Gradient.ToArray(), g => g != 0f);
    }

    // keras/src/layers/rnn/conv_lstm{1d,2d,3d}_test.py test_correctness: constant initializers 0.01, 0.02, 0.03 (the forget
    // gate's bias starts at 1 + nothing: unit_forget_bias replaces it by ones), x = arange / 10 or / 100.
    [Fact]
    public void Keras_published_values_2d()
    {
        var layer = new ConvLstm2D(2, 3, kernelInitializer: new Constant(0.01f), recurrentInitializer: new Constant(0.02f), biasInitializer: new Constant(0.03f));
        Tensor x = Arange(480, 100, 2, 3, 4, 4, 5);
        layer.Build(x.Shape.DropFirst());
        float[] expected = [0.48694518f, 0.48694518f, 0.50237733f, 0.50237733f, 0.5461202f, 0.5461202f, 0.5598283f, 0.5598283f,
            0.8661607f, 0.8661607f, 0.86909103f, 0.86909103f, 0.8774414f, 0.8774414f, 0.8800861f, 0.8800861f];
        AssertNear(expected, layer.Forward(x, training: false).ToArray(), 1e-5f);
    }

    [Fact]
    public void Keras_published_values_1d_and_3d()
    {
        var one = new ConvLstm1D(2, 3, kernelInitializer: new Constant(0.01f), recurrentInitializer: new Constant(0.02f), biasInitializer: new Constant(0.03f));
        Tensor x1 = Arange(120, 10, 2, 3, 4, 5);
        one.Build(x1.Shape.DropFirst());
        AssertNear([0.40807986f, 0.40807986f, 0.46421072f, 0.46421072f, 0.80933154f, 0.80933154f, 0.8233646f, 0.8233646f],
            one.Forward(x1, training: false).ToArray(), 1e-5f);

        var three = new ConvLstm3D(2, 3, kernelInitializer: new Constant(0.01f), recurrentInitializer: new Constant(0.02f), biasInitializer: new Constant(0.03f));
        Tensor x3 = Arange(1920, 100, 2, 3, 4, 4, 4, 5);
        three.Build(x3.Shape.DropFirst());
        float[] first = [0.99149036f, 0.99149036f, 0.99180907f, 0.99180907f, 0.99258363f, 0.99258363f, 0.9927925f, 0.9927925f,
            0.99413764f, 0.99413764f, 0.99420583f, 0.99420583f, 0.9943788f, 0.9943788f, 0.9944278f, 0.9944278f];
        AssertNear([.. first, .. Enumerable.Repeat(0.9950547f, 16)], three.Forward(x3, training: false).ToArray(), 1e-5f);
    }

    // keras/src/layers/rnn/conv_lstm_test.py ConvLSTMTest: ConvLSTM(rank=2, filters=4, kernel_size=3, padding="same") from
    // initial states s1 = s2 = arange(200) / 100, kernel 0.01, recurrent 0.02, bias zeros (+ ones for the forget gate):
    // the sum of the output is 119.812454.
    [Fact]
    public void Keras_published_sum_from_initial_states()
    {
        var layer = new ConvLstm2D(4, 3, padding: Padding.Same, kernelInitializer: new Constant(0.01f), recurrentInitializer: new Constant(0.02f));
        layer.Build(new TensorShape(3, 5, 5, 3), new TensorShape(5, 5, 4), new TensorShape(5, 5, 4));
        Tensor x = Arange(450, 100, 2, 3, 5, 5, 3), s = Arange(200, 100, 2, 5, 5, 4);
        Tensor y = layer.Forward([x, s, s], training: false);
        Assert.Equal(119.812454, y.ToArray().Sum(v => (double)v), 3);
    }

    [Fact]
    public void Keras_published_shapes_and_weight_counts()
    {
        // conv_lstm*_test.py test_basics, channels last: input shapes with a batch of 3, expected output shapes, 3 weights.
        Check(new ConvLstm2D(5, 3, padding: Padding.Same), [2, 4, 4, 3], [4, 4, 5]);
        Check(new ConvLstm2D(5, 3), [2, 8, 8, 3], [6, 6, 5]);
        Check(new ConvLstm2D(5, 3, returnSequences: true), [2, 8, 8, 3], [2, 6, 6, 5]);
        Check(new ConvLstm1D(5, 3, padding: Padding.Same), [2, 4, 3], [4, 5]);
        Check(new ConvLstm1D(5, 3), [2, 8, 3], [6, 5]);
        Check(new ConvLstm1D(5, 3, returnSequences: true), [2, 8, 3], [2, 6, 5]);
        Check(new ConvLstm3D(5, 3, padding: Padding.Same), [2, 4, 4, 4, 3], [4, 4, 4, 5]);
        Check(new ConvLstm3D(5, 3), [2, 8, 8, 8, 3], [6, 6, 6, 5]);
        Check(new ConvLstm3D(5, 3, returnSequences: true), [2, 8, 8, 8, 3], [2, 6, 6, 6, 5]);

        static void Check(ConvLstm layer, int[] input, int[] output)
        {
            layer.Build(new TensorShape(input));
            Assert.Equal(output, layer.OutputShape.Dimensions.ToArray());
            Assert.Equal(3, layer.Parameters.Count);
            Assert.Equal(["kernel", "recurrent_kernel", "bias"], layer.Parameters.Select(p => p.Name));
            Assert.Equal([.. Enumerable.Repeat(3, input.Length - 2), input[^1], 20], layer.Kernel.Shape.Dimensions.ToArray());
            Assert.Equal([.. Enumerable.Repeat(3, input.Length - 2), 5, 20], layer.RecurrentKernel.Shape.Dimensions.ToArray());
            Assert.Equal(layer.OutputShape.ElementCount * 3, layer.Forward(Tensor.RandomNormal(new TensorShape([3, .. input]), 1), training: false).Length);
        }
    }

    [Fact]
    public void Unit_forget_bias_starts_the_forget_gate_at_one()
    {
        var layer = new ConvLstm2D(3, 2, biasInitializer: new Constant(0.5f));
        layer.Build(new TensorShape(2, 4, 4, 1));
        layer.InitializeParameters();
        Assert.Equal([0.5f, 0.5f, 0.5f, 1, 1, 1, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f], layer.Bias!.Value.ToArray());
    }

    [Fact]
    public void Bad_settings_and_inputs_are_refused_by_name()
    {
        var strided = Assert.Throws<ArgumentOutOfRangeException>(() => new ConvLstm2D(1, 1, strides: 2, padding: Padding.Same, dilationRate: 3));
        Assert.Contains("ConvLSTM2D cannot combine strides > 1 with dilationRate > 1", strided.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvLstm3D(1, (1, 1, 1), strides: (1, 2, 1), dilationRate: (1, 2, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvLstm1D(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvLstm2D(2, (3, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConvLstm2D(2, 3, padding: Padding.Causal));

        var rank = Assert.Throws<ArgumentException>(() => new ConvLstm2D(2, 3, name: "clstm").Build(new TensorShape(4, 8, 8)));
        Assert.Contains("ConvLSTM2D 'clstm' expects input (None, timesteps, rows, cols, channels) but got (None, 4, 8, 8)", rank.Message, StringComparison.Ordinal);
        var fit = Assert.Throws<ArgumentException>(() => new ConvLstm2D(2, 5, name: "clstm").Build(new TensorShape(4, 3, 8, 1)));
        Assert.Contains("kernel (5, 5)", fit.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 4, 3, 8, 1)", fit.Message, StringComparison.Ordinal);
        var states = Assert.Throws<ArgumentException>(() => new ConvLstm2D(2, 3, name: "clstm").Build(new TensorShape(4, 5, 5, 1), new TensorShape(5, 5, 2), new TensorShape(3, 3, 2)));
        Assert.Contains("initial state 1 to be (None, 3, 3, 2)", states.Message, StringComparison.Ordinal);

        var layer = new ConvLstm2D(2, 3, name: "clstm");
        layer.Build(new TensorShape(2, 4, 4, 1));
        var wrong = Assert.ThrowsAny<ArgumentException>(() => layer.Forward(Tensor.RandomNormal(new TensorShape(2, 2, 5, 4, 1), 1), training: false));
        Assert.Contains("clstm", wrong.Message, StringComparison.Ordinal);
        var masked = Assert.Throws<NotSupportedException>(() => layer.Forward(Tensor.RandomNormal(new TensorShape(2, 2, 4, 4, 1), 1), new Tensor(2, 2, 4, 4), training: false));
        Assert.Contains("ConvLSTM2D 'clstm' got an input mask", masked.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"stateful\": true", "\"stateful\": true is not supported")]
    [InlineData("\"data_format\": \"channels_first\"", "channels_last")]
    [InlineData("\"kernel_size\": [3, 3, 3]", "kernel_size")]
    [InlineData("\"strides\": 2, \"dilation_rate\": 2", "cannot both exceed 1")]
    public void Unsupported_keras_settings_are_refused_by_name(string setting, string message)
    {
        JsonNode node = JsonNode.Parse("""{"class_name": "ConvLSTM2D", "config": {"name": "c", "filters": 2, "kernel_size": 3, """ + setting + "}}")!;
        var error = Assert.ThrowsAny<Exception>(() => SerializationRegistry.Deserialize<Layer>(node, new Config(), "layer"));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_the_config_keras_writes()
    {
        // keras.layers.ConvLSTM2D(4, (3, 2), padding="same", return_sequences=True).get_config() in Keras 3.
        JsonNode node = JsonNode.Parse("""
            {"module": "keras.layers", "class_name": "ConvLSTM2D", "registered_name": null, "config": {"name": "conv_lstm2d", "trainable": true,
             "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
             "return_sequences": true, "return_state": false, "go_backwards": false, "stateful": false, "unroll": false, "zero_output_for_mask": true,
             "filters": 4, "kernel_size": [3, 2], "strides": [1, 1], "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1],
             "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": true,
             "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
             "recurrent_initializer": {"module": "keras.initializers", "class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}, "registered_name": null},
             "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
             "unit_forget_bias": true, "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null, "activity_regularizer": null,
             "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0, "recurrent_dropout": 0.0, "seed": null}}
            """)!;
        var layer = (ConvLstm2D)SerializationRegistry.Deserialize<Layer>(node, new Config(), "layer");
        Assert.Equal((4, (3, 2), (1, 1), Padding.Same, (1, 1), true), (layer.Filters, layer.KernelSize, layer.Strides, layer.Padding, layer.DilationRate, layer.ReturnSequences));
        Assert.IsType<Tanh>(layer.Activation);
        Assert.IsType<Sigmoid>(layer.RecurrentActivation);
        Assert.IsType<Orthogonal>(layer.RecurrentInitializer);
        Assert.Equal("ConvLSTM2D", layer.TypeName);
        Assert.Equal("conv_lstm2d", layer.DefaultNamePrefix);

        var scalar = (ConvLstm3D)SerializationRegistry.Deserialize<Layer>(
            JsonNode.Parse("""{"class_name": "ConvLSTM3D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "strides": 2, "go_backwards": true, "return_state": true}}""")!, new Config(), "layer");
        Assert.Equal(((3, 3, 3), (2, 2, 2), true, true), (scalar.KernelSize, scalar.Strides, scalar.GoBackwards, scalar.ReturnState));
        var single = (ConvLstm1D)SerializationRegistry.Deserialize<Layer>(
            JsonNode.Parse("""{"class_name": "ConvLSTM1D", "config": {"name": "c", "filters": 2, "kernel_size": [4], "dilation_rate": [2]}}""")!, new Config(), "layer");
        Assert.Equal((4, 1, 2), (single.KernelSize, single.Strides, single.DilationRate));
    }

    [Fact]
    public void Config_round_trips_with_weights_and_constraints()
    {
        var layer = new ConvLstm2D(3, (3, 2), strides: (2, 1), padding: Padding.Same, recurrentActivation: ActivationFunction.HardSigmoid, unitForgetBias: false,
            returnSequences: true, goBackwards: true, name: "c")
        {
            Dropout = 0.25,
            RecurrentDropout = 0.5,
            DropoutSeed = 12,
            KernelConstraint = new MaxNorm(2, axis: [0, 1, 2]),
            RecurrentConstraint = new NonNeg(),
        };
        var copy = (ConvLstm2D)ConvolutionTestKit.RoundTrip(layer, new TensorShape(3, 5, 4, 2));
        Assert.IsType<MaxNorm>(copy.KernelConstraint);
        Assert.IsType<NonNeg>(copy.RecurrentConstraint);
        Assert.Equal(((3, 2), (2, 1), Padding.Same, false, true), (copy.KernelSize, copy.Strides, copy.Padding, copy.UnitForgetBias, copy.GoBackwards));
        JsonNode config = JsonNode.Parse(layer.GetConfig().ToString())!;
        Assert.Equal("[3,2]", config["kernel_size"]!.ToJsonString());
        Assert.Equal(0.25, config["dropout"]!.GetValue<double>());
        Assert.Equal((0.25, 0.5, 12L), (copy.Dropout, copy.RecurrentDropout, copy.DropoutSeed));
        Assert.False(config["stateful"]!.GetValue<bool>());

        var one = (ConvLstm1D)ConvolutionTestKit.RoundTrip(new ConvLstm1D(2, 3, dilationRate: 2, name: "c1"), new TensorShape(2, 9, 1));
        Assert.Equal(2, one.DilationRate);
        var three = (ConvLstm3D)ConvolutionTestKit.RoundTrip(new ConvLstm3D(2, (1, 2, 2), padding: Padding.Same, name: "c3"), new TensorShape(2, 2, 3, 3, 1));
        Assert.Equal((1, 2, 2), three.KernelSize);
    }

    // Keras' ConvLSTMCell with dropout: four masks per rate (one per gate) of the whole input frame or state, drawn once
    // per call and kept for every step; the states are carried undropped. Inference ignores the rates.
    [Theory]
    [InlineData(0.3, 0.0, false)]
    [InlineData(0.0, 0.4, true)]
    [InlineData(0.25, 0.5, true)]
    public void Dropout_and_recurrent_dropout_follow_the_keras_cell_with_the_drawn_masks(double dropout, double recurrentDropout, bool goBackwards)
    {
        var layer = new ConvLstm2D(2, (3, 2), padding: Padding.Same, returnSequences: true, goBackwards: goBackwards, biasInitializer: new RandomNormal(0, 0.5, 1))
        {
            Seed = 3, Dropout = dropout, RecurrentDropout = recurrentDropout, DropoutSeed = 4,
        };
        const int batch = 2, steps = 3;
        layer.Build(new TensorShape(steps, 4, 3, 2));
        Tensor x = Tensor.RandomNormal(new TensorShape(batch, steps, 4, 3, 2), 5);
        float[] kernel = layer.Kernel.Value.ToArray(), recurrent = layer.RecurrentKernel.Value.ToArray(), bias = layer.Bias!.Value.ToArray();

        float[] trained = layer.Forward(x, training: true).ToArray();
        (float[] inputMasks, float[] stateMasks) = layer.DropoutMasks;
        ConvLstmReference.Result expected = ConvLstmReference.Run(x.ToArray(), batch, steps, (1, 4, 3), 2, 2, kernel, recurrent, bias, (1, 3, 2), (1, 1, 1), (1, 1, 1),
            true, goBackwards, inputMasks: dropout > 0 ? inputMasks : null, stateMasks: recurrentDropout > 0 ? stateMasks : null);
        ConvolutionTestKit.AssertClose(BySample(expected.Hidden, batch), trained, 1e-5);
        if (dropout > 0)
        {
            float keep = (float)(1 / (1 - dropout));
            float[] used = inputMasks[..(4 * batch * 4 * 3 * 2)];
            Assert.All(used, m => Assert.True(m == 0f || m == keep));
            Assert.InRange(used.Count(m => m == 0f) / (double)used.Length, dropout - 0.15, dropout + 0.15);
            Assert.NotEqual(used[..24], used[48..72]);
        }

        ConvLstmReference.Result plain = ConvLstmReference.Run(x.ToArray(), batch, steps, (1, 4, 3), 2, 2, kernel, recurrent, bias, (1, 3, 2), (1, 1, 1), (1, 1, 1), true, goBackwards);
        ConvolutionTestKit.AssertClose(BySample(plain.Hidden, batch), layer.Forward(x, training: false).AsReadOnlySpan(), 1e-5);
        Assert.NotEqual(trained, layer.Forward(x, training: false).ToArray());
    }

    [Fact]
    public void Dropout_gradients_match_numerical_ones_under_fixed_masks()
    {
        var layer = new ConvLstm2D(2, 2, padding: Padding.Same, returnSequences: true, biasInitializer: new RandomNormal(0, 0.5, 1))
        {
            Seed = 3, Dropout = 0.3, RecurrentDropout = 0.4, DropoutSeed = 6,
        };
        layer.Build(new TensorShape(3, 3, 3, 2));
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 3, 3, 2), 7);
        Tensor g = Tensor.RandomNormal(new TensorShape([2, .. layer.OutputShape.Dimensions]), 8);

        // Every forward reseeds the layer's stream, so it draws the same masks.
        Tensor Run()
        {
            ((IRandomLayer)layer).LayerRandom.Reseed(6);
            return layer.Forward(x, training: true);
        }

        double Objective()
        {
            ReadOnlySpan<float> y = Run().AsReadOnlySpan();
            double sum = 0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += (double)g.AsReadOnlySpan()[i] * y[i];
            }

            return sum;
        }

        Run();
        foreach (Parameter p in layer.Parameters)
        {
            p.ZeroGradient();
        }

        float[] dx = layer.Backward(g).ToArray();
        var report = new GradientCheckReport();
        GradientChecker.CheckTensor(report, "input", x, dx, Objective, GradientCheckOptions.Default, seed: 9);
        foreach (Parameter p in layer.Parameters)
        {
            GradientChecker.CheckTensor(report, p.Name, p.Value, p.Gradient.ToArray(), Objective, GradientCheckOptions.Default, seed: 10);
        }

        report.AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Training_step_allocates_nothing_after_warm_up()
    {
        var layer = new ConvLstm2D(3, 3, padding: Padding.Same, returnSequences: true) { Seed = 1 };
        layer.Build(new TensorShape(3, 6, 6, 2));
        ConvolutionTestKit.AssertStepAllocatesNothing(layer, Tensor.RandomNormal(new TensorShape(2, 3, 6, 6, 2), 8));
        var dropping = new ConvLstm2D(3, (2, 3), strides: (2, 1), padding: Padding.Same) { Seed = 2, Dropout = 0.2, RecurrentDropout = 0.3, ReturnState = true };
        dropping.Build(new TensorShape(3, 6, 6, 2));
        ConvolutionTestKit.AssertStepAllocatesNothing(dropping, Tensor.RandomNormal(new TensorShape(2, 3, 6, 6, 2), 9));

        var model = MovingPixelModel(seed: 3);
        (Tensor x, Tensor y) = MovingPixels(16, seed: 4);
        model.TrainStep(x, y);
        model.TrainStep(x, y);
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                model.TrainStep(x, y);
            }
        });
    }

    [Fact]
    public void Training_gives_the_same_bits_with_one_and_two_threads()
    {
        (Tensor x, Tensor y) = MovingPixels(32, seed: 5);
        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            var weights = new List<int[][]>();
            foreach (int threads in new[] { 1, 2, 1 })
            {
                Parallelism.MaxDegreeOfParallelism = threads;
                Sequential model = MovingPixelModel(seed: 6);
                model.Fit(x, y, epochs: 2, batchSize: 16, verbose: 0);
                weights.Add([.. model.Parameters.Select(p => p.Value.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray())]);
            }

            Assert.Equal(weights[0], weights[1]);
            Assert.Equal(weights[0], weights[2]);
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }

    [Fact]
    public void A_layer_large_enough_to_split_its_products_gives_the_same_bits_with_one_and_two_threads()
    {
        // Each step's recurrent product is 4608 × 64 × 144 ≈ 42 M multiply-adds and the input product ≈ 127 M, above the
        // size at which the GEMM splits its rows over threads, so two threads really run here.
        Tensor x = Tensor.RandomNormal(new TensorShape(32, 3, 12, 12, 16), 21), dy = Tensor.RandomNormal(new TensorShape(32, 3, 12, 12, 16), 22);
        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            var results = new List<int[][]>();
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.MaxDegreeOfParallelism = threads;
                var layer = new ConvLstm2D(16, 3, padding: Padding.Same, returnSequences: true) { Seed = 23 };
                layer.Build(new TensorShape(3, 12, 12, 16));
                float[] y = layer.Forward(x, training: true).ToArray();
                float[] dx = layer.Backward(dy).ToArray();
                results.Add([y.Select(BitConverter.SingleToInt32Bits).ToArray(), dx.Select(BitConverter.SingleToInt32Bits).ToArray(),
                    .. layer.Parameters.Select(p => p.Gradient.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray())]);
            }

            Assert.Equal(results[0], results[1]);
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }

    [Fact]
    public void A_tiny_model_learns_to_predict_a_moving_pixel()
    {
        // A pixel moves one column right per frame along a random row; the model sees 4 frames and predicts the 5th.
        (Tensor x, Tensor y) = MovingPixels(128, seed: 7);
        Sequential model = MovingPixelModel(seed: 8);
        double before = model.Evaluate(x, y, verbose: 0)["loss"];
        model.Fit(x, y, epochs: 30, batchSize: 32, verbose: 0);
        double after = model.Evaluate(x, y, verbose: 0)["loss"];
        Assert.True(after < before * 0.5, $"loss {before} -> {after}");
    }

    private static Sequential MovingPixelModel(long seed)
    {
        var model = new Sequential([
            new InputLayer(4, 6, 6, 1),
            new ConvLstm2D(6, 3, padding: Padding.Same),
            new Conv2D(1, (1, 1), activation: ActivationFunction.Sigmoid),
        ], seed: seed);
        model.Compile(new Adam(0.02f), new BinaryCrossEntropy());
        return model;
    }

    // x (n, 4, 6, 6, 1): a pixel at row r, columns c..c+3; y (n, 6, 6, 1): the pixel at column c + 4.
    private static (Tensor X, Tensor Y) MovingPixels(int samples, int seed)
    {
        var random = new Random(seed);
        var x = new Tensor(samples, 4, 6, 6, 1);
        var y = new Tensor(samples, 6, 6, 1);
        for (int n = 0; n < samples; n++)
        {
            int row = random.Next(6), column = random.Next(2);
            for (int t = 0; t < 4; t++)
            {
                x.AsSpan()[(((((n * 4) + t) * 6) + row) * 6) + column + t] = 1;
            }

            y.AsSpan()[(((n * 6) + row) * 6) + column + 4] = 1;
        }

        return (x, y);
    }

    private static double[] BySample(double[][] steps, int batch)
    {
        int state = steps[0].Length / batch;
        var result = new double[steps.Length * steps[0].Length];
        for (int s = 0; s < steps.Length; s++)
        {
            for (int b = 0; b < batch; b++)
            {
                Array.Copy(steps[s], b * state, result, ((b * steps.Length) + s) * state, state);
            }
        }

        return result;
    }

    private static Tensor Arange(int count, float divisor, params int[] shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < count; i++)
        {
            t.AsSpan()[i] = i / divisor;
        }

        return t;
    }

    private static void AssertNear(float[] expected, float[] actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: {actual[i]} instead of {expected[i]}");
        }
    }
}
