using System.Text.Json.Nodes;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Initializers;

public class VarianceScalingTests
{
    private static float[] Fill(Initializer initializer, long seed, params int[] dims)
    {
        var shape = new TensorShape(dims);
        var values = new float[shape.ElementCount];
        initializer.Initialize(values, shape, seed);
        return values;
    }

    // A plain twin of the draws every variance-scaling initializer makes (SeededRandom, one uniform double per value, or
    // Box-Muller normals redrawn outside two standard deviations), written out here so that a refactoring of the shared
    // helper cannot change a single bit of GlorotUniform, HeNormal, ... unnoticed.
    private static float[] Reference(bool uniform, bool truncate, double scale, double fan, long seed, int count)
    {
        var random = new SeededRandom(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            if (uniform)
            {
                double limit = Math.Sqrt(3.0 * scale / Math.Max(1.0, fan));
                values[i] = (float)(-limit + (2 * limit * random.NextDouble()));
                continue;
            }

            float z = random.NextNormal();
            while (truncate && Math.Abs(z) > 2f)
            {
                z = random.NextNormal();
            }

            double sd = Math.Sqrt(scale / Math.Max(1.0, fan)) / (truncate ? 0.87962566103423978 : 1.0);
            values[i] = (float)(0.0 + (sd * z));
        }

        return values;
    }

    [Fact]
    public void KerasFamilies_SameBitsAsThePlainFormula()
    {
        // (20, 30): fan_in 20, fan_out 30, fan_avg 25; (3, 3, 4, 8): receptive field 9, fan_in 36, fan_out 72, fan_avg 54.
        Assert.Equal(Reference(true, false, 1.0, 25, 11, 600), Fill(new GlorotUniform(), 11, 20, 30));
        Assert.Equal(Reference(false, true, 1.0, 25, 11, 600), Fill(new GlorotNormal(), 11, 20, 30));
        Assert.Equal(Reference(true, false, 2.0, 36, 12, 288), Fill(new HeUniform(), 12, 3, 3, 4, 8));
        Assert.Equal(Reference(false, true, 2.0, 36, 12, 288), Fill(new HeNormal(), 12, 3, 3, 4, 8));
        Assert.Equal(Reference(true, false, 1.0, 20, 13, 600), Fill(new LeCunUniform(), 13, 20, 30));
        Assert.Equal(Reference(false, true, 1.0, 20, 13, 600), Fill(new LeCunNormal(seed: 13), 99, 20, 30));
    }

    private static (double Mean, double StandardDeviation) Moments(float[] values)
    {
        double mean = values.Average(v => (double)v);
        return (mean, Math.Sqrt(values.Average(v => (v - mean) * (v - mean))));
    }

    private static Initializer Read(string json) => SerializationRegistry.Deserialize<Initializer>(JsonNode.Parse(json)!, new Config(), "kernel_initializer");

    [Fact]
    public void Defaults_AreKeras()
    {
        var initializer = new VarianceScaling();
        Assert.Equal(1.0, initializer.Scale);
        Assert.Equal(VarianceScalingMode.FanIn, initializer.Mode);
        Assert.Equal(VarianceScalingDistribution.TruncatedNormal, initializer.Distribution);
        Assert.Null(initializer.Seed);
        Assert.Equal("variance_scaling", initializer.Name);
        Assert.Equal("{\"scale\":1,\"mode\":\"fan_in\",\"distribution\":\"truncated_normal\",\"seed\":null}", initializer.GetConfig().ToJson());
    }

    [Fact]
    public void KerasFamilies_AreVarianceScalingWithTheirSettings_BitForBit()
    {
        Assert.Equal(Fill(new GlorotUniform(), 5, 20, 30), Fill(new VarianceScaling(1.0, VarianceScalingMode.FanAverage, VarianceScalingDistribution.Uniform), 5, 20, 30));
        Assert.Equal(Fill(new GlorotNormal(), 5, 20, 30), Fill(new VarianceScaling(1.0, VarianceScalingMode.FanAverage), 5, 20, 30));
        Assert.Equal(Fill(new HeUniform(), 5, 3, 3, 4, 8), Fill(new VarianceScaling(2.0, distribution: VarianceScalingDistribution.Uniform), 5, 3, 3, 4, 8));
        Assert.Equal(Fill(new HeNormal(), 5, 3, 3, 4, 8), Fill(new VarianceScaling(2.0), 5, 3, 3, 4, 8));
        Assert.Equal(Fill(new LeCunUniform(), 5, 20, 30), Fill(new VarianceScaling(distribution: VarianceScalingDistribution.Uniform), 5, 20, 30));
        Assert.Equal(Fill(new LeCunNormal(), 5, 20, 30), Fill(new VarianceScaling(), 5, 20, 30));
    }

