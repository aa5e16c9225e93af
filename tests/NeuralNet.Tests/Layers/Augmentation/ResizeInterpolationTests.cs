using System.Text.Json;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Convolutional;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>Resizing and UpSampling2D with Keras' bicubic, Lanczos and area interpolations (tf.image.resize's formulas).</summary>
public class ResizeInterpolationTests
{
    // tensorflow/python/ops/image_ops_test.py, ResizeImagesV2Test.testResizeUp: a (1, 3, 2, 1) image resized to (6, 4)
    // by tf.image.resize (antialias false), published to 4 decimals and checked there with atol 1e-4.
    private static readonly float[] s_tfImage = [64, 32, 32, 64, 50, 100];

    public static TheoryData<Interpolation, double[]> TensorFlowResizeUp => new()
    {
        { Interpolation.Bicubic, [70.1453, 59.0252, 36.9748, 25.8547, 59.3195, 53.3386, 41.4789, 35.4981, 36.383, 41.285, 51.0051, 55.9071, 30.2232, 42.151, 65.8032, 77.731, 41.6492, 55.823, 83.9288, 98.1026, 47.0363, 62.2744, 92.4903, 107.7284] },
        { Interpolation.Lanczos3, [75.8294, 59.6281, 38.4313, 22.23, 60.6851, 52.0037, 40.6454, 31.964, 35.8344, 41.0779, 47.9383, 53.1818, 24.6968, 43.0769, 67.1244, 85.5045, 35.7939, 56.4713, 83.5243, 104.2017, 44.8138, 65.1949, 91.8603, 112.2413] },
        { Interpolation.Lanczos5, [77.5699, 60.0223, 40.6694, 23.1219, 61.8253, 51.2369, 39.5593, 28.9709, 35.7438, 40.8875, 46.5604, 51.7041, 21.5942, 43.5299, 67.7223, 89.658, 32.1213, 56.784, 83.984, 108.6467, 44.5802, 66.183, 90.0082, 111.6109] },
        { Interpolation.Area, [64, 64, 32, 32, 64, 64, 32, 32, 32, 32, 64, 64, 32, 32, 64, 64, 50, 50, 100, 100, 50, 50, 100, 100] },
    };

    [Theory]
    [MemberData(nameof(TensorFlowResizeUp))]
    public void Resizing_TensorFlowResizeUp_MatchesPublishedValues(Interpolation interpolation, double[] expected)
    {
        var layer = new Resizing(6, 4, interpolation);
        layer.Build(new TensorShape(3, 2, 1));
        Tensor y = layer.Forward(Tensor.FromArray(s_tfImage, 1, 3, 2, 1), false);
        AssertWithin(expected, y, 1e-4);

        if (interpolation != Interpolation.Area)
        {
            // UpSampling2D by (2, 2) is the same resize, as Keras' ops.image.resize.
            var up = new UpSampling2D(2, interpolation);
            up.Build(new TensorShape(3, 2, 1));
            AssertWithin(expected, up.Forward(Tensor.FromArray(s_tfImage, 1, 3, 2, 1), false), 1e-4);
        }
    }

    [Fact]
    public void Resizing_AreaDown_MatchesTensorFlowTest()
    {
        // image_ops_test.py testResizeDownArea: 6×6 → 4×4, published as whole numbers (checked there with atol 1).
        float[] image = [128, 64, 32, 16, 8, 4, 4, 8, 16, 32, 64, 128, 128, 64, 32, 16, 8, 4, 5, 10, 15, 20, 25, 30, 30, 25, 20, 15, 10, 5, 5, 10, 15, 20, 25, 30];
        var layer = new Resizing(4, 4, Interpolation.Area);
        layer.Build(new TensorShape(6, 6, 1));
        Tensor y = layer.Forward(Tensor.FromArray(image, 1, 6, 6, 1), false);
        AssertWithin([73, 33, 23, 39, 73, 33, 23, 39, 14, 16, 19, 21, 14, 16, 19, 21], y, 1);

        // Output (0, 0) covers rows and columns [0, 1.5]: weights 1 and 0.5 on each axis, over 1.5 · 1.5.
        double exact = ((128 + (64 * 0.5)) + (0.5 * (4 + (8 * 0.5)))) / 2.25;
        Assert.Equal(exact, y.AsReadOnlySpan()[0], 4);
    }

