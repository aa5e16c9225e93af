using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Attention;
using NeuralNet.Tests.Serialization;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>What every augmentation layer promises: identity at inference, seeded draws, exact gradients, no allocation, files.</summary>
public class AugmentationLayerTests
{
    public static TheoryData<string> RandomKinds => [.. AugmentationTestKit.RandomKinds];

    public static TheoryData<string> AllKinds => [.. AugmentationTestKit.AllKinds];

    // RandomCrop changes the shape, so its inference is no identity: CropAndResizeTests covers it. Equalization is not
    // random but, as Keras' code has it, equalizes only in training.
    public static TheoryData<string> ShapeKeepingRandomKinds => [.. AugmentationTestKit.RandomKinds.Where(k => k != "crop"), "equalization"];

    [Theory]
    [MemberData(nameof(ShapeKeepingRandomKinds))]
    public void Inference_IsTheIdentity(string kind)
    {
        (Layer layer, Tensor x) = AugmentationTestKit.Setup(kind);
        layer.Forward(x, training: true);
        Assert.Same(x, layer.Forward(x, training: false));
        Tensor g = TestData.Normal(4, 1f, x.Shape.Dimensions.ToArray());
        Assert.Same(g, layer.Backward(g));
    }

    [Theory]
    [MemberData(nameof(RandomKinds))]
    public void Training_IsSeeded_AndEachCallDrawsAgain(string kind)
    {
        (Layer layer, Tensor x) = AugmentationTestKit.Setup(kind, batch: 8);
        float[] first = layer.Forward(x, training: true).ToArray();
        float[] second = layer.Forward(x, training: true).ToArray();
        Assert.NotEqual(Bits(first), Bits(second));

        (Layer again, _) = AugmentationTestKit.Setup(kind, batch: 8);
        Assert.Equal(Bits(first), Bits(again.Forward(x, training: true).ToArray()));
        Assert.Equal(Bits(second), Bits(again.Forward(x, training: true).ToArray()));

        // Another seed, or the model's, draws other transforms (over three calls: one RandomCrop window may coincide).
        int[] Calls(Layer layer) => [.. Enumerable.Range(0, 3).SelectMany(_ => Bits(layer.Forward(x, training: true).ToArray()))];
        int[] seeded = Calls(AugmentationTestKit.Setup(kind, batch: 8).Layer);
        Assert.NotEqual(seeded, Calls(AugmentationTestKit.Setup(kind, batch: 8, seed: 18).Layer));
        Assert.NotEqual(seeded, Calls(AugmentationTestKit.Setup(kind, batch: 8, seed: null).Layer));
    }

    private static int[] Bits(float[] values) => Array.ConvertAll(values, BitConverter.SingleToInt32Bits);

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Backward_MatchesNumericalGradientsForTheSameDraws(string kind)
    {
        // Seed 21 flips some of the six images and not others (seed 17's first ten draws all exceed 0.5).
        (Layer layer, Tensor x) = AugmentationTestKit.Setup(kind, batch: 6, seed: 21);
        if (kind == "equalization")
        {
            // A table lookup (Keras casts to bin indices): 0 for every channel with two or more bins in use, as here;
            // EqualizationTests checks numerically, away from the bin edges, and the channels passed through.
            layer.Forward(x, training: true);
            Assert.All(layer.Backward(TestData.Normal(5, 1f, x.Shape.Dimensions.ToArray())).ToArray(), g => Assert.Equal(0f, g));
            return;
        }

        if (kind == "posterization")
        {
            // Piecewise constant (Keras casts to uint8): the gradient is 0, and finite differences only see the steps.
            layer.Forward(x, training: true);
            Assert.All(layer.Backward(TestData.Normal(5, 1f, x.Shape.Dimensions.ToArray())).ToArray(), g => Assert.Equal(0f, g));
            return;
        }

        // The clip of contrast and brightness is a kink: a step may cross it (the analytic slope then matches one side).
        // AutoContrast's per-channel min and max are kinks too: a step may hand the minimum to another pixel.
        double kinks = kind is "contrast" or "brightness" or "saturation" or "hue" or "degeneration" or "solarization" or "sharpness" or "auto_contrast" or "gaussian_blur" or "elastic" or "color_jitter" or "rand_augment" or "aug_mix" ? 0.02 : 0;
        StochasticGradientCheck.Check(layer, [x], [0], seed: 5, training: true).AssertPassed(maxKinkFraction: kinks);
        if (layer is RandomFlip flip)
        {
            Assert.Contains(1.0, flip.LastFlips.ToArray());
            Assert.Contains(0.0, flip.LastFlips.ToArray());
        }
    }

