using System.Text.Json;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

/// <summary>
/// RandomShear and RandomPerspective against Keras' published test values, hand-computed images, and the sampler's
/// float64 twin run with the matrices Keras builds from the drawn parameters.
/// </summary>
public class ShearPerspectiveTests
{
    private static Config Parse(string json) => Config.FromJson(JsonDocument.Parse(json).RootElement, "test", "config");

    private static string Message(Action action) => Assert.ThrowsAny<ArgumentException>(action).Message;

    // A 3x3 image 0..8 (value = 3y + x), sheared about the top-left corner with constant fill −1. Horizontal shear
    // sx = ±0.5: output (x, y) reads (x + sx·y, y), so row 1 reads half a pixel over and row 2 a whole pixel.
    // sx = +0.5: row 1 at x + 0.5: (3+4)/2, (4+5)/2, (5 + fill)/2 = 2; row 2 at x + 1: 7, 8, fill.
    // sx = −0.5: row 1 at x − 0.5: (fill + 3)/2 = 1, 3.5, 4.5; row 2 at x − 1: fill, 6, 7.
    // Vertical shear sy = ±0.5 reads (x, sy·x + y), the same by columns.
    [Theory]
    [InlineData(true, 1.0, new double[] { 0, 1, 2, 3.5, 4.5, 2, 7, 8, -1 })]
    [InlineData(true, -1.0, new double[] { 0, 1, 2, 1, 3.5, 4.5, -1, 6, 7 })]
    [InlineData(false, 1.0, new double[] { 0, 2.5, 5, 3, 5.5, 8, 6, 3, -1 })]
    [InlineData(false, -1.0, new double[] { 0, 0, -1, 3, 2.5, 2, 6, 5.5, 5 })]
    public void RandomShear_HalfPixelShear_MatchesTheHandComputedImage(bool horizontal, double sign, double[] expected)
    {
        (double, double) half = (0.5, 0.5), none = (0, 0);
        var layer = new RandomShear(horizontal ? half : none, horizontal ? none : half, fillMode: FillMode.Constant, fillValue: -1, seed: 3);
        Tensor images = new(16, 3, 3, 1);
        for (int i = 0; i < images.Length; i++)
        {
            images.AsSpan()[i] = i % 9;
        }

        Tensor y = layer.Forward(images, training: true);
        int matched = 0;
        for (int n = 0; n < 16; n++)
        {
            double drawn = layer.LastShears[(2 * n) + (horizontal ? 0 : 1)];
            Assert.Equal(0.5, Math.Abs(drawn));
            if (drawn == 0.5 * sign)
            {
                AugmentationTestKit.AssertClose(expected, y.AsReadOnlySpan().Slice(n * 9, 9), 1e-6, $"image {n}, shear {drawn}");
                matched++;
            }
        }

        Assert.InRange(matched, 1, 15);
    }

    // random_shear_test.py: test_shear_pixel_level (the middle pixel of a 5x5 square changes).
    [Fact]
    public void RandomShear_PixelLevel_ChangesTheMiddlePixelAsKerasTests()
    {
        Tensor image = new(1, 5, 5, 3);
        for (int r = 1; r < 4; r++)
        {
            for (int c = 1; c < 4; c++)
            {
                for (int k = 0; k < 3; k++)
                {
                    image.AsSpan()[(((r * 5) + c) * 3) + k] = r == 2 && c == 2 && k != 1 ? 0f : 1f;
                }
            }
        }

        Tensor y = new RandomShear((0.2, 0.3), (0.2, 0.3), fillMode: FillMode.Constant, seed: 42).Forward(image, training: true);
        float[] before = image.ToArray()[36..39], after = y.ToArray()[36..39];
        Assert.Equal([0f, 1f, 0f], before);
        Assert.True(Enumerable.Range(0, 3).Any(k => Math.Abs(before[k] - after[k]) > 1e-3), $"the middle pixel stayed ({after[0]}, {after[1]}, {after[2]}).");
    }

