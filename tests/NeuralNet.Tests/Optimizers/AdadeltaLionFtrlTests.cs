using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Optimizers.Schedules;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>Adadelta, Lion and Ftrl against Keras 3's update rules worked in float64 for three steps, saved, loaded and resolved.</summary>
public class AdadeltaLionFtrlTests
{
    // 19 elements: a Vector<float> part and a scalar tail on every width.
    private const int Length = 19;

    [Fact]
    public void Adadelta_MatchesKerasFormulaForThreeSteps()
    {
        const double lr = 0.5, rho = 0.95, eps = 1e-7;
        double[] a = new double[Length], d = new double[Length];
        Check(new Adadelta(0.5f), 2e-6, (t, i, w, g) =>
        {
            a[i] = (rho * a[i]) + ((1 - rho) * g * g);
            double delta = -Math.Sqrt(d[i] + eps) * g / Math.Sqrt(a[i] + eps);
            d[i] = (rho * d[i]) + ((1 - rho) * delta * delta);
            return w + (lr * delta);
        });
    }

    [Fact]
    public void Lion_MatchesKerasFormulaForThreeSteps()
    {
        const double lr = 0.01, b1 = 0.9, b2 = 0.99;
        double[] m = new double[Length];
        Check(new Lion(0.01f), 2e-6, (t, i, w, g) =>
        {
            w -= lr * Math.Sign((b1 * m[i]) + ((1 - b1) * g));
            m[i] = (b2 * m[i]) + ((1 - b2) * g);
            return w;
        });
    }

    [Fact]
    public void Lion_ZeroDirection_LeavesTheWeightWhereItIs()
    {
        // sign(0) = 0, as Keras' ops.sign: a zero gradient on a zero momentum moves nothing.
        var lion = new Lion(0.1f);
        var p = new Parameter("kernel", new TensorShape(Length), true, null);
        p.Value.Fill(0.5f);
        lion.Step([p]);
        Assert.All(p.Value.ToArray(), w => Assert.Equal(0.5f, w));
    }

    [Theory]
    [InlineData(-0.5f, 0f, 0f, 0f, 0f)]
    [InlineData(-0.5f, 0.05f, 0.02f, 0.03f, 0.5f)]
    [InlineData(-0.25f, 0.05f, 0.02f, 0.03f, 0.5f)]
    [InlineData(0f, 0f, 0.1f, 0f, 0f)]
    public void Ftrl_MatchesKerasFormulaForThreeSteps(float power, float l1, float l2, float shrinkage, float beta)
    {
        const double lr = 0.1;
        double p = -power;
        double[] n = new double[Length], z = new double[Length];
        Array.Fill(n, 0.1);
        var ftrl = new Ftrl(0.1f, power, 0.1f, l1, l2, shrinkage, beta);
        Check(ftrl, 1e-5, (t, i, w, g) =>
        {
            double nNew = n[i] + (g * g);
            z[i] += g + (2 * (double)shrinkage * w) - ((Math.Pow(nNew, p) - Math.Pow(n[i], p)) / lr * w);
            double quadratic = (Math.Pow(nNew, p) / lr) + (2 * ((double)l2 + ((double)beta / (2 * lr))));
            n[i] = nNew;
            return (Math.Clamp(z[i], -(double)l1, l1) - z[i]) / quadratic;
        });
    }

    [Fact]
    public void Ftrl_ScheduleDecayedToZero_KeepsWeightsFinite()
    {
        // CosineDecay(0.1, 1) gives 0.1 at step 0 and 0 from step 1 on: Keras' rule divides by the rate (NaN weights).
        var ftrl = new Ftrl { Schedule = new CosineDecay(0.1, 1) };
        var p = new Parameter("kernel", new TensorShape(67), true, null);
        p.Value.Fill(0.5f);
        p.Gradient.Fill(1f);
        ftrl.Step([p]);
        float[] afterFirst = p.Value.ToArray();
        Tensor[] slots = ftrl.GetOrCreateState(p);
        float[] accumulator = slots[0].ToArray(), linear = slots[1].ToArray();
        p.Gradient.Fill(1f);
        ftrl.Step([p]);
        Assert.All(p.Value.ToArray(), w => Assert.True(float.IsFinite(w), $"weight {w}"));
        Assert.Equal(afterFirst, p.Value.ToArray());
        Assert.Equal(accumulator, slots[0].ToArray());
        Assert.Equal(linear, slots[1].ToArray());
    }

