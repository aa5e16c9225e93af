using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>
/// RandomRotation, RandomZoom and RandomTranslation against Keras' published test values and against a float64
/// reference: Keras' affine_transform (the sampler's reference twin) with the matrix built as Keras builds it from the
/// parameters the layer drew.
/// </summary>
public class AffineLayerTests
{
    private static readonly double[] Reversed = [24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0];

    // keras/src/layers/preprocessing/image_preprocessing/random_rotation_test.py: test_random_rotation_correctness.
    [Fact]
    public void RandomRotation_HalfTurn_ReversesTheImageAsKerasTests()
    {
        Tensor y = new RandomRotation((0.5, 0.5)).Forward(AugmentationTestKit.Arange(5, 5), training: true);
        AugmentationTestKit.AssertValues(Reversed, y, 1e-5, "rotation by 180°");
    }

    // A quarter turn about Keras' center ((W - 1) / 2, (H - 1) / 2) maps square images' pixel centers onto pixel centers,
    // so nearest interpolation permutes the pixels exactly (no fill): +90° (counter-clockwise) reads
    // y[r, c] = x[c, n - 1 - r], so the last column becomes the first row; -90° reads y[r, c] = x[n - 1 - c, r].
    // Backward sends each output gradient back to the pixel it came from. Odd and even sizes (center on a pixel or not).
    [Theory]
    [InlineData(0.25, 5)]
    [InlineData(-0.25, 5)]
    [InlineData(0.25, 4)]
    [InlineData(-0.25, 4)]
    public void RandomRotation_QuarterTurnNearest_PermutesThePixelsExactly(double turn, int n)
    {
        int Source(int r, int c) => turn > 0 ? (c * n) + (n - 1 - r) : ((n - 1 - c) * n) + r;
        var layer = new RandomRotation((turn, turn), FillMode.Constant, Interpolation.Nearest, fillValue: -1);
        Tensor y = layer.Forward(AugmentationTestKit.Arange(n, n), training: true);
        double[] expected = [.. Enumerable.Range(0, n * n).Select(i => (double)Source(i / n, i % n))];
        AugmentationTestKit.AssertValues(expected, y, 0, $"{turn * 360}° on {n}x{n}");
        if (n == 5)
        {
            Assert.Equal(turn > 0 ? [4, 9, 14, 19, 24] : [20, 15, 10, 5, 0], y.ToArray()[..5].Select(v => (int)v));
        }

        Tensor g = TestData.Normal(3, 1f, 1, n, n, 1);
        var dx = new double[n * n];
        for (int i = 0; i < n * n; i++)
        {
            dx[Source(i / n, i % n)] = g.AsReadOnlySpan()[i];
        }

        AugmentationTestKit.AssertValues(dx, layer.Backward(g), 0, $"backward of {turn * 360}° on {n}x{n}");
    }

    // random_zoom_test.py: test_random_zoom_out_correctness, test_random_zoom_in_correctness, test_tf_data_compatibility.
    [Fact]
    public void RandomZoom_MatchesKerasTestValues()
    {
        Tensor image = AugmentationTestKit.Arange(5, 5);
        Tensor zoomOut = new RandomZoom((0.5, 0.5), (0.8, 0.8), FillMode.Constant).Forward(image, training: true);
        AugmentationTestKit.AssertValues(
            [0, 0, 0, 0, 0, 0, 2.7, 4.5, 6.3, 0, 0, 10.2, 12.0, 13.8, 0, 0, 17.7, 19.5, 21.3, 0, 0, 0, 0, 0, 0], zoomOut, 1e-5, "zoom out");
        Tensor zoomIn = new RandomZoom((-0.5, -0.5), (-0.5, -0.5), FillMode.Constant).Forward(image, training: true);
        AugmentationTestKit.AssertValues(
            [6.0, 6.5, 7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0, 10.5, 11.0, 11.5, 12.0, 12.5, 13.0, 13.5, 14.0, 14.5, 15.0, 15.5, 16.0, 16.5, 17.0, 17.5, 18.0],
            zoomIn, 1e-5, "zoom in");
        Tensor nearest = new RandomZoom((0.5, 0.5), (0.8, 0.8), FillMode.Constant, Interpolation.Nearest).Forward(image, training: true);
        AugmentationTestKit.AssertValues([0, 0, 0, 0, 0, 0, 5, 7, 9, 0, 0, 10, 12, 14, 0, 0, 20, 22, 24, 0, 0, 0, 0, 0, 0], nearest, 0, "zoom out, nearest");
    }

