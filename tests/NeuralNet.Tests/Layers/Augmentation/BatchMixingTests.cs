using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>
/// MixUp and CutMix: Keras' formulas on small batches with the drawn partners and weights read back, a re-run of Keras'
/// draw order from a generator of the same seed, the Beta statistics, the routed gradients, configs and bad input.
/// (AugmentationLayerTests also runs both: inference identity, seeding, numerical gradients, allocation, save/load.)
/// </summary>
public class BatchMixingTests
{
    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    // The images 0, 1, 2, ... (batch, height, width, channels): every element distinct, so a wrong partner shows.
    private static Tensor Distinct(int batch, int height, int width, int channels)
    {
        var t = new Tensor(batch, height, width, channels);
        for (int i = 0; i < t.Length; i++)
        {
            t.AsSpan()[i] = i + 1;
        }

        return t;
    }

    private static (double Mean, double Variance) Moments(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        return (mean, values.Sum(v => (v - mean) * (v - mean)) / values.Count);
    }

    // Keras' MixUp draws from a generator of the same seed: the shuffle of arange(n), then n Beta(α, α) weights.
    private static (int[] Partner, float[] Weight) MixUpReference(long seed, int batch, double alpha)
    {
        var random = new SeededRandom(seed);
        int[] order = [.. Enumerable.Range(0, batch)];
        random.Shuffle(order);
        float[] weight = [.. Enumerable.Range(0, batch).Select(_ => (float)BetaSampler.Next(random, alpha, alpha))];
        return (order, weight);
    }

    [Fact]
    public void MixUp_BlendsEachImageWithItsPartner_AsKerasDrawsThem()
    {
        const int batch = 6, size = 2 * 3 * 2;
        var layer = new MixUp(0.7, seed: 9);
        Tensor x = Distinct(batch, 2, 3, 2);
        float[] y = layer.Forward(x, training: true).ToArray(), input = x.ToArray();
        double[] draws = layer.LastDraws.ToArray();

        (int[] partner, float[] weight) = MixUpReference(9, batch, 0.7);
        Assert.Equal(partner.Select(p => (double)p), Enumerable.Range(0, batch).Select(i => draws[i * 2]));
        Assert.Equal(weight.Select(w => (double)w), Enumerable.Range(0, batch).Select(i => draws[(i * 2) + 1]));
        Assert.Equal(Enumerable.Range(0, batch), partner.Order());
        Assert.Contains(partner.Select((p, i) => p != i), moved => moved);
        Assert.All(weight, w => Assert.InRange(w, 0f, 1f));

        // Keras: mix_weight * images + (1.0 - mix_weight) * take(images, permutation), in float32.
        for (int n = 0; n < batch; n++)
        {
            for (int k = 0; k < size; k++)
            {
                float expected = (weight[n] * input[(n * size) + k]) + ((1f - weight[n]) * input[(partner[n] * size) + k]);
                Assert.Equal(expected, y[(n * size) + k]);
            }
        }
    }

    // Keras' test_mix_up_basic_functionality: a batch of one is its own partner, so the image comes back as it was.
    [Fact]
    public void MixUp_BatchOfOne_ReturnsTheImage()
    {
        Tensor x = TestData.Normal(3, 1f, 1, 8, 8, 3);
        float[] y = new MixUp(1.0, seed: 2).Forward(x, training: true).ToArray();
        AugmentationTestKit.AssertClose(Array.ConvertAll(x.ToArray(), v => (double)v), y, 1e-6, "batch of one");
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(1.0)]
    [InlineData(3.0)]
    public void MixUp_Weights_HaveTheMomentsOfBetaAlphaAlpha(double alpha)
    {
        // 40000 draws: the standard error of the mean is at most 0.0022 and of the variance about 0.001, while the
        // tolerances below are 0.01 and 0.006; Beta(0.2, 0.2) has variance 0.179, a uniform 0.083, Beta(3, 3) 0.036.
        const int batch = 40_000;
        var layer = new MixUp(alpha, seed: 4);
        layer.Forward(Tensor.Ones(batch, 1, 1, 1), training: true);
        double[] draws = layer.LastDraws.ToArray();
        (double mean, double variance) = Moments([.. Enumerable.Range(0, batch).Select(i => draws[(i * 2) + 1])]);
        Assert.InRange(mean, 0.49, 0.51);
        double expected = 1 / (4 * ((2 * alpha) + 1));
        Assert.InRange(variance, expected - 0.006, expected + 0.006);
    }

