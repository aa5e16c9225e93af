using System.Text.Json;
using FsCheck.Xunit;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Attention;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>Equalization against Keras' equalization_test.py, hand-computed tables, and Keras' code written out again.</summary>
public class EqualizationTests
{
    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    private static Tensor Uniform(int seed, float low, float high, params int[] shape) => Tensor.RandomUniform(new TensorShape(shape), seed, low, high);

    // test_equalizes_to_all_bins and test_input_dtypes (the float32 case): every value 0..255 appears in the output.
    [Fact]
    public void UniformImages_ReachEveryLevelAsKerasTests()
    {
        Tensor y = new Equalization((0, 255)).Forward(Uniform(1, 0, 255, 2, 512, 512, 3), training: true);
        var levels = new HashSet<float>(y.ToArray());
        Assert.All(Enumerable.Range(0, 256), i => Assert.Contains((float)i, levels));
        Assert.Equal(256, levels.Count);
    }

    // test_output_range, test_different_bin_sizes, test_grayscale_images.
    [Theory]
    [InlineData(0, 255, 256, 3)]
    [InlineData(0, 1, 256, 3)]
    [InlineData(0, 255, 16, 3)]
    [InlineData(0, 255, 64, 3)]
    [InlineData(0, 255, 128, 3)]
    [InlineData(0, 255, 256, 1)]
    public void Output_StaysInTheValueRangeAsKerasTests(double low, double high, int bins, int channels)
    {
        Tensor y = new Equalization((low, high), bins).Forward(Uniform(2, (float)low, (float)high, 2, 64, 64, channels), training: true);
        Assert.All(y.ToArray(), v => Assert.InRange(v, low, high));
        Assert.True(y.ToArray().Distinct().Count() > 2);
    }

    // test_constant_regions: three bands 50, 100, 200 stay three distinct levels.
    [Fact]
    public void ConstantRegions_StayDistinctAsKerasTests()
    {
        Tensor x = new(1, 64, 64, 3);
        for (int i = 0; i < x.Length; i++)
        {
            int row = i / (64 * 3);
            x.AsSpan()[i] = row < 21 ? 50 : row < 42 ? 100 : 200;
        }

        float[] y = new Equalization().Forward(x, training: true).ToArray();
        Assert.True(y.Distinct().Count() >= 3);
        Assert.All(y, v => Assert.InRange(v, 0, 255));
    }

    // test_single_color_image: one bin in use, so the channel is returned as it is.
    [Fact]
    public void SingleColorImage_IsReturnedAsKerasTests()
    {
        Tensor x = new(1, 64, 64, 3);
        x.AsSpan().Fill(128);
        Assert.All(new Equalization().Forward(x, training: true).ToArray(), v => Assert.Equal(128f, v));
    }

    // Hand-computed tables (256 bins on 0..255). [10, 10, 10, 200]: cdf 3 from bin 10, 4 from bin 200; m = 3, d = 1:
    // 10 -> round(0) = 0, 200 -> 255. [50, 50, 100, 200]: cdf 2, 3, 4; m = 2, d = 2: 50 -> 0, 100 -> round(127.5) = 128
    // (half to even), 200 -> 255. The second channel (all 7) uses one bin and passes through. Each in three value ranges.
    [Theory]
    [InlineData(new float[] { 10, 10, 10, 200 }, new double[] { 0, 0, 0, 255 })]
    [InlineData(new float[] { 50, 50, 100, 200 }, new double[] { 0, 0, 128, 255 })]
    [InlineData(new float[] { 200, 100, 50, 50 }, new double[] { 255, 128, 0, 0 })]

