using NeuralNet.Initializers;
using Xunit;

namespace NeuralNet.Tests.Initializers;

public class InitializerTests
{
    private static float[] Fill(Initializer initializer, long seed, params int[] dims)
    {
        var shape = new TensorShape(dims);
        var values = new float[shape.ElementCount];
        initializer.Initialize(values, shape, seed);
        return values;
    }

    private static (double Mean, double StandardDeviation) Moments(float[] values)
    {
        double mean = values.Average(v => (double)v);
        double variance = values.Average(v => (v - mean) * (v - mean));
        return (mean, Math.Sqrt(variance));
    }

    [Theory]
    [InlineData(new int[0], 1, 1)]
    [InlineData(new[] { 7 }, 7, 7)]
    [InlineData(new[] { 784, 512 }, 784, 512)]
    [InlineData(new[] { 3, 3, 1, 32 }, 9, 288)]
    [InlineData(new[] { 3, 3, 32, 64 }, 288, 576)]
    [InlineData(new[] { 5, 4, 3 }, 20, 15)]
    public void Fans_AnyKernelShape_MatchKerasComputeFans(int[] dims, long fanIn, long fanOut)
    {
        Assert.Equal((fanIn, fanOut), Fans.Compute(new TensorShape(dims)));
    }

    [Fact]
    public void GlorotUniform_DenseKernel_WithinLimitWithUniformVariance()
    {
        float[] w = Fill(new GlorotUniform(), 1, 300, 200);
        double limit = Math.Sqrt(6.0 / 500);
        Assert.All(w, v => Assert.InRange(v, -limit, limit));
        (double mean, double sd) = Moments(w);
        Assert.InRange(mean, -0.002, 0.002);
        Assert.InRange(sd, 0.98 * limit / Math.Sqrt(3), 1.02 * limit / Math.Sqrt(3));
        Assert.True(w.Max() > 0.99 * limit && w.Min() < -0.99 * limit);
    }

    [Fact]
    public void GlorotUniform_ConvKernel_UsesReceptiveField()
    {
        float[] w = Fill(new GlorotUniform(), 2, 3, 3, 32, 64);
        double limit = Math.Sqrt(6.0 / (288 + 576));
        Assert.All(w, v => Assert.InRange(v, -limit, limit));
        Assert.True(w.Max() > 0.99 * limit);
    }

    [Theory]
    [InlineData("glorot_normal", 300, 200, 2.0 / 500)]
    [InlineData("he_normal", 300, 200, 2.0 / 300)]
    [InlineData("lecun_normal", 300, 200, 1.0 / 300)]
    public void TruncatedNormals_WithinTwoStandardDeviationsWithTargetVariance(string name, int fanIn, int fanOut, double variance)
    {
        Initializer initializer = name switch
        {
            "glorot_normal" => new GlorotNormal(),
            "he_normal" => new HeNormal(),
            _ => new LeCunNormal(),
        };
        Assert.Equal(name, initializer.Name);
        float[] w = Fill(initializer, 3, fanIn, fanOut);
        double target = Math.Sqrt(variance);
        double preTruncation = target / 0.87962566103423978;
        Assert.All(w, v => Assert.InRange(Math.Abs(v), 0, (2 * preTruncation) + 1e-6));
        (double mean, double sd) = Moments(w);
        Assert.InRange(mean, -0.05 * target, 0.05 * target);
        Assert.InRange(sd, 0.98 * target, 1.02 * target);
    }

    [Fact]
    public void HeUniform_LimitIsSqrtSixOverFanIn()
    {
        float[] w = Fill(new HeUniform(), 4, 150, 40);
        double limit = Math.Sqrt(6.0 / 150);
        Assert.All(w, v => Assert.InRange(v, -limit, limit));
        Assert.True(w.Max() > 0.99 * limit);
    }

    [Fact]
    public void RandomNormal_KerasDefaults_MeanZeroStandardDeviationPointZeroFive()
    {
        var initializer = new RandomNormal();
        Assert.Equal(0.0, initializer.Mean);
        Assert.Equal(0.05, initializer.StandardDeviation);
        (double mean, double sd) = Moments(Fill(initializer, 5, 200, 300));
        Assert.InRange(mean, -0.001, 0.001);
        Assert.InRange(sd, 0.049, 0.051);
        Assert.Contains(Fill(initializer, 5, 200, 300), v => Math.Abs(v) > 0.1f); // not truncated
        Assert.Equal(2.5, Moments(Fill(new RandomNormal(2.5, 0), 1, 10)).Mean, 6);
    }

    [Fact]
    public void RandomUniform_KerasDefaults_WithinPlusMinusPointZeroFive()
    {
        float[] w = Fill(new RandomUniform(), 6, 100, 100);
        Assert.All(w, v => Assert.InRange(v, -0.05f, 0.05f));
        Assert.InRange(Moments(w).Mean, -0.001, 0.001);
        Assert.All(Fill(new RandomUniform(2, 3), 6, 100), v => Assert.InRange(v, 2f, 3f));
    }

    [Fact]
    public void Deterministic_Initializers_FillTheirValue()
    {
        Assert.All(Fill(new Zeros(), 1, 4, 5), v => Assert.Equal(0f, v));
        Assert.All(Fill(new Ones(), 1, 4, 5), v => Assert.Equal(1f, v));
        Assert.All(Fill(new Constant(0.25f), 1, 4, 5), v => Assert.Equal(0.25f, v));
        Assert.Equal("zeros", Zeros.Instance.Name);
        Assert.Equal("constant", new Constant().Name);
    }

    [Fact]
    public void Seeds_SameSeedSameValues_ConstructorSeedOverridesLayerSeed()
    {
        Assert.Equal(Fill(new GlorotUniform(), 7, 20, 10), Fill(new GlorotUniform(), 7, 20, 10));
        Assert.NotEqual(Fill(new GlorotUniform(), 7, 20, 10), Fill(new GlorotUniform(), 8, 20, 10));
        // With its own seed, the layer-derived seed (the argument) is ignored.
        Assert.Equal(Fill(new HeNormal(seed: 99), 7, 20, 10), Fill(new HeNormal(seed: 99), 8, 20, 10));
        Assert.Equal(Fill(new RandomUniform(seed: 99), 7, 20), Fill(new RandomUniform(seed: 99), 8, 20));
        Assert.Equal(Fill(new RandomNormal(seed: 99), 7, 20), Fill(new RandomNormal(seed: 99), 8, 20));
        Assert.Equal(Fill(new HeNormal(), 99, 20, 10), Fill(new HeNormal(seed: 99), 8, 20, 10));
    }

    [Fact]
    public void Constructors_InvalidParameters_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomNormal(0, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomNormal(double.NaN));
        Assert.Throws<ArgumentException>(() => new RandomUniform(1, -1));
        Assert.Throws<ArgumentException>(() => new RandomUniform(0, double.PositiveInfinity));
    }

    [Fact]
    public void Names_MatchKeras()
    {
        Assert.Equal(
            ["glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal", "random_normal", "random_uniform", "ones"],
            new Initializer[] { new GlorotUniform(), new GlorotNormal(), new HeNormal(), new HeUniform(), new LeCunNormal(), new RandomNormal(), new RandomUniform(), new Ones() }.Select(i => i.Name));
    }
}
