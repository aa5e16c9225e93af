using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Attention;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>RandAugment: the chosen operations run by hand with the same draws, the choice's statistics, Keras' cases, config, checks.</summary>
public class RandAugmentTests
{
    private const int OpCount = 11;

    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    // Keras' _AUGMENT_LAYERS, in its order, built as RandAugment.__init__ builds them, each alone with the seed given.
    internal static Layer Op(int index, (double Lo, double Hi) f, (double, double) range, Interpolation interpolation, long seed) => index switch
    {
        0 => new RandomShear(f, f, interpolation, seed: seed),
        1 => new RandomTranslation(f, f, interpolation: interpolation, seed: seed),
        2 => new RandomRotation(f, interpolation: interpolation, seed: seed),
        3 => new RandomBrightness(f, range, seed),
        4 => new RandomColorDegeneration(f, range, seed),
        5 => new RandomContrast(f, range, seed),
        6 => new RandomSharpness(f, range, seed),
        7 => new RandomPosterization(Math.Max(1, (int)(8 * f.Hi)), range, seed),
        8 => new Solarization(f, f, range, seed),
        9 => new AutoContrast(range),
        _ => new Equalization(range),
    };

    // The layer's draws for one call, from its generator: the operation indices, then one seed per operation in Keras' order.
    private static (int[] Chosen, long[] Seeds) Draws(SeededRandom random, int numOps)
    {
        int[] chosen = [.. Enumerable.Range(0, numOps).Select(_ => random.NextInt(OpCount))];
        long[] seeds = [.. Enumerable.Range(0, OpCount).Select(_ => unchecked((long)random.NextUInt64()))];
        return (chosen, seeds);
    }

    [Theory]
    [InlineData(4, 3L, Interpolation.Bilinear)]
    [InlineData(2, 5L, Interpolation.Nearest)]
    public void Training_EqualsTheChosenOperationsAppliedInSequenceWithTheSameDraws(int numOps, long seed, Interpolation interpolation)
    {
        (double, double) factor = (0.1, 0.7), range = (0, 1);
        var layer = new RandAugment(range, numOps, factor, interpolation, seed);
        var random = new SeededRandom(seed);
        bool repeated = false;
        for (int call = 0; call < 6; call++)
        {
            Tensor x = Tensor.RandomUniform(new TensorShape(5, 6, 7, 3), 100 + call, 0f, 1f), g = TestData.Normal(200 + call, 1f, 5, 6, 7, 3);
            (int[] chosen, long[] seeds) = Draws(random, numOps);
            repeated |= chosen.Distinct().Count() < numOps;

            // An operation chosen twice applies the same draws twice: a fresh layer with the same seed each time.
            Layer[] ops = [.. chosen.Select(k => Op(k, factor, range, interpolation, seeds[k]))];
            Tensor expected = x;
            foreach (Layer op in ops)
            {
                expected = op.Forward(expected, training: true);
            }

            Tensor actual = layer.Forward(x, training: true);
            Assert.Equal(chosen, layer.LastOps.ToArray());
            Assert.Equal(seeds, layer.LastOpSeeds.ToArray());
            Assert.Equal(Bits(expected), Bits(actual));

            Tensor expectedGradient = g;
            for (int i = ops.Length - 1; i >= 0; i--)
            {
                expectedGradient = ops[i].Backward(expectedGradient);
            }

            Assert.Equal(Bits(expectedGradient), Bits(layer.Backward(g)));
        }

        // The seeds were picked so that some call applies one operation twice (the backward pass then runs it again).
        Assert.True(repeated, "no call chose an operation twice");
    }

