using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class ConvolutionTests
{
    private const string Seed = "(424242,17)";

    [Property(Replay = Seed, MaxTest = 120)]
    public void ForwardGemm_RandomGeometry_EqualsSevenLoopReference(long seed)
    {
        var random = new SeededRandom(seed);
        ConvGeometry g = ConvTestCases.RandomGeometry(random);
        int images = random.NextInt(3) + 1, filters = random.NextInt(6) + 1;
        float[] input = ConvTestCases.RandomArray(random, images * g.InputSize);
        float[] kernel = ConvTestCases.RandomArray(random, g.PatchSize * filters);
        float[] bias = ConvTestCases.RandomArray(random, filters);
        int rows = images * g.OutputPixels;
        float[] cols = new float[rows * g.PatchSize], actual = new float[rows * filters], expected = new float[rows * filters];

        Im2Col.Pack(input, g, images, cols);
        Convolution.ForwardGemm(cols, kernel, rows, g.PatchSize, filters, actual);
        Convolution.AddBias(bias, actual);
        Convolution.ForwardReference(input, kernel, bias, g, filters, images, expected);

        ConvTestCases.AssertClose(expected, actual);
    }

    [Property(Replay = Seed, MaxTest = 120)]
    public void Backward_RandomGeometry_EqualsReference(long seed)
    {
        var random = new SeededRandom(seed);
        ConvGeometry g = ConvTestCases.RandomGeometry(random);
        int images = random.NextInt(3) + 1, filters = random.NextInt(6) + 1;
        float[] input = ConvTestCases.RandomArray(random, images * g.InputSize);
        float[] kernel = ConvTestCases.RandomArray(random, g.PatchSize * filters);
        int rows = images * g.OutputPixels;
        float[] dy = ConvTestCases.RandomArray(random, rows * filters);
        float[] expectedDx = new float[input.Length], expectedDw = new float[kernel.Length], expectedDb = new float[filters];
        Convolution.BackwardReference(input, kernel, dy, g, filters, images, expectedDx, expectedDw, expectedDb);

        float[] cols = new float[rows * g.PatchSize], dw = new float[kernel.Length], db = new float[filters], dx = new float[input.Length];
        Im2Col.Pack(input, g, images, cols);
        Convolution.BackwardFilter(cols, dy, rows, g.PatchSize, filters, dw);
        Convolution.AddColumnSums(dy, filters, db);
        Convolution.BackwardData(dy, kernel, rows, g.PatchSize, filters, cols);
        Im2Col.Unpack(cols, g, images, dx);

        ConvTestCases.AssertClose(expectedDw, dw);
        ConvTestCases.AssertClose(expectedDb, db);
        ConvTestCases.AssertClose(expectedDx, dx);
    }

    [Fact]
    public void ForwardReference_OnesThreeByThree_GivesWindowCounts()
    {
        // 3x3 ones image, 2x2 ones kernel, valid: every output is 4; with same padding the bottom-right ones see 2 and 1.
        Assert.True(ConvGeometry.TryCreate(3, 3, 1, 2, 2, 1, 1, same: false, out ConvGeometry valid));
        Assert.True(ConvGeometry.TryCreate(3, 3, 1, 2, 2, 1, 1, same: true, out ConvGeometry same));
        float[] ones = Enumerable.Repeat(1f, 9).ToArray(), kernel = [1, 1, 1, 1];
        float[] validOut = new float[4], sameOut = new float[9];

        Convolution.ForwardReference(ones, kernel, [], valid, 1, 1, validOut);
        Convolution.ForwardReference(ones, kernel, [], same, 1, 1, sameOut);

        Assert.Equal(new float[] { 4, 4, 4, 4 }, validOut);
        Assert.Equal(new float[] { 4, 4, 2, 4, 4, 2, 2, 2, 1 }, sameOut);
    }

    [Fact]
    public void BackwardFilter_CalledTwice_Accumulates()
    {
        var random = new SeededRandom(7);
        float[] cols = ConvTestCases.RandomArray(random, 6 * 4), dy = ConvTestCases.RandomArray(random, 6 * 3);
        float[] once = new float[12], twice = new float[12];

        Convolution.BackwardFilter(cols, dy, 6, 4, 3, once);
        Convolution.BackwardFilter(cols, dy, 6, 4, 3, twice);
        Convolution.BackwardFilter(cols, dy, 6, 4, 3, twice);

        ConvTestCases.AssertClose(once.Select(v => 2 * v).ToArray(), twice);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(200)]
    public void AddBiasAndColumnSums_AnyWidth_MatchScalarLoops(int columns)
    {
        var random = new SeededRandom(columns);
        const int rows = 5;
        float[] values = ConvTestCases.RandomArray(random, rows * columns), bias = ConvTestCases.RandomArray(random, columns);
        float[] expected = values.Select((v, i) => v + bias[i % columns]).ToArray();
        float[] sums = Enumerable.Repeat(1f, columns).ToArray();
        float[] expectedSums = Enumerable.Range(0, columns).Select(c => 1f + Enumerable.Range(0, rows).Sum(r => values[(r * columns) + c])).ToArray();

        Convolution.AddColumnSums(values, columns, sums);
        Convolution.AddBias(bias, values);

        ConvTestCases.AssertClose(expected, values, 1e-6f);
        ConvTestCases.AssertClose(expectedSums, sums, 1e-5f);
    }
}
