using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Convolutional;

public class Conv1DTransposeTests
{
    // (steps, kernel, stride, same, outputPadding or -1 for none, dilation)
    public static TheoryData<int, int, int, bool, int, int> Cases => new()
    {
        { 4, 3, 2, true, -1, 1 },
        { 4, 3, 2, false, -1, 1 },
        { 4, 3, 1, true, -1, 1 },
        { 4, 4, 2, true, -1, 1 },
        { 3, 2, 3, false, -1, 1 },
        { 3, 2, 3, true, -1, 1 },
        { 4, 3, 2, true, 1, 1 },
        { 4, 3, 2, false, 1, 1 },
        { 3, 4, 3, true, 2, 1 },
        { 3, 1, 2, false, -1, 1 },
        { 5, 3, 1, true, -1, 2 },
        { 5, 3, 1, false, -1, 2 },
        { 5, 2, 1, true, 0, 3 },
    };

    [Theory]
    // keras/src/layers/convolutional/conv_transpose_test.py, test_conv1d_transpose_basic: (filters, kernel, strides, same, outputPadding, input, output).
    [InlineData(5, 2, 2, false, -1, new[] { 2, 8, 4 }, new[] { 2, 16, 5 })]
    [InlineData(6, 2, 3, true, 2, new[] { 2, 8, 4 }, new[] { 2, 23, 6 })]
    [InlineData(6, 2, 2, false, -1, new[] { 2, 8, 4 }, new[] { 2, 16, 6 })]
    public void OutputShape_KerasTestCases(int filters, int kernel, int strides, bool same, int op, int[] input, int[] output)
    {
        var layer = new Conv1DTranspose(filters, kernel, strides, same ? Padding.Same : Padding.Valid, op < 0 ? null : op);
        layer.Build(new TensorShape(input[1..]));
        Assert.Equal(2, layer.Parameters.Count);
        Assert.Equal([kernel, filters, input[2]], layer.Kernel.Shape.Dimensions.ToArray());
        Assert.Equal(output, layer.Forward(Tensor.RandomNormal(new TensorShape(input), 1), training: false).Shape.Dimensions.ToArray());
    }

