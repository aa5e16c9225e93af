using Xunit;

namespace NeuralNet.Tests;

public class TensorShapeTests
{
    [Fact]
    public void ToString_Matrix_PrintsTuple() => Assert.Equal("(32, 784)", new TensorShape(32, 784).ToString());

    [Fact]
    public void ToString_Vector_PrintsTrailingComma() => Assert.Equal("(784,)", new TensorShape(784).ToString());

    [Fact]
    public void ToBatchString_PrependsNone() => Assert.Equal("(None, 28, 28, 1)", new TensorShape(28, 28, 1).ToBatchString());

    [Fact]
    public void ElementCount_IsProductOfDimensions()
    {
        var shape = new TensorShape(2, 3, 4);
        Assert.Equal(24, shape.ElementCount);
        Assert.Equal(3, shape.Rank);
        Assert.Equal(4, shape[-1]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Constructor_NonPositiveDimension_ThrowsWithValue(int bad)
    {
        var ex = Assert.Throws<ArgumentException>(() => new TensorShape(5, bad));
        Assert.Contains($"Dimension 1 is {bad}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_OverflowingElementCount_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TensorShape(65536, 65536));
        Assert.Contains("more elements than an array can hold", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Equality_ComparesDimensions()
    {
        Assert.Equal(new TensorShape(2, 3), new TensorShape(2, 3));
        Assert.NotEqual(new TensorShape(2, 3), new TensorShape(3, 2));
        Assert.True(new TensorShape(2, 3) == new TensorShape(2, 3));
        Assert.Equal(new TensorShape(2, 3).GetHashCode(), new TensorShape(2, 3).GetHashCode());
    }

    [Fact]
    public void Indexer_MissingAxis_Throws() => Assert.Throws<ArgumentOutOfRangeException>(() => new TensorShape(2, 3)[2]);
}
