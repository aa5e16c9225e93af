using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>RandomColorJitter: Keras' one-step equivalences, the full chain against the four layers run by hand, config, checks.</summary>
public class ColorJitterTests
{
    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    // random_color_jitter_test.py test_brightness_only, test_contrast_only, test_saturation_only, test_hue_only: a jitter
    // with one factor [0.5, 0.5] and seed 2390 gives the output of that layer alone with the same seed.
    [Theory]
    [InlineData("brightness")]
    [InlineData("contrast")]
    [InlineData("saturation")]
    [InlineData("hue")]
    public void OneStep_EqualsItsLayerWithTheSameSeed(string step)
    {
        const long seed = 2390;
        Tensor x = Tensor.RandomUniform(new TensorShape(12, 8, 16, 3), 2390, 0f, 1f);
        (double, double) half = (0.5, 0.5);
        (RandomColorJitter jitter, Layer alone) = step switch
        {
            "brightness" => (new RandomColorJitter(brightnessFactor: half, seed: seed), (Layer)new RandomBrightness(half, seed: seed)),
            "contrast" => (new RandomColorJitter(contrastFactor: half, seed: seed), new RandomContrast(half, seed: seed)),
            "saturation" => (new RandomColorJitter(saturationFactor: half, seed: seed), new RandomSaturation(half, seed: seed)),
            _ => (new RandomColorJitter(hueFactor: half, seed: seed), new RandomHue(half, (0, 255), seed: seed)),
        };

        for (int call = 0; call < 2; call++)
        {
            Tensor expected = alone.Forward(x, training: true);
            Tensor actual = jitter.Forward(x, training: true);
            Assert.Equal(Bits(expected), Bits(actual));
            Assert.NotEqual(x.ToArray(), actual.ToArray());
        }
    }

