using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>AutoContrast against Keras' auto_contrast_test.py values and a float64 reference of Keras' formula.</summary>
public class AutoContrastTests
{
    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    private static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;

    private static float[] Run(AutoContrast layer, Tensor x) => layer.Forward(x, training: false).ToArray();

    // test_constant_channels_dont_get_nanned, test_auto_contrast_expands_value_range, ..._properly_converts_value_range:
    // (1, 2, 1, 1) images.
    [Theory]
    [InlineData(1f, 1f, 0.0, 255.0, 1f, 1f)]
    [InlineData(0f, 128f, 0.0, 255.0, 0f, 255f)]
    [InlineData(0f, 0.5f, 0.0, 1.0, 0f, 1f)]
    [InlineData(0f, 0.5f, 1.0, 0.0, 0f, 1f)]
    public void KerasTestCases(float a, float b, double low, double high, float expectedA, float expectedB)
    {
        float[] y = Run(new AutoContrast((low, high)), Tensor.FromArray([a, b], 1, 2, 1, 1));
        Assert.Equal([expectedA, expectedB], y);
    }

    // test_auto_contrast_different_values_per_channel.
    [Fact]
    public void ValueRangeWidth_IsRoundedInFloat32AsKerasCastsBothEnds()
    {
        // Keras' _unwrap_value_range casts low and high to float32 before subtracting: for (0.3, 0.7) the width is
        // 0.39999998f, not the double 0.4 rounded once (0.4f). The output follows Keras' float32 order bit for bit.
        float[] pixels = [0.31f, 0.45f, 0.52f, 0.66f];
        Tensor y = new AutoContrast((0.3, 0.7)).Forward(Tensor.FromArray(pixels, 1, 2, 2, 1), training: false);
        float low = 0.3f, width = 0.7f - 0.3f;
        Assert.Equal(0.39999998f, width);
        float[] u = [.. pixels.Select(x => (x - low) / width * 255f)];
        float l = u.Min(), h = u.Max(), scale = 255f / (h - l), offset = -l * scale;
        float[] expected = [.. u.Select(v => (Math.Clamp((v * scale) + offset, 0f, 255f) / 255f * width) + low)];
        Assert.Equal(expected, y.ToArray());
    }