    [Fact]
    public void Ftrl_ZeroRatePhase_IsSkippedAsIfItsStepsHadNotHappened()
    {
        // Rates 0.1, 0, 0.1 against 0.1, 0.1 without the middle gradient: the same weights and state, bit for bit.
        var paused = new Ftrl(l1RegularizationStrength: 0.01f, beta: 0.5f) { Schedule = new PiecewiseConstantDecay([0, 1], [0.1, 0.0, 0.1]) };
        var plain = new Ftrl(0.1f, l1RegularizationStrength: 0.01f, beta: 0.5f);
        Parameter a = NewParameter(67), b = NewParameter(67);
        float[][] gradients = [.. Enumerable.Range(0, 3).Select(s => Enumerable.Range(0, 67).Select(i => ((i % 7) - 3) * 0.1f * (s + 1)).ToArray())];
        for (int s = 0; s < 3; s++)
        {
            gradients[s].CopyTo(a.Gradient.AsSpan());
            paused.Step([a]);
            if (s != 1)
            {
                gradients[s].CopyTo(b.Gradient.AsSpan());
                plain.Step([b]);
            }
        }

        Assert.Equal(b.Value.ToArray(), a.Value.ToArray());
        Assert.Equal(plain.GetOrCreateState(b)[0].ToArray(), paused.GetOrCreateState(a)[0].ToArray());
        Assert.Equal(plain.GetOrCreateState(b)[1].ToArray(), paused.GetOrCreateState(a)[1].ToArray());

        static Parameter NewParameter(int length)
        {
            var p = new Parameter("kernel", new TensorShape(length), true, null);
            p.Value.Fill(0.25f);
            return p;
        }
    }

