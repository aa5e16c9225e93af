using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

public class BatchLoaderTests
{
    // Sample i has features i * 1000 + column and target i, so every gathered row says which sample it is.
    private static (Tensor X, Tensor Y) Numbered(int samples, int features)
    {
        var x = new Tensor(samples, features);
        var y = new Tensor(samples, 1);
        for (int i = 0; i < samples; i++)
        {
            for (int c = 0; c < features; c++)
            {
                x[i, c] = (i * 1000f) + c;
            }

            y[i, 0] = i;
        }

        return (x, y);
    }

    private static List<int> EpochSamples(BatchLoader loader, int features)
    {
        var seen = new List<int>();
        for (int b = 0; b < loader.BatchCount; b++)
        {
            (Tensor inputs, Tensor targets) = loader.GetBatch(b);
            for (int r = 0; r < inputs.Shape[0]; r++)
            {
                int sample = (int)targets[r, 0];
                for (int c = 0; c < features; c++)
                {
                    Assert.Equal((sample * 1000f) + c, inputs[r, c]);
                }

                seen.Add(sample);
            }
        }

        return seen;
    }

    [Theory]
    [InlineData(1000, 3, 64)]
    [InlineData(300, 784, 128)] // 128 x 784 floats: gathered by two threads when they are available
    public void ShuffledEpoch_EverySampleOnce_RowsMatchTheirTargets(int samples, int features, int batch)
    {
        (Tensor x, Tensor y) = Numbered(samples, features);
        var loader = new BatchLoader(x, y, batch, shuffle: true, seed: 5);
        loader.ShuffleForEpoch(0);
        List<int> seen = EpochSamples(loader, features);
        Assert.Equal(Enumerable.Range(0, samples), seen.Order());
        Assert.NotEqual(Enumerable.Range(0, samples), seen);
        Assert.Equal(samples % batch == 0 ? batch : samples % batch, loader.GetBatch(loader.BatchCount - 1).Inputs.Shape[0]);
    }

    [Fact]
    public void LargeBatches_OneThreadOrMany_SameBatches()
    {
        (Tensor x, Tensor y) = Numbered(700, 784);
        List<int> Run(int threads)
        {
            int saved = Parallelism.MaxDegreeOfParallelism;
            try
            {
                Parallelism.MaxDegreeOfParallelism = threads;
                var loader = new BatchLoader(x, y, 256, shuffle: true, seed: 9);
                loader.ShuffleForEpoch(3);
                return EpochSamples(loader, 784);
            }
            finally
            {
                Parallelism.MaxDegreeOfParallelism = saved;
            }
        }

        Assert.Equal(Run(1), Run(2));
        Assert.Equal(Run(1), Run(3));
    }

    [Fact]
    public void NoShuffle_BatchesFollowTheDataOrder()
    {
        (Tensor x, Tensor y) = Numbered(10, 2);
        var loader = new BatchLoader(x, y, 4, shuffle: false, seed: 1);
        loader.ShuffleForEpoch(7);
        Assert.Equal(Enumerable.Range(0, 10), EpochSamples(loader, 2));
        Assert.Equal(3, loader.BatchCount);
    }

    [Fact]
    public void ShuffleForEpoch_DependsOnSeedAndEpochOnly()
    {
        (Tensor x, Tensor y) = Numbered(50, 1);
        var a = new BatchLoader(x, y, 8, shuffle: true, seed: 2);
        var b = new BatchLoader(x, y, 8, shuffle: true, seed: 2);
        a.ShuffleForEpoch(0);
        a.ShuffleForEpoch(1);
        b.ShuffleForEpoch(1);
        Assert.Equal(EpochSamples(a, 1), EpochSamples(b, 1));
        b.ShuffleForEpoch(2);
        Assert.NotEqual(EpochSamples(a, 1), EpochSamples(b, 1));
    }

    [Fact]
    public void BadArguments_Throw()
    {
        (Tensor x, Tensor y) = Numbered(5, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchLoader(x, y, 0, shuffle: false, seed: 0));
        Assert.Throws<ArgumentException>(() => new BatchLoader(x, new Tensor(4, 1), 2, shuffle: false, seed: 0));
        var loader = new BatchLoader(x, y, 2, shuffle: false, seed: 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.GetBatch(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => loader.ShuffleForEpoch(-1));
    }
}
