using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

/// <summary>
/// BatchNorm with 16 channels or more (and any channel count with a mask), vectorised over the channels: every output
/// has the bits of the plain per-channel scalar loops below (BatchNorm's code before session 44), for channel counts
/// with and without a tail past the last whole vector and past the input gradient's 256-channel chunk, masked or not.
/// The tests run under every SIMD setting CI uses (AVX-512, AVX2 off, no intrinsics), so the bits hold for each width.
/// </summary>
public class BatchNormManyChannelsTests
{
    public static TheoryData<int, int, bool> Shapes()
    {
        var data = new TheoryData<int, int, bool>();
        foreach (int channels in new[] { 16, 17, 23, 24, 64, 100, 256, 257, 300 })
        {
            foreach (int rows in new[] { 1, 7, 33 })
            {
                data.Add(channels, rows, false);
                data.Add(channels, rows, true);
            }
        }

        // Few channels with a mask take these passes too.
        foreach (int channels in new[] { 1, 3, 8 })
        {
            data.Add(channels, 33, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Statistics_ManyChannels_GiveTheScalarLoopsBits(int channels, int rows, bool masked)
    {
        float[] x = Data(rows * channels, seed: (channels * 1000) + rows, offset: 3f);
        float[] mask = masked ? Mask(rows, seed: channels) : [];
        float[] mean = new float[channels], variance = new float[channels];
        float divisor = BatchNorm.Statistics(x, channels, mean, variance, new double[channels], mask);

        (float[] expectedMean, float[] expectedVariance, float expectedDivisor) = ScalarStatistics(x, channels, mask);
        Assert.Equal(Bits(expectedMean), Bits(mean));
        Assert.Equal(Bits(expectedVariance), Bits(variance));
        Assert.Equal(expectedDivisor, divisor);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void NormalizeAndBackward_ManyChannels_GiveTheScalarLoopsBits(int channels, int rows, bool masked)
    {
        float[] x = Data(rows * channels, seed: rows + channels, offset: -1f), dy = Data(rows * channels, seed: rows * channels, offset: 0.5f);
        float[] gamma = Data(channels, seed: 7, offset: 1f), beta = Data(channels, seed: 8, offset: 0f);
        float[] mask = masked ? Mask(rows, seed: rows) : [];
        float[] mean = new float[channels], variance = new float[channels], invStd = new float[channels];
        float divisor = BatchNorm.Statistics(x, channels, mean, variance, new double[channels], mask);
        BatchNorm.InverseStandardDeviation(variance, 1e-3f, invStd);

        foreach (bool affine in new[] { true, false })
        {
            ReadOnlySpan<float> g = affine ? gamma : default, b = affine ? beta : default;
            float[] xhat = new float[x.Length], y = new float[x.Length];
            BatchNorm.Normalize(x, mean, invStd, g, b, channels, xhat, y);
            float[] expectedXhat = new float[x.Length], expectedY = new float[x.Length];
            ScalarNormalize(x, mean, invStd, g, b, channels, expectedXhat, expectedY);
            Assert.Equal(Bits(expectedXhat), Bits(xhat));
            Assert.Equal(Bits(expectedY), Bits(y));

            foreach (bool batchStatistics in new[] { true, false })
            {
                float[] dx = new float[x.Length], dGamma = Data(channels, seed: 9, offset: 0f), dBeta = Data(channels, seed: 10, offset: 0f);
                float[] expectedDx = new float[x.Length], expectedDGamma = (float[])dGamma.Clone(), expectedDBeta = (float[])dBeta.Clone();
                BatchNorm.Backward(dy, xhat, g, invStd, channels, batchStatistics, affine ? dGamma : default, affine ? dBeta : default, dx,
                    new double[2 * channels], mask, divisor);
                ScalarBackward(dy, xhat, g, invStd, channels, batchStatistics, affine ? expectedDGamma : default, affine ? expectedDBeta : default,
                    expectedDx, mask, divisor);

                Assert.Equal(Bits(expectedDx), Bits(dx));
                Assert.Equal(Bits(expectedDGamma), Bits(dGamma));
                Assert.Equal(Bits(expectedDBeta), Bits(dBeta));
            }
        }
    }

    [Fact]
    public void Statistics_ManyChannels_EqualTheDoubleReference()
    {
        // Not only the old loop's bits: within float rounding of BatchNorm's reference twin (mean and variance).
        const int channels = 64, rows = 200;
        float[] x = Data(rows * channels, seed: 3, offset: 2f);
        float[] mean = new float[channels], variance = new float[channels];
        BatchNorm.Statistics(x, channels, mean, variance, new double[channels]);
        float[] referenceMean = new float[channels], referenceVariance = new float[channels], y = new float[x.Length];
        BatchNorm.TrainingForwardReference(x, default, default, channels, 1e-3f, referenceMean, referenceVariance, y);
        ConvTestCases.AssertClose(referenceMean, mean, 1e-6f);
        ConvTestCases.AssertClose(referenceVariance, variance, 1e-6f);
    }

    // BatchNorm.Statistics' loops before session 44: one double sum per channel, rows in order.
    private static (float[] Mean, float[] Variance, float Divisor) ScalarStatistics(float[] x, int channels, float[] rowMask)
    {
        int rows = x.Length / channels, counted = 0;
        bool masked = rowMask.Length > 0;
        var sums = new double[channels];
        float[] mean = new float[channels], variance = new float[channels];
        for (int r = 0; r < rows; r++)
        {
            if (masked && rowMask[r] == 0)
            {
                continue;
            }

            counted++;
            for (int c = 0; c < channels; c++)
            {
                sums[c] += x[(r * channels) + c];
            }
        }

        double divisor = masked ? (double)(counted + 1e-7f) : rows;
        for (int c = 0; c < channels; c++)
        {
            mean[c] = (float)(sums[c] / divisor);
        }

        Array.Clear(sums);
        for (int r = 0; r < rows; r++)
        {
            if (masked && rowMask[r] == 0)
            {
                continue;
            }

            for (int c = 0; c < channels; c++)
            {
                double d = x[(r * channels) + c] - (double)mean[c];
                sums[c] += d * d;
            }
        }

        for (int c = 0; c < channels; c++)
        {
            variance[c] = (float)(sums[c] / divisor);
        }

        return (mean, variance, (float)divisor);
    }

    private static void ScalarNormalize(float[] x, float[] mean, float[] invStd, ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta, int channels,
        float[] xhat, float[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            int c = i % channels;
            float h = (x[i] - mean[c]) * invStd[c];
            xhat[i] = h;
            y[i] = (gamma.IsEmpty ? h : gamma[c] * h) + (beta.IsEmpty ? 0f : beta[c]);
        }
    }

    // BatchNorm.Backward's loops before session 44.
    private static void ScalarBackward(float[] dy, float[] xhat, ReadOnlySpan<float> gamma, float[] invStd, int channels, bool batchStatistics,
        Span<float> gammaGradient, Span<float> betaGradient, float[] dx, float[] rowMask, float divisor)
    {
        int rows = dy.Length / channels;
        double count = rowMask.Length == 0 ? rows : divisor;
        var sumDy = new double[channels];
        var sumDyXhat = new double[channels];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < channels; c++)
            {
                sumDy[c] += dy[(r * channels) + c];
                sumDyXhat[c] += (double)dy[(r * channels) + c] * xhat[(r * channels) + c];
            }
        }

        for (int c = 0; c < channels; c++)
        {
            if (!gammaGradient.IsEmpty)
            {
                gammaGradient[c] += (float)sumDyXhat[c];
            }

            if (!betaGradient.IsEmpty)
            {
                betaGradient[c] += (float)sumDy[c];
            }
        }

        for (int r = 0; r < rows; r++)
        {
            bool inStatistics = batchStatistics && (rowMask.Length == 0 || rowMask[r] != 0);
            for (int c = 0; c < channels; c++)
            {
                int i = (r * channels) + c;
                float scale = (gamma.IsEmpty ? 1f : gamma[c]) * invStd[c];
                dx[i] = inStatistics ? scale * (float)(dy[i] - (sumDy[c] / count) - (xhat[i] * sumDyXhat[c] / count)) : scale * dy[i];
            }
        }
    }

    // About a third of the rows masked, never all of them.
    private static float[] Mask(int rows, int seed)
    {
        var random = new Random(seed);
        float[] mask = Enumerable.Range(0, rows).Select(_ => random.Next(3) == 0 ? 0f : 1f).ToArray();
        mask[0] = 1f;
        return mask;
    }

    private static float[] Data(int length, int seed, float offset)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => offset + (float)((random.NextDouble() * 4) - 2)).ToArray();
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