    [Fact]
    public void NewOptimizers_ResolveSaveLoadAndResumeBitForBit()
    {
        var model = new Sequential([new InputLayer(2), new Dense(3), new Dense(1)], seed: 1);
        foreach ((string id, Type type) in new[] { ("adadelta", typeof(Adadelta)), ("lion", typeof(Lion)), ("ftrl", typeof(Ftrl)) })
        {
            model.Compile(id, "mse");
            Assert.IsType(type, model.Optimizer);
        }

        Optimizer[] optimizers =
        [
            new Adadelta(1f, rho: 0.9f, epsilon: 1e-6f) { ClipNorm = 2f },
            new Lion(3e-3f, beta1: 0.8f, beta2: 0.95f) { WeightDecay = 0.01f },
            new Ftrl(0.05f, -0.25f, 0.2f, 0.001f, 0.002f, 0.003f, 0.1f),
        ];
        foreach (Optimizer optimizer in optimizers)
        {
            var trained = new Sequential([new InputLayer(2), new Dense(3), new Dense(1)], seed: 1);
            trained.Compile(optimizer, new MeanSquaredError());
            trained.Fit(Tensor.RandomNormal(new TensorShape(16, 2), 1), Tensor.RandomNormal(new TensorShape(16, 1), 2), epochs: 2, batchSize: 8, verbose: 0);
            string path = Path.Combine(Path.GetTempPath(), $"neuralnet-{optimizer.Name}-{Environment.ProcessId}.safetensors");
            try
            {
                trained.Save(path);
                Model loaded = Model.Load(path);
                Assert.IsType(optimizer.GetType(), loaded.Optimizer);
                Assert.Equal(optimizer.GetConfig().ToJson(), loaded.Optimizer!.GetConfig().ToJson());
                Assert.Equal(4L, loaded.Optimizer.Iterations);

                Tensor x = Tensor.RandomNormal(new TensorShape(8, 2), 3), y = Tensor.RandomNormal(new TensorShape(8, 1), 4);
                trained.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
                loaded.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
                Assert.Equal(trained.Parameters.Select(p => p.Value.ToArray()), loaded.Parameters.Select(p => p.Value.ToArray()));
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    [Fact]
    public void Defaults_MatchKeras()
    {
        var adadelta = new Adadelta();
        var lion = new Lion();
        var ftrl = new Ftrl();
        Assert.Equal((0.001f, 0.95f, 1e-7f, "adadelta"), (adadelta.LearningRate, adadelta.Rho, adadelta.Epsilon, adadelta.Name));
        Assert.Equal((0.001f, 0.9f, 0.99f, "lion"), (lion.LearningRate, lion.Beta1, lion.Beta2, lion.Name));
        Assert.Equal((0.001f, -0.5f, 0.1f, "ftrl"), (ftrl.LearningRate, ftrl.LearningRatePower, ftrl.InitialAccumulatorValue, ftrl.Name));
        Assert.Equal((0f, 0f, 0f, 0f), (ftrl.L1RegularizationStrength, ftrl.L2RegularizationStrength, ftrl.L2ShrinkageRegularizationStrength, ftrl.Beta));
        Assert.Equal(
            """{"learning_rate":0.001,"clipnorm":null,"clipvalue":null,"learning_rate_power":-0.5,"initial_accumulator_value":0.1,"l1_regularization_strength":0,"l2_regularization_strength":0,"l2_shrinkage_regularization_strength":0,"beta":0}""",
            ftrl.GetConfig().ToJson());
    }

    [Fact]
    public void Constructors_BadHyperParameters_ThrowNamingThemAndTheValue()
    {
        AssertRejected(() => new Adadelta(rho: 1.5f), "rho", "rho=1.5");
        AssertRejected(() => new Adadelta(epsilon: -1f), "epsilon", "epsilon=-1");
        AssertRejected(() => new Lion(beta1: 0f), "beta1", "beta1=0");
        AssertRejected(() => new Lion(beta1: 1.5f), "beta1", "beta1=1.5");
        AssertRejected(() => new Lion(beta2: -0.1f), "beta2", "beta2=-0.1");
        AssertRejected(() => new Ftrl(learningRatePower: 0.5f), "learningRatePower", "learningRatePower=0.5");
        AssertRejected(() => new Ftrl(initialAccumulatorValue: -0.1f), "initialAccumulatorValue", "initialAccumulatorValue=-0.1");
        AssertRejected(() => new Ftrl(l1RegularizationStrength: -1f), "l1RegularizationStrength", "l1RegularizationStrength=-1");
        AssertRejected(() => new Ftrl(l2RegularizationStrength: float.NaN), "l2RegularizationStrength", "l2RegularizationStrength=NaN");
        AssertRejected(() => new Ftrl(l2ShrinkageRegularizationStrength: -1f), "l2ShrinkageRegularizationStrength", "=-1");
        AssertRejected(() => new Ftrl(beta: -1f), "beta", "beta=-1");
        AssertRejected(() => new Lion(-1f), "learningRate", "learningRate=-1");

        static void AssertRejected(Func<Optimizer> create, string name, string shown)
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => create());
            Assert.Equal(name, ex.ParamName);
            Assert.Contains(shown, ex.Message, StringComparison.Ordinal);
        }
    }

    // Element i of step t: a deterministic gradient of either sign and varied size.
    private static float Gradient(int t, int i) => (float)((i % 3 == 0 ? -1 : 1) * (0.1 + (0.37 * ((i + (5 * t)) % 7))) * (t == 2 ? 0.5 : 1));

    private static void Check(Optimizer optimizer, double tolerance, Func<int, int, double, double, double> keras)
    {
        var p = new Parameter("kernel", new TensorShape(Length), true, null);
        var want = new double[Length];
        for (int i = 0; i < Length; i++)
        {
            want[i] = 0.5 - (0.1 * i);
            p.Value[i] = (float)want[i];
        }

        for (int t = 1; t <= 3; t++)
        {
            for (int i = 0; i < Length; i++)
            {
                p.Gradient[i] = Gradient(t, i);
                want[i] = keras(t, i, want[i], Gradient(t, i));
            }

            optimizer.Step([p]);
            for (int i = 0; i < Length; i++)
            {
                Assert.True(Math.Abs(want[i] - p.Value[i]) <= tolerance * Math.Max(1, Math.Abs(want[i])), $"{optimizer.Name} step {t}, element {i}: {p.Value[i]}; Keras' formula gives {want[i]}.");
            }
        }
    }
}
