using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class AdaptivePoolTests
{
    private const string Seed = "(4211,97)";

    // Input and output sizes from 1 to 7 along each axis: outputs that divide the input, that do not (overlapping
    // windows), and that are larger than the input (repeated positions).
    private static AdaptivePoolShape RandomShape(SeededRandom random) => new(
        random.NextInt(7) + 1, random.NextInt(7) + 1, random.NextInt(7) + 1, random.NextInt(5) + 1,
        random.NextInt(7) + 1, random.NextInt(7) + 1, random.NextInt(7) + 1);

    [Property(Replay = Seed, MaxTest = 80)]
    public void Average_RandomShapes_EqualsFloat64Reference(long seed)
    {
        var random = new SeededRandom(seed);
        AdaptivePoolShape shape = RandomShape(random);
        float[] x = ConvTestCases.RandomArray(random, shape.InputSize), y = new float[shape.OutputSize];

        AdaptivePool.Average(x, y, shape);

        ConvTestCases.AssertClose([.. AdaptivePool.Reference(x, shape, maximum: false).Select(v => (float)v)], y, 1e-5f);
    }

    [Property(Replay = Seed, MaxTest = 80)]
    public void Max_RandomShapes_EqualsFloat64ReferenceAndPointsAtTheWinner(long seed)
    {
        var random = new SeededRandom(seed);
        AdaptivePoolShape shape = RandomShape(random);
        float[] x = ConvTestCases.RandomArray(random, shape.InputSize), y = new float[shape.OutputSize];
        int[] winners = new int[shape.OutputSize];

        AdaptivePool.Max(x, y, winners, shape);

        Assert.Equal(AdaptivePool.Reference(x, shape, maximum: true).Select(v => (float)v), y);
        for (int at = 0; at < y.Length; at++)
        {
            Assert.Equal(y[at], x[winners[at]]);
            Assert.Equal(at % shape.Channels, winners[at] % shape.Channels);
        }
    }

    [Property(Replay = Seed, MaxTest = 80)]
    public void Backward_RandomShapes_IsTheAdjointOfForward(long seed)
    {
        // Both poolings are linear in x once the max's winners are fixed: y = P·x. The backward pass must be Pᵀ, so
        // <dy, P·x> = <Pᵀ·dy, x> for every x and dy.
        var random = new SeededRandom(seed);
        AdaptivePoolShape shape = RandomShape(random);
        float[] x = ConvTestCases.RandomArray(random, shape.InputSize), dy = ConvTestCases.RandomArray(random, shape.OutputSize);
        float[] y = new float[shape.OutputSize], dx = ConvTestCases.RandomArray(random, shape.InputSize);
        int[] winners = new int[shape.OutputSize];

        AdaptivePool.Average(x, y, shape);
        AdaptivePool.AverageBackward(dy, dx, shape);
        AssertNear(Dot(dy, y), Dot(dx, x));

        dx = ConvTestCases.RandomArray(random, shape.InputSize);
        AdaptivePool.Max(x, y, winners, shape);
        AdaptivePool.MaxBackward(dy, winners, dx);
        AssertNear(Dot(dy, y), Dot(dx, x));
    }

    [Theory]
    [InlineData(5, 3, new[] { 0, 2, 1, 4, 3, 5 })]
    [InlineData(8, 4, new[] { 0, 2, 2, 4, 4, 6, 6, 8 })]
    [InlineData(4, 7, new[] { 0, 1, 0, 2, 1, 2, 1, 3, 2, 3, 2, 4, 3, 4 })]
    [InlineData(7, 1, new[] { 0, 7 })]
    public void Window_follows_the_floor_and_ceiling_rule(int input, int outputs, int[] bounds)
    {
        // PyTorch's adaptive_avg_pool1d (and Keras' ops.adaptive_average_pool): [floor(i·in/out), ceil((i+1)·in/out)).
        for (int i = 0; i < outputs; i++)
        {
            Assert.Equal((bounds[2 * i], bounds[(2 * i) + 1]), AdaptivePoolShape.Window(i, input, outputs));
        }
    }

    [Fact]
    public void Window_does_not_overflow_with_large_sizes()
    {
        Assert.Equal((2_099_999_998, 2_100_000_000), AdaptivePoolShape.Window(1_049_999_999, 2_100_000_000, 1_050_000_000));
    }

    private static void AssertNear(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-4 * (1 + Math.Abs(expected)), $"expected {expected} but got {actual}");

    private static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }
}
