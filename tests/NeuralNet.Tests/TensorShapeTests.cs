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

    [Fact]
    public void Index_indexer_counts_hat_from_the_end_and_refuses_missing_axes()
    {
        var shape = new TensorShape(2, 3, 5);

        Assert.Equal((5, 3, 2, 3), (shape[^1], shape[^2], shape[^3], shape[new Index(1)]));
        Assert.Contains("^0", Assert.Throws<ArgumentOutOfRangeException>(() => shape[^0]).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => shape[^4]);
        Assert.Throws<ArgumentOutOfRangeException>(() => shape[new Index(3)]);
    }
}
