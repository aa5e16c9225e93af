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