    [Fact]
    public void OpChoice_IsUniformOverTheElevenOperations_AndIndependentBetweenPlaces()
    {
        const int calls = 3000;
        var layer = new RandAugment((0, 255), 2, 0.5, seed: 9);
        Tensor x = Tensor.RandomUniform(new TensorShape(1, 4, 4, 3), 1, 0f, 255f);
        var counts = new int[OpCount];
        int same = 0;
        for (int call = 0; call < calls; call++)
        {
            layer.Forward(x, training: true);
            int[] ops = layer.LastOps.ToArray();
            Assert.Equal(2, ops.Length);
            counts[ops[0]]++;
            counts[ops[1]]++;
            same += ops[0] == ops[1] ? 1 : 0;
        }

        // Chi-square with 10 degrees of freedom: P(> 35) < 2e-4 for a uniform choice.
        double expected = 2.0 * calls / OpCount;
        double chiSquare = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chiSquare < 35, $"chi-square {chiSquare:F1} for counts [{string.Join(", ", counts)}]");

        // Both places drawn independently with repetition (Keras' randint((num_ops,), 0, 11)): the same operation in
        // both places with probability 1/11 (binomial standard deviation about 16 calls here).
        Assert.InRange(same, (calls / 11) - 70, (calls / 11) + 70);
    }

    // rand_augment_test.py test_layer: value_range (0, 255), num_ops 2, interpolation nearest, seed 1, input (8, 3, 4, 3)
    // gives (8, 3, 4, 3). Every operation keeps the values in the value range (the geometric ones interpolate, the
    // colour ones clip), so the output does too.
    [Fact]
    public void KerasTestLayer_KeepsTheShapeAndTheValueRange()
    {
        var layer = new RandAugment((0, 255), 2, 0.5, Interpolation.Nearest, seed: 1);
        layer.Build(new TensorShape(3, 4, 3));
        Assert.Equal(new TensorShape(3, 4, 3), layer.OutputShape);
        var seen = new HashSet<int>();
        for (int call = 0; call < 40; call++)
        {
            Tensor x = Tensor.RandomUniform(new TensorShape(8, 3, 4, 3), call, 0f, 255f);
            Tensor y = layer.Forward(x, training: true);
            Assert.Equal(new TensorShape(8, 3, 4, 3), y.Shape);
            Assert.All(y.ToArray(), v => Assert.InRange(v, 0f, 255f));
            seen.UnionWith(layer.LastOps.ToArray());
        }

        Assert.Equal(OpCount, seen.Count);
    }

    // rand_augment_test.py test_rand_augment_inference: RandAugment() on a (224, 224, 3) image of integers, training=False,
    // returns the input.
    [Fact]
    public void KerasInference_ReturnsTheInput()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(1, 224, 224, 3), 3481, 0f, 255f);
        for (int i = 0; i < x.Length; i++)
        {
            x.AsSpan()[i] = MathF.Floor(x.AsSpan()[i]);
        }

        var layer = new RandAugment();
        float[] before = x.ToArray();
        Assert.Same(x, layer.Forward(x, training: false));
        Assert.Equal(before, x.ToArray());
        Assert.True(layer.LastOps.IsEmpty);
    }

    [Fact]
    public void NoOps_IsTheIdentityInTraining()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(2, 4, 4, 3), 1, 0f, 255f);
        var layer = new RandAugment(numOps: 0, seed: 1);
        Assert.Same(x, layer.Forward(x, training: true));
        Assert.Same(x, layer.Backward(x));
    }

    // Each operation, applied alone (num_ops 1), against numerical gradients; the seeds are searched until every
    // operation has been chosen. Posterization and equalization are piecewise constant: their gradient is 0.
    [Fact]
    public void Backward_OfEveryOperation_MatchesNumericalGradients()
    {
        var checkedOps = new HashSet<int>();
        for (long seed = 0; checkedOps.Count < OpCount && seed < 200; seed++)
        {
            var layer = new RandAugment((0, 1), 1, (0.1, 0.5), seed: seed);
            Tensor x = Tensor.RandomUniform(new TensorShape(2, 5, 6, 3), seed, 0.05f, 0.95f);
            layer.Build(new TensorShape(5, 6, 3));
            var state = new ulong[SeededRandom.StateLength];
            ((IRandomLayer)layer).LayerRandom.GetState(state);
            layer.Forward(x, training: true);
            int op = layer.LastOps[0];
            if (!checkedOps.Add(op))
            {
                continue;
            }

            ((IRandomLayer)layer).LayerRandom.SetState(state);
            if (op is 7 or 10)
            {
                layer.Forward(x, training: true);
                Assert.All(layer.Backward(TestData.Normal(5, 1f, 2, 5, 6, 3)).ToArray(), v => Assert.Equal(0f, v));
                continue;
            }

            StochasticGradientCheck.Check(layer, [x], [0], seed: 5, training: true).AssertPassed(maxKinkFraction: 0.02);
        }

        Assert.Equal(OpCount, checkedOps.Count);
    }

    [Fact]
    public void Config_RoundTrips_AndReadsKeras()
    {
        Assert.Equal(
            """{"name":"r","trainable":true,"dtype":"float32","value_range":[0,255],"num_ops":2,"factor":[0,0.5],"interpolation":"bilinear","seed":null,"data_format":"channels_last"}""",
            new RandAugment(name: "r").GetConfig().ToJson());
        string json = new RandAugment((-1, 1), 3, (0.7, 0.2), Interpolation.Nearest, 4, "r").GetConfig().ToJson();
        Assert.Equal(json, RandAugment.FromConfig(Parse(json)).GetConfig().ToJson());
        Assert.Equal((0.2, 0.7), RandAugment.FromConfig(Parse(json)).Factor);

        // rand_augment.py get_config, as Keras writes it for RandAugment(value_range=(0, 1), num_ops=3, factor=0.3, seed=5).
        RandAugment keras = RandAugment.FromConfig(Parse(
            """{"name": "rand_augment", "trainable": true, "dtype": "float32", "data_format": "channels_last", "value_range": [0, 1], "num_ops": 3, "factor": [0, 0.3], "interpolation": "nearest", "seed": 5}"""));
        Assert.Equal(((0.0, 1.0), 3, (0.0, 0.3), Interpolation.Nearest, (long?)5), (keras.ValueRange, keras.NumOps, keras.Factor, keras.Interpolation, keras.AugmentationSeed));
        RandAugment number = RandAugment.FromConfig(Parse("""{"name": "r", "factor": 0.8}"""));
        Assert.Equal(((0.0, 255.0), 2, (0.0, 0.8), Interpolation.Bilinear), (number.ValueRange, number.NumOps, number.Factor, number.Interpolation));
        Assert.Contains("channels_last", Assert.Throws<InvalidDataException>(() => RandAugment.FromConfig(Parse("""{"name": "r", "data_format": "channels_first"}"""))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => RandAugment.FromConfig(Parse("""{"name": "r", "num_ops": -1}""")));
    }

    [Fact]
    public void Operations_AreBuiltWithKerasArguments()
    {
        var layer = new RandAugment((0, 1), 2, (0.2, 0.6), Interpolation.Nearest);
        layer.Build(new TensorShape(4, 4, 3));
        IReadOnlyList<Layer> ops = layer.Ops;
        Assert.Equal(OpCount, ops.Count);
        Assert.Equal(((0.2, 0.6), (0.2, 0.6), Interpolation.Nearest, FillMode.Reflect), (((RandomShear)ops[0]).XFactor, ((RandomShear)ops[0]).YFactor, ((RandomShear)ops[0]).Interpolation, ((RandomShear)ops[0]).FillMode));
        Assert.Equal(((0.2, 0.6), (0.2, 0.6), Interpolation.Nearest), (((RandomTranslation)ops[1]).HeightFactor, ((RandomTranslation)ops[1]).WidthFactor, ((RandomTranslation)ops[1]).Interpolation));
        Assert.Equal(((0.2, 0.6), Interpolation.Nearest), (((RandomRotation)ops[2]).Factor, ((RandomRotation)ops[2]).Interpolation));
        Assert.Equal(((0.2, 0.6), (0.0, 1.0)), (((RandomBrightness)ops[3]).Factor, ((RandomBrightness)ops[3]).ValueRange));
        Assert.Equal((0.2, 0.6), ((RandomColorDegeneration)ops[4]).Factor);
        Assert.Equal((0.2, 0.6), ((RandomContrast)ops[5]).Factor);
        Assert.Equal((0.2, 0.6), ((RandomSharpness)ops[6]).Factor);
        Assert.Equal(new RandomPosterization(4).Factor, ((RandomPosterization)ops[7]).Factor); // max(1, int(8 · 0.6)) = 4 bits
        Assert.Equal(((0.2, 0.6), (0.2, 0.6)), (((Solarization)ops[8]).AdditionFactor, ((Solarization)ops[8]).ThresholdFactor));
        Assert.IsType<AutoContrast>(ops[9]);
        Assert.IsType<Equalization>(ops[10]);
        var weak = new RandAugment(factor: 0.1);
        weak.Build(new TensorShape(4, 4, 3));
        Assert.Equal(new RandomPosterization(1).Factor, ((RandomPosterization)weak.Ops[7]).Factor); // max(1, int(0.8)) = 1 bit
    }

    [Fact]
    public void BadArguments_AreRefusedByName()
    {
        static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;
        Assert.Contains("RandAugment expects numOps to be 0 or more (the number of operations applied to each batch). Received: numOps=-1.", Message(() => new RandAugment(numOps: -1)), StringComparison.Ordinal);
        Assert.Contains("RandAugment expects factor to be a number or a pair of numbers in [0, 1]. Received: factor=1.5.", Message(() => new RandAugment(factor: 1.5)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=-0.1.", Message(() => new RandAugment(factor: -0.1)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(-0.1, 0.5).", Message(() => new RandAugment(null, 2, (-0.1, 0.5))), StringComparison.Ordinal);
        Assert.Contains("Received: factor=NaN.", Message(() => new RandAugment(factor: double.NaN)), StringComparison.Ordinal);
        Assert.Contains("RandAugment expects valueRange (low, high) with low < high. Received: valueRange=(1, 0).", Message(() => new RandAugment((1, 0))), StringComparison.Ordinal);
        Assert.Contains("valueRange=(0, Infinity)", Message(() => new RandAugment((0, double.PositiveInfinity))), StringComparison.Ordinal);
        Assert.Contains("RandAugment expects interpolation Nearest or Bilinear. Received: interpolation=17.", Message(() => new RandAugment(interpolation: (Interpolation)17)), StringComparison.Ordinal);

        var gray = new RandAugment(name: "ra");
        Assert.Contains("'ra' expects RGB images of 3 channels", Message(() => gray.Build(new TensorShape(4, 4, 1))), StringComparison.Ordinal);
        Assert.Contains("'ra' expects input of rank 3 per sample", Message(() => gray.Build(new TensorShape(4, 4))), StringComparison.Ordinal);
        Assert.False(gray.IsBuilt);
    }

    [Fact]
    public void Calls_after_a_smaller_then_a_larger_batch_allocate_nothing()
    {
        // A larger batch regrows the operations' buffers: every batch size is warmed again at its next call, so the
        // views of the smaller one are remade there and not on a random later call.
        var layer = new RandAugment((0, 1), numOps: 3, factor: 0.6, seed: 4);
        layer.Build(new TensorShape(5, 6, 3));
        Tensor small = Tensor.RandomUniform(new TensorShape(2, 5, 6, 3), 1), large = Tensor.RandomUniform(new TensorShape(6, 5, 6, 3), 2);
        layer.Backward(layer.Forward(small, training: true));
        layer.Backward(layer.Forward(large, training: true));
        layer.Backward(layer.Forward(small, training: true));
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 12; i++)
            {
                Tensor x = i % 2 == 0 ? small : large;
                layer.Backward(layer.Forward(x, training: true));
            }
        });
    }

}