    [Fact]
    public void TrainingAndInference_AfterWarmUp_AllocateNothing()
    {
        var setups = AugmentationTestKit.AllKinds.Select(k => AugmentationTestKit.Setup(k, batch: 4)).ToArray();
        var smaller = setups.Select(s => s.X.FirstRows(3)).ToArray();
        var upstreams = setups.Select(s => TestData.Normal(6, 1f, s.Layer.OutputShape.Prepend(4).Dimensions.ToArray())).ToArray();
        var smallerUpstreams = upstreams.Select(u => u.FirstRows(3)).ToArray();

        void Step()
        {
            for (int i = 0; i < setups.Length; i++)
            {
                setups[i].Layer.Forward(setups[i].X, training: true);
                setups[i].Layer.Backward(upstreams[i]);
                setups[i].Layer.Forward(smaller[i], training: true);
                setups[i].Layer.Backward(smallerUpstreams[i]);
                setups[i].Layer.Forward(setups[i].X, training: false);
            }
        }

        Step();
        AllocationCheck.AssertNone(Step);
    }

    private static Sequential AugmentedModel(long seed) => new(
        [
            new InputLayer(12, 12, 3),
            new RandomFlip(FlipMode.Horizontal),
            new RandomRotation(0.1, FillMode.Constant, seed: 5),
            new RandomZoom((-0.2, 0.1), null, FillMode.Nearest, Interpolation.Nearest),
            new RandomTranslation((-0.1, 0.1), (-0.2, 0.1), FillMode.Wrap),
            new RandomContrast(0.3, (-4, 4)),
            new RandomBrightness((-0.1, 0.2), (-4, 4)),
            new RandomGrayscale(0.3),
            new RandomSaturation((0.3, 0.7), (0, 4)),
            new RandomHue(0.2, (-4, 4)),
            new RandomColorDegeneration(0.5, (-4, 4)),
            new RandomInvert(0.5, (-4, 4)),
            new Solarization(0.1, 0.5, (-4, 4)),
            new RandomPosterization(6, (-4, 4)),
            new RandomSharpness(0.8, (-4, 4)),
            new RandomErasing(0.7, (0.05, 0.3), valueRange: (-4, 4)),
            new RandomGaussianBlur(0.8, 3, (0.3, 0.9), (-4, 4)),
            new RandomColorJitter((-4, 4), (-0.1, 0.1), (0.1, 0.2), (0.3, 0.7), (0, 0.2)),
            new RandAugment((-4, 4), 2, 0.5),
            new AugMix((-4, 4), 2, 2, 0.4),
            new MixUp(0.4),
            new CutMix((0.2, 0.9)),
            new AutoContrast((-4, 4)),
            new RandomShear((-0.2, 0.2), (0.1, 0.3), fillMode: FillMode.Nearest),
            new RandomPerspective(0.8, 0.3, Interpolation.Nearest, fillValue: 1),
            new RandomElasticTransform(0.7, 0.8, Interpolation.Nearest, FillMode.Wrap, valueRange: (-4, 4)),
            new Equalization((-4, 4), 32),
            new RandomCrop(10, 10),
            new Resizing(8, 9, cropToAspectRatio: true),
            new CenterCrop(6, 6),
            new Flatten(),
            new Dense(2),
        ],
        seed: seed);

    [Fact]
    public void SaveLoad_InASequential_RoundTripsAndResumesTheRandomStreams()
    {
        using var dir = new TempDirectory();
        string path = dir.File("augmented.safetensors");
        Sequential model = AugmentedModel(4);
        model.Compile(new Sgd(0.01f), new MeanSquaredError());
        Tensor x = TestData.Normal(1, 1f, 16, 12, 12, 3), y = TestData.Normal(2, 1f, 16, 2);
        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0);
        model.Save(path);

