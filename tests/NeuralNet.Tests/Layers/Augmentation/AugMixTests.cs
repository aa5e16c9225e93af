using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Attention;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>AugMix: the chains run by hand with the same draws and mixed, the draws' statistics, Keras' cases, config, checks.</summary>
public class AugMixTests
{
    // Keras' AUGMENT_LAYERS_ALL as indices into RandAugment's order (RandAugmentTests.Op).
    private static readonly int[] s_allOps = [0, 1, 2, 7, 8, 9, 10, 3, 4, 5, 6];

    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    [Theory]
    [InlineData(3, 3, 1.0, true, 5L)]
    [InlineData(2, 4, 0.5, false, 8L)]
    public void Training_EqualsTheChainsAppliedByHandAndMixed(int numChains, int chainDepth, double alpha, bool allOps, long seed)
    {
        (double Lo, double Hi) factor = (0.1, 0.6);
        (double, double) range = (0, 1);
        var layer = new AugMix(range, numChains, chainDepth, factor, alpha, allOps, Interpolation.Bilinear, seed);
        var random = new SeededRandom(seed);
        int opCount = allOps ? 11 : 7;
        bool repeated = false, skipped = false;
        for (int call = 0; call < 4; call++)
        {
            Tensor x = Tensor.RandomUniform(new TensorShape(3, 6, 5, 3), 50 + call, 0f, 1f), g = TestData.Normal(60 + call, 1f, 3, 6, 5, 3);

            // Keras' order: the Dirichlet's Gamma draws, the Beta draw, then per chain and place a choice (and a seed).
            double[] logs = [.. Enumerable.Range(0, numChains).Select(_ => BetaSampler.LogGamma(random, alpha))];
            double[] weights = [.. logs.Select(l => Math.Exp(l - logs.Max()))];
            double total = 0;
            foreach (double w in weights)
            {
                total += w;
            }

            weights = [.. weights.Select(w => w / total)];
            float m = (float)BetaSampler.Next(random, alpha, alpha);
            var chains = new List<Layer[]>();
            var used = new HashSet<int>();
            for (int c = 0; c < numChains; c++)
            {
                var ops = new List<Layer>();
                for (int d = 0; d < chainDepth; d++)
                {
                    int choice = random.NextInt(opCount + 1);
                    if (choice == opCount)
                    {
                        skipped = true;
                        continue;
                    }

                    repeated |= !used.Add(s_allOps[choice]);
                    ops.Add(RandAugmentTests.Op(s_allOps[choice], factor, range, Interpolation.Bilinear, unchecked((long)random.NextUInt64())));
                }

                chains.Add([.. ops]);
            }

            var aug = new float[x.Length];
            var outputs = new List<float[]>();
            for (int c = 0; c < numChains; c++)
            {
                Tensor images = x;
                foreach (Layer op in chains[c])
                {
                    images = op.Forward(images, training: true);
                }

                float[] chainOutput = images.ToArray();
                for (int i = 0; i < aug.Length; i++)
                {
                    aug[i] += chainOutput[i] * (float)weights[c];
                }
            }

            float[] xs = x.ToArray(), unclipped = new float[x.Length], expected = new float[x.Length];
            for (int i = 0; i < xs.Length; i++)
            {
                unclipped[i] = (m * xs[i]) + ((1f - m) * aug[i]);
                expected[i] = Math.Clamp(unclipped[i], 0f, 1f);
            }

            Tensor actual = layer.Forward(x, training: true);
            Assert.Equal(weights, layer.LastWeights.ToArray());
            Assert.Equal(m, (float)layer.LastMixing);
            Assert.Equal(Array.ConvertAll(expected, BitConverter.SingleToInt32Bits), Bits(actual));

            // Backward: m · g' + Σ_c chain_cᵀ((1 − m) · w_c · g'), g' = g where the clip passes.
            float[] gs = g.ToArray(), dx = new float[x.Length], g2 = new float[x.Length];
            for (int i = 0; i < gs.Length; i++)
            {
                float passed = unclipped[i] >= 0f && unclipped[i] <= 1f ? gs[i] : 0f;
                dx[i] = m * passed;
                g2[i] = (1f - m) * passed;
            }

            for (int c = 0; c < numChains; c++)
            {
                var scaled = new Tensor(x.Shape);
                for (int i = 0; i < g2.Length; i++)
                {
                    scaled.AsSpan()[i] = g2[i] * (float)weights[c];
                }

                Tensor gradient = scaled;
                for (int k = chains[c].Length - 1; k >= 0; k--)
                {
                    gradient = chains[c][k].Backward(gradient);
                }

                float[] part = gradient.ToArray();
                for (int i = 0; i < dx.Length; i++)
                {
                    dx[i] += part[i];
                }
            }

            Assert.Equal(Array.ConvertAll(dx, BitConverter.SingleToInt32Bits), Bits(layer.Backward(g)));
        }

        Assert.True(repeated && skipped, $"the calls should apply an operation twice ({repeated}) and skip a place ({skipped})");
    }

