using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

/// <summary>
/// BatchNorm with fewer than 16 channels, vectorised over rows: the sums follow the documented blocked order exactly
/// (so they are the same for every vector width), stay within float rounding of a double reference, and the
/// element-wise passes give the bits of BatchNorm's scalar formulas. Every tail length of the 16-row blocks is covered.
/// </summary>
public class BatchNormFewChannelsTests
{
    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (int channels in new[] { 1, 2, 3, 5, 7, 8, 15, 16, 17 })
        {
            foreach (int rows in new[] { 1, 15, 16, 17, 31, 33, 1000, 1007 })
            {
                data.Add(channels, rows);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Statistics_FewChannels_FollowTheBlockedOrderAndTheReference(int channels, int rows)
    {
        float[] x = Data(rows * channels, seed: (channels * 1000) + rows, offset: 3f);
        float[] mean = new float[channels], variance = new float[channels];
        BatchNorm.Statistics(x, channels, mean, variance, new double[channels]);

        float[] referenceMean = new float[channels], referenceVariance = new float[channels], y = new float[x.Length];
        BatchNorm.TrainingForwardReference(x, default, default, channels, 1e-3f, referenceMean, referenceVariance, y);
        ConvTestCases.AssertClose(referenceMean, mean, 1e-5f);
        ConvTestCases.AssertClose(referenceVariance, variance, 1e-5f);

        // The order the kernel documents, written without vectors: lanes over blocks of 16 rows, folded, then the tail.
        double[] sums = BlockedSums(x, channels, null);
        float[] expectedMean = sums.Select(s => (float)(s / rows)).ToArray();
        sums = BlockedSums(x, channels, expectedMean);
        float[] expectedVariance = sums.Select(s => (float)(s / rows)).ToArray();
        if (channels < BatchNormFewChannels.MaxChannels)
        {
            Assert.Equal(Bits(expectedMean), Bits(mean));
            Assert.Equal(Bits(expectedVariance), Bits(variance));
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void NormalizeAndBackward_FewChannels_GiveTheScalarFormulasBits(int channels, int rows)
    {
        float[] x = Data(rows * channels, seed: rows + channels, offset: -1f), dy = Data(rows * channels, seed: rows * channels, offset: 0.5f);
        float[] gamma = Data(channels, seed: 7, offset: 1f), beta = Data(channels, seed: 8, offset: 0f);
        float[] mean = new float[channels], variance = new float[channels], invStd = new float[channels];
        BatchNorm.Statistics(x, channels, mean, variance, new double[channels]);
        BatchNorm.InverseStandardDeviation(variance, 1e-3f, invStd);

        foreach (bool affine in new[] { true, false })
        {
            ReadOnlySpan<float> g = affine ? gamma : default, b = affine ? beta : default;
            float[] xhat = new float[x.Length], y = new float[x.Length];
            BatchNorm.Normalize(x, mean, invStd, g, b, channels, xhat, y);
            float[] expectedXhat = new float[x.Length], expectedY = new float[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                int c = i % channels;
                float h = (x[i] - mean[c]) * invStd[c];
                expectedXhat[i] = h;
                expectedY[i] = (g.IsEmpty ? h : g[c] * h) + (b.IsEmpty ? 0f : b[c]);
            }

            Assert.Equal(Bits(expectedXhat), Bits(xhat));
            Assert.Equal(Bits(expectedY), Bits(y));

            foreach (bool batchStatistics in new[] { true, false })
            {
                float[] dx = new float[x.Length], dGamma = new float[channels], dBeta = new float[channels];
                var scratch = new double[2 * channels];
                BatchNorm.Backward(dy, xhat, g, invStd, channels, batchStatistics, affine ? dGamma : default, affine ? dBeta : default, dx, scratch);

                // The input gradient from the kernel's own sums, by BatchNorm's scalar formula.
                double[] sumDy = scratch[..channels], sumDyXhat = scratch[channels..];
                float[] expected = new float[x.Length];
                for (int i = 0; i < x.Length; i++)
                {
                    int c = i % channels;
                    float scale = (g.IsEmpty ? 1f : g[c]) * invStd[c];
                    expected[i] = batchStatistics ? scale * (float)(dy[i] - (sumDy[c] / rows) - (xhat[i] * sumDyXhat[c] / rows)) : scale * dy[i];
                }

                Assert.Equal(Bits(expected), Bits(dx));
                for (int c = 0; c < channels && affine; c++)
                {
                    double referenceDy = 0, referenceDyXhat = 0;
                    for (int r = 0; r < rows; r++)
                    {
                        referenceDy += dy[(r * channels) + c];
                        referenceDyXhat += (double)dy[(r * channels) + c] * xhat[(r * channels) + c];
                    }

                    Assert.Equal(referenceDy, dBeta[c], Math.Max(1e-4, Math.Abs(referenceDy) * 1e-6));
                    Assert.Equal(referenceDyXhat, dGamma[c], Math.Max(1e-4, Math.Abs(referenceDyXhat) * 1e-6));
                }
            }
        }
    }

    // Σ over rows (of (x − mean)² when mean is given) in the order BatchNormFewChannels documents.
    private static double[] BlockedSums(float[] x, int channels, float[]? mean)
    {
        int width = 16 * channels, blocks = x.Length / width;
        var acc = new double[width];
        var sums = new double[channels];
        for (int b = 0; b < blocks; b++)
        {
            for (int e = 0; e < width; e++)
            {
                acc[e] += Term(x[(b * width) + e], e % channels);
            }
        }

        for (int e = 0; e < width; e++)
        {
            sums[e % channels] += acc[e];
        }

        for (int i = blocks * width; i < x.Length; i++)
        {
            sums[i % channels] += Term(x[i], i % channels);
        }

        return sums;

        double Term(float value, int c)
        {
            if (mean is null)
            {
                return value;
            }

            double d = value - (double)mean[c];
            return d * d;
        }
    }

    private static float[] Data(int length, int seed, float offset)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => offset + (float)((random.NextDouble() * 4) - 2)).ToArray();
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
