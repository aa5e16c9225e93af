using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

// The convolution run together with max pooling gives the bits of the two kernels run one after the other (ConvDirect.Forward,
// Pooling.MaxForward, then Pooling.MaxBackward, ConvDirect.BackwardFilter), and agrees with the naive reference.
public class ConvDirectMaxPooledTests
{
    private const string Seed = "(915003,41)";

    // Nine-tap windows of every shape, strides 1-2, tiling pooling windows 1x1 to 3x3 (rows or columns left over when the
    // output does not divide), several blocks of pixels per image; images with zeroed regions, so that windows tie and,
    // with ReLU and a negative bias, have no positive maximum.
    [Property(Replay = Seed, MaxTest = 80)]
    public void ForwardAndBackwardFilter_RandomGeometry_SameBitsAsLayerByLayer(long seed)
    {
        var random = new SeededRandom(seed);
        (int kh, int kw, int c) = random.NextInt(4) switch { 0 => (3, 3, 1), 1 => (1, 3, 3), 2 => (3, 1, 3), _ => (1, 9, 1) };
        Assert.True(ConvGeometry.TryCreate(random.NextInt(30) + 9, random.NextInt(30) + 9, c, kh, kw, random.NextInt(2) + 1, random.NextInt(2) + 1, same: false, out ConvGeometry conv));
        int filters = System.Numerics.Vector<float>.Count * (random.NextInt(4) + 1);
        int ph = random.NextInt(3) + 1, pw = random.NextInt(3) + 1;
        Assert.True(ConvGeometry.TryCreate(conv.OutHeight, conv.OutWidth, filters, ph, pw, ph, pw, same: false, out ConvGeometry pool));
        bool relu = random.NextInt(2) == 1, useBias = random.NextInt(3) != 0;
        AssertSameBitsAsLayerByLayer(random, conv, pool, filters, relu, useBias);
    }

    [Fact]
    public void ForwardAndBackwardFilter_E43FirstLayer_SameBitsAsLayerByLayer()
    {
        Assert.True(ConvGeometry.TryCreate(28, 28, 1, 3, 3, 1, 1, same: false, out ConvGeometry conv));
        Assert.True(ConvGeometry.TryCreate(26, 26, 32, 2, 2, 2, 2, same: false, out ConvGeometry pool));
        AssertSameBitsAsLayerByLayer(new SeededRandom(43), conv, pool, filters: 32, relu: true, useBias: true);
    }

    [Fact]
    public void SupportsMaxPooled_PaddedOrOverlapping_Refuses()
    {
        Assert.True(ConvGeometry.TryCreate(28, 28, 1, 3, 3, 1, 1, same: false, out ConvGeometry valid));
        Assert.True(ConvGeometry.TryCreate(28, 28, 1, 3, 3, 1, 1, same: true, out ConvGeometry same));
        Assert.True(ConvGeometry.TryCreate(28, 28, 3, 3, 3, 1, 1, same: false, out ConvGeometry rgb));
        Assert.True(ConvGeometry.TryCreate(26, 26, 32, 2, 2, 2, 2, same: false, out ConvGeometry tiles));
        Assert.True(ConvGeometry.TryCreate(26, 26, 32, 3, 3, 2, 2, same: false, out ConvGeometry overlapping));
        Assert.True(ConvGeometry.TryCreate(28, 28, 32, 2, 2, 2, 2, same: false, out ConvGeometry samePool));

        Assert.Equal(System.Numerics.Vector.IsHardwareAccelerated, ConvDirect.SupportsMaxPooled(valid, tiles, 32));
        Assert.False(ConvDirect.SupportsMaxPooled(same, samePool, 32));
        Assert.False(ConvDirect.SupportsMaxPooled(rgb, tiles, 32));
        Assert.False(ConvDirect.SupportsMaxPooled(valid, overlapping, 32));
        Assert.False(ConvDirect.SupportsMaxPooled(valid, tiles, 16));
        Assert.Throws<ArgumentException>(() => ConvDirect.ForwardMaxPooled(new float[784], new float[9 * 32], [], valid, overlapping, 32, true, new float[12 * 12 * 32], new int[12 * 12 * 32]));
    }

    private static void AssertSameBitsAsLayerByLayer(SeededRandom random, ConvGeometry conv, ConvGeometry pool, int filters, bool relu, bool useBias)
    {
        if (!System.Numerics.Vector.IsHardwareAccelerated)
        {
            Assert.False(ConvDirect.SupportsMaxPooled(conv, pool, filters)); // the direct kernels need SIMD
            return;
        }

        float[] input = ConvTestCases.RandomArray(random, conv.InputSize), kernel = ConvTestCases.RandomArray(random, conv.PatchSize * filters);
        float[] bias = useBias ? ConvTestCases.RandomArray(random, filters) : [];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (i / 37) % 3 == 0 ? 0f : input[i]; // flat regions: equal outputs across a window
        }

        for (int f = 0; f < bias.Length; f += 2)
        {
            bias[f] = -Math.Abs(bias[f]); // some windows with no positive maximum under ReLU
        }

        int convLength = conv.OutputPixels * filters, pooledLength = pool.OutputPixels * filters;
        float[] z = new float[convLength], expectedPooled = new float[pooledLength], pooled = new float[pooledLength];
        int[] expectedArgmax = new int[pooledLength], argmax = new int[pooledLength];
        ConvDirect.Forward(input, kernel, bias, conv, filters, relu, z);
        Pooling.MaxForward(z, pool, 1, expectedPooled, expectedArgmax);
        ConvDirect.ForwardMaxPooled(input, kernel, bias, conv, pool, filters, relu, pooled, argmax);
        Assert.Equal(Bits(expectedPooled), Bits(pooled));
        for (int i = 0; i < pooledLength; i++)
        {
            Assert.Equal(relu && !(pooled[i] > 0f) ? -1 : expectedArgmax[i], argmax[i]);
        }

        float[] referencePooled = new float[pooledLength];
        ConvDirect.ForwardMaxPooledReference(input, kernel, bias, conv, pool, filters, relu, referencePooled);
        ConvTestCases.AssertClose(referencePooled, pooled, 1e-5f);

        float[] dPooled = ConvTestCases.RandomArray(random, pooledLength), dz = new float[convLength];
        float[] expectedDw = new float[kernel.Length], expectedDb = new float[bias.Length], dw = new float[kernel.Length], db = new float[bias.Length];
        Pooling.MaxBackward(dPooled, expectedArgmax, pool, 1, dz);
        ConvDirect.BackwardFilter(input, z, dz, conv, filters, relu, expectedDw, expectedDb, default);
        dw.AsSpan().Fill(float.NaN); // overwritten, not added to
        db.AsSpan().Fill(float.NaN);
        ConvDirect.BackwardFilterMaxPooled(input, dPooled, argmax, conv, pool, filters, dw, db);
        Assert.Equal(Bits(expectedDw), Bits(dw));
        Assert.Equal(Bits(expectedDb), Bits(db));

        float[] referenceDw = new float[kernel.Length], referenceDb = new float[filters];
        ConvDirect.BackwardFilterMaxPooledReference(input, kernel, bias, dPooled, conv, pool, filters, relu, referenceDw, referenceDb);
        ConvTestCases.AssertClose(referenceDw, dw, 1e-4f);
        if (useBias)
        {
            ConvTestCases.AssertClose(referenceDb, db, 1e-4f);
        }
    }

    private static int[] Bits(float[] values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
}