    // Counts 1, 1, 5: cdf 1, 2, 7; m = 1, d = 6: 100 -> round(42.5) = 42 (half to even; half away from zero gives 43).
    [InlineData(new float[] { 50, 100, 200, 200, 200, 200, 200 }, new double[] { 0, 42, 255, 255, 255, 255, 255 })]
    public void SmallImages_MatchHandComputedTables(float[] values, double[] expected)
    {
        foreach ((double low, double high) in new[] { (0.0, 255.0), (0.0, 1.0), (-1.0, 1.0) })
        {
            double width = high - low;
            int n = values.Length;
            Tensor x = new(1, 1, n, 2);
            for (int i = 0; i < n; i++)
            {
                // The map Keras applies (u = (x - low) · 255 / (high - low)) lands exactly on the levels for these ranges.
                x.AsSpan()[2 * i] = (float)((values[i] / 255.0 * width) + low);
                x.AsSpan()[(2 * i) + 1] = (float)((7 / 255.0 * width) + low);
            }

            float[] y = new Equalization((low, high)).Forward(x, training: true).ToArray();
            for (int i = 0; i < n; i++)
            {
                Assert.Equal((expected[i] / 255.0 * width) + low, y[2 * i], 5);
                Assert.Equal(x.AsReadOnlySpan()[(2 * i) + 1], y[(2 * i) + 1], 5);
            }
        }
    }

    // Keras equalizes images[..., c] of the whole batch at once: one histogram per channel, shared by the images. An
    // image of one value passes through alone, but is equalized with another image that spreads the channel.
    [Fact]
    public void Histogram_IsPerChannelOverTheWholeBatchAsKerasComputesIt()
    {
        Tensor flat = new(1, 2, 2, 1);
        flat.AsSpan().Fill(10);
        Assert.Equal([10f, 10f, 10f, 10f], new Equalization().Forward(flat, training: true).ToArray());

        Tensor pair = new(2, 2, 2, 1);
        pair.AsSpan()[..4].Fill(10);
        pair.AsSpan()[4..].Fill(200);
        Assert.Equal([0f, 0f, 0f, 0f, 255f, 255f, 255f, 255f], new Equalization().Forward(pair, training: true).ToArray());
    }

    // Keras' _equalize_channel written out with whole arrays, as its NumPy/TensorFlow backends run it: float32 maps and
    // indices, a float64 table from the int64 cdf, the where, the float64 map back.
    private static float[] KerasReference(float[] x, int channels, (double Low, double High) range, int bins)
    {
        var y = new float[x.Length];
        double scale = 255.0 / (range.High - range.Low), offset = 0.0 - (range.Low * scale);
        double back = (range.High - range.Low) / 255.0;
        for (int c = 0; c < channels; c++)
        {
            float[] channel = [.. x.Where((_, i) => i % channels == c).Select(v => (v * (float)scale) + (float)offset)];
            int[] indices = [.. channel.Select(v => Math.Clamp((int)((v - 0f) * (bins - 1) / 255f), 0, bins - 1))];
            long[] histogram = new long[bins];
            foreach (int i in indices)
            {
                histogram[i]++;
            }

            long[] cdf = new long[bins];
            for (int b = 0; b < bins; b++)
            {
                cdf[b] = (b == 0 ? 0 : cdf[b - 1]) + histogram[b];
            }

            long first = cdf.First(v => v != 0), denominator = cdf[^1] - first == 0 ? 1 : cdf[^1] - first;
            double[] table = [.. cdf.Select(v => Math.Clamp(Math.Round((v - first) * 255.0 / denominator, MidpointRounding.ToEven), 0, 255))];
            bool passes = histogram.Count(v => v != 0) <= 1;
            double[] equalized = [.. channel.Select(v => passes ? v : table[(int)Math.Clamp(v / 255f * (bins - 1), 0f, bins - 1)])];
            for (int i = 0; i < equalized.Length; i++)
            {
                y[(i * channels) + c] = (float)((equalized[i] * back) + range.Low);
            }
        }

        return y;
    }

    [Theory]
    [InlineData(0, 255, 256, 1)]
    [InlineData(0, 1, 256, 2)]
    [InlineData(-1, 1, 37, 3)]
    [InlineData(2, 5, 7, 4)]
    public void Forward_MatchesKerasCodeWrittenOut(double low, double high, int bins, int seed)
    {
        // Values a little beyond the range too (they clip to the end bins), and one flat channel.
        Tensor x = Uniform(seed, (float)(low - (0.1 * (high - low))), (float)(high + (0.1 * (high - low))), 3, 5, 6, 3);
        for (int i = 2; i < x.Length; i += 3)
        {
            x.AsSpan()[i] = (float)((low + high) / 2);
        }

        float[] y = new Equalization((high, low), bins).Forward(x, training: true).ToArray();
        Assert.Equal(KerasReference(x.ToArray(), 3, (low, high), bins), y);
    }

