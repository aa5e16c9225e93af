using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Serialization;

// Loading a file whose configuration names a large input must not allocate per-sample buffers before any data needs
// them: a small hostile file would otherwise take gigabytes before its weights are read.
public class LoadMemoryTests
{
    private const int Side = 2000;

    [Fact]
    public void Load_LayersWithPerSampleMaps_AllocatesLessThanOneSample_AndPredictsAsBefore()
    {
        var normalization = new NeuralNet.Layers.Normalization([1]);
        var model = new Sequential([
            new InputLayer(Side, Side),
            new PReLU(sharedAxes: [1, 2]),
            normalization,
            new LayerNormalization([1]),
        ]);
        normalization.Mean!.Value.AsSpan().Fill(0.5f);
        normalization.Variance!.Value.AsSpan().Fill(4f);
        (Model loaded, long allocated) = SaveAndLoad(model);

        // One sample is 4 MB of floats; the three layers used to allocate 12 bytes per sample element each at build.
        Assert.InRange(allocated, 0, Side * Side);
        Tensor x = Tensor.RandomNormal(new TensorShape(1, Side, Side), 3);
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
    }

    public static TheoryData<string> LayersWithoutWeightsToCheck => ["normalization-given-statistics", "layer-normalization-no-weights", "group-normalization-no-weights", "resizing-padded", "random-contrast"];

    [Theory]
    [MemberData(nameof(LayersWithoutWeightsToCheck))]
    public void Load_LayerWhoseBuffersNoWeightBounds_AllocatesLessThanOneSample(string kind)
    {
        // These layers hold no parameter as large as a sample (or none at all), so the file's tensors cannot vouch for
        // the shape it declares: their per-sample buffers must wait for data.
        Model model = kind switch
        {
            "normalization-given-statistics" => new Sequential([new InputLayer(Side * Side), new NeuralNet.Layers.Normalization(mean: [0.5f], variance: [4f])]),
            "layer-normalization-no-weights" => new Sequential([new InputLayer(Side, Side), new LayerNormalization([1, 2], center: false, scale: false)]),
            "group-normalization-no-weights" => new Sequential([new InputLayer(1, 1, Side * Side), new GroupNormalization(groups: 1, center: false, scale: false)]),
            "resizing-padded" => new Sequential([new InputLayer(Side, Side / 2, 1), new Resizing(4, 4, padToAspectRatio: true)]),
            _ => new Sequential([new InputLayer(1, 1, Side * Side), new RandomContrast(0.5)]),
        };
        (Model loaded, long allocated) = SaveAndLoad(model);

        Assert.InRange(allocated, 0, Side * Side);
        Tensor x = Tensor.RandomNormal(model.Layers[0].OutputShape.Prepend(1), 3);
        Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
    }

    // The model saved to memory, loaded back, and the bytes the load allocated on this thread.
    private static (Model Loaded, long Allocated) SaveAndLoad(Model model)
    {
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        using var file = new MemoryStream();
        SafeTensors.Write(file, tensors, metadata);
        byte[] bytes = file.ToArray();

        long before = GC.GetAllocatedBytesForCurrentThread();
        Model loaded = Model.Load(new MemoryStream(bytes));
        return (loaded, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