    // random_translation_test.py: the numeric tests (reflect, the default, and constant), 5x5 and 8x2 images.
    [Theory]
    [InlineData(-0.2, 0.0, FillMode.Reflect, new double[] { 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 20, 21, 22, 23, 24 })]
    [InlineData(-0.2, 0.0, FillMode.Constant, new double[] { 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 0, 0, 0, 0, 0 })]
    [InlineData(0.2, 0.0, FillMode.Reflect, new double[] { 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 })]
    [InlineData(0.2, 0.0, FillMode.Constant, new double[] { 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 })]
    [InlineData(0.0, -0.2, FillMode.Reflect, new double[] { 1, 2, 3, 4, 4, 6, 7, 8, 9, 9, 11, 12, 13, 14, 14, 16, 17, 18, 19, 19, 21, 22, 23, 24, 24 })]
    [InlineData(0.0, -0.2, FillMode.Constant, new double[] { 1, 2, 3, 4, 0, 6, 7, 8, 9, 0, 11, 12, 13, 14, 0, 16, 17, 18, 19, 0, 21, 22, 23, 24, 0 })]
    public void RandomTranslation_MatchesKerasTestValues(double height, double width, FillMode mode, double[] expected)
    {
        Tensor y = new RandomTranslation((height, height), (width, width), mode).Forward(AugmentationTestKit.Arange(5, 5), training: true);
        AugmentationTestKit.AssertValues(expected, y, 1e-5, $"shift ({height}, {width}) {mode}");
    }

    [Fact]
    public void RandomTranslation_AsymmetricImage_ReflectsAsKerasTests()
    {
        Tensor y = new RandomTranslation((0.5, 0.5), (0.0, 0.0)).Forward(AugmentationTestKit.Arange(8, 2), training: true);
        AugmentationTestKit.AssertValues([6, 7, 4, 5, 2, 3, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7], y, 1e-5, "8x2 shifted down by 4");
    }

    public static TheoryData<string, FillMode, Interpolation> Cases()
    {
        var data = new TheoryData<string, FillMode, Interpolation>();
        foreach (string kind in new[] { "rotation", "zoom", "translation" })
        {
            foreach (FillMode mode in Enum.GetValues<FillMode>())
            {
                data.Add(kind, mode, Interpolation.Bilinear);
                data.Add(kind, mode, Interpolation.Nearest);
            }
        }

        return data;
    }

    private static Layer Create(string kind, FillMode mode, Interpolation interpolation) => kind switch
    {
        "rotation" => new RandomRotation((-0.3, 0.4), mode, interpolation, seed: 8, fillValue: 0.5),
        "zoom" => new RandomZoom((-0.4, 0.5), (-0.3, 0.6), mode, interpolation, seed: 8, fillValue: 0.5),
        _ => new RandomTranslation((-0.5, 0.4), (-0.3, 0.6), mode, interpolation, seed: 8, fillValue: 0.5),
    };