    public static TheoryData<FillMode, Interpolation> Modes()
    {
        var data = new TheoryData<FillMode, Interpolation>();
        foreach (FillMode mode in Enum.GetValues<FillMode>())
        {
            data.Add(mode, Interpolation.Bilinear);
            data.Add(mode, Interpolation.Nearest);
        }

        return data;
    }

    // Keras' _get_shear_matrix: [1, sx, 0, sy, 1, 0, 0, 0], through affine_transform.
    [Theory]
    [MemberData(nameof(Modes))]
    public void RandomShear_Training_MatchesKerasAffineTransformOfTheDrawnShears(FillMode mode, Interpolation interpolation)
    {
        const int batch = 6, height = 6, width = 7, channels = 3, size = height * width * channels;
        var layer = new RandomShear((0.2, 0.9), (0.1, 0.6), interpolation, mode, fillValue: 0.5, seed: 8);
        Tensor x = TestData.Normal(11, 1f, batch, height, width, channels);
        Tensor y = layer.Forward(x, training: true);
        var expected = new double[size];
        for (int n = 0; n < batch; n++)
        {
            double[] matrix = [1, layer.LastShears[2 * n], 0, layer.LastShears[(2 * n) + 1], 1, 0];
            AffineSampling.ForwardReference(x.AsReadOnlySpan().Slice(n * size, size), height, width, channels, matrix, interpolation, mode, 0.5, expected);
            AugmentationTestKit.AssertClose(expected, y.AsReadOnlySpan().Slice(n * size, size), 1e-5, $"{mode} {interpolation} image {n}");
        }
    }

    [Fact]
    public void RandomShear_Draws_FollowKerasRangesAndOneSignPerImage()
    {
        var layer = new RandomShear((0.1, 0.3), (0.4, 0.5), seed: 1);
        layer.Forward(new Tensor(400, 4, 4, 1), training: true);
        double[] shears = layer.LastShears.ToArray();
        double[] sx = [.. shears.Where((_, i) => i % 2 == 0)], sy = [.. shears.Where((_, i) => i % 2 == 1)];
        Assert.All(sx, v => Assert.InRange(Math.Abs(v), 0.1, 0.3));
        Assert.All(sy, v => Assert.InRange(Math.Abs(v), 0.4, 0.5));
        Assert.All(Enumerable.Range(0, 400), n => Assert.Equal(Math.Sign(sx[n]), Math.Sign(sy[n])));
        Assert.InRange(sx.Count(v => v < 0), 160, 240);

        // A number f means (−f, f) (Keras' code; its docstring says (0, f)), and the sign flips it again.
        var symmetric = new RandomShear(0.3, 0, seed: 2);
        Assert.Equal((-0.3, 0.3), symmetric.XFactor);
        Assert.Equal((0.0, 0.0), symmetric.YFactor);
        symmetric.Forward(new Tensor(400, 4, 4, 1), training: true);
        double[] x = [.. symmetric.LastShears.ToArray().Where((_, i) => i % 2 == 0)];
        Assert.All(x, v => Assert.InRange(v, -0.3, 0.3));
        Assert.True(x.Min() < -0.28 && x.Max() > 0.28, $"[{x.Min()}, {x.Max()}]");
    }

