using FsCheck;
using FsCheck.Xunit;
using Xunit;

namespace NeuralNet.Tests;

/// <summary>The extension authors' fast path: Tensor.MatMul on the GEMM and last-axis slicing/joining, against plain references.</summary>
public class TensorMatMulTests
{
    private const string Seed = "(1234567890,987654321)";

    [Property(Replay = Seed, MaxTest = 150)]
    public bool MatMul_RandomShapesAndTransposes_MatchesTripleLoop(PositiveInt mRaw, PositiveInt kRaw, PositiveInt nRaw, bool transposeA, bool transposeB, long seed)
    {
        int m = (mRaw.Get % 37) + 1, k = (kRaw.Get % 41) + 1, n = (nRaw.Get % 35) + 1;
        Tensor a = Tensor.RandomNormal(transposeA ? new TensorShape(k, m) : new TensorShape(m, k), seed);
        Tensor b = Tensor.RandomNormal(transposeB ? new TensorShape(n, k) : new TensorShape(k, n), seed + 1);
        Tensor c = Tensor.RandomNormal(new TensorShape(m, n), seed + 2);
        Tensor before = c.Clone();

        Tensor.MatMul(a, b, c, transposeA, transposeB, alpha: 0.5f, beta: 2f);

        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    sum += (double)(transposeA ? a[p, i] : a[i, p]) * (transposeB ? b[j, p] : b[p, j]);
                }

                double expected = (0.5 * sum) + (2.0 * before[i, j]);
                if (Math.Abs(expected - c[i, j]) > 1e-4 * (1 + Math.Abs(expected)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    [Fact]
    public void MatMul_RankThreeA_AppliesTheMatrixToEveryLeadingPosition()
    {
        Tensor a = Tensor.RandomNormal(new TensorShape(2, 3, 4), 1);
        Tensor b = Tensor.RandomNormal(new TensorShape(4, 5), 2);
        Tensor c = Tensor.MatMul(a, b);
        Assert.Equal(new TensorShape(2, 3, 5), c.Shape);
        Tensor flat = Tensor.MatMul(a.Reshape(6, 4), b);
        Assert.Equal(flat.ToArray(), c.ToArray());
    }

    [Fact]
    public void MatMul_BadShapesOrAliasing_ThrowNamingTheShapes()
    {
        var a = new Tensor(3, 4);
        var b = new Tensor(5, 2);
        var ex = Assert.Throws<ArgumentException>(() => Tensor.MatMul(a, b));
        Assert.Contains("the inner dimensions differ: (3, 4) has 4 and (5, 2) has 5", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Tensor.MatMul(a, new Tensor(4, 2), new Tensor(3, 3)));
        var square = new Tensor(4, 4);
        Assert.Throws<ArgumentException>(() => Tensor.MatMul(square, square, square));
        Assert.Throws<ArgumentException>(() => Tensor.MatMul(new Tensor(2, 3, 4), new Tensor(2, 5), transposeA: true));
    }

    [Property(Replay = Seed, MaxTest = 100)]
    public bool SliceThenConcatenate_RandomWidths_RebuildsTheSource(PositiveInt rowsRaw, PositiveInt aRaw, PositiveInt bRaw, PositiveInt cRaw, long seed)
    {
        int rows = (rowsRaw.Get % 5) + 1, wa = (aRaw.Get % 4) + 1, wb = (bRaw.Get % 4) + 1, wc = (cRaw.Get % 4) + 1;
        int width = wa + wb + wc;
        Tensor source = Tensor.RandomNormal(new TensorShape(2, rows, width), seed);
        var parts = new[] { new Tensor(2, rows, wa), new Tensor(2, rows, wb), new Tensor(2, rows, wc) };
        Tensor.SliceLastAxis(source, 0, wa, parts[0]);
        Tensor.SliceLastAxis(source, wa, wb, parts[1]);
        Tensor.SliceLastAxis(source, wa + wb, wc, parts[2]);
        bool sliced = parts[1][1, rows - 1, wb - 1] == source[1, rows - 1, wa + wb - 1];
        var joined = new Tensor(2, rows, width);
        Tensor.ConcatenateLastAxis(parts, joined);
        return sliced && joined.ToArray().SequenceEqual(source.ToArray());
    }

    [Fact]
    public void SliceAndConcatenate_BadShapes_Throw()
    {
        var source = new Tensor(2, 5);
        Assert.Throws<ArgumentException>(() => Tensor.SliceLastAxis(source, 3, 3, new Tensor(2, 3)));
        Assert.Throws<ArgumentException>(() => Tensor.SliceLastAxis(source, 1, 2, new Tensor(3, 2)));
        Assert.Throws<ArgumentException>(() => Tensor.ConcatenateLastAxis([new Tensor(2, 3), new Tensor(3, 2)], new Tensor(2, 5)));
        Assert.Throws<ArgumentException>(() => Tensor.ConcatenateLastAxis([new Tensor(2, 3), new Tensor(2, 2)], new Tensor(2, 6)));
        Assert.Throws<ArgumentException>(() => Tensor.ConcatenateLastAxis([], new Tensor(2, 6)));
    }
}
