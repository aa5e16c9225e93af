using System.Text.Json.Nodes;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Initializers;

public class TruncatedNormalTests
{
    private static float[] Fill(Initializer initializer, long seed, params int[] dims)
    {
        var shape = new TensorShape(dims);
        var values = new float[shape.ElementCount];
        initializer.Initialize(values, shape, seed);
        return values;
    }

    private static Initializer Read(string json) => SerializationRegistry.Deserialize<Initializer>(JsonNode.Parse(json)!, new Config(), "kernel_initializer");

    [Fact]
    public void Defaults_AreKeras_MeanZeroStandardDeviationPointZeroFive()
    {
        var initializer = new TruncatedNormal();
        Assert.Equal((0.0, 0.05, (long?)null), (initializer.Mean, initializer.StandardDeviation, initializer.Seed));
        Assert.Equal("truncated_normal", initializer.Name);
        Assert.Equal("{\"mean\":0,\"stddev\":0.05,\"seed\":null}", initializer.GetConfig().ToJson());
    }

    [Fact]
    public void Values_WithinTwoStandardDeviationsOfTheMean_WithTheTruncatedNormalsMoments()
    {
        const double mean = 1.5, sd = 0.2;
        float[] w = Fill(new TruncatedNormal(mean, sd), 8, 300, 300);
        Assert.All(w, v => Assert.InRange(v, mean - (2 * sd) - 1e-6, mean + (2 * sd) + 1e-6));
        Assert.True(w.Max() > mean + (1.99 * sd) && w.Min() < mean - (1.99 * sd));
        double m = w.Average(v => (double)v), deviation = Math.Sqrt(w.Average(v => (v - m) * (v - m)));
        Assert.InRange(m, mean - (0.005 * sd), mean + (0.005 * sd));

        // The standard deviation of a unit normal truncated to [-2, 2] is 0.87962566103423978 (Keras' constant).
        Assert.InRange(deviation, 0.995 * 0.87962566103423978 * sd, 1.005 * 0.87962566103423978 * sd);
    }

    [Fact]
    public void Values_AreTheTruncatedDrawsOfRandomNormalsStream()
    {
        // Same seed: every normal draw within two standard deviations is kept in order, the others are redrawn.
        float[] normal = Fill(new RandomNormal(0, 1), 6, 4000);
        float[] truncated = Fill(new TruncatedNormal(0, 1), 6, 1000);
        Assert.Equal(normal.Where(v => Math.Abs(v) <= 2f).Take(1000), truncated);
    }

    [Fact]
    public void Seed_SameSeedSameBits_OwnSeedOverridesTheLayers()
    {
        Assert.Equal(Fill(new TruncatedNormal(), 4, 30, 20), Fill(new TruncatedNormal(), 4, 30, 20));
        Assert.NotEqual(Fill(new TruncatedNormal(), 4, 30, 20), Fill(new TruncatedNormal(), 5, 30, 20));
        Assert.Equal(Fill(new TruncatedNormal(seed: 9), 4, 30, 20), Fill(new TruncatedNormal(seed: 9), 5, 30, 20));
    }

    [Fact]
    public void Constructor_BadArguments_NameTheParameter()
    {
        Assert.Equal("mean", Assert.Throws<ArgumentOutOfRangeException>(() => new TruncatedNormal(double.NaN)).ParamName);
        Assert.Equal("mean", Assert.Throws<ArgumentOutOfRangeException>(() => new TruncatedNormal(double.NegativeInfinity)).ParamName);
        Assert.Equal("standardDeviation", Assert.Throws<ArgumentOutOfRangeException>(() => new TruncatedNormal(0, -0.1)).ParamName);
        Assert.Equal("standardDeviation", Assert.Throws<ArgumentOutOfRangeException>(() => new TruncatedNormal(0, double.PositiveInfinity)).ParamName);
    }

    [Fact]
    public void Config_RoundTripsThroughALayer_AndKerasConfigsLoad()
    {
        var dense = new Dense(4, kernelInitializer: new TruncatedNormal(0.5, 0.25, seed: 7));
        Assert.Contains("\"kernel_initializer\":{\"class_name\":\"TruncatedNormal\",\"config\":{\"mean\":0.5,\"stddev\":0.25,\"seed\":7}}", dense.GetConfig().ToJson(), StringComparison.Ordinal);
        var copy = Assert.IsType<TruncatedNormal>(Assert.IsType<Dense>(SerializationRegistry.Recreate(dense)).KernelInitializer);
        Assert.Equal((0.5, 0.25, (long?)7), (copy.Mean, copy.StandardDeviation, copy.Seed));

        var read = Assert.IsType<TruncatedNormal>(Read("""
            {"module": "keras.initializers", "class_name": "TruncatedNormal", "config": {"seed": null, "mean": 0.0, "stddev": 0.02}, "registered_name": null}
            """));
        Assert.Equal((0.0, 0.02, (long?)null), (read.Mean, read.StandardDeviation, read.Seed));
        Assert.Equal(0.05, Assert.IsType<TruncatedNormal>(Read("\"truncated_normal\"")).StandardDeviation);
        Assert.Contains("standardDeviation=-1", Assert.Throws<InvalidDataException>(() => Read("""{"class_name": "TruncatedNormal", "config": {"stddev": -1}}""")).Message, StringComparison.Ordinal);
    }
}
