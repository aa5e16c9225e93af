using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>Resizing, CenterCrop and RandomCrop against Keras' test values and a float64 reference of Keras' resize.</summary>
public class CropAndResizeTests
{
    // resizing_test.py: test_down_sampling_numeric, test_up_sampling_numeric, test_crop_to_aspect_ratio (nearest).
    [Fact]
    public void Resizing_Nearest_MatchesKerasTestValues()
    {
        AugmentationTestKit.AssertValues([5, 7, 13, 15], new Resizing(2, 2, Interpolation.Nearest).Forward(AugmentationTestKit.Arange(4, 4), training: false), 0, "down");
        AugmentationTestKit.AssertValues([0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3],
            new Resizing(4, 4, Interpolation.Nearest).Forward(AugmentationTestKit.Arange(2, 2), training: false), 0, "up");
        AugmentationTestKit.AssertValues([1, 2, 5, 6, 9, 10, 13, 14],
            new Resizing(4, 2, Interpolation.Nearest, cropToAspectRatio: true).Forward(AugmentationTestKit.Arange(4, 4), training: false), 0, "crop to aspect ratio");
    }

    // A nearest resize copies each pixel, as tf.image.resize does: ±∞ and NaN pass through (as a bilinear blend with
    // weight 0, ∞ became ∞ · 1 + ∞ · 0 = NaN).
    [Fact]
    public void Resizing_Nearest_CopiesInfinitiesAndNaN()
    {
        const float Inf = float.PositiveInfinity, NaN = float.NaN;
        Tensor one = Tensor.FromArray([Inf], 1, 1, 1, 1);
        Assert.Equal([Inf, Inf, Inf, Inf], new Resizing(2, 2, Interpolation.Nearest).Forward(one, training: false).ToArray());

        var layer = new Resizing(4, 4, Interpolation.Nearest);
        Tensor y = layer.Forward(Tensor.FromArray([Inf, -Inf, NaN, 5], 1, 2, 2, 1), training: false);
        Assert.Equal([Inf, Inf, -Inf, -Inf, Inf, Inf, -Inf, -Inf, NaN, NaN, 5, 5, NaN, NaN, 5, 5], y.ToArray());

        // Backward adds the gradients of each pixel's four copies.
        Tensor g = Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 1, 4, 4, 1);
        Assert.Equal([1 + 2 + 5 + 6, 3 + 4 + 7 + 8, 9 + 10 + 13 + 14, 11 + 12 + 15 + 16], layer.Backward(g).ToArray());
    }

    // tf.image.resize([[0, 1], [2, 3]], (4, 4)) (bilinear, half-pixel centers): rows and columns sample 0, .25, .75, 1.
    [Fact]
    public void Resizing_Bilinear_MatchesTensorFlowValues()
    {
        Tensor y = new Resizing(4, 4).Forward(AugmentationTestKit.Arange(2, 2), training: true);
        AugmentationTestKit.AssertValues([0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3], y, 1e-6, "2x2 to 4x4");
    }

    // TensorFlow's bilinear kernel (resize_bilinear_op.cc) takes upper = min(ceil(s), in − 1), so where a sample falls
    // on a row (or column) it reads that row alone: on (2, 2) -> (2, 4) the rows align, and row 0 stays finite beside
    // an infinite row 1. Its lerps top + (bottom − top) · t then give, for [[1, 2], [∞, 3]]:
    // [[1, 1.25, 1.75, 2], [NaN, NaN, NaN, 3]]. (A tap of weight 0 on row 1 made all of row 0 but its last value NaN.)
    [Fact]
    public void Resizing_Bilinear_ReadsNoNeighbourOfWeightZeroAsTensorFlow()
    {
        Tensor x = Tensor.FromArray([1, 2, float.PositiveInfinity, 3], 1, 2, 2, 1);
        Assert.Equal([1, 1.25f, 1.75f, 2, float.NaN, float.NaN, float.NaN, 3], new Resizing(2, 4).Forward(x, training: false).ToArray());
    }

    // Keras' resize in float64: half-pixel centers clamped to the image, two taps per axis; nearest floor((o + 0.5) · in / out).
    private static double[] ResizeReference(double[] image, int height, int width, int channels, (int Top, int Left, int Height, int Width) window,
        int outHeight, int outWidth, Interpolation interpolation)
    {
        static (int, int, double) Taps(int o, int input, int output, Interpolation interpolation)
        {
            if (interpolation == Interpolation.Nearest)
            {
                int i = Math.Min((int)Math.Floor((o + 0.5) * input / output), input - 1);
                return (i, i, 0);
            }

            double s = Math.Clamp(((o + 0.5) * input / output) - 0.5, 0, input - 1);
            int low = (int)Math.Floor(s);
            return (low, Math.Min(low + 1, input - 1), s - low);
        }

        var y = new double[outHeight * outWidth * channels];
        for (int r = 0; r < outHeight; r++)
        {
            (int r0, int r1, double tr) = Taps(r, window.Height, outHeight, interpolation);
            for (int c = 0; c < outWidth; c++)
            {
                (int c0, int c1, double tc) = Taps(c, window.Width, outWidth, interpolation);
                for (int k = 0; k < channels; k++)
                {
                    double At(int row, int column) => image[((((window.Top + row) * width) + window.Left + column) * channels) + k];
                    y[(((r * outWidth) + c) * channels) + k] = ((1 - tr) * (((1 - tc) * At(r0, c0)) + (tc * At(r0, c1)))) + (tr * (((1 - tc) * At(r1, c0)) + (tc * At(r1, c1))));
                }
            }
        }

        return y;
    }

    private static double[] Image(Tensor x, int n)
    {
        int size = x.Length / x.Shape[0];
        return [.. x.AsReadOnlySpan().Slice(n * size, size).ToArray().Select(v => (double)v)];
    }

    private static void AssertMatchesReference(Tensor x, Tensor y, Func<double[], double[]> reference, string what)
    {
        int size = y.Length / y.Shape[0];
        for (int n = 0; n < x.Shape[0]; n++)
        {
            AugmentationTestKit.AssertClose(reference(Image(x, n)), y.AsReadOnlySpan().Slice(n * size, size), 1e-5, $"{what}, image {n}");
        }
    }

    [Theory]
    [InlineData(4, 9, Interpolation.Bilinear, false)]
    [InlineData(11, 3, Interpolation.Bilinear, false)]
    [InlineData(4, 9, Interpolation.Nearest, false)]
    [InlineData(5, 4, Interpolation.Bilinear, true)]
    [InlineData(9, 3, Interpolation.Nearest, true)]
    public void Resizing_MatchesTheReference(int height, int width, Interpolation interpolation, bool crop)
    {
        Tensor x = TestData.Normal(1, 1f, 3, 6, 7, 2);
        Tensor y = new Resizing(height, width, interpolation, cropToAspectRatio: crop).Forward(x, training: false);
        Assert.Equal(new TensorShape(3, height, width, 2), y.Shape);
        var window = crop ? Window(6, 7, height, width) : (0, 0, 6, 7);
        AssertMatchesReference(x, y, image => ResizeReference(image, 6, 7, 2, window, height, width, interpolation), $"resize to ({height}, {width})");
    }

    // Keras' crop_to_aspect_ratio / smart_resize window, written out (Python's float is a double).
    private static (int, int, int, int) Window(int height, int width, int targetHeight, int targetWidth)
    {
        int cropHeight = Math.Max(Math.Min(height, (int)((double)width * targetHeight / targetWidth)), 1);
        int cropWidth = Math.Max(Math.Min(width, (int)((double)height * targetWidth / targetHeight)), 1);
        return ((int)((height - cropHeight) / 2.0), (int)((width - cropWidth) / 2.0), cropHeight, cropWidth);
    }

    [Fact]
    public void Resizing_PadToAspectRatio_PadsBothEndsWithTheFillValueAsKeras()
    {
        // 4x6 to 6x6: Keras pads one row of fill on top and bottom, then resizes 6x6 to 6x6.
        Tensor x = TestData.Normal(2, 1f, 2, 4, 6, 1);
        float[] y = new Resizing(6, 6, padToAspectRatio: true, fillValue: -7).Forward(x, training: false).ToArray();
        for (int n = 0; n < 2; n++)
        {
            Assert.All(y.AsSpan(n * 36, 6).ToArray(), v => Assert.Equal(-7f, v));
            Assert.All(y.AsSpan((n * 36) + 30, 6).ToArray(), v => Assert.Equal(-7f, v));
            Assert.Equal(x.AsReadOnlySpan().Slice(n * 24, 24).ToArray(), y.AsSpan((n * 36) + 6, 24).ToArray());
        }

        // 3x8 to 5x4: the padded height int(8 · 5 / 4) = 10 gives floor(7 / 2) = 3 rows each side: 9x8, then resized.
        Tensor z = TestData.Normal(3, 1f, 2, 3, 8, 2);
        Tensor resized = new Resizing(5, 4, padToAspectRatio: true, fillValue: 0.5).Forward(z, training: false);
        AssertMatchesReference(z, resized, image =>
        {
            var padded = Enumerable.Repeat(0.5, 9 * 8 * 2).ToArray();
            Array.Copy(image, 0, padded, 3 * 8 * 2, image.Length);
            return ResizeReference(padded, 9, 8, 2, (0, 0, 9, 8), 5, 4, Interpolation.Bilinear);
        }, "pad 3x8 to 5x4");
    }

    [Fact]
    public void Resizing_PadToAspectRatio_PadsTheWidthOfATallImageAsKeras()
    {
        // 6x4 to 6x6: Keras pads one column of fill on the left and on the right, then 6x6 is the target's size.
        Tensor x = TestData.Normal(5, 1f, 2, 6, 4, 1);
        float[] y = new Resizing(6, 6, padToAspectRatio: true, fillValue: -7).Forward(x, training: false).ToArray();
        for (int n = 0; n < 2; n++)
        {
            for (int r = 0; r < 6; r++)
            {
                int row = (n * 36) + (r * 6);
                Assert.Equal(-7f, y[row]);
                Assert.Equal(-7f, y[row + 5]);
                Assert.Equal(x.AsReadOnlySpan().Slice((n * 24) + (r * 4), 4).ToArray(), y.AsSpan(row + 1, 4).ToArray());
            }
        }

        // 8x3 to 4x5: the padded width int(8 · 5 / 4) = 10 gives floor(7 / 2) = 3 columns each side: 8x9, then resized.
        Tensor z = TestData.Normal(6, 1f, 2, 8, 3, 2);
        Tensor resized = new Resizing(4, 5, padToAspectRatio: true, fillValue: 0.5).Forward(z, training: false);
        AssertMatchesReference(z, resized, image =>
        {
            var padded = Enumerable.Repeat(0.5, 8 * 9 * 2).ToArray();
            for (int r = 0; r < 8; r++)
            {
                Array.Copy(image, r * 3 * 2, padded, ((r * 9) + 3) * 2, 3 * 2);
            }

            return ResizeReference(padded, 8, 9, 2, (0, 0, 8, 9), 4, 5, Interpolation.Bilinear);
        }, "pad 8x3 to 4x5");
    }

    [Fact]
    public void CenterCrop_CropsTheCenterOrResizesTheLargestWindowAsKeras()
    {
        Tensor x = TestData.Normal(4, 1f, 2, 6, 7, 3);
        Tensor crop = new CenterCrop(3, 4).Forward(x, training: false);
        AssertMatchesReference(x, crop, image => ResizeReference(image, 6, 7, 3, (1, 1, 3, 4), 3, 4, Interpolation.Bilinear), "crop 6x7 to 3x4");

        // Taller than the image: Keras' smart_resize takes the centered 6x3 window (the 8:5 ratio) and resizes it.
        Tensor tall = new CenterCrop(8, 5).Forward(x, training: false);
        AssertMatchesReference(x, tall, image => ResizeReference(image, 6, 7, 3, Window(6, 7, 8, 5), 8, 5, Interpolation.Bilinear), "6x7 to 8x5");
    }

    [Fact]
    public void RandomCrop_Training_CropsTheWholeBatchAtOneDrawnWindow()
    {
        var layer = new RandomCrop(4, 5, seed: 3);
        Tensor x = TestData.Normal(5, 1f, 3, 6, 8, 2);
        var tops = new HashSet<int>();
        var lefts = new HashSet<int>();
        for (int call = 0; call < 60; call++)
        {
            Tensor y = layer.Forward(x, training: true);
            (int top, int left) = layer.LastWindow ?? throw new InvalidOperationException("No window drawn.");
            tops.Add(top);
            lefts.Add(left);
            AssertMatchesReference(x, y, image => ResizeReference(image, 6, 8, 2, (top, left, 4, 5), 4, 5, Interpolation.Nearest), $"window ({top}, {left})");
        }

        Assert.Equal([0, 1, 2], tops.Order());
        Assert.Equal([0, 1, 2, 3], lefts.Order());
    }

    [Fact]
    public void RandomCrop_Inference_ResizesTheCenteredAspectWindowAsKerasDocuments()
    {
        // random_crop_test.py test_random_crop_full: a target of the image's own size returns the image.
        Tensor full = TestData.Normal(6, 1f, 2, 8, 16, 3);
        Assert.Equal(full.ToArray(), new RandomCrop(8, 16).Forward(full, training: false).ToArray());

        Tensor x = TestData.Normal(7, 1f, 2, 10, 12, 3);
        var layer = new RandomCrop(8, 9, seed: 1);
        Tensor y = layer.Forward(x, training: false);
        Assert.Null(layer.LastWindow);
        AssertMatchesReference(x, y, image => ResizeReference(image, 10, 12, 3, Window(10, 12, 8, 9), 8, 9, Interpolation.Bilinear), "inference 10x12 to 8x9");

        // Same aspect ratio: the window is the whole image, so 32x32 into RandomCrop(28, 28) is the image shrunk by 0.875
        // (docs/augmentation.md), not a center crop.
        Tensor square = TestData.Normal(8, 1f, 2, 32, 32, 3);
        Assert.Equal(new Resizing(28, 28).Forward(square, training: false).ToArray(), new RandomCrop(28, 28).Forward(square, training: false).ToArray());
        Assert.NotEqual(new CenterCrop(28, 28).Forward(square, training: false).ToArray(), new RandomCrop(28, 28).Forward(square, training: false).ToArray());

        // random_crop_test.py test_predicting_with_longer_height: a larger target upsamples.
        Assert.Equal(new TensorShape(2, 10, 8, 3), new RandomCrop(10, 8).Forward(full, training: false).Shape);
    }

    // Training with an axis no larger than the target (Keras tests height > target and width > target), Keras 3's code
    // (random_crop.py get_random_transformation, _random_crop): the corner of the aspect-ratio window, the target's size
    // sliced from it and clipped at the edge, then resized bilinearly if smaller. It is not the documented fallback.
    [Fact]
    public void RandomCrop_TrainingWithoutRoom_SlicesAtTheAspectWindowCornerAndResizesAsKerasCode()
    {
        // 1x4 [0, 1, 2, 3] to 2x2: crop window 1x1 at (0, 1); the slice [0:2, 1:3] is [[1, 2]], resized to two rows.
        // (The aspect window resized gave [[1, 1], [1, 1]].)
        var layer = new RandomCrop(2, 2, seed: 1);
        Assert.Equal([1, 2, 1, 2], layer.Forward(Tensor.FromArray([0, 1, 2, 3], 1, 1, 4, 1), training: true).ToArray());
        Assert.Null(layer.LastWindow);

        // 6x14 to 8x8: crop window 6x6 at (0, 4); the slice [0:8, 4:12] has the image's 6 rows and 8 columns, so only
        // the rows are stretched (the aspect window resized would have stretched 6x6).
        Tensor x = TestData.Normal(7, 1f, 2, 6, 14, 3);
        Tensor y = new RandomCrop(8, 8, seed: 1).Forward(x, training: true);
        AssertMatchesReference(x, y, image => ResizeReference(image, 6, 14, 3, (0, 4, 6, 8), 8, 8, Interpolation.Bilinear), "training 6x14 to 8x8");

        // One axis as large as the target, the other larger: the slice has the target's size, a centered crop.
        Tensor z = TestData.Normal(8, 1f, 2, 10, 12, 3);
        Tensor cropped = new RandomCrop(10, 9, seed: 1).Forward(z, training: true);
        AssertMatchesReference(z, cropped, image => ResizeReference(image, 10, 12, 3, (0, 1, 10, 9), 10, 9, Interpolation.Nearest), "training 10x12 to 10x9");

        // Backward is the adjoint of the slice and resize.
        GradientChecker.CheckLayer(new RandomCrop(8, 8), x, seed: 9, training: true).AssertPassed(maxKinkFraction: 0);
        GradientChecker.CheckLayer(new RandomCrop(8, 5), TestData.Normal(9, 1f, 2, 6, 7, 3), seed: 9, training: true).AssertPassed(maxKinkFraction: 0);
    }

    public static TheoryData<string> Deterministic => ["resizing", "resizing_nearest", "resizing_crop", "resizing_pad", "resizing_pad_width", "center_crop", "center_crop_resize", "random_crop_inference"];

    [Theory]
    [MemberData(nameof(Deterministic))]
    public void Backward_MatchesNumericalGradients(string kind)
    {
        Layer layer = kind switch
        {
            "resizing" => new Resizing(4, 9),
            "resizing_nearest" => new Resizing(11, 5, Interpolation.Nearest),
            "resizing_crop" => new Resizing(5, 4, cropToAspectRatio: true),
            "resizing_pad" => new Resizing(9, 4, padToAspectRatio: true, fillValue: 2),
            "resizing_pad_width" => new Resizing(4, 9, padToAspectRatio: true, fillValue: 2),
            "center_crop" => new CenterCrop(3, 4),
            "center_crop_resize" => new CenterCrop(8, 5),
            _ => new RandomCrop(5, 4),
        };
        Tensor x = TestData.Normal(8, 1f, 2, 6, 7, 3);
        GradientChecker.CheckLayer(layer, x, seed: 9).AssertPassed(maxKinkFraction: 0);
    }
}
