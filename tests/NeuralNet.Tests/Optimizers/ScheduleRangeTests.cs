using NeuralNet.Optimizers;
using NeuralNet.Optimizers.Schedules;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>
/// Learning-rate schedules refuse settings that give negative, NaN or infinite rates; an optimizer refuses such a rate
/// from a schedule of the user's own before changing anything; non-finite norms under clipping behave as Keras'
/// clip_by_global_norm and clip_by_norm (keras/src/optimizers/base_optimizer.py).
/// </summary>
public class ScheduleRangeTests
{
    public static TheoryData<string, string> BadSettings => new()
    {
        { "exponential_negative_rate", "decayRate" },
        { "exponential_zero_rate", "decayRate" },
        { "exponential_negative_initial", "initialLearningRate" },
        { "inverse_time_negative_rate", "decayRate" },
        { "restarts_zero_t_mul", "tMul" },
        { "restarts_negative_t_mul", "tMul" },
        { "restarts_shrinking_t_mul", "tMul" },
        { "restarts_negative_m_mul", "mMul" },
        { "restarts_alpha_above_one", "alpha" },
        { "cosine_alpha_above_one", "alpha" },
        { "cosine_negative_alpha", "alpha" },
        { "cosine_negative_warmup_target", "warmupTarget" },
        { "polynomial_negative_power", "power" },
        { "polynomial_negative_end", "endLearningRate" },
        { "piecewise_negative_value", "values[1]" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public void Constructor_SettingGivingABadRate_ThrowsNamingTheParameter(string which, string parameter)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => Make(which));
        Assert.Equal(parameter, ex.ParamName);
    }

