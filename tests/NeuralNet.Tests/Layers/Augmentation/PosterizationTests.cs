using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>RandomPosterization against Keras' test values and a plain loop of Keras' formula.</summary>
public class PosterizationTests
{
    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    // random_posterization_test.py test_random_posterization_basic: one bit kept.
    [Fact]
    public void RandomPosterization_MatchesKerasTestValues()
    {
        Tensor x = Tensor.FromArray([128, 235, 87, 12, 1, 23, 24, 18, 121], 1, 1, 3, 3);
        Tensor y = new RandomPosterization(1, (0, 255), seed: 3481).Forward(x, training: true);
        Assert.Equal([128f, 128, 0, 0, 0, 0, 0, 0, 0], y.ToArray());
    }

    [Theory]
    [InlineData(3, 0.0, 255.0)]
    [InlineData(5, 0.0, 1.0)]
    [InlineData(8, -1.0, 1.0)]
    public void RandomPosterization_FollowsKerasFormula(int bits, double low, double high)
    {
        var layer = new RandomPosterization((bits, bits), (low, high), seed: 2);
        Tensor x = Tensor.RandomUniform(new TensorShape(3, 4, 5, 2), 6, (float)low, (float)high);
        float[] y = layer.Forward(x, training: true).ToArray();
        Assert.All(layer.LastBits.ToArray(), b => Assert.Equal(bits, b));
        var expected = new double[y.Length];
        int shift = 8 - bits;
        for (int i = 0; i < y.Length; i++)
        {
            double v = (x.AsReadOnlySpan()[i] - low) / (high - low) * 255;
            int u = (int)Math.Floor(Math.Clamp(v, 0, 255));
            expected[i] = ((u >> shift) << shift) / 255.0 * (high - low) + low;
        }

        AugmentationTestKit.AssertClose(expected, y, 1e-6, $"{bits} bits");
        // Every output is one of the 2^bits levels.
        Assert.True(y.Distinct().Count() <= 1 << bits);
    }

    // Keras reads one number f as (1, f) and draws with randint, whose upper end is excluded; (1, 1) is always 1 bit.
    [Fact]
    public void RandomPosterization_DrawsBitsAsKerasDoes()
    {
        var layer = new RandomPosterization(4, seed: 5);
        Assert.Equal((1, 4), layer.Factor);
        layer.Forward(new Tensor(300, 2, 2, 1), training: true);
        double[] bits = layer.LastBits.ToArray();
        Assert.Equal([1.0, 2.0, 3.0], bits.Distinct().Order());
        Assert.All(bits.GroupBy(b => b), g => Assert.InRange(g.Count(), 70, 130));

        // test_random_posterization_value_range_0_to_1 / _0_to_255: outputs stay in the range.
        Tensor unit = Tensor.RandomUniform(new TensorShape(3, 3, 3, 3), 1, 0f, 1f);
        Assert.All(new RandomPosterization(1, (0, 1)).Forward(unit, training: true).ToArray(), v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Config_AndBadArguments()
    {
        Assert.Equal("""{"name":"p","trainable":true,"dtype":"float32","factor":[1,6],"value_range":[0,255],"seed":null}""", new RandomPosterization(6, name: "p").GetConfig().ToJson());
        string json = new RandomPosterization((3, 5), (1, 0), seed: 4, name: "p").GetConfig().ToJson();
        Assert.Equal(json, RandomPosterization.FromConfig(Parse(json)).GetConfig().ToJson());
        Assert.Equal((1, 1), RandomPosterization.FromConfig(Parse("""{"name": "p", "factor": 1, "value_range": [20, 200], "seed": 1}""")).Factor);
        Assert.Contains("integers", Assert.Throws<InvalidDataException>(() => RandomPosterization.FromConfig(Parse("""{"name": "p", "factor": 2.5}"""))).Message, StringComparison.Ordinal);

        static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;
        Assert.Contains("RandomPosterization expects factor to be a number or a pair of numbers in [1, 8]. Received: factor=9.", Message(() => new RandomPosterization(9)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(0, 4).", Message(() => new RandomPosterization((0, 4))), StringComparison.Ordinal);
        Assert.Contains("low != high", Message(() => new RandomPosterization(2, (3, 3))), StringComparison.Ordinal);
    }
}
