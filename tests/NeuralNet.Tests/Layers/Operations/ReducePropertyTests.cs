using FsCheck.Xunit;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>Reduce on random shapes, axes and reductions against a plain reference over multi-indices (NumPy's definitions).</summary>
public class ReducePropertyTests
{
    // The reference: each input element's coordinates without the reduced axes name its output element.
    private static double[] Reference(Tensor x, bool[] reduced, Reduction reduction, int outputSize)
    {
        int[] shape = x.Shape.Dimensions.ToArray();
        var result = new double[outputSize];
        var count = new int[outputSize];
        ReadOnlySpan<float> values = x.AsReadOnlySpan();
        for (int i = 0; i < values.Length; i++)
        {
            int remainder = i, outIndex = 0, stride = 1;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                int coordinate = remainder % shape[d];
                remainder /= shape[d];
                if (d == 0 || !reduced[d - 1])
                {
                    outIndex += coordinate * stride;
                    stride *= shape[d];
                }
            }

            double v = values[i];
            result[outIndex] = count[outIndex]++ == 0 ? v : reduction switch
            {
                Reduction.Max => Math.Max(result[outIndex], v),
                Reduction.Min => Math.Min(result[outIndex], v),
                _ => result[outIndex] + v,
            };
        }

        return reduction == Reduction.Mean ? [.. result.Select((r, j) => r / count[j])] : result;
    }

    [Property(Arbitrary = [typeof(LayerCases)], MaxTest = 80, Replay = "(20261206,35)")]
    public void Forward_RandomShapesAndAxes_MatchesTheReference(ShapeCase c)
    {
        int rank = c.SampleShape.Length;
        // A non-empty subset of the sample axes from the seed, written as positive or negative Keras axes.
        int mask = (int)(c.Seed % ((1 << rank) - 1)) + 1;
        bool[] reduced = [.. Enumerable.Range(0, rank).Select(d => (mask & (1 << d)) != 0)];
        int[] axes = [.. Enumerable.Range(0, rank).Where(d => reduced[d]).Select(d => c.Seed % 3 == 0 ? d - rank : d + 1)];
        var reduction = (Reduction)(c.Seed % 4);
        var layer = new Reduce(reduction, axes, keepDims: c.Seed % 2 == 0);
        Tensor x = TestData.Normal(c.Seed, 1f, [c.Batch, .. c.SampleShape]);

        float[] actual = layer.Forward(x, training: false).ToArray();

        double[] expected = Reference(x, reduced, reduction, actual.Length);
        Assert.Equal(c.Batch * c.SampleShape.Where((_, d) => !reduced[d]).Aggregate(1, (p, n) => p * n), actual.Length);
        for (int j = 0; j < actual.Length; j++)
        {
            Assert.Equal(expected[j], actual[j], 5);
        }
    }
}
