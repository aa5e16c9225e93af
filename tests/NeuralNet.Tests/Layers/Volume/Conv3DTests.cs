using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Convolutional;
using Xunit;

namespace NeuralNet.Tests.Layers.Volume;

public class Conv3DTests
{
    // (kernel, strides, dilation, padding, input (D, H, W)): both paddings, per-axis strides and dilations, odd and even sizes.
    public static TheoryData<(int, int, int), (int, int, int), (int, int, int), Padding, (int, int, int)> Cases => new()
    {
        { (3, 3, 3), (1, 1, 1), (1, 1, 1), Padding.Valid, (4, 5, 5) },
        { (3, 3, 3), (1, 1, 1), (1, 1, 1), Padding.Same, (4, 5, 5) },
        { (2, 3, 1), (2, 1, 2), (1, 1, 1), Padding.Valid, (5, 4, 6) },
        { (1, 3, 3), (1, 2, 2), (1, 1, 1), Padding.Same, (3, 6, 5) },
        { (2, 2, 3), (1, 1, 1), (2, 1, 2), Padding.Valid, (5, 4, 7) },
        { (3, 2, 2), (1, 1, 1), (1, 2, 1), Padding.Same, (3, 5, 4) },
        { (4, 4, 4), (3, 3, 3), (1, 1, 1), Padding.Same, (4, 5, 7) },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_matches_keras_formula_in_float64((int, int, int) kernel, (int, int, int) strides, (int, int, int) dilation, Padding padding, (int, int, int) size)
    {
        Conv3D layer = Built(kernel, strides, dilation, padding, size, ActivationFunction.Tanh);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, size.Item1, size.Item2, size.Item3, 3), 4);

        Tensor y = layer.Forward(x, training: false);

