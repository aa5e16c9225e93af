using Xunit;

namespace NeuralNet.Data.Tests;

public class NumpyRandomStateTests
{
    [Fact]
    public void NextUInt32_Seed5489_MatchesTheMersenneTwisterReference()
    {
        // The C++ standard fixes std::mt19937's 10000th output for the default seed 5489 at 4123659995.
        var random = new NumpyRandomState(5489);
        Assert.Equal(3499211612u, random.NextUInt32());
        for (int i = 2; i < 10000; i++)
        {
            random.NextUInt32();
        }

        Assert.Equal(4123659995u, random.NextUInt32());
    }

    [Theory]
    [InlineData(0u, new[] { 2, 8, 4, 9, 1, 6, 7, 3, 0, 5 })]
    [InlineData(42u, new[] { 8, 1, 5, 0, 7, 2, 9, 4, 3, 6 })]
    public void Shuffle_Range10_MatchesNumpyPermutation(uint seed, int[] expected)
    {
        // numpy: np.random.RandomState(seed).permutation(10)
        int[] items = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        new NumpyRandomState(seed).Shuffle(items.AsSpan());
        Assert.Equal(expected, items);
    }

    [Fact]
    public void Interval_Zero_ReturnsZeroWithoutDrawing()
    {
        var a = new NumpyRandomState(1);
        var b = new NumpyRandomState(1);
        Assert.Equal(0u, a.Interval(0));
        Assert.Equal(b.NextUInt32(), a.NextUInt32());
    }
}
