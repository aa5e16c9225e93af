using FsCheck.Xunit;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>Reduce on random shapes, axes and reductions against a plain reference over multi-indices (NumPy's definitions).</summary>
public class ReducePropertyTests
{
    // The reference, NumPy's definition written as loops: for each sample and each coordinate of the kept axes (the output
    // element, in row-major order), the reduction over every coordinate of the reduced axes.
    private static double[] Reference(Tensor x, bool[] reduced, Reduction reduction)
    {
        int[] shape = x.Shape.Dimensions.ToArray();
        int rank = shape.Length;
        int[] strides = new int[rank];
        for (int d = rank - 1, stride = 1; d >= 0; stride *= shape[d], d--)
        {
            strides[d] = stride;
        }

        int[] kept = [.. Enumerable.Range(0, rank).Where(d => d == 0 || !reduced[d - 1])];
        int[] over = [.. Enumerable.Range(1, rank - 1).Where(d => reduced[d - 1])];
        ReadOnlySpan<float> values = x.AsReadOnlySpan();
        var result = new List<double>();
        foreach (int[] outer in Coordinates([.. kept.Select(d => shape[d])]))
        {
            var elements = new List<double>();
            foreach (int[] inner in Coordinates([.. over.Select(d => shape[d])]))
            {
                int at = kept.Select((d, k) => outer[k] * strides[d]).Sum() + over.Select((d, k) => inner[k] * strides[d]).Sum();
                elements.Add(values[at]);
            }

            result.Add(reduction switch
            {
                Reduction.Max => elements.Max(),
                Reduction.Min => elements.Min(),
                Reduction.Sum => elements.Sum(),
                _ => elements.Average(),
            });
        }

        return [.. result];
    }

    // Every coordinate of a box of those sizes, the last one fastest.
    private static IEnumerable<int[]> Coordinates(int[] sizes) => sizes.Length == 0
        ? [[]]
        : Enumerable.Range(0, sizes[0]).SelectMany(first => Coordinates(sizes[1..]).Select(rest => (int[])[first, .. rest]));

    [Property(Arbitrary = [typeof(LayerCases)], MaxTest = 80, Replay = "(20261206,35)")]
    public void Forward_RandomShapesAndAxes_MatchesTheReference(ShapeCase c)
    {
        int rank = c.SampleShape.Length;
        // A non-empty subset of the sample axes from the seed, written as positive or negative Keras axes.
        int mask = (int)(c.Seed % ((1 << rank) - 1)) + 1;
        bool[] reduced = [.. Enumerable.Range(0, rank).Select(d => (mask & (1 << d)) != 0)];
        int[] axes = [.. Enumerable.Range(0, rank).Where(d => reduced[d]).Select(d => c.Seed % 3 == 0 ? d - rank : d + 1)];
        // Reduction and keepDims from independent digits of the seed.
        var reduction = (Reduction)(c.Seed % 4);
        var layer = new Reduce(reduction, axes, keepDims: c.Seed / 4 % 2 == 0);
        Tensor x = TestData.Normal(c.Seed, 1f, [c.Batch, .. c.SampleShape]);

        float[] actual = layer.Forward(x, training: false).ToArray();

        double[] expected = Reference(x, reduced, reduction);
        Assert.Equal(c.Batch * c.SampleShape.Where((_, d) => !reduced[d]).Aggregate(1, (p, n) => p * n), actual.Length);
        for (int j = 0; j < actual.Length; j++)
        {
            Assert.Equal(expected[j], actual[j], 5);
        }
    }
}