    [Fact]
    public void RandomShear_Config_WritesKerasKeysAndReadsKerasConfigurations()
    {
        var layer = new RandomShear((0.4, 0.1), (-0.2, 0.2), Interpolation.Nearest, FillMode.Wrap, 1.5, 7, "s");
        string json = layer.GetConfig().ToJson();
        Assert.Equal(
            """{"name":"s","trainable":true,"dtype":"float32","x_factor":[0.1,0.4],"y_factor":[-0.2,0.2],"fill_mode":"wrap","interpolation":"nearest","seed":7,"fill_value":1.5,"data_format":"channels_last"}""",
            json);
        Assert.Equal(json, RandomShear.FromConfig(Parse(json)).GetConfig().ToJson());

        // Keras writes a number f as [−f, f] (which its own constructor refuses); read back as the number.
        RandomShear keras = RandomShear.FromConfig(Parse("""{"name": "k", "x_factor": [-0.3, 0.3], "y_factor": 0.5, "seed": null}"""));
        Assert.Equal(((-0.3, 0.3), (-0.5, 0.5), FillMode.Reflect, Interpolation.Bilinear), (keras.XFactor, keras.YFactor, keras.FillMode, keras.Interpolation));
        RandomShear defaults = RandomShear.FromConfig(Parse("""{"name": "d"}"""));
        Assert.Equal(((0.0, 0.0), (0.0, 0.0)), (defaults.XFactor, defaults.YFactor));

        Assert.Throws<ArgumentOutOfRangeException>(() => RandomShear.FromConfig(Parse("""{"name": "k", "x_factor": [-0.5, 0.3]}""")));
        Assert.Contains("\"fill_mode\" is \"mirror\"", Assert.Throws<InvalidDataException>(() => RandomShear.FromConfig(Parse("""{"name": "k", "fill_mode": "mirror"}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("bicubic", Assert.Throws<InvalidDataException>(() => RandomShear.FromConfig(Parse("""{"name": "k", "interpolation": "bicubic"}"""))).Message, StringComparison.Ordinal);
        Assert.Contains("channels_last", Assert.Throws<InvalidDataException>(() => RandomShear.FromConfig(Parse("""{"name": "k", "data_format": "channels_first"}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomShear_BadInput_ThrowsNamingTheProblem()
    {
        Assert.Contains("RandomShear expects xFactor to be a number or a pair of numbers in [0, 1]. Received: xFactor=1.5.", Message(() => new RandomShear(1.5)), StringComparison.Ordinal);
        Assert.Contains("Received: yFactor=-0.1.", Message(() => new RandomShear(0.1, -0.1)), StringComparison.Ordinal);
        Assert.Contains("Received: xFactor=(-0.1, 0.2).", Message(() => new RandomShear((-0.1, 0.2), (0, 0))), StringComparison.Ordinal);
        Assert.Contains("Received: xFactor=1.5.", Message(() => new RandomShear((-1.5, 1.5), (0, 0))), StringComparison.Ordinal);

        // (−f, f) is the number f's range (how Keras writes it), so a symmetric factor can go with a pair.
        Assert.Equal(((-0.2, 0.2), (0.1, 0.3)), (new RandomShear((0.2, -0.2), (0.3, 0.1)).XFactor, new RandomShear((0.2, -0.2), (0.3, 0.1)).YFactor));
        Assert.Contains("Received: yFactor=(0, NaN).", Message(() => new RandomShear((0, 0), (0, double.NaN))), StringComparison.Ordinal);
        Assert.Contains("fillMode=7", Message(() => new RandomShear(0.1, fillMode: (FillMode)7)), StringComparison.Ordinal);
        Assert.Contains("interpolation=9", Message(() => new RandomShear(0.1, interpolation: (Interpolation)9)), StringComparison.Ordinal);
        Assert.Contains("fillValue=NaN", Message(() => new RandomShear(0.1, fillValue: double.NaN)), StringComparison.Ordinal);
    }

    // random_perspective_test.py: test_random_perspective_basic. Corners (0,0), (3,0), (0,3), (3,3) moved to (0,0),
    // (1,0), (0,1), (1,1): the output reads the input at three times its coordinates, so the top-left 2x2 reads the ones
    // and the rest falls outside (fill 0).
    [Fact]
    public void Perspective_MatchesKerasBasicTest()
    {
        var h = new double[8];
        Homography.Solve([0, 0, 3, 0, 0, 3, 3, 3], [0, 0, 1, 0, 0, 1, 1, 1], h);
        float[] ones = [.. Enumerable.Repeat(1f, 16)];
        var y = new float[16];
        AffineSampling.Forward(ones, 4, 4, 1, h, Interpolation.Bilinear, FillMode.Constant, 0f, y);
        AugmentationTestKit.AssertClose([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], y, 1e-4, "perspective of ones");
    }

    // random_perspective_test.py: test_random_perspective_bounding_boxes. Keras maps the boxes' corners through the
    // inverse of its homography (end -> start), takes their min and max, and clips them to the 8x10 image: the published
    // boxes check the solve.
    [Theory]
    [InlineData(new[] { 8.151311, 12.695701, 9.2712054, 10.524198 }, new[] { 2.6490488, 1.1149256, 5.2026834, 3.6187303, 7.5547166, 4.2492595, 8.0, 6.869391 })]
    [InlineData(new[] { 4.151311, 6.695701, 4.2712054, 7.524198 }, new[] { 1.095408, 0.7504317, 2.2761598, 2.3389952, 3.5416048, 3.2349987, 4.920989, 5.0568376 })]
    public void Homography_MatchesKerasBoundingBoxTest(double[] moved, double[] expected)
    {
        var h = new double[8];
        Homography.Solve([0, 0, 7, 0, 0, 9, 7, 9], [0, 0, moved[0], 0, 0, moved[1], moved[2], moved[3]], h);
        double[,] m = { { h[0], h[1], h[2] }, { h[3], h[4], h[5] }, { h[6], h[7], 1 } };
        double[,] inverse = Invert(m);
        double[][] boxes = [[2, 1, 4, 3], [6, 4, 8, 6]];
        var actual = new List<double>();
        foreach (double[] box in boxes)
        {
            (double X, double Y)[] corners = [(box[0], box[1]), (box[2], box[3]), (box[0], box[3]), (box[2], box[1])];
            (double X, double Y)[] mapped = [.. corners.Select(c => Apply(inverse, c.X, c.Y))];
            actual.AddRange([Math.Clamp(mapped.Min(p => p.X), 0, 8), Math.Clamp(mapped.Min(p => p.Y), 0, 10), Math.Clamp(mapped.Max(p => p.X), 0, 8), Math.Clamp(mapped.Max(p => p.Y), 0, 10)]);
        }

        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-3 * (1 + Math.Abs(expected[i])), $"box value {i}: {actual[i]} instead of Keras' {expected[i]}.");
        }
    }

    private static (double X, double Y) Apply(double[,] m, double x, double y)
    {
        double k = (m[2, 0] * x) + (m[2, 1] * y) + m[2, 2];
        return (((m[0, 0] * x) + (m[0, 1] * y) + m[0, 2]) / k, ((m[1, 0] * x) + (m[1, 1] * y) + m[1, 2]) / k);
    }

    private static double[,] Invert(double[,] a)
    {
        double det = (a[0, 0] * ((a[1, 1] * a[2, 2]) - (a[1, 2] * a[2, 1]))) - (a[0, 1] * ((a[1, 0] * a[2, 2]) - (a[1, 2] * a[2, 0]))) + (a[0, 2] * ((a[1, 0] * a[2, 1]) - (a[1, 1] * a[2, 0])));
        var r = new double[3, 3];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                int i1 = (j + 1) % 3, i2 = (j + 2) % 3, j1 = (i + 1) % 3, j2 = (i + 2) % 3;
                r[i, j] = ((a[i1, j1] * a[i2, j2]) - (a[i1, j2] * a[i2, j1])) / det;
            }
        }

        return r;
    }

    [Fact]
    public void Homography_SendsEachEndPointToItsStartPoint()
    {
        var random = new SeededRandom(4);
        var h = new double[8];
        for (int trial = 0; trial < 50; trial++)
        {
            double[] start = [0, 0, 9, 0, 0, 6, 9, 6];
            double[] end = [.. start.Select(v => v + (v * (random.NextDouble() - 0.5)))];
            Homography.Solve(start, end, h);
            for (int p = 0; p < 4; p++)
            {
                double ex = end[2 * p], ey = end[(2 * p) + 1], k = (h[6] * ex) + (h[7] * ey) + 1;
                Assert.Equal(start[2 * p], ((h[0] * ex) + (h[1] * ey) + h[2]) / k, 9);
                Assert.Equal(start[(2 * p) + 1], ((h[3] * ex) + (h[4] * ey) + h[5]) / k, 9);
            }
        }

        Assert.Throws<InvalidOperationException>(() => Homography.Solve([0, 0, 1, 0, 2, 0, 3, 0], [0, 0, 1, 0, 2, 0, 3, 0], h));
    }

    [Theory]
    [InlineData(Interpolation.Bilinear)]
    [InlineData(Interpolation.Nearest)]
    public void RandomPerspective_Training_MatchesKerasPerspectiveTransformOfTheDrawnCorners(Interpolation interpolation)
    {
        const int batch = 12, height = 6, width = 7, channels = 2, size = height * width * channels;
        var layer = new RandomPerspective(0.9, 0.8, interpolation, fillValue: -2, seed: 5);
        Tensor x = TestData.Normal(12, 1f, batch, height, width, channels);
        Tensor y = layer.Forward(x, training: true);
        var expected = new double[size];
        int applied = 0;
        double[] start = [0, 0, width - 1, 0, 0, height - 1, width - 1, height - 1];
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<double> draws = layer.LastDraws.Slice(9 * n, 9);
            ReadOnlySpan<float> image = y.AsReadOnlySpan().Slice(n * size, size);
            if (draws[0] == 0)
            {
                Assert.Equal(x.AsReadOnlySpan().Slice(n * size, size).ToArray(), image.ToArray());
                continue;
            }

            applied++;
            double[] h = layer.LastTransforms.Slice(8 * n, 8).ToArray();
            for (int p = 0; p < 4; p++)
            {
                // Keras' end points: start + start · d.
                double ex = start[2 * p] * (1 + draws[1 + (2 * p)]), ey = start[(2 * p) + 1] * (1 + draws[2 + (2 * p)]);
                double k = (h[6] * ex) + (h[7] * ey) + 1;
                Assert.Equal(start[2 * p], ((h[0] * ex) + (h[1] * ey) + h[2]) / k, 9);
                Assert.Equal(start[(2 * p) + 1], ((h[3] * ex) + (h[4] * ey) + h[5]) / k, 9);
            }

            AffineSampling.ForwardReference(x.AsReadOnlySpan().Slice(n * size, size), height, width, channels, h, interpolation, FillMode.Constant, -2, expected);
            AugmentationTestKit.AssertClose(expected, image, 1e-5, $"{interpolation} image {n}");
        }

        Assert.InRange(applied, 1, batch - 1);
    }

