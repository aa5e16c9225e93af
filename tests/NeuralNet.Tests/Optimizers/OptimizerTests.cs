using FsCheck.Xunit;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

public class OptimizerTests
{
    // 19 elements: a full SIMD part (8 or 16 lanes) plus a scalar tail, so both code paths are checked.
    private const int Length = 19;

    private static Parameter NewParameter(float initial, int length = Length, bool trainable = true)
    {
        var p = new Parameter("w", new TensorShape(length), trainable, null);
        p.Value.Fill(initial);
        return p;
    }

    private static float[] Gradient(int step, int length = Length)
    {
        // Element i of step s: (s + 1) * (1 + i / 10) with alternating sign; deterministic.
        var g = new float[length];
        for (int i = 0; i < length; i++)
        {
            g[i] = (step + 1) * (1f + (i / 10f)) * (i % 2 == 0 ? 1f : -1f);
        }

        return g;
    }

    private static void Run(Optimizer optimizer, Parameter p, int steps, Func<int, int, double, double> reference, double tolerance)
    {
        var expected = new double[p.Value.Length];
        Array.Fill(expected, p.Value[0]);
        for (int s = 0; s < steps; s++)
        {
            float[] g = Gradient(s, p.Value.Length);
            g.CopyTo(p.Gradient.AsSpan());
            optimizer.Step([p]);
            for (int i = 0; i < expected.Length; i++)
            {
                expected[i] = reference(s, i, expected[i]);
                Assert.True(Math.Abs(p.Value[i] - expected[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                    $"step {s + 1}, element {i}: got {p.Value[i]}, expected {expected[i]}");
            }
        }
    }

    [Fact]
    public void SgdStep_ScalarHandComputed_MatchesThreeSteps()
    {
        var plain = new Sgd(learningRate: 0.1f);
        var momentum = new Sgd(learningRate: 0.1f, momentum: 0.9f);
        var nesterov = new Sgd(learningRate: 0.1f, momentum: 0.9f, nesterov: true);
        Parameter a = NewParameter(1f, 1), b = NewParameter(1f, 1), c = NewParameter(1f, 1);
        float[] expectedPlain = [0.9f, 0.7f, 0.4f];
        float[] expectedMomentum = [0.9f, 0.61f, 0.049f];
        float[] expectedNesterov = [0.81f, 0.349f, -0.4559f];
        for (int s = 0; s < 3; s++)
        {
            foreach (Parameter p in (Parameter[])[a, b, c])
            {
                p.Gradient[0] = s + 1;
            }

            plain.Step([a]);
            momentum.Step([b]);
            nesterov.Step([c]);
            Assert.Equal(expectedPlain[s], a.Value[0], 1e-6f);
            Assert.Equal(expectedMomentum[s], b.Value[0], 1e-6f);
            Assert.Equal(expectedNesterov[s], c.Value[0], 1e-6f);
        }
    }

    [Fact]
    public void SgdStep_MomentumVectorAndTail_MatchesReference()
    {
        var velocity = new double[Length];
        Run(new Sgd(0.05f, 0.8f), NewParameter(0.5f), 3, (s, i, w) =>
        {
            double g = Gradient(s)[i];
            velocity[i] = (0.8 * velocity[i]) - (0.05 * g);
            return w + velocity[i];
        }, 1e-6);
    }

    [Fact]
    public void SgdStep_NesterovVectorAndTail_MatchesReference()
    {
        var velocity = new double[Length];
        Run(new Sgd(0.05f, 0.8f, nesterov: true), NewParameter(0.5f), 3, (s, i, w) =>
        {
            double g = Gradient(s)[i];
            velocity[i] = (0.8 * velocity[i]) - (0.05 * g);
            return w + (0.8 * velocity[i]) - (0.05 * g);
        }, 1e-6);
    }

    [Fact]
    public void AdamStep_FirstStep_MovesEachWeightByAboutTheLearningRate()
    {
        // Step 1 of Adam: m = 0.1 g, v = 0.001 g^2, alpha = lr sqrt(0.001) / 0.1, so the update is lr * sign(g) up to epsilon.
        var adam = new Adam(learningRate: 0.1f);
        Parameter p = NewParameter(1f);
        Gradient(0).CopyTo(p.Gradient.AsSpan());
        adam.Step([p]);
        for (int i = 0; i < Length; i++)
        {
            Assert.Equal(i % 2 == 0 ? 0.9f : 1.1f, p.Value[i], 1e-5f);
        }
    }

    [Fact]
    public void AdamStep_BiasCorrectionInLearningRate_MatchesKerasFormulaForThreeSteps()
    {
        var m = new double[Length];
        var v = new double[Length];
        Run(new Adam(learningRate: 0.01f), NewParameter(0.3f), 3, (s, i, w) =>
        {
            int t = s + 1;
            double g = Gradient(s)[i];
            double alpha = 0.01 * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
            m[i] += (g - m[i]) * (1 - 0.9);
            v[i] += ((g * g) - v[i]) * (1 - 0.999);
            return w - (alpha * m[i] / (Math.Sqrt(v[i]) + 1e-7));
        }, 1e-5);
    }

    [Fact]
    public void AdamStep_LargeEpsilon_EpsilonIsAddedOutsideTheSquareRoot()
    {
        // With epsilon = 1 the "epsilon hat" form differs clearly from sqrt(v + eps).
        var m = new double[Length];
        var v = new double[Length];
        Run(new Adam(learningRate: 0.01f, beta1: 0.5f, beta2: 0.75f, epsilon: 1f), NewParameter(0f), 3, (s, i, w) =>
        {
            int t = s + 1;
            double g = Gradient(s)[i];
            double alpha = 0.01 * Math.Sqrt(1 - Math.Pow(0.75, t)) / (1 - Math.Pow(0.5, t));
            m[i] += (g - m[i]) * 0.5;
            v[i] += ((g * g) - v[i]) * 0.25;
            return w - (alpha * m[i] / (Math.Sqrt(v[i]) + 1));
        }, 1e-5);
    }

    [Theory]
    [InlineData(0f, false)]
    [InlineData(0.9f, false)]
    [InlineData(0f, true)]
    [InlineData(0.5f, true)]
    public void RmsPropStep_RhoMomentumCentered_MatchesKerasFormulaForThreeSteps(float momentum, bool centered)
    {
        var velocity = new double[Length];
        var average = new double[Length];
        var mom = new double[Length];
        Run(new RmsProp(learningRate: 0.01f, rho: 0.8f, momentum: momentum, centered: centered), NewParameter(0.2f), 3, (s, i, w) =>
        {
            double g = Gradient(s)[i];
            velocity[i] = (0.8 * velocity[i]) + (0.2 * g * g);
            double denominator;
            if (centered)
            {
                average[i] = (0.8 * average[i]) + (0.2 * g);
                denominator = velocity[i] - (average[i] * average[i]) + 1e-7;
            }
            else
            {
                denominator = velocity[i] + 1e-7;
            }

            double increment = 0.01 * g / Math.Sqrt(denominator);
            if (momentum > 0)
            {
                mom[i] = (momentum * mom[i]) + increment;
                return w - mom[i];
            }

            return w - increment;
        }, 2e-5);
    }

    [Property(MaxTest = 60, Replay = "(2001,2003)")]
    public void Step_AnyLengthAndSeed_SimdAndTailMatchKerasFormulas(byte length, int seed)
    {
        // Lengths 1..80 cover every tail size of the Vector<float> loop; values are seeded random gradients.
        int n = 1 + (length % 80);
        Optimizer[] optimizers = [new Sgd(0.05f, 0.9f, nesterov: true), new Adam(0.01f), new RmsProp(0.01f, momentum: 0.5f, centered: true)];
        foreach (Optimizer optimizer in optimizers)
        {
            Parameter p = NewParameter(0.25f, n);
            var state = new double[3, n];
            var w = new double[n];
            Array.Fill(w, 0.25);
            for (int t = 1; t <= 3; t++)
            {
                Tensor g = Tensor.RandomNormal(new TensorShape(n), seed + t);
                g.CopyTo(p.Gradient);
                optimizer.Step([p]);
                for (int i = 0; i < n; i++)
                {
                    double gi = g[i];
                    switch (optimizer)
                    {
                        case Sgd:
                            state[0, i] = (0.9 * state[0, i]) - (0.05 * gi);
                            w[i] += (0.9 * state[0, i]) - (0.05 * gi);
                            break;
                        case Adam:
                            double alpha = 0.01 * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
                            state[0, i] += (gi - state[0, i]) * 0.1;
                            state[1, i] += ((gi * gi) - state[1, i]) * 0.001;
                            w[i] -= alpha * state[0, i] / (Math.Sqrt(state[1, i]) + 1e-7);
                            break;
                        default:
                            state[0, i] = (0.9 * state[0, i]) + (0.1 * gi * gi);
                            state[1, i] = (0.9 * state[1, i]) + (0.1 * gi);
                            double increment = 0.01 * gi / Math.Sqrt(state[0, i] - (state[1, i] * state[1, i]) + 1e-7);
                            state[2, i] = (0.5 * state[2, i]) + increment;
                            w[i] -= state[2, i];
                            break;
                    }

                    Assert.True(Math.Abs(p.Value[i] - w[i]) <= 1e-4 * Math.Max(1, Math.Abs(w[i])), $"{optimizer.Name} n={n} step {t} element {i}: {p.Value[i]} vs {w[i]}");
                }
            }
        }
    }

    [Fact]
    public void RmsPropStep_FirstStepScalar_HandComputed()
    {
        // v = 0.1 * 4 = 0.4; w = 1 - 0.01 * 2 / sqrt(0.4 + 1e-7) = 0.968377...
        var rms = new RmsProp(learningRate: 0.01f);
        Parameter p = NewParameter(1f, 1);
        p.Gradient[0] = 2f;
        rms.Step([p]);
        Assert.Equal(0.96837723f, p.Value[0], 1e-6f);
    }

    [Fact]
    public void Step_ClipNorm_RescalesGradientToTheNorm()
    {
        var sgd = new Sgd(learningRate: 1f) { ClipNorm = 1f };
        Parameter p = NewParameter(0f, 2);
        p.Gradient[0] = 3f;
        p.Gradient[1] = 4f;
        sgd.Step([p]);
        Assert.Equal(-0.6f, p.Value[0], 1e-6f);
        Assert.Equal(-0.8f, p.Value[1], 1e-6f);

        // A gradient already inside the norm is untouched.
        p.Gradient[0] = 0.3f;
        p.Gradient[1] = 0.4f;
        sgd.Step([p]);
        Assert.Equal(-0.9f, p.Value[0], 1e-6f);
        Assert.Equal(-1.2f, p.Value[1], 1e-6f);
    }

    [Fact]
    public void Step_ClipValue_ClampsEveryElement()
    {
        var sgd = new Sgd(learningRate: 1f) { ClipValue = 0.5f };
        Parameter p = NewParameter(0f, 3);
        p.Gradient[0] = 3f;
        p.Gradient[1] = -0.2f;
        p.Gradient[2] = -7f;
        sgd.Step([p]);
        Assert.Equal([-0.5f, 0.2f, 0.5f], p.Value.ToArray());
    }

    [Fact]
    public void Step_Always_ClearsGradientsAndCountsIterations()
    {
        var adam = new Adam();
        Parameter trainable = NewParameter(1f);
        Parameter frozen = NewParameter(1f, trainable: false);
        trainable.Gradient.Fill(1f);
        frozen.Gradient.Fill(1f);
        adam.Step([trainable, frozen]);
        adam.Step([trainable, frozen]);
        Assert.Equal(2, adam.Iterations);
        Assert.All(trainable.Gradient.ToArray(), g => Assert.Equal(0f, g));
        Assert.All(frozen.Gradient.ToArray(), g => Assert.Equal(0f, g));
        Assert.All(frozen.Value.ToArray(), w => Assert.Equal(1f, w));
        Assert.NotEqual(1f, trainable.Value[0]);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Step_LargeParameter_UpdatedInRowBlocksOnThreads_BitIdenticalToOneThread(int threads)
    {
        // 301 x 257 = 77,357 elements: above the parallel threshold, rows that do not split evenly and a row length
        // that is not a multiple of the SIMD width, so block edges fall inside vectors of the one-thread pass.
        float[] RunSteps(Optimizer optimizer, int degree)
        {
            int saved = Parallelism.MaxDegreeOfParallelism;
            try
            {
                Parallelism.MaxDegreeOfParallelism = degree;
                var p = new Parameter("w", new TensorShape(301, 257), true, null);
                Tensor.RandomNormal(p.Shape, 5).CopyTo(p.Value);
                for (int t = 1; t <= 3; t++)
                {
                    Tensor.RandomNormal(p.Shape, 100 + t).CopyTo(p.Gradient);
                    optimizer.Step([p]);
                    Assert.All(p.Gradient.ToArray(), g => Assert.Equal(0f, g));
                }

                return p.Value.ToArray();
            }
            finally
            {
                Parallelism.MaxDegreeOfParallelism = saved;
            }
        }

        Func<Optimizer>[] factories =
        [
            () => new Sgd(0.05f), () => new Sgd(0.05f, 0.9f), () => new Sgd(0.05f, 0.9f, nesterov: true), () => new Adam(0.01f), () => new Adam(0.01f, amsGrad: true),
            () => new RmsProp(0.01f), () => new RmsProp(0.01f, momentum: 0.5f), () => new RmsProp(0.01f, centered: true),
            () => new RmsProp(0.01f, momentum: 0.5f, centered: true), () => new AdamW(0.01f), () => new AdamW(0.01f, amsGrad: true), () => new Adagrad(0.01f),
            () => new Adamax(0.01f), () => new Nadam(0.01f), () => new Adadelta(1f), () => new Lion(0.01f), () => new Lamb(0.01f), () => new Adafactor(0.01f), () => new ScheduleFreeAdamW(0.01f, warmupSteps: 2), () => new Ftrl(0.05f),
            () => new Ftrl(0.05f, -0.25f, 0.1f, 0.01f, 0.01f, 0.01f, 0.1f),
        ];
        foreach (Func<Optimizer> create in factories)
        {
            float[] one = RunSteps(create(), 1);
            float[] many = RunSteps(create(), threads);
            Assert.Equal(one, many);
        }
    }

    [Fact]
    public void Step_AfterFirstStep_AllocatesNothing()
    {
        Optimizer[] optimizers =
        [
            new Sgd(0.01f, 0.9f, true), new Adam(), new RmsProp(momentum: 0.5f, centered: true), new Adam() { ClipNorm = 1f },
            new Adam(amsGrad: true), new Adagrad(), new Adamax(), new Nadam(), new AdamW(amsGrad: true), new Adadelta(), new Lion(), new Lamb(), new Adafactor(), new ScheduleFreeAdamW(), new Ftrl(), new Ftrl(learningRatePower: -0.25f),
        ];
        foreach (Optimizer optimizer in optimizers)
        {
            Parameter[] parameters = [NewParameter(1f, 1000), NewParameter(1f, 37)];
            IReadOnlyList<Parameter> list = parameters;
            optimizer.Step(list);
            AllocationCheck.AssertNone(() =>
            {
                for (int i = 0; i < 10; i++)
                {
                    parameters[0].Gradient.Fill(0.5f);
                    optimizer.Step(list);
                }

            });
        }
    }

    [Fact]
    public void GetStateTensors_AfterAdamStep_ListsMomentumAndVelocityPerParameter()
    {
        var adam = new Adam();
        Parameter a = NewParameter(1f, 3), b = NewParameter(1f, 2);
        a.Gradient.Fill(1f);
        adam.Step([a, b]);
        var state = adam.GetStateTensors().ToList();
        Assert.Equal(4, state.Count);
        Assert.Same(a, state[0].Parameter);
        Assert.Equal("momentum", state[0].Slot);
        Assert.Equal("velocity", state[1].Slot);
        Assert.Equal(0.1f, state[0].Value[0], 1e-7f);
        Assert.Equal(5, adam.StateElementCount / 2);
    }

    [Theory]
    [InlineData(-0.001f)]
    [InlineData(-float.Epsilon)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Constructor_NegativeOrNonFiniteLearningRate_ThrowsNamingIt(float learningRate)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(learningRate));
        Assert.Equal("learningRate", ex.ParamName);
        Assert.Contains("learningRate=", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(learningRate));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(learningRate));
    }

    [Fact]
    public void LearningRateSetter_Negative_ThrowsNamingIt()
    {
        var sgd = new Sgd();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = -0.5f);
        Assert.Equal("learningRate", ex.ParamName);
        sgd.LearningRate = 0.5f;
        Assert.Equal(0.5f, sgd.LearningRate);
    }

