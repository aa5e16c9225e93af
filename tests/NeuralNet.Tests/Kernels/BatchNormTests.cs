using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class BatchNormTests
{
    private const string Seed = "(31337,11)";

    [Fact]
    public void Statistics_HandComputed_GivesMeanAndBiasedVariance()
    {
        // Two channels over three rows: channel 0 = {1, 2, 3} (mean 2, var 2/3), channel 1 = {10, 10, 40} (mean 20, var 200).
        float[] mean = new float[2], variance = new float[2];

        BatchNorm.Statistics([1, 10, 2, 10, 3, 40], 2, mean, variance, new double[2]);

        Assert.Equal(new float[] { 2, 20 }, mean);
        Assert.Equal(2f / 3f, variance[0], 6);
        Assert.Equal(200f, variance[1], 4);
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void StatisticsAndNormalize_RandomData_EqualReference(long seed)
    {
        var random = new SeededRandom(seed);
        int rows = random.NextInt(40) + 2, channels = random.NextInt(9) + 1;
        float[] x = ConvTestCases.RandomArray(random, rows * channels).Select(v => (v * 3f) + 1f).ToArray();
        float[] gamma = ConvTestCases.RandomArray(random, channels), beta = ConvTestCases.RandomArray(random, channels);
        float[] mean = new float[channels], variance = new float[channels], invStd = new float[channels];
        float[] xhat = new float[x.Length], y = new float[x.Length];
        float[] expectedMean = new float[channels], expectedVariance = new float[channels], expectedY = new float[x.Length];

        BatchNorm.TrainingForwardReference(x, gamma, beta, channels, 1e-3f, expectedMean, expectedVariance, expectedY);
        BatchNorm.Statistics(x, channels, mean, variance, new double[channels]);
        BatchNorm.InverseStandardDeviation(variance, 1e-3f, invStd);
        BatchNorm.Normalize(x, mean, invStd, gamma, beta, channels, xhat, y);

        ConvTestCases.AssertClose(expectedMean, mean, 1e-5f);
        ConvTestCases.AssertClose(expectedVariance, variance, 1e-5f);
        ConvTestCases.AssertClose(expectedY, y, 1e-4f);
    }

    [Fact]
    public void Backward_ConstantOutputGradient_GivesZeroInputGradient()
    {
        // With batch statistics, adding a constant to every dy of a channel changes nothing: the mean is subtracted.
        float[] x = [1, 2, 4, 8], xhat = new float[4], y = new float[4], mean = new float[1], variance = new float[1], invStd = new float[1];
        BatchNorm.Statistics(x, 1, mean, variance, new double[1]);
        BatchNorm.InverseStandardDeviation(variance, 1e-3f, invStd);
        BatchNorm.Normalize(x, mean, invStd, default, default, 1, xhat, y);
        float[] dx = new float[4], dgamma = new float[1], dbeta = new float[1];

        BatchNorm.Backward([3, 3, 3, 3], xhat, default, invStd, 1, batchStatistics: true, dgamma, dbeta, dx, new double[2]);

        Assert.All(dx, v => Assert.Equal(0f, v, 5));
        Assert.Equal(12f, dbeta[0], 5);
        Assert.Equal(0f, dgamma[0], 4);
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void MaskedStatisticsAndNormalize_RandomData_EqualKerasFormula(long seed)
    {
        var random = new SeededRandom(seed);
        int rows = random.NextInt(40) + 2, channels = random.NextInt(9) + 1;
        float[] x = ConvTestCases.RandomArray(random, rows * channels).Select(v => (v * 3f) + 1f).ToArray();
        float[] mask = Enumerable.Range(0, rows).Select(_ => random.NextInt(3) == 0 ? 0f : 1f).ToArray();
        float[] gamma = ConvTestCases.RandomArray(random, channels), beta = ConvTestCases.RandomArray(random, channels);
        float[] mean = new float[channels], variance = new float[channels], invStd = new float[channels];
        float[] xhat = new float[x.Length], y = new float[x.Length];
        float[] expectedMean = new float[channels], expectedVariance = new float[channels], expectedY = new float[x.Length];

        BatchNorm.TrainingForwardReference(x, gamma, beta, channels, 1e-3f, expectedMean, expectedVariance, expectedY, mask);
        BatchNorm.Statistics(x, channels, mean, variance, new double[channels], mask);
        BatchNorm.InverseStandardDeviation(variance, 1e-3f, invStd);
        BatchNorm.Normalize(x, mean, invStd, gamma, beta, channels, xhat, y);

        ConvTestCases.AssertClose(expectedMean, mean, 1e-5f);
        ConvTestCases.AssertClose(expectedVariance, variance, 1e-5f);
        ConvTestCases.AssertClose(expectedY, y, 1e-3f);
    }

    [Fact]
    public void MaskedStatistics_HandComputed_SkipMaskedRowsAsKeras()
    {
        // One channel {1, 2, 100} with the last row masked: mean (1 + 2) / (2 + 1e-7), variance 0.25 (Keras' _moments).
        float[] mean = new float[1], variance = new float[1];

        float divisor = BatchNorm.Statistics([1, 2, 100], 1, mean, variance, new double[1], [1, 1, 0]);

        Assert.Equal(2f, divisor);
        Assert.Equal(1.5f, mean[0]);
        Assert.Equal(0.25f, variance[0]);

        // All masked: Keras divides zero sums by 1e-7, giving mean and variance 0.
        BatchNorm.Statistics([1, 2], 1, mean, variance, new double[1], [0, 0]);
        Assert.Equal(0f, mean[0]);
        Assert.Equal(0f, variance[0]);
        Assert.Throws<ArgumentException>(() => BatchNorm.Statistics([1, 2], 1, mean, variance, new double[1], [1]));
    }
}
