using FsCheck.Xunit;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

public class PoolingLayerTests
{
    private const string Seed = "(8675309,41)";

    // A random pooling case: input (batch, h, w, c), window 1-3, strides 1-3, either padding.
    private static (Pooling2D Layer, Tensor Input) RandomCase(long seed, bool max)
    {
        var random = new SeededRandom(seed);
        while (true)
        {
            int h = random.NextInt(6) + 1, w = random.NextInt(6) + 1, c = random.NextInt(4) + 1;
            int ph = random.NextInt(3) + 1, pw = random.NextInt(3) + 1, sh = random.NextInt(3) + 1, sw = random.NextInt(3) + 1;
            Padding padding = random.NextInt(2) == 0 ? Padding.Valid : Padding.Same;
            if (padding == Padding.Valid && (ph > h || pw > w))
            {
                continue;
            }

            Pooling2D layer = max ? new MaxPooling2D((ph, pw), (sh, sw), padding) : new AveragePooling2D((ph, pw), (sh, sw), padding);
            layer.Build(new TensorShape(h, w, c));
            return (layer, Tensor.RandomNormal(new TensorShape(random.NextInt(3) + 1, h, w, c), seed + 1));
        }
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void MaxPoolingBackward_RandomConfiguration_MatchesNumericalGradient(long seed)
    {
        (Pooling2D layer, Tensor input) = RandomCase(seed, max: true);
        GradientChecker.CheckLayer(layer, input, seed).AssertPassed(maxKinkFraction: 0.1);
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void AveragePoolingBackward_RandomConfiguration_MatchesNumericalGradient(long seed)
    {
        (Pooling2D layer, Tensor input) = RandomCase(seed, max: false);
        GradientChecker.CheckLayer(layer, input, seed).AssertPassed();
    }

    [Property(Replay = Seed, MaxTest = 40)]
    public void GlobalAveragePoolingBackward_RandomShape_MatchesNumericalGradient(long seed)
    {
        var random = new SeededRandom(seed);
        var layer = new GlobalAveragePooling2D();
        Tensor input = Tensor.RandomNormal(new TensorShape(random.NextInt(3) + 1, random.NextInt(5) + 1, random.NextInt(5) + 1, random.NextInt(4) + 1), seed);
        GradientChecker.CheckLayer(layer, input, seed).AssertPassed();
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void MaxPoolingForwardBackward_RandomConfiguration_EqualsReference(long seed)
    {
        (Pooling2D layer, Tensor input) = RandomCase(seed, max: true);
        ConvGeometry g = Geometry(layer, input);
        int batch = input.Shape[0], outLength = batch * g.OutputPixels * g.Channels;
        Tensor upstream = Tensor.RandomNormal(new TensorShape(batch, g.OutHeight, g.OutWidth, g.Channels), seed + 5);
        float[] expected = new float[outLength], expectedDx = new float[input.Length];
        Pooling.MaxReference(input.AsReadOnlySpan(), upstream.AsReadOnlySpan(), g, batch, expected, expectedDx);

        float[] output = layer.Forward(input, training: true).ToArray();
        float[] dx = layer.Backward(upstream).ToArray();

        Assert.Equal(expected, output);
        Assert.Equal(expectedDx, dx, new Tolerance(1e-6f));
    }

    [Fact]
    public void MaxPooling2D_E43Shapes_MatchKeras()
    {
        var first = new MaxPooling2D();
        var second = new MaxPooling2D(2);
        first.Build(new TensorShape(26, 26, 32));
        second.Build(new TensorShape(11, 11, 64));

        Assert.Equal(new TensorShape(13, 13, 32), first.OutputShape);
        Assert.Equal(new TensorShape(5, 5, 64), second.OutputShape);
        Assert.Equal(0, first.ParameterCount);
        Assert.Equal("max_pooling2d", first.DefaultNamePrefix);
        Assert.Equal((2, 2), first.Strides);
    }

    [Fact]
    public void MaxPooling2D_Backward_RoutesGradientToArgmax()
    {
        var layer = new MaxPooling2D();
        Tensor input = Tensor.FromArray([1, 5, 2, 0, 3, 4, 7, 6, 2, 0, 8, 1, 9, 1, 3, 8], 1, 4, 4, 1);

        Tensor output = layer.Forward(input, training: true);
        Tensor dx = layer.Backward(Tensor.FromArray([10, 20, 30, 40], 1, 2, 2, 1));

        Assert.Equal(new float[] { 5, 7, 9, 8 }, output.ToArray());
        Assert.Equal(new float[] { 0, 10, 0, 0, 0, 0, 20, 0, 0, 0, 40, 0, 30, 0, 0, 0 }, dx.ToArray());
    }

    [Fact]
    public void GlobalAveragePooling2D_Forward_AveragesEachChannel()
    {
        var layer = new GlobalAveragePooling2D();
        Tensor input = Tensor.FromArray([1, 10, 3, 20, 5, 30, 7, 40], 1, 2, 2, 2);

        Tensor output = layer.Forward(input, training: false);

        Assert.Equal(new TensorShape(1, 2), output.Shape);
        Assert.Equal(new float[] { 4, 25 }, output.ToArray());
        Assert.Equal("global_average_pooling2d", layer.DefaultNamePrefix);
    }

    [Fact]
    public void GlobalAveragePooling2D_KeepDims_KeepsOnePixelWithTheSameMeansAndGradients()
    {
        // Keras' keepdims=True: (batch, 1, 1, channels), the same means; the gradient spreads g / pixels either way.
        var kept = new GlobalAveragePooling2D(keepDims: true);
        var flat = new GlobalAveragePooling2D();
        Tensor input = Tensor.FromArray([1, 10, 3, 20, 5, 30, 7, 40], 1, 2, 2, 2);

        Tensor output = kept.Forward(input, training: true);
        flat.Forward(input, training: true);

        Assert.Equal(new TensorShape(1, 1, 1, 2), output.Shape);
        Assert.Equal(new float[] { 4, 25 }, output.ToArray());
        Assert.Equal(new float[] { 0.5f, 1, 0.5f, 1, 0.5f, 1, 0.5f, 1 }, kept.Backward(Tensor.FromArray([2f, 4f], 1, 1, 1, 2)).ToArray());
        Assert.True(kept.GetConfig().GetBoolean("keepdims"));
        Assert.False(flat.GetConfig().GetBoolean("keepdims"));
        GradientChecker.CheckLayer(new GlobalAveragePooling2D(keepDims: true), Tensor.RandomNormal(new TensorShape(2, 3, 2, 3), 7), 7).AssertPassed();
    }

    [Fact]
    public void Build_PoolLargerThanInput_ThrowsNamingLayerAndShapes()
    {
        var layer = new MaxPooling2D(3, name: "max_pooling2d_1");
        var e = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(2, 5, 4)));
        Assert.Contains("MaxPooling2D 'max_pooling2d_1'", e.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 3)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 2, 5, 4)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_RankOneInput_ThrowsNamingLayerAndShape()
    {
        var layer = new AveragePooling2D(name: "average_pooling2d");
        var e = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(784)));
        Assert.Contains("AveragePooling2D 'average_pooling2d'", e.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 784)", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 0)]
    [InlineData(-1, 1)]
    public void Constructor_NonPositivePoolOrStride_Throws(int pool, int stride)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPooling2D(pool, stride, name: "pool"));
        Assert.Contains("MaxPooling2D 'pool'", e.Message, StringComparison.Ordinal);
    }

    private static ConvGeometry Geometry(Pooling2D layer, Tensor input)
    {
        Assert.True(ConvGeometry.TryCreate(input.Shape[1], input.Shape[2], input.Shape[3], layer.PoolSize.Height, layer.PoolSize.Width,
            layer.Strides.Height, layer.Strides.Width, layer.Padding == Padding.Same, out ConvGeometry g));
        return g;
    }
}
