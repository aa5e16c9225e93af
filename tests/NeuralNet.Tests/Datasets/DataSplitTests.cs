using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

public class DataSplitTests
{
    [Fact]
    public void TrainValidationTest_partitions_every_sample_once_keeping_tensors_aligned()
    {
        (Tensor x, Tensor y) = Numbered(50);

        var (train, validation, test) = DataSplit.TrainValidationTest([x, y], validationFraction: 0.2, testFraction: 0.1, seed: 4);

        Assert.Equal([35, 10, 5], new[] { train, validation, test }.Select(p => p[0].Shape[0]));
        var ids = new List<float>();
        foreach (Tensor[] part in new[] { train, validation, test })
        {
            for (int r = 0; r < part[0].Shape[0]; r++)
            {
                // Row r of x holds (id, id + 0.5) and row r of y holds id: the parts keep samples together.
                Assert.Equal(part[0][r, 0], part[1][r]);
                Assert.Equal(part[0][r, 0] + 0.5f, part[0][r, 1]);
                ids.Add(part[1][r]);
            }
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => (float)i), ids.Order());
        Assert.NotEqual(Enumerable.Range(0, 35).Select(i => (float)i), train[1].ToArray());
    }

    [Fact]
    public void The_same_seed_gives_the_same_split_and_no_shuffle_keeps_the_order()
    {
        (Tensor x, Tensor y) = Numbered(20);

        var (a, _) = DataSplit.TrainTest([x, y], 0.25, seed: 9);
        var (b, _) = DataSplit.TrainTest([x, y], 0.25, seed: 9);
        var (c, _) = DataSplit.TrainTest([x, y], 0.25, seed: 10);
        var (ordered, last) = DataSplit.TrainTest([x, y], 0.25, seed: 9, shuffle: false);

        Assert.Equal(a[1].ToArray(), b[1].ToArray());
        Assert.NotEqual(a[1].ToArray(), c[1].ToArray());
        Assert.Equal(Enumerable.Range(0, 15).Select(i => (float)i), ordered[1].ToArray());
        Assert.Equal(Enumerable.Range(15, 5).Select(i => (float)i), last[1].ToArray());
    }

    [Fact]
    public void Bad_splits_are_refused_with_the_counts()
    {
        (Tensor x, Tensor y) = Numbered(4);

        var mismatch = Assert.Throws<ArgumentException>(() => DataSplit.TrainTest([x, Tensor.Zeros(3)], 0.5, seed: 1));
        Assert.Contains("tensor 0 has 4 and tensor 1 has 3", mismatch.Message, StringComparison.Ordinal);
        var empty = Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.TrainValidationTest([x, y], 0.5, 0.5, seed: 1));
        Assert.Contains("gives parts of [0, 2, 2] samples", empty.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => DataSplit.TrainTest([x], 1.0, seed: 1));
        Assert.Throws<ArgumentException>(() => DataSplit.TrainTest([], 0.5, seed: 1));
    }

    [Fact]
    public void Tensors_come_from_jagged_rows_and_doubles()
    {
        Tensor rows = Tensor.FromArray([[1f, 2f], [3f, 4f], [5f, 6f]]);
        Tensor doubles = Tensor.FromArray([0.1, 2.5, -3.0, 1e10], 2, 2);
        Tensor grid = Tensor.FromArray(new double[,] { { 1.5, 2.5 }, { 3.5, 4.5 } });

        Assert.Equal([3, 2], rows.Shape.Dimensions.ToArray());
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], rows.ToArray());
        Assert.Equal([0.1f, 2.5f, -3f, 1e10f], doubles.ToArray());
        Assert.Equal([1.5f, 2.5f, 3.5f, 4.5f], grid.ToArray());
        var ragged = Assert.Throws<ArgumentException>(() => Tensor.FromArray([[1f, 2f], [3f]]));
        Assert.Contains("Row 1 has 1 values but row 0 has 2", ragged.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Tensor.FromArray([1.0, 2.0, 3.0], 2, 2));
    }

    private static (Tensor X, Tensor Y) Numbered(int samples)
    {
        var x = Tensor.Zeros(samples, 2);
        var y = Tensor.Zeros(samples);
        for (int i = 0; i < samples; i++)
        {
            x[i, 0] = i;
            x[i, 1] = i + 0.5f;
            y[i] = i;
        }

        return (x, y);
    }
}
