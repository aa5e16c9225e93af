using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Convolutional;
using Xunit;

namespace NeuralNet.Tests.Layers.Volume;

public class Conv3DTransposeTests
{
    // (kernel, stride, dilation, padding, outputPadding, input length): Keras' output lengths on both paddings, with
    // and without output padding, strides above the kernel and dilation.
    public static TheoryData<int, int, int, Padding, int?, int> AxisCases => new()
    {
        { 3, 1, 1, Padding.Valid, null, 4 },
        { 3, 2, 1, Padding.Valid, null, 3 },
        { 2, 3, 1, Padding.Valid, null, 3 },
        { 3, 2, 1, Padding.Same, null, 4 },
        { 4, 2, 1, Padding.Same, 1, 3 },
        { 3, 3, 1, Padding.Valid, 2, 2 },
        { 3, 1, 2, Padding.Same, null, 5 },
        { 2, 1, 3, Padding.Valid, null, 2 },
    };

    [Theory]
    [MemberData(nameof(AxisCases))]
    public void Each_axis_matches_Conv2DTranspose(int kernel, int stride, int dilation, Padding padding, int? outputPadding, int length)
    {
        // Conv2DTranspose is checked against Keras' values; a 3-D layer whose third axis is trivial must agree with it,
        // once with depth trivial (the (height, width) plane) and once with width trivial (the (depth, height) plane).
        foreach (bool depthTrivial in new[] { true, false })
        {
            (int, int, int) kernel3 = depthTrivial ? (1, kernel, kernel) : (kernel, kernel, 1);
            (int, int, int) stride3 = depthTrivial ? (1, stride, stride) : (stride, stride, 1);
            (int, int, int) dilation3 = depthTrivial ? (1, dilation, dilation) : (dilation, dilation, 1);
            (int, int, int)? outputPadding3 = outputPadding is int op ? (depthTrivial ? (0, op, op) : (op, op, 0)) : null;
            var volume = new Conv3DTranspose(4, kernel3, stride3, padding, outputPadding3, dilation3, ActivationFunction.Tanh, biasInitializer: new RandomNormal(0, 0.5, 2)) { Seed = 5 };
            var image = new Conv2DTranspose(4, (kernel, kernel), (stride, stride), padding, outputPadding is int p ? (p, p) : null, (dilation, dilation), ActivationFunction.Tanh);
            volume.Build(depthTrivial ? new TensorShape(1, length, length + 1, 3) : new TensorShape(length, length + 1, 1, 3));
            image.Build(new TensorShape(length, length + 1, 3));
            image.Kernel.Value.AsSpan().Clear();
            volume.Kernel.Value.AsReadOnlySpan().CopyTo(image.Kernel.Value.AsSpan());
            volume.Bias!.Value.AsReadOnlySpan().CopyTo(image.Bias!.Value.AsSpan());
            Tensor x = Tensor.RandomNormal(new TensorShape(2, length, length + 1, 3), 8);

            Tensor expected = image.Forward(x, training: false);
            Tensor actual = volume.Forward(x.Reshape([2, .. volume.InputShape.Dimensions]), training: false);

            int[] expectedDims = depthTrivial ? [2, 1, .. expected.Shape.Dimensions[1..]] : [.. expected.Shape.Dimensions[..3], 1, 4];
            Assert.Equal(expectedDims, actual.Shape.Dimensions.ToArray());
            Assert.Equal(expected.ToArray(), actual.ToArray());
        }
    }