    [Fact]
    public void KerasDifferentValuesPerChannel()
    {
        float[] y = Run(new AutoContrast(), Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 1, 2, 2, 3));
        AugmentationTestKit.AssertClose([0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255], y, 1e-6, "per channel");
    }

    [Theory]
    [InlineData(0.0, 255.0)]
    [InlineData(0.0, 1.0)]
    [InlineData(-3.0, 2.0)]
    [InlineData(20.0, 200.0)]
    public void MatchesFloat64Reference_AndInferenceEqualsTraining(double low, double high)
    {
        const int H = 4, W = 5, C = 2, N = 3;
        Tensor x = Tensor.RandomUniform(new TensorShape(N, H, W, C), 11, (float)(low + (0.1 * (high - low))), (float)(low + (0.7 * (high - low))));
        // Image 1, channel 1 constant: it comes back unchanged (Keras' NaN rule).
        for (int p = 0; p < H * W; p++)
        {
            x.AsSpan()[(H * W * C) + (p * C) + 1] = (float)(low + (0.4 * (high - low)));
        }

        var layer = new AutoContrast((low, high));
        float[] inference = layer.Forward(x, training: false).ToArray();
        float[] training = layer.Forward(x, training: true).ToArray();
        Assert.Equal(inference, training);
        Assert.Equal(x.Shape, layer.Forward(x, training: false).Shape);

        double[] v = Array.ConvertAll(x.ToArray(), f => (double)f);
        var expected = new double[v.Length];
        for (int n = 0; n < N; n++)
        {
            for (int c = 0; c < C; c++)
            {
                var idx = Enumerable.Range(0, H * W).Select(p => (n * H * W * C) + (p * C) + c).ToArray();
                double l = idx.Min(i => v[i]), h = idx.Max(i => v[i]);
                foreach (int i in idx)
                {
                    expected[i] = h == l ? v[i] : low + ((high - low) * (v[i] - l) / (h - l));
                }
            }
        }

        AugmentationTestKit.AssertClose(expected, training, 1e-5 * (high - low), $"range ({low}, {high})");
        for (int p = 0; p < H * W; p++)
        {
            int i = (H * W * C) + (p * C) + 1;
            Assert.Equal(x.AsReadOnlySpan()[i], training[i]);
        }

        Assert.Equal(0, training.Min() - low, 4);
        Assert.Equal(0, training.Max() - high, 4);
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.0, 255.0)]
    [InlineData(-3.0, 2.0)]
    public void Backward_MatchesNumericalGradients(double low, double high)
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(2, 3, 4, 2), 7, (float)low, (float)high);
        var options = new GradientCheckOptions { Step = 1e-3 * (high - low) };
        GradientChecker.CheckLayer(new AutoContrast((low, high)), x, seed: 3, options, training: true).AssertPassed();
    }

    // A constant channel is returned as it is (Keras' NaN rule), so its gradient passes unchanged; a central difference
    // cannot see that (any step makes the channel non-constant), so the other channels are checked numerically.
    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.0, 255.0)]
    public void Backward_WithAConstantChannel_PassesItsGradient_AndMatchesNumericalGradientsElsewhere(double low, double high)
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(2, 3, 4, 2), 7, (float)low, (float)high);
        for (int p = 0; p < 12; p++)
        {
            x.AsSpan()[(p * 2) + 1] = (float)(0.3 * high);
        }

        var layer = new AutoContrast((low, high));
        Tensor g = Tensor.RandomNormal(x.Shape, 4);
        layer.Forward(x, training: true);
        float[] dx = layer.Backward(g).ToArray();
        double step = 1e-3 * (high - low);
        double Objective()
        {
            ReadOnlySpan<float> y = layer.Forward(x, training: true).AsReadOnlySpan();
            double sum = 0;
            for (int i = 0; i < y.Length; i++)
            {
                sum += (double)g.AsReadOnlySpan()[i] * y[i];
            }

            return sum;
        }

        for (int i = 0; i < dx.Length; i++)
        {
            if (i < 24 && i % 2 == 1)
            {
                Assert.Equal(g.AsReadOnlySpan()[i], dx[i]);
                continue;
            }

            float saved = x.AsSpan()[i];
            x.AsSpan()[i] = (float)(saved + step);
            double plus = Objective();
            x.AsSpan()[i] = (float)(saved - step);
            double minus = Objective();
            x.AsSpan()[i] = saved;
            double numerical = (plus - minus) / (2 * step);
            Assert.True(Math.Abs(numerical - dx[i]) <= 2e-3 + (1e-2 * Math.Abs(numerical)), $"element {i}: analytic {dx[i]}, numerical {numerical}");
        }
    }

    // reduce_min/max's gradient is split evenly among ties: two pixels share the maximum.
    [Fact]
    public void Backward_SplitsTheBoundsGradientAmongTies()
    {
        Tensor x = Tensor.FromArray([10, 50, 50, 30], 1, 2, 2, 1);
        var layer = new AutoContrast();
        layer.Forward(x, training: true);
        float[] dx = layer.Backward(Tensor.FromArray([1, 0, 0, 0], 1, 2, 2, 1)).ToArray();
        // y0 = 255 (x0 − l) / (h − l): ∂/∂x0 = 255 / 40 · (1 + (t0 − 1)) with t0 = 0 and x0 the minimum: 0; ∂/∂h = 0.
        Assert.Equal([0f, 0f, 0f, 0f], dx);
        dx = layer.Backward(Tensor.FromArray([0, 0, 0, 1], 1, 2, 2, 1)).ToArray();
        // y3 = 255 (x3 − l) / (h − l), t3 = 0.5: ∂/∂x3 = 255/40, ∂/∂l = 255/40 · (−0.5), ∂/∂h = −255/40 · 0.5 split in two.
        AugmentationTestKit.AssertClose([-255.0 / 80, -255.0 / 160, -255.0 / 160, 255.0 / 40], dx, 1e-6, "ties");
    }

    [Fact]
    public void Config_WritesKerasKeys_AndRoundTrips()
    {
        Assert.Equal("""{"name":"a","trainable":true,"dtype":"float32","value_range":[0,255]}""", new AutoContrast(name: "a").GetConfig().ToJson());
        string json = new AutoContrast((1, 0), name: "a").GetConfig().ToJson();
        Assert.Equal("""{"name":"a","trainable":true,"dtype":"float32","value_range":[0,1]}""", json);
        Assert.Equal(json, AutoContrast.FromConfig(Parse(json)).GetConfig().ToJson());
        Assert.Equal((0.0, 255.0), AutoContrast.FromConfig(Parse("""{"name": "a"}""")).ValueRange);
        Assert.Equal((20.0, 200.0), AutoContrast.FromConfig(Parse("""{"name": "a", "value_range": [200, 20], "data_format": "channels_last"}""")).ValueRange);
        Assert.Equal("AutoContrast", SerializationRegistry.GetRegisteredName(typeof(AutoContrast)));
    }

    [Fact]
    public void BadValueRange_IsRefusedByName()
    {
        Assert.Contains("AutoContrast expects a valueRange of two finite numbers. Received: valueRange=(0, NaN).", Message(() => new AutoContrast((0, double.NaN))), StringComparison.Ordinal);
        Assert.Contains("AutoContrast expects a valueRange of two different numbers (low != high). Received: valueRange=(3, 3).", Message(() => new AutoContrast((3, 3))), StringComparison.Ordinal);
        Assert.Contains("\"value_range\" must be", Assert.Throws<InvalidDataException>(() => AutoContrast.FromConfig(Parse("""{"name": "a", "value_range": [0, 1, 2]}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("'a' expects input of rank 3 per sample", Message(() => new AutoContrast(name: "a").Build(new TensorShape(4, 3))), StringComparison.Ordinal);
    }
}
