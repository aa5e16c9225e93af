using NeuralNet.Preprocessing;
using NeuralNet.Serialization;
using NeuralNet.Tests.Serialization;
using Xunit;

namespace NeuralNet.Tests.Preprocessing;

// Keras' test_saving, in NeuralNet's file: the loaded space transforms bit for bit as the saved one.
public class FeatureSpaceSaveTests
{
    [Fact]
    public void SaveLoad_AdaptedSpace_TransformsBitForBit()
    {
        var space = new FeatureSpace(
            new Dictionary<string, Feature>
            {
                ["float_1"] = FeatureSpace.Float(), ["float_2"] = FeatureSpace.FloatNormalized(), ["float_3"] = FeatureSpace.FloatDiscretized(numBins: 3),
                ["int_1"] = FeatureSpace.IntegerCategorical(maxTokens: 5, numOovIndices: 2), ["int_2"] = FeatureSpace.IntegerHashed(numBins: 32),
                ["int_3"] = FeatureSpace.IntegerCategorical(maxTokens: 5), ["string_1"] = "string_categorical", ["string_2"] = FeatureSpace.FloatRescaled(0.5f, 1f),
            },
            crosses: [FeatureSpace.Cross(["float_3", "int_1"], crossingDim: 32), FeatureSpace.Cross(["int_1", "int_2"], crossingDim: 16)]);
        Dictionary<string, FeatureColumn> data = FeatureSpaceData.Train();
        data["string_2"] = FeatureSpaceData.Floats;
        space.Adapt(data);
        float[] expected = space.Transform(data).ToArray();

        using var dir = new TempDirectory();
        space.Save(dir.File("fs.safetensors"));
        FeatureSpace loaded = FeatureSpace.Load(dir.File("fs.safetensors"));
        Assert.True(loaded.IsAdapted);
        Assert.Equal(expected, loaded.Transform(data).ToArray());
        Assert.Equal(space.GetConfig().ToJson(), loaded.GetConfig().ToJson());

        // Saved again after loading, the file is the same (Keras' idempotency check).
        loaded.Save(dir.File("fs2.safetensors"));
        Assert.Equal(File.ReadAllBytes(dir.File("fs.safetensors")), File.ReadAllBytes(dir.File("fs2.safetensors")));
        Assert.Equal(["fs.safetensors", "fs2.safetensors"], dir.Entries());
    }

    [Fact]
    public void Save_NotAdaptedOrKerasExtension_Throws()
    {
        var space = new FeatureSpace(new Dictionary<string, Feature> { ["f"] = "float_normalized" });
        using var dir = new TempDirectory();
        Assert.Contains("Adapt", Assert.Throws<InvalidOperationException>(() => space.Save(dir.File("fs.safetensors"))).Message);
        Assert.Throws<ArgumentException>(() => space.Save(dir.File("fs.keras")));
        Assert.Empty(dir.Entries());
    }

    [Fact]
    public void Load_NotAFeatureSpaceFile_Throws()
    {
        using var dir = new TempDirectory();
        SafeTensors.Save(dir.File("w.safetensors"), [new("f/mean", Tensor.FromArray([1f], 1))]);
        Assert.Contains("not a FeatureSpace file", Assert.Throws<InvalidDataException>(() => FeatureSpace.Load(dir.File("w.safetensors"))).Message);

        var space = new FeatureSpace(new Dictionary<string, Feature> { ["f"] = "float_normalized" });
        space.Adapt(new Dictionary<string, FeatureColumn> { ["f"] = new[] { 1f, 3f } });
        space.Save(dir.File("fs.safetensors"));
        SafeTensorsFile file = SafeTensors.Load(dir.File("fs.safetensors"));
        SafeTensors.Save(dir.File("cut.safetensors"), [new("f/mean", file["f/mean"])], file.Metadata);
        Assert.Contains("f/variance", Assert.Throws<InvalidDataException>(() => FeatureSpace.Load(dir.File("cut.safetensors"))).Message);
    }
}
