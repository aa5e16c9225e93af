using FsCheck;
using FsCheck.Xunit;
using Xunit;

namespace NeuralNet.Tests;

// Property tests on random shapes and values. Replay fixes FsCheck's seed so every run checks the same cases.
public class TensorProperties
{
    private const string Seed = "(1234567890,987654321)";

    private static int[] Dims(int[] raw) => raw.Take(4).Select(d => (Math.Abs(d) % 6) + 1).DefaultIfEmpty(1).ToArray();

    [Property(Replay = Seed, MaxTest = 200)]
    public bool Reshape_ToFlatAndBack_RoundTrips(int[] raw, long seed)
    {
        int[] dims = Dims(raw);
        var t = Tensor.RandomNormal(new TensorShape(dims), seed);
        Tensor back = t.Reshape(-1).Reshape(dims);
        return back.Shape == t.Shape && back.AsReadOnlySpan().SequenceEqual(t.AsReadOnlySpan()) && back.SharesStorageWith(t);
    }

    [Property(Replay = Seed, MaxTest = 200)]
    public bool Reshape_InferredDimension_KeepsElementCount(int[] raw)
    {
        int[] dims = Dims(raw);
        var t = new Tensor(dims);
        Tensor r = t.Reshape(dims[0], -1);
        return r.Length == t.Length && r.Shape[0] == dims[0];
    }

    [Property(Replay = Seed, MaxTest = 200)]
    public bool Slice_AliasesStorage(int[] raw, PositiveInt startRaw, float value)
    {
        int[] dims = Dims(raw);
        var t = new Tensor(dims);
        int start = startRaw.Get % dims[0];
        Tensor view = t.Slice(start, dims[0] - start);
        view.AsSpan()[0] = value;
        int stride = t.Length / dims[0];
        return t.AsSpan()[start * stride].Equals(value) && view.SharesStorageWith(t);
    }

    [Property(Replay = Seed, MaxTest = 100)]
    public bool Sum_IsCloseToDoublePrecisionSum(PositiveInt lengthRaw, long seed)
    {
        int length = (lengthRaw.Get % 5000) + 1;
        var t = Tensor.RandomUniform(new TensorShape(length), seed, -10f, 10f);
        double exact = t.ToArray().Sum(v => (double)v);
        double magnitude = t.ToArray().Sum(v => Math.Abs((double)v));
        return Math.Abs(t.Sum() - exact) <= (1e-5 * magnitude) + 1e-5;
    }

    [Property(Replay = Seed, MaxTest = 100)]
    public bool MeanMaxMin_MatchScalarReference(PositiveInt lengthRaw, long seed)
    {
        int length = (lengthRaw.Get % 2000) + 1;
        var t = Tensor.RandomNormal(new TensorShape(length), seed);
        float[] v = t.ToArray();
        double mean = v.Average(x => (double)x);
        return Math.Abs(t.Mean() - mean) <= 1e-4 && t.Max() == v.Max() && t.Min() == v.Min();
    }

    [Property(Replay = Seed, MaxTest = 200)]
    public bool ArgMaxLastAxis_PicksFirstMaximum(PositiveInt rowsRaw, PositiveInt columnsRaw, long seed)
    {
        int rows = (rowsRaw.Get % 20) + 1, columns = (columnsRaw.Get % 20) + 1;
        var t = Tensor.RandomUniform(new TensorShape(rows, columns), seed);
        // Quantise so ties are common.
        Span<float> data = t.AsSpan();
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = MathF.Floor(data[i] * 4);
        }

        int[] argmax = t.ArgMaxLastAxis();
        for (int r = 0; r < rows; r++)
        {
            int best = 0;
            for (int c = 1; c < columns; c++)
            {
                if (t[r, c] > t[r, best])
                {
                    best = c;
                }
            }

            if (argmax[r] != best)
            {
                return false;
            }
        }

        return true;
    }

    // Every length 1..256 (covers every SIMD tail; a tensor cannot have 0 elements, see TensorShapeTests).
    [Fact]
    public void ElementWiseOperations_EveryLength_EqualScalarLoop()
    {
        for (int length = 1; length <= 256; length++)
        {
            var x = Tensor.RandomNormal(new TensorShape(length), seed: length);
            var y = Tensor.RandomUniform(new TensorShape(length), seed: -length, minimum: 0.5f, maximum: 2f);
            float[] xs = x.ToArray(), ys = y.ToArray();
            AssertEach(x + y, i => xs[i] + ys[i]);
            AssertEach(x - y, i => xs[i] - ys[i]);
            AssertEach(x * y, i => xs[i] * ys[i]);
            AssertEach(x / y, i => xs[i] / ys[i]);
            AssertEach(x * 3f, i => xs[i] * 3f);
            AssertEach(x + 3f, i => xs[i] + 3f);
        }
    }

    private static void AssertEach(Tensor actual, Func<int, float> expected)
    {
        ReadOnlySpan<float> values = actual.AsReadOnlySpan();
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(expected(i), values[i]);
        }
    }
}
