using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Convolutional;

public class ImageReshapingTests
{
    [Fact]
    public void UpSamplingNearest_KerasDocstringExample()
    {
        // keras.layers.UpSampling2D(size=(1, 2)) on np.arange(12).reshape(2, 2, 1, 3).
        var layer = new UpSampling2D((1, 2));
        layer.Build(new TensorShape(2, 1, 3));
        Tensor x = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 2, 2, 1, 3);
        Tensor y = layer.Forward(x, false);
        Assert.Equal([2, 2, 2, 3], y.Shape.Dimensions.ToArray());
        Assert.Equal([0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7, 8, 6, 7, 8, 9, 10, 11, 9, 10, 11], y.ToArray());
    }

    [Fact]
    public void UpSamplingBilinear_HalfPixelCentersHandValues()
    {
        // tf.image.resize([0, 1], 4, bilinear) = [0, 0.25, 0.75, 1].
        var layer = new UpSampling2D((1, 2), Interpolation.Bilinear);
        layer.Build(new TensorShape(1, 2, 1));
        Assert.Equal([0f, 0.25f, 0.75f, 1f], layer.Forward(Tensor.FromArray([0f, 1f], 1, 1, 2, 1), false).ToArray());
    }

    [Theory]
    [InlineData(2, 2, 3, 4)]
    [InlineData(3, 2, 4, 3)]
    [InlineData(1, 3, 2, 5)]
    public void UpSamplingBilinear_MatchesTensorFlowResizeInFloat64(int fh, int fw, int h, int w)
    {
        var layer = new UpSampling2D((fh, fw), Interpolation.Bilinear);
        layer.Build(new TensorShape(h, w, 3));
        Tensor x = Tensor.RandomNormal(new TensorShape(2, h, w, 3), 3);
        Tensor y = layer.Forward(x, false);
        int oh = h * fh, ow = w * fw;
        var expected = new double[2 * oh * ow * 3];

        // tensorflow/core/kernels/image/resize_bilinear_op.cc, half_pixel_centers: in = (out + 0.5) * scale - 0.5,
        // lower = max(floor(in), 0), upper = min(ceil(in), size - 1), lerp = in - floor(in).
        static (int Low, int High, double Lerp) Axis(int o, int input, int output)
        {
            double s = ((o + 0.5) * input / output) - 0.5;
            return (Math.Max((int)Math.Floor(s), 0), Math.Min((int)Math.Ceiling(s), input - 1), s - Math.Floor(s));
        }

        for (int n = 0, e = 0; n < 2; n++)
        {
            for (int r = 0; r < oh; r++)
            {
                (int top, int bottom, double ly) = Axis(r, h, oh);
                for (int q = 0; q < ow; q++)
                {
                    (int left, int right, double lx) = Axis(q, w, ow);
                    for (int c = 0; c < 3; c++, e++)
                    {
                        double upper = x[n, top, left, c] + ((x[n, top, right, c] - (double)x[n, top, left, c]) * lx);
                        double lower = x[n, bottom, left, c] + ((x[n, bottom, right, c] - (double)x[n, bottom, left, c]) * lx);
                        expected[e] = upper + ((lower - upper) * ly);
                    }
                }
            }
        }

        ConvolutionTestKit.AssertClose(expected, y.AsReadOnlySpan());
    }

    [Theory]
    [InlineData(Interpolation.Nearest)]
    [InlineData(Interpolation.Bilinear)]
    public void UpSampling_MatchesNumericalGradients(Interpolation interpolation)
    {
        var layer = new UpSampling2D((2, 3), interpolation);
        layer.Build(new TensorShape(3, 4, 2));
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 3, 4, 2), 1), seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void ZeroPaddingAndCropping_ValuesShapesAndGradients()
    {
        var pad = new ZeroPadding2D(((1, 2), (0, 3)));
        pad.Build(new TensorShape(2, 2, 1));
        Assert.Equal([5, 5, 1], pad.OutputShape.Dimensions.ToArray());
        Tensor y = pad.Forward(Tensor.FromArray([1f, 2f, 3f, 4f], 1, 2, 2, 1), false);
        Assert.Equal([0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], y.ToArray());
        GradientChecker.CheckLayer(pad, Tensor.RandomNormal(new TensorShape(2, 2, 2, 1), 1), seed: 2).AssertPassed(maxKinkFraction: 0);

        var crop = new Cropping2D(((1, 0), (1, 2)));
        crop.Build(new TensorShape(3, 4, 1));
        Assert.Equal([2, 1, 1], crop.OutputShape.Dimensions.ToArray());
        Tensor c = crop.Forward(Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 1, 3, 4, 1), false);
        Assert.Equal([5f, 9f], c.ToArray());
        GradientChecker.CheckLayer(crop, Tensor.RandomNormal(new TensorShape(2, 3, 4, 1), 1), seed: 2).AssertPassed(maxKinkFraction: 0);

        Assert.Equal(((1, 1), (1, 1)), new ZeroPadding2D().Padding);
        Assert.Equal(((2, 2), (3, 3)), new ZeroPadding2D((2, 3)).Padding);
        Assert.Equal(((4, 4), (4, 4)), new Cropping2D(4).Cropping);
        Assert.Equal(((0, 0), (0, 0)), new Cropping2D().Cropping);
    }

    [Fact]
    public void SaveLoad_RoundTripsBitForBit()
    {
        ConvolutionTestKit.RoundTrip(new UpSampling2D((2, 3), Interpolation.Bilinear, name: "up"), new TensorShape(3, 4, 2));
        ConvolutionTestKit.RoundTrip(new UpSampling2D(), new TensorShape(3, 4, 2));
        ConvolutionTestKit.RoundTrip(new ZeroPadding2D(((1, 2), (3, 0))), new TensorShape(3, 4, 2));
        var crop = (Cropping2D)ConvolutionTestKit.RoundTrip(new Cropping2D(((1, 0), (0, 2))), new TensorShape(3, 4, 2));
        Assert.Equal(((1, 0), (0, 2)), crop.Cropping);
        Assert.Contains("\"cropping\":[[1,0],[0,2]]", crop.GetConfig().ToString(), StringComparison.Ordinal);
        Assert.Contains("\"interpolation\":\"bilinear\"", new UpSampling2D(interpolation: Interpolation.Bilinear).GetConfig().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void BadArguments_ThrowNamingTheLayer()
    {
        var size = Assert.Throws<ArgumentOutOfRangeException>(() => new UpSampling2D(0, name: "up"));
        Assert.Contains("UpSampling2D 'up'", size.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new UpSampling2D(2, (Interpolation)7));
        var pad = Assert.Throws<ArgumentOutOfRangeException>(() => new ZeroPadding2D(((1, -1), (0, 0)), name: "p"));
        Assert.Contains("ZeroPadding2D 'p' expects non-negative amounts. Received: padding=((1, -1), (0, 0))", pad.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Cropping2D(-1));
        var crop = new Cropping2D(((2, 1), (0, 0)), name: "c");
        var all = Assert.Throws<ArgumentException>(() => crop.Build(new TensorShape(3, 4, 1)));
        Assert.Contains("Cropping2D 'c': cropping ((2, 1), (0, 0)) leaves nothing of input (None, 3, 4, 1)", all.Message, StringComparison.Ordinal);
        Assert.False(crop.IsBuilt);
        var rank = Assert.Throws<ArgumentException>(() => new UpSampling2D(name: "up").Build(new TensorShape(4, 3)));
        Assert.Contains("UpSampling2D 'up' expects input of rank 3", rank.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackward_AfterWarmUp_AllocatesNothing()
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 4, 5), 1);
        foreach (Layer layer in new Layer[] { new UpSampling2D(2), new UpSampling2D(2, Interpolation.Bilinear), new ZeroPadding2D(1), new Cropping2D(1) })
        {
            layer.Build(new TensorShape(3, 4, 5));
            ConvolutionTestKit.AssertStepAllocatesNothing(layer, x);
        }
    }
}
