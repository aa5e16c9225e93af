using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

public class LabeledDatasetTests
{
    [Fact]
    public void Constructor_LabelCountDiffers_Throws()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => new LabeledDataset(new Tensor(3, 2), [0, 1], 10));

        Assert.Contains("(3, 2)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_LabelOutOfRange_Throws()
    {
        ArgumentException ex = Assert.Throws<ArgumentException>(() => new LabeledDataset(new Tensor(2, 2), [0, 10], 10));

        Assert.Contains("Label 1 is 10", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TakeAndSkip_NineOfTen_ShareStorageInOrder()
    {
        LabeledDataset data = Numbered(10);

        LabeledDataset first = data.Take(9);
        LabeledDataset rest = data.Skip(9);

        Assert.Equal(9, first.Count);
        Assert.Equal(1, rest.Count);
        Assert.True(first.Features.SharesStorageWith(data.Features));
        Assert.Equal(9f, rest.Features[0, 0]);
        Assert.Equal([9 % 3], rest.LabelsToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Skip(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Take(11));
    }

    [Fact]
    public void Split_SameSeed_SameSplitAndAPermutation()
    {
        LabeledDataset data = Numbered(100);

        (LabeledDataset a1, LabeledDataset b1) = data.Split(0.8, seed: 7);
        (LabeledDataset a2, LabeledDataset b2) = data.Split(0.8, seed: 7);
        (LabeledDataset a3, _) = data.Split(0.8, seed: 8);

        Assert.Equal(80, a1.Count);
        Assert.Equal(20, b1.Count);
        Assert.Equal(a1.Features.ToArray(), a2.Features.ToArray());
        Assert.Equal(b1.Features.ToArray(), b2.Features.ToArray());
        Assert.NotEqual(a1.Features.ToArray(), a3.Features.ToArray());
        float[] ids = [.. Ids(a1), .. Ids(b1)];
        Assert.Equal(Enumerable.Range(0, 100).Select(i => (float)i), ids.Order());
        foreach (LabeledDataset part in new[] { a1, b1 })
        {
            for (int i = 0; i < part.Count; i++)
            {
                Assert.Equal((int)part.Features[i, 0] % 3, part.Labels[i]); // labels travel with their samples
            }
        }
    }

    [Fact]
    public void Split_KnownSeed_GivesTheSameFirstSamplesOnEveryRuntime()
    {
        // Pins the SeededRandom-based shuffle: a change here changes every experiment's split.
        (LabeledDataset first, _) = Numbered(10).Split(0.5, seed: 42);
        float[] expected = Ids(first);

        (LabeledDataset again, _) = Numbered(10).Split(0.5, seed: 42);

        Assert.Equal(expected, Ids(again));
        Assert.Equal(5, expected.Distinct().Count());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(0.01)]
    [InlineData(double.NaN)]
    public void Split_EmptyPart_Throws(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Numbered(10).Split(fraction, 1));
    }

    [Fact]
    public void OneHot_Labels_SetsOneColumnPerRow()
    {
        Tensor oneHot = LabeledDataset.OneHot([2, 0, 1], 3);

        Assert.Equal(new TensorShape(3, 3), oneHot.Shape);
        Assert.Equal([0f, 0f, 1f, 1f, 0f, 0f, 0f, 1f, 0f], oneHot.ToArray());
        Assert.Throws<ArgumentException>(() => LabeledDataset.OneHot([3], 3));
    }

    [Fact]
    public void LabelsAsTensor_ThreeClasses_HoldsClassIndices()
    {
        Tensor labels = Numbered(5).LabelsAsTensor();

        Assert.Equal(new TensorShape(5), labels.Shape);
        Assert.Equal([0f, 1f, 2f, 0f, 1f], labels.ToArray());
    }

    [Fact]
    public void Concatenate_TwoParts_JoinsInOrder()
    {
        LabeledDataset data = Numbered(6);

        LabeledDataset joined = LabeledDataset.Concatenate(data.Skip(4), data.Take(4));

        Assert.Equal([4f, 5f, 0f, 1f, 2f, 3f], Ids(joined));
        Assert.Equal([1, 2, 0, 1, 2, 0], joined.LabelsToArray());
        Assert.False(joined.Features.SharesStorageWith(data.Features));
    }

    [Fact]
    public void Concatenate_DifferentSampleShapes_Throws()
    {
        var a = new LabeledDataset(new Tensor(2, 3), [0, 0], 2);
        var b = new LabeledDataset(new Tensor(2, 4), [0, 0], 2);

        Assert.Throws<ArgumentException>(() => LabeledDataset.Concatenate(a, b));
    }

    [Fact]
    public void Resplit_EightyPercent_PoolsTrainAndTest()
    {
        LabeledDataset all = Numbered(50);
        var data = new MnistData(all.Take(40), all.Skip(40));

        MnistData resplit = data.Resplit(0.8, seed: 3);

        Assert.Equal(40, resplit.Train.Count);
        Assert.Equal(10, resplit.Test.Count);
        Assert.Contains(Ids(resplit.Test), id => id < 40); // test now draws from the old training set too
        float[] ids = [.. Ids(resplit.Train), .. Ids(resplit.Test)];
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (float)i), ids.Order());
    }

    [Fact]
    public void ClassCounts_TenSamples_CountsEachLabel()
    {
        Assert.Equal([4, 3, 3], Numbered(10).ClassCounts());
    }

    /// <summary>Samples (count, 2) whose first feature is the sample's index; label = index % 3.</summary>
    private static LabeledDataset Numbered(int count)
    {
        var features = new Tensor(count, 2);
        int[] labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            features[i, 0] = i;
            features[i, 1] = -i;
            labels[i] = i % 3;
        }

        return new LabeledDataset(features, labels, 3);
    }

    private static float[] Ids(LabeledDataset data)
    {
        float[] ids = new float[data.Count];
        for (int i = 0; i < data.Count; i++)
        {
            ids[i] = data.Features[i, 0];
        }

        return ids;
    }
}
