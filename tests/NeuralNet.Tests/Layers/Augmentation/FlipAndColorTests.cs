using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>RandomFlip, RandomContrast and RandomBrightness against Keras' test values and float64 references of Keras' formulas.</summary>
public class FlipAndColorTests
{
    // random_flip_test.py: test_random_flip_horizontal / _vertical, with the draw mocked to 0.1 (so every image flips).
    [Fact]
    public void RandomFlip_MatchesKerasTestValues()
    {
        Tensor row = Tensor.FromArray([2, 3, 4, 5, 6, 7], 1, 1, 2, 3);
        Tensor column = Tensor.FromArray([2, 3, 4, 5, 6, 7], 1, 2, 1, 3);
        Tensor horizontal = FlipUntilFlipped(new RandomFlip(FlipMode.Horizontal, seed: 1), row);
        Assert.Equal([5f, 6, 7, 2, 3, 4], horizontal.ToArray());
        Tensor vertical = FlipUntilFlipped(new RandomFlip(FlipMode.Vertical, seed: 1), column);
        Assert.Equal([5f, 6, 7, 2, 3, 4], vertical.ToArray());
    }

    private static Tensor FlipUntilFlipped(RandomFlip layer, Tensor x)
    {
        for (int call = 0; call < 64; call++)
        {
            Tensor y = layer.Forward(x, training: true);
            if (layer.LastFlips[0] == 1)
            {
                return y;
            }

            Assert.Equal(x.ToArray(), y.ToArray());
        }

        throw new InvalidOperationException("64 calls without a flip.");
    }

    [Theory]
    [InlineData(FlipMode.Horizontal)]
    [InlineData(FlipMode.Vertical)]
    [InlineData(FlipMode.HorizontalAndVertical)]
    public void RandomFlip_FlipsTheDrawnImagesLikeAPlainLoop(FlipMode mode)
    {
        const int batch = 200, height = 3, width = 4, channels = 2;
        var layer = new RandomFlip(mode, seed: 5);
        Tensor x = TestData.Normal(1, 1f, batch, height, width, channels);
        float[] y = layer.Forward(x, training: true).ToArray();
        int flipped = 0;
        for (int n = 0; n < batch; n++)
        {
            bool flip = layer.LastFlips[n] == 1;
            flipped += flip ? 1 : 0;
            for (int r = 0; r < height; r++)
            {
                for (int c = 0; c < width; c++)
                {
                    int sr = flip && mode != FlipMode.Horizontal ? height - 1 - r : r, sc = flip && mode != FlipMode.Vertical ? width - 1 - c : c;
                    for (int k = 0; k < channels; k++)
                    {
                        Assert.Equal(x[n, sr, sc, k], y[(((((n * height) + r) * width) + c) * channels) + k]);
                    }
                }
            }
        }

        Assert.InRange(flipped, 70, 130);
    }

    [Theory]
    [InlineData(FlipMode.Horizontal)]
    [InlineData(FlipMode.Vertical)]
    [InlineData(FlipMode.HorizontalAndVertical)]
    public void RandomFlip_Backward_FlipsTheGradientOfEachFlippedImageBack(FlipMode mode)
    {
        const int batch = 40, size = 3 * 4 * 2;
        var layer = new RandomFlip(mode, seed: 6);
        Tensor x = TestData.Normal(1, 1f, batch, 3, 4, 2), g = TestData.Normal(2, 1f, batch, 3, 4, 2);
        layer.Forward(x, training: true);
        float[] dx = layer.Backward(g).ToArray();
        var expected = new float[size];
        int flipped = 0;
        for (int n = 0; n < batch; n++)
        {
            bool flip = layer.LastFlips[n] == 1;
            flipped += flip ? 1 : 0;
            RandomFlip.Flip(g.AsReadOnlySpan().Slice(n * size, size), 3, 4, 2, flip && mode != FlipMode.Vertical, flip && mode != FlipMode.Horizontal, expected);
            Assert.Equal(expected, dx.AsSpan(n * size, size).ToArray());
            if (!flip)
            {
                Assert.Equal(g.AsReadOnlySpan().Slice(n * size, size).ToArray(), expected);
            }
        }

        Assert.InRange(flipped, 5, 35);
    }

    // random_contrast_test.py: (x − mean) · factor + mean per image and channel, the mean over height then width, clipped.
    [Theory]
    [InlineData(0.0, 255.0)]
    [InlineData(0.0, 1.0)]
    public void RandomContrast_FollowsKerasFormula(double low, double high)
    {
        const int batch = 12, height = 8, width = 16, channels = 3, size = height * width * channels;
        var layer = new RandomContrast((0.5, 0.5), (low, high), seed: 9809);
        Tensor x = Tensor.RandomUniform(new TensorShape(batch, height, width, channels), 9809, 0f, 1f);
        Tensor y = layer.Forward(x, training: true);
        var expected = new double[size];
        for (int n = 0; n < batch; n++)
        {
            double factor = layer.LastFactors[n];
            Assert.InRange(factor, 0.5, 1.5);
            for (int c = 0; c < channels; c++)
            {
                double mean = 0;
                for (int p = 0; p < height * width; p++)
                {
                    mean += x.AsReadOnlySpan()[(n * size) + (p * channels) + c];
                }

                mean /= height * width;
                for (int p = 0; p < height * width; p++)
                {
                    int i = (p * channels) + c;
                    expected[i] = Math.Clamp(((x.AsReadOnlySpan()[(n * size) + i] - mean) * factor) + mean, low, high);
                }
            }

            AugmentationTestKit.AssertClose(expected, y.AsReadOnlySpan().Slice(n * size, size), 1e-5, $"image {n}");
        }
    }

