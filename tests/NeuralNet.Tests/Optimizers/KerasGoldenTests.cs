using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>
/// Values Keras itself produced, ported from its optimizer tests (keras/src/optimizers/*_test.py: test_single_step,
/// test_weight_decay, test_correctness_with_golden, test_clip_norm, test_clip_value) and the RMSprop docstring, with
/// Keras' tolerances (assertAllClose: |actual − expected| ≤ atol + rtol·|expected|). Keras' vectors of 4 and 10 elements
/// are repeated over 67, so that every SIMD width and the scalar tail compute each of them.
/// </summary>
public class KerasGoldenTests
{
    private const int Length = 67;

    public static TheoryData<string, float[]> SingleStep => new()
    {
        // optimizer(learning_rate=0.5); vars [1, 2, 3, 4]; grads [1, 6, 7, 2]; one apply_gradients; rtol = atol = 1e-4.
        { "sgd", [0.5f, -1.0f, -0.5f, 3.0f] },
        { "adam", [0.5f, 1.5f, 2.5f, 3.5f] },
        { "adamw", [0.4980f, 1.4960f, 2.494f, 3.492f] },
        { "nadam", [0.4686f, 1.4686f, 2.4686f, 3.4686f] },
        { "adamax", [0.5f, 1.5f, 2.5f, 3.5f] },
        { "adagrad", [0.5233f, 1.5007f, 2.5005f, 3.5061f] },
        { "adadelta", [0.9993f, 1.9993f, 2.9993f, 3.9993f] },
        { "rmsprop", [-0.5811f, 0.4189f, 1.4189f, 2.4189f] },
        { "lion", [0.5f, 1.5f, 2.5f, 3.5f] },
        { "ftrl", [0.2218f, 1.3954f, 2.3651f, 2.8814f] },
    };

    [Theory]
    [MemberData(nameof(SingleStep))]
    public void SingleStep_MatchesKeras(string name, float[] expected)
    {
        Optimizer optimizer = Create(name, 0.5f);
        var p = new Parameter("variable", new TensorShape(Length), true, null);
        for (int i = 0; i < Length; i++)
        {
            p.Value[i] = (i % 4) + 1;
            p.Gradient[i] = new[] { 1f, 6f, 7f, 2f }[i % 4];
        }

        optimizer.Step([p]);
        for (int i = 0; i < Length; i++)
        {
            AssertAllClose(expected[i % 4], p.Value[i], 1e-4, $"{name}, element {i}");
        }
    }

    public static TheoryData<string> WeightDecayOptimizers => new() { "sgd", "adam", "adamw", "nadam", "adamax", "adagrad", "adadelta", "rmsprop", "lion", "lamb" };

    [Theory]
    [MemberData(nameof(WeightDecayOptimizers))]
    public void WeightDecay_MatchesKeras(string name)
    {
        // test_weight_decay: zero gradients, learning_rate=1.0, weight_decay=0.004. var1 goes through three optimizers
        // (2 · 0.996³ = 1.9760959); var2, named "exclude", is excluded by var_names=["exclude"]; Keras excludes var3 by
        // the variable itself (var_list), which has no counterpart here, so a pattern matching only its name stands in.
        Parameter var1 = New("variable"), var2 = New("exclude"), var3 = New("variable_3");
        Create(name, 1f, 0.004f).Step([var1]);
        Create(name, 1f, 0.004f, ["exclude"]).Step([var1, var2]);
        Create(name, 1f, 0.004f, ["^variable_3$"]).Step([var1, var3]);
        for (int i = 0; i < Length; i++)
        {
            Assert.True(Math.Abs(var1.Value[i] - 1.9760959) < 1.5e-6, $"{name}: var1[{i}] = {var1.Value[i]:R}"); // assertAlmostEqual(decimal=6)
            Assert.Equal(2f, var2.Value[i]);
            Assert.Equal(2f, var3.Value[i]);
        }

        static Parameter New(string name)
        {
            var p = new Parameter(name, new TensorShape(Length), true, null);
            p.Value.Fill(2f);
            return p;
        }
    }

