using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Layers;

/// <summary>Dropout's NoiseShape (Keras' noise_shape): masks shared along axes of size 1.</summary>
public class DropoutNoiseShapeTests
{
    [Fact]
    public void SharedAlongSteps_EachFeatureKeptOrDroppedForEveryStep()
    {
        var layer = new Dropout(0.5, seed: 3) { NoiseShape = [null, 1, null] };
        layer.Build(new TensorShape(7, 16));
        Tensor input = Tensor.FromArray([.. Enumerable.Repeat(1f, 4 * 7 * 16)], 4, 7, 16);

        float[] output = layer.Forward(input, training: true).ToArray();

        int dropped = 0;
        for (int b = 0; b < 4; b++)
        {
            for (int f = 0; f < 16; f++)
            {
                float first = output[(b * 7 * 16) + f];
                Assert.True(first is 0f or 2f, $"value {first}");
                dropped += first == 0f ? 1 : 0;
                for (int t = 1; t < 7; t++)
                {
                    Assert.Equal(first, output[(((b * 7) + t) * 16) + f]);
                }
            }
        }

        Assert.InRange(dropped, 1, 63);
    }

    [Fact]
    public void NoiseValues_AreTheDrawsOfAPlainDropoutOverTheNoiseShape_InRowMajorOrder()
    {
        // The same seed and rate: a plain Dropout on a (2, 1, 3) input draws the six values the shared one broadcasts.
        var shared = new Dropout(0.4, seed: 11) { NoiseShape = [null, 1, null] };
        var plain = new Dropout(0.4, seed: 11);
        Tensor ones = Tensor.FromArray([.. Enumerable.Repeat(1f, 2 * 5 * 3)], 2, 5, 3);
        Tensor noise = Tensor.FromArray([.. Enumerable.Repeat(1f, 2 * 1 * 3)], 2, 1, 3);

        float[] broadcast = shared.Forward(ones, training: true).ToArray();
        float[] expected = plain.Forward(noise, training: true).ToArray();

        for (int b = 0; b < 2; b++)
        {
            for (int t = 0; t < 5; t++)
            {
                for (int f = 0; f < 3; f++)
                {
                    Assert.Equal(expected[(b * 3) + f], broadcast[(((b * 5) + t) * 3) + f]);
                }
            }
        }
    }

    [Fact]
    public void Backward_UsesTheSharedMask()
    {
        var layer = new Dropout(0.5, seed: 5) { NoiseShape = [1, null] };
        Tensor input = Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8], 2, 4);
        float[] output = layer.Forward(input, training: true).ToArray();
        float[] gradient = layer.Backward(Tensor.FromArray([1, 1, 1, 1, 1, 1, 1, 1], 2, 4)).ToArray();

        for (int i = 0; i < 8; i++)
        {
            // d(output)/d(input) is the mask value: output / input.
            Assert.Equal(output[i] / input.AsReadOnlySpan()[i], gradient[i]);
        }

        // Batch entry 1: both samples share one mask.
        Assert.Equal(gradient[..4], gradient[4..]);
    }

    [Fact]
    public void Shapes_ThatDoNotFit_AreRefusedNamingLayerAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => new Dropout(0.5, name: "d") { NoiseShape = [null, 2, null] }.Build(new TensorShape(7, 16)));
        Assert.Contains("Dropout 'd'", e.Message, StringComparison.Ordinal);
        Assert.Contains("[null, 2, null]", e.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 7, 16)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Dropout(0.5) { NoiseShape = [null, 1] }.Build(new TensorShape(7, 16)));
        Assert.Throws<ArgumentException>(() => new Dropout(0.5) { NoiseShape = [null, 0] });

        var batchFixed = new Dropout(0.5) { NoiseShape = [3, null] };
        batchFixed.Build(new TensorShape(4));
        var batchError = Assert.Throws<ArgumentException>(() => batchFixed.Forward(new Tensor(new TensorShape(2, 4)), training: true));
        Assert.Contains("batch of 2", batchError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Config_RoundTripsUnderKerasKey_AndKerasConfigLoads()
    {
        var layer = new Dropout(0.25, seed: 4, name: "d") { NoiseShape = [null, 1, 8] };
        JsonNode written = JsonNode.Parse(layer.GetConfig().ToJson())!;
        Assert.Equal("[null,1,8]", written["noise_shape"]!.ToJsonString());

        var copy = (Dropout)SerializationRegistry.Recreate(layer);
        Assert.Equal([null, 1, 8], copy.NoiseShape!);

        JsonNode keras = JsonNode.Parse("""{"class_name": "Dropout", "config": {"name": "dropout", "trainable": true, "dtype": "float32", "rate": 0.5, "noise_shape": [null, 1, 64], "seed": null}}""")!;
        var loaded = (Dropout)SerializationRegistry.Deserialize<Layer>(keras, new Config(), "layer");
        Assert.Equal([null, 1, 64], loaded.NoiseShape!);

        JsonNode bad = JsonNode.Parse("""{"class_name": "Dropout", "config": {"rate": 0.5, "noise_shape": [null, 0]}}""")!;
        Assert.Throws<InvalidDataException>(() => SerializationRegistry.Deserialize<Layer>(bad, new Config(), "layer"));
    }
}