    // The kernel against the same written-out code on random batch shapes, bin counts and value ranges, with values that
    // repeat (integer levels, as 8-bit images have) so that ties and empty bins occur.
    [Property(Replay = "(11,13)", MaxTest = 60)]
    public void Kernel_RandomShapes_EqualsKerasCodeWrittenOut(long seed)
    {
        var random = new SeededRandom(seed);
        int batch = random.NextInt(3) + 1, height = random.NextInt(6) + 1, width = random.NextInt(6) + 1, channels = random.NextInt(4) + 1;
        int bins = random.NextInt(300) + 1, levels = random.NextInt(40) + 1;
        double low = Math.Round((random.NextDouble() * 4) - 2, 2), high = low + 0.25 + (random.NextDouble() * 300);
        var x = new Tensor(batch, height, width, channels);
        for (int i = 0; i < x.Length; i++)
        {
            x.AsSpan()[i] = (float)(low + ((high - low) * random.NextInt(levels + 1) / levels));
        }

        float[] y = new Equalization((low, high), bins).Forward(x, training: true).ToArray();
        Assert.Equal(KerasReference(x.ToArray(), channels, (low, high), bins), y);
    }

    // The gradient is Keras' (0 through the table lookup, the output gradient for a channel passed through), checked
    // numerically on values at bin centres, where a step of 1e-3 changes no bin.
    [Fact]
    public void Backward_MatchesNumericalGradientsAwayFromTheBinEdges()
    {
        const int bins = 8;
        Tensor x = new(2, 3, 4, 2);
        var random = new SeededRandom(6);
        for (int i = 0; i < x.Length; i += 2)
        {
            // Bin k of 8 on (0, 1) holds u · 7 / 255 in [k, k + 1), u = 255 x: centre x = (k + 0.5) / 7.
            x.AsSpan()[i] = (float)((random.NextUInt64() % 7 + 0.5) / 7);
            x.AsSpan()[i + 1] = 0.3f;
        }

        var layer = new Equalization((0, 1), bins);
        StochasticGradientCheck.Check(layer, [x], [0], seed: 7, training: true).AssertPassed();
        Tensor g = TestData.Normal(8, 1f, 2, 3, 4, 2);
        layer.Forward(x, training: true);
        float[] dx = layer.Backward(g).ToArray();
        for (int i = 0; i < dx.Length; i++)
        {
            Assert.Equal(i % 2 == 0 ? 0f : g.AsReadOnlySpan()[i], dx[i]);
        }
    }

    [Fact]
    public void Inference_IsTheIdentityAsKerasCode()
    {
        Tensor x = Uniform(3, 0, 255, 2, 4, 4, 3);
        var layer = new Equalization();
        Assert.NotEqual(x.ToArray(), layer.Forward(x, training: true).ToArray());
        Assert.Same(x, layer.Forward(x, training: false));
    }

    [Fact]
    public void Config_WritesKerasKeysAndReadsKerasConfigurations()
    {
        string json = new Equalization((1, 0), 64, "e").GetConfig().ToJson();
        Assert.Equal("""{"name":"e","trainable":true,"dtype":"float32","bins":64,"value_range":[0,1]}""", json);
        Assert.Equal(json, Equalization.FromConfig(Parse(json)).GetConfig().ToJson());
        Equalization keras = Equalization.FromConfig(Parse("""{"name": "k", "trainable": true, "dtype": "float32"}"""));
        Assert.Equal(((0.0, 255.0), 256), (keras.ValueRange, keras.Bins));
        Assert.Contains("list of two numbers", Assert.Throws<InvalidDataException>(() => Equalization.FromConfig(Parse("""{"name": "k", "value_range": [0, 1, 2]}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadInput_ThrowsNamingTheProblem()
    {
        static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;
        Assert.Contains("Equalization expects bins to be a positive integer. Received: bins=0.", Message(() => new Equalization(bins: 0)), StringComparison.Ordinal);
        Assert.Contains("Received: valueRange=(1, 1).", Message(() => new Equalization((1, 1))), StringComparison.Ordinal);
        Assert.Contains("Received: valueRange=(0, NaN).", Message(() => new Equalization((0, double.NaN))), StringComparison.Ordinal);
    }
}
