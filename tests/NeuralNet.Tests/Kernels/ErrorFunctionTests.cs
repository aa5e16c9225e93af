using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class ErrorFunctionTests
{
    private const string Seed = "(3636,11)";

    [Property(Replay = Seed, MaxTest = 100)]
    public void Erf_RandomSpans_EqualsSimpsonsRuleOfTheDefinition(long seed)
    {
        // Every length 0..64, values spread over [-4, 4] where erf goes from -1 to 1 (and some near 0, the series' range).
        var random = new SeededRandom(seed);
        int length = random.NextInt(65);
        float scale = random.NextInt(2) == 0 ? 4f : 0.05f;
        float[] x = [.. ConvTestCases.RandomArray(random, length).Select(v => v * scale)];
        float[] y = new float[length], dy = [.. ConvTestCases.RandomArray(random, length)], dx = new float[length];
        ErrorFunction.Erf(x, y);
        ErrorFunction.ErfBackward(x, dy, dx);
        for (int i = 0; i < length; i++)
        {
            double expected = ErrorFunction.ReferenceErf(x[i]);
            Assert.True(Math.Abs(y[i] - expected) <= 2e-7 * Math.Abs(expected) + 1e-8, $"erf({x[i]}) = {y[i]}, reference {expected}");

            // The derivative checked against a central difference of the reference.
            double h = 1e-4, slope = (ErrorFunction.ReferenceErf(x[i] + h) - ErrorFunction.ReferenceErf(x[i] - h)) / (2 * h);
            Assert.True(Math.Abs(dx[i] - (dy[i] * slope)) <= 1e-5 * (1 + Math.Abs(dy[i] * slope)), $"erf'({x[i]}) · {dy[i]} = {dx[i]}, reference {dy[i] * slope}");
        }
    }

    [Property(Replay = Seed, MaxTest = 200)]
    public void Erf_RandomValues_WithinOneUlpOfTheDefinition(long seed)
    {
        // 64 values per case over [-6, 6] (erf rounds to ±1 in float past 3.9), near 0, and tiny: the float erf is the double
        // erf rounded once, so within one ulp of the reference (half an ulp but where the double value sits within 1e-9 of
        // a rounding boundary).
        var random = new SeededRandom(seed);
        float[] x = new float[64], y = new float[64];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = random.NextInt(3) switch
            {
                0 => (random.NextSingle() * 12f) - 6f,
                1 => (random.NextSingle() - 0.5f) * 1.2f,
                _ => (random.NextSingle() - 0.5f) * 1e-6f,
            };
        }

        ErrorFunction.Erf(x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = ErrorFunction.ReferenceErf(x[i]);
            float magnitude = MathF.Abs(y[i]);
            double ulp = MathF.BitIncrement(magnitude) - magnitude;
            Assert.True(Math.Abs(y[i] - expected) <= ulp, $"erf({x[i]:R}) = {y[i]:R}, reference {expected:R}: {Math.Abs(y[i] - expected) / ulp:F2} ulp");
        }
    }

    [Property(Replay = Seed, MaxTest = 200)]
    public void Erfc_RandomValues_WithinTwoBillionthsOfTheDoubleReference(long seed)
    {
        // Over [-5, 27] (past 27 erfc is a denormal double), each of the three ranges (series, rational, continued fraction):
        // relative error against the reference's series and 200-level continued fraction.
        var random = new SeededRandom(seed);
        for (int i = 0; i < 64; i++)
        {
            double z = random.NextInt(4) switch
            {
                0 => (random.NextDouble() * 32) - 5,
                1 => random.NextDouble() * 0.6,
                2 => 6.5 + (random.NextDouble() * 7),
                _ => (random.NextDouble() * 8) - 4,
            };
            double expected = GeluKernels.ReferenceErfc(z), actual = ErrorFunction.Erfc(z);
            Assert.True(Math.Abs(actual - expected) <= 2e-9 * expected, $"erfc({z:R}) = {actual:R}, reference {expected:R}: {Math.Abs(actual - expected) / expected:E2} relative");
        }
    }

    [Fact]
    public void Erf_EdgeValues_AreExact()
    {
        float[] x = [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, 10f, -10f, float.NaN], y = new float[x.Length];
        ErrorFunction.Erf(x, y);
        Assert.Equal([0f, -0f, 1f, -1f, 1f, -1f], y[..6]);
        Assert.True(float.IsNaN(y[6]));
        Assert.Equal(0.0, ErrorFunction.Erfc(double.PositiveInfinity));
        Assert.Equal(2.0, ErrorFunction.Erfc(double.NegativeInfinity));
    }

    [Fact]
    public void Erf_MismatchedDestination_IsRefusedNamingTheLengths()
    {
        var e = Assert.Throws<ArgumentException>(() => ErrorFunction.Erf(new float[3], new float[2]));
        Assert.Contains("destination of 3 values, got 2", e.Message, StringComparison.Ordinal);
    }
}
