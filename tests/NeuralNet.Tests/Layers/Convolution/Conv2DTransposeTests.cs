using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Convolutional;

public class Conv2DTransposeTests
{
    // (in, kernel, stride, same, outputPadding or -1 for none, dilation)
    public static TheoryData<int, int, int, bool, int, int> Cases => new()
    {
        { 4, 3, 2, true, -1, 1 },
        { 4, 3, 2, false, -1, 1 },
        { 4, 3, 1, true, -1, 1 },
        { 4, 4, 2, true, -1, 1 },
        { 3, 2, 3, false, -1, 1 },
        { 3, 2, 3, true, -1, 1 },
        { 4, 3, 2, true, 1, 1 },
        { 4, 3, 2, true, 0, 1 },
        { 4, 3, 2, false, 1, 1 },
        { 3, 4, 3, true, 2, 1 },
        { 3, 1, 2, false, -1, 1 },
        { 5, 3, 1, true, -1, 2 },
        { 5, 3, 1, false, -1, 2 },
        { 5, 2, 1, true, 0, 3 },
    };

    // Keras 3's _get_output_shape_given_tf_padding, transcribed (keras/src/backend/common/backend_utils.py).
    internal static int KerasOutputLength(int input, int kernel, int stride, bool same, int? outputPadding, int dilation)
    {
        kernel = ((kernel - 1) * dilation) + 1;
        if (!same)
        {
            return ((input - 1) * stride) + kernel + (outputPadding ?? (Math.Max(kernel, stride) - kernel));
        }

        return outputPadding is int op ? ((input - 1) * stride) + (kernel % 2) + op : input * stride;
    }

    // Keras' jax-style left pad (_convert_conv_transpose_padding_args_from_keras_to_jax); crop = effectiveKernel - 1 - left.
    internal static int KerasCropBefore(int kernel, int stride, bool same, int? outputPadding, int dilation)
    {
        kernel = ((kernel - 1) * dilation) + 1;
        if (!same)
        {
            return 0;
        }

        int padLength = outputPadding is int op ? kernel + (kernel % 2) - 2 + op : stride + kernel - 2;
        return kernel - 1 - Math.Min((padLength / 2) + (padLength % 2), kernel - 1);
    }

