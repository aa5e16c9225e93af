using FsCheck.Xunit;
using NeuralNet.Regularizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Regularizers;

public class RegularizerTests
{
    private static readonly float[] s_weights = [1f, -2f, 0f, 0.5f];

    [Fact]
    public void Penalty_HandComputed_KerasFormulas()
    {
        // sum|w| = 3.5, sum w² = 5.25
        Assert.Equal(0.035f, new L1().Penalty(s_weights), 1e-7f);
        Assert.Equal(0.0525f, new L2().Penalty(s_weights), 1e-7f);
        Assert.Equal((0.1f * 3.5f) + (0.2f * 5.25f), new L1L2(0.1, 0.2).Penalty(s_weights), 1e-6f);
        Assert.Equal(0f, new L1L2().Penalty(s_weights));
    }

    [Fact]
    public void AddGradient_HandComputed_AddsToExistingGradient()
    {
        float[] gradient = [1f, 1f, 1f, 1f];
        new L1L2(0.1, 0.2).AddGradient(s_weights, gradient);
        // 1 + 0.1 sign(w) + 0.4 w
        Assert.Equal([1.5f, 0.1f, 1f, 1.3f], gradient, new Layers.Tolerance(1e-6f));
    }

    [Property(MaxTest = 40, Replay = "(1001,1003)")]
    public void AddGradient_RandomWeights_MatchesNumericalGradient(byte which, byte length, int seed)
    {
        Regularizer regularizer = (which % 3) switch
        {
            0 => new L1(0.03),
            1 => new L2(0.07),
            _ => new L1L2(0.02, 0.05),
        };
        Tensor weights = TestData.AwayFromZero(seed, 0.01f, 1 + (length % 50));
        GradientChecker.CheckRegularizer(regularizer, weights, seed, GradientCheckOptions.Default with { AbsoluteTolerance = 1e-4 }).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Constructors_InvalidFactor_ThrowNamingIt(double factor)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new L2(factor));
        Assert.Equal("l2", e.ParamName);
        Assert.Contains("L2 expects a finite l2 >= 0", e.Message, StringComparison.Ordinal);
        Assert.Equal("l1", Assert.Throws<ArgumentOutOfRangeException>(() => new L1(factor)).ParamName);
        Assert.Equal("l2", Assert.Throws<ArgumentOutOfRangeException>(() => new L1L2(0, factor)).ParamName);
    }

    [Fact]
    public void Defaults_MatchKeras()
    {
        Assert.Equal(0.01f, new L1().Factor);
        Assert.Equal(0.01f, new L2().Factor);
        Assert.Equal(0f, new L1L2().L1Factor);
        Assert.Equal(0f, new L1L2().L2Factor);
        Assert.Equal(["l1", "l2", "l1_l2"], new Regularizer[] { new L1(), new L2(), new L1L2() }.Select(r => r.Name));
    }

    [Fact]
    public void AddGradient_LengthMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => new L2().AddGradient(s_weights, new float[3]));
        Assert.Throws<ArgumentException>(() => new L1().AddGradient(s_weights, new float[5]));
    }
}