    // Numerical gradients over calls whose chains hold no posterization or equalization (piecewise constant: their
    // finite differences only see steps; RandAugmentTests checks they pass 0), with the mixing and the final clip.
    [Fact]
    public void Backward_MatchesNumericalGradients()
    {
        int checkedCalls = 0;
        for (long seed = 0; seed < 30 && checkedCalls < 4; seed++)
        {
            var layer = new AugMix((0, 1), 2, 3, (0.1, 0.5), seed: seed);
            Tensor x = Tensor.RandomUniform(new TensorShape(2, 5, 6, 3), seed, 0.05f, 0.95f);
            layer.Build(new TensorShape(5, 6, 3));
            var state = new ulong[SeededRandom.StateLength];
            ((IRandomLayer)layer).LayerRandom.GetState(state);
            layer.Forward(x, training: true);
            int[] applied = [.. Enumerable.Range(0, 2).SelectMany(c => layer.LastChain(c).ToArray())];
            if (applied.Contains(7) || applied.Contains(10) || applied.Length < 2)
            {
                continue;
            }

            ((IRandomLayer)layer).LayerRandom.SetState(state);
            StochasticGradientCheck.Check(layer, [x], [0], seed: 5, training: true).AssertPassed(maxKinkFraction: 0.02);
            checkedCalls++;
        }

        Assert.Equal(4, checkedCalls);
    }

    [Fact]
    public void Draws_FollowTheirDistributions()
    {
        const int calls = 2000;
        var layer = new AugMix((0, 1), 3, 3, 0.5, alpha: 1.0, allOps: false, seed: 2);
        Tensor x = Tensor.RandomUniform(new TensorShape(1, 4, 4, 3), 1, 0f, 1f);
        double mixing = 0, firstWeight = 0;
        var counts = new int[11];
        int places = 0;
        for (int call = 0; call < calls; call++)
        {
            layer.Forward(x, training: true);
            Assert.Equal(1.0, layer.LastWeights.ToArray().Sum(), 12);
            Assert.All(layer.LastWeights.ToArray(), w => Assert.InRange(w, 0.0, 1.0));
            mixing += layer.LastMixing;
            firstWeight += layer.LastWeights[0];
            for (int c = 0; c < 3; c++)
            {
                foreach (int op in layer.LastChain(c))
                {
                    counts[op]++;
                    places++;
                }
            }
        }

        // Beta(1, 1) has mean 1/2 (sd of the mean 0.0065); Dirichlet(1, 1, 1)'s first weight mean 1/3 (sd 0.0053).
        Assert.InRange(mixing / calls, 0.47, 0.53);
        Assert.InRange(firstWeight / calls, 0.30, 0.36);

        // Each of the 9 places applies one of the 7 basic operations with probability 7/8 (binomial sd about 31).
        Assert.InRange(places, (calls * 9 * 7 / 8) - 150, (calls * 9 * 7 / 8) + 150);
        Assert.All(new[] { 3, 4, 5, 6 }, op => Assert.Equal(0, counts[op]));
        double expected = places / 7.0;
        double chiSquare = new[] { 0, 1, 2, 7, 8, 9, 10 }.Sum(op => (counts[op] - expected) * (counts[op] - expected) / expected);
        Assert.True(chiSquare < 30, $"chi-square {chiSquare:F1} (6 degrees of freedom) for counts [{string.Join(", ", counts)}]");
    }

    // aug_mix_test.py test_layer: value_range (0, 255), num_chains 2, chain_depth 2, factor 1, alpha 1, all_ops,
    // interpolation nearest, seed 43, input (8, 3, 4, 3) gives (8, 3, 4, 3); the output is clipped to the value range.
    [Fact]
    public void KerasTestLayer_KeepsTheShapeAndTheValueRange()
    {
        var layer = new AugMix((0, 255), 2, 2, 1.0, 1.0, true, Interpolation.Nearest, seed: 43);
        for (int call = 0; call < 10; call++)
        {
            Tensor y = layer.Forward(Tensor.RandomUniform(new TensorShape(8, 3, 4, 3), call, 0f, 255f), training: true);
            Assert.Equal(new TensorShape(8, 3, 4, 3), y.Shape);
            Assert.All(y.ToArray(), v => Assert.InRange(v, 0f, 255f));
        }
    }

