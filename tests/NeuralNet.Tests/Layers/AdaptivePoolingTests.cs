using System.Text.Json.Nodes;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Convolutional;
using Xunit;

namespace NeuralNet.Tests.Layers;

public class AdaptivePoolingTests
{
    // (layer, per-sample input shape): outputs that divide the input, that do not, and that are larger than it.
    public static TheoryData<string, int[]> Cases => new()
    {
        { "avg1", [5, 3] }, { "max1", [5, 3] }, { "avg1up", [3, 2] }, { "max1up", [3, 2] },
        { "avg2", [5, 7, 2] }, { "max2", [5, 7, 2] }, { "avg2", [6, 4, 3] }, { "max2", [6, 4, 3] },
        { "avg3", [3, 5, 4, 2] }, { "max3", [3, 5, 4, 2] }, { "avg3", [4, 2, 6, 1] }, { "max3", [4, 2, 6, 1] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_the_float64_reference_per_sample(string kind, int[] sample)
    {
        AdaptivePooling layer = Create(kind);
        layer.Build(new TensorShape(sample));
        Tensor x = Tensor.RandomNormal(new TensorShape([2, .. sample]), 3);

        float[] y = layer.Forward(x, training: false).ToArray();

        AdaptivePoolShape shape = ShapeOf(layer, sample);
        Assert.Equal(shape.OutputSize, layer.OutputShape.ElementCount);
        for (int n = 0; n < 2; n++)
        {
            double[] expected = AdaptivePool.Reference(x.AsReadOnlySpan().Slice(n * shape.InputSize, shape.InputSize), shape, kind.StartsWith("max", StringComparison.Ordinal));
            ConvolutionTestKit.AssertClose(expected, y.AsSpan(n * shape.OutputSize, shape.OutputSize), 1e-6);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_matches_numerical_gradients(string kind, int[] sample)
    {
        AdaptivePooling layer = Create(kind);
        layer.Build(new TensorShape(sample));
        // Distinct values 0.05 apart, so that no window's maximum is a near tie the numerical derivative would step across.
        var x = new Tensor(new TensorShape([2, .. sample]));
        int[] order = Enumerable.Range(0, x.Length).ToArray();
        new Random(17).Shuffle(order);
        for (int i = 0; i < x.Length; i++)
        {
            x.AsSpan()[i] = (order[i] - (x.Length / 2)) * 0.05f;
        }

        GradientChecker.CheckLayer(layer, x, seed: 5).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Hand_computed_windows_values_and_gradients()
    {
        // Five steps to three: windows [0, 2), [1, 4), [3, 5) (floor(i·5/3), ceil((i+1)·5/3)).
        Tensor x = Tensor.FromArray([1f, 2, 3, 4, 5], 1, 5, 1);
        var mean = new AdaptiveAveragePooling1D(3);
        var max = new AdaptiveMaxPooling1D(3);
        mean.Build(new TensorShape(5, 1));
        max.Build(new TensorShape(5, 1));

        Assert.Equal([1.5f, 3f, 4.5f], mean.Forward(x, training: true).ToArray());
        Assert.Equal([2f, 4f, 5f], max.Forward(x, training: true).ToArray());
        Tensor ones = Tensor.FromArray([1f, 1, 1], 1, 3, 1);
        float[] meanGradient = mean.Backward(ones).ToArray();
        float[] expected = [0.5f, 0.5f + (1f / 3), 1f / 3, (1f / 3) + 0.5f, 0.5f];
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(expected[i], meanGradient[i], 6);
        }

        Assert.Equal([0f, 1, 0, 1, 1], max.Backward(ones).ToArray());

        // Two steps to three: the middle output reads both, the outer ones one each.
        var up = new AdaptiveAveragePooling1D(3);
        up.Build(new TensorShape(2, 1));
        Assert.Equal([1f, 2f, 3f], up.Forward(Tensor.FromArray([1f, 3], 1, 2, 1), training: false).ToArray());
    }

    [Fact]
    public void Divisible_sizes_equal_fixed_pooling()
    {
        Tensor image = Tensor.RandomNormal(new TensorShape(2, 8, 6, 3), 7);
        Assert.Equal(Run(new MaxPooling2D((2, 3)), image), Run(new AdaptiveMaxPooling2D((4, 2)), image));
        ConvolutionTestKit.AssertClose([.. Run(new AveragePooling2D((2, 3)), image).Select(v => (double)v)], Run(new AdaptiveAveragePooling2D((4, 2)), image), 1e-6);

        Tensor volume = Tensor.RandomNormal(new TensorShape(2, 4, 6, 2, 3), 8);
        Assert.Equal(Run(new MaxPooling3D((2, 3, 1)), volume), Run(new AdaptiveMaxPooling3D((2, 2, 2)), volume));
        ConvolutionTestKit.AssertClose([.. Run(new AveragePooling3D((2, 3, 1)), volume).Select(v => (double)v)], Run(new AdaptiveAveragePooling3D((2, 2, 2)), volume), 1e-6);

        Tensor sequence = Tensor.RandomNormal(new TensorShape(2, 9, 4), 9);
        Assert.Equal(Run(new MaxPooling1D(3), sequence), Run(new AdaptiveMaxPooling1D(3), sequence));
    }

    [Fact]
    public void Keras_documented_examples_and_names()
    {
        // keras.layers.AdaptiveAveragePooling2D docs: (1, 64, 64, 3) with output_size=(32, 32) -> (1, 32, 32, 3); 7 -> (1, 7, 7, 3).
        Assert.Equal([32, 32, 3], OutputOf(new AdaptiveAveragePooling2D((32, 32)), 64, 64, 3));
        Assert.Equal([7, 7, 3], OutputOf(new AdaptiveAveragePooling2D(7), 64, 64, 3));
        // Keras' tests: AdaptiveMaxPooling2D((3, 5)) on (2, 9, 15, 3) -> (2, 3, 5, 3); 4 on (2, 8, 8, 3) -> (2, 4, 4, 3).
        Assert.Equal([3, 5, 3], OutputOf(new AdaptiveMaxPooling2D((3, 5)), 9, 15, 3));
        Assert.Equal([4, 4, 3], OutputOf(new AdaptiveMaxPooling2D(4), 8, 8, 3));
        Assert.Equal([4, 2], OutputOf(new AdaptiveMaxPooling1D(4), 16, 2));
        Assert.Equal([2, 3, 3, 1], OutputOf(new AdaptiveAveragePooling3D((2, 3, 3)), 8, 9, 9, 1));
        Assert.Equal([5, 5, 5, 1], OutputOf(new AdaptiveMaxPooling3D(5), 3, 4, 6, 1));

        Assert.Equal("adaptive_average_pooling1d", new AdaptiveAveragePooling1D(2).DefaultNamePrefix);
        Assert.Equal("adaptive_average_pooling2d", new AdaptiveAveragePooling2D(2).DefaultNamePrefix);
        Assert.Equal("adaptive_average_pooling3d", new AdaptiveAveragePooling3D(2).DefaultNamePrefix);
        Assert.Equal("adaptive_max_pooling1d", new AdaptiveMaxPooling1D(2).DefaultNamePrefix);
        Assert.Equal("adaptive_max_pooling2d", new AdaptiveMaxPooling2D(2).DefaultNamePrefix);
        Assert.Equal("adaptive_max_pooling3d", new AdaptiveMaxPooling3D(2).DefaultNamePrefix);
        Assert.Equal((3, 5), new AdaptiveMaxPooling2D((3, 5)).OutputSize);
        Assert.Equal((4, 4, 4), new AdaptiveAveragePooling3D(4).OutputSize);
        Assert.Equal(6, new AdaptiveMaxPooling1D(6).OutputSize);
    }

    [Fact]
    public void Saves_loads_and_reads_keras_configs()
    {
        ConvolutionTestKit.RoundTrip(new AdaptiveAveragePooling1D(3), new TensorShape(7, 2));
        ConvolutionTestKit.RoundTrip(new AdaptiveMaxPooling1D(4), new TensorShape(7, 2));
        ConvolutionTestKit.RoundTrip(new AdaptiveAveragePooling2D((3, 2)), new TensorShape(7, 5, 2));
        ConvolutionTestKit.RoundTrip(new AdaptiveMaxPooling2D((2, 3)), new TensorShape(7, 5, 2));
        ConvolutionTestKit.RoundTrip(new AdaptiveAveragePooling3D((1, 2, 3)), new TensorShape(3, 4, 5, 2));
        ConvolutionTestKit.RoundTrip(new AdaptiveMaxPooling3D((2, 2, 3)), new TensorShape(3, 4, 5, 2));

        // keras.layers.AdaptiveAveragePooling2D(output_size=(3, 5)).get_config() in Keras 3.
        var layer = (AdaptiveAveragePooling2D)Read("""
            {"module": "keras.layers", "class_name": "AdaptiveAveragePooling2D", "registered_name": null, "config": {"name": "pool", "trainable": true,
             "dtype": "float32", "output_size": [3, 5], "data_format": "channels_last"}}
            """);
        Assert.Equal(((3, 5), "pool"), (layer.OutputSize, layer.Name));
        Assert.Equal("[3,5]", layer.GetConfig().GetNode("output_size")!.ToJsonString());
        Assert.Equal((4, 4, 4), ((AdaptiveMaxPooling3D)Read("""{"class_name": "AdaptiveMaxPooling3D", "config": {"name": "p", "output_size": 4}}""")).OutputSize);
        Assert.Equal(6, ((AdaptiveMaxPooling1D)Read("""{"class_name": "AdaptiveMaxPooling1D", "config": {"name": "p", "output_size": [6]}}""")).OutputSize);
        Assert.Equal(6, ((AdaptiveAveragePooling1D)Read("""{"class_name": "AdaptiveAveragePooling1D", "config": {"name": "p", "output_size": 6}}""")).OutputSize);

        Assert.Contains("channels_last", Refused("""{"class_name": "AdaptiveMaxPooling2D", "config": {"name": "p", "output_size": 2, "data_format": "channels_first"}}"""));
        Assert.Contains("\"output_size\" is required", Refused("""{"class_name": "AdaptiveAveragePooling2D", "config": {"name": "p"}}"""));
        Assert.Contains("\"output_size\" is required", Refused("""{"class_name": "AdaptiveMaxPooling1D", "config": {"name": "p", "output_size": null}}"""));
        Assert.Contains("\"output_size\" is required", Refused("""{"class_name": "AdaptiveAveragePooling3D", "config": {"name": "p", "output_size": null}}"""));
        Assert.Contains("output_size", Refused("""{"class_name": "AdaptiveAveragePooling2D", "config": {"name": "p", "output_size": [2, 3, 4]}}"""));
        Assert.Contains("output_size", Refused("""{"class_name": "AdaptiveMaxPooling3D", "config": {"name": "p", "output_size": [2, 0, 4]}}"""));
    }

    [Fact]
    public void Bad_input_names_the_layer_and_what_was_expected()
    {
        var model = new Sequential();
        model.Add(new InputLayer(8, 8, 3));
        var rank = Assert.Throws<ArgumentException>(() => model.Add(new AdaptiveAveragePooling1D(2, name: "p")));
        Assert.Contains("AdaptiveAveragePooling1D 'p' expects input (None, steps, channels) but got (None, 8, 8, 3)", rank.Message, StringComparison.Ordinal);
        var volume = Assert.Throws<ArgumentException>(() => model.Add(new AdaptiveMaxPooling3D(2, name: "v")));
        Assert.Contains("(None, depth, height, width, channels)", volume.Message, StringComparison.Ordinal);
        Assert.Single(model.Layers);

        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => new AdaptiveMaxPooling2D((3, 0), name: "z"));
        Assert.Equal("outputSize", zero.ParamName);
        Assert.Contains("AdaptiveMaxPooling2D 'z' expects output sizes of at least 1. Received: outputSize=(3, 0)", zero.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdaptiveAveragePooling1D(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdaptiveAveragePooling3D((1, -2, 1)));

        var pool = new AdaptiveMaxPooling2D(2, name: "b");
        pool.Build(new TensorShape(4, 4, 1));
        pool.Forward(Tensor.RandomNormal(new TensorShape(2, 4, 4, 1), 1), training: true);
        var batch = Assert.Throws<InvalidOperationException>(() => pool.Backward(Tensor.RandomNormal(new TensorShape(3, 2, 2, 1), 2)));
        Assert.Contains("AdaptiveMaxPooling2D 'b'", batch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_step_allocates_nothing_after_warm_up()
    {
        var max = new AdaptiveMaxPooling2D((3, 2));
        max.Build(new TensorShape(7, 5, 4));
        ConvolutionTestKit.AssertStepAllocatesNothing(max, Tensor.RandomNormal(new TensorShape(4, 7, 5, 4), 1));
        var mean = new AdaptiveAveragePooling3D((2, 3, 2));
        mean.Build(new TensorShape(3, 4, 5, 4));
        ConvolutionTestKit.AssertStepAllocatesNothing(mean, Tensor.RandomNormal(new TensorShape(4, 3, 4, 5, 4), 2));
    }

    [Fact]
    public void Same_bits_whatever_the_thread_count()
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(9, 11, 7, 5), 4);
        Tensor upstream = Tensor.RandomNormal(new TensorShape(9, 4, 3, 5), 5);
        foreach (AdaptivePooling layer in new AdaptivePooling[] { new AdaptiveAveragePooling2D((4, 3)), new AdaptiveMaxPooling2D((4, 3)) })
        {
            layer.Build(new TensorShape(11, 7, 5));

            float[] Run(int threads)
            {
                int saved = ConvParallel.DegreeOfParallelism;
                try
                {
                    ConvParallel.DegreeOfParallelism = threads;
                    float[] y = layer.Forward(x, training: true).ToArray();
                    return [.. y, .. layer.Backward(upstream).ToArray()];
                }
                finally
                {
                    ConvParallel.DegreeOfParallelism = saved;
                }
            }

            float[] one = Run(1);
            Assert.Equal(one, Run(2));
            Assert.Equal(one, Run(3));
        }
    }

    private static AdaptivePooling Create(string kind) => kind switch
    {
        "avg1" => new AdaptiveAveragePooling1D(3),
        "max1" => new AdaptiveMaxPooling1D(3),
        "avg1up" => new AdaptiveAveragePooling1D(5),
        "max1up" => new AdaptiveMaxPooling1D(5),
        "avg2" => new AdaptiveAveragePooling2D((3, 4)),
        "max2" => new AdaptiveMaxPooling2D((3, 4)),
        "avg3" => new AdaptiveAveragePooling3D((2, 3, 3)),
        _ => new AdaptiveMaxPooling3D((2, 3, 3)),
    };

    private static AdaptivePoolShape ShapeOf(AdaptivePooling layer, int[] sample)
    {
        int axes = sample.Length - 1;
        int[] output = layer.OutputShape.Dimensions.ToArray();
        int At(int[] dims, int axis) => axis < 0 ? 1 : dims[axis];
        return new AdaptivePoolShape(At(sample, axes - 3), At(sample, axes - 2), sample[axes - 1], sample[axes],
            At(output, axes - 3), At(output, axes - 2), output[axes - 1]);
    }

    private static float[] Run(Layer layer, Tensor x)
    {
        layer.Build(new TensorShape(x.Shape.Dimensions[1..].ToArray()));
        return layer.Forward(x, training: false).ToArray();
    }

    private static int[] OutputOf(Layer layer, params int[] sample)
    {
        layer.Build(new TensorShape(sample));
        return layer.OutputShape.Dimensions.ToArray();
    }

    private static Layer Read(string json) => SerializationRegistry.Deserialize<Layer>(JsonNode.Parse(json)!, new Config(), "layer");

    private static string Refused(string json) => Assert.ThrowsAny<Exception>(() => Read(json)).Message;
}