    [Theory]
    [InlineData(2, 2, Padding.Valid)]
    [InlineData(3, 2, Padding.Same)]
    [InlineData(3, 1, Padding.Valid)]
    public void Backward_matches_numerical_gradients(int kernel, int stride, Padding padding)
    {
        var layer = new Conv3DTranspose(3, (kernel, 2, kernel), (stride, 1, stride), padding, activation: ActivationFunction.Sigmoid,
            biasInitializer: new RandomNormal(0, 0.5, 2)) { Seed = 7 };
        layer.Build(new TensorShape(2, 3, 2, 2));
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 2, 3, 2, 2), 4), seed: 3).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Keras_shapes_configs_and_bad_input()
    {
        // Keras' docs: Conv3DTranspose(filters=32, kernel_size=3) on (4, 10, 8, 12, 128) gives (4, 12, 10, 14, 32).
        var model = new Sequential();
        model.Add(new InputLayer(10, 8, 12, 128));
        model.Add(new Conv3DTranspose(32, 3, name: "up"));
        Assert.Equal([12, 10, 14, 32], model.OutputShape.Dimensions.ToArray());
        Assert.Equal([3, 3, 3, 32, 128], ((Conv3DTranspose)model.Layers[1]).Kernel.Shape.Dimensions.ToArray());
        Assert.Equal("conv3d_transpose", new Conv3DTranspose(1, 1).DefaultNamePrefix);
        var doubled = new Conv3DTranspose(2, 2, strides: 2, padding: Padding.Same);
        doubled.Build(new TensorShape(3, 4, 5, 1));
        Assert.Equal([6, 8, 10, 2], doubled.OutputShape.Dimensions.ToArray());

        var layer = (Conv3DTranspose)ConvolutionTestKit.RoundTrip(new Conv3DTranspose(3, (2, 3, 2), (2, 1, 2), Padding.Same, outputPadding: (1, 0, 0)),
            new TensorShape(2, 3, 2, 2));
        Assert.Equal((1, 0, 0), layer.OutputPadding);
        var read = (Conv3DTranspose)SerializationRegistry.Deserialize<Layer>(JsonNode.Parse("""
            {"module": "keras.layers", "class_name": "Conv3DTranspose", "registered_name": null, "config": {"name": "up", "trainable": true,
             "filters": 6, "kernel_size": [2, 2, 2], "strides": [2, 2, 2], "padding": "valid", "output_padding": null,
             "data_format": "channels_last", "dilation_rate": [1, 1, 1], "activation": "relu", "use_bias": true,
             "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
             "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
             "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}}
            """)!, new Config(), "layer");
        Assert.Equal((6, (2, 2, 2), (2, 2, 2), Padding.Valid, ((int, int, int)?)null), (read.Filters, read.KernelSize, read.Strides, read.Padding, read.OutputPadding));
        var tooBig = Assert.ThrowsAny<Exception>(() => SerializationRegistry.Deserialize<Layer>(
            JsonNode.Parse("""{"class_name": "Conv3DTranspose", "config": {"name": "c", "filters": 2, "kernel_size": 3, "strides": 2, "output_padding": [0, 2, 0]}}""")!, new Config(), "layer"));
        Assert.Contains("\"output_padding\" (0, 2, 0) must be smaller than \"strides\" (2, 2, 2)", tooBig.Message, StringComparison.Ordinal);

        var padding = Assert.Throws<ArgumentOutOfRangeException>(() => new Conv3DTranspose(2, 3, strides: 2, outputPadding: 2));
        Assert.Contains("outputPadding=(2, 2, 2), strides=(2, 2, 2)", padding.Message, StringComparison.Ordinal);
        var image = new Sequential();
        image.Add(new InputLayer(8, 8, 3));
        var rank = Assert.Throws<ArgumentException>(() => image.Add(new Conv3DTranspose(2, 3, name: "up")));
        Assert.Contains("Conv3DTranspose 'up' expects input of rank 4 per sample", rank.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_outputs_are_refused_and_frozen_layers_leave_their_gradients_alone()
    {
        // Same padding with an explicit output padding and an even kernel on one position: (1 - 1)·1 + 0 + 0 = 0.
        var empty = new Conv3DTranspose(1, 2, padding: Padding.Same, outputPadding: 0, name: "up");
        var error = Assert.Throws<ArgumentException>(() => empty.Build(new TensorShape(1, 1, 1, 1)));
        Assert.Contains("Conv3DTranspose 'up' gives an empty output (0, 0, 0)", error.Message, StringComparison.Ordinal);

        var layer = new Conv3DTranspose(2, 2, strides: 2, activation: ActivationFunction.Tanh, biasInitializer: new RandomNormal(0, 0.5, 2)) { Seed = 1 };
        layer.Build(new TensorShape(2, 2, 2, 3));
        Tensor x = Tensor.RandomNormal(new TensorShape(1, 2, 2, 2, 3), 5);
        Tensor upstream = Tensor.RandomNormal(new TensorShape([1, .. layer.OutputShape.Dimensions]), 6);
        layer.Trainable = false;
        layer.Forward(x, training: true);
        float[] frozen = layer.Backward(upstream).ToArray();
        Assert.All(layer.Kernel.Gradient.ToArray(), g => Assert.Equal(0f, g));
        Assert.All(layer.Bias!.Gradient.ToArray(), g => Assert.Equal(0f, g));
        layer.Trainable = true;
        layer.Forward(x, training: true);
        Assert.Equal(frozen, layer.Backward(upstream).ToArray());
        Assert.Contains(layer.Kernel.Gradient.ToArray(), g => g != 0f);
        Assert.Contains(layer.Bias!.Gradient.ToArray(), g => g != 0f);
    }

    [Fact]
    public void Training_step_allocates_nothing_after_warm_up()
    {
        var layer = new Conv3DTranspose(3, 2, strides: 2, activation: ActivationFunction.Relu);
        layer.Build(new TensorShape(2, 3, 3, 4));
        ConvolutionTestKit.AssertStepAllocatesNothing(layer, Tensor.RandomNormal(new TensorShape(2, 2, 3, 3, 4), 1));
    }
}
