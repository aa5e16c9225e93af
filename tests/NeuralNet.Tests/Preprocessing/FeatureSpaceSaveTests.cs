using System.Text.Json.Nodes;
using NeuralNet.Layers;
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
    public void SaveLoad_DictModeHashedStringsGivenBoundaries_TransformsBitForBit()
    {
        var space = new FeatureSpace(
            new Dictionary<string, Feature>
            {
                ["string_2"] = FeatureSpace.StringHashed(numBins: 16), ["string_1"] = FeatureSpace.StringCategorical(outputMode: CategoryOutputMode.Int),
                ["float_3"] = FeatureSpace.FloatDiscretized(numBins: null, binBoundaries: [0.25f, 0.5f]), ["float_2"] = "float_normalized",
            },
            FeatureSpaceOutputMode.Dict,
            crosses: [FeatureSpace.Cross(["string_2", "float_3"], 8, CategoryOutputMode.Int)]);
        Dictionary<string, FeatureColumn> data = FeatureSpaceData.Train();
        space.Adapt(data);
        IReadOnlyDictionary<string, Tensor> expected = space.TransformToDictionary(data);

        using var dir = new TempDirectory();
        space.Save(dir.File("fs.safetensors"));
        FeatureSpace loaded = FeatureSpace.Load(dir.File("fs.safetensors"));
        Assert.Equal(FeatureSpaceOutputMode.Dict, loaded.OutputMode);
        IReadOnlyDictionary<string, Tensor> actual = loaded.TransformToDictionary(data);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach ((string name, Tensor tensor) in expected)
        {
            Assert.Equal(tensor.Shape, actual[name].Shape);
            Assert.Equal(tensor.ToArray(), actual[name].ToArray());
        }

        // The given boundaries survive: 0 -> bin 0, 0.3 -> 1, 0.9 -> 2, one-hot of width 3.
        Assert.Equal([0.25f, 0.5f], ((Discretization)loaded.Preprocessors["float_3"]).BinBoundaries!);
        Assert.Equal([1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f], new[] { 0, 3, 9 }.SelectMany(s => actual["float_3"].ToArray()[(s * 3)..((s + 1) * 3)]).ToArray());
        Assert.Equal(space.GetConfig().ToJson(), loaded.GetConfig().ToJson());
    }

    [Fact]
    public void GetConfig_KerasShape()
    {
        // Keras' FeatureSpace.get_config: features serialized as {"class_name": "Feature", "config": {dtype, preprocessor,
        // output_mode}}, string_hashed a "Hashing" layer, crosses as {"class_name": "Cross", "config": {feature_names, ...}}.
        var space = new FeatureSpace(
            new Dictionary<string, Feature>
            {
                ["s"] = "string_hashed", ["i"] = FeatureSpace.IntegerCategorical(outputMode: CategoryOutputMode.Int), ["f"] = "float",
            },
            FeatureSpaceOutputMode.Dict,
            crosses: [FeatureSpace.Cross(["s", "i"], 8)]);
        JsonObject config = JsonNode.Parse(space.GetConfig().ToJson())!.AsObject();
        Assert.Equal(["name", "features", "output_mode", "crosses", "crossing_dim", "hashing_dim", "num_discretization_bins"], config.Select(p => p.Key));
        Assert.Equal("dict", (string?)config["output_mode"]);
        Assert.Equal(32, (int?)config["crossing_dim"]);

        JsonNode s = config["features"]!["s"]!;
        Assert.Equal("Feature", (string?)s["class_name"]);
        Assert.Equal(["dtype", "preprocessor", "output_mode"], s["config"]!.AsObject().Select(p => p.Key));
        Assert.Equal("string", (string?)s["config"]!["dtype"]);
        Assert.Equal("one_hot", (string?)s["config"]!["output_mode"]);
        Assert.Equal("Hashing", (string?)s["config"]!["preprocessor"]!["class_name"]);
        Assert.Equal(32, (int?)s["config"]!["preprocessor"]!["config"]!["num_bins"]);
        Assert.Equal("int", (string?)config["features"]!["i"]!["config"]!["output_mode"]);
        Assert.Equal("int32", (string?)config["features"]!["i"]!["config"]!["dtype"]);
        Assert.Equal("IntegerLookup", (string?)config["features"]!["i"]!["config"]!["preprocessor"]!["class_name"]);
        Assert.Equal("float", (string?)config["features"]!["f"]!["config"]!["output_mode"]);
        Assert.Equal("float32", (string?)config["features"]!["f"]!["config"]!["dtype"]);

        JsonNode cross = config["crosses"]![0]!;
        Assert.Equal("Cross", (string?)cross["class_name"]);
        Assert.Equal(["s", "i"], cross["config"]!["feature_names"]!.AsArray().Select(n => (string?)n));
        Assert.Equal(8, (int?)cross["config"]!["crossing_dim"]);
        Assert.Equal("one_hot", (string?)cross["config"]!["output_mode"]);
    }

    [Theory]
    [InlineData("i", "\"output_mode\": \"int\"", "\"output_mode\": \"multi_hot\"", "output_mode is 'multi_hot'")]
    [InlineData("s", "\"output_mode\": \"int\"", "\"output_mode\": \"one_hot\"", "output_mode is 'one_hot'")]
    [InlineData("b", "\"output_mode\": \"int\"", "\"output_mode\": \"count\"", "output_mode is 'count'")]
    [InlineData("i", "\"invert\": false", "\"invert\": true", "invert is true")]
    [InlineData("n", "\"invert\": false", "\"invert\": true", "invert is true")]
    [InlineData("n", "\"axis\": [-1]", "\"axis\": null", "axis is []")]
    public void Load_PreprocessorSettingsAFeatureCannotUse_ThrowsNamingTheFeature(string feature, string from, string to, string expected)
    {
        var space = new FeatureSpace(new Dictionary<string, Feature>
        {
            ["i"] = "integer_categorical", ["s"] = "string_hashed", ["b"] = FeatureSpace.FloatDiscretized(null, [0.5f]), ["n"] = "float_normalized",
        });
        var data = new Dictionary<string, FeatureColumn> { ["i"] = new[] { 1, 2 }, ["s"] = new[] { "a", "b" }, ["b"] = new[] { 0f, 1f }, ["n"] = new[] { 0f, 1f } };
        space.Adapt(data);
        using var dir = new TempDirectory();
        space.Save(dir.File("fs.safetensors"));
        string edited = EditFeature(dir, feature, from, to);

        string message = Assert.Throws<InvalidDataException>(() => FeatureSpace.Load(edited)).Message;
        Assert.Contains($"feature '{feature}'", message);
        Assert.Contains(expected, message);
    }

    [Fact]
    public void Load_CrossingDimBeyondInt32_Throws()
    {
        var space = new FeatureSpace(new Dictionary<string, Feature> { ["f"] = "float" });
        using var dir = new TempDirectory();
        space.Save(dir.File("fs.safetensors"));
        SafeTensorsFile file = SafeTensors.Load(dir.File("fs.safetensors"));
        var metadata = new Dictionary<string, string>(file.Metadata, StringComparer.Ordinal);
        metadata["feature_space_config"] = metadata["feature_space_config"].Replace("\"crossing_dim\":32", "\"crossing_dim\":4294967296", StringComparison.Ordinal);
        Assert.Contains("4294967296", metadata["feature_space_config"]);
        SafeTensors.Save(dir.File("big.safetensors"), [], metadata);
        Assert.Contains("crossing_dim", Assert.Throws<InvalidDataException>(() => FeatureSpace.Load(dir.File("big.safetensors"))).Message);
    }

    // The saved file with one feature's configuration text edited (the edit must apply).
    private static string EditFeature(TempDirectory dir, string feature, string from, string to)
    {
        SafeTensorsFile file = SafeTensors.Load(dir.File("fs.safetensors"));
        var metadata = new Dictionary<string, string>(file.Metadata, StringComparer.Ordinal);
        JsonObject config = JsonNode.Parse(metadata["feature_space_config"])!.AsObject();
        string before = config["features"]![feature]!.ToJsonString().Replace(":", ": ", StringComparison.Ordinal).Replace(",", ", ", StringComparison.Ordinal);
        string after = before.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(before, after);
        config["features"]![feature] = JsonNode.Parse(after);
        metadata["feature_space_config"] = config.ToJsonString();
        SafeTensors.Save(dir.File("edited.safetensors"), [.. file.Names.Select(n => new KeyValuePair<string, Tensor>(n, file[n]))], metadata);
        return dir.File("edited.safetensors");
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