        double[] expected = VolumeReference.Conv3D(x, layer.Kernel.Value, layer.Bias!.Value, strides, dilation, padding, Math.Tanh);
        Assert.Equal(expected.Length, y.Length);
        ConvolutionTestKit.AssertClose(expected, y.AsReadOnlySpan(), 1e-5);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Backward_matches_numerical_gradients((int, int, int) kernel, (int, int, int) strides, (int, int, int) dilation, Padding padding, (int, int, int) size)
    {
        Conv3D layer = Built(kernel, strides, dilation, padding, size, ActivationFunction.Sigmoid);
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, size.Item1, size.Item2, size.Item3, 3), 6), seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Keras_shapes_defaults_and_bad_input()
    {
        var model = new Sequential();
        model.Add(new InputLayer(8, 32, 32, 3));
        model.Add(new Conv3D(16, 3, name: "conv"));
        Assert.Equal([6, 30, 30, 16], model.OutputShape.Dimensions.ToArray());
        var conv = (Conv3D)model.Layers[1];
        Assert.Equal([3, 3, 3, 3, 16], conv.Kernel.Shape.Dimensions.ToArray());
        Assert.Equal(3 * 3 * 3 * 3 * 16 + 16, model.ParameterCount);
        Assert.Equal("conv3d", new Conv3D(1, 1).DefaultNamePrefix);
        Assert.IsType<GlorotUniform>(conv.KernelInitializer);

        var image = new Sequential();
        image.Add(new InputLayer(28, 28, 1));
        var rank = Assert.Throws<ArgumentException>(() => image.Add(new Conv3D(4, 3, name: "c3")));
        Assert.Contains("Conv3D 'c3' expects input of rank 4 per sample (depth, height, width, channels)", rank.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 28, 28, 1)", rank.Message, StringComparison.Ordinal);

        var small = new Sequential();
        small.Add(new InputLayer(2, 8, 8, 1));
        var fit = Assert.Throws<ArgumentException>(() => small.Add(new Conv3D(4, 3, name: "c3")));
        Assert.Contains("window (3, 3, 3)", fit.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 2, 8, 8, 1)", fit.Message, StringComparison.Ordinal);

        var both = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv3D(4, (3, 3, 3), strides: (1, 2, 1), dilationRate: (2, 1, 1)));
        Assert.Contains("strides=(1, 2, 1), dilationRate=(2, 1, 1)", both.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv3D(4, (3, 0, 3)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv3D(0, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv3D(4, 3, padding: Padding.Causal));
    }

    [Fact]
    public void Saves_and_loads_with_its_constraints()
    {
        var layer = new Conv3D(4, (2, 3, 2), strides: (1, 2, 1), padding: Padding.Same, activation: ActivationFunction.Relu, name: "c3")
        {
            KernelConstraint = new MaxNorm(2, axis: [0, 1, 2, 3]),
        };
        var copy = (Conv3D)ConvolutionTestKit.RoundTrip(layer, new TensorShape(3, 5, 4, 2));
        Assert.IsType<MaxNorm>(copy.KernelConstraint);
        Assert.Equal(((2, 3, 2), (1, 2, 1), Padding.Same), (copy.KernelSize, copy.Strides, copy.Padding));
    }

    [Fact]
    public void Reads_the_config_keras_writes()
    {
        // keras.layers.Conv3D(8, (3, 3, 3), padding="same", activation="relu").get_config() in Keras 3.
        JsonNode node = JsonNode.Parse("""
            {"module": "keras.layers", "class_name": "Conv3D", "registered_name": null, "config": {"name": "conv3d", "trainable": true,
             "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
             "filters": 8, "kernel_size": [3, 3, 3], "strides": [1, 1, 1], "padding": "same", "data_format": "channels_last",
             "dilation_rate": [1, 1, 1], "groups": 1, "activation": "relu", "use_bias": true,
             "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
             "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
             "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}}
            """)!;
        var layer = (Conv3D)SerializationRegistry.Deserialize<Layer>(node, new Config(), "layer");
        Assert.Equal((8, (3, 3, 3), (1, 1, 1), Padding.Same, (1, 1, 1)), (layer.Filters, layer.KernelSize, layer.Strides, layer.Padding, layer.DilationRate));
        Assert.IsType<Relu>(layer.Activation);

        var scalar = (Conv3D)SerializationRegistry.Deserialize<Layer>(
            JsonNode.Parse("""{"class_name": "Conv3D", "config": {"name": "c", "filters": 2, "kernel_size": 3, "strides": 2}}""")!, new Config(), "layer");
        Assert.Equal(((3, 3, 3), (2, 2, 2)), (scalar.KernelSize, scalar.Strides));

        var grouped = Assert.ThrowsAny<Exception>(() => SerializationRegistry.Deserialize<Layer>(
            JsonNode.Parse("""{"class_name": "Conv3D", "config": {"name": "c", "filters": 4, "kernel_size": 3, "groups": 2}}""")!, new Config(), "layer"));
        Assert.Contains("\"groups\" other than 1", grouped.Message, StringComparison.Ordinal);
        var first = Assert.ThrowsAny<Exception>(() => SerializationRegistry.Deserialize<Layer>(
            JsonNode.Parse("""{"class_name": "Conv3D", "config": {"name": "c", "filters": 4, "kernel_size": 3, "data_format": "channels_first"}}""")!, new Config(), "layer"));
        Assert.Contains("channels_last", first.Message, StringComparison.Ordinal);
        var pair = Assert.ThrowsAny<Exception>(() => SerializationRegistry.Deserialize<Layer>(
            JsonNode.Parse("""{"class_name": "Conv3D", "config": {"name": "c", "filters": 4, "kernel_size": [3, 3]}}""")!, new Config(), "layer"));
        Assert.Contains("kernel_size", pair.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_step_allocates_nothing_after_warm_up()
    {
        Conv3D layer = Built((3, 3, 3), (1, 1, 1), (1, 1, 1), Padding.Same, (4, 6, 6), ActivationFunction.Relu);
        ConvolutionTestKit.AssertStepAllocatesNothing(layer, Tensor.RandomNormal(new TensorShape(2, 4, 6, 6, 3), 8));
    }

    [Fact]
    public void Frozen_layer_passes_the_input_gradient_back_and_leaves_its_gradients_alone()
    {
        Conv3D layer = Built((2, 2, 2), (1, 1, 1), (1, 1, 1), Padding.Valid, (3, 3, 3), ActivationFunction.Linear);
        Tensor x = Tensor.RandomNormal(new TensorShape(1, 3, 3, 3, 3), 3);
        Tensor upstream = Tensor.RandomNormal(new TensorShape([1, .. layer.OutputShape.Dimensions]), 4);
        layer.Trainable = false;
        layer.Forward(x, training: true);
        float[] frozen = layer.Backward(upstream).ToArray();
        Assert.All(layer.Kernel.Gradient.ToArray(), g => Assert.Equal(0f, g));
        Assert.All(layer.Bias!.Gradient.ToArray(), g => Assert.Equal(0f, g));

        layer.Trainable = true;
        layer.Forward(x, training: true);
        Assert.Equal(frozen, layer.Backward(upstream).ToArray());
        Assert.Contains(layer.Kernel.Gradient.ToArray(), g => g != 0f);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Same_padding_puts_the_odd_zero_after_on_each_axis(int axis)
    {
        // Hand-computed: kernel 4, stride 2, 'same' on 5 positions gives 3 outputs and pads 3 in total, 1 before and 2
        // after (Keras / TensorFlow). x = 1..5, kernel taps 1, 10, 100, 1000:
        // out[0] = 0·1 + 1·10 + 2·100 + 3·1000 = 3210, out[1] = 2 + 30 + 400 + 5000 = 5432, out[2] = 4 + 50 = 54.
        int[] size = [1, 1, 1], kernel = [1, 1, 1], strides = [1, 1, 1];
        size[axis] = 5;
        kernel[axis] = 4;
        strides[axis] = 2;
        var layer = new Conv3D(1, (kernel[0], kernel[1], kernel[2]), (strides[0], strides[1], strides[2]), Padding.Same, useBias: false);
        layer.Build(new TensorShape(size[0], size[1], size[2], 1));
        Tensor.FromArray([1f, 10, 100, 1000], kernel[0], kernel[1], kernel[2], 1, 1).AsReadOnlySpan().CopyTo(layer.Kernel.Value.AsSpan());

        Tensor y = layer.Forward(Tensor.FromArray([1f, 2, 3, 4, 5], 1, size[0], size[1], size[2], 1), training: false);

        Assert.Equal([3210f, 5432f, 54f], y.ToArray());
    }

    private static Conv3D Built((int, int, int) kernel, (int, int, int) strides, (int, int, int) dilation, Padding padding, (int D, int H, int W) size,
        ActivationFunction activation)
    {
        var layer = new Conv3D(5, kernel, strides, padding, dilation, activation, biasInitializer: new RandomNormal(0, 0.5, 3)) { Seed = 9 };
        layer.Build(new TensorShape(size.D, size.H, size.W, 3));
        return layer;
    }
}
