using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Convolutional;
using Xunit;

namespace NeuralNet.Tests.Layers.Volume;

public class VolumeReshapingTests
{
    [Fact]
    public void ZeroPadding3D_places_the_input_inside_zeros()
    {
        var layer = new ZeroPadding3D(((1, 0), (0, 2), (1, 1)));
        layer.Build(new TensorShape(2, 3, 2, 2));
        Assert.Equal([3, 5, 4, 2], layer.OutputShape.Dimensions.ToArray());
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 2, 3, 2, 2), 1);

        Tensor y = layer.Forward(x, false);

        for (int n = 0; n < 2; n++)
        {
            for (int d = 0; d < 3; d++)
            {
                for (int h = 0; h < 5; h++)
                {
                    for (int w = 0; w < 4; w++)
                    {
                        for (int c = 0; c < 2; c++)
                        {
                            bool inside = d >= 1 && h < 3 && w >= 1 && w < 3;
                            Assert.Equal(inside ? x[n, d - 1, h, w - 1, c] : 0f, y[n, d, h, w, c]);
                        }
                    }
                }
            }
        }

        GradientChecker.CheckLayer(new ZeroPadding3D(((1, 0), (0, 2), (1, 1))), x, seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Cropping3D_keeps_the_inner_box()
    {
        var layer = new Cropping3D(((0, 1), (1, 1), (2, 0)));
        layer.Build(new TensorShape(3, 4, 5, 2));
        Assert.Equal([2, 2, 3, 2], layer.OutputShape.Dimensions.ToArray());
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 3, 4, 5, 2), 3);

        Tensor y = layer.Forward(x, false);

        for (int n = 0; n < 2; n++)
        {
            for (int d = 0; d < 2; d++)
            {
                for (int h = 0; h < 2; h++)
                {
                    for (int w = 0; w < 3; w++)
                    {
                        for (int c = 0; c < 2; c++)
                        {
                            Assert.Equal(x[n, d, h + 1, w + 2, c], y[n, d, h, w, c]);
                        }
                    }
                }
            }
        }

        GradientChecker.CheckLayer(new Cropping3D(((0, 1), (1, 1), (2, 0))), x, seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void UpSampling3D_repeats_each_position()
    {
        var layer = new UpSampling3D((2, 1, 3));
        layer.Build(new TensorShape(2, 3, 2, 2));
        Assert.Equal([4, 3, 6, 2], layer.OutputShape.Dimensions.ToArray());
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 2, 3, 2, 2), 5);

        Tensor y = layer.Forward(x, false);

        for (int n = 0; n < 2; n++)
        {
            for (int d = 0; d < 4; d++)
            {
                for (int h = 0; h < 3; h++)
                {
                    for (int w = 0; w < 6; w++)
                    {
                        for (int c = 0; c < 2; c++)
                        {
                            Assert.Equal(x[n, d / 2, h, w / 3, c], y[n, d, h, w, c]);
                        }
                    }
                }
            }
        }

        GradientChecker.CheckLayer(new UpSampling3D((2, 1, 3)), x, seed: 2).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Keras_defaults_configs_and_round_trips()
    {
        Assert.Equal(((1, 1), (1, 1), (1, 1)), new ZeroPadding3D().Padding);
        Assert.Equal(((1, 1), (1, 1), (1, 1)), new Cropping3D().Cropping);
        Assert.Equal((2, 2, 2), new UpSampling3D().Size);
        Assert.Equal(("zero_padding3d", "cropping3d", "up_sampling3d"), (new ZeroPadding3D().DefaultNamePrefix, new Cropping3D().DefaultNamePrefix, new UpSampling3D().DefaultNamePrefix));

        ConvolutionTestKit.RoundTrip(new ZeroPadding3D(((1, 0), (0, 2), (1, 1))), new TensorShape(2, 3, 2, 2));
        ConvolutionTestKit.RoundTrip(new Cropping3D(((0, 1), (1, 1), (2, 0))), new TensorShape(3, 4, 5, 2));
        ConvolutionTestKit.RoundTrip(new UpSampling3D((2, 1, 3)), new TensorShape(2, 3, 2, 2));

        // Keras 3 get_config forms: ZeroPadding3D and Cropping3D write three (before, after) pairs, UpSampling3D a triple.
        var padding = (ZeroPadding3D)Read("""{"class_name": "ZeroPadding3D", "config": {"name": "z", "padding": [[1, 2], [3, 4], [5, 6]], "data_format": "channels_last"}}""");
        Assert.Equal(((1, 2), (3, 4), (5, 6)), padding.Padding);
        var symmetric = (Cropping3D)Read("""{"class_name": "Cropping3D", "config": {"name": "c", "cropping": [1, 2, 3]}}""");
        Assert.Equal(((1, 1), (2, 2), (3, 3)), symmetric.Cropping);
        var scalar = (ZeroPadding3D)Read("""{"class_name": "ZeroPadding3D", "config": {"name": "z", "padding": 2}}""");
        Assert.Equal(((2, 2), (2, 2), (2, 2)), scalar.Padding);
        var up = (UpSampling3D)Read("""{"class_name": "UpSampling3D", "config": {"name": "u", "size": [1, 2, 2], "data_format": "channels_last"}}""");
        Assert.Equal((1, 2, 2), up.Size);
        var negative = Assert.ThrowsAny<Exception>(() => Read("""{"class_name": "Cropping3D", "config": {"name": "c", "cropping": [[1, -1], [0, 0], [0, 0]]}}"""));
        Assert.Contains("non-negative", negative.Message, StringComparison.Ordinal);
        var pair = Assert.ThrowsAny<Exception>(() => Read("""{"class_name": "ZeroPadding3D", "config": {"name": "z", "padding": [1, 2]}}"""));
        Assert.Contains("three", pair.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_names_the_layer_and_shape()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ZeroPadding3D(((0, -1), (0, 0), (0, 0))));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UpSampling3D((1, 0, 1)));
        var model = new Sequential();
        model.Add(new InputLayer(2, 4, 4, 1));
        var crop = Assert.Throws<ArgumentException>(() => model.Add(new Cropping3D(1, name: "crop")));
        Assert.Contains("Cropping3D 'crop': cropping ((1, 1), (1, 1), (1, 1)) leaves nothing of input (None, 2, 4, 4, 1)", crop.Message, StringComparison.Ordinal);
        var image = new Sequential();
        image.Add(new InputLayer(4, 4, 1));
        var rank = Assert.Throws<ArgumentException>(() => image.Add(new ZeroPadding3D(name: "pad")));
        Assert.Contains("ZeroPadding3D 'pad' expects input of rank 4 per sample", rank.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_volume_classifier_learns_and_trains_reproducibly()
    {
        // Each clip holds one bright 2x2x2 cube, in its front half (class 0) or its back half (class 1).
        const int samples = 64;
        var x = new Tensor(new TensorShape(samples, 6, 6, 6, 1));
        var y = new Tensor(new TensorShape(samples, 1));
        var random = new Random(3);
        for (int n = 0; n < samples; n++)
        {
            int label = n % 2, d = (label * 3) + random.Next(2), h = random.Next(5), w = random.Next(5);
            y[n, 0] = label;
            for (int i = 0; i < 8; i++)
            {
                x[n, d + (i & 1), h + ((i >> 1) & 1), w + (i >> 2), 0] = 1f;
            }
        }

        Model Train()
        {
            var model = new Sequential(seed: 4);
            model.Add(new InputLayer(6, 6, 6, 1));
            model.Add(new ZeroPadding3D(1));                                     // (8, 8, 8, 1)
            model.Add(new Conv3D(4, 3, activation: NeuralNet.Activations.ActivationFunction.Relu));   // (6, 6, 6, 4)
            model.Add(new MaxPooling3D(2));                                      // (3, 3, 3, 4)
            model.Add(new UpSampling3D((1, 2, 2)));                              // (3, 6, 6, 4)
            model.Add(new Cropping3D(((0, 0), (1, 1), (1, 1))));                 // (3, 4, 4, 4)
            model.Add(new AveragePooling3D((1, 2, 2)));                          // (3, 2, 2, 4)
            model.Add(new Flatten());
            model.Add(new Dense(1, activation: NeuralNet.Activations.ActivationFunction.Sigmoid));
            model.Compile("adam", "binary_crossentropy", "accuracy");
            model.Fit(x, y, epochs: 30, batchSize: 16, verbose: 0);
            return model;
        }

        Model first = Train(), second = Train();
        Assert.Equal([3, 2, 2, 4], first.Layers[^3].OutputShape.Dimensions.ToArray());
        IReadOnlyDictionary<string, double> scores = first.Evaluate(x, y, verbose: 0);
        Assert.True(scores["accuracy"] >= 0.95, $"accuracy {scores["accuracy"]}");
        Assert.Equal(first.Predict(x).ToArray(), second.Predict(x).ToArray());
    }

    private static Layer Read(string json) => SerializationRegistry.Deserialize<Layer>(JsonNode.Parse(json)!, new Config(), "layer");
}