    // Keras' matrices (base_image_preprocessing_layer._compute_affine_matrix, random_zoom._get_zoom_matrix,
    // random_translation._get_translation_matrix), written from the drawn parameters.
    private static double[] KerasMatrix(Layer layer, int n, int height, int width)
    {
        switch (layer)
        {
            case RandomRotation rotation:
            {
                double angle = rotation.LastAngles[n] * Math.PI / 180, cx = 0.5 * (width - 1), cy = 0.5 * (height - 1);
                double a0 = Math.Cos(angle), a1 = -Math.Sin(angle), b0 = Math.Sin(angle), b1 = Math.Cos(angle);
                return [a0, a1, cx - (cx * a0) - (cy * a1), b0, b1, cy - (cx * b0) - (cy * b1)];
            }

            case RandomZoom zoom:
            {
                double zy = zoom.LastZooms[2 * n], zx = zoom.LastZooms[(2 * n) + 1];
                return [zx, 0, (width - 1.0) / 2.0 * (1.0 - zx), 0, zy, (height - 1.0) / 2.0 * (1.0 - zy)];
            }

            default:
            {
                var translation = (RandomTranslation)layer;
                return [1, 0, -translation.LastShifts[(2 * n) + 1], 0, 1, -translation.LastShifts[2 * n]];
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Training_MatchesKerasAffineTransformOfTheDrawnParameters(string kind, FillMode mode, Interpolation interpolation)
    {
        const int batch = 5, height = 6, width = 7, channels = 3, size = height * width * channels;
        Layer layer = Create(kind, mode, interpolation);
        Tensor x = TestData.Normal(11, 1f, batch, height, width, channels);
        Tensor y = layer.Forward(x, training: true);
        var expected = new double[size];
        for (int n = 0; n < batch; n++)
        {
            AffineSampling.ForwardReference(x.AsReadOnlySpan().Slice(n * size, size), height, width, channels, KerasMatrix(layer, n, height, width),
                interpolation, mode, 0.5, expected);
            AugmentationTestKit.AssertClose(expected, y.AsReadOnlySpan().Slice(n * size, size), 1e-5, $"{kind} {mode} {interpolation} image {n}");
        }
    }

    [Fact]
    public void Draws_FollowKerasRanges()
    {
        Tensor x = new(400, 4, 4, 1);
        var rotation = new RandomRotation((-0.3, 0.4), seed: 1);
        rotation.Forward(x, training: true);
        AssertSpread(rotation.LastAngles.ToArray(), -0.3 * 360, 0.4 * 360, "angles");

        var symmetric = new RandomRotation(-0.25, seed: 1);
        symmetric.Forward(x, training: true);
        AssertSpread(symmetric.LastAngles.ToArray(), -90, 90, "angles of factor -0.25");

        var zoom = new RandomZoom((0.1, 0.3), (-0.2, 0.0), seed: 2);
        zoom.Forward(x, training: true);
        double[] zooms = zoom.LastZooms.ToArray();
        AssertSpread([.. zooms.Where((_, i) => i % 2 == 0)], 1.1, 1.3, "vertical zooms");
        AssertSpread([.. zooms.Where((_, i) => i % 2 == 1)], 0.8, 1.0, "horizontal zooms");

        var sameAspect = new RandomZoom(0.3, seed: 3);
        sameAspect.Forward(x, training: true);
        for (int n = 0; n < 400; n++)
        {
            Assert.Equal(sameAspect.LastZooms[2 * n], sameAspect.LastZooms[(2 * n) + 1]);
        }

        var translation = new RandomTranslation((-0.5, 0.25), (-0.5, 0.5), seed: 4);
        translation.Forward(new Tensor(400, 8, 6, 1), training: true);
        double[] shifts = translation.LastShifts.ToArray();
        AssertSpread([.. shifts.Where((_, i) => i % 2 == 0)], -4, 2, "vertical shifts (pixels of 8)");
        AssertSpread([.. shifts.Where((_, i) => i % 2 == 1)], -3, 3, "horizontal shifts (pixels of 6)");
    }

    // All within [low, high], covering it: the extremes near the ends and the mean near the middle.
    private static void AssertSpread(double[] values, double low, double high, string what)
    {
        double width = high - low;
        Assert.All(values, v => Assert.InRange(v, low, high));
        Assert.True(values.Min() < low + (0.05 * width) && values.Max() > high - (0.05 * width), $"{what} do not cover [{low}, {high}]: [{values.Min()}, {values.Max()}]");
        Assert.InRange(values.Average(), low + (0.4 * width), low + (0.6 * width));
    }
}
