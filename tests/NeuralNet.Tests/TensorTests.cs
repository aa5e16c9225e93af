using System.Numerics.Tensors;
using Xunit;

namespace NeuralNet.Tests;

public class TensorTests
{
    [Fact]
    public void Constructor_CreatesZeros()
    {
        var t = new Tensor(2, 3);
        Assert.Equal(new TensorShape(2, 3), t.Shape);
        Assert.All(t.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Constructor_ZeroDimension_ThrowsNamingValue()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Tensor(3, 0));
        Assert.Contains("is 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnesAndFilled_SetEveryElement()
    {
        Assert.All(Tensor.Ones(4).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(Tensor.Filled(2.5f, 2, 2).ToArray(), v => Assert.Equal(2.5f, v));
    }

    [Fact]
    public void FromArray_WrapsWithoutCopy()
    {
        float[] data = [1, 2, 3, 4, 5, 6];
        var t = Tensor.FromArray(data, 2, 3);
        data[4] = 42;
        Assert.Equal(42f, t[1, 1]);
    }

    [Fact]
    public void FromArray_WrongLength_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], 2, 3));
        Assert.Contains("length 5", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(2, 3)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromSpan_Copies()
    {
        float[] data = [1, 2, 3];
        var t = Tensor.FromSpan(data, 3);
        data[0] = 9;
        Assert.Equal(1f, t[0]);
    }

    [Fact]
    public void FromRectangularArray_KeepsRowMajorOrder()
    {
        var t = Tensor.FromArray(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal(new TensorShape(2, 3), t.Shape);
        Assert.Equal(6f, t[1, 2]);
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray());
    }

    [Fact]
    public void Indexer_WrongRankOrOutOfRange_Throws()
    {
        var t = new Tensor(2, 3);
        Assert.Throws<ArgumentException>(() => t[1]);
        Assert.Throws<IndexOutOfRangeException>(() => t[2, 0]);
        Assert.Throws<IndexOutOfRangeException>(() => t[0, -1]);
    }

    [Fact]
    public void Indexer_WritesRowMajor()
    {
        var t = new Tensor(2, 3, 4);
        t[1, 2, 3] = 7;
        Assert.Equal(7f, t.AsSpan()[(1 * 12) + (2 * 4) + 3]);
    }

    [Fact]
    public void Reshape_InfersMinusOne()
    {
        var t = new Tensor(6, 4);
        Assert.Equal(new TensorShape(3, 8), t.Reshape(3, -1).Shape);
        Assert.Equal(new TensorShape(24), t.Reshape(-1).Shape);
    }

    [Fact]
    public void Reshape_IsViewSharingStorage()
    {
        var t = new Tensor(2, 6);
        var view = t.Reshape(3, 4);
        view[2, 3] = 5;
        Assert.Equal(5f, t[1, 5]);
        Assert.True(view.SharesStorageWith(t));
    }

    [Fact]
    public void Reshape_BadCounts_Throw()
    {
        var t = new Tensor(2, 6);
        Assert.Contains("12 elements", Assert.Throws<ArgumentException>(() => t.Reshape(5, 2)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => t.Reshape(-1, -1));
        Assert.Throws<ArgumentException>(() => t.Reshape(5, -1));
        Assert.Throws<ArgumentException>(() => t.Reshape(0, 12));
    }

    [Fact]
    public void Slice_ReturnsViewOfRows()
    {
        var t = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 4, 3);
        var rows = t.Slice(1, 2);
        Assert.Equal(new TensorShape(2, 3), rows.Shape);
        Assert.Equal([3f, 4, 5, 6, 7, 8], rows.ToArray());
        rows[0, 0] = -1;
        Assert.Equal(-1f, t[1, 0]);
    }

    [Theory]
    [InlineData(-1, 1)]
    [InlineData(3, 2)]
    [InlineData(5, 0)]
    [InlineData(0, -1)]
    public void Slice_OutOfRange_Throws(int start, int count) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Tensor(4, 3).Slice(start, count));

    [Fact]
    public void An_empty_batch_has_zero_rows_and_every_other_axis_positive()
    {
        var empty = new Tensor(0, 3);
        Tensor none = new Tensor(4, 3).Slice(4, 0);
        Tensor fromArray = Tensor.FromArray(new float[0, 5]);
        Tensor fromDoubles = Tensor.FromArray(Array.Empty<double>(), 0, 2);

        Assert.Equal(0, empty.Length);
        Assert.Equal(new TensorShape(0, 3), none.Shape);
        Assert.Equal(new TensorShape(0, 5), fromArray.Shape);
        Assert.Equal(new TensorShape(0, 2), fromDoubles.Shape);
        Assert.Equal(new TensorShape(0, 3), Tensor.FromSpan([], 0, 3).Shape);
        var error = Assert.Throws<ArgumentException>(() => new Tensor(3, 0));
        Assert.Contains("Dimension 1 is 0", error.Message);
        Assert.Contains("new Tensor(0, columns)", Assert.Throws<ArgumentException>(() => Tensor.FromArray(Array.Empty<float[]>())).Message);
    }