    [Theory]
    [InlineData(2.0, 5.0)]
    [InlineData(0.5, 3.0)]
    [InlineData(7.0, 0.3)]
    public void BetaSampler_HasTheMomentsOfAnAsymmetricBeta(double a, double b)
    {
        // Asymmetric shapes: swapping a and b, or dropping the boost below 1, moves the mean by at least 0.2.
        var random = new SeededRandom(12);
        double[] values = [.. Enumerable.Range(0, 100_000).Select(_ => BetaSampler.Next(random, a, b))];
        (double mean, double variance) = Moments(values);
        double s = a + b;
        Assert.InRange(mean, (a / s) - 0.005, (a / s) + 0.005);
        double expected = a * b / (s * s * (s + 1));
        Assert.InRange(variance, expected * 0.95, expected * 1.05);
        Assert.All(values, v => Assert.InRange(v, 0.0, 1.0));
    }

    // CutMix's α = factor + 1e-6 with factor 0: the gammas underflow, yet the draws are (nearly) 0 or 1, half and half.
    // Beta(ε, ε) puts mass about ε · ln(1/δ) in (δ, 1 − δ): 1.4e-5 per draw for δ = 1e-6, so none is expected here.
    [Fact]
    public void BetaSampler_TinyShapes_GiveZeroOrOne()
    {
        var random = new SeededRandom(3);
        double[] values = [.. Enumerable.Range(0, 20_000).Select(_ => BetaSampler.Next(random, 1e-6, 1e-6))];
        Assert.All(values, v => Assert.True(v <= 1e-6 || v >= 1 - 1e-6, $"{v} is neither near 0 nor near 1."));
        Assert.InRange(values.Average(), 0.48, 0.52);
    }