    public static TheoryData<string, float[][]> Golden => new()
    {
        // test_correctness_with_golden: x = ones(10); one step with gradients 0.01, then golden[i] before step i + 1 with
        // gradients arange(0.1, 1.1, 0.1); rtol = atol = 5e-4.
        {
            // Adam(amsgrad=True). With these gradients v only grows, so max(v_hat, v) = v and plain Adam gives the same
            // values; AmsGradTests checks gradients for which the maximum matters.
            "adam-golden", [[0.999f], [0.9982f], [0.9974f], [0.9965f], [0.9955f]]
        },
        {
            "adamw-golden",
            [
                [0.4998f, 0.4998f, 0.4998f, 0.4998f, 0.4998f, 0.4998f, 0.4998f, 0.4998f, 0.4998f, 0.4998f],
                [0.2486f, 0.2475f, 0.2463f, 0.2451f, 0.244f, 0.2428f, 0.2417f, 0.2405f, 0.2394f, 0.2382f],
                [0.1223f, 0.1198f, 0.1174f, 0.1149f, 0.1124f, 0.11f, 0.1075f, 0.1051f, 0.1027f, 0.1003f],
                [0.0586f, 0.0549f, 0.0512f, 0.0475f, 0.0439f, 0.0402f, 0.0366f, 0.033f, 0.0294f, 0.0258f],
                [0.0263f, 0.0215f, 0.0167f, 0.012f, 0.0073f, 0.0026f, -0.0021f, -0.0067f, -0.0113f, -0.0159f],
            ]
        },
        {
            "nadam-golden",
            [
                [0.4281f, 0.4281f, 0.4281f, 0.4281f, 0.4281f, 0.4281f, 0.4281f, 0.4281f, 0.4281f, 0.4281f],
                [-0.1738f, -0.1731f, -0.1726f, -0.1723f, -0.1721f, -0.172f, -0.1719f, -0.1718f, -0.1718f, -0.1717f],
                [-0.7115f, -0.7103f, -0.7096f, -0.7092f, -0.709f, -0.7088f, -0.7086f, -0.7085f, -0.7085f, -0.7084f],
                [-1.2335f, -1.2322f, -1.2313f, -1.2309f, -1.2306f, -1.2304f, -1.2302f, -1.2301f, -1.23f, -1.2299f],
                [-1.7492f, -1.7478f, -1.7469f, -1.7464f, -1.7461f, -1.7459f, -1.7457f, -1.7456f, -1.7455f, -1.7454f],
            ]
        },
        {
            "adamax-golden",
            [
                [0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f, 0.8f],
                [0.6827f, 0.6873f, 0.6888f, 0.6896f, 0.6901f, 0.6904f, 0.6906f, 0.6908f, 0.6909f, 0.691f],
                [0.5333f, 0.5407f, 0.5431f, 0.5444f, 0.5451f, 0.5456f, 0.546f, 0.5462f, 0.5464f, 0.5466f],
                [0.368f, 0.3773f, 0.3804f, 0.382f, 0.3829f, 0.3835f, 0.384f, 0.3843f, 0.3846f, 0.3848f],
                [0.1933f, 0.204f, 0.2076f, 0.2094f, 0.2105f, 0.2112f, 0.2117f, 0.2121f, 0.2124f, 0.2126f],
            ]
        },
        {
            "adagrad-golden",
            [
                [0.9963f, 0.9963f, 0.9963f, 0.9963f, 0.9963f, 0.9963f, 0.9963f, 0.9963f, 0.9963f, 0.9963f],
                [0.9604f, 0.9278f, 0.9003f, 0.8784f, 0.8615f, 0.8487f, 0.8388f, 0.8313f, 0.8255f, 0.8209f],
                [0.9251f, 0.8629f, 0.8137f, 0.7768f, 0.7497f, 0.7298f, 0.7151f, 0.704f, 0.6956f, 0.6891f],
                [0.8903f, 0.8012f, 0.7342f, 0.6862f, 0.6521f, 0.6277f, 0.6099f, 0.5967f, 0.5867f, 0.579f],
                [0.856f, 0.7422f, 0.6604f, 0.6037f, 0.5644f, 0.5367f, 0.5168f, 0.5021f, 0.491f, 0.4825f],
            ]
        },
        { "adadelta-golden", [[0.9978f], [0.9947f], [0.9915f], [0.9882f], [0.9849f]] },
        { "rmsprop-golden", [[0.9967f], [0.9933f], [0.9908f], [0.9885f], [0.9864f]] },
        {
            // SGD(nesterov=True) with Keras' default momentum 0: plain SGD at 0.01.
            "sgd-golden",
            [
                [0.9999f, 0.9999f, 0.9999f, 0.9999f, 0.9999f, 0.9999f, 0.9999f, 0.9999f, 0.9999f, 0.9999f],
                [0.9989f, 0.9979f, 0.9969f, 0.9959f, 0.9949f, 0.9939f, 0.9929f, 0.9919f, 0.9909f, 0.9899f],
                [0.9979f, 0.9959f, 0.9939f, 0.9919f, 0.9899f, 0.9879f, 0.9859f, 0.9839f, 0.9819f, 0.9799f],
                [0.9969f, 0.9939f, 0.9909f, 0.9879f, 0.9849f, 0.9819f, 0.9789f, 0.9759f, 0.9729f, 0.9699f],
                [0.9959f, 0.9919f, 0.9879f, 0.9839f, 0.9799f, 0.9759f, 0.9719f, 0.9679f, 0.9639f, 0.9599f],
            ]
        },
        { "lion-golden", [[0.999f], [0.998f], [0.997f], [0.996f], [0.995f]] },
        {
            "ftrl-golden",
            [
                [0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f],
                [-0.0034f, -0.0077f, -0.0118f, -0.0157f, -0.0194f, -0.023f, -0.0263f, -0.0294f, -0.0325f, -0.0354f],
                [-0.0078f, -0.0162f, -0.0242f, -0.0317f, -0.0387f, -0.0454f, -0.0516f, -0.0575f, -0.0631f, -0.0685f],
                [-0.0121f, -0.0246f, -0.0363f, -0.0472f, -0.0573f, -0.0668f, -0.0757f, -0.0842f, -0.0922f, -0.0999f],
                [-0.0164f, -0.0328f, -0.0481f, -0.0623f, -0.0753f, -0.0875f, -0.099f, -0.1098f, -0.1201f, -0.1299f],
            ]
        },
    };

