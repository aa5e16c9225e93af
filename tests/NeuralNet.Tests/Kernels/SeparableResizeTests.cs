using FsCheck.Xunit;
using NeuralNet.Kernels;
using NeuralNet.Layers;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class SeparableResizeTests
{
    private const string Seed = "(5150,23)";

    private static readonly Interpolation[] s_kinds = [Interpolation.Bicubic, Interpolation.Lanczos3, Interpolation.Lanczos5, Interpolation.Area, Interpolation.Bilinear];

    [Property(Replay = Seed, MaxTest = 80)]
    public void Forward_RandomShapes_EqualsFloat64Reference(long seed)
    {
        var random = new SeededRandom(seed);
        Interpolation kind = s_kinds[random.NextInt(s_kinds.Length)];
        bool antialias = kind == Interpolation.Bilinear || random.NextInt(2) == 1;
        var (imageHeight, imageWidth, channels, top, left, height, width, outHeight, outWidth) = RandomCase(random);
        float[] x = ConvTestCases.RandomArray(random, imageHeight * imageWidth * channels);
        ResizeTable rows = ResizeTables.Build(kind, antialias, height, outHeight, top), columns = ResizeTables.Build(kind, antialias, width, outWidth, left);
        var y = new float[outHeight * outWidth * channels];

        SeparableResize.Forward(x, imageWidth, channels, left, width, rows, columns, new float[outHeight * width * channels], y);

        double[] expected = SeparableResize.Reference(x, imageWidth, channels, (top, left),
            ResizeTables.Reference(kind, antialias, height, outHeight), ResizeTables.Reference(kind, antialias, width, outWidth));
        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(y[i] - expected[i]) <= 2e-5 * (1 + Math.Abs(expected[i])),
                $"{kind} antialias={antialias} ({height}, {width}) -> ({outHeight}, {outWidth}) element {i}: {y[i]} vs {expected[i]}");
        }
    }

    [Property(Replay = Seed, MaxTest = 60)]
    public void Backward_RandomShapes_IsTheAdjointOfForward(long seed)
    {
        // <dy, K x> = <Kᵀ dy, x> for every x and dy: Backward is the adjoint of Forward's linear map.
        var random = new SeededRandom(seed);
        Interpolation kind = s_kinds[random.NextInt(s_kinds.Length)];
        bool antialias = random.NextInt(2) == 1;
        var (imageHeight, imageWidth, channels, top, left, height, width, outHeight, outWidth) = RandomCase(random);
        float[] x = ConvTestCases.RandomArray(random, imageHeight * imageWidth * channels);
        float[] dy = ConvTestCases.RandomArray(random, outHeight * outWidth * channels);
        ResizeTable rows = ResizeTables.Build(kind, antialias, height, outHeight, top), columns = ResizeTables.Build(kind, antialias, width, outWidth, left);
        var scratch = new float[outHeight * width * channels];
        var y = new float[dy.Length];
        var dx = Enumerable.Repeat(float.NaN, x.Length).ToArray();

        SeparableResize.Forward(x, imageWidth, channels, left, width, rows, columns, scratch, y);
        SeparableResize.Backward(dy, imageHeight, imageWidth, channels, left, width, rows, columns, scratch, dx);

        double forward = 0, adjoint = 0, scale = 0;
        for (int i = 0; i < y.Length; i++)
        {
            forward += (double)dy[i] * y[i];
            scale += Math.Abs((double)dy[i] * y[i]);
        }

        for (int i = 0; i < x.Length; i++)
        {
            adjoint += (double)dx[i] * x[i];
            scale += Math.Abs((double)dx[i] * x[i]);
        }

        Assert.True(Math.Abs(forward - adjoint) <= 1e-5 * (1 + scale), $"{kind}: <dy, Kx> = {forward} but <Kᵀdy, x> = {adjoint}");
    }

    [Theory]
    [InlineData(Interpolation.Bicubic, false)]
    [InlineData(Interpolation.Bicubic, true)]
    [InlineData(Interpolation.Lanczos3, false)]
    [InlineData(Interpolation.Lanczos5, true)]
    [InlineData(Interpolation.Area, false)]
    [InlineData(Interpolation.Bilinear, true)]
    public void Build_EveryOutput_WeightsSumToOneInsideTheAxis(Interpolation kind, bool antialias)
    {
        foreach ((int input, int output) in new[] { (7, 3), (3, 7), (10, 10), (1, 4), (5, 1), (13, 6) })
        {
            ResizeTable table = ResizeTables.Build(kind, antialias, input, output, 2);
            for (int o = 0; o < output; o++)
            {
                Assert.InRange(table.Start[o], 2, 2 + input - table.Span);
                double sum = table.Weight.AsSpan(o * table.Span, table.Span).ToArray().Sum(w => (double)w);
                Assert.True(Math.Abs(sum - 1) < 1e-5, $"{kind} {input} -> {output}, output {o}: weights sum to {sum}");
            }
        }
    }

    [Fact]
    public void Build_BicubicUpsampleByTwo_IsKeysCubicAtQuarterOffsets()
    {
        // Keys' cubic (a = −0.5) at distances 1.25, 0.25, 0.75, 1.75: −0.0703125, 0.8671875, 0.2265625, −0.0234375.
        ResizeTable table = ResizeTables.Build(Interpolation.Bicubic, false, 8, 16, 0);
        int o = 5; // samples (5 + 0.5) / 2 − 0.5 = 2.25: rows 1 .. 4
        Assert.Equal(1, table.Start[o]);
        Assert.Equal([-0.0703125f, 0.8671875f, 0.2265625f, -0.0234375f], table.Weight.AsSpan(o * table.Span, 4).ToArray());
    }

    [Fact]
    public void Build_AreaDownsample_AveragesTheCoveredPixels()
    {
        // 6 -> 4: output 1 covers [1.5, 3]: half of pixel 1 and all of 2, over 1.5.
        ResizeTable table = ResizeTables.Build(Interpolation.Area, false, 6, 4, 0);
        double[] dense = new double[6];
        for (int k = 0; k < table.Span; k++)
        {
            dense[table.Start[1] + k] += table.Weight[table.Span + k];
        }

        ConvTestCases.AssertClose([0f, 1f / 3, 2f / 3, 0f, 0f, 0f], [.. dense.Select(d => (float)d)], 1e-6f);
    }

    [Fact]
    public void Build_AntialiasedLanczosWhenShrinking_WidensTheKernel()
    {
        // Shrinking 12 -> 4 widens the radius-3 kernel by 3: 18 taps (clamped to the axis) rather than 6.
        Assert.Equal(12, ResizeTables.Build(Interpolation.Lanczos3, true, 12, 4, 0).Span);
        Assert.True(ResizeTables.Build(Interpolation.Lanczos3, false, 12, 4, 0).Span <= 7);

        // Upsampling: antialias changes nothing.
        ResizeTable plain = ResizeTables.Build(Interpolation.Lanczos3, false, 4, 12, 0), widened = ResizeTables.Build(Interpolation.Lanczos3, true, 4, 12, 0);
        Assert.Equal(plain.Weight, widened.Weight);
    }

    private static (int ImageHeight, int ImageWidth, int Channels, int Top, int Left, int Height, int Width, int OutHeight, int OutWidth) RandomCase(SeededRandom random)
    {
        int height = random.NextInt(12) + 1, width = random.NextInt(12) + 1;
        int top = random.NextInt(3), left = random.NextInt(3);
        int imageHeight = height + top + random.NextInt(3), imageWidth = width + left + random.NextInt(3);
        return (imageHeight, imageWidth, random.NextInt(3) + 1, top, left, height, width, random.NextInt(14) + 1, random.NextInt(14) + 1);
    }
}
