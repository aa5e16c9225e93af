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

    [Fact]
    public void Erf_MismatchedDestination_IsRefusedNamingTheLengths()
    {
        var e = Assert.Throws<ArgumentException>(() => ErrorFunction.Erf(new float[3], new float[2]));
        Assert.Contains("destination of 3 values, got 2", e.Message, StringComparison.Ordinal);
    }
}
