using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>The augmentation layers under test, built for (6, 7, 3) images, and float64 helpers shared by their tests.</summary>
internal static class AugmentationTestKit
{
    public static readonly int[] ImageShape = [6, 7, 3];

    public static readonly string[] RandomKinds = ["flip", "rotation", "zoom", "translation", "crop", "contrast", "brightness", "grayscale", "saturation", "hue", "degeneration", "invert", "solarization", "posterization", "sharpness", "erasing", "gaussian_blur", "color_jitter", "shear", "perspective", "elastic", "mix_up", "cut_mix", "rand_augment", "aug_mix"];

    public static readonly string[] AllKinds = [.. RandomKinds, "resizing", "center_crop", "auto_contrast", "equalization"];

    public static Layer Create(string kind, long? seed = 17, string? name = null) => kind switch
    {
        "flip" => new RandomFlip(seed: seed, name: name),
        "rotation" => new RandomRotation(0.2, seed: seed, name: name),
        "zoom" => new RandomZoom(0.3, 0.2, seed: seed, name: name),
        "translation" => new RandomTranslation(0.2, 0.3, seed: seed, name: name),
        "crop" => new RandomCrop(4, 5, seed: seed, name: name),
        "contrast" => new RandomContrast((0.3, 0.5), valueRange: (-3, 3), seed: seed, name: name),
        "brightness" => new RandomBrightness(0.2, valueRange: (-2, 2), seed: seed, name: name),
        "grayscale" => new RandomGrayscale(0.5, seed: seed, name: name),
        "saturation" => new RandomSaturation((0.2, 0.8), valueRange: (0, 1), seed: seed, name: name),
        "hue" => new RandomHue(0.4, valueRange: (0, 1), seed: seed, name: name),
        "degeneration" => new RandomColorDegeneration((-0.3, 0.8), valueRange: (0, 1), seed: seed, name: name),
        "invert" => new RandomInvert(0.8, valueRange: (0, 1), seed: seed, name: name),
        "solarization" => new Solarization((0.0, 0.2), (0.3, 0.7), valueRange: (0, 1), seed: seed, name: name),
        "posterization" => new RandomPosterization((2, 7), valueRange: (0, 1), seed: seed, name: name),
        "sharpness" => new RandomSharpness((0.0, 1.0), valueRange: (0, 1), seed: seed, name: name),
        "erasing" => new RandomErasing((1.0, 1.0), (0.1, 0.5), valueRange: (-3, 3), seed: seed, name: name),
        "gaussian_blur" => new RandomGaussianBlur((0.6, 1.0), 5, (0.2, 1.0), valueRange: (-2, 2), seed: seed, name: name),
        "color_jitter" => new RandomColorJitter((0, 1), (-0.2, 0.2), (0.1, 0.3), (0.3, 0.7), (0, 0.3), seed, name),
        "mix_up" => new MixUp(0.4, seed, name),
        "cut_mix" => new CutMix((0.5, 1.0), seed, name),
        "rand_augment" => new RandAugment((0, 1), 2, (0.1, 0.6), seed: seed, name: name),
        "aug_mix" => new AugMix((0, 1), 2, 2, 0.5, seed: seed, name: name),
        "shear" => new RandomShear((0.1, 0.4), (0.0, 0.3), fillMode: FillMode.Wrap, seed: seed, name: name),
        "perspective" => new RandomPerspective((0.5, 1.0), 0.6, fillValue: 0.5, seed: seed, name: name),
        "elastic" => new RandomElasticTransform((0.6, 1.0), (0.5, 3.0), fillMode: FillMode.Constant, fillValue: 0.5, valueRange: (-2, 2), seed: seed, name: name),
        "equalization" => new Equalization((0, 1), 64, name: name),
        "resizing" => new Resizing(4, 9, name: name),
        "center_crop" => new CenterCrop(4, 5, name: name),
        "auto_contrast" => new AutoContrast((0, 1), name: name),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown layer."),
    };

    /// <summary>A built layer of <paramref name="kind"/> and a batch of normal images for it.</summary>
    public static (Layer Layer, Tensor X) Setup(string kind, int batch = 4, long? seed = 17)
    {
        Layer layer = Create(kind, seed);
        layer.Build(new TensorShape(ImageShape));
        // The colour layers read RGB images in [0, 1] (their value range).
        return (layer, IsColor(kind) ? Tensor.RandomUniform(new TensorShape([batch, .. ImageShape]), 3, 0f, 1f) : TestData.Normal(3, 1f, [batch, .. ImageShape]));
    }

    /// <summary>Whether <paramref name="kind"/> is one of the colour layers (RGB input in [0, 1]).</summary>
    public static bool IsColor(string kind) => kind is "grayscale" or "saturation" or "hue" or "degeneration" or "invert" or "solarization" or "posterization" or "sharpness" or "auto_contrast" or "color_jitter" or "equalization" or "rand_augment" or "aug_mix";

    /// <summary>The images 0, 1, ..., n − 1 laid out as (1, height, width, 1), as Keras' tests write np.arange(n).</summary>
    public static Tensor Arange(int height, int width)
    {
        var t = new Tensor(1, height, width, 1);
        for (int i = 0; i < t.Length; i++)
        {
            t.AsSpan()[i] = i;
        }

        return t;
    }

    /// <summary>Asserts every element of <paramref name="actual"/> within <paramref name="tolerance"/> (absolute plus relative) of the reference.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = tolerance * (1 + Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= bound, $"{what}: element {i} is {actual[i]} instead of {expected[i]}.");
        }
    }

    /// <summary>Asserts the output equals the given values (as Keras' tests do with their expected arrays).</summary>
    public static void AssertValues(double[] expected, Tensor actual, double tolerance, string what) =>
        AssertClose(expected, actual.AsReadOnlySpan(), tolerance, what);
}
