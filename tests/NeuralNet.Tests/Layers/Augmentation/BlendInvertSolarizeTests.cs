using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>RandomColorDegeneration, RandomInvert and Solarization against Keras' test values and float64 references of Keras' formulas.</summary>
public class BlendInvertSolarizeTests
{
    private static Tensor Uniform(int batch, long seed, float low = 0f, float high = 1f, int channels = 3) => Tensor.RandomUniform(new TensorShape(batch, 4, 5, channels), seed, low, high);

    private static double[] Doubles(Tensor x) => Array.ConvertAll(x.ToArray(), v => (double)v);

    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    private static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;

    [Theory]
    [InlineData(0.6, 0.0, 1.0)]
    [InlineData(-0.7, 0.0, 1.0)]
    [InlineData(1.0, 0.0, 255.0)]
    [InlineData(0.3, 0.2, 0.8)]
    public void RandomColorDegeneration_FollowsKerasFormula(double factor, double low, double high)
    {
        var layer = new RandomColorDegeneration((factor, factor), (low, high), seed: 3);
        Tensor x = Uniform(3, 4, 0f, (float)high);
        float[] y = layer.Forward(x, training: true).ToArray();
        Assert.All(layer.LastFactors.ToArray(), f => Assert.Equal(factor, f, 6));
        double[] v = Doubles(x);
        var expected = new double[v.Length];
        for (int i = 0; i < v.Length; i += 3)
        {
            double gray = (0.2989 * v[i]) + (0.5870 * v[i + 1]) + (0.1140 * v[i + 2]);
            for (int c = 0; c < 3; c++)
            {
                expected[i + c] = Math.Clamp(v[i + c] + (factor * (gray - v[i + c])), low, high);
            }
        }

        AugmentationTestKit.AssertClose(expected, y, 1e-6, $"factor {factor}");
    }

    // random_color_degeneration_test.py: factor (0, 0) is a no-op; 0.2 on [0, 1] images stays in [0, 1]; and Keras'
    // _set_factor reads one number f as (-f, f).
    [Fact]
    public void RandomColorDegeneration_KerasTestCases()
    {
        Tensor x = Uniform(2, 5);
        Assert.Equal(x.ToArray(), new RandomColorDegeneration((0.0, 0.0), (0, 1)).Forward(x, training: true).ToArray());
        Assert.All(new RandomColorDegeneration(0.2, (0, 1), seed: 2).Forward(x, training: true).ToArray(), v => Assert.InRange(v, 0f, 1f));

        var layer = new RandomColorDegeneration(0.4, seed: 6);
        Assert.Equal((-0.4, 0.4), layer.Factor);
        layer.Forward(Uniform(300, 1), training: true);
        double[] f = layer.LastFactors.ToArray();
        Assert.All(f, v => Assert.InRange(v, -0.4, 0.4));
        Assert.True(f.Min() < -0.37 && f.Max() > 0.37);
    }

    // random_invert_test.py test_random_invert_basic and test_random_invert_no_op.
    [Fact]
    public void RandomInvert_KerasTestCases()
    {
        Tensor x = Uniform(1, 7, channels: 3);
        AugmentationTestKit.AssertClose([.. Doubles(x).Select(v => 1 - v)], new RandomInvert((1.0, 1.0), (0, 1), seed: 1337).Forward(x, training: true).AsReadOnlySpan(), 1e-7, "factor (1, 1)");
        Tensor bytes = Uniform(2, 8, 0, 255);
        Assert.Equal(bytes.ToArray(), new RandomInvert(0).Forward(bytes, training: true).ToArray());
    }

    // Keras' formula is value_range[1] - x (not low + high - x), with the range as given; one channel works too.
    [Fact]
    public void RandomInvert_FollowsKerasFormulaAndProbability()
    {
        Tensor x = Uniform(400, 2, 20, 200, channels: 1);
        var layer = new RandomInvert(seed: 3, valueRange: (20, 200));
        Assert.Equal((0.0, 1.0), layer.Factor);
        float[] y = layer.Forward(x, training: true).ToArray();
        double[] inverted = layer.LastInverted.ToArray();
        // p uniform in [0, 1), t uniform in [0, 1): P(t < p) = 1/2.
        Assert.InRange(inverted.Sum(), 170, 230);
        for (int n = 0; n < 400; n++)
        {
            for (int i = n * 20; i < (n + 1) * 20; i++)
            {
                Assert.Equal(inverted[n] == 1 ? 200f - x.AsReadOnlySpan()[i] : x.AsReadOnlySpan()[i], y[i]);
            }
        }

        // factor 0.5: p uniform in [0, 0.5): P(t < p) = 1/4.
        var quarter = new RandomInvert(0.5, seed: 4);
        quarter.Forward(x, training: true);
        Assert.InRange(quarter.LastInverted.ToArray().Sum(), 75, 125);

        // The gradient of an inverted image is negated.
        Tensor g = Uniform(400, 9, -1, 1, channels: 1);
        float[] dx = layer.Backward(g).ToArray();
        for (int i = 0; i < dx.Length; i++)
        {
            Assert.Equal(inverted[i / 20] == 1 ? -g.AsReadOnlySpan()[i] : g.AsReadOnlySpan()[i], dx[i]);
        }
    }