    [Fact]
    public void OutputShape_KerasPublishedCases()
    {
        // keras-conventions.md, conv2d_transpose: x (2, 4, 4, 2), filters 3.
        Assert.Equal(8, Built(3, 3, 2, Padding.Same, null, 1, 4, 2).OutputShape[0]);
        Assert.Equal(9, Built(3, 3, 2, Padding.Valid, null, 1, 4, 2).OutputShape[0]);
        Assert.Equal(4, Built(3, 3, 1, Padding.Same, null, 1, 4, 2).OutputShape[0]);
        Assert.Equal(8, Built(3, 4, 2, Padding.Same, null, 1, 4, 2).OutputShape[0]);
        Assert.Equal([3, 3, 3, 2], Built(3, 3, 2, Padding.Same, null, 1, 4, 2).Kernel.Shape.Dimensions.ToArray());
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
                            int expected = KerasOutputLength(input, kernel, stride, same, outputPadding, 1);
                            var layer = new Conv2DTranspose(2, kernel, stride, same ? Padding.Same : Padding.Valid, outputPadding);
                            if (expected < 1)
                            {
                                Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(input, input + 1, 1)));
                                continue;
                            }

                            layer.Build(new TensorShape(input, input + 1, 1));
                            Assert.Equal(expected, layer.OutputShape[0]);
                            Assert.Equal(KerasOutputLength(input + 1, kernel, stride, same, outputPadding, 1), layer.OutputShape[1]);
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
        int? outputPadding = op < 0 ? null : op;
        Conv2DTranspose layer = Built(3, kernel, stride, same ? Padding.Same : Padding.Valid, outputPadding, dilation, input, 2, ActivationFunction.Tanh);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, input, input + 1, 2), 4);
        Tensor y = layer.Forward(x, training: false);

        int oh = KerasOutputLength(input, kernel, stride, same, outputPadding, dilation), ow = KerasOutputLength(input + 1, kernel, stride, same, outputPadding, dilation);
        int crop = KerasCropBefore(kernel, stride, same, outputPadding, dilation);
        Assert.Equal([2, oh, ow, 3], y.Shape.Dimensions.ToArray());
        var expected = new double[2 * oh * ow * 3];
        for (int n = 0; n < 2; n++)
        {
            for (int i = 0; i < input; i++)
            {
                for (int j = 0; j < input + 1; j++)
                {
                    for (int a = 0; a < kernel; a++)
                    {
                        for (int b = 0; b < kernel; b++)
                        {
                            int r = (i * stride) + (a * dilation) - crop, q = (j * stride) + (b * dilation) - crop;
                            for (int f = 0; r >= 0 && r < oh && q >= 0 && q < ow && f < 3; f++)
                            {
                                for (int c = 0; c < 2; c++)
                                {
                                    expected[(((((n * oh) + r) * ow) + q) * 3) + f] += (double)x[n, i, j, c] * layer.Kernel.Value[a, b, f, c];
                                }
                            }
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
    public void Forward_IsTheInputGradientOfTheMatchingConv2D(int input, int kernel, int stride, Padding padding)
    {
        // Keras' definition: Conv2DTranspose(x) is the input gradient of a Conv2D over the transposed output's shape,
        // whose HWIO kernel is the transposed kernel read as (kh, kw, in = filters, out = channels).
        Conv2DTranspose transpose = Built(3, kernel, stride, padding, null, 1, input, 2, activation: null, useBias: false);
        var conv = new Conv2D(2, kernel, stride, padding, useBias: false);
        conv.Build(transpose.OutputShape);
        Assert.Equal([input, input + 1, 2], conv.OutputShape.Dimensions.ToArray());
        transpose.Kernel.Value.CopyTo(conv.Kernel.Value);

        Tensor x = Tensor.RandomNormal(new TensorShape(2, input, input + 1, 2), 8);
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
        Conv2DTranspose layer = Built(3, kernel, stride, same ? Padding.Same : Padding.Valid, op < 0 ? null : op, dilation, input, 2, ActivationFunction.Sigmoid);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, input, input + 1, 2), 6), seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_RectangularNoBiasRelu_MatchesNumericalGradients()
    {
        var layer = new Conv2DTranspose(4, (2, 3), (2, 1), Padding.Same, outputPadding: (1, 0), activation: ActivationFunction.Relu, useBias: false) { Seed = 3 };
        layer.Build(new TensorShape(3, 4, 3));
        Assert.Equal([5, 4, 4], layer.OutputShape.Dimensions.ToArray());
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 3, 4, 3), 1), seed: 4).AssertPassed();
    }

    [Fact]
    public void SaveLoad_RoundTripsBitForBit()
    {
        var layer = new Conv2DTranspose(3, (3, 2), (2, 2), Padding.Same, outputPadding: (1, 0), activation: ActivationFunction.Relu,
            biasInitializer: new RandomNormal(0, 0.5, 1), name: "up");
        var copy = (Conv2DTranspose)ConvolutionTestKit.RoundTrip(layer, new TensorShape(4, 5, 2));
        Assert.Equal((1, 0), copy.OutputPadding);
        Assert.Contains("\"output_padding\":[1,0]", layer.GetConfig().ToString(), StringComparison.Ordinal);
        var plain = (Conv2DTranspose)ConvolutionTestKit.RoundTrip(new Conv2DTranspose(2, 3, dilationRate: 2), new TensorShape(5, 5, 1));
        Assert.Null(plain.OutputPadding);
        Assert.Equal((2, 2), plain.DilationRate);
        Assert.Equal("conv2d_transpose", plain.DefaultNamePrefix);
    }

    [Fact]
    public void BadArguments_ThrowNamingTheLayerAndValues()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DTranspose(3, 3, strides: 2, outputPadding: 2, name: "up"));
        Assert.Equal("outputPadding", e.ParamName);
        Assert.Contains("Conv2DTranspose 'up'", e.Message, StringComparison.Ordinal);
        Assert.Contains("outputPadding=(2, 2), strides=(2, 2)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DTranspose(3, 3, outputPadding: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DTranspose(3, 3, strides: 2, dilationRate: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DTranspose(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2DTranspose(3, 3, padding: Padding.Causal));
        var layer = new Conv2DTranspose(3, 3, name: "up");
        var rank = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(8, 2)));
        Assert.Contains("Conv2DTranspose 'up' expects input of rank 3", rank.Message, StringComparison.Ordinal);
        Assert.False(layer.IsBuilt);
        var model = new Sequential([new InputLayer(4, 4, 2), new Conv2DTranspose(3, 3, name: "up")]);
        var wrong = Assert.ThrowsAny<Exception>(() => model.Predict(Tensor.Zeros(1, 5, 4, 2)));
        Assert.Contains("Conv2DTranspose 'up' expects input", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackward_AfterWarmUp_AllocatesNothing()
    {
        Conv2DTranspose layer = Built(4, 3, 2, Padding.Same, 1, 1, 5, 3, ActivationFunction.Tanh);
        ConvolutionTestKit.AssertStepAllocatesNothing(layer, Tensor.RandomNormal(new TensorShape(2, 5, 6, 3), 1));
    }

    [Fact]
    public void Backward_AfterAnInferenceForward_MatchesTheTrainingPass()
    {
        // The forward pass holds one sample's matrix; the backward pass makes the batch's. The same bits either way.
        Conv2DTranspose trained = Built(4, 3, 2, Padding.Same, 1, 1, 5, 3, ActivationFunction.Tanh);
        Conv2DTranspose inferred = Built(4, 3, 2, Padding.Same, 1, 1, 5, 3, ActivationFunction.Tanh);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 5, 6, 3), 2);
        float[] trainingOutput = trained.Forward(x, training: true).ToArray();
        Tensor dy = Tensor.RandomNormal(trained.GetOutput(0).Shape, 3);

        Assert.Equal(trainingOutput, inferred.Forward(x, training: false).ToArray());
        Assert.Equal(trained.Backward(dy).ToArray(), inferred.Backward(dy).ToArray());
        Assert.Equal(trained.Kernel.Gradient.ToArray(), inferred.Kernel.Gradient.ToArray());
    }

    private static Conv2DTranspose Built(int filters, int kernel, int stride, Padding padding, int? outputPadding, int dilation, int input, int channels,
        ActivationFunction? activation = null, bool useBias = true)
    {
        var layer = new Conv2DTranspose(filters, kernel, stride, padding, outputPadding, dilation, activation, useBias,
            biasInitializer: new RandomNormal(0, 0.5, 3)) { Seed = 9 };
        layer.Build(new TensorShape(input, input + 1, channels));
        return layer;
    }
}