    [Fact]
    public void RandomContrast_Factors_FollowKerasRanges()
    {
        Tensor x = new(500, 2, 2, 1);
        var single = new RandomContrast(0.4, seed: 1);
        Assert.Equal((0.0, 0.4), single.Factor);
        single.Forward(x, training: true);
        Assert.All(single.LastFactors.ToArray(), f => Assert.InRange(f, 1.0, 1.4));
        Assert.True(single.LastFactors.ToArray().Min() < 1.02 && single.LastFactors.ToArray().Max() > 1.38);

        var pair = new RandomContrast((0.3, 0.2), seed: 1);
        Assert.Equal((0.2, 0.3), pair.Factor);
        pair.Forward(x, training: true);
        Assert.All(pair.LastFactors.ToArray(), f => Assert.InRange(f, 0.8, 1.3));
        Assert.True(pair.LastFactors.ToArray().Min() < 0.83 && pair.LastFactors.ToArray().Max() > 1.27);
    }

    // Keras' _set_factor keeps a pair whose upper end exceeds 1: (0.2, 1.5) draws contrast factors from [0.8, 2.5].
    [Fact]
    public void RandomContrast_PairBeyondTheBounds_DrawsFromKerasRange()
    {
        var layer = new RandomContrast((0.2, 1.5), valueRange: (-1e6, 1e6), seed: 2);
        Tensor x = TestData.Normal(5, 1f, 500, 2, 2, 1);
        Tensor y = layer.Forward(x, training: true);
        double[] factors = layer.LastFactors.ToArray();
        Assert.All(factors, f => Assert.InRange(f, 0.8, 2.5));
        Assert.True(factors.Min() < 0.85 && factors.Max() > 2.45);

        // The formula holds beyond 2: (x - mean) * f + mean.
        int last = Array.IndexOf(factors, factors.Max());
        float[] image = x.AsReadOnlySpan().Slice(last * 4, 4).ToArray();
        double mean = image.Average(v => (double)v);
        double[] expected = [.. image.Select(v => ((v - mean) * factors[last]) + mean)];
        AugmentationTestKit.AssertClose(expected, y.AsReadOnlySpan().Slice(last * 4, 4), 1e-5, "the largest contrast factor");
    }

    // The example of Keras' RandomBrightness docstring: a draw of 0.1 adds 0.1 · 255 = 25.5 to every value.
    [Fact]
    public void RandomBrightness_MatchesKerasDocstringExample()
    {
        Tensor image = Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 1, 2, 2, 3);
        Tensor y = new RandomBrightness((0.1, 0.1)).Forward(image, training: true);
        AugmentationTestKit.AssertValues([26.5, 27.5, 28.5, 29.5, 30.5, 31.5, 32.5, 33.5, 34.5, 35.5, 36.5, 37.5], y, 1e-6, "brightness +25.5");
    }

    [Fact]
    public void RandomBrightness_FollowsKerasFormula()
    {
        const int batch = 300, size = 2 * 3 * 2;
        var layer = new RandomBrightness((-0.5, 0.25), (255, -1), seed: 3);
        Assert.Equal((-1.0, 255.0), layer.ValueRange);
        Tensor x = Tensor.RandomUniform(new TensorShape(batch, 2, 3, 2), 4, -1f, 255f);
        Tensor y = layer.Forward(x, training: true);
        double[] deltas = layer.LastDeltas.ToArray();
        Assert.All(deltas, d => Assert.InRange(d, -0.5 * 256, 0.25 * 256));
        Assert.True(deltas.Min() < -0.45 * 256 && deltas.Max() > 0.2 * 256);
        var expected = new double[size];
        for (int n = 0; n < batch; n++)
        {
            for (int i = 0; i < size; i++)
            {
                expected[i] = Math.Clamp(x.AsReadOnlySpan()[(n * size) + i] + deltas[n], -1, 255);
            }

            // float32 sums of values up to 255 round at about 1.5e-5.
            AugmentationTestKit.AssertClose(expected, y.AsReadOnlySpan().Slice(n * size, size), 2e-5, $"image {n}");
        }
    }

    // Where the clip is active the gradient stops; elsewhere it passes (brightness) or goes through the linear map (contrast).
    [Fact]
    public void ClippedValues_GetNoGradient()
    {
        Tensor x = Tensor.FromArray([0.1f, 0.9f, 0.5f, 0.95f], 1, 2, 2, 1);
        var brightness = new RandomBrightness((0.2, 0.2), (0, 1));
        brightness.Forward(x, training: true);
        Assert.Equal([1f, 0f, 1f, 0f], brightness.Backward(Tensor.Ones(1, 2, 2, 1)).ToArray());

        // Contrast factor 1 (the range (0, 0)) keeps every value, and its gradient is the output gradient.
        var contrast = new RandomContrast((0.0, 0.0), (0, 1));
        AugmentationTestKit.AssertClose([0.1, 0.9, 0.5, 0.95], contrast.Forward(x, training: true).AsReadOnlySpan(), 1e-6, "contrast 1");
        Assert.Equal(x.ToArray(), contrast.Backward(x).ToArray());
    }
}