    // solarization_test.py test_output_values: default factors, (0, 255) images: x -> 255 - x.
    [Theory]
    [InlineData(0, 255)]
    [InlineData(64, 191)]
    [InlineData(127, 128)]
    [InlineData(191, 64)]
    [InlineData(255, 0)]
    public void Solarization_KerasOutputValues(float input, float expected)
    {
        Tensor x = Tensor.Filled(input, 2, 8, 8, 3);
        Assert.All(new Solarization(valueRange: (0, 255)).Forward(x, training: true).ToArray(), v => Assert.Equal(expected, v));
    }

    // solarization_test.py test_only_values_above_threshold_are_solarized: threshold_factor (128/255, 128/255) draws the
    // threshold from [128/255, 128] (Keras scales only the upper end), which keeps 0 and solarizes 191 and 255.
    [Theory]
    [InlineData(0, 0)]
    [InlineData(191, 64)]
    [InlineData(255, 0)]
    public void Solarization_OnlyValuesAboveTheThreshold_AreSolarized(float input, float expected)
    {
        Tensor x = Tensor.Filled(input, 2, 8, 8, 3);
        var layer = new Solarization((0.0, 0.0), (128.0 / 255, 128.0 / 255), (0, 255), seed: 1);
        Assert.All(layer.Forward(x, training: true).ToArray(), v => Assert.Equal(expected, v));
        Assert.All(new[] { layer.LastDraws[1], layer.LastDraws[3] }, t => Assert.InRange(t, (128.0 / 255) - 1e-6, 128 + 1e-4));
    }

    // solarization_test.py test_random_augmentation_applied_per_sample, and Keras' draw ranges [lower, 255 · upper].
    [Fact]
    public void Solarization_DrawsPerImageFromKerasRanges()
    {
        Tensor image = Uniform(1, 3, 0, 255);
        Tensor x = Tensor.FromArray([.. image.ToArray(), .. image.ToArray()], 2, 4, 5, 3);
        var pair = new Solarization(0.5, 0.5, (0, 255), seed: 2);
        float[] y = pair.Forward(x, training: true).ToArray();
        Assert.NotEqual(y.AsSpan(0, 60).ToArray(), y.AsSpan(60, 60).ToArray());

        var layer = new Solarization((0.2, 0.4), (0.1, 0.6), seed: 5);
        layer.Forward(Uniform(300, 4, 0, 255), training: true);
        double[] additions = [.. Enumerable.Range(0, 300).Select(n => layer.LastDraws[2 * n])];
        double[] thresholds = [.. Enumerable.Range(0, 300).Select(n => layer.LastDraws[(2 * n) + 1])];
        Assert.All(additions, a => Assert.InRange(a, 0.2, 0.4 * 255));
        Assert.All(thresholds, t => Assert.InRange(t, 0.1, 0.6 * 255));
        Assert.True(additions.Min() < 3 && additions.Max() > 95 && thresholds.Min() < 3 && thresholds.Max() > 145);
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(-1.0, 1.0)]
    [InlineData(0.0, 255.0)]
    public void Solarization_FollowsKerasFormula(double low, double high)
    {
        var layer = new Solarization((0.1, 0.3), (0.2, 0.8), (low, high), seed: 7);
        Tensor x = Uniform(20, 8, (float)low, (float)high);
        float[] y = layer.Forward(x, training: true).ToArray();
        double[] v = Doubles(x);
        var expected = new double[v.Length];
        int solarized = 0;
        for (int i = 0; i < v.Length; i++)
        {
            int n = i / 60;
            double a = layer.LastDraws[2 * n], t = layer.LastDraws[(2 * n) + 1];
            double r = Math.Clamp(((v[i] - low) / (high - low) * 255) + a, 0, 255);
            solarized += r < t ? 0 : 1;
            r = r < t ? r : 255 - r;
            expected[i] = (r / 255 * (high - low)) + low;
        }

        Assert.InRange(solarized, 100, v.Length - 100);
        // 255 - r cancels: float32's error is relative to the range, not to the (possibly small) result.
        AugmentationTestKit.AssertClose(expected, y, 1e-6 * (high - low), $"range ({low}, {high})");
    }