    // aug_mix_test.py test_aug_mix_inference (AugMix() at training=False returns its input) and
    // test_random_augment_randomness (num_chains 11 on random (2, 8, 8, 3) images changes them).
    [Fact]
    public void KerasInferenceAndRandomness()
    {
        Tensor image = Tensor.RandomUniform(new TensorShape(1, 224, 224, 3), 3481, 0f, 255f);
        Assert.Same(image, new AugMix().Forward(image, training: false));

        Tensor x = Tensor.RandomUniform(new TensorShape(2, 8, 8, 3), 7, 0f, 1f);
        float[] y = new AugMix((0, 1), numChains: 11, seed: 1).Forward(x, training: true).ToArray();
        float[] xs = x.ToArray();
        Assert.Contains(Enumerable.Range(0, xs.Length), i => Math.Abs(xs[i] - y[i]) > 1e-3);
    }

    [Fact]
    public void Config_RoundTrips_AndReadsKeras()
    {
        Assert.Equal(
            """{"name":"a","trainable":true,"dtype":"float32","value_range":[0,255],"num_chains":3,"chain_depth":3,"factor":[0,0.3],"alpha":1,"all_ops":true,"interpolation":"bilinear","seed":null,"data_format":"channels_last"}""",
            new AugMix(name: "a").GetConfig().ToJson());
        string json = new AugMix((-1, 1), 2, 5, (0.6, 0.1), 0.5, false, Interpolation.Nearest, 4, "a").GetConfig().ToJson();
        Assert.Equal(json, AugMix.FromConfig(Parse(json)).GetConfig().ToJson());

        AugMix keras = AugMix.FromConfig(Parse(
            """{"name": "aug_mix", "trainable": true, "dtype": "float32", "data_format": "channels_last", "value_range": [0, 1], "num_chains": 4, "chain_depth": 2, "factor": [0, 0.5], "alpha": 0.5, "all_ops": false, "interpolation": "nearest", "seed": 5}"""));
        Assert.Equal(((0.0, 1.0), 4, 2, (0.0, 0.5), 0.5, false, Interpolation.Nearest, (long?)5),
            (keras.ValueRange, keras.NumChains, keras.ChainDepth, keras.Factor, keras.Alpha, keras.AllOps, keras.Interpolation, keras.AugmentationSeed));
        Assert.Equal((0.0, 0.2), AugMix.FromConfig(Parse("""{"name": "a", "factor": 0.2}""")).Factor);
    }

    [Fact]
    public void BadArguments_AreRefusedByName()
    {
        static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;
        Assert.Contains("AugMix expects numChains to be 1 or more (the number of chains mixed). Received: numChains=0.", Message(() => new AugMix(numChains: 0)), StringComparison.Ordinal);
        Assert.Contains("AugMix expects chainDepth to be 0 or more (the places of a chain). Received: chainDepth=-1.", Message(() => new AugMix(chainDepth: -1)), StringComparison.Ordinal);
        Assert.Contains("AugMix expects factor to be a number or a pair of numbers in [0, 1]. Received: factor=1.2.", Message(() => new AugMix(factor: 1.2)), StringComparison.Ordinal);
        Assert.Contains("AugMix expects alpha to be a positive finite number (the parameter of the Dirichlet and Beta distributions). Received: alpha=0.", Message(() => new AugMix(alpha: 0)), StringComparison.Ordinal);
        Assert.Contains("AugMix expects valueRange (low, high) with low < high. Received: valueRange=(3, 3).", Message(() => new AugMix((3, 3))), StringComparison.Ordinal);
        var gray = new AugMix(name: "am");
        Assert.Contains("'am' expects RGB images of 3 channels", Message(() => gray.Build(new TensorShape(4, 4, 1))), StringComparison.Ordinal);
        Assert.False(gray.IsBuilt);
    }

    [Fact]
    public void Without_all_ops_any_channel_count_is_augmented_as_Keras_does()
    {
        // Keras' AUGMENT_LAYERS hold no colour operation, so AugMix(all_ops=False) takes any channel count; the chain
        // then builds only the seven operations it can apply.
        var layer = new AugMix((0, 1), numChains: 2, chainDepth: 3, allOps: false, seed: 6);
        layer.Build(new TensorShape(5, 5, 1));
        Tensor x = Tensor.RandomUniform(new TensorShape(4, 5, 5, 1), 2);
        Tensor y = layer.Forward(x, training: true);
        Assert.Equal(x.Shape, y.Shape);
        Assert.All(y.ToArray(), v => Assert.InRange(v, 0f, 1f));
        Assert.NotEqual(x.ToArray(), y.ToArray());
        Assert.Equal(x.Shape, layer.Backward(y).Shape);
    }
}
