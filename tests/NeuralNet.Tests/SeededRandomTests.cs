using Xunit;

namespace NeuralNet.Tests;

public class SeededRandomTests
{
    [Fact]
    public void SameSeed_SameStream()
    {
        var a = new SeededRandom(99);
        var b = new SeededRandom(99);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(a.NextUInt64(), b.NextUInt64());
        }
    }

    [Fact]
    public void KnownFirstValues_AreStableAcrossRuntimes()
    {
        // Pinned so that a change to the generator (which would silently change every seeded result) fails here.
        var random = new SeededRandom(0);
        Assert.Equal(0x99EC5F36CB75F2B4UL, random.NextUInt64());
    }

    [Fact]
    public void NextInt_IsUniformAndInRange()
    {
        var random = new SeededRandom(5);
        var counts = new int[10];
        for (int i = 0; i < 100_000; i++)
        {
            counts[random.NextInt(10)]++;
        }

        Assert.All(counts, c => Assert.InRange(c, 9_500, 10_500));
    }

    [Fact]
    public void Shuffle_IsPermutation()
    {
        int[] values = Enumerable.Range(0, 1000).ToArray();
        new SeededRandom(3).Shuffle(values);
        Assert.Equal(Enumerable.Range(0, 1000), values.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000), values);
    }

    [Fact]
    public void NextSingle_InUnitInterval()
    {
        var random = new SeededRandom(11);
        for (int i = 0; i < 10_000; i++)
        {
            Assert.InRange(random.NextSingle(), 0f, 0.99999994f);
        }
    }
}
