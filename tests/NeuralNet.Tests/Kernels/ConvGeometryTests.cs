using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class ConvGeometryTests
{
    [Theory]
    [InlineData(28, 3, 1, false, 26, 0)]
    [InlineData(13, 3, 1, false, 11, 0)]
    [InlineData(26, 2, 2, false, 13, 0)]
    [InlineData(11, 2, 2, false, 5, 0)]
    [InlineData(28, 3, 1, true, 28, 1)]
    [InlineData(11, 2, 2, true, 6, 0)]
    [InlineData(10, 4, 1, true, 10, 1)] // total padding 3: 1 before, 2 after (Keras puts the odd one at the end)
    [InlineData(7, 3, 3, true, 3, 1)]
    public void TryCreate_KerasCases_GivesKerasOutputAndPadding(int input, int kernel, int stride, bool same, int expectedOut, int expectedPadBefore)
    {
        Assert.True(ConvGeometry.TryCreate(input, input, 1, kernel, kernel, stride, stride, same, out ConvGeometry g));
        Assert.Equal(expectedOut, g.OutHeight);
        Assert.Equal(expectedOut, g.OutWidth);
        Assert.Equal(expectedPadBefore, g.PadTop);
        Assert.Equal(expectedPadBefore, g.PadLeft);
    }

    [Fact]
    public void TryCreate_ValidKernelLargerThanInput_ReturnsFalse()
    {
        Assert.False(ConvGeometry.TryCreate(2, 5, 1, 3, 3, 1, 1, same: false, out _));
    }
}