    [Fact]
    public void Configs_WriteKerasKeys_AndRoundTrip()
    {
        Assert.Equal("""{"name":"d","trainable":true,"dtype":"float32","factor":[-0.3,0.3],"value_range":[0,255],"seed":null}""", new RandomColorDegeneration(0.3, name: "d").GetConfig().ToJson());
        Assert.Equal("""{"name":"i","trainable":true,"dtype":"float32","factor":[0,1],"value_range":[0,255],"seed":null}""", new RandomInvert(name: "i").GetConfig().ToJson());
        Assert.Equal("""{"name":"s","trainable":true,"dtype":"float32","value_range":[0,255],"addition_factor":[0,0],"threshold_factor":[0,0.5],"seed":2}""",
            new Solarization(thresholdFactor: 0.5, seed: 2, name: "s").GetConfig().ToJson());

        string[] jsons =
        [
            new RandomColorDegeneration((0.1, 0.6), (0, 1), seed: 4, name: "d").GetConfig().ToJson(),
            new RandomInvert((0.2, 0.7), (20, 200), name: "i").GetConfig().ToJson(),
            new Solarization((0.1, 0.2), (0.3, 0.9), (1, 0), seed: 1, name: "s").GetConfig().ToJson(),
        ];
        Assert.Equal(jsons[0], RandomColorDegeneration.FromConfig(Parse(jsons[0])).GetConfig().ToJson());
        Assert.Equal(jsons[1], RandomInvert.FromConfig(Parse(jsons[1])).GetConfig().ToJson());
        Assert.Equal(jsons[2], Solarization.FromConfig(Parse(jsons[2])).GetConfig().ToJson());

        // Keras' own configs: numbers; the defaults when absent.
        Assert.Equal((-0.75, 0.75), RandomColorDegeneration.FromConfig(Parse("""{"name": "d", "factor": 0.75, "value_range": [0, 1], "seed": 1}""")).Factor);
        Assert.Equal((0.0, 1.0), RandomInvert.FromConfig(Parse("""{"name": "i"}""")).Factor);
        Solarization s = Solarization.FromConfig(Parse("""{"name": "s", "addition_factor": 0.75, "value_range": [20, 200], "threshold_factor": [0, 1], "seed": 1}"""));
        Assert.Equal(((0.0, 0.75), (0.0, 1.0), (20.0, 200.0)), (s.AdditionFactor, s.ThresholdFactor, s.ValueRange));
        Assert.Throws<ArgumentOutOfRangeException>(() => Solarization.FromConfig(Parse("""{"name": "s", "addition_factor": 1.5}""")));
        Assert.Throws<ArgumentOutOfRangeException>(() => Solarization.FromConfig(Parse("""{"name": "s", "threshold_factor": [0.5, 1.5]}""")));
    }

    [Fact]
    public void BadArguments_AreRefusedNamingTheProblem()
    {
        Assert.Contains("RandomColorDegeneration expects factor to be a number in [-1, 1] or a pair", Message(() => new RandomColorDegeneration(1.2)), StringComparison.Ordinal);
        Assert.Contains("valueRange=(NaN, 1)", Message(() => new RandomColorDegeneration(0.2, (double.NaN, 1))), StringComparison.Ordinal);
        Assert.Contains("RandomInvert expects factor to be a number in [0, 1] or a pair", Message(() => new RandomInvert(-0.5)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(1.5, 2).", Message(() => new RandomInvert((1.5, 2))), StringComparison.Ordinal);
        Assert.Contains("Solarization expects additionFactor to be a number or a pair of numbers in [0, 1]. Received: additionFactor=1.5.", Message(() => new Solarization(1.5)), StringComparison.Ordinal);
        Assert.Contains("Received: thresholdFactor=(0.2, 1.1).", Message(() => new Solarization((0, 0.1), (0.2, 1.1))), StringComparison.Ordinal);
        Assert.Contains("low != high", Message(() => new Solarization(valueRange: (1, 1))), StringComparison.Ordinal);

        Assert.Contains("'d' expects RGB images of 3 channels", Message(() => new RandomColorDegeneration(0.2, name: "d").Build(new TensorShape(4, 4, 4))), StringComparison.Ordinal);
        Layer[] anyChannels = [new RandomInvert(name: "c"), new Solarization(name: "c")];
        foreach (Layer layer in anyChannels)
        {
            Assert.Contains("'c' expects input of rank 3 per sample", Message(() => layer.Build(new TensorShape(4, 3))), StringComparison.Ordinal);
            layer.Build(new TensorShape(4, 4, 5));
            Assert.True(layer.IsBuilt);
        }
    }
}