        var loaded = (Sequential)Model.Load(path);
        Assert.Equal(model.Layers.Select(l => l.GetConfig().ToJson()), loaded.Layers.Select(l => l.GetConfig().ToJson()));
        Assert.Equal(model.Summary(), loaded.Summary());
        Assert.Equal(ModelTestData.Bits(model.Predict(x)), ModelTestData.Bits(loaded.Predict(x)));
        History continued = model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
        History resumed = loaded.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
        Assert.Equal(continued["loss"], resumed["loss"]);
    }

    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    [Fact]
    public void FromConfig_ReadsKerasConfigurations()
    {
        RandomRotation rotation = RandomRotation.FromConfig(Parse(
            """{"name": "r", "factor": 0.2, "fill_mode": "constant", "interpolation": "nearest", "fill_value": 1.5, "seed": 3, "data_format": "channels_last"}"""));
        Assert.Equal(((-0.2, 0.2), FillMode.Constant, Interpolation.Nearest, 1.5, (long?)3), (rotation.Factor, rotation.FillMode, rotation.Interpolation, rotation.FillValue, rotation.AugmentationSeed));

        RandomZoom zoom = RandomZoom.FromConfig(Parse("""{"name": "z", "height_factor": [0.3, -0.1], "width_factor": null}"""));
        Assert.Equal(((-0.1, 0.3), ((double, double)?)null, FillMode.Reflect), (zoom.HeightFactor, zoom.WidthFactor, zoom.FillMode));
        RandomTranslation translation = RandomTranslation.FromConfig(Parse("""{"name": "t", "height_factor": 0.1, "width_factor": [-0.2, 0.3], "fill_mode": "wrap"}"""));
        Assert.Equal(((-0.1, 0.1), (-0.2, 0.3), FillMode.Wrap), (translation.HeightFactor, translation.WidthFactor, translation.FillMode));
        RandomContrast contrast = RandomContrast.FromConfig(Parse("""{"name": "c", "factor": 0.5, "value_range": [0, 1]}"""));
        Assert.Equal(((0.0, 0.5), (0.0, 1.0)), (contrast.Factor, contrast.ValueRange));
        RandomBrightness brightness = RandomBrightness.FromConfig(Parse("""{"name": "b", "factor": [-0.2, 0.1]}"""));
        Assert.Equal(((-0.2, 0.1), (0.0, 255.0)), (brightness.Factor, brightness.ValueRange));
        RandomFlip flip = RandomFlip.FromConfig(Parse("""{"name": "f", "mode": "vertical", "seed": null}"""));
        Assert.Equal((FlipMode.Vertical, (long?)null), (flip.Mode, flip.AugmentationSeed));
        Resizing resizing = Resizing.FromConfig(Parse("""{"name": "s", "height": 4, "width": 5, "interpolation": "nearest", "pad_to_aspect_ratio": true, "fill_value": 2.0}"""));
        Assert.Equal((4, 5, Interpolation.Nearest, false, true, 2.0), (resizing.Height, resizing.Width, resizing.Interpolation, resizing.CropToAspectRatio, resizing.PadToAspectRatio, resizing.FillValue));

        Assert.Contains("channels_last", Assert.Throws<InvalidDataException>(() => CenterCrop.FromConfig(Parse("""{"name": "c", "height": 2, "width": 2, "data_format": "channels_first"}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("gaussian", Assert.Throws<InvalidDataException>(() => Resizing.FromConfig(Parse("""{"name": "s", "height": 4, "width": 5, "interpolation": "gaussian"}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("\"fill_mode\" is \"mirror\"", Assert.Throws<InvalidDataException>(() => RandomZoom.FromConfig(Parse("""{"name": "z", "height_factor": 0.1, "fill_mode": "mirror"}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("list of two numbers", Assert.Throws<InvalidDataException>(() => RandomRotation.FromConfig(Parse("""{"name": "r", "factor": [0.1, 0.2, 0.3]}"""))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomRotation.FromConfig(Parse("""{"name": "r", "factor": 1.5}""")));
    }

    // BaseImagePreprocessingLayer._set_factor refuses a pair only when factor[0] > max or factor[1] < min (before
    // sorting), so Keras builds and saves these; RandomZoom and RandomTranslation check each value (_check_factor_range).
    [Fact]
    public void Factor_OfTheBaseLayers_FollowsKerasSetFactor()
    {
        Assert.Equal((0.2, 1.5), new RandomContrast((0.2, 1.5)).Factor);
        Assert.Equal((0.2, 1.5), RandomContrast.FromConfig(Parse("""{"name": "c", "factor": [0.2, 1.5], "value_range": [0, 255]}""")).Factor);
        Assert.Equal((-0.5, 0.2), new RandomContrast((-0.5, 0.2)).Factor);
        Assert.Equal((0.1, 0.9), new RandomContrast((0.9, 0.1)).Factor);
        Assert.Equal((-2.0, 2.0), new RandomRotation((-2, 2)).Factor);
        Assert.Equal((-2.0, 2.0), RandomRotation.FromConfig(Parse("""{"name": "r", "factor": [-2, 2]}""")).Factor);
        Assert.Equal((-1.5, 0.5), new RandomBrightness((-1.5, 0.5)).Factor);

        static string Message(Action action) => Assert.Throws<ArgumentOutOfRangeException>(action).Message;
        Assert.Contains("a <= 1 and b >= 0 (Keras' rule; the pair is then sorted). Received: factor=(1.2, 1.5).", Message(() => new RandomContrast((1.2, 1.5))), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(0.5, -0.1).", Message(() => new RandomContrast((0.5, -0.1))), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(0.5, -1.5).", Message(() => new RandomBrightness((0.5, -1.5))), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(-Infinity, 0.5).", Message(() => new RandomRotation((double.NegativeInfinity, 0.5))), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(NaN, 0.5).", Message(() => new RandomContrast((double.NaN, 0.5))), StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomContrast.FromConfig(Parse("""{"name": "c", "factor": [1.2, 1.5]}""")));

        Assert.Contains("RandomZoom expects heightFactor to be a number or a pair of numbers in [-1, 1]. Received: heightFactor=(-0.2, 1.5).",
            Message(() => new RandomZoom((-0.2, 1.5))), StringComparison.Ordinal);
        Assert.Contains("Received: widthFactor=(-2, 0.5).", Message(() => new RandomTranslation((0, 0), (-2, 0.5))), StringComparison.Ordinal);
    }

    [Fact]
    public void GetConfig_WritesKerasKeys()
    {
        Assert.Equal(
            """{"name":"r","trainable":true,"dtype":"float32","factor":[-0.2,0.3],"data_format":"channels_last","fill_mode":"wrap","fill_value":0,"interpolation":"bilinear","seed":7}""",
            new RandomRotation((0.3, -0.2), FillMode.Wrap, seed: 7, name: "r").GetConfig().ToJson());
        Assert.Equal(
            """{"name":"c","trainable":true,"dtype":"float32","factor":[0,0.5],"value_range":[0,255],"seed":null}""",
            new RandomContrast(0.5, name: "c").GetConfig().ToJson());
        Assert.Equal(
            """{"name":"k","trainable":true,"dtype":"float32","height":3,"width":4,"seed":null,"data_format":"channels_last"}""",
            new RandomCrop(3, 4, name: "k").GetConfig().ToJson());
    }

    [Fact]
    public void BadInput_ThrowsNamingTheProblem()
    {
        static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;

        Assert.Contains("RandomRotation expects factor to be a number in [-1, 1] or a pair (a, b) of finite numbers with a <= 1 and b >= -1 (Keras' rule; the pair is then sorted). Received: factor=1.5.",
            Message(() => new RandomRotation(1.5)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(1.1, 1.2)", Message(() => new RandomRotation((1.1, 1.2))), StringComparison.Ordinal);
        Assert.Contains("RandomContrast expects factor to be a number in [0, 1] or a pair (a, b) of finite numbers with a <= 1 and b >= 0 (Keras' rule; the pair is then sorted). Received: factor=-0.1.",
            Message(() => new RandomContrast(-0.1)), StringComparison.Ordinal);
        Assert.Contains("widthFactor=-1.5", Message(() => new RandomZoom(0.1, -1.5)), StringComparison.Ordinal);
        Assert.Contains("heightFactor=(-1.1, 0)", Message(() => new RandomTranslation((-1.1, 0), (0, 0))), StringComparison.Ordinal);
        Assert.Contains("factor=NaN", Message(() => new RandomBrightness(double.NaN)), StringComparison.Ordinal);
        Assert.Contains("fillValue=Infinity", Message(() => new RandomZoom(0.1, fillValue: double.PositiveInfinity)), StringComparison.Ordinal);
        Assert.Contains("fillMode=7", Message(() => new RandomTranslation(0.1, 0.1, (FillMode)7)), StringComparison.Ordinal);
        Assert.Contains("mode=5", Message(() => new RandomFlip((FlipMode)5)), StringComparison.Ordinal);
        Assert.Contains("valueRange=(1, 0)", Message(() => new RandomContrast(0.1, (1, 0))), StringComparison.Ordinal);
        Assert.Contains("valueRange=(0, NaN)", Message(() => new RandomBrightness(0.1, (0, double.NaN))), StringComparison.Ordinal);
        Assert.Contains("Received: height=0", Message(() => new RandomCrop(0, 3)), StringComparison.Ordinal);
        Assert.Contains("Received: width=-2", Message(() => new CenterCrop(2, -2)), StringComparison.Ordinal);
        Assert.Contains("only one of cropToAspectRatio and padToAspectRatio", Message(() => new Resizing(2, 2, cropToAspectRatio: true, padToAspectRatio: true)), StringComparison.Ordinal);

        foreach (string kind in AugmentationTestKit.AllKinds)
        {
            Layer layer = AugmentationTestKit.Create(kind, name: "aug");
            string rank = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(6, 7))).Message;
            Assert.Contains($"'aug' expects input of rank 3 per sample (height, width, channels), such as (None, 28, 28, 1), but got (None, 6, 7)", rank, StringComparison.Ordinal);
            Assert.False(layer.IsBuilt);
        }

        (Layer built, Tensor x) = AugmentationTestKit.Setup("rotation");
        Assert.Contains("expects input (None, 6, 7, 3) but got (4, 7, 6, 3)", Message(() => built.Forward(new Tensor(4, 7, 6, 3), training: true)), StringComparison.Ordinal);
        built.Forward(x, training: true);
        Assert.Throws<InvalidOperationException>(() => built.Backward(new Tensor(2, 6, 7, 3)));
    }
}
