using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class Im2ColTests
{
    private const string Seed = "(20261123,5)";

    [Property(Replay = Seed, MaxTest = 150)]
    public void Pack_RandomGeometry_EqualsReference(long seed)
    {
        var random = new SeededRandom(seed);
        ConvGeometry g = ConvTestCases.RandomGeometry(random);
        int images = random.NextInt(3) + 1;
        float[] input = ConvTestCases.RandomArray(random, images * g.InputSize);
        int colsLength = images * g.OutputPixels * g.PatchSize;
        float[] expected = new float[colsLength], actual = Enumerable.Repeat(float.NaN, colsLength).ToArray();

        Im2Col.PackReference(input, g, images, expected);
        Im2Col.Pack(input, g, images, actual);

        Assert.Equal(expected, actual);
    }

    [Property(Replay = Seed, MaxTest = 150)]
    public void Unpack_RandomGeometry_IsAdjointOfPack(long seed)
    {
        // col2im is the transpose of im2col: <Pack(x), c> == <x, Unpack(c)> for every x and c.
        var random = new SeededRandom(seed);
        ConvGeometry g = ConvTestCases.RandomGeometry(random);
        int images = random.NextInt(3) + 1;
        float[] x = ConvTestCases.RandomArray(random, images * g.InputSize);
        float[] c = ConvTestCases.RandomArray(random, images * g.OutputPixels * g.PatchSize);
        float[] packed = new float[c.Length], unpacked = Enumerable.Repeat(float.NaN, x.Length).ToArray();

        Im2Col.Pack(x, g, images, packed);
        Im2Col.Unpack(c, g, images, unpacked);

        double left = ConvTestCases.Dot(packed, c), right = ConvTestCases.Dot(x, unpacked);
        Assert.True(Math.Abs(left - right) <= 1e-4 * Math.Max(1, Math.Abs(left)), $"<Pack(x), c> = {left} but <x, Unpack(c)> = {right} for {Describe(g)}.");
    }

    [Fact]
    public void Pack_SamePaddingThreeByThree_ZeroesTheBorder()
    {
        // 2x2 single-channel image, 3x3 kernel, same padding: the top-left patch has the image in its bottom-right corner.
        Assert.True(ConvGeometry.TryCreate(2, 2, 1, 3, 3, 1, 1, same: true, out ConvGeometry g));
        float[] cols = new float[4 * 9];

        Im2Col.Pack([1, 2, 3, 4], g, 1, cols);

        Assert.Equal(new float[] { 0, 0, 0, 0, 1, 2, 0, 3, 4 }, cols[..9]);
        Assert.Equal(new float[] { 1, 2, 0, 3, 4, 0, 0, 0, 0 }, cols[27..]);
    }

    [Fact]
    public void Pack_TooShortDestination_Throws()
    {
        Assert.True(ConvGeometry.TryCreate(4, 4, 2, 3, 3, 1, 1, same: false, out ConvGeometry g));
        var ex = Assert.Throws<ArgumentException>(() => Im2Col.Pack(new float[32], g, 1, new float[10]));
        Assert.Contains("72", ex.Message, StringComparison.Ordinal);
    }

    internal static string Describe(ConvGeometry g) =>
        $"in ({g.InHeight}, {g.InWidth}, {g.Channels}) kernel ({g.KernelHeight}, {g.KernelWidth}) strides ({g.StrideHeight}, {g.StrideWidth}) pad ({g.PadTop}, {g.PadLeft}) out ({g.OutHeight}, {g.OutWidth})";
}
