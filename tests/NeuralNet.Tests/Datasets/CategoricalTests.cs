using FsCheck.Xunit;
using NeuralNet.Datasets;
using Xunit;

namespace NeuralNet.Tests.Datasets;

public class CategoricalTests
{
    // keras/src/utils/numerical_utils_test.py, test_to_categorical: shapes (1,) (3,) (4, 3) (5, 4, 3) (3, 1) (3, 2, 1)
    // with 5 classes give the shape plus 5, a trailing 1 dropped; each row sums to 1 with its 1 at the label.
    [Theory]
    [InlineData(new[] { 1 }, new[] { 1, 5 })]
    [InlineData(new[] { 3 }, new[] { 3, 5 })]
    [InlineData(new[] { 4, 3 }, new[] { 4, 3, 5 })]
    [InlineData(new[] { 5, 4, 3 }, new[] { 5, 4, 3, 5 })]
    [InlineData(new[] { 3, 1 }, new[] { 3, 5 })]
    [InlineData(new[] { 3, 2, 1 }, new[] { 3, 2, 5 })]
    public void ToCategorical_KerasShapes(int[] shape, int[] expected)
    {
        Tensor labels = new(new TensorShape(shape));
        Span<float> l = labels.AsSpan();
        for (int i = 0; i < l.Length; i++)
        {
            l[i] = (i * 3) % 5;
        }

        Tensor oneHot = Categorical.ToCategorical(labels, 5);
        Assert.Equal(expected, oneHot.Shape.Dimensions.ToArray());
        float[] values = oneHot.ToArray();
        for (int i = 0; i < l.Length; i++)
        {
            Assert.Equal(Enumerable.Range(0, 5).Select(c => c == (i * 3) % 5 ? 1f : 0f), values[(i * 5)..((i + 1) * 5)]);
        }
    }

    [Property(MaxTest = 100, Replay = "20261206,77")]
    public void ToCategorical_WithoutNumClasses_UsesTheLargestLabelPlusOne(byte[] raw)
    {
        if (raw.Length == 0)
        {
            return;
        }

        Tensor labels = Tensor.FromArray([.. raw.Select(b => (float)(b % 7))], raw.Length);
        Tensor oneHot = Categorical.ToCategorical(labels);
        int classes = raw.Max(b => b % 7) + 1;
        Assert.Equal(new TensorShape(raw.Length, classes), oneHot.Shape);
        for (int i = 0; i < raw.Length; i++)
        {
            Assert.Equal(1f, oneHot[i, raw[i] % 7]);
            Assert.Equal(1f, Enumerable.Range(0, classes).Sum(c => oneHot[i, c]));
        }
    }

    [Fact]
    public void ToCategorical_BadLabels_ThrowNamingTheLabel()
    {
        Assert.Contains("label 1 (flat index in (3,)) is -1", Assert.Throws<ArgumentException>(() => Categorical.ToCategorical(Tensor.FromArray([0f, -1f, 2f], 3))).Message, StringComparison.Ordinal);
        Assert.Contains("from 0 to 2, whole numbers, but label 2 (flat index in (3,)) is 3", Assert.Throws<ArgumentException>(() => Categorical.ToCategorical(Tensor.FromArray([0f, 1f, 3f], 3), 3)).Message, StringComparison.Ordinal);
        Assert.Contains("is 1.5", Assert.Throws<ArgumentException>(() => Categorical.ToCategorical(Tensor.FromArray([1.5f], 1))).Message, StringComparison.Ordinal);
        Assert.Contains("is NaN", Assert.Throws<ArgumentException>(() => Categorical.ToCategorical(Tensor.FromArray([float.NaN], 1))).Message, StringComparison.Ordinal);
        Assert.Contains("give numClasses", Assert.Throws<ArgumentException>(() => Categorical.ToCategorical(new Tensor(0))).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Categorical.ToCategorical(Tensor.FromArray([0f], 1), 0));
    }
}
