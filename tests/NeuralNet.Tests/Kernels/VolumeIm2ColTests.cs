using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class VolumeIm2ColTests
{
    private const string Seed = "(20261205,3)";

    [Property(Replay = Seed, MaxTest = 120)]
    public void Pack_RandomGeometry_EqualsReference(long seed)
    {
        var random = new SeededRandom(seed);
        VolumeGeometry g = RandomGeometry(random);
        float[] volume = ConvTestCases.RandomArray(random, g.InputSize);
        int length = g.OutputPositions * g.Taps * g.Channels;
        float[] expected = new float[length], actual = Enumerable.Repeat(float.NaN, length).ToArray();

        PackReference(volume, g, expected);
        VolumeIm2Col.Pack(volume, g, actual);

        Assert.Equal(expected, actual);
    }

    [Property(Replay = Seed, MaxTest = 120)]
    public void PackRows_RandomRange_EqualsThoseRowsOfPackedBatch(long seed)
    {
        // A range of a batch's patch rows that may start and end inside a volume: the rows Pack writes volume by volume.
        var random = new SeededRandom(seed);
        VolumeGeometry g = RandomGeometry(random);
        int volumes = random.NextInt(3) + 1, patch = g.Taps * g.Channels, rows = volumes * g.OutputPositions;
        float[] batch = ConvTestCases.RandomArray(random, volumes * g.InputSize), expected = new float[rows * patch];
        for (int n = 0; n < volumes; n++)
        {
            VolumeIm2Col.Pack(batch.AsSpan(n * g.InputSize, g.InputSize), g, expected.AsSpan(n * g.OutputPositions * patch, g.OutputPositions * patch));
        }

        int first = random.NextInt(rows), count = random.NextInt(rows - first) + 1;
        float[] actual = Enumerable.Repeat(float.NaN, (count * patch) + 3).ToArray();

        VolumeIm2Col.PackRows(batch, g, first, count, actual);

        Assert.Equal(expected.AsSpan(first * patch, count * patch).ToArray(), actual[..(count * patch)]);
        Assert.All(actual[(count * patch)..], v => Assert.True(float.IsNaN(v))); // nothing written past the range
        Assert.Throws<ArgumentException>(() => VolumeIm2Col.PackRows(batch, g, rows - count + 1, count, actual)); // past the batch
    }

    [Property(Replay = Seed, MaxTest = 120)]
    public void AddUnpack_RandomGeometry_IsAdjointOfPack(long seed)
    {
        // col2im is the transpose of im2col: <Pack(x), c> == <x, Unpack(c)> for every x and c.
        var random = new SeededRandom(seed);
        VolumeGeometry g = RandomGeometry(random);
        float[] x = ConvTestCases.RandomArray(random, g.InputSize);
        float[] c = ConvTestCases.RandomArray(random, g.OutputPositions * g.Taps * g.Channels);
        float[] packed = new float[c.Length], unpacked = new float[x.Length];

        VolumeIm2Col.Pack(x, g, packed);
        VolumeIm2Col.AddUnpack(c, g, unpacked);

        double left = ConvTestCases.Dot(packed, c), right = ConvTestCases.Dot(x, unpacked);
        Assert.True(Math.Abs(left - right) <= 1e-4 * Math.Max(1, Math.Abs(left)), $"<Pack(x), c> = {left} but <x, Unpack(c)> = {right} for {g}.");
    }

    [Fact]
    public void Pack_WrongLengths_Throw()
    {
        Assert.True(VolumeGeometry.TryCreate(2, 2, 2, 1, (2, 2, 2), (1, 1, 1), (1, 1, 1), same: false, out VolumeGeometry g));
        Assert.Throws<ArgumentException>(() => VolumeIm2Col.Pack(new float[7], g, new float[8]));
        Assert.Throws<ArgumentException>(() => VolumeIm2Col.Pack(new float[8], g, new float[9]));
        Assert.False(VolumeGeometry.TryCreate(2, 4, 4, 1, (3, 3, 3), (1, 1, 1), (1, 1, 1), same: false, out _));
    }

    private static VolumeGeometry RandomGeometry(SeededRandom random)
    {
        while (true)
        {
            (int, int, int) kernel = (random.NextInt(3) + 1, random.NextInt(3) + 1, random.NextInt(3) + 1);
            bool dilated = random.NextInt(2) == 0;
            (int, int, int) strides = dilated ? (1, 1, 1) : (random.NextInt(3) + 1, random.NextInt(3) + 1, random.NextInt(3) + 1);
            (int, int, int) dilation = dilated ? (random.NextInt(3) + 1, random.NextInt(3) + 1, random.NextInt(3) + 1) : (1, 1, 1);
            if (VolumeGeometry.TryCreate(random.NextInt(6) + 1, random.NextInt(6) + 1, random.NextInt(6) + 1, random.NextInt(4) + 1, kernel, strides, dilation,
                random.NextInt(2) == 0, out VolumeGeometry g))
            {
                return g;
            }
        }
    }

    // A plain gather, one element at a time, from the documented formula.
    private static void PackReference(float[] volume, VolumeGeometry g, float[] cols)
    {
        int at = 0;
        for (int od = 0; od < g.Depth.Output; od++)
        {
            for (int oh = 0; oh < g.Height.Output; oh++)
            {
                for (int ow = 0; ow < g.Width.Output; ow++)
                {
                    for (int kd = 0; kd < g.Depth.Kernel; kd++)
                    {
                        for (int kh = 0; kh < g.Height.Kernel; kh++)
                        {
                            for (int kw = 0; kw < g.Width.Kernel; kw++)
                            {
                                for (int c = 0; c < g.Channels; c++)
                                {
                                    int d = (od * g.Depth.Stride) - g.Depth.PadBefore + (kd * g.Depth.Dilation);
                                    int h = (oh * g.Height.Stride) - g.Height.PadBefore + (kh * g.Height.Dilation);
                                    int w = (ow * g.Width.Stride) - g.Width.PadBefore + (kw * g.Width.Dilation);
                                    bool inside = d >= 0 && d < g.Depth.Input && h >= 0 && h < g.Height.Input && w >= 0 && w < g.Width.Input;
                                    cols[at++] = inside ? volume[(((((d * g.Height.Input) + h) * g.Width.Input) + w) * g.Channels) + c] : 0f;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
