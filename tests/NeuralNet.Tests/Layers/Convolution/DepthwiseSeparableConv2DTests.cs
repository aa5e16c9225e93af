using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Convolutional;

public class DepthwiseSeparableConv2DTests
{
    // (kernel, stride, same, depthMultiplier, dilation, height, width)
    public static TheoryData<int, int, bool, int, int, int, int> Cases => new()
    {
        { 3, 1, true, 2, 1, 6, 6 },
        { 3, 2, true, 2, 1, 6, 6 },
        { 3, 1, false, 1, 1, 5, 6 },
        { 2, 2, false, 3, 1, 7, 5 },
        { 3, 1, true, 1, 2, 6, 7 },
        { 2, 1, false, 2, 3, 7, 7 },
        { 4, 3, true, 1, 1, 8, 7 },
    };

    // Keras: y[n, oh, ow, c*M + m] = bias + Σ_ij xpad[n, oh*s + i*d, ow*s + j*d, c] * kernel[i, j, c, m] (keras-conventions.md).
    private static double[] DepthwiseReference(Tensor x, Tensor kernel, Tensor? bias, int stride, bool same, int dilation, out int oh, out int ow)
    {
        int batch = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3], k = kernel.Shape[0], m = kernel.Shape[3], span = ((k - 1) * dilation) + 1;
        oh = same ? (h + stride - 1) / stride : ((h - span) / stride) + 1;
        ow = same ? (w + stride - 1) / stride : ((w - span) / stride) + 1;
        int top = same ? Math.Max(((oh - 1) * stride) + span - h, 0) / 2 : 0, left = same ? Math.Max(((ow - 1) * stride) + span - w, 0) / 2 : 0;
        var y = new double[batch * oh * ow * c * m];
        for (int n = 0; n < batch; n++)
        {
            for (int r = 0; r < oh; r++)
            {
                for (int q = 0; q < ow; q++)
                {
                    for (int ci = 0; ci < c; ci++)
                    {
                        for (int mi = 0; mi < m; mi++)
                        {
                            double sum = bias is null ? 0 : bias[(ci * m) + mi];
                            for (int i = 0; i < k; i++)
                            {
                                for (int j = 0; j < k; j++)
                                {
                                    int iy = (r * stride) + (i * dilation) - top, ix = (q * stride) + (j * dilation) - left;
                                    if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                                    {
                                        sum += (double)x[n, iy, ix, ci] * kernel[i, j, ci, mi];
                                    }
                                }
                            }

                            y[(((((((n * oh) + r) * ow) + q) * c) + ci) * m) + mi] = sum;
                        }
                    }
                }
            }
        }

