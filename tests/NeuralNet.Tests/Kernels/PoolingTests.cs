using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class PoolingTests
{
    private const string Seed = "(99991,3)";

    [Property(Replay = Seed, MaxTest = 150)]
    public void Max_RandomGeometry_EqualsReference(long seed)
    {
        var random = new SeededRandom(seed);
        ConvGeometry g = ConvTestCases.RandomGeometry(random, maxChannels: 20);
        int images = random.NextInt(3) + 1, outLength = images * g.OutputPixels * g.Channels;
        float[] input = ConvTestCases.RandomArray(random, images * g.InputSize), dy = ConvTestCases.RandomArray(random, outLength);

        var run = RunMax(g, images, input, dy);

        Assert.Equal(run.Expected, run.Actual);
        ConvTestCases.AssertClose(run.ExpectedDx, run.Dx, 1e-6f);
    }

    // Windows that tile the input (stride = pool size, no padding) over whole channel vectors take their own path; values
    // drawn from a few levels make ties, where the first maximum must win.
    [Property(Replay = Seed, MaxTest = 60)]
    public void Max_TilingWindows_EqualsReference(long seed)
    {
        var random = new SeededRandom(seed);
        int kh = random.NextInt(3) + 1, kw = random.NextInt(3) + 1, c = System.Numerics.Vector<float>.Count * (random.NextInt(4) + 1);
        int h = (kh * (random.NextInt(5) + 1)) + random.NextInt(kh), w = (kw * (random.NextInt(5) + 1)) + random.NextInt(kw);
        Assert.True(ConvGeometry.TryCreate(h, w, c, kh, kw, kh, kw, same: false, out ConvGeometry g));
        int images = random.NextInt(3) + 1, outLength = images * g.OutputPixels * c;
        float[] input = ConvTestCases.RandomArray(random, images * g.InputSize).Select(v => MathF.Round(v * 2f)).ToArray();
        float[] dy = ConvTestCases.RandomArray(random, outLength);

        var run = RunMax(g, images, input, dy);

        Assert.Equal(run.Expected, run.Actual);
        Assert.Equal(run.ExpectedDx, run.Dx);
    }

    // The reference's and the kernels' max pooling of the same data, forward and backward (dx starts as NaN, so a position
    // the backward pass never writes shows).
    private static (float[] Expected, float[] Actual, float[] ExpectedDx, float[] Dx) RunMax(ConvGeometry g, int images, float[] input, float[] dy)
    {
        float[] expected = new float[dy.Length], expectedDx = new float[input.Length];
        float[] actual = new float[dy.Length], dx = Enumerable.Repeat(float.NaN, input.Length).ToArray();
        int[] argmax = new int[dy.Length];
        Pooling.MaxReference(input, dy, g, images, expected, expectedDx);
        Pooling.MaxForward(input, g, images, actual, argmax);
        Pooling.MaxBackward(dy, argmax, g, images, dx);
        return (expected, actual, expectedDx, dx);
    }

    [Property(Replay = Seed, MaxTest = 150)]
    public void Average_RandomGeometry_EqualsReference(long seed)
    {
        var random = new SeededRandom(seed);
        ConvGeometry g = ConvTestCases.RandomGeometry(random, maxChannels: 20);
        int images = random.NextInt(3) + 1, outLength = images * g.OutputPixels * g.Channels;
        float[] input = ConvTestCases.RandomArray(random, images * g.InputSize), dy = ConvTestCases.RandomArray(random, outLength);
        float[] expected = new float[outLength], expectedDx = new float[input.Length];
        float[] actual = new float[outLength], dx = Enumerable.Repeat(float.NaN, input.Length).ToArray();

        Pooling.AverageReference(input, dy, g, images, expected, expectedDx);
        Pooling.AverageForward(input, g, images, actual);
        Pooling.AverageBackward(dy, g, images, dx);

        ConvTestCases.AssertClose(expected, actual, 1e-5f);
        ConvTestCases.AssertClose(expectedDx, dx, 1e-5f);
    }

    [Fact]
    public void MaxBackward_TwoByTwo_RoutesGradientToArgmax()
    {
        // One 4x4 channel pooled 2x2: maxima at (0,1)=5, (1,2)=7, (3,0)=9, (2,2)=8 (tie with (3,3)=8: the first wins).
        float[] input =
        [
            1, 5, 2, 0,
            3, 4, 7, 6,
            2, 0, 8, 1,
            9, 1, 3, 8,
        ];
        Assert.True(ConvGeometry.TryCreate(4, 4, 1, 2, 2, 2, 2, same: false, out ConvGeometry g));
        float[] output = new float[4], dx = Enumerable.Repeat(float.NaN, 16).ToArray();
        int[] argmax = new int[4];

        Pooling.MaxForward(input, g, 1, output, argmax);
        Pooling.MaxBackward([10, 20, 30, 40], argmax, g, 1, dx);

        Assert.Equal(new float[] { 5, 7, 9, 8 }, output);
        Assert.Equal(
            new float[]
            {
                0, 10, 0, 0,
                0, 0, 20, 0,
                0, 0, 40, 0,
                30, 0, 0, 0,
            },
            dx);
    }

    [Fact]
    public void MaxBackward_OverlappingWindows_AddsGradientsOfSharedMaximum()
    {
        // 1x3 row, window 1x2 stride 1: the middle 9 is the maximum of both windows and receives both gradients.
        Assert.True(ConvGeometry.TryCreate(1, 3, 1, 1, 2, 1, 1, same: false, out ConvGeometry g));
        float[] output = new float[2], dx = new float[3];
        int[] argmax = new int[2];

        Pooling.MaxForward([1, 9, 2], g, 1, output, argmax);
        Pooling.MaxBackward([1.5f, 2.5f], argmax, g, 1, dx);

        Assert.Equal(new float[] { 9, 9 }, output);
        Assert.Equal(new float[] { 0, 4, 0 }, dx);
    }

    [Fact]
    public void GlobalAverage_TwoPixelsTwoChannels_AveragesAndSpreads()
    {
        float[] output = new float[2], dx = new float[4];

        Pooling.GlobalAverageForward([1, 10, 3, 20], 2, 2, 1, output);
        Pooling.GlobalAverageBackward([4, 8], 2, 2, 1, dx);

        Assert.Equal(new float[] { 2, 15 }, output);
        Assert.Equal(new float[] { 2, 4, 2, 4 }, dx);
    }

    [Fact]
    public void AverageForward_SamePadding_DoesNotCountPadding()
    {
        // 3x3 image pooled 2x2 stride 2 with same padding: the right column and bottom row windows are partial.
        Assert.True(ConvGeometry.TryCreate(3, 3, 1, 2, 2, 2, 2, same: true, out ConvGeometry g));
        float[] output = new float[4];

        Pooling.AverageForward([1, 2, 3, 4, 5, 6, 7, 8, 9], g, 1, output);

        Assert.Equal(new float[] { 3, 4.5f, 7.5f, 9 }, output);
    }
}
