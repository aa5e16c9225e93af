using System.Text.Json;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>RandomGrayscale, RandomSaturation and RandomHue against Keras' test values, TensorFlow's documented examples and float64 references of Keras' formulas.</summary>
public class ColorLayerTests
{
    private const int Pixels = 4 * 5;

    private static Tensor Uniform(int batch, long seed, float low = 0f, float high = 1f) => Tensor.RandomUniform(new TensorShape(batch, 4, 5, 3), seed, low, high);

    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    private static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;

    // random_grayscale_test.py test_grayscale_conversion (factor 1: every image, equal channels) and the formula itself.
    [Fact]
    public void RandomGrayscale_FactorOne_ConvertsEveryImageWithKerasWeights()
    {
        Tensor x = Uniform(3, 1, 0f, 255f);
        var layer = new RandomGrayscale(1.0, seed: 2);
        float[] y = layer.Forward(x, training: true).ToArray();
        Assert.Equal([1.0, 1.0, 1.0], layer.LastConverted.ToArray());
        ReadOnlySpan<float> v = x.AsReadOnlySpan();
        var expected = new double[y.Length];
        for (int i = 0; i < y.Length; i += 3)
        {
            expected[i] = expected[i + 1] = expected[i + 2] = (0.2989 * v[i]) + (0.5870 * v[i + 1]) + (0.1140 * v[i + 2]);
            Assert.Equal(y[i], y[i + 1]);
            Assert.Equal(y[i], y[i + 2]);
        }

        AugmentationTestKit.AssertClose(expected, y, 1e-6, "grayscale");
    }

    // random_grayscale_test.py test_grayscale_with_single_color_image: a constant image stays constant (0.9999 · 128).
    [Fact]
    public void RandomGrayscale_SingleColourImage_StaysOneValue()
    {
        Tensor x = Tensor.Filled(128f, 1, 4, 4, 3);
        float[] y = new RandomGrayscale(1.0).Forward(x, training: true).ToArray();
        Assert.Single(y.Distinct());
        Assert.Equal(0.9999 * 128, y[0], 3);
    }

    [Fact]
    public void RandomGrayscale_ConvertsWithProbabilityFactor_AndLeavesTheOthers()
    {
        Tensor x = Uniform(400, 3);
        var layer = new RandomGrayscale(0.3, seed: 4);
        float[] y = layer.Forward(x, training: true).ToArray();
        double[] converted = layer.LastConverted.ToArray();
        Assert.InRange(converted.Sum(), 90, 150);
        int size = Pixels * 3;
        for (int n = 0; n < 400; n++)
        {
            float[] image = y.AsSpan(n * size, size).ToArray();
            if (converted[n] == 0)
            {
                Assert.Equal(x.AsReadOnlySpan().Slice(n * size, size).ToArray(), image);
            }
            else
            {
                Assert.All(Enumerable.Range(0, Pixels), p => Assert.Equal(image[p * 3], image[(p * 3) + 2]));
            }
        }

        var never = new RandomGrayscale(0.0);
        Assert.Equal(x.ToArray(), never.Forward(x, training: true).ToArray());
        Assert.Equal(0.0, never.LastConverted.ToArray().Sum());
    }

