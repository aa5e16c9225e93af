using FsCheck;
using FsCheck.Xunit;
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

    [Property(MaxTest = 200)]
    public bool FillKeepMask_MatchesTheDrawByDrawDefinition(PositiveInt length, byte rateByte, int seed)
    {
        // The mask must not depend on how it is computed: element 2j uses bits 40..63 of draw j, element 2j+1 bits 8..31,
        // and the generator must end in the same state.
        int n = (length.Get % 300) + 1;
        uint threshold = (uint)(rateByte * (1 << 16));
        var fast = new SeededRandom(seed);
        var reference = new SeededRandom(seed);
        var mask = new float[n];
        fast.FillKeepMask(mask, threshold, 1.25f);
        for (int i = 0; i < n; i += 2)
        {
            ulong bits = reference.NextUInt64();
            if (mask[i] != ((bits >> 40) < threshold ? 0f : 1.25f)
                || (i + 1 < n && mask[i + 1] != (((bits >> 8) & 0xFFFFFF) < threshold ? 0f : 1.25f)))
            {
                return false;
            }
        }

        return fast.NextUInt64() == reference.NextUInt64();
    }

    [Fact]
    public void FillKeepMask_ThresholdZeroKeepsEverything_FullThresholdDropsEverything()
    {
        var mask = new float[101];
        new SeededRandom(1).FillKeepMask(mask, 0, 2f);
        Assert.All(mask, m => Assert.Equal(2f, m));
        new SeededRandom(1).FillKeepMask(mask, 1u << 24, 2f);
        Assert.All(mask, m => Assert.Equal(0f, m));
    }
}