    [Fact]
    public void Clone_IsIndependent()
    {
        var t = Tensor.Ones(3);
        var c = t.Clone();
        c[0] = 5;
        Assert.Equal(1f, t[0]);
        Assert.False(c.SharesStorageWith(t));
    }

    [Fact]
    public void ElementWise_ShapeMismatch_ThrowsNamingBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => new Tensor(2, 3) + new Tensor(3, 2));
        Assert.Contains("(2, 3)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("(3, 2)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Add", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScalarOperators_Work()
    {
        var t = Tensor.FromArray([1f, 2, 3], 3);
        Assert.Equal([3f, 4, 5], (t + 2).ToArray());
        Assert.Equal([2f, 4, 6], (2 * t).ToArray());
        Assert.Equal([0.5f, 1, 1.5f], (t / 2).ToArray());
        Assert.Equal([-1f, -2, -3], (-t).ToArray());
        Assert.Equal([0f, 1, 2], (t - 1).ToArray());
    }

    [Fact]
    public void ArgMaxLastAxis_PicksFirstMaximum()
    {
        var t = Tensor.FromArray([1f, 3, 3, 0, 5, 5, 5, 1], 2, 4);
        Assert.Equal([1, 0], t.ArgMaxLastAxis());
    }

    [Fact]
    public void ToString_SmallTensor_PrintsAllValues()
    {
        var t = Tensor.FromArray([1f, 2, 3, 4], 2, 2);
        Assert.Equal("tensor([[1, 2],\n        [3, 4]], shape=(2, 2))", t.ToString());
    }

    [Fact]
    public void ToString_TinyOrHugeValues_UseScientificNotationAsNumpy()
    {
        // "0.####" printed 1e-5 as 0 and -1e-5 as -0, hiding small weights and gradients.
        Assert.Equal("tensor([1e-05, -1e-05, 1e+10], shape=(3,))", Tensor.FromArray([1e-5f, -1e-5f, 1e10f], 3).ToString());
        Assert.Equal("tensor([0.5, 0, 1.25], shape=(3,))", Tensor.FromArray([0.5f, 0f, 1.25f], 3).ToString());
        Assert.Equal("tensor([2.5e-05, NaN], shape=(2,))", Tensor.FromArray([2.5e-5f, float.NaN], 2).ToString());
    }

    [Fact]
    public void ToString_LargeTensor_Elides()
    {
        var t = new Tensor(100, 100);
        string s = t.ToString();
        Assert.Contains("...", s, StringComparison.Ordinal);
        Assert.True(s.Length < 500, s);
    }

    [Fact]
    public void RandomNormal_SameSeed_SameValues()
    {
        var a = Tensor.RandomNormal(new TensorShape(1000), seed: 7, mean: 1f, standardDeviation: 2f);
        var b = Tensor.RandomNormal(new TensorShape(1000), seed: 7, mean: 1f, standardDeviation: 2f);
        var c = Tensor.RandomNormal(new TensorShape(1000), seed: 8, mean: 1f, standardDeviation: 2f);
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.NotEqual(a.ToArray(), c.ToArray());
    }

    [Fact]
    public void RandomNormal_HasRequestedMoments()
    {
        float[] v = Tensor.RandomNormal(new TensorShape(100_000), seed: 1, mean: 1f, standardDeviation: 2f).ToArray();
        double mean = v.Average(x => (double)x);
        double std = Math.Sqrt(v.Average(x => (x - mean) * (x - mean)));
        Assert.InRange(mean, 0.98, 1.02);
        Assert.InRange(std, 1.98, 2.02);
    }

    [Fact]
    public void RandomUniform_StaysInRange()
    {
        float[] v = Tensor.RandomUniform(new TensorShape(10_000), seed: 3, minimum: -2f, maximum: 5f).ToArray();
        Assert.All(v, x => Assert.InRange(x, -2f, 5f));
        Assert.InRange(v.Average(), 1.4, 1.6);
    }

    [Fact]
    public void ToSystemTensor_SharesStorage()
    {
        var t = new Tensor(2, 3);
        Tensor<float> system = t.ToSystemTensor();
        Assert.Equal([(nint)2, 3], system.Lengths.ToArray());
        system[1, 2] = 4f;
        Assert.Equal(4f, t[1, 2]);
    }

    [Fact]
    public void AsTensorSpan_SharesStorage()
    {
        var t = new Tensor(2, 2);
        TensorSpan<float> span = t.AsTensorSpan();
        span[1, 0] = 3f;
        Assert.Equal(3f, t[1, 0]);
    }

    [Fact]
    public void FromSystemTensor_CopiesShapeAndValues()
    {
        Tensor<float> system = System.Numerics.Tensors.Tensor.Create([1f, 2, 3, 4, 5, 6], [(nint)3, 2]);
        var t = Tensor.FromSystemTensor(system);
        Assert.Equal(new TensorShape(3, 2), t.Shape);
        Assert.Equal(5f, t[2, 0]);
    }

    [Fact]
    public void FirstRows_SameCount_ReturnsSameViewWithoutAllocating()
    {
        var t = new Tensor(8, 3);
        Tensor first = t.FirstRows(5);
        Assert.Same(t, t.FirstRows(8));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Tensor again = t.FirstRows(5);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Same(first, again);
        Assert.Equal(0, allocated);
        Assert.Equal(new TensorShape(5, 3), first.Shape);
        Assert.True(first.SharesStorageWith(t));
    }

    [Fact]
    public void CopyTo_MismatchedLength_Throws() =>
        Assert.Throws<ArgumentException>(() => new Tensor(3).CopyTo(new Tensor(4)));

    [Fact]
    public void DefaultShape_IsTheScalarShapeWithOneElement()
    {
        // new TensorShape() skips the params constructor (a struct's parameterless call), yet equals the scalar shape.
        Assert.Equal(1, new TensorShape().ElementCount);
        Assert.Equal(new TensorShape(ReadOnlySpan<int>.Empty), new TensorShape());
        var scalar = new Tensor(new TensorShape());
        Assert.Equal(1, scalar.Length);
        scalar.AsSpan()[0] = 2.5f;
        Assert.Equal(2.5f, scalar.Reshape(1)[0]);
    }

    [Fact]
    public void SliceAndConcatenateLastAxis_DestinationOverlappingASource_Refused()
    {
        Tensor storage = Tensor.FromArray([0f, 1, 2, 3, 4, 5, 6, 7], 8);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.SliceLastAxis(storage.Reshape(2, 4), 0, 2, storage.Reshape(4, 2).Slice(2, 2)));
        Assert.Equal("destination", ex.ParamName);
        Tensor halves = storage.Reshape(4, 2);
        Assert.Throws<ArgumentException>(() => Tensor.ConcatenateLastAxis([halves.Slice(0, 2), halves.Slice(2, 2)], storage.Reshape(2, 4)));
        Assert.Equal([0f, 1, 2, 3, 4, 5, 6, 7], storage.ToArray());

        // Separate storage works as before.
        var slice = new Tensor(new TensorShape(2, 2));
        Tensor.SliceLastAxis(storage.Reshape(2, 4), 0, 2, slice);
        Assert.Equal([0f, 1, 4, 5], slice.ToArray());
    }

    [Fact]
    public void RandomUniform_NeverReturnsTheMaximum_AndRefusesAnInfiniteRange()
    {
        // Floats are 2 apart at 2^24, so minimum + 2u rounds up to the maximum whenever u > 1/2 (and 1 + u does for
        // u = 1 - 2^-24 in [1, 2), once in 2^24 draws).
        float[] v = Tensor.RandomUniform(new TensorShape(1000), seed: 7, minimum: 16_777_216f, maximum: 16_777_218f).ToArray();
        Assert.All(v, x => Assert.Equal(16_777_216f, x));
        Assert.Throws<ArgumentException>(() => Tensor.RandomUniform(new TensorShape(2), 1, -3e38f, 3e38f));
    }

    [Fact]
    public void MaxAndMin_OfAnEmptyTensor_NameTheShape()
    {
        var empty = new Tensor(new TensorShape(0, 5));
        Assert.Contains("(0, 5)", Assert.Throws<InvalidOperationException>(() => empty.Max()).Message, StringComparison.Ordinal);
        Assert.Contains("(0, 5)", Assert.Throws<InvalidOperationException>(() => empty.Min()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SumAndMean_OfManyEqualValues_StayAccurate()
    {
        // Float lanes drift as they grow: 2^24 copies of 0.1f summed in float lanes came out 1 % high (1,694,269.5);
        // short float blocks added in double keep it within a few parts in a million (2.4e-6 when the blocks are summed
        // without SIMD, DOTNET_EnableHWIntrinsic=0).
        var t = new Tensor(1 << 24);
        t.Fill(0.1f);
        double expected = (1 << 24) * (double)0.1f;
        Assert.InRange(t.Sum(), expected * (1 - 1e-5), expected * (1 + 1e-5));
        Assert.InRange(t.Mean(), 0.1f * (1 - 1e-5), 0.1f * (1 + 1e-5));
        Assert.Equal(6f, Tensor.FromArray([1f, 2f, 3f], 3).Sum());
        Assert.True(float.IsNaN(new Tensor(new TensorShape(0, 2)).Mean()));
    }
}