    [Fact]
    public void Constructors_BadHyperParameters_ThrowNamingThem()
    {
        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta1: 1f)).ParamName);
        Assert.Equal("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta2: -0.1f)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(epsilon: -1f)).ParamName);
        Assert.Equal("momentum", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(momentum: 1.5f)).ParamName);
        Assert.Equal("rho", Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(rho: 1.5f)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd() { ClipNorm = 0f });
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd() { ClipValue = -1f });
        Assert.Throws<ArgumentException>(() => new Sgd() { ClipNorm = 1f, ClipValue = 1f });
    }

    [Fact]
    public void Defaults_MatchKeras()
    {
        var sgd = new Sgd();
        var adam = new Adam();
        var rms = new RmsProp();
        Assert.Equal((0.01f, 0f, false), (sgd.LearningRate, sgd.Momentum, sgd.Nesterov));
        Assert.Equal((0.001f, 0.9f, 0.999f, 1e-7f), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon));
        Assert.Equal((0.001f, 0.9f, 0f, 1e-7f, false), (rms.LearningRate, rms.Rho, rms.Momentum, rms.Epsilon, rms.Centered));
        Assert.Equal(["sgd", "adam", "rmsprop"], new[] { sgd.Name, adam.Name, rms.Name });
    }

    [Fact]
    public void Slots_ThreeStepsOfAdamAndRmsProp_StayWithinFloat32PrecisionOfKerasFloat64Formulas()
    {
        // Keras' formulas in float64 with the hyper-parameters as written (0.999, not float32's 0.99900001): every slot
        // of the float32 optimizers within 2e-7 relative after each step (Adam's velocity drifted 1.3e-5 before issue #21).
        Parameter adamWeights = NewParameter(0.3f), rmsWeights = NewParameter(0.3f);
        var adam = new Adam(0.01f);
        var rms = new RmsProp(0.01f, momentum: 0.5f, centered: true);
        var m = new double[Length];
        var v = new double[Length];
        var velocity = new double[Length];
        var average = new double[Length];
        for (int s = 0; s < 3; s++)
        {
            float[] g = Gradient(s);
            g.CopyTo(adamWeights.Gradient.AsSpan());
            g.CopyTo(rmsWeights.Gradient.AsSpan());
            adam.Step([adamWeights]);
            rms.Step([rmsWeights]);
            Tensor[] adamSlots = adam.GetOrCreateState(adamWeights), rmsSlots = rms.GetOrCreateState(rmsWeights);
            for (int i = 0; i < Length; i++)
            {
                m[i] += (g[i] - m[i]) * (1 - 0.9);
                v[i] += (((double)g[i] * g[i]) - v[i]) * (1 - 0.999);
                velocity[i] = (0.9 * velocity[i]) + ((1 - 0.9) * g[i] * g[i]);
                average[i] = (0.9 * average[i]) + ((1 - 0.9) * g[i]);
                AssertClose(m[i], adamSlots[0][i], $"adam momentum, step {s + 1}, element {i}");
                AssertClose(v[i], adamSlots[1][i], $"adam velocity, step {s + 1}, element {i}");
                AssertClose(velocity[i], rmsSlots[0][i], $"rmsprop velocity, step {s + 1}, element {i}");
                AssertClose(average[i], rmsSlots[2][i], $"rmsprop average_gradient, step {s + 1}, element {i}");
            }
        }

        static void AssertClose(double expected, float actual, string what) =>
            Assert.True(Math.Abs(actual - expected) <= 2e-7 * Math.Abs(expected), $"{what}: {actual} vs {expected} (relative {Math.Abs(actual - expected) / Math.Abs(expected):E2})");
    }
}