    [Fact]
    public void RandomPerspective_Draws_FollowKerasRanges()
    {
        static (double Applied, double[] Offsets) Run(RandomPerspective layer)
        {
            layer.Forward(new Tensor(2000, 3, 3, 1), training: true);
            double[] draws = layer.LastDraws.ToArray();
            return (Enumerable.Range(0, 2000).Average(n => draws[9 * n]), [.. draws.Where((_, i) => i % 9 != 0)]);
        }

        // Keras' default factor 1.0 is read (0, 1): p uniform in [0, 1), applied when u < p, so half the images.
        (double applied, double[] offsets) = Run(new RandomPerspective(seed: 1));
        Assert.InRange(applied, 0.45, 0.55);
        Assert.All(offsets, d => Assert.InRange(d, -0.5, 0.5));
        Assert.True(offsets.Min() < -0.49 && offsets.Max() > 0.49);
        Assert.Equal(1.0, Run(new RandomPerspective((1, 1), 0.2, seed: 2)).Applied);
        (double some, double[] small) = Run(new RandomPerspective((0.2, 0.2), 0.2, seed: 3));
        Assert.InRange(some, 0.17, 0.23);
        Assert.All(small, d => Assert.InRange(d, -0.1, 0.1));
    }

    // random_perspective_test.py: test_random_perspective_no_op (factor 0) and test_random_perspective_inference.
    [Fact]
    public void RandomPerspective_FactorZeroAndInference_ReturnTheImages()
    {
        Tensor x = TestData.Normal(3, 50f, 3, 8, 8, 3);
        Assert.Equal(x.ToArray(), new RandomPerspective(0, seed: 3).Forward(x, training: true).ToArray());
        Assert.Same(x, new RandomPerspective().Forward(x, training: false));
    }