    [Theory]
    [InlineData(VarianceScalingMode.FanIn, 400.0)]
    [InlineData(VarianceScalingMode.FanOut, 250.0)]
    [InlineData(VarianceScalingMode.FanAverage, 325.0)]
    public void EveryDistribution_HasVarianceScaleOverFan(VarianceScalingMode mode, double fan)
    {
        const double scale = 0.5;
        double sd = Math.Sqrt(scale / fan);

        // Truncated: within two pre-truncation standard deviations (sd / 0.8796...), standard deviation sd after truncation.
        float[] truncated = Fill(new VarianceScaling(scale, mode, VarianceScalingDistribution.TruncatedNormal), 21, 400, 250);
        double bound = 2 * sd / 0.87962566103423978;
        Assert.All(truncated, v => Assert.InRange(Math.Abs(v), 0, bound + 1e-7));
        Assert.True(truncated.Max(Math.Abs) > 0.99 * bound);
        (double mean, double deviation) = Moments(truncated);
        Assert.InRange(mean, -0.01 * sd, 0.01 * sd);
        Assert.InRange(deviation, 0.99 * sd, 1.01 * sd);

        // Untruncated: standard deviation sd, with values beyond two and three of them.
        float[] normal = Fill(new VarianceScaling(scale, mode, VarianceScalingDistribution.UntruncatedNormal), 22, 400, 250);
        (mean, deviation) = Moments(normal);
        Assert.InRange(mean, -0.01 * sd, 0.01 * sd);
        Assert.InRange(deviation, 0.99 * sd, 1.01 * sd);
        Assert.Contains(normal, v => Math.Abs(v) > 3 * sd);

        // Uniform: within ±sqrt(3 scale / n), so standard deviation sd.
        float[] uniform = Fill(new VarianceScaling(scale, mode, VarianceScalingDistribution.Uniform), 23, 400, 250);
        double limit = Math.Sqrt(3 * scale / fan);
        Assert.All(uniform, v => Assert.InRange(v, -limit, limit));
        Assert.True(uniform.Max() > 0.999 * limit && uniform.Min() < -0.999 * limit);
        (mean, deviation) = Moments(uniform);
        Assert.InRange(mean, -0.01 * sd, 0.01 * sd);
        Assert.InRange(deviation, 0.99 * sd, 1.01 * sd);
    }

    [Fact]
    public void Seed_SameSeedSameBits_OwnSeedOverridesTheLayers()
    {
        Assert.Equal(Fill(new VarianceScaling(), 4, 30, 20), Fill(new VarianceScaling(), 4, 30, 20));
        Assert.NotEqual(Fill(new VarianceScaling(), 4, 30, 20), Fill(new VarianceScaling(), 5, 30, 20));
        Assert.Equal(Fill(new VarianceScaling(seed: 9), 4, 30, 20), Fill(new VarianceScaling(seed: 9), 5, 30, 20));
        Assert.Equal(Fill(new VarianceScaling(), 9, 30, 20), Fill(new VarianceScaling(seed: 9), 5, 30, 20));
    }

    [Fact]
    public void Constructor_BadArguments_NameTheParameter()
    {
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => new VarianceScaling(0)).ParamName);
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => new VarianceScaling(-1)).ParamName);
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => new VarianceScaling(double.NaN)).ParamName);
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => new VarianceScaling(double.PositiveInfinity)).ParamName);
        Assert.Equal("mode", Assert.Throws<ArgumentOutOfRangeException>(() => new VarianceScaling(mode: (VarianceScalingMode)7)).ParamName);
        Assert.Equal("distribution", Assert.Throws<ArgumentOutOfRangeException>(() => new VarianceScaling(distribution: (VarianceScalingDistribution)7)).ParamName);
    }

    [Fact]
    public void Config_RoundTripsThroughALayer()
    {
        var dense = new Dense(4, kernelInitializer: new VarianceScaling(2.5, VarianceScalingMode.FanOut, VarianceScalingDistribution.UntruncatedNormal, seed: 3));
        string json = dense.GetConfig().ToJson();
        Assert.Contains("\"kernel_initializer\":{\"class_name\":\"VarianceScaling\",\"config\":{\"scale\":2.5,\"mode\":\"fan_out\",\"distribution\":\"untruncated_normal\",\"seed\":3}}", json, StringComparison.Ordinal);
        var copy = Assert.IsType<VarianceScaling>(Assert.IsType<Dense>(SerializationRegistry.Recreate(dense)).KernelInitializer);
        Assert.Equal((2.5, VarianceScalingMode.FanOut, VarianceScalingDistribution.UntruncatedNormal, (long?)3), (copy.Scale, copy.Mode, copy.Distribution, copy.Seed));

        // The Keras families keep their own class names, as Keras saves them.
        Assert.Contains("\"class_name\":\"GlorotNormal\"", new Dense(4, kernelInitializer: new GlorotNormal()).GetConfig().ToJson(), StringComparison.Ordinal);
    }

    [Fact]
    public void KerasConfigs_Load()
    {
        var read = Assert.IsType<VarianceScaling>(Read("""
            {"module": "keras.initializers", "class_name": "VarianceScaling",
             "config": {"seed": null, "scale": 2.0, "mode": "fan_avg", "distribution": "uniform"}, "registered_name": null}
            """));
        Assert.Equal((2.0, VarianceScalingMode.FanAverage, VarianceScalingDistribution.Uniform, (long?)null), (read.Scale, read.Mode, read.Distribution, read.Seed));

        // Keras lower-cases the distribution and reads "normal" as "truncated_normal"; absent settings take Keras' defaults.
        read = Assert.IsType<VarianceScaling>(Read("""{"class_name": "VarianceScaling", "config": {"distribution": "Normal", "seed": 42}}"""));
        Assert.Equal((1.0, VarianceScalingMode.FanIn, VarianceScalingDistribution.TruncatedNormal, (long?)42), (read.Scale, read.Mode, read.Distribution, read.Seed));
        Assert.IsType<VarianceScaling>(Read("\"variance_scaling\""));
    }

    [Theory]
    [InlineData("\"mode\": \"FAN_IN\"", "\"mode\" is \"FAN_IN\"")]
    [InlineData("\"distribution\": \"gamma\"", "\"distribution\" is \"gamma\"")]
    [InlineData("\"scale\": 0", "\"scale\" is 0")]
    [InlineData("\"scale\": -2.5", "\"scale\" is -2.5")]
    public void KerasConfigs_BadSettings_AreRefusedNamingThem(string setting, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => Read("{\"class_name\": \"VarianceScaling\", \"config\": {" + setting + "}}"));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
