using FsCheck.Xunit;
using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

public class BroadcastingTests
{
    private const string Seed = "(20261205,23)";

    // Rank 1-5, sizes 1-4 (one axis in four 5-9, for longer runs); each source axis is the output's size or 1.
    private static (int[] Source, int[] Output) RandomShapes(SeededRandom random)
    {
        int rank = random.NextInt(5) + 1;
        int[] output = new int[rank], source = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            output[d] = random.NextInt(4) == 0 ? random.NextInt(5) + 5 : random.NextInt(4) + 1;
            source[d] = random.NextInt(2) == 0 ? 1 : output[d];
        }

        return (source, output);
    }

    private static int Count(int[] dims) => dims.Aggregate(1, (p, d) => p * d);

    [Property(Replay = Seed, MaxTest = 300)]
    public void Expand_RandomShapes_EqualsReference(long seed)
    {
        var random = new SeededRandom(seed);
        (int[] source, int[] output) = RandomShapes(random);
        float[] x = ConvTestCases.RandomArray(random, Count(source));
        float[] expected = new float[Count(output)], actual = Enumerable.Repeat(float.NaN, Count(output)).ToArray();

        Broadcasting.ExpandReference(x, source, output, expected);
        Broadcasting.Expand(x, source, output, actual);

        Assert.Equal(expected, actual);
    }

    [Property(Replay = Seed, MaxTest = 300)]
    public void ReduceSum_RandomShapes_EqualsReferenceBitForBit(long seed)
    {
        var random = new SeededRandom(seed);
        (int[] source, int[] output) = RandomShapes(random);
        float[] g = ConvTestCases.RandomArray(random, Count(output));
        float[] expected = new float[Count(source)], actual = Enumerable.Repeat(float.NaN, Count(source)).ToArray();

        Broadcasting.ReduceSumReference(g, output, source, expected);
        Broadcasting.ReduceSum(g, output, source, actual);

        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Property(Replay = Seed, MaxTest = 100)]
    public void ReduceSum_RandomShapes_IsAdjointOfExpand(long seed)
    {
        // <Expand(x), g> == <x, ReduceSum(g)>.
        var random = new SeededRandom(seed);
        (int[] source, int[] output) = RandomShapes(random);
        float[] x = ConvTestCases.RandomArray(random, Count(source)), g = ConvTestCases.RandomArray(random, Count(output));
        float[] expanded = new float[g.Length], reduced = new float[x.Length];

        Broadcasting.Expand(x, source, output, expanded);
        Broadcasting.ReduceSum(g, output, source, reduced);

        double left = ConvTestCases.Dot(expanded, g), right = ConvTestCases.Dot(x, reduced);
        Assert.True(Math.Abs(left - right) <= 1e-4 * Math.Max(1, Math.Abs(left)), $"{left} != {right}");
    }

    [Fact]
    public void Expand_RowAndColumn_NumpyExample()
    {
        // np.broadcast_to([[1], [2]], (2, 3)) and np.broadcast_to([[1, 2, 3]], (2, 3)).
        float[] column = new float[6], row = new float[6];
        Broadcasting.Expand([1f, 2f], [2, 1], [2, 3], column);
        Broadcasting.Expand([1f, 2f, 3f], [1, 3], [2, 3], row);
        Assert.Equal([1f, 1f, 1f, 2f, 2f, 2f], column);
        Assert.Equal([1f, 2f, 3f, 1f, 2f, 3f], row);

        float[] sums = new float[2];
        Broadcasting.ReduceSum([1f, 2f, 3f, 4f, 5f, 6f], [2, 3], [2, 1], sums);
        Assert.Equal([6f, 15f], sums);
    }

    [Fact]
    public void Expand_BadShapes_Throw()
    {
        Assert.Throws<ArgumentException>(() => Broadcasting.Expand(new float[3], [3], [2, 3], new float[6]));
        Assert.Throws<ArgumentException>(() => Broadcasting.Expand(new float[2], [2], [3], new float[3]));
        Assert.Throws<ArgumentException>(() => Broadcasting.Expand(new float[2], [1], [3], new float[3]));
        Assert.Throws<ArgumentException>(() => Broadcasting.ReduceSum(new float[5], [2, 3], [2, 1], new float[2]));
    }
}
