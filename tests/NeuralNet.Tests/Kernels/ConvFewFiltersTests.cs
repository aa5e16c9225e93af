using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class ConvFewFiltersTests
{
    private const string Seed = "(410041,17)";

    // Random images, kernels, vertical strides, padding, channels and 1..7 filters, with and without bias and ReLU; the
    // horizontal stride is 1, the only one the kernels take. Image and kernel sizes are drawn apart, so with same padding
    // a kernel can be larger than the image, and outputs narrower than a vector occur (the kernels compute any geometry;
    // Supports decides only which ones a layer routes here).
    [Property(Replay = Seed, MaxTest = 150)]
    public void ForwardAndBackward_RandomShapes_EqualReference(long seed)
    {
        var random = new SeededRandom(seed);
        ConvGeometry g;
        bool created;
        do
        {
            int h = random.NextInt(20) + 1, w = random.NextInt(20) + 1, kh = random.NextInt(5) + 1, kw = random.NextInt(5) + 1;
            created = ConvGeometry.TryCreate(h, w, random.NextInt(6) + 1, kh, kw, random.NextInt(3) + 1, 1, random.NextInt(2) == 1, out g);
        }
        while (!created);

        AssertEqualsReference(random, g, random.NextInt(ConvFewFilters.MaxFilters) + 1, relu: random.NextInt(2) == 1, useBias: random.NextInt(3) != 0);
    }

    // The two tutorial layers: a generator's last Conv2D(1, 5, same) on 16x16x32 and the Siamese tower's Conv2D(4, 5) on 28x28x1.
    [Theory]
    [InlineData(16, 32, 1, true)]
    [InlineData(28, 1, 4, false)]
    public void ForwardAndBackward_TutorialLayers_EqualReference(int size, int channels, int filters, bool same)
    {
        Assert.True(ConvGeometry.TryCreate(size, size, channels, 5, 5, 1, 1, same, out ConvGeometry g));
        AssertEqualsReference(new SeededRandom(41), g, filters, relu: false, useBias: true);
    }

    [Fact]
    public void Supports_FilterCountsAndStrides_TakesFourToSevenFiltersAtHorizontalStrideOne()
    {
        Assert.True(ConvGeometry.TryCreate(16, 16, 8, 5, 5, 1, 1, same: true, out ConvGeometry g));
        Assert.True(ConvGeometry.TryCreate(16, 16, 8, 5, 5, 1, 2, same: true, out ConvGeometry strided));
        bool accelerated = System.Numerics.Vector.IsHardwareAccelerated;
        Assert.False(ConvFewFilters.Supports(g, 3)); // below MinLayerFilters (1 filter measured slower than im2col + GEMM)
        Assert.Equal(accelerated, ConvFewFilters.Supports(g, 4));
        Assert.Equal(accelerated, ConvFewFilters.Supports(g, 7));
        Assert.False(ConvFewFilters.Supports(g, 8));
        Assert.False(ConvFewFilters.Supports(strided, 4)); // 4 and 7 filters pass the filter test: the stride refuses them
        Assert.False(ConvFewFilters.Supports(strided, 7));
    }

    // Each refusal on its own, against a geometry the layer routes here (4 filters, 8 channels, 5x5: 200 patch values).
    [Fact]
    public void Supports_NarrowOutputManyChannelsOrLargePatch_RoutesToIm2ColGemm()
    {
        int v = System.Numerics.Vector<float>.Count;
        bool accelerated = System.Numerics.Vector.IsHardwareAccelerated;
        Assert.True(ConvGeometry.TryCreate(12, v, 8, 5, 5, 1, 1, same: true, out ConvGeometry routed));
        Assert.Equal(accelerated, ConvFewFilters.Supports(routed, 4));

        Assert.True(ConvGeometry.TryCreate(12, v - 1, 8, 5, 5, 1, 1, same: true, out ConvGeometry narrow));
        Assert.True(ConvGeometry.TryCreate(1, 1, 8, 1, 1, 1, 1, same: false, out ConvGeometry squeezeExcite));
        Assert.True(ConvGeometry.TryCreate(12, v, ConvFewFilters.MaxLayerChannels + 1, 1, 1, 1, 1, same: true, out ConvGeometry channels));
        Assert.True(ConvGeometry.TryCreate(12, v, 8, 5, 6, 1, 1, same: true, out ConvGeometry patch));
        Assert.True(patch.PatchSize > ConvFewFilters.MaxLayerPatchSize);
        Assert.False(ConvFewFilters.Supports(narrow, 4));
        Assert.False(ConvFewFilters.Supports(squeezeExcite, 4));
        Assert.False(ConvFewFilters.Supports(channels, 4));
        Assert.False(ConvFewFilters.Supports(patch, 4));
    }

    [Fact]
    public void Forward_ShortScratch_ThrowsNamingTheLengths()
    {
        Assert.True(ConvGeometry.TryCreate(8, 8, 2, 3, 3, 1, 1, same: true, out ConvGeometry g));
        var exception = Assert.Throws<ArgumentException>(() => ConvFewFilters.Forward(new float[g.InputSize], new float[g.PatchSize * 2], [], g, 2, relu: false,
            new float[ConvFewFilters.ScratchLength(g, 2) - 1], new float[g.OutputPixels * 2]));
        Assert.Contains("scratch", exception.Message);
    }

    [Fact]
    public void Backward_ShortOutputGradient_ThrowsNamingTheOutputGradient()
    {
        Assert.True(ConvGeometry.TryCreate(8, 8, 2, 3, 3, 1, 1, same: true, out ConvGeometry g));
        var exception = Assert.Throws<ArgumentException>(() => ConvFewFilters.Backward(new float[g.InputSize], new float[g.PatchSize * 2],
            new float[(g.OutputPixels * 2) - 1], g, 2, new float[ConvFewFilters.ScratchLength(g, 2)], new float[g.PatchSize * 2], new float[g.InputSize]));
        Assert.Contains($"output gradient ({(g.OutputPixels * 2) - 1})", exception.Message);
    }

    private static void AssertEqualsReference(SeededRandom random, ConvGeometry g, int filters, bool relu, bool useBias)
    {
        float[] input = ConvTestCases.RandomArray(random, g.InputSize), kernel = ConvTestCases.RandomArray(random, g.PatchSize * filters);
        float[] bias = useBias ? ConvTestCases.RandomArray(random, filters) : [];
        int outLength = g.OutputPixels * filters;
        float[] expected = new float[outLength], actual = new float[outLength], dz = ConvTestCases.RandomArray(random, outLength);
        float[] scratch = new float[ConvFewFilters.ScratchLength(g, filters)];
        Array.Fill(scratch, float.NaN); // the kernels must write every scratch element they read
        ConvFewFilters.ForwardReference(input, kernel, bias, g, filters, relu, expected);
        ConvFewFilters.Forward(input, kernel, bias, g, filters, relu, scratch, actual);
        ConvTestCases.AssertClose(expected, actual, 1e-5f);

        float[] expectedDw = new float[kernel.Length], expectedDx = new float[g.InputSize];
        float[] dw = Enumerable.Repeat(float.NaN, kernel.Length).ToArray(), dx = Enumerable.Repeat(float.NaN, g.InputSize).ToArray();
        Array.Fill(scratch, float.NaN);
        ConvFewFilters.BackwardReference(input, kernel, dz, g, filters, expectedDw, expectedDx);
        ConvFewFilters.Backward(input, kernel, dz, g, filters, scratch, dw, dx);
        ConvTestCases.AssertClose(expectedDw, dw, 1e-4f);
        ConvTestCases.AssertClose(expectedDx, dx, 1e-4f);

        // Either gradient alone: the same bits as both together.
        float[] dwOnly = new float[kernel.Length], dxOnly = new float[g.InputSize];
        ConvFewFilters.Backward(input, kernel, dz, g, filters, scratch, dwOnly, default);
        ConvFewFilters.Backward(input, kernel, dz, g, filters, scratch, default, dxOnly);
        Assert.Equal(dw, dwOnly);
        Assert.Equal(dx, dxOnly);
    }
}
