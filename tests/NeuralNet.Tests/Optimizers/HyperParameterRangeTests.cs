using System.Text.Json.Nodes;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>
/// The constructors' ranges against Keras 3's: keras/src/optimizers/rmsprop.py and adadelta.py check nothing, so the
/// values their update keeps well defined (rho = 1, an RMSprop momentum above 1) are accepted and follow Keras' formula;
/// values for which Keras' step turns NaN (rho outside [0, 1], a negative epsilon) or is silently ignored (a negative
/// momentum) are refused naming the parameter and the value, from the constructor and from a file alike.
/// </summary>
public class HyperParameterRangeTests
{
    // 19 elements: a Vector<float> part and a scalar tail on every width.
    private const int Length = 19;

    private static float Gradient(int t, int i) => (float)((i % 3 == 0 ? -1 : 1) * (0.2 + (0.3 * ((i + (2 * t)) % 5))));

    [Theory]
    [InlineData(false, 0f)]
    [InlineData(true, 0f)]
    [InlineData(false, 0.5f)]
    [InlineData(true, 0.5f)]
    public void RmsProp_RhoOne_FollowsKerasFormula(bool centered, float momentum)
    {
        // rmsprop.py update_step with rho = 1: velocity (and average_gradient) stay at 0, so the denominator is epsilon.
        const double lr = 0.01, eps = 1e-4;
        double[] m = new double[Length];
        Check(new RmsProp(0.01f, rho: 1f, momentum: momentum, epsilon: 1e-4f, centered: centered), (t, i, w, g) =>
        {
            double increment = lr * g / Math.Sqrt(0 + eps);
            m[i] = (momentum * m[i]) + increment;
            return momentum > 0 ? w - m[i] : w - increment;
        });
    }

    [Fact]
    public void RmsProp_MomentumAboveOne_FollowsKerasFormula()
    {
        const double lr = 0.01, rho = 0.9, mu = 1.5, eps = 1e-7;
        double[] v = new double[Length], m = new double[Length];
        Check(new RmsProp(0.01f, momentum: 1.5f), (t, i, w, g) =>
        {
            v[i] = (rho * v[i]) + ((1 - rho) * g * g);
            m[i] = (mu * m[i]) + (lr * g / Math.Sqrt(v[i] + eps));
            return w - m[i];
        });
    }

    [Fact]
    public void Adadelta_RhoOne_FollowsKerasFormula()
    {
        // adadelta.py with rho = 1: both accumulators stay at 0, so delta = −√ε·g / √ε = −g: plain SGD.
        const double lr = 0.5, eps = 1e-6;
        Check(new Adadelta(0.5f, rho: 1f, epsilon: 1e-6f), (t, i, w, g) => w + (lr * (-(Math.Sqrt(0 + eps) * g) / Math.Sqrt(0 + eps))));
    }

