using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>RandomErasing against a plain re-run of Keras' sampling with a per-pixel mask, and Keras' test cases.</summary>
public class ErasingTests
{
    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    // Keras' get_random_transformation and _generate_batch_mask, drawn from a generator of the same seed: the erased
    // mask per element (grid_x >= x0 & grid_x < x1 & grid_y >= y0 & grid_y < y1, every channel, where t < p).
    private static bool[] ReferenceMask(long seed, int batch, int height, int width, int channels, (double Lo, double Hi) scale, (double Lo, double Hi) factor)
    {
        var random = new SeededRandom(seed);
        var weights = new float[batch, 2];
        for (int n = 0; n < batch; n++)
        {
            weights[n, 0] = MathF.Sqrt((float)(scale.Lo + ((scale.Hi - scale.Lo) * random.NextDouble())));
            weights[n, 1] = MathF.Sqrt((float)(scale.Lo + ((scale.Hi - scale.Lo) * random.NextDouble())));
        }

        var x0 = new float[batch];
        var x1 = new float[batch];
        var y0 = new float[batch];
        var y1 = new float[batch];
        for (int n = 0; n < batch; n++)
        {
            float length = weights[n, 0] * width;
            x0[n] = (float)random.NextDouble() * (width - length);
            x1[n] = x0[n] + length;
        }

        for (int n = 0; n < batch; n++)
        {
            float length = weights[n, 1] * height;
            y0[n] = (float)random.NextDouble() * (height - length);
            y1[n] = y0[n] + length;
        }

        var p = new float[batch];
        for (int n = 0; n < batch; n++)
        {
            p[n] = (float)(factor.Lo + ((factor.Hi - factor.Lo) * random.NextDouble()));
        }

        var mask = new bool[batch * height * width * channels];
        for (int n = 0; n < batch; n++)
        {
            bool apply = (float)random.NextDouble() < p[n];
            for (int r = 0; r < height; r++)
            {
                for (int c = 0; c < width; c++)
                {
                    for (int k = 0; k < channels; k++)
                    {
                        mask[((((n * height) + r) * width) + c) * channels + k] = apply && c >= x0[n] && c < x1[n] && r >= y0[n] && r < y1[n];
                    }
                }
            }
        }

        return mask;
    }

    [Theory]
    [InlineData(1.0, 1.0, 0.02, 0.33)]
    [InlineData(0.0, 1.0, 0.02, 0.33)]
    [InlineData(0.3, 0.9, 0.2, 0.8)]
    [InlineData(1.0, 1.0, 0.0, 1.0)]
    public void RandomErasing_ErasesKerasBoxes_WithTheFillValue(double factorLow, double factorHigh, double scaleLow, double scaleHigh)
    {
        const int batch = 40, height = 9, width = 7, channels = 2;
        var layer = new RandomErasing((factorLow, factorHigh), (scaleLow, scaleHigh), fillValue: -0.5, valueRange: (-1, 1), seed: 11);
        Tensor x = Tensor.RandomUniform(new TensorShape(batch, height, width, channels), 3, -1f, 1f);
        float[] y = layer.Forward(x, training: true).ToArray();
        bool[] mask = ReferenceMask(11, batch, height, width, channels, (scaleLow, scaleHigh), (factorLow, factorHigh));
        float[] input = x.ToArray();
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(mask[i] ? -0.5f : input[i], y[i]);
        }

