using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

/// <summary>
/// GELU's float kernels against the exact formula in double (erfc to double precision), against numerical gradients,
/// and against their scalar twin bit for bit: CI runs these under AVX-512, without AVX2 and without intrinsics, so each
/// vector width is held to the same bits.
/// </summary>
public class GeluKernelsTests
{
    private const string Seed = "(4444,17)";

    [Property(Replay = Seed, MaxTest = 200)]
    public void ForwardAndBackward_RandomSpans_WithinTwoUlpOfTheFormulaAndTheScalarTwinsBits(long seed)
    {
        // Lengths 0..300 (every tail after 4-, 8- and 16-wide blocks), values from the far negative tail to past the
        // exact form's cutoff, around 0, and at the usual scale of activations.
        var random = new SeededRandom(seed);
        int length = random.NextInt(301);
        float[] x = new float[length], dy = new float[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = random.NextInt(4) switch
            {
                0 => (random.NextSingle() * 30f) - 16f,
                1 => (random.NextSingle() - 0.5f) * 1e-3f,
                2 => (random.NextSingle() * 8f) - 8f,
                _ => (random.NextSingle() * 6f) - 3f,
            };
            dy[i] = (random.NextSingle() * 2f) - 1f;
        }

        foreach (bool approximate in new[] { false, true })
        {
            float[] y = new float[length], dx = new float[length];
            GeluKernels.Forward(x, y, approximate);
            GeluKernels.Backward(x, dy, dx, approximate);
            for (int i = 0; i < length; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(approximate ? GeluKernels.TanhForward(x[i]) : GeluKernels.ExactForward(x[i])), BitConverter.SingleToInt32Bits(y[i]));
                Assert.Equal(BitConverter.SingleToInt32Bits(approximate ? GeluKernels.TanhBackward(x[i], dy[i]) : GeluKernels.ExactBackward(x[i], dy[i])), BitConverter.SingleToInt32Bits(dx[i]));
                AssertWithinTwoUlp(GeluKernels.Reference(x[i], approximate), y[i], $"gelu({x[i]:R}, approximate: {approximate})");
                AssertWithinTwoUlp(dy[i] * GeluKernels.ReferenceDerivative(x[i], approximate), dx[i], $"{dy[i]:R} · gelu'({x[i]:R}, approximate: {approximate})",
                    floor: approximate ? Math.Max(1e-34, 1e-8 * Math.Abs(dy[i])) : 1e-34);
            }
        }
    }

    [Property(Replay = Seed, MaxTest = 100)]
    public void Backward_RandomValues_EqualsTheNumericalGradientOfTheFormula(long seed)
    {
        // The derivative against a central difference of the double formula, not against the derivative's own formula.
        var random = new SeededRandom(seed);
        float x = (random.NextSingle() * 16f) - 10f, dy = (random.NextSingle() * 2f) - 1f;
        foreach (bool approximate in new[] { false, true })
        {
            float[] dx = new float[1];
            GeluKernels.Backward([x], [dy], dx, approximate);
            const double h = 1e-4;
            double slope = (GeluKernels.Reference(x + h, approximate) - GeluKernels.Reference(x - h, approximate)) / (2 * h);
            Assert.True(Math.Abs(dx[0] - (dy * slope)) <= 1e-6 * (1 + Math.Abs(dy * slope)), $"gelu'({x:R}) · {dy:R} = {dx[0]:R}, numerical {dy * slope:R} (approximate: {approximate})");
        }
    }

    [Fact]
    public void Forward_InPlace_EqualsSeparateOutput()
    {
        float[] x = [.. Enumerable.Range(0, 37).Select(i => (i * 0.7f) - 12f)];
        foreach (bool approximate in new[] { false, true })
        {
            float[] y = new float[x.Length], inPlace = (float[])x.Clone();
            GeluKernels.Forward(x, y, approximate);
            GeluKernels.Forward(inPlace, inPlace, approximate);
            Assert.Equal(y, inPlace);
        }
    }

    [Fact]
    public void Forward_EdgeValues_FollowTheFormula()
    {
        // Past the cutoffs GELU is below float's normal range and comes out as −0; ±∞ and NaN as 0.5 x (1 + erf(x/√2)).
        float[] x = [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, -14.5f, -30f, 30f, -11f, 1e-30f];
        foreach (bool approximate in new[] { false, true })
        {
            float[] y = new float[x.Length], dx = new float[x.Length];
            GeluKernels.Forward(x, y, approximate);
            GeluKernels.Backward(x, [.. x.Select(_ => 1f)], dx, approximate);
            Assert.Equal(0f, y[0]);
            Assert.Equal(float.PositiveInfinity, y[2]);
            Assert.True(float.IsNaN(y[3]) && float.IsNaN(y[4]), $"gelu(−∞) = {y[3]}, gelu(NaN) = {y[4]}");
            Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(y[5]));
            Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(y[6]));
            Assert.Equal(30f, y[7]);
            AssertWithinTwoUlp(GeluKernels.Reference(-11, approximate), y[8], $"gelu(-11, approximate: {approximate})");
            Assert.Equal(0.5e-30f, y[9]);
            Assert.Equal(0.5f, dx[0]);
            Assert.Equal(0f, dx[6]);
            Assert.Equal(1f, dx[7]);
        }
    }

    [Theory]
    [InlineData(0.1, 0.8875370839817152)]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(1, 0.15729920705028513)]
    [InlineData(2.4, 0.0006885138966450789)]
    [InlineData(2.6, 0.00023603441652934908)]
    [InlineData(3, 2.2090496998585438e-05)]
    [InlineData(5, 1.5374597944280351e-12)]
    [InlineData(7, 4.183825607779414e-23)]
    [InlineData(10, 2.088487583762545e-45)]
    [InlineData(-1, 1.8427007929497148)]
    public void ReferenceErfc_TabulatedValues_AgreeToDoublePrecision(double z, double expected)
    {
        // Python's math.erfc (the C library's) at these points.
        Assert.True(Math.Abs(GeluKernels.ReferenceErfc(z) - expected) <= 1e-12 * expected, $"erfc({z}) = {GeluKernels.ReferenceErfc(z):R}, expected {expected:R}");
    }

    [Fact]
    public void ForwardAndBackward_MismatchedLengths_AreRefusedNamingThem()
    {
        var e = Assert.Throws<ArgumentException>(() => GeluKernels.Forward(new float[3], new float[2], approximate: false));
        Assert.Contains("destination holds 2 values but the input has 3", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => GeluKernels.Backward(new float[3], new float[3], new float[4], approximate: true));
        Assert.Contains("input has 3 values but the output gradient 3 and the input gradient 4", e.Message, StringComparison.Ordinal);
    }

    // |actual − expected| ≤ 2 ulp of expected rounded to float, or the floor: past the cutoffs the kernels give 0 where
    // GELU is below 1e-37 and its derivative (x·230 times larger there) below 1e-34; the tanh form's derivative sums two
    // terms of about 0.2 that cancel at its zero (x ≈ −0.75), so there its float exponential's 1e-7 leaves 5e-9 absolute.
    private static void AssertWithinTwoUlp(double expected, float actual, string what, double floor = 1e-37)
    {
        float rounded = (float)expected;
        double ulp = Math.Abs((double)MathF.BitIncrement(MathF.Abs(rounded)) - MathF.Abs(rounded));
        double tolerance = Math.Max(2 * ulp, floor);
        Assert.True(Math.Abs(actual - expected) <= tolerance, $"{what} = {actual:R}, exact {expected:R} ({Math.Abs(actual - expected) / ulp:F2} ulp)");
    }
}