    // tf.image.adjust_saturation's documented example: saturation × 0.5 on [[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]].
    // k = f / (1 − f + 1e-7) is 0.5 for f = 1/3 (to 2e-7).
    [Fact]
    public void RandomSaturation_MatchesTensorFlowsAdjustSaturationExample()
    {
        Tensor x = Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 1, 2, 2, 3);
        var layer = new RandomSaturation((1.0 / 3, 1.0 / 3));
        Tensor y = layer.Forward(x, training: true);
        Assert.Equal(0.5, layer.LastMultipliers[0], 6);
        AugmentationTestKit.AssertValues([2, 2.5, 3, 5, 5.5, 6, 8, 8.5, 9, 11, 11.5, 12], y, 1e-6, "saturation × 0.5");
    }

    [Theory]
    [InlineData(0.3, 0.0, 1.0)]
    [InlineData(0.8, 0.0, 1.0)]
    [InlineData(0.7, 0.0, 255.0)]
    [InlineData(-0.4, 0.0, 1.0)]
    public void RandomSaturation_FollowsKerasFormula(double factor, double low, double high)
    {
        var layer = new RandomSaturation((factor, factor), (low, high), seed: 5);
        Tensor x = Uniform(3, 6, 0f, (float)high);
        float[] y = layer.Forward(x, training: true).ToArray();
        double k = factor / (1 - factor + 1e-7);
        Assert.All(layer.LastMultipliers.ToArray(), m => Assert.Equal(k, m, 5));

        double[] v = Array.ConvertAll(x.ToArray(), f => (double)f);
        var hsv = new double[v.Length];
        var expected = new double[v.Length];
        ColorSpace.RgbToHsvReference(v, hsv);
        for (int i = 1; i < hsv.Length; i += 3)
        {
            hsv[i] = Math.Clamp(hsv[i] * layer.LastMultipliers[0], low, high);
        }

        ColorSpace.HsvToRgbReference(hsv, expected);
        AugmentationTestKit.AssertClose(expected, y, 1e-5, $"saturation factor {factor}");
    }

    // random_saturation_test.py: (0.5, 0.5) is a no-op, (0, 0) full grayscale (equal channels), (1, 1) full saturation.
    [Fact]
    public void RandomSaturation_KerasTestCases()
    {
        Tensor x = Uniform(2, 7);
        AugmentationTestKit.AssertClose(Array.ConvertAll(x.ToArray(), f => (double)f), new RandomSaturation((0.5, 0.5), (0, 1)).Forward(x, training: true).AsReadOnlySpan(), 1e-5, "no-op");

        float[] gray = new RandomSaturation((0.0, 0.0), (0, 1)).Forward(x, training: true).ToArray();
        for (int i = 0; i < gray.Length; i += 3)
        {
            Assert.Equal(gray[i], gray[i + 1]);
            Assert.Equal(gray[i], gray[i + 2]);
        }

        float[] full = new RandomSaturation((1.0, 1.0), (0, 1)).Forward(x, training: true).ToArray();
        var hsv = new float[full.Length];
        ColorSpace.RgbToHsv(full, hsv);
        for (int i = 1; i < hsv.Length; i += 3)
        {
            Assert.Equal(1f, hsv[i], 5);
        }

        // test_random_saturation_value_range: factor 0.2 on [0, 1] images stays in [0, 1].
        Assert.All(new RandomSaturation(0.2, (0, 1), seed: 3).Forward(x, training: true).ToArray(), f => Assert.InRange(f, 0f, 1f));
    }

    // Keras reads one number f with _set_factor and bounds [-1, 1]: the range (-f, f); a negative draw makes k < 0, gray.
    [Fact]
    public void RandomSaturation_SingleNumber_DrawsFromMinusFToF()
    {
        var layer = new RandomSaturation(0.6, seed: 8);
        Assert.Equal((-0.6, 0.6), layer.Factor);
        Assert.Equal((0.0, 255.0), layer.ValueRange);
        layer.Forward(Uniform(300, 1), training: true);
        double[] f = [.. layer.LastMultipliers.ToArray().Select(k => k / (1 + k))];
        Assert.All(f, v => Assert.InRange(v, -0.6 - 1e-6, 0.6 + 1e-6));
        Assert.True(f.Min() < -0.55 && f.Max() > 0.55);
        Assert.Equal((0.0, 1.0), new RandomSaturation(0.5, (1, 0)).ValueRange);
    }

    // tf.image.adjust_hue's documented example (delta 0.2): [[[2.3999996, 1, 3], [5.3999996, 4, 6]], [[8.4, 7, 9], [11.4, 10, 12]]].
    // With value_range (0, 12) Keras' map to [0, 1] is a scaling, which a hue rotation commutes with.
    [Fact]
    public void RandomHue_MatchesTensorFlowsAdjustHueExample()
    {
        float[] image = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
        Tensor x = Tensor.FromArray([.. Enumerable.Repeat(image, 8).SelectMany(v => v)], 8, 2, 2, 3);
        var layer = new RandomHue((0.4, 0.4), (0, 12), seed: 3);
        float[] y = layer.Forward(x, training: true).ToArray();
        double[] shifts = layer.LastShifts.ToArray();
        Assert.Contains(0.2, shifts.Select(s => Math.Round(s, 6)));
        Assert.Contains(-0.2, shifts.Select(s => Math.Round(s, 6)));
        for (int n = 0; n < 8; n++)
        {
            double[] expected = shifts[n] > 0 ? [2.3999996, 1, 3, 5.3999996, 4, 6, 8.4, 7, 9, 11.4, 10, 12] : Reference(image, shifts[n], (0, 12));
            AugmentationTestKit.AssertClose(expected, y.AsSpan(n * 12, 12), 1e-6, $"image {n}, shift {shifts[n]}");
        }
    }

    private static double[] Reference(ReadOnlySpan<float> image, double shift, (double Low, double High) range)
    {
        double scale = range.High - range.Low;
        var hsv = new double[image.Length];
        var rgb = new double[image.Length];
        double[] x = new double[image.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (image[i] - range.Low) / scale;
        }

        ColorSpace.RgbToHsvReference(x, hsv);
        for (int i = 0; i < hsv.Length; i += 3)
        {
            double h = hsv[i] + shift;
            hsv[i] = h > 1 ? h - 1 : h < 0 ? h + 1 : h;
        }

        ColorSpace.HsvToRgbReference(hsv, rgb);
        return [.. rgb.Select(v => (Math.Clamp(v, 0, 1) * scale) + range.Low)];
    }

    [Theory]
    [InlineData(0.6, 20.0, 200.0)]
    [InlineData(1.0, 0.0, 1.0)]
    [InlineData(0.3, 255.0, 0.0)]
    public void RandomHue_FollowsKerasFormula(double factor, double low, double high)
    {
        var layer = new RandomHue((factor, factor), (low, high), seed: 11);
        Tensor x = Uniform(6, 12, (float)Math.Min(low, high), (float)Math.Max(low, high));
        float[] y = layer.Forward(x, training: true).ToArray();
        double[] shifts = layer.LastShifts.ToArray();
        Assert.All(shifts, s => Assert.Equal(factor / 2, Math.Abs(s), 6));
        int size = Pixels * 3;
        for (int n = 0; n < 6; n++)
        {
            double[] expected = Reference(x.AsReadOnlySpan().Slice(n * size, size), shifts[n], (low, high));
            AugmentationTestKit.AssertClose(expected, y.AsSpan(n * size, size), 1e-5, $"image {n}");
        }
    }

    // random_hue_test.py: outputs stay in the value range; factor 0 changes nothing; the signs and sizes of the shifts.
    [Fact]
    public void RandomHue_KerasTestCases()
    {
        Assert.All(new RandomHue(0.2, (0, 1), seed: 1).Forward(Uniform(3, 2), training: true).ToArray(), v => Assert.InRange(v, 0f, 1f));
        Assert.All(new RandomHue(0.2, (0, 255), seed: 1).Forward(Uniform(3, 2, 0, 255), training: true).ToArray(), v => Assert.InRange(v, 0f, 255f));

        Tensor x = Uniform(2, 4, 0, 255);
        AugmentationTestKit.AssertClose(Array.ConvertAll(x.ToArray(), f => (double)f), new RandomHue(0, (0, 255)).Forward(x, training: true).AsReadOnlySpan(), 1e-5, "factor 0");

        var layer = new RandomHue(0.5, (0, 1), seed: 6);
        Assert.Equal((0.0, 0.5), layer.Factor);
        layer.Forward(Uniform(400, 5), training: true);
        double[] shifts = layer.LastShifts.ToArray();
        Assert.All(shifts, s => Assert.InRange(Math.Abs(s), 0, 0.25));
        Assert.InRange(shifts.Count(s => s < 0), 160, 240);
        Assert.True(shifts.Max() > 0.24 && shifts.Min() < -0.24);
    }

    [Fact]
    public void Configs_WriteKerasKeys_AndRoundTrip()
    {
        Assert.Equal("""{"name":"g","trainable":true,"dtype":"float32","factor":0.25}""", new RandomGrayscale(0.25, name: "g").GetConfig().ToJson());
        Assert.Equal("""{"name":"g","trainable":true,"dtype":"float32","factor":0.5,"seed":4}""", new RandomGrayscale(seed: 4, name: "g").GetConfig().ToJson());
        Assert.Equal("""{"name":"s","trainable":true,"dtype":"float32","factor":[-0.2,0.2],"value_range":[0,255],"seed":null}""", new RandomSaturation(0.2, name: "s").GetConfig().ToJson());
        Assert.Equal("""{"name":"h","trainable":true,"dtype":"float32","factor":[0.1,0.3],"value_range":[0,1],"seed":7}""", new RandomHue((0.3, 0.1), (0, 1), seed: 7, name: "h").GetConfig().ToJson());

        Layer[] layers = [new RandomGrayscale(0.25, seed: 3, name: "g"), new RandomSaturation((0.3, 0.9), (0, 1), seed: 2, name: "s"), new RandomHue(0.4, (-1, 1), name: "h")];
        foreach (Layer layer in layers)
        {
            string json = layer.GetConfig().ToJson();
            Layer loaded = layer switch
            {
                RandomGrayscale => RandomGrayscale.FromConfig(Parse(json)),
                RandomSaturation => RandomSaturation.FromConfig(Parse(json)),
                _ => RandomHue.FromConfig(Parse(json)),
            };
            Assert.Equal(json, loaded.GetConfig().ToJson());
        }

        // Keras' own configs: RandomGrayscale's default factor; the factor as a number; channels_first refused.
        Assert.Equal(0.5, RandomGrayscale.FromConfig(Parse("""{"name": "g", "data_format": "channels_last"}""")).Factor);
        Assert.Equal((-0.3, 0.3), RandomSaturation.FromConfig(Parse("""{"name": "s", "factor": 0.3, "value_range": [0, 255], "seed": null}""")).Factor);
        Assert.Equal((0.0, 0.3), RandomHue.FromConfig(Parse("""{"name": "h", "factor": 0.3, "value_range": [0, 255]}""")).Factor);
        Assert.Contains("\"value_range\" is missing", Assert.Throws<InvalidDataException>(() => RandomHue.FromConfig(Parse("""{"name": "h", "factor": 0.3}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("channels_last", Assert.Throws<InvalidDataException>(() => RandomSaturation.FromConfig(Parse("""{"name": "s", "factor": 0.3, "data_format": "channels_first"}"""))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomGrayscale.FromConfig(Parse("""{"name": "g", "factor": 1.5}""")));
    }

    [Fact]
    public void BadArguments_AreRefusedNamingTheProblem()
    {
        Assert.Contains("RandomGrayscale expects factor to be a number in [0, 1]. Received: factor=1.1.", Message(() => new RandomGrayscale(1.1)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=-0.1.", Message(() => new RandomGrayscale(-0.1)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=NaN.", Message(() => new RandomGrayscale(double.NaN)), StringComparison.Ordinal);
        Assert.Contains("RandomSaturation expects factor to be a number in [-1, 1] or a pair (a, b)", Message(() => new RandomSaturation(1.5)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(1.2, 1.5).", Message(() => new RandomSaturation((1.2, 1.5))), StringComparison.Ordinal);
        Assert.Contains("valueRange=(0, Infinity)", Message(() => new RandomSaturation(0.2, (0, double.PositiveInfinity))), StringComparison.Ordinal);
        Assert.Contains("RandomHue expects factor to be a number in [0, 1] or a pair", Message(() => new RandomHue(-0.2, (0, 1))), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(0.5, -0.1).", Message(() => new RandomHue((0.5, -0.1), (0, 1))), StringComparison.Ordinal);
        Assert.Contains("low != high", Message(() => new RandomHue(0.2, (3, 3))), StringComparison.Ordinal);
        Assert.Contains("valueRange=(NaN, 1)", Message(() => new RandomHue(0.2, (double.NaN, 1))), StringComparison.Ordinal);

        Layer[] layers = [new RandomGrayscale(name: "c"), new RandomSaturation(0.2, name: "c"), new RandomHue(0.2, (0, 1), name: "c")];
        foreach (Layer layer in layers)
        {
            Assert.Contains("'c' expects RGB images of 3 channels (height, width, 3), such as (None, 32, 32, 3), but got (None, 4, 5, 1)",
                Message(() => layer.Build(new TensorShape(4, 5, 1))), StringComparison.Ordinal);
            Assert.Contains("'c' expects input of rank 3 per sample", Message(() => layer.Build(new TensorShape(4, 3))), StringComparison.Ordinal);
            Assert.False(layer.IsBuilt);
        }
    }

    [Fact]
    public void Sequential_WithColourAugmentation_Trains()
    {
        var model = new Sequential(
            [
                new InputLayer(6, 6, 3),
                new RandomGrayscale(0.2),
                new RandomSaturation((0.3, 0.7), (0, 1)),
                new RandomHue(0.2, (0, 1)),
                new Conv2D(4, 3),
                new Flatten(),
                new Dense(1),
            ],
            seed: 3);
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Tensor x = Tensor.RandomUniform(new TensorShape(32, 6, 6, 3), 1, 0f, 1f);
        var targets = new Tensor(32, 1);
        for (int n = 0; n < 32; n++)
        {
            // The target is the image's mean brightness, which the colour augmentations roughly keep.
            targets.AsSpan()[n] = x.AsReadOnlySpan().Slice(n * 108, 108).ToArray().Average();
        }

        History history = model.Fit(x, targets, epochs: 15, batchSize: 8, verbose: 0);
        Assert.True(history["loss"][^1] < history["loss"][0] / 4, $"loss {history["loss"][0]} -> {history["loss"][^1]}");
        Assert.All(history["loss"], l => Assert.True(double.IsFinite(l)));
    }
}