    public static TheoryData<string> GradientCases => ["bicubic_down", "bicubic_up", "lanczos3", "lanczos5", "area_down", "area_up", "bicubic_antialias", "lanczos3_antialias",
        "bilinear_antialias", "bicubic_crop", "lanczos5_pad", "up_bicubic", "up_lanczos3", "up_lanczos5", "up_area"];

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Backward_MatchesNumericalGradients(string kind)
    {
        Layer layer = Create(kind);
        Tensor x = TestData.Normal(8, 1f, 2, 6, 7, 3);
        GradientChecker.CheckLayer(layer, x, seed: 9).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void ConfigRoundTrip_KeepsInterpolationAndPredictions(string kind)
    {
        Layer copy = ConvolutionTestKit.RoundTrip(Create(kind), new TensorShape(6, 7, 3));
        string config = copy.GetConfig().ToString();
        Assert.Contains($"\"interpolation\":\"{kind.Split('_')[kind.StartsWith("up_", StringComparison.Ordinal) ? 1 : 0]}\"", config, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_KerasResizingConfig_ReadsInterpolationAndAntialias()
    {
        // The keys of Keras 3's Resizing.get_config.
        Resizing layer = Resizing.FromConfig(Parse("""
            {"name": "resizing", "trainable": true, "dtype": "float32", "height": 5, "width": 3, "interpolation": "lanczos5", "crop_to_aspect_ratio": false,
             "pad_to_aspect_ratio": false, "fill_mode": "constant", "fill_value": 0.0, "antialias": true, "data_format": "channels_last"}
            """));
        Assert.Equal((Interpolation.Lanczos5, true), (layer.Interpolation, layer.Antialias));
        Assert.Contains("\"antialias\":true", layer.GetConfig().ToString(), StringComparison.Ordinal);

        UpSampling2D up = UpSampling2D.FromConfig(Parse("""{"name": "up", "size": [2, 3], "data_format": "channels_last", "interpolation": "bicubic"}"""));
        Assert.Equal(Interpolation.Bicubic, up.Interpolation);
    }

    [Fact]
    public void BadInterpolation_IsRefusedNamingWhatIsAccepted()
    {
        var unknown = Assert.Throws<ArgumentOutOfRangeException>(() => new UpSampling2D(2, (Interpolation)42, name: "up"));
        Assert.Contains("UpSampling2D 'up' expects interpolation Nearest, Bilinear, Bicubic, Lanczos3, Lanczos5 or Area", unknown.Message, StringComparison.Ordinal);
        var file = Assert.Throws<InvalidDataException>(() => UpSampling2D.FromConfig(Parse("""{"name": "up", "size": [2, 2], "interpolation": "gaussian"}""")));
        Assert.Contains("\"interpolation\" is \"gaussian\"; expected one of \"nearest\", \"bilinear\", \"bicubic\", \"lanczos3\", \"lanczos5\", \"area\"", file.Message, StringComparison.Ordinal);
        Assert.Equal(Interpolation.Area, UpSampling2D.FromConfig(Parse("""{"name": "up", "size": [2, 2], "interpolation": "area"}""")).Interpolation);

        Assert.Contains("Resizing 's' expects interpolation Nearest, Bilinear, Bicubic, Lanczos3, Lanczos5 or Area. Received: interpolation=42.",
            Assert.Throws<ArgumentOutOfRangeException>(() => new Resizing(2, 2, (Interpolation)42, name: "s")).Message, StringComparison.Ordinal);

        // The affine layers keep Keras' affine_transform interpolations: the resize-only values are refused, in code and in files.
        Assert.Contains("RandomZoom expects interpolation Nearest or Bilinear. Received: interpolation=Bicubic.",
            Assert.Throws<ArgumentOutOfRangeException>(() => new RandomZoom(0.1, interpolation: Interpolation.Bicubic)).Message, StringComparison.Ordinal);
        Assert.Contains("RandomRotation expects interpolation Nearest or Bilinear. Received: interpolation=Lanczos3.",
            Assert.Throws<ArgumentOutOfRangeException>(() => new RandomRotation(0.1, interpolation: Interpolation.Lanczos3)).Message, StringComparison.Ordinal);
        Assert.Contains("RandomTranslation expects interpolation Nearest or Bilinear. Received: interpolation=Area.",
            Assert.Throws<ArgumentOutOfRangeException>(() => new RandomTranslation(0.1, 0.1, interpolation: Interpolation.Area)).Message, StringComparison.Ordinal);
        Assert.Contains("expected one of \"nearest\", \"bilinear\"",
            Assert.Throws<InvalidDataException>(() => RandomZoom.FromConfig(Parse("""{"name": "z", "height_factor": 0.1, "interpolation": "bicubic"}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackward_AfterWarmUp_AllocatesNothing()
    {
        Tensor x = TestData.Normal(3, 1f, 2, 6, 7, 3);
        foreach (string kind in new[] { "bicubic_down", "lanczos5_pad", "area_up", "lanczos3_antialias", "up_bicubic" })
        {
            Layer layer = Create(kind);
            layer.Build(new TensorShape(6, 7, 3));
            ConvolutionTestKit.AssertStepAllocatesNothing(layer, x);
        }
    }

    [Fact]
    public void Antialias_WhenUpsampling_ChangesNothingAndWhenShrinkingSmooths()
    {
        Tensor x = TestData.Normal(4, 1f, 1, 6, 7, 2);
        Tensor Run(Resizing layer)
        {
            layer.Build(new TensorShape(6, 7, 2));
            return layer.Forward(x, false).Clone();
        }

        Assert.Equal(Run(new Resizing(9, 11, Interpolation.Lanczos3)).ToArray(), Run(new Resizing(9, 11, Interpolation.Lanczos3, antialias: true)).ToArray());

        // Shrinking 6 → 2 with the kernel widened by 3 averages more pixels: a checkerboard nearly cancels.
        var board = new float[6 * 6];
        for (int i = 0; i < board.Length; i++)
        {
            board[i] = ((i / 6) + (i % 6)) % 2 == 0 ? 1 : -1;
        }

        float Peak(bool antialias)
        {
            var layer = new Resizing(2, 2, Interpolation.Bicubic, antialias: antialias);
            layer.Build(new TensorShape(6, 6, 1));
            return layer.Forward(Tensor.FromArray(board, 1, 6, 6, 1), false).ToArray().Max(Math.Abs);
        }

        Assert.True(Peak(true) < 0.2f * Peak(false), $"antialiased peak {Peak(true)} vs {Peak(false)}");
    }

    private static Layer Create(string kind) => kind switch
    {
        "bicubic_down" => new Resizing(4, 5, Interpolation.Bicubic),
        "bicubic_up" => new Resizing(9, 11, Interpolation.Bicubic),
        "lanczos3" => new Resizing(4, 11, Interpolation.Lanczos3),
        "lanczos5" => new Resizing(9, 5, Interpolation.Lanczos5),
        "area_down" => new Resizing(4, 3, Interpolation.Area),
        "area_up" => new Resizing(8, 10, Interpolation.Area),
        "bicubic_antialias" => new Resizing(3, 4, Interpolation.Bicubic, antialias: true),
        "lanczos3_antialias" => new Resizing(2, 3, Interpolation.Lanczos3, antialias: true),
        "bilinear_antialias" => new Resizing(4, 3, antialias: true),
        "bicubic_crop" => new Resizing(5, 4, Interpolation.Bicubic, cropToAspectRatio: true),
        "lanczos5_pad" => new Resizing(9, 4, Interpolation.Lanczos5, padToAspectRatio: true, fillValue: 2),
        "up_bicubic" => new UpSampling2D((2, 3), Interpolation.Bicubic),
        "up_lanczos3" => new UpSampling2D(2, Interpolation.Lanczos3),
        "up_area" => new UpSampling2D((2, 3), Interpolation.Area),
        _ => new UpSampling2D((3, 2), Interpolation.Lanczos5),
    };

    private static void AssertWithin(double[] expected, Tensor actual, double tolerance)
    {
        float[] values = actual.ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.True(Math.Abs(values[i] - expected[i]) <= tolerance, $"element {i}: {values[i]} instead of {expected[i]}");
        }
    }

    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");
}
