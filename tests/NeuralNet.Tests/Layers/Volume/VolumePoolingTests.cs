using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Convolutional;
using Xunit;

namespace NeuralNet.Tests.Layers.Volume;

public class VolumePoolingTests
{
    // (pool, strides or null, padding, input (D, H, W)): both paddings, windows that overlap, skip and overhang.
    public static TheoryData<(int, int, int), (int, int, int)?, Padding, (int, int, int)> Cases => new()
    {
        { (2, 2, 2), null, Padding.Valid, (4, 4, 4) },
        { (2, 2, 2), null, Padding.Valid, (5, 3, 4) },
        { (2, 2, 2), null, Padding.Same, (5, 3, 4) },
        { (1, 2, 3), (1, 1, 2), Padding.Same, (3, 4, 5) },
        { (3, 3, 3), (2, 2, 2), Padding.Valid, (5, 6, 7) },
        { (3, 2, 3), (2, 3, 1), Padding.Same, (4, 5, 3) },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_keras_formula((int, int, int) pool, (int, int, int)? strides, Padding padding, (int, int, int) size)
    {
        foreach (bool maximum in new[] { true, false })
        {
            Pooling3D layer = Create(maximum, pool, strides, padding);
            layer.Build(new TensorShape(size.Item1, size.Item2, size.Item3, 3));
            Tensor x = Tensor.RandomNormal(new TensorShape(2, size.Item1, size.Item2, size.Item3, 3), 5);

            Tensor y = layer.Forward(x, training: false);

            double[] expected = VolumeReference.Pool3D(x, pool, strides ?? pool, padding, maximum);
            ConvolutionTestKit.AssertClose(expected, y.AsReadOnlySpan(), 1e-6);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_matches_numerical_gradients((int, int, int) pool, (int, int, int)? strides, Padding padding, (int, int, int) size)
    {
        foreach (bool maximum in new[] { true, false })
        {
            Pooling3D layer = Create(maximum, pool, strides, padding);
            layer.Build(new TensorShape(size.Item1, size.Item2, size.Item3, 3));
            // Distinct values 0.05 apart, so that no window's maximum is a near tie the numerical derivative would step across.
            var x = new Tensor(new TensorShape(2, size.Item1, size.Item2, size.Item3, 3));
            int[] order = Enumerable.Range(0, x.Length).ToArray();
            new Random(13).Shuffle(order);
            for (int i = 0; i < x.Length; i++)
            {
                x.AsSpan()[i] = (order[i] - (x.Length / 2)) * 0.05f;
            }

            GradientChecker.CheckLayer(layer, x, seed: 3).AssertPassed(maxKinkFraction: 0);
        }
    }

    [Fact]
    public void Keras_documented_example_and_defaults()
    {
        // Keras' MaxPooling3D docs: inputs (batch, 10, 10, 10, 3) with pool_size=3 -> (batch, 3, 3, 3, 3).
        var model = new Sequential();
        model.Add(new InputLayer(10, 10, 10, 3));
        model.Add(new MaxPooling3D(3));
        Assert.Equal([3, 3, 3, 3], model.OutputShape.Dimensions.ToArray());
        var pool = new AveragePooling3D();
        Assert.Equal(((2, 2, 2), (2, 2, 2), Padding.Valid), (pool.PoolSize, pool.Strides, pool.Padding));
        Assert.Equal("average_pooling3d", pool.DefaultNamePrefix);
        Assert.Equal("max_pooling3d", new MaxPooling3D().DefaultNamePrefix);

        // One 2x2x2 window over 1..8: the maximum is 8, the mean 4.5; the gradient of the mean spreads evenly.
        var max = new MaxPooling3D();
        var mean = new AveragePooling3D();
        max.Build(new TensorShape(2, 2, 2, 1));
        mean.Build(new TensorShape(2, 2, 2, 1));
        Tensor x = Tensor.FromArray([1f, 2, 3, 4, 5, 6, 7, 8], 1, 2, 2, 2, 1);
        Assert.Equal([8f], max.Forward(x, false).ToArray());
        Assert.Equal([4.5f], mean.Forward(x, true).ToArray());
        Assert.Equal(Enumerable.Repeat(0.25f, 8), mean.Backward(Tensor.FromArray([2f], 1, 1, 1, 1, 1)).ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Same_padding_pads_after_and_is_ignored(int axis)
    {
        // Hand-computed: pool 2, stride 1, 'same' on 3 positions pads one position after (Keras / TensorFlow), which
        // the maximum and the mean ignore: x = [1, 5, 2] gives max [5, 5, 2] and mean [3, 3.5, 2].
        int[] size = [1, 1, 1], pool = [1, 1, 1];
        size[axis] = 3;
        pool[axis] = 2;
        Tensor x = Tensor.FromArray([1f, 5, 2], 1, size[0], size[1], size[2], 1);
        var max = new MaxPooling3D((pool[0], pool[1], pool[2]), (1, 1, 1), Padding.Same);
        var mean = new AveragePooling3D((pool[0], pool[1], pool[2]), (1, 1, 1), Padding.Same);
        max.Build(new TensorShape(size[0], size[1], size[2], 1));
        mean.Build(new TensorShape(size[0], size[1], size[2], 1));

        Assert.Equal([5f, 5f, 2f], max.Forward(x, false).ToArray());
        Assert.Equal([3f, 3.5f, 2f], mean.Forward(x, false).ToArray());
    }

    [Fact]
    public void Huge_strides_and_dilations_do_not_wrap_around()
    {
        var pool = new MaxPooling3D((2, 2, 2), (int.MaxValue, 1, 1), Padding.Same);
        pool.Build(new TensorShape(4, 4, 4, 1));
        Assert.Equal([1, 4, 4, 1], pool.OutputShape.Dimensions.ToArray());
        var conv = new Conv3D(1, (3, 1, 1), dilationRate: (1_500_000_000, 1, 1), name: "wide");
        var error = Assert.Throws<ArgumentException>(() => conv.Build(new TensorShape(4, 1, 1, 1)));
        Assert.Contains("Conv3D 'wide': a window (3, 1, 1) with dilation (1500000000, 1, 1) does not fit input (None, 4, 1, 1, 1) with padding Valid", error.Message, StringComparison.Ordinal);
        var padding = new ZeroPadding3D(int.MaxValue, name: "pad");
        var big = Assert.Throws<ArgumentException>(() => padding.Build(new TensorShape(2, 2, 2, 1)));
        Assert.Contains("ZeroPadding3D 'pad': padding", big.Message, StringComparison.Ordinal);
        Assert.Contains("more elements than a tensor holds", big.Message, StringComparison.Ordinal);
        var up = new UpSampling3D(1 << 30, name: "up");
        Assert.Contains("UpSampling3D 'up': size", Assert.Throws<ArgumentException>(() => up.Build(new TensorShape(4, 4, 4, 1))).Message, StringComparison.Ordinal);
        var kernel = new Conv3D(2, 2000, padding: Padding.Same, name: "k");
        Assert.Contains("Conv3D 'k': a kernel (2000, 2000, 2000)", Assert.Throws<ArgumentException>(() => kernel.Build(new TensorShape(4, 4, 4, 1))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_names_the_layer_and_shape()
    {
        var image = new Sequential();
        image.Add(new InputLayer(8, 8, 3));
        var rank = Assert.Throws<ArgumentException>(() => image.Add(new MaxPooling3D(name: "p")));
        Assert.Contains("MaxPooling3D 'p' expects input of rank 4 per sample", rank.Message, StringComparison.Ordinal);
        var small = new Sequential();
        small.Add(new InputLayer(1, 8, 8, 3));
        var fit = Assert.Throws<ArgumentException>(() => small.Add(new AveragePooling3D(2, name: "p")));
        Assert.Contains("(None, 1, 8, 8, 3)", fit.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPooling3D((2, 0, 2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPooling3D(2, padding: Padding.Causal));
        var global = new Sequential();
        global.Add(new InputLayer(8, 8, 3));
        var globalRank = Assert.Throws<ArgumentException>(() => global.Add(new GlobalAveragePooling3D("g")));
        Assert.Contains("(None, depth, height, width, channels)", globalRank.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Global_pooling_reduces_every_position()
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 2, 4, 5), 11);
        var average = new GlobalAveragePooling3D();
        var maximum = new GlobalMaxPooling3D();
        average.Build(new TensorShape(3, 2, 4, 5));
        maximum.Build(new TensorShape(3, 2, 4, 5));
        float[] mean = average.Forward(x, false).ToArray(), max = maximum.Forward(x, false).ToArray();
        for (int n = 0; n < 2; n++)
        {
            for (int c = 0; c < 5; c++)
            {
                var values = Enumerable.Range(0, 24).Select(p => (double)x.AsReadOnlySpan()[(((n * 24) + p) * 5) + c]).ToArray();
                Assert.Equal(values.Average(), mean[(n * 5) + c], 5);
                Assert.Equal((float)values.Max(), max[(n * 5) + c]);
            }
        }

        GradientChecker.CheckLayer(new GlobalAveragePooling3D(), x, seed: 4).AssertPassed(maxKinkFraction: 0);
        GradientChecker.CheckLayer(new GlobalMaxPooling3D(), x, seed: 4).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Saves_loads_and_reads_keras_configs()
    {
        ConvolutionTestKit.RoundTrip(new MaxPooling3D((1, 2, 2), (1, 2, 1), Padding.Same), new TensorShape(3, 4, 5, 2));
        ConvolutionTestKit.RoundTrip(new AveragePooling3D(2, 1, Padding.Same), new TensorShape(3, 4, 5, 2));
        ConvolutionTestKit.RoundTrip(new GlobalMaxPooling3D(), new TensorShape(3, 4, 5, 2));
        ConvolutionTestKit.RoundTrip(new GlobalAveragePooling3D(), new TensorShape(3, 4, 5, 2));

        // keras.layers.AveragePooling3D(pool_size=(1, 2, 2), padding="same").get_config() in Keras 3.
        var pool = (AveragePooling3D)SerializationRegistry.Deserialize<Layer>(JsonNode.Parse("""
            {"module": "keras.layers", "class_name": "AveragePooling3D", "registered_name": null, "config": {"name": "average_pooling3d", "trainable": true,
             "dtype": "float32", "pool_size": [1, 2, 2], "padding": "same", "strides": [1, 2, 2], "data_format": "channels_last"}}
            """)!, new Config(), "layer");
        Assert.Equal(((1, 2, 2), (1, 2, 2), Padding.Same), (pool.PoolSize, pool.Strides, pool.Padding));
        var global = SerializationRegistry.Deserialize<Layer>(JsonNode.Parse("""
            {"class_name": "GlobalMaxPooling3D", "config": {"name": "g", "data_format": "channels_last", "keepdims": false}}
            """)!, new Config(), "layer");
        Assert.IsType<GlobalMaxPooling3D>(global);
        var keep = Assert.ThrowsAny<Exception>(() => SerializationRegistry.Deserialize<Layer>(JsonNode.Parse("""
            {"class_name": "GlobalAveragePooling3D", "config": {"name": "g", "keepdims": true}}
            """)!, new Config(), "layer"));
        Assert.Contains("keepdims", keep.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_step_allocates_nothing_after_warm_up()
    {
        var max = new MaxPooling3D(2, padding: Padding.Same);
        max.Build(new TensorShape(3, 5, 5, 4));
        ConvolutionTestKit.AssertStepAllocatesNothing(max, Tensor.RandomNormal(new TensorShape(2, 3, 5, 5, 4), 1));
        var mean = new AveragePooling3D(2);
        mean.Build(new TensorShape(4, 4, 4, 4));
        ConvolutionTestKit.AssertStepAllocatesNothing(mean, Tensor.RandomNormal(new TensorShape(2, 4, 4, 4, 4), 2));
    }

    private static Pooling3D Create(bool maximum, (int, int, int) pool, (int, int, int)? strides, Padding padding) =>
        maximum ? new MaxPooling3D(pool, strides, padding) : new AveragePooling3D(pool, strides, padding);
}
