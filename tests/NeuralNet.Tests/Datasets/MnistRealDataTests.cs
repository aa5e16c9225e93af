using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

/// <summary>A fact that runs only when the four MNIST files are in <see cref="Mnist.DefaultCacheDirectory"/> (run .ci/fetch-mnist.sh).</summary>
public sealed class MnistCachedFactAttribute : FactAttribute
{
    public MnistCachedFactAttribute()
    {
        if (!IsCached)
        {
            Skip = $"MNIST is not cached in {Mnist.DefaultCacheDirectory}; run .ci/fetch-mnist.sh to enable these tests.";
        }
    }

    public static bool IsCached =>
        new[] { Mnist.TrainImagesFile, Mnist.TrainLabelsFile, Mnist.TestImagesFile, Mnist.TestLabelsFile }
            .All(name => File.Exists(Path.Combine(Mnist.DefaultCacheDirectory, name)));
}

/// <summary>Loads the cached MNIST once for all real-data tests; never touches the network (no sources).</summary>
public sealed class CachedMnistFixture
{
    private readonly Lazy<MnistData> _data = new(() => Mnist.Load(new MnistOptions { Sources = [] }));

    public MnistData Data => _data.Value;
}

public class MnistRealDataTests(CachedMnistFixture fixture) : IClassFixture<CachedMnistFixture>
{
    [MnistCachedFact]
    public void Load_Defaults_ShapesAndRange()
    {
        MnistData mnist = fixture.Data;

        Assert.Equal(new TensorShape(60_000, 784), mnist.Train.Features.Shape);
        Assert.Equal(new TensorShape(10_000, 784), mnist.Test.Features.Shape);
        Assert.Equal(0f, System.Numerics.Tensors.TensorPrimitives.Min(mnist.Train.Features.AsReadOnlySpan()));
        Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Max(mnist.Train.Features.AsReadOnlySpan()));
    }

    [MnistCachedFact]
    public void Load_Defaults_KnownLabelsAndClassCounts()
    {
        MnistData mnist = fixture.Data;

        Assert.Equal([5, 0, 4, 1, 9, 2, 1, 3, 1, 4], mnist.Train.Labels[..10].ToArray());
        Assert.Equal([7, 2, 1, 0, 4], mnist.Test.Labels[..5].ToArray());
        Assert.Equal([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949], mnist.Train.ClassCounts());
        Assert.Equal(10_000, mnist.Test.ClassCounts().Sum());
    }

    [MnistCachedFact]
    public void Load_FirstThousandAsImages_E11Subset()
    {
        MnistData subset = Mnist.Load(new MnistOptions { TrainCount = 1000, TestCount = 100, Flatten = false, Sources = [] });
        LabeledDataset train = subset.Train.Take(900);
        LabeledDataset test = subset.Train.Skip(900);

        Assert.Equal(new TensorShape(1000, 28, 28, 1), subset.Train.Features.Shape);
        Assert.Equal(new TensorShape(100, 28, 28, 1), subset.Test.Features.Shape);
        Assert.Equal(900, train.Count);
        Assert.Equal(100, test.Count);
        Assert.Equal([5, 0, 4, 1, 9], train.Labels[..5].ToArray());
        Assert.Equal(fixture.Data.Train.Features.AsReadOnlySpan()[..(1000 * 784)].ToArray(), subset.Train.Features.ToArray());
    }

    [MnistCachedFact]
    public void Resplit_EightyTwenty_DeterministicPartition()
    {
        MnistData mnist = fixture.Data;

        MnistData a = mnist.Resplit(0.8, seed: 1);
        MnistData b = mnist.Resplit(0.8, seed: 1);

        Assert.Equal(56_000, a.Train.Count);
        Assert.Equal(14_000, a.Test.Count);
        Assert.Equal(a.Test.LabelsToArray(), b.Test.LabelsToArray());
        Assert.Equal(a.Test.Features.AsReadOnlySpan()[..784].ToArray(), b.Test.Features.AsReadOnlySpan()[..784].ToArray());
        int[] pooled = mnist.Train.ClassCounts().Zip(mnist.Test.ClassCounts(), (x, y) => x + y).ToArray();
        int[] split = a.Train.ClassCounts().Zip(a.Test.ClassCounts(), (x, y) => x + y).ToArray();
        Assert.Equal(pooled, split);
    }

    [MnistCachedFact]
    public void OneHotLabels_Train_MatchesLabels()
    {
        LabeledDataset train = fixture.Data.Train;

        Tensor oneHot = train.OneHotLabels();

        Assert.Equal(new TensorShape(60_000, 10), oneHot.Shape);
        Assert.Equal(1f, oneHot[0, 5]);
        Assert.Equal(60_000f, System.Numerics.Tensors.TensorPrimitives.Sum(oneHot.AsReadOnlySpan()));
    }
}