    [Theory]
    [MemberData(nameof(Golden))]
    public void CorrectnessWithGolden_MatchesKeras(string name, float[][] golden)
    {
        Optimizer optimizer = Create(name, 0f);
        var x = new Parameter("variable", new TensorShape(Length), true, null);
        x.Value.Fill(1f);
        x.Gradient.Fill(0.01f);
        optimizer.Step([x]);
        for (int step = 0; step < 5; step++)
        {
            float[] row = golden[step];
            for (int i = 0; i < Length; i++)
            {
                AssertAllClose(row[(i % 10) % row.Length], x.Value[i], 5e-4, $"{name}, row {step}, element {i}");
            }

            for (int i = 0; i < Length; i++)
            {
                x.Gradient[i] = ((i % 10) + 1) * 0.1f; // ops.arange(0.1, 1.1, 0.1)
            }

            optimizer.Step([x]);
        }
    }

    public static TheoryData<string> AllOptimizers => new() { "sgd", "adam", "adamw", "nadam", "adamax", "adagrad", "adadelta", "rmsprop", "lion", "ftrl", "lamb" };

    [Theory]
    [MemberData(nameof(AllOptimizers))]
    public void ClipNormAndClipValue_ClipAsKeras(string name)
    {
        // test_clip_norm: clipnorm=1 turns [100, 100] into [√2/2, √2/2]; test_clip_value: clipvalue=1 into [1, 1]. Keras
        // checks _clip_gradients; here each optimizer stepping the clipped gradient lands where it lands from the gradient
        // Keras expects (assertAllClose's default tolerance, 1e-6).
        float half = MathF.Sqrt(2f) / 2f;
        AssertSameStep(Create(name, 0.1f, clipNorm: 1f), [100f, 100f], Create(name, 0.1f), [half, half]);
        AssertSameStep(Create(name, 0.1f, clipValue: 1f), [100f, 100f], Create(name, 0.1f), [1f, 1f]);

        var sgd = new Sgd(1f) { ClipNorm = 1f };
        var p = new Parameter("variable", new TensorShape(2), true, null);
        p.Gradient.Fill(100f);
        sgd.Step([p]);
        AssertAllClose(-half, p.Value[0], 1e-6, "SGD(1) with clipnorm 1");
        AssertAllClose(-half, p.Value[1], 1e-6, "SGD(1) with clipnorm 1");

        static void AssertSameStep(Optimizer clipped, float[] gradient, Optimizer plain, float[] expectedGradient)
        {
            Parameter a = New(gradient), b = New(expectedGradient);
            clipped.Step([a]);
            plain.Step([b]);
            for (int i = 0; i < 2; i++)
            {
                AssertAllClose(b.Value[i], a.Value[i], 1e-6, $"{clipped.Name}, element {i}");
            }
        }

        static Parameter New(float[] gradient)
        {
            var p = new Parameter("variable", new TensorShape(2), true, null);
            p.Value.Fill(0.5f);
            gradient.CopyTo(p.Gradient.AsSpan());
            return p;
        }
    }

    [Fact]
    public void RmsPropDocstring_MatchesKeras()
    {
        // opt = RMSprop(learning_rate=0.1); var1 = 10.0; loss = var1 ** 2 / 2 (gradient var1); opt.minimize -> 9.683772.
        var rms = new RmsProp(0.1f);
        var p = new Parameter("variable", new TensorShape(Length), true, null);
        p.Value.Fill(10f);
        p.Value.CopyTo(p.Gradient);
        rms.Step([p]);
        Assert.All(p.Value.ToArray(), w => Assert.Equal(9.683772f, w, 6));
    }