        Assert.Contains(true, mask);
        Assert.Contains(false, mask);
    }

    // Keras' test_random_erasing_no_op: factor 0 and scale 0 keep the images; test_random_erasing_inference: the identity.
    [Fact]
    public void RandomErasing_KerasNoOpCases()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(3, 22, 22, 3), 4, 0f, 255f);
        Assert.Equal(x.ToArray(), new RandomErasing(0).Forward(x, training: true).ToArray());
        Assert.Equal(x.ToArray(), new RandomErasing((1, 1), scale: (0, 0)).Forward(x, training: true).ToArray());
        Assert.Equal((0.0, 0.0), RandomErasing.FromConfig(Parse("""{"name": "e", "scale": 0}""")).Scale);
        Assert.Same(x, new RandomErasing().Forward(x, training: false));
    }

    // scale (0.25, 0.25): every box is exactly half the width and half the height, inside the image.
    [Fact]
    public void RandomErasing_FixedScale_ErasesHalfBySideBoxes()
    {
        var layer = new RandomErasing((1, 1), (0.25, 0.25), fillValue: 0, seed: 2);
        float[] y = layer.Forward(Tensor.Ones(30, 8, 6, 1), training: true).ToArray();
        for (int n = 0; n < 30; n++)
        {
            int erased = y.AsSpan(n * 48, 48).ToArray().Count(v => v == 0f);
            Assert.Equal(4 * 3, erased);
        }
    }

    // factor 1 (Keras' default) draws p from [0, 1]: an image is erased with probability 1/2 overall.
    [Fact]
    public void RandomErasing_DefaultFactor_ErasesAboutHalfTheImages()
    {
        var layer = new RandomErasing(fillValue: 0, valueRange: (0, 1), seed: 5);
        layer.Forward(Tensor.Ones(2000, 4, 4, 1), training: true);
        double[] boxes = layer.LastBoxes.ToArray();
        double erased = Enumerable.Range(0, 2000).Average(n => boxes[n * 5]);
        Assert.InRange(erased, 0.46, 0.54);
    }

    // fill_value None: normal noise times the range's high end, clipped to the range (about half the noise at low).
    [Fact]
    public void RandomErasing_Noise_IsClippedScaledNormal()
    {
        var layer = new RandomErasing((1, 1), (0.5, 0.9), valueRange: (0, 255), seed: 8);
        float[] y = layer.Forward(Tensor.Filled(100f, 50, 10, 10, 3), training: true).ToArray();
        float[] noise = [.. y.Where(v => v != 100f)];
        Assert.True(noise.Length > 5000);
        Assert.All(noise, v => Assert.InRange(v, 0f, 255f));
        double atLow = noise.Count(v => v == 0f) / (double)noise.Length, atHigh = noise.Count(v => v == 255f) / (double)noise.Length;
        Assert.InRange(atLow, 0.47, 0.53);
        Assert.InRange(atHigh, 0.13, 0.19); // P(z > 1) = 0.159
        Assert.Equal(255f, new RandomErasing((1, 1), (1, 1), fillValue: 300).Forward(Tensor.Ones(1, 2, 2, 1), training: true).ToArray()[0]);
    }

    [Fact]
    public void Backward_IsZeroInsideTheBoxes_AndPassesElsewhere()
    {
        var layer = new RandomErasing((0.5, 0.5), (0.1, 0.6), fillValue: 0, valueRange: (-3, 3), seed: 4);
        Tensor x = TestData.Normal(1, 1f, 20, 6, 5, 3);
        layer.Forward(x, training: true);
        bool[] mask = ReferenceMask(4, 20, 6, 5, 3, (0.1, 0.6), (0.5, 0.5));
        Tensor g = TestData.Normal(2, 1f, 20, 6, 5, 3);
        float[] dx = layer.Backward(g).ToArray(), dy = g.ToArray();
        for (int i = 0; i < dx.Length; i++)
        {
            Assert.Equal(mask[i] ? 0f : dy[i], dx[i]);
        }

        Assert.Contains(true, mask);
    }

    // A layer called twice in a model runs one instance per call: the second call's draws must not reach the first's backward.
    [Fact]
    public void SharedLayer_EachCallKeepsItsOwnBoxes()
    {
        Tensor x = TestData.Normal(1, 1f, 5, 6, 5, 2), g = TestData.Normal(2, 1f, 5, 6, 5, 2);
        var layer = new RandomErasing((1, 1), (0.2, 0.6), fillValue: 0, valueRange: (-3, 3), seed: 6);
        layer.Build(new TensorShape(6, 5, 2));
        Layer second = layer.CopyForCall(1);
        layer.Forward(x, training: true);
        float[] secondOutput = second.Forward(x, training: true).ToArray();
        var alone = new RandomErasing((1, 1), (0.2, 0.6), fillValue: 0, valueRange: (-3, 3), seed: 6);
        alone.Forward(x, training: true);
        Assert.Equal(alone.Backward(g).ToArray(), layer.Backward(g).ToArray());
        Assert.NotEqual(alone.Forward(x, training: true).ToArray(), secondOutput);
    }

    [Fact]
    public void Config_RoundTrips_AndReadsKeras()
    {
        Assert.Equal(
            """{"name":"e","trainable":true,"dtype":"float32","factor":[0,1],"scale":[0.02,0.33],"fill_value":null,"value_range":[0,255],"seed":null}""",
            new RandomErasing(name: "e").GetConfig().ToJson());
        string json = new RandomErasing((0.2, 0.7), (0.1, 0.4), 3.5, (1, -1), seed: 9, name: "e").GetConfig().ToJson();
        Assert.Equal(json, RandomErasing.FromConfig(Parse(json)).GetConfig().ToJson());

        // random_erasing_test.py test_layer's arguments.
        RandomErasing keras = RandomErasing.FromConfig(Parse("""{"name": "e", "factor": 1.0, "scale": 0.5, "fill_value": 0, "value_range": [0, 255], "seed": 1, "data_format": "channels_last"}"""));
        Assert.Equal(((0.0, 1.0), (0.0, 0.5), (double?)0, (0.0, 255.0), (long?)1), (keras.Factor, keras.Scale, keras.FillValue, keras.ValueRange, keras.AugmentationSeed));
        Assert.Null(RandomErasing.FromConfig(Parse("""{"name": "e", "fill_value": null}""")).FillValue);
        Assert.Contains("per-channel", Assert.Throws<InvalidDataException>(() => RandomErasing.FromConfig(Parse("""{"name": "e", "fill_value": [1, 2, 3]}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadArguments_AreRefusedByName()
    {
        static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;
        Assert.Contains("RandomErasing expects factor to be a number in [0, 1] or a pair", Message(() => new RandomErasing(1.5)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(1.2, 1.4).", Message(() => new RandomErasing((1.2, 1.4))), StringComparison.Ordinal);
        Assert.Contains("RandomErasing expects scale to be a number in [0, 1] or a pair", Message(() => new RandomErasing(scale: (0.5, -0.1))), StringComparison.Ordinal);
        Assert.Contains("fillValue=NaN", Message(() => new RandomErasing(fillValue: double.NaN)), StringComparison.Ordinal);
        Assert.Contains("valueRange=(0, Infinity)", Message(() => new RandomErasing(valueRange: (0, double.PositiveInfinity))), StringComparison.Ordinal);
        Assert.Contains("'e' expects input of rank 3 per sample", Message(() => new RandomErasing(name: "e").Build(new TensorShape(3, 3))), StringComparison.Ordinal);
    }
}
