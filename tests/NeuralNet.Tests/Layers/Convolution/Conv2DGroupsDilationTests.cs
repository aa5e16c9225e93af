using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Convolutional;

public class Conv2DGroupsDilationTests
{
    // (channels, filters, groups, kernel, dilation, stride, same, height, width)
    public static TheoryData<int, int, int, int, int, int, bool, int, int> Cases => new()
    {
        { 4, 6, 2, 3, 1, 1, true, 6, 5 },
        { 4, 4, 4, 3, 1, 2, true, 7, 6 },
        { 6, 3, 3, 2, 1, 2, false, 7, 7 },
        { 3, 4, 1, 3, 2, 1, false, 7, 8 },
        { 3, 4, 1, 3, 2, 1, true, 6, 5 },
        { 4, 6, 2, 2, 3, 1, true, 7, 7 },
        { 2, 2, 1, 1, 4, 1, false, 3, 3 },
    };

    // Keras: kernel (kh, kw, C/G, F); output filter f of group g = f / (F/G) reads channels [g*C/G, (g+1)*C/G) with taps d apart.
    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_MatchesKerasFormulaInFloat64(int channels, int filters, int groups, int kernel, int dilation, int stride, bool same, int h, int w)
    {
        Conv2D layer = Built(channels, filters, groups, kernel, dilation, stride, same, h, w, ActivationFunction.Tanh);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, h, w, channels), 4);
        Tensor y = layer.Forward(x, training: false);
        int span = ((kernel - 1) * dilation) + 1, cg = channels / groups, fg = filters / groups;
        int oh = same ? (h + stride - 1) / stride : ((h - span) / stride) + 1, ow = same ? (w + stride - 1) / stride : ((w - span) / stride) + 1;
        int top = same ? Math.Max(((oh - 1) * stride) + span - h, 0) / 2 : 0, left = same ? Math.Max(((ow - 1) * stride) + span - w, 0) / 2 : 0;
        Assert.Equal([kernel, kernel, cg, filters], layer.Kernel.Shape.Dimensions.ToArray());
        Assert.Equal([2, oh, ow, filters], y.Shape.Dimensions.ToArray());
        var expected = new double[y.Length];
        for (int n = 0, e = 0; n < 2; n++)
        {
            for (int r = 0; r < oh; r++)
            {
                for (int q = 0; q < ow; q++)
                {
                    for (int f = 0; f < filters; f++, e++)
                    {
                        int g = f / fg;
                        double sum = layer.Bias!.Value[f];
                        for (int i = 0; i < kernel; i++)
                        {
                            for (int j = 0; j < kernel; j++)
                            {
                                int iy = (r * stride) + (i * dilation) - top, ix = (q * stride) + (j * dilation) - left;
                                for (int c = 0; iy >= 0 && iy < h && ix >= 0 && ix < w && c < cg; c++)
                                {
                                    sum += (double)x[n, iy, ix, (g * cg) + c] * layer.Kernel.Value[i, j, c, f];
                                }
                            }
                        }

                        expected[e] = Math.Tanh(sum);
                    }
                }
            }
        }

        ConvolutionTestKit.AssertClose(expected, y.AsReadOnlySpan());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_MatchesNumericalGradients(int channels, int filters, int groups, int kernel, int dilation, int stride, bool same, int h, int w)
    {
        Conv2D layer = Built(channels, filters, groups, kernel, dilation, stride, same, h, w, ActivationFunction.Sigmoid);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, h, w, channels), 6), seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_NoBiasReluAndRectangular_MatchNumericalGradients()
    {
        var layer = new Conv2D(4, (2, 3), padding: Padding.Same, dilationRate: (2, 1), groups: 2, activation: ActivationFunction.Relu, useBias: false) { Seed = 5 };
        layer.Build(new TensorShape(6, 5, 4));
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 6, 5, 4), 1), seed: 3).AssertPassed();
        var linear = new Conv2D(4, 3, groups: 2, biasInitializer: new RandomNormal(0, 0.5, 2)) { Seed = 5 };
        linear.Build(new TensorShape(5, 5, 2));
        GradientChecker.CheckLayer(linear, Tensor.RandomNormal(new TensorShape(2, 5, 5, 2), 1), seed: 3).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void OneGroupAndDilationOne_MatchesTheFastPath()
    {
        // groups = 2 with a block-diagonal kernel equals the plain convolution.
        var grouped = new Conv2D(4, 3, padding: Padding.Same, groups: 2, biasInitializer: new RandomNormal(0, 0.5, 2)) { Seed = 5 };
        grouped.Build(new TensorShape(6, 6, 4));
        var plain = new Conv2D(4, 3, padding: Padding.Same) { Seed = 5 };
        plain.Build(new TensorShape(6, 6, 4));
        Tensor full = plain.Kernel.Value;
        full.AsSpan().Clear();
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                for (int c = 0; c < 2; c++)
                {
                    for (int f = 0; f < 4; f++)
                    {
                        full[i, j, (f / 2 * 2) + c, f] = grouped.Kernel.Value[i, j, c, f];
                    }
                }
            }
        }

        grouped.Bias!.Value.CopyTo(plain.Bias!.Value);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 6, 6, 4), 7);
        Assert.Equal(plain.Forward(x, false).ToArray(), grouped.Forward(x, false).ToArray(), new Tolerance(1e-5f));
    }

    [Fact]
    public void Config_DefaultsUnchangedAndGroupsDilationRoundTrip()
    {
        string plain = new Conv2D(8, 3).GetConfig().ToString();
        Assert.Contains("\"dilation_rate\":[1,1],\"groups\":1", plain, StringComparison.Ordinal);
        var layer = new Conv2D(6, 3, padding: Padding.Same, dilationRate: 2, groups: 3, activation: ActivationFunction.Relu, biasInitializer: new RandomNormal(0, 0.5, 1));
        Assert.Contains("\"dilation_rate\":[2,2],\"groups\":3", layer.GetConfig().ToString(), StringComparison.Ordinal);
        var copy = (Conv2D)ConvolutionTestKit.RoundTrip(layer, new TensorShape(7, 7, 3));
        Assert.Equal((2, 2), copy.DilationRate);
        Assert.Equal(3, copy.Groups);
        Assert.Equal([3, 3, 1, 6], copy.Kernel.Shape.Dimensions.ToArray());
    }

    [Fact]
    public void BadArguments_ThrowNamingTheLayerAndValues()
    {
        var filters = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(5, 3, groups: 2, name: "c"));
        Assert.Equal("groups", filters.ParamName);
        Assert.Contains("Conv2D 'c'", filters.Message, StringComparison.Ordinal);
        Assert.Contains("groups=2, filters=5", filters.Message, StringComparison.Ordinal);
        var channels = Assert.Throws<ArgumentException>(() => new Conv2D(4, 3, groups: 2, name: "c").Build(new TensorShape(6, 6, 3)));
        Assert.Contains("Conv2D 'c'", channels.Message, StringComparison.Ordinal);
        Assert.Contains("groups=2, but the input has 3 channels", channels.Message, StringComparison.Ordinal);
        var both = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(4, 3, strides: 2, dilationRate: 2, name: "c"));
        Assert.Contains("strides=(2, 2), dilationRate=(2, 2)", both.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(4, 3, dilationRate: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2D(4, 3, groups: 0));
        var big = Assert.Throws<ArgumentException>(() => new Conv2D(4, 3, dilationRate: 3, name: "c").Build(new TensorShape(6, 6, 1)));
        Assert.Contains("Conv2D 'c' kernel (3, 3) with dilation (3, 3) is larger than its input", big.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackward_AfterWarmUp_AllocatesNothing()
    {
        Conv2D layer = Built(4, 6, 2, 3, 2, 1, true, 6, 6, ActivationFunction.Tanh);
        ConvolutionTestKit.AssertStepAllocatesNothing(layer, Tensor.RandomNormal(new TensorShape(2, 6, 6, 4), 1));
    }

    private static Conv2D Built(int channels, int filters, int groups, int kernel, int dilation, int stride, bool same, int h, int w, ActivationFunction? activation)
    {
        var layer = new Conv2D(filters, kernel, stride, same ? Padding.Same : Padding.Valid, dilation, groups, activation,
            biasInitializer: new RandomNormal(0, 0.5, 3)) { Seed = 9 };
        layer.Build(new TensorShape(h, w, channels));
        return layer;
    }
}
