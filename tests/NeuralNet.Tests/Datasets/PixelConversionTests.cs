using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

public class PixelConversionTests
{
    [Fact]
    public void BytesToSingles_EveryTailLength_MatchesReferenceBitForBit()
    {
        for (int length = 0; length <= 256; length++)
        {
            byte[] source = IdxTestData.RandomBytes(length, length);
            float[] fast = new float[length];
            float[] reference = new float[length];

            PixelConversion.BytesToSingles(source, 1f / 255f, fast);
            PixelConversion.BytesToSinglesReference(source, 1f / 255f, reference);

            Assert.Equal(reference, fast);
        }
    }

    [Fact]
    public void BytesToSingles_AllByteValues_StayInUnitRange()
    {
        byte[] source = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        float[] destination = new float[256];

        PixelConversion.BytesToSingles(source, 1f / 255f, destination);

        Assert.Equal(0f, destination[0]);
        Assert.Equal(1f, destination[255]);
        Assert.All(destination, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void BytesToSingles_ShortDestination_Throws()
    {
        Assert.Throws<ArgumentException>(() => PixelConversion.BytesToSingles(new byte[10], 1f, new float[9]));
    }
}