    // All four steps draw from the jitter's one generator in Keras' order: the same as the four layers run by hand on one
    // generator, forward and backward.
    [Fact]
    public void AllSteps_EqualTheFourLayersChainedOnOneGenerator()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(6, 5, 4, 3), 7, 0f, 1f);
        Tensor g = TestData.Normal(8, 1f, 6, 5, 4, 3);
        var jitter = new RandomColorJitter((0, 1), (-0.2, 0.3), (0.2, 0.4), (0.2, 0.9), (0.1, 0.4), seed: 5);
        var brightness = new RandomBrightness((-0.2, 0.3), (0, 1));
        var contrast = new RandomContrast((0.2, 0.4), (0, 1));
        var saturation = new RandomSaturation((0.2, 0.9), (0, 1));
        var hue = new RandomHue((0.1, 0.4), (0, 1));
        var random = new SeededRandom(5);
        brightness.ShareRandom(random);
        contrast.ShareRandom(random);
        saturation.ShareRandom(random);
        hue.ShareRandom(random);

        for (int call = 0; call < 2; call++)
        {
            Tensor expected = hue.Forward(saturation.Forward(contrast.Forward(brightness.Forward(x, true), true), true), true);
            Assert.Equal(Bits(expected), Bits(jitter.Forward(x, training: true)));
            Tensor expectedGradient = brightness.Backward(contrast.Backward(saturation.Backward(hue.Backward(g))));
            Assert.Equal(Bits(expectedGradient), Bits(jitter.Backward(g)));
        }

        Assert.Equal(brightness.LastDeltas.ToArray(), jitter.Steps.Brightness!.LastDeltas.ToArray());
        Assert.Equal(hue.LastShifts.ToArray(), jitter.Steps.Hue!.LastShifts.ToArray());
    }

    // A layer called twice in a model runs one instance per call, each with its own steps and generator stream.
    [Fact]
    public void SharedLayer_EachCallKeepsItsOwnSteps()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(4, 5, 4, 3), 1, 0f, 1f), g = TestData.Normal(2, 1f, 4, 5, 4, 3);
        static RandomColorJitter Make() => new((0, 1), (-0.2, 0.2), (0.1, 0.3), (0.3, 0.7), (0, 0.3), seed: 6);
        RandomColorJitter layer = Make();
        layer.Build(new TensorShape(5, 4, 3));
        Layer second = layer.CopyForCall(1);
        Assert.NotSame(layer.Steps.Hue, ((RandomColorJitter)second).Steps.Hue);
        layer.Forward(x, training: true);
        float[] secondOutput = second.Forward(Tensor.RandomUniform(new TensorShape(4, 5, 4, 3), 3, 0f, 1f), training: true).ToArray();
        RandomColorJitter alone = Make();
        float[] aloneOutput = alone.Forward(x, training: true).ToArray();
        Assert.Equal(alone.Backward(g).ToArray(), layer.Backward(g).ToArray());
        Assert.NotEqual(aloneOutput, secondOutput);
    }

    [Fact]
    public void NoFactor_IsTheIdentity_AndInferenceIsTheIdentity()
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(2, 4, 4, 1), 1, 0f, 255f);
        Assert.Same(x, new RandomColorJitter().Forward(x, training: true));
        var jitter = new RandomColorJitter((0, 1), (-0.1, 0.1), (0.2, 0.2), (0.1, 0.9), (0, 0.1));
        Tensor rgb = Tensor.RandomUniform(new TensorShape(2, 4, 4, 3), 1, 0f, 1f);
        jitter.Forward(rgb, training: true);
        Assert.Same(rgb, jitter.Forward(rgb, training: false));
        Assert.Same(rgb, jitter.Backward(rgb));
    }

    [Fact]
    public void Config_RoundTrips_AndReadsKeras()
    {
        Assert.Equal(
            """{"name":"j","trainable":true,"dtype":"float32","value_range":[0,255],"brightness_factor":null,"contrast_factor":null,"saturation_factor":null,"hue_factor":null,"seed":null}""",
            new RandomColorJitter(name: "j").GetConfig().ToJson());
        string json = new RandomColorJitter((-1, 1), (0.3, -0.2), (0.1, 0.5), (0.2, 0.8), (0.05, 0.1), 4, "j").GetConfig().ToJson();
        Assert.Equal(json, RandomColorJitter.FromConfig(Parse(json)).GetConfig().ToJson());

        // random_color_jitter_test.py test_layer's arguments: each number read as its layer reads it.
        RandomColorJitter keras = RandomColorJitter.FromConfig(Parse(
            """{"name": "j", "value_range": [20, 200], "brightness_factor": 0.2, "contrast_factor": 0.2, "saturation_factor": 0.2, "hue_factor": 0.2, "seed": 1, "data_format": "channels_last"}"""));
        Assert.Equal(((20.0, 200.0), ((double, double)?)(-0.2, 0.2), ((double, double)?)(0.0, 0.2), ((double, double)?)(-0.2, 0.2), ((double, double)?)(0.0, 0.2), (long?)1),
            (keras.ValueRange, keras.BrightnessFactor, keras.ContrastFactor, keras.SaturationFactor, keras.HueFactor, keras.AugmentationSeed));
        Assert.Null(RandomColorJitter.FromConfig(Parse("""{"name": "j", "hue_factor": null}""")).HueFactor);
    }

    [Fact]
    public void BadArguments_AreRefusedByName()
    {
        static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;
        Assert.Contains("RandomColorJitter expects brightnessFactor to be a number in [-1, 1] or a pair", Message(() => new RandomColorJitter(brightnessFactor: (1.5, 2))), StringComparison.Ordinal);
        Assert.Contains("Received: contrastFactor=(0.5, -0.1).", Message(() => new RandomColorJitter(contrastFactor: (0.5, -0.1))), StringComparison.Ordinal);
        Assert.Contains("Received: saturationFactor=(NaN, 0.5).", Message(() => new RandomColorJitter(saturationFactor: (double.NaN, 0.5))), StringComparison.Ordinal);
        Assert.Contains("Received: hueFactor=(1.2, 1.3).", Message(() => new RandomColorJitter(hueFactor: (1.2, 1.3))), StringComparison.Ordinal);
        Assert.Contains("RandomColorJitter expects valueRange (low, high) with low < high. Received: valueRange=(1, 0).", Message(() => new RandomColorJitter((1, 0))), StringComparison.Ordinal);
        Assert.Contains("valueRange=(2, 2)", Message(() => new RandomColorJitter((2, 2))), StringComparison.Ordinal);
        Assert.Contains("valueRange=(0, Infinity)", Message(() => new RandomColorJitter((0, double.PositiveInfinity))), StringComparison.Ordinal);

        var gray = new RandomColorJitter(saturationFactor: (0.2, 0.8), name: "j");
        Assert.Contains("'j' expects RGB images of 3 channels", Message(() => gray.Build(new TensorShape(4, 4, 1))), StringComparison.Ordinal);
        Assert.False(gray.IsBuilt);
        new RandomColorJitter(brightnessFactor: (-0.1, 0.1)).Build(new TensorShape(4, 4, 1));
    }
}