    [Fact]
    public void Adamax_BetaTwoOne_FollowsKerasFormula()
    {
        // adamax.py with beta_2 = 1: u = max(u, |g|), the largest |g| so far (Keras checks nothing).
        const double lr = 0.01, b1 = 0.9, eps = 1e-7;
        double[] m = new double[Length], u = new double[Length];
        Check(new Adamax(0.01f, beta2: 1f), (t, i, w, g) =>
        {
            m[i] += (g - m[i]) * (1 - b1);
            u[i] = Math.Max(u[i], Math.Abs(g));
            return w - (lr * m[i] / ((1 - Math.Pow(b1, t)) * (u[i] + eps)));
        });
        Assert.Equal("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new Adamax(beta2: 1.01f)).ParamName);
        Assert.Equal("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta2: 1f)).ParamName);
        Assert.Equal("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new Nadam(beta2: 1f)).ParamName);
    }

    [Theory]
    [InlineData("RMSprop", "\"rho\": 1.0, \"momentum\": 2.0, \"centered\": true")]
    [InlineData("Adamax", "\"beta_2\": 1.0")]
    [InlineData("Adadelta", "\"rho\": 1.0")]
    public void Load_ValuesKerasAccepts_LoadAndRoundTrip(string className, string settings)
    {
        Optimizer optimizer = Read(className, settings);
        Assert.Equal(1f, optimizer switch { RmsProp r => r.Rho, Adadelta a => a.Rho, Adamax x => x.Beta2, _ => float.NaN });
        Optimizer again = SerializationRegistry.Deserialize<Optimizer>(SerializationRegistry.Serialize(optimizer), new Config(), "optimizer");
        Assert.Equal(optimizer.GetConfig().ToJson(), again.GetConfig().ToJson());
    }

    public static TheoryData<string, Func<Optimizer>, string, string> Refused => new()
    {
        { "RmsProp rho > 1", () => new RmsProp(rho: 1.01f), "rho", "rho=1.01" },
        { "RmsProp rho < 0", () => new RmsProp(rho: -0.1f), "rho", "rho=-0.1" },
        { "RmsProp rho NaN", () => new RmsProp(rho: float.NaN), "rho", "rho=NaN" },
        { "RmsProp momentum < 0", () => new RmsProp(momentum: -0.5f), "momentum", "momentum=-0.5" },
        { "RmsProp momentum NaN", () => new RmsProp(momentum: float.NaN), "momentum", "momentum=NaN" },
        { "RmsProp momentum infinite", () => new RmsProp(momentum: float.PositiveInfinity), "momentum", "momentum=Infinity" },
        { "RmsProp epsilon < 0", () => new RmsProp(epsilon: -1e-7f), "epsilon", "epsilon=-1E-07" },
        { "RmsProp epsilon infinite", () => new RmsProp(epsilon: float.PositiveInfinity), "epsilon", "epsilon=Infinity" },
        { "Adadelta rho > 1", () => new Adadelta(rho: 1.5f), "rho", "rho=1.5" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Constructor_ValuesWhereKerasStepIsNaNOrIgnored_AreRefusedNamingThem(string what, Func<Optimizer> create, string parameter, string shown)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.True(parameter == ex.ParamName, what);
        Assert.Contains(shown, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RMSprop", "\"rho\": 1.5", "rho=1.5")]
    [InlineData("RMSprop", "\"momentum\": -0.9", "momentum=-0.9")]
    [InlineData("Adadelta", "\"rho\": -1", "rho=-1")]
    public void Load_ValuesWhereKerasStepIsNaNOrIgnored_AreRefusedNamingThem(string className, string settings, string shown)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Read(className, settings));
        Assert.Contains(shown, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BaseOptionsAsKerasChecksThem_ZeroIsNoneAndEmaOptionsAreCheckedOnlyWithEma()
    {
        // base_optimizer.py: "if gradient_accumulation_steps:" and "if ema_overwrite_frequency and ..." treat 0 as unset;
        // ema_momentum and ema_overwrite_frequency are checked only when use_ema is true.
        Assert.Null(Read("SGD", "\"gradient_accumulation_steps\": 0").GradientAccumulationSteps);
        Assert.Equal(2, Read("SGD", "\"gradient_accumulation_steps\": 2").GradientAccumulationSteps);
        Optimizer ema = Read("Adam", "\"use_ema\": true, \"ema_momentum\": 0.9, \"ema_overwrite_frequency\": 0");
        Assert.Equal((true, 0.9f, (int?)null), (ema.UseEma, ema.EmaMomentum, ema.EmaOverwriteFrequency));
        Optimizer noEma = Read("Adam", "\"use_ema\": false, \"ema_momentum\": 1.5, \"ema_overwrite_frequency\": -2");
        Assert.Equal((false, 0.99f, (int?)null), (noEma.UseEma, noEma.EmaMomentum, noEma.EmaOverwriteFrequency));
        Assert.Equal(0.5f, Read("Adam", "\"use_ema\": false, \"ema_momentum\": 0.5").EmaMomentum);

        // What Keras refuses is refused, naming the setting and the value.
        Assert.Contains("GradientAccumulationSteps=1", Assert.Throws<InvalidDataException>(() => Read("SGD", "\"gradient_accumulation_steps\": 1")).Message, StringComparison.Ordinal);
        Assert.Contains("GradientAccumulationSteps=-2", Assert.Throws<InvalidDataException>(() => Read("SGD", "\"gradient_accumulation_steps\": -2")).Message, StringComparison.Ordinal);
        Assert.Contains("EmaOverwriteFrequency=-2", Assert.Throws<InvalidDataException>(() => Read("Adam", "\"use_ema\": true, \"ema_overwrite_frequency\": -2")).Message, StringComparison.Ordinal);
        Assert.Contains("EmaMomentum=1.5", Assert.Throws<InvalidDataException>(() => Read("Adam", "\"use_ema\": true, \"ema_momentum\": 1.5")).Message, StringComparison.Ordinal);
    }

    private static Optimizer Read(string className, string settings) =>
        SerializationRegistry.Deserialize<Optimizer>(JsonNode.Parse("{\"class_name\": \"" + className + "\", \"config\": {" + settings + "}}")!, new Config(), "optimizer");

    // Three steps of the optimizer against keras(t, i, w, g) worked in float64, each element within 2e-6 (relative above 1).
    private static void Check(Optimizer optimizer, Func<int, int, double, double, double> keras)
    {
        double[] want = [.. Enumerable.Range(0, Length).Select(i => 0.5 - (0.1 * i))];
        Parameter p = FormulaCheck.NewParameter(want);
        for (int t = 1; t <= 3; t++)
        {
            for (int i = 0; i < Length; i++)
            {
                want[i] = keras(t, i, want[i], Gradient(t, i));
            }

            FormulaCheck.SetGradient(p, t, Gradient);
            optimizer.Step([p]);
            FormulaCheck.AssertClose(want, p.Value, $"{optimizer.Name} step {t}");
        }
    }
}