    [Fact]
    public void Constructor_ZeroWhereLegitimate_IsAccepted()
    {
        Assert.Equal(0.0, new CosineDecay(0.0, 10, warmupTarget: 0.1, warmupSteps: 5).Rate(0));
        Assert.Equal(0.0, new CosineDecay(0.1, 10).Rate(10));
        Assert.Equal(0.0, new PolynomialDecay(0.1, 10, endLearningRate: 0).Rate(10));
        Assert.Equal(0.0, new PolynomialDecay(0.0, 10, endLearningRate: 0.1).Rate(0));
        Assert.Equal(0.1, new InverseTimeDecay(0.1, 10, decayRate: 0).Rate(100));
        Assert.Equal(0.05, new CosineDecayRestarts(0.1, 10, tMul: 1.0, mMul: 0.0).Rate(5), 12);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-0.01)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(1e300)]
    public void Step_ScheduleGivingABadRate_ThrowsBeforeChangingAnything(double rate)
    {
        var sgd = new Sgd(momentum: 0.9f) { Schedule = new Fixed(rate), GlobalClipNorm = 1f };
        var p = new Parameter("w", new TensorShape(3), true, null);
        p.Value.Fill(1f);
        p.Gradient.Fill(2f);

        var ex = Assert.Throws<InvalidOperationException>(() => sgd.Step([p]));

        Assert.Contains("Fixed", ex.Message, StringComparison.Ordinal);
        Assert.Contains("step 0", ex.Message, StringComparison.Ordinal);
        Assert.Equal([1f, 1f, 1f], p.Value.AsReadOnlySpan().ToArray());
        Assert.Equal([2f, 2f, 2f], p.Gradient.AsReadOnlySpan().ToArray());
        Assert.Equal(0L, sgd.Iterations);
    }

    [Fact]
    public void Step_ScheduleGivingZero_IsAllowed()
    {
        var sgd = new Sgd { Schedule = new Fixed(0.0) };
        var p = new Parameter("w", new TensorShape(2), true, null);
        p.Value.Fill(1f);
        p.Gradient.Fill(2f);
        sgd.Step([p]);
        Assert.Equal([1f, 1f], p.Value.AsReadOnlySpan().ToArray());
    }

    [Theory]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NaN)]
    public void GlobalClipNorm_NonFiniteGlobalNorm_MakesEveryGradientNaNAsKeras(float bad)
    {
        // Keras: scale = clip * min(1 / norm, 1 / clip) + (norm - norm), NaN for an inf or NaN norm. Before, an inf norm
        // scaled the finite gradients to 0 (a silent no-op step) and a NaN norm skipped the clipping.
        var sgd = new Sgd(learningRate: 0.1f) { GlobalClipNorm = 1f };
        var a = new Parameter("a", new TensorShape(2), true, null);
        var b = new Parameter("b", new TensorShape(2), true, null);
        a.Gradient.AsSpan()[0] = bad;
        a.Gradient.AsSpan()[1] = 0.5f;
        b.Gradient.Fill(0.25f);

        sgd.Step([a, b]);

        Assert.All(a.Value.AsReadOnlySpan().ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.All(b.Value.AsReadOnlySpan().ToArray(), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void ClipNorm_NaNNorm_MakesTheParametersGradientNaNAsKeras()
    {
        // Keras' clip_by_norm: g * clip / maximum(NaN, clip) = NaN for every element; before, the clipping was skipped.
        var sgd = new Sgd(learningRate: 0.1f) { ClipNorm = 1f };
        var a = new Parameter("a", new TensorShape(2), true, null);
        var b = new Parameter("b", new TensorShape(2), true, null);
        a.Gradient.AsSpan()[0] = float.NaN;
        a.Gradient.AsSpan()[1] = 0.5f;
        b.Gradient.Fill(0.25f);

        sgd.Step([a, b]);

        Assert.All(a.Value.AsReadOnlySpan().ToArray(), v => Assert.True(float.IsNaN(v)));
        Assert.Equal([-0.025f, -0.025f], b.Value.AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void ClipNorm_InfiniteNorm_ZeroesFiniteElementsAndNaNsInfiniteOnesAsKeras()
    {
        // g * clip / max(inf, clip): finite elements become 0, the infinite one inf / inf = NaN.
        var sgd = new Sgd(learningRate: 0.1f) { ClipNorm = 1f };
        var a = new Parameter("a", new TensorShape(2), true, null);
        a.Gradient.AsSpan()[0] = float.PositiveInfinity;
        a.Gradient.AsSpan()[1] = 0.5f;

        sgd.Step([a]);

        Assert.True(float.IsNaN(a.Value.AsReadOnlySpan()[0]));
        Assert.Equal(0f, a.Value.AsReadOnlySpan()[1]);
    }

    private static LearningRateSchedule Make(string which) => which switch
    {
        "exponential_negative_rate" => new ExponentialDecay(0.1, 10, decayRate: -0.5),
        "exponential_zero_rate" => new ExponentialDecay(0.1, 10, decayRate: 0),
        "exponential_negative_initial" => new ExponentialDecay(-0.1, 10, decayRate: 0.5),
        "inverse_time_negative_rate" => new InverseTimeDecay(0.1, 10, decayRate: -0.5),
        "restarts_zero_t_mul" => new CosineDecayRestarts(0.1, 10, tMul: 0),
        "restarts_negative_t_mul" => new CosineDecayRestarts(0.1, 10, tMul: -2),
        "restarts_shrinking_t_mul" => new CosineDecayRestarts(0.1, 10, tMul: 0.5),
        "restarts_negative_m_mul" => new CosineDecayRestarts(0.1, 10, mMul: -1),
        "restarts_alpha_above_one" => new CosineDecayRestarts(0.1, 10, alpha: 1.5),
        "cosine_alpha_above_one" => new CosineDecay(0.1, 10, alpha: 2),
        "cosine_negative_alpha" => new CosineDecay(0.1, 10, alpha: -0.1),
        "cosine_negative_warmup_target" => new CosineDecay(0.0, 10, warmupTarget: -0.1, warmupSteps: 5),
        "polynomial_negative_power" => new PolynomialDecay(0.1, 10, power: -1),
        "polynomial_negative_end" => new PolynomialDecay(0.1, 10, endLearningRate: -0.01),
        "piecewise_negative_value" => new PiecewiseConstantDecay([5], [0.1, -0.1]),
        _ => throw new ArgumentOutOfRangeException(nameof(which)),
    };

    private sealed class Fixed(double rate) : LearningRateSchedule
    {
        public override string Name => "Fixed";

        public override double Rate(long step) => rate;

        public override NeuralNet.Serialization.Config GetConfig() => new();
    }
}
