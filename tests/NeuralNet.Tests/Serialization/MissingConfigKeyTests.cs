using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Serialization;

/// <summary>A required key deleted from, or set to null in, a layer's configuration: an <see cref="InvalidDataException"/> naming the layer and the key.</summary>
public class MissingConfigKeyTests
{
    private static Sequential Build(string which) => which switch
    {
        "TimeDistributed" => new Sequential([new InputLayer(3, 4), new TimeDistributed(new Dense(2))]),
        "Bidirectional" => new Sequential([new InputLayer(3, 4), new Bidirectional(new Lstm(2))]),
        "MaxPooling2D" => new Sequential([new InputLayer(4, 4, 1), new MaxPooling2D((2, 2))]),
        "AveragePooling2D" => new Sequential([new InputLayer(4, 4, 1), new AveragePooling2D((2, 2))]),
        _ => throw new ArgumentOutOfRangeException(nameof(which)),
    };

    [Theory]
    [InlineData("TimeDistributed", "layer", false, "\"layer\" is missing or null; expected the wrapped layer")]
    [InlineData("TimeDistributed", "layer", true, "\"layer\" is missing or null; expected the wrapped layer")]
    [InlineData("Bidirectional", "layer", false, "\"layer\" is missing or null; expected a recurrent layer")]
    [InlineData("Bidirectional", "layer", true, "\"layer\" is missing or null; expected a recurrent layer")]
    [InlineData("MaxPooling2D", "pool_size", true, "\"pool_size\" is null; expected a positive integer or a pair of positive integers")]
    [InlineData("AveragePooling2D", "pool_size", true, "\"pool_size\" is null; expected a positive integer or a pair of positive integers")]
    public void Load_LayerConfigWithRequiredKeyMissingOrNull_ThrowsInvalidDataNamingLayerAndKey(string layerClass, string key, bool setNull, string expected)
    {
        var (tensors, metadata) = ModelSerializer.DescribeModel(Build(layerClass), includeTraining: false);
        JsonNode root = JsonNode.Parse(metadata["model_config"])!;
        JsonObject layerConfig = root["config"]!["layers"]!.AsArray().Single(l => (string)l!["class_name"]! == layerClass)!["config"]!.AsObject();
        Assert.True(layerConfig.ContainsKey(key));
        if (setNull)
        {
            layerConfig[key] = null;
        }
        else
        {
            layerConfig.Remove(key);
        }

        metadata["model_config"] = root.ToJsonString();
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;

        var ex = Assert.Throws<InvalidDataException>(() => Model.Load(stream, "bad.model"));

        Assert.StartsWith("'bad.model': ", ex.Message, StringComparison.Ordinal);
        Assert.Contains($", {layerClass})", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