    [Fact]
    public void Defaults_MatchKeras()
    {
        // adagrad.py, adamax.py, nadam.py __init__ (and the others, checked elsewhere).
        var adagrad = new Adagrad();
        var adamax = new Adamax();
        var nadam = new Nadam();
        Assert.Equal((0.001f, 0.1f, 1e-7f), (adagrad.LearningRate, adagrad.InitialAccumulatorValue, adagrad.Epsilon));
        Assert.Equal((0.001f, 0.9f, 0.999f, 1e-7f), (adamax.LearningRate, adamax.Beta1, adamax.Beta2, adamax.Epsilon));
        Assert.Equal((0.001f, 0.9f, 0.999f, 1e-7f), (nadam.LearningRate, nadam.Beta1, nadam.Beta2, nadam.Epsilon));
        Assert.Equal(["adagrad", "adamax", "nadam"], new[] { adagrad.Name, adamax.Name, nadam.Name });
        Assert.All(new Optimizer[] { adagrad, adamax, nadam }, o => Assert.Null(o.WeightDecay));
    }

    // numpy.testing.assert_allclose as Keras' assertAllClose calls it: |actual − expected| ≤ atol + rtol·|expected|.
    private static void AssertAllClose(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance + (tolerance * Math.Abs(expected)), $"{what}: {actual:R}, Keras {expected:R}");

    private static Optimizer Create(string name, float lr, float? weightDecay = null, string[]? exclusions = null, float? clipNorm = null, float? clipValue = null)
    {
        Optimizer optimizer = name switch
        {
            "sgd" => new Sgd(lr) { WeightDecay = weightDecay, WeightDecayExclusions = exclusions ?? [], ClipNorm = clipNorm, ClipValue = clipValue },
            "adam" => new Adam(lr) { WeightDecay = weightDecay, WeightDecayExclusions = exclusions ?? [], ClipNorm = clipNorm, ClipValue = clipValue },
            "adamw" => new AdamW(lr, weightDecay ?? 0.004f) { WeightDecayExclusions = exclusions ?? [], ClipNorm = clipNorm, ClipValue = clipValue },
            "nadam" => new Nadam(lr) { WeightDecay = weightDecay, WeightDecayExclusions = exclusions ?? [], ClipNorm = clipNorm, ClipValue = clipValue },
            "adamax" => new Adamax(lr) { WeightDecay = weightDecay, WeightDecayExclusions = exclusions ?? [], ClipNorm = clipNorm, ClipValue = clipValue },
            "adagrad" => new Adagrad(lr) { WeightDecay = weightDecay, WeightDecayExclusions = exclusions ?? [], ClipNorm = clipNorm, ClipValue = clipValue },
            "adadelta" => new Adadelta(lr) { WeightDecay = weightDecay, WeightDecayExclusions = exclusions ?? [], ClipNorm = clipNorm, ClipValue = clipValue },
            "rmsprop" => new RmsProp(lr) { WeightDecay = weightDecay, WeightDecayExclusions = exclusions ?? [], ClipNorm = clipNorm, ClipValue = clipValue },
            "lion" => new Lion(lr) { WeightDecay = weightDecay, WeightDecayExclusions = exclusions ?? [], ClipNorm = clipNorm, ClipValue = clipValue },
            "ftrl" => new Ftrl(lr) { WeightDecay = weightDecay, WeightDecayExclusions = exclusions ?? [], ClipNorm = clipNorm, ClipValue = clipValue },
            "lamb" => new Lamb(lr) { WeightDecay = weightDecay, WeightDecayExclusions = exclusions ?? [], ClipNorm = clipNorm, ClipValue = clipValue },

            // The hyper-parameters of each test_correctness_with_golden.
            "adam-golden" => new Adam(amsGrad: true),
            "adamw-golden" => new AdamW(learningRate: 1f, weightDecay: 0.5f, epsilon: 2f),
            "nadam-golden" => new Nadam(learningRate: 0.5f, beta1: 0.5f, beta2: 0.67f, epsilon: 1e-5f),
            "adamax-golden" => new Adamax(learningRate: 0.2f, beta1: 0.85f, beta2: 0.95f, epsilon: 1e-6f),
            "adagrad-golden" => new Adagrad(learningRate: 0.2f, initialAccumulatorValue: 0.3f, epsilon: 1e-6f),
            "adadelta-golden" => new Adadelta(learningRate: 1f, rho: 0.8f, epsilon: 1e-6f),
            "rmsprop-golden" => new RmsProp(centered: true),
            "sgd-golden" => new Sgd(nesterov: true),
            "lion-golden" => new Lion(),
            "ftrl-golden" => new Ftrl(0.05f, learningRatePower: -0.2f, initialAccumulatorValue: 0.4f, l1RegularizationStrength: 0.05f,
                l2RegularizationStrength: 0.15f, l2ShrinkageRegularizationStrength: 0.01f, beta: 0.3f),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
        return optimizer;
    }
}