    // Keras' CutMix get_random_transformation from a generator of the same seed, with its float32 boxes and per-pixel mask.
    private static (bool[] Mask, int[] Partner, float[] Lambda, float[] LabelWeight) CutMixReference(long seed, int batch, int height, int width, int channels, (double Lo, double Hi) factor)
    {
        var random = new SeededRandom(seed);
        float alpha = (float)(factor.Lo + ((factor.Hi - factor.Lo) * random.NextDouble())) + 1e-6f;
        float[] lambda = [.. Enumerable.Range(0, batch).Select(_ => (float)BetaSampler.Next(random, alpha, alpha))];
        float[] ratio = [.. lambda.Select(l => MathF.Sqrt(1f - l))];
        var x0 = new float[batch];
        var x1 = new float[batch];
        var y0 = new float[batch];
        var y1 = new float[batch];
        for (int n = 0; n < batch; n++)
        {
            float crop = ratio[n] * width;
            x0[n] = (float)random.NextDouble() * (width - crop);
            x1[n] = x0[n] + crop;
        }

        for (int n = 0; n < batch; n++)
        {
            float crop = ratio[n] * height;
            y0[n] = (float)random.NextDouble() * (height - crop);
            y1[n] = y0[n] + crop;
        }

        int[] partner = [.. Enumerable.Range(0, batch)];
        random.Shuffle(partner);
        var mask = new bool[batch * height * width * channels];
        for (int n = 0; n < batch; n++)
        {
            for (int r = 0; r < height; r++)
            {
                for (int c = 0; c < width; c++)
                {
                    for (int k = 0; k < channels; k++)
                    {
                        mask[((((n * height) + r) * width) + c) * channels + k] = c >= x0[n] && c < x1[n] && r >= y0[n] && r < y1[n];
                    }
                }
            }
        }

        float[] labelWeight = [.. Enumerable.Range(0, batch).Select(n => 1f - ((x1[n] - x0[n]) * (y1[n] - y0[n]) / (width * height)))];
        return (mask, partner, lambda, labelWeight);
    }

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(0.0, 1.0)]
    [InlineData(0.2, 0.5)]
    [InlineData(0.0, 0.0)]
    public void CutMix_PastesKerasBoxesFromThePartner(double low, double high)
    {
        const int batch = 12, height = 7, width = 9, channels = 2, size = height * width * channels;
        var layer = new CutMix((low, high), seed: 15);
        Tensor x = Distinct(batch, height, width, channels);
        float[] y = layer.Forward(x, training: true).ToArray(), input = x.ToArray();
        (bool[] mask, int[] partner, float[] lambda, float[] labelWeight) = CutMixReference(15, batch, height, width, channels, (low, high));
        for (int i = 0; i < y.Length; i++)
        {
            int n = i / size;
            Assert.Equal(mask[i] ? input[(partner[n] * size) + (i % size)] : input[i], y[i]);
        }

        double[] draws = layer.LastDraws.ToArray();
        Assert.Equal(partner.Select(p => (double)p), Enumerable.Range(0, batch).Select(n => draws[n * 7]));
        Assert.Equal(lambda.Select(l => (double)l), Enumerable.Range(0, batch).Select(n => draws[(n * 7) + 1]));
        Assert.Equal(labelWeight.Select(w => (double)w), Enumerable.Range(0, batch).Select(n => draws[(n * 7) + 6]));

        // Some pixels pasted from another image, some kept.
        Assert.Contains(true, mask.Where((_, i) => partner[i / size] != i / size));
        Assert.Contains(false, mask);
    }

    // factor 0: α = 1e-6, so λ is 0 or 1 and each image is either wholly its partner's or wholly its own.
    [Fact]
    public void CutMix_FactorZero_ReplacesOrKeepsWholeImages()
    {
        const int batch = 16, size = 5 * 4 * 3;
        var layer = new CutMix(0, seed: 6);
        Tensor x = Distinct(batch, 5, 4, 3);
        float[] y = layer.Forward(x, training: true).ToArray(), input = x.ToArray();
        double[] draws = layer.LastDraws.ToArray();
        int replaced = 0;
        for (int n = 0; n < batch; n++)
        {
            int source = draws[(n * 7) + 1] == 0 ? (int)draws[n * 7] : n;
            replaced += source != n ? 1 : 0;
            Assert.Equal(input.AsSpan(source * size, size).ToArray(), y.AsSpan(n * size, size).ToArray());
            Assert.Equal(draws[(n * 7) + 1], draws[(n * 7) + 6]);
        }

        Assert.InRange(replaced, 1, batch - 1);
    }

    [Theory]
    [InlineData(1.0, 1.0 / 12)]
    [InlineData(0.3, 0.15625)]
    public void CutMix_Lambda_HasTheMomentsOfBetaAlphaAlpha(double factor, double expectedVariance)
    {
        // factor (f, f): α = f + 1e-6; Beta(1, 1) is uniform (variance 1/12), Beta(0.3, 0.3) has variance 1/(4 · 1.6).
        const int batch = 40_000;
        var layer = new CutMix((factor, factor), seed: 8);
        layer.Forward(Tensor.Ones(batch, 1, 1, 1), training: true);
        double[] draws = layer.LastDraws.ToArray();
        (double mean, double variance) = Moments([.. Enumerable.Range(0, batch).Select(i => draws[(i * 7) + 1])]);
        Assert.InRange(mean, 0.49, 0.51);
        Assert.InRange(variance, expectedVariance - 0.006, expectedVariance + 0.006);
    }

    [Fact]
    public void Backward_RoutesTheGradientAsTheMixing()
    {
        const int batch = 7, height = 5, width = 6, channels = 2, size = height * width * channels;
        Tensor x = TestData.Normal(1, 1f, batch, height, width, channels), g = TestData.Normal(2, 1f, batch, height, width, channels);
        float[] dy = g.ToArray();

        // MixUp: dx_j = λ_j g_j + Σ_{π(i) = j} (1 − λ_i) g_i.
        var mixUp = new MixUp(0.5, seed: 3);
        mixUp.Forward(x, training: true);
        (int[] partner, float[] weight) = MixUpReference(3, batch, 0.5);
        var expected = new double[x.Length];
        for (int n = 0; n < batch; n++)
        {
            for (int k = 0; k < size; k++)
            {
                expected[(n * size) + k] += weight[n] * dy[(n * size) + k];
                expected[(partner[n] * size) + k] += (1 - weight[n]) * dy[(n * size) + k];
            }
        }

        AugmentationTestKit.AssertClose(expected, mixUp.Backward(g).AsReadOnlySpan(), 1e-6, "MixUp dx");

        // CutMix: each output element's gradient goes to the element it was copied from.
        var cutMix = new CutMix((0.5, 1), seed: 3);
        cutMix.Forward(x, training: true);
        (bool[] mask, partner, _, _) = CutMixReference(3, batch, height, width, channels, (0.5, 1));
        Array.Clear(expected);
        for (int i = 0; i < dy.Length; i++)
        {
            expected[mask[i] ? (partner[i / size] * size) + (i % size) : i] += dy[i];
        }

        AugmentationTestKit.AssertClose(expected, cutMix.Backward(g).AsReadOnlySpan(), 1e-6, "CutMix dx");
        Assert.Contains(true, mask);
    }

    // A layer called twice in a model runs one instance per call: the second call's draws must not reach the first's backward.
    [Theory]
    [InlineData("mix_up")]
    [InlineData("cut_mix")]
    public void SharedLayer_EachCallKeepsItsOwnDraws(string kind)
    {
        Tensor x = TestData.Normal(1, 1f, 5, 6, 7, 3), other = TestData.Normal(3, 1f, 5, 6, 7, 3), g = TestData.Normal(2, 1f, 5, 6, 7, 3);
        Layer layer = AugmentationTestKit.Create(kind, seed: 6);
        layer.Build(new TensorShape(6, 7, 3));
        Layer second = layer.CopyForCall(1);
        float[] y = layer.Forward(x, training: true).ToArray();
        float[] secondOutput = second.Forward(other, training: true).ToArray();
        Layer alone = AugmentationTestKit.Create(kind, seed: 6);
        Assert.Equal(alone.Forward(x, training: true).ToArray(), y);
        Assert.Equal(alone.Backward(g).ToArray(), layer.Backward(g).ToArray());
        Assert.NotEqual(alone.Forward(other, training: true).ToArray(), secondOutput);
    }

    [Fact]
    public void Config_RoundTrips_AndReadsKeras()
    {
        Assert.Equal("""{"name":"m","trainable":true,"dtype":"float32","alpha":0.2,"seed":null}""", new MixUp(name: "m").GetConfig().ToJson());
        Assert.Equal("""{"name":"c","trainable":true,"dtype":"float32","factor":[0,1],"seed":null}""", new CutMix(name: "c").GetConfig().ToJson());
        string mixUp = new MixUp(1.5, seed: 4, name: "m").GetConfig().ToJson(), cutMix = new CutMix((0.7, 0.2), seed: 5, name: "c").GetConfig().ToJson();
        Assert.Equal(mixUp, MixUp.FromConfig(Parse(mixUp)).GetConfig().ToJson());
        Assert.Equal(cutMix, CutMix.FromConfig(Parse(cutMix)).GetConfig().ToJson());
        Assert.Equal((0.2, 0.7), CutMix.FromConfig(Parse(cutMix)).Factor);

        // mix_up_test.py and cut_mix_test.py test_layer's arguments, as Keras writes them.
        MixUp keras = MixUp.FromConfig(Parse("""{"name": "mix_up", "trainable": true, "dtype": "float32", "data_format": "channels_last", "alpha": 0.2, "seed": null}"""));
        Assert.Equal((0.2, (long?)null, "mix_up"), (keras.Alpha, keras.AugmentationSeed, keras.Name));
        CutMix kerasCut = CutMix.FromConfig(Parse("""{"name": "cut_mix", "data_format": "channels_last", "factor": [0.0, 1.0], "seed": 1}"""));
        Assert.Equal(((0.0, 1.0), (long?)1), (kerasCut.Factor, kerasCut.AugmentationSeed));
        Assert.Equal((0.0, 0.4), CutMix.FromConfig(Parse("""{"name": "c", "factor": 0.4}""")).Factor);
        Assert.Equal(0.2, MixUp.FromConfig(Parse("""{"name": "m"}""")).Alpha);
        Assert.Throws<InvalidDataException>(() => MixUp.FromConfig(Parse("""{"name": "m", "data_format": "channels_first"}""")));
        Assert.Equal("CutMix", SerializationRegistry.GetRegisteredName(typeof(CutMix)));
        Assert.Equal("MixUp", SerializationRegistry.GetRegisteredName(typeof(MixUp)));
        Assert.Equal(cutMix, SerializationRegistry.Recreate(CutMix.FromConfig(Parse(cutMix))).GetConfig().ToJson());
    }

    [Fact]
    public void BadArguments_AreRefusedByName()
    {
        static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;
        Assert.Contains("MixUp expects alpha to be a positive finite number (the parameter of Beta(alpha, alpha)). Received: alpha=0.", Message(() => new MixUp(0)), StringComparison.Ordinal);
        Assert.Contains("Received: alpha=-0.5.", Message(() => new MixUp(-0.5)), StringComparison.Ordinal);
        Assert.Contains("Received: alpha=NaN.", Message(() => new MixUp(double.NaN)), StringComparison.Ordinal);
        Assert.Contains("Received: alpha=Infinity.", Message(() => new MixUp(double.PositiveInfinity)), StringComparison.Ordinal);
        Assert.Contains("CutMix expects factor to be a number in [0, 1] or a pair", Message(() => new CutMix(1.5)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(1.2, 1.4).", Message(() => new CutMix((1.2, 1.4))), StringComparison.Ordinal);
        Assert.Contains("CutMix expects factor's lower end to be at least 0", Message(() => new CutMix((-0.5, 0.5))), StringComparison.Ordinal);
        Assert.Contains("'m' expects input of rank 3 per sample", Message(() => new MixUp(name: "m").Build(new TensorShape(4, 4, 4, 3))), StringComparison.Ordinal);
        Assert.Contains("'c' expects input of rank 3 per sample", Message(() => new CutMix(name: "c").Build(new TensorShape(9))), StringComparison.Ordinal);

        // A backward of another batch size than the forward's is refused before anything changes.
        var layer = new CutMix(seed: 1);
        layer.Forward(Tensor.Ones(4, 3, 3, 1), training: true);
        double[] before = layer.LastDraws.ToArray();
        Assert.Throws<InvalidOperationException>(() => layer.Backward(new Tensor(3, 3, 3, 1)));
        Assert.Equal(before, layer.LastDraws.ToArray());
    }
}