        return y;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Depthwise_Forward_MatchesKerasFormulaInFloat64(int kernel, int stride, bool same, int multiplier, int dilation, int h, int w)
    {
        DepthwiseConv2D layer = BuiltDepthwise(kernel, stride, same, multiplier, dilation, h, w, ActivationFunction.Tanh);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, h, w, 3), 4);
        Tensor y = layer.Forward(x, training: false);
        double[] expected = DepthwiseReference(x, layer.Kernel.Value, layer.Bias!.Value, stride, same, dilation, out int oh, out int ow);
        Assert.Equal([2, oh, ow, 3 * multiplier], y.Shape.Dimensions.ToArray());
        Assert.Equal([kernel, kernel, 3, multiplier], layer.Kernel.Shape.Dimensions.ToArray());
        ConvolutionTestKit.AssertClose(expected.Select(Math.Tanh).ToArray(), y.AsReadOnlySpan());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Depthwise_Backward_MatchesNumericalGradients(int kernel, int stride, bool same, int multiplier, int dilation, int h, int w)
    {
        DepthwiseConv2D layer = BuiltDepthwise(kernel, stride, same, multiplier, dilation, h, w, ActivationFunction.Sigmoid);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, h, w, 3), 6), seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Separable_Forward_IsDepthwiseThenPointwiseInFloat64(int kernel, int stride, bool same, int multiplier, int dilation, int h, int w)
    {
        SeparableConv2D layer = BuiltSeparable(kernel, stride, same, multiplier, dilation, h, w, ActivationFunction.Tanh);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, h, w, 3), 4);
        Tensor y = layer.Forward(x, training: false);
        double[] depthwise = DepthwiseReference(x, layer.DepthwiseKernel.Value, null, stride, same, dilation, out int oh, out int ow);
        int e = 3 * multiplier;
        Assert.Equal([1, 1, e, 4], layer.PointwiseKernel.Shape.Dimensions.ToArray());
        Assert.Equal([2, oh, ow, 4], y.Shape.Dimensions.ToArray());
        var expected = new double[2 * oh * ow * 4];
        for (int p = 0; p < 2 * oh * ow; p++)
        {
            for (int f = 0; f < 4; f++)
            {
                double sum = layer.Bias!.Value[f];
                for (int i = 0; i < e; i++)
                {
                    sum += depthwise[(p * e) + i] * layer.PointwiseKernel.Value[0, 0, i, f];
                }

                expected[(p * 4) + f] = Math.Tanh(sum);
            }
        }

        ConvolutionTestKit.AssertClose(expected, y.AsReadOnlySpan());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Separable_Backward_MatchesNumericalGradients(int kernel, int stride, bool same, int multiplier, int dilation, int h, int w)
    {
        SeparableConv2D layer = BuiltSeparable(kernel, stride, same, multiplier, dilation, h, w, ActivationFunction.Sigmoid);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, h, w, 3), 6), seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void NoBiasAndFusedRelu_MatchNumericalGradients()
    {
        var depthwise = new DepthwiseConv2D((2, 3), (1, 2), Padding.Same, 2, activation: ActivationFunction.Relu, useBias: false) { Seed = 1 };
        depthwise.Build(new TensorShape(5, 6, 2));
        Assert.Null(depthwise.Bias);
        GradientChecker.CheckLayer(depthwise, Tensor.RandomNormal(new TensorShape(2, 5, 6, 2), 3), seed: 4).AssertPassed();
        var separable = new SeparableConv2D(3, (3, 2), padding: Padding.Same, activation: ActivationFunction.Relu, biasInitializer: new RandomNormal(0, 0.5, 2)) { Seed = 1 };
        separable.Build(new TensorShape(5, 6, 2));
        GradientChecker.CheckLayer(separable, Tensor.RandomNormal(new TensorShape(2, 5, 6, 2), 3), seed: 4).AssertPassed();
        var linear = new SeparableConv2D(3, 3, depthMultiplier: 2, useBias: false) { Seed = 1 };
        linear.Build(new TensorShape(5, 6, 2));
        GradientChecker.CheckLayer(linear, Tensor.RandomNormal(new TensorShape(2, 5, 6, 2), 3), seed: 4).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void KerasWeightNamesShapesAndSaveLoad()
    {
        var depthwise = new DepthwiseConv2D(3, padding: Padding.Same, depthMultiplier: 2, activation: ActivationFunction.Relu, biasInitializer: new RandomNormal(0, 0.5, 1));
        var copy = (DepthwiseConv2D)ConvolutionTestKit.RoundTrip(depthwise, new TensorShape(6, 6, 3));
        Assert.Equal(["kernel", "bias"], depthwise.Parameters.Select(p => p.Name));
        Assert.Equal([6], depthwise.Bias!.Shape.Dimensions.ToArray());
        Assert.Equal(2, copy.DepthMultiplier);
        Assert.Equal("depthwise_conv2d", depthwise.DefaultNamePrefix);

        var separable = new SeparableConv2D(4, 3, strides: 2, padding: Padding.Same, depthMultiplier: 2, biasInitializer: new RandomNormal(0, 0.5, 1));
        ConvolutionTestKit.RoundTrip(separable, new TensorShape(6, 6, 3));
        Assert.Equal(["depthwise_kernel", "pointwise_kernel", "bias"], separable.Parameters.Select(p => p.Name));
        Assert.Equal([3, 3, 3, 2], separable.DepthwiseKernel.Shape.Dimensions.ToArray());
        Assert.Equal([1, 1, 6, 4], separable.PointwiseKernel.Shape.Dimensions.ToArray());
        Assert.Equal([3, 3, 4], separable.OutputShape.Dimensions.ToArray());
        ConvolutionTestKit.RoundTrip(new SeparableConv2D(2, 3, dilationRate: 2, activation: ActivationFunction.Tanh), new TensorShape(7, 7, 2));
        ConvolutionTestKit.RoundTrip(new DepthwiseConv2D(2, dilationRate: 2, useBias: false), new TensorShape(7, 7, 2));
    }

    [Fact]
    public void BadArguments_ThrowNamingTheLayer()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new DepthwiseConv2D(3, depthMultiplier: 0, name: "dw"));
        Assert.Equal("depthMultiplier", e.ParamName);
        Assert.Contains("DepthwiseConv2D 'dw'", e.Message, StringComparison.Ordinal);
        var d = Assert.Throws<ArgumentOutOfRangeException>(() => new SeparableConv2D(4, 3, strides: 2, dilationRate: 2, name: "sep"));
        Assert.Contains("SeparableConv2D 'sep' cannot combine strides > 1 with dilationRate > 1", d.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeparableConv2D(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DepthwiseConv2D(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DepthwiseConv2D(3, padding: Padding.Causal));
        var layer = new DepthwiseConv2D(5, name: "dw");
        var big = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(4, 4, 3)));
        Assert.Contains("DepthwiseConv2D 'dw' kernel (5, 5)", big.Message, StringComparison.Ordinal);
        var rank = Assert.Throws<ArgumentException>(() => new SeparableConv2D(2, 3, name: "sep").Build(new TensorShape(4, 3)));
        Assert.Contains("SeparableConv2D 'sep' expects input of rank 3", rank.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackward_AfterWarmUp_AllocatesNothing()
    {
        DepthwiseConv2D depthwise = BuiltDepthwise(3, 1, true, 2, 1, 6, 6, ActivationFunction.Tanh);
        ConvolutionTestKit.AssertStepAllocatesNothing(depthwise, Tensor.RandomNormal(new TensorShape(2, 6, 6, 3), 1));
        SeparableConv2D separable = BuiltSeparable(3, 2, true, 2, 1, 6, 6, ActivationFunction.Relu);
        ConvolutionTestKit.AssertStepAllocatesNothing(separable, Tensor.RandomNormal(new TensorShape(2, 6, 6, 3), 1));
    }

    private static DepthwiseConv2D BuiltDepthwise(int kernel, int stride, bool same, int multiplier, int dilation, int h, int w, ActivationFunction? activation)
    {
        var layer = new DepthwiseConv2D(kernel, stride, same ? Padding.Same : Padding.Valid, multiplier, dilation, activation,
            biasInitializer: new RandomNormal(0, 0.5, 3)) { Seed = 9 };
        layer.Build(new TensorShape(h, w, 3));
        return layer;
    }

    private static SeparableConv2D BuiltSeparable(int kernel, int stride, bool same, int multiplier, int dilation, int h, int w, ActivationFunction? activation)
    {
        var layer = new SeparableConv2D(4, kernel, stride, same ? Padding.Same : Padding.Valid, multiplier, dilation, activation,
            biasInitializer: new RandomNormal(0, 0.5, 3)) { Seed = 9 };
        layer.Build(new TensorShape(h, w, 3));
        return layer;
    }
}