    [Fact]
    public void RandomPerspective_Config_WritesKerasKeysAndReadsKerasConfigurations()
    {
        var layer = new RandomPerspective(0.7, 0.4, Interpolation.Nearest, 2.5, 9, "p");
        string json = layer.GetConfig().ToJson();
        Assert.Equal("""{"name":"p","trainable":true,"dtype":"float32","factor":[0,0.7],"scale":0.4,"interpolation":"nearest","fill_value":2.5,"seed":9}""", json);
        Assert.Equal(json, RandomPerspective.FromConfig(Parse(json)).GetConfig().ToJson());
        RandomPerspective keras = RandomPerspective.FromConfig(Parse("""{"name": "k", "factor": 1.0, "scale": 1.0, "interpolation": "bilinear", "fill_value": 0, "seed": null}"""));
        Assert.Equal(((0.0, 1.0), 1.0, Interpolation.Bilinear), (keras.Factor, keras.Scale, keras.Interpolation));
        Assert.Equal((0.2, 1.5), RandomPerspective.FromConfig(Parse("""{"name": "k", "factor": [0.2, 1.5]}""")).Factor);
        Assert.Throws<ArgumentOutOfRangeException>(() => RandomPerspective.FromConfig(Parse("""{"name": "k", "factor": [1.5, 0.2]}""")));
        Assert.Contains("bicubic", Assert.Throws<InvalidDataException>(() => RandomPerspective.FromConfig(Parse("""{"name": "k", "interpolation": "bicubic"}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RandomPerspective_BadInput_ThrowsNamingTheProblem()
    {
        Assert.Contains("RandomPerspective expects scale to be a number in [0, 1]. Received: scale=1.5.", Message(() => new RandomPerspective(scale: 1.5)), StringComparison.Ordinal);
        Assert.Contains("Received: scale=-0.1.", Message(() => new RandomPerspective(scale: -0.1)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=-0.2.", Message(() => new RandomPerspective(-0.2)), StringComparison.Ordinal);
        Assert.Contains("Received: factor=(1.2, 1.5).", Message(() => new RandomPerspective((1.2, 1.5))), StringComparison.Ordinal);
        Assert.Contains("interpolation=9", Message(() => new RandomPerspective(interpolation: (Interpolation)9)), StringComparison.Ordinal);
        Assert.Contains("fillValue=Infinity", Message(() => new RandomPerspective(fillValue: double.PositiveInfinity)), StringComparison.Ordinal);

        // One row: Keras' corners coincide and its solve fails; refused before drawing, and inference still passes.
        var thin = new RandomPerspective(seed: 1, name: "thin");
        Tensor row = new(2, 1, 5, 3);
        Assert.Contains("'thin' transforms images of at least 2 x 2 pixels in training (its four corners must differ); got 1 x 5.",
            Message(() => thin.Forward(row, training: true)), StringComparison.Ordinal);
        Assert.Same(row, thin.Forward(row, training: false));
    }
}
