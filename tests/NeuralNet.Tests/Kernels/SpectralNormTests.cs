using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class SpectralNormTests
{
    private const string Seed = "(4242,17)";

    [Property(Replay = Seed, MaxTest = 60)]
    public void PowerIteration_RandomShapes_EqualsFloat64Reference(long seed)
    {
        var random = new SeededRandom(seed);
        int rows = random.NextInt(20) + 1, columns = random.NextInt(9) + 1, iterations = random.NextInt(4) + 1;
        float[] w = ConvTestCases.RandomArray(random, rows * columns);
        float[] u = ConvTestCases.RandomArray(random, columns);
        float[] v = new float[rows], t = new float[columns];
        double[] wd = [.. w.Select(x => (double)x)], ud = [.. u.Select(x => (double)x)], vd = new double[rows];

        double expectedSigma = SpectralNorm.PowerIterationReference(wd, columns, iterations, ud, vd);
        float sigma = SpectralNorm.PowerIteration(w, columns, iterations, u, v, t);

        Assert.True(Math.Abs(sigma - expectedSigma) <= 1e-5 * (1 + Math.Abs(expectedSigma)), $"sigma {sigma} vs {expectedSigma}");
        ConvTestCases.AssertClose([.. ud.Select(x => (float)x)], u, 1e-4f);
        ConvTestCases.AssertClose([.. vd.Select(x => (float)x)], v, 1e-4f);

    }

    [Fact]
    public void PowerIteration_ZeroStartVector_StaysZeroWithoutNaN()
    {
        // Keras' normalize caps 1 / ||x|| at 1e7, so a zero vector stays zero (and sigma is 0) instead of becoming NaN.
        float[] u = new float[2], v = new float[3], t = new float[2];
        float sigma = SpectralNorm.PowerIteration([1, 2, 3, 4, 5, 6], 2, 3, u, v, t);
        Assert.Equal(0f, sigma);
        Assert.Equal([0f, 0f], u);
        Assert.Equal([0f, 0f, 0f], v);
    }

    [Fact]
    public void PowerIteration_HandComputed_DiagonalKernel()
    {
        // W = diag(3, 4), u = (1, 1): v = (3, 4) / 5, t = v W = (9, 16) / 5, u = (9, 16) / sqrt(337), sigma = t · u = sqrt(337) / 5.
        float[] u = [1f, 1f], v = new float[2], t = new float[2];
        float sigma = SpectralNorm.PowerIteration([3, 0, 0, 4], 2, 1, u, v, t);
        Assert.Equal(MathF.Sqrt(337f) / 5f, sigma, 5);
        Assert.Equal([0.6f, 0.8f], v, new Layers.Tolerance(1e-6f));
        Assert.Equal([9f / MathF.Sqrt(337f), 16f / MathF.Sqrt(337f)], u, new Layers.Tolerance(1e-6f));
        Assert.True(SpectralNorm.IsAllZero([0f, -0f]));
        Assert.False(SpectralNorm.IsAllZero([0f, float.NaN]));
    }
}
