using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class ConvDirectTests
{
    private const string Seed = "(777001,23)";

    [Property(Replay = Seed, MaxTest = 100)]
    public void ForwardAndBackwardFilter_RandomSmallPatch_EqualReference(long seed)
    {
        var random = new SeededRandom(seed);
        ConvGeometry g;
        do
        {
            g = ConvTestCases.RandomGeometry(random, maxChannels: 3, maxKernel: 3);
        }
        while (g.PatchSize > ConvDirect.MaxPatch);

        int filters = System.Numerics.Vector<float>.Count * (random.NextInt(3) + 1);
        bool relu = random.NextInt(2) == 1, useBias = random.NextInt(3) != 0;
        float[] input = ConvTestCases.RandomArray(random, g.InputSize), kernel = ConvTestCases.RandomArray(random, g.PatchSize * filters);
        float[] bias = useBias ? ConvTestCases.RandomArray(random, filters) : [];
        int outLength = g.OutputPixels * filters;
        float[] expected = new float[outLength], actual = new float[outLength];
        float[] dy = ConvTestCases.RandomArray(random, outLength);

        ConvDirect.ForwardReference(input, kernel, bias, g, filters, relu, expected);
        ConvDirect.Forward(input, kernel, bias, g, filters, relu, actual);
        ConvTestCases.AssertClose(expected, actual, 1e-5f);

        float[] expectedDw = new float[kernel.Length], expectedDb = new float[filters], dw = new float[kernel.Length], db = new float[bias.Length], dz = new float[outLength];
        ConvDirect.BackwardFilterReference(input, kernel, actual, dy, g, filters, relu, expectedDw, expectedDb);
        ConvDirect.BackwardFilter(input, actual, dy, g, filters, relu, dw, db, dz);
        ConvTestCases.AssertClose(expectedDw, dw, 1e-4f);
        if (useBias)
        {
            ConvTestCases.AssertClose(expectedDb, db, 1e-4f);
        }

        Assert.Equal(dy.Select((v, i) => !relu || actual[i] > 0f ? v : 0f).ToArray(), dz);
    }

    // Nine-tap windows over images large enough for several blocks of pixels, some windows inside the image (read in place)
    // and, with "same" padding, some reaching into the padding (gathered) in the same block; with and without ReLU, bias
    // and a dz destination (a first layer passes none).
    [Property(Replay = Seed, MaxTest = 60)]
    public void ForwardAndBackwardFilter_NineTapsOnLargerImages_EqualReference(long seed)
    {
        var random = new SeededRandom(seed);
        (int kh, int kw, int c) = random.NextInt(6) switch { 0 => (3, 3, 1), 1 => (1, 3, 3), 2 => (3, 1, 3), 3 => (9, 1, 1), 4 => (1, 9, 1), _ => (1, 1, 9) };
        Assert.True(ConvGeometry.TryCreate(random.NextInt(30) + 9, random.NextInt(30) + 9, c, kh, kw, random.NextInt(2) + 1, random.NextInt(2) + 1, random.NextInt(2) == 1,
            out ConvGeometry g));
        Assert.Equal(9, g.PatchSize);
        AssertDirectEqualsReference(random, g, System.Numerics.Vector<float>.Count * (random.NextInt(4) + 1), relu: random.NextInt(2) == 1, useBias: random.NextInt(3) != 0,
            storeDz: random.NextInt(2) == 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ForwardAndBackwardFilter_E43FirstLayer_EqualReference(bool same)
    {
        Assert.True(ConvGeometry.TryCreate(28, 28, 1, 3, 3, 1, 1, same, out ConvGeometry g));
        AssertDirectEqualsReference(new SeededRandom(43), g, filters: 32, relu: true, useBias: true, storeDz: false);
    }

    // With AVX-512, 32 filters run on 16-float vectors and 40 on Vector<float>; every lane does the same operations in the
    // same order, so the 40-filter layer's first 32 outputs and gradients are the 32-filter layer's, bit for bit.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ForwardAndBackwardFilter_WideAndNarrowVectors_SameBits(bool same)
    {
        Assert.True(ConvGeometry.TryCreate(30, 29, 1, 3, 3, 1, 1, same, out ConvGeometry g));
        var random = new SeededRandom(7);
        const int Narrow = 40, Wide = 32;
        float[] input = ConvTestCases.RandomArray(random, g.InputSize), kernel40 = ConvTestCases.RandomArray(random, g.PatchSize * Narrow);
        float[] bias40 = ConvTestCases.RandomArray(random, Narrow), dy40 = ConvTestCases.RandomArray(random, g.OutputPixels * Narrow);
        float[] kernel32 = FirstColumns(kernel40, Narrow, Wide), bias32 = bias40[..Wide], dy32 = FirstColumns(dy40, Narrow, Wide);
        float[] y40 = new float[g.OutputPixels * Narrow], y32 = new float[g.OutputPixels * Wide];
        ConvDirect.Forward(input, kernel40, bias40, g, Narrow, relu: true, y40);
        ConvDirect.Forward(input, kernel32, bias32, g, Wide, relu: true, y32);
        Assert.Equal(FirstColumns(y40, Narrow, Wide), y32);

        float[] dw40 = new float[kernel40.Length], db40 = new float[Narrow], dz40 = new float[y40.Length];
        float[] dw32 = new float[kernel32.Length], db32 = new float[Wide], dz32 = new float[y32.Length];
        ConvDirect.BackwardFilter(input, y40, dy40, g, Narrow, relu: true, dw40, db40, dz40);
        ConvDirect.BackwardFilter(input, y32, dy32, g, Wide, relu: true, dw32, db32, dz32);
        Assert.Equal(FirstColumns(dw40, Narrow, Wide), dw32);
        Assert.Equal(db40[..Wide], db32);
        Assert.Equal(FirstColumns(dz40, Narrow, Wide), dz32);
    }

    private static float[] FirstColumns(float[] rows, int columns, int keep) =>
        Enumerable.Range(0, rows.Length / columns).SelectMany(r => rows.Skip(r * columns).Take(keep)).ToArray();

    private static void AssertDirectEqualsReference(SeededRandom random, ConvGeometry g, int filters, bool relu, bool useBias, bool storeDz)
    {
        float[] input = ConvTestCases.RandomArray(random, g.InputSize), kernel = ConvTestCases.RandomArray(random, g.PatchSize * filters);
        float[] bias = useBias ? ConvTestCases.RandomArray(random, filters) : [];
        int outLength = g.OutputPixels * filters;
        float[] expected = new float[outLength], actual = new float[outLength], dy = ConvTestCases.RandomArray(random, outLength);
        ConvDirect.ForwardReference(input, kernel, bias, g, filters, relu, expected);
        ConvDirect.Forward(input, kernel, bias, g, filters, relu, actual);
        ConvTestCases.AssertClose(expected, actual, 1e-5f);

        float[] expectedDw = new float[kernel.Length], expectedDb = new float[filters], dw = new float[kernel.Length], db = new float[bias.Length];
        float[] dz = storeDz ? new float[outLength] : [];
        ConvDirect.BackwardFilterReference(input, kernel, actual, dy, g, filters, relu, expectedDw, expectedDb);
        ConvDirect.BackwardFilter(input, actual, dy, g, filters, relu, dw, db, dz);
        ConvTestCases.AssertClose(expectedDw, dw, 1e-4f);
        if (useBias)
        {
            ConvTestCases.AssertClose(expectedDb, db, 1e-4f);
        }

        if (storeDz)
        {
            Assert.Equal(dy.Select((v, i) => !relu || actual[i] > 0f ? v : 0f).ToArray(), dz);
        }
    }

    [Fact]
    public void Supports_E43Layers_TakesOnlyTheFirst()
    {
        Assert.True(ConvGeometry.TryCreate(28, 28, 1, 3, 3, 1, 1, same: false, out ConvGeometry first));
        Assert.True(ConvGeometry.TryCreate(13, 13, 32, 3, 3, 1, 1, same: false, out ConvGeometry second));
        Assert.Equal(System.Numerics.Vector.IsHardwareAccelerated, ConvDirect.Supports(first, 32));
        Assert.False(ConvDirect.Supports(second, 64));
        Assert.False(ConvDirect.Supports(first, 7));
    }
}