    [Fact]
    public void OutputShape_MatchesKerasRuleForEveryPaddingStrideAndOutputPadding()
    {
        int checkedCases = 0;
        for (int input = 1; input <= 5; input++)
        {
            for (int kernel = 1; kernel <= 4; kernel++)
            {
                for (int stride = 1; stride <= 3; stride++)
                {
                    foreach (bool same in new[] { false, true })
                    {
                        for (int op = -1; op < stride; op++)
                        {
                            int? outputPadding = op < 0 ? null : op;
                            int expected = Conv2DTransposeTests.KerasOutputLength(input, kernel, stride, same, outputPadding, 1);
                            var layer = new Conv1DTranspose(2, kernel, stride, same ? Padding.Same : Padding.Valid, outputPadding);
                            if (expected < 1)
                            {
                                Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(input, 1)));
                                continue;
                            }

                            layer.Build(new TensorShape(input, 1));
                            Assert.Equal(expected, layer.OutputShape[0]);
                            checkedCases++;
                        }
                    }
                }
            }
        }

        Assert.True(checkedCases > 200, $"{checkedCases} cases");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_MatchesScatterDefinitionInFloat64(int input, int kernel, int stride, bool same, int op, int dilation)
    {
        // Keras' np_conv1d_transpose (conv_transpose_test.py): every input step adds kernel[j] · x to full-map step
        // i·stride + j·dilation; Keras' output is the window of that map starting at the crop, zeros beyond it.
        int? outputPadding = op < 0 ? null : op;
        Conv1DTranspose layer = Built(3, kernel, stride, same ? Padding.Same : Padding.Valid, outputPadding, dilation, input, 2, ActivationFunction.Tanh);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, input, 2), 4);
        Tensor y = layer.Forward(x, training: false);

        int outSteps = Conv2DTransposeTests.KerasOutputLength(input, kernel, stride, same, outputPadding, dilation);
        int crop = Conv2DTransposeTests.KerasCropBefore(kernel, stride, same, outputPadding, dilation);
        Assert.Equal([2, outSteps, 3], y.Shape.Dimensions.ToArray());
        var expected = new double[2 * outSteps * 3];
        for (int n = 0; n < 2; n++)
        {
            for (int i = 0; i < input; i++)
            {
                for (int j = 0; j < kernel; j++)
                {
                    int t = (i * stride) + (j * dilation) - crop;
                    for (int f = 0; t >= 0 && t < outSteps && f < 3; f++)
                    {
                        for (int c = 0; c < 2; c++)
                        {
                            expected[(((n * outSteps) + t) * 3) + f] += (double)x[n, i, c] * layer.Kernel.Value[j, f, c];
                        }
                    }
                }
            }
        }

        for (int e = 0; e < expected.Length; e++)
        {
            expected[e] = Math.Tanh(expected[e] + layer.Bias!.Value[e % 3]);
        }

        ConvolutionTestKit.AssertClose(expected, y.AsReadOnlySpan());
    }

    [Theory]
    [InlineData(4, 3, 2, Padding.Same)]
    [InlineData(4, 3, 2, Padding.Valid)]
    [InlineData(4, 3, 1, Padding.Same)]
    [InlineData(4, 4, 2, Padding.Same)]
    [InlineData(5, 2, 3, Padding.Valid)]
    [InlineData(3, 5, 2, Padding.Same)]
    public void Forward_IsTheInputGradientOfTheMatchingConv1D(int input, int kernel, int stride, Padding padding)
    {
        // Keras' definition: Conv1DTranspose(x) is the input gradient of a Conv1D over the transposed output's shape,
        // whose kernel is the transposed kernel read as (k, in = filters, out = channels).
        Conv1DTranspose transpose = Built(3, kernel, stride, padding, null, 1, input, 2, activation: null, useBias: false);
        var conv = new Conv1D(2, kernel, stride, padding, useBias: false);
        conv.Build(transpose.OutputShape);
        Assert.Equal([input, 2], conv.OutputShape.Dimensions.ToArray());
        transpose.Kernel.Value.CopyTo(conv.Kernel.Value);

        Tensor x = Tensor.RandomNormal(new TensorShape(2, input, 2), 8);
        Tensor y = transpose.Forward(x, training: false);
        conv.Forward(Tensor.RandomNormal(new TensorShape([2, .. transpose.OutputShape.Dimensions]), 9), training: true);
        Tensor gradient = conv.Backward(x);
        Assert.Equal(gradient.Shape, y.Shape);
        Assert.Equal(gradient.ToArray(), y.ToArray(), new Tolerance(1e-5f));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesNumericalGradients(int input, int kernel, int stride, bool same, int op, int dilation)
    {
        Conv1DTranspose layer = Built(3, kernel, stride, same ? Padding.Same : Padding.Valid, op < 0 ? null : op, dilation, input, 2, ActivationFunction.Sigmoid);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, input, 2), 6), seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_NoBiasRelu_MatchesNumericalGradients()
    {
        var layer = new Conv1DTranspose(4, 3, 2, Padding.Same, outputPadding: 1, activation: ActivationFunction.Relu, useBias: false) { Seed = 3 };
        layer.Build(new TensorShape(4, 3));
        Assert.Null(layer.Bias);
        Assert.Equal([8, 4], layer.OutputShape.Dimensions.ToArray());
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 4, 3), 1), seed: 4).AssertPassed();
    }

    [Fact]
    public void SaveLoad_RoundTripsBitForBit()
    {
        var layer = new Conv1DTranspose(3, 3, 2, Padding.Same, outputPadding: 1, activation: ActivationFunction.Relu,
            biasInitializer: new RandomNormal(0, 0.5, 1), name: "up");
        var copy = (Conv1DTranspose)ConvolutionTestKit.RoundTrip(layer, new TensorShape(5, 2));
        Assert.Equal(1, copy.OutputPadding);
        Assert.Equal(["kernel", "bias"], copy.Parameters.Select(p => p.Name));
        Assert.Contains("\"output_padding\":[1]", layer.GetConfig().ToString(), StringComparison.Ordinal);
        var plain = (Conv1DTranspose)ConvolutionTestKit.RoundTrip(new Conv1DTranspose(2, 3, dilationRate: 2), new TensorShape(5, 1));
        Assert.Null(plain.OutputPadding);
        Assert.Equal(2, plain.DilationRate);
        Assert.Equal("conv1d_transpose", plain.DefaultNamePrefix);
    }

    [Fact]
    public void KerasConfig_Loads()
    {
        // As Keras 3's base_conv_transpose.py get_config writes it (no output_padding key: Keras' default applies).
        JsonNode node = JsonNode.Parse("""
            {"module": "keras.layers", "class_name": "Conv1DTranspose", "registered_name": null, "config": {"name": "up", "trainable": true,
             "filters": 6, "kernel_size": [4], "strides": [2], "padding": "same", "data_format": "channels_last", "dilation_rate": [1],
             "activation": "tanh", "use_bias": true,
             "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
             "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
             "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}}
            """)!;
        var layer = (Conv1DTranspose)SerializationRegistry.Deserialize<Layer>(node, new Config(), "layer");
        Assert.Equal((6, 4, 2, Padding.Same, (int?)null, 1), (layer.Filters, layer.KernelSize, layer.Strides, layer.Padding, layer.OutputPadding, layer.DilationRate));
        layer.Build(new TensorShape(5, 3));
        Assert.Equal([10, 6], layer.OutputShape.Dimensions.ToArray());

        var scalar = (Conv1DTranspose)SerializationRegistry.Deserialize<Layer>(
            JsonNode.Parse("""{"class_name": "Conv1DTranspose", "config": {"name": "c", "filters": 2, "kernel_size": 3, "strides": 3, "output_padding": 2}}""")!, new Config(), "layer");
        Assert.Equal(2, scalar.OutputPadding);
        var tooBig = Assert.ThrowsAny<Exception>(() => SerializationRegistry.Deserialize<Layer>(
            JsonNode.Parse("""{"class_name": "Conv1DTranspose", "config": {"name": "c", "filters": 2, "kernel_size": 3, "strides": 2, "output_padding": [2]}}""")!, new Config(), "layer"));
        Assert.Contains("\"output_padding\" 2 must be smaller than \"strides\" 2", tooBig.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadArguments_ThrowNamingTheLayerAndValues()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv1DTranspose(3, 3, strides: 2, outputPadding: 2, name: "up"));
        Assert.Equal("outputPadding", e.ParamName);
        Assert.Contains("Conv1DTranspose 'up'", e.Message, StringComparison.Ordinal);
        Assert.Contains("outputPadding=2, strides=2", e.Message, StringComparison.Ordinal);
        Assert.Equal("outputPadding", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv1DTranspose(3, 3, outputPadding: -1)).ParamName);
        Assert.Equal("dilationRate", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv1DTranspose(3, 3, strides: 2, dilationRate: 2)).ParamName);
        Assert.Equal("filters", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv1DTranspose(0, 3)).ParamName);
        Assert.Equal("kernelSize", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv1DTranspose(2, 0)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv1DTranspose(3, 3, padding: Padding.Causal));
        var layer = new Conv1DTranspose(3, 3, name: "up");
        var rank = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(8, 8, 2)));
        Assert.Contains("Conv1DTranspose 'up' expects input of rank 2", rank.Message, StringComparison.Ordinal);
        Assert.False(layer.IsBuilt);
        var model = new Sequential([new InputLayer(4, 2), new Conv1DTranspose(3, 3, name: "up")]);
        var wrong = Assert.ThrowsAny<Exception>(() => model.Predict(Tensor.Zeros(1, 5, 2)));
        Assert.Contains("expects input", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackward_AfterWarmUp_AllocatesNothing()
    {
        Conv1DTranspose layer = Built(4, 3, 2, Padding.Same, 1, 1, 5, 3, ActivationFunction.Tanh);
        ConvolutionTestKit.AssertStepAllocatesNothing(layer, Tensor.RandomNormal(new TensorShape(2, 5, 3), 1));
    }

    private static Conv1DTranspose Built(int filters, int kernel, int stride, Padding padding, int? outputPadding, int dilation, int input, int channels,
        ActivationFunction? activation = null, bool useBias = true)
    {
        var layer = new Conv1DTranspose(filters, kernel, stride, padding, outputPadding, dilation, activation, useBias,
            biasInitializer: new RandomNormal(0, 0.5, 3)) { Seed = 9 };
        layer.Build(new TensorShape(input, channels));
        return layer;
    }
}
