using System.Numerics;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>The shared update driver: the vector loop and the scalar tail agree bit for bit, and lengths are checked.</summary>
public class ElementwiseUpdateTests
{
    [Fact]
    public void Run_EveryTailLength_VectorPathEqualsScalarPathBitForBit()
    {
        // Adam's rule over n elements in one call (vector blocks + tail) against n calls of one element each (tail only).
        var rule = new Adam.Rule(0.01f, 0.1f, 0.001f, 1e-7f);
        for (int n = 0; n <= (3 * Vector<float>.Count) + 3; n++)
        {
            float[] w = Random(n, 1), g = Random(n, 2), m = Random(n, 3), v = [.. Random(n, 4).Select(x => x * x)];
            float[] w1 = [.. w], m1 = [.. m], v1 = [.. v];
            ElementwiseUpdate.Run(w, g, m, v, rule);
            for (int i = 0; i < n; i++)
            {
                ElementwiseUpdate.Run(w1.AsSpan(i, 1), g.AsSpan(i, 1), m1.AsSpan(i, 1), v1.AsSpan(i, 1), rule);
            }

            Assert.Equal(w1, w);
            Assert.Equal(m1, m);
            Assert.Equal(v1, v);
        }
    }

    [Fact]
    public void Run_SlotShorterThanValues_ThrowsArgumentException()
    {
        var rule = new Adam.Rule(0.01f, 0.1f, 0.001f, 1e-7f);
        var ex = Assert.Throws<ArgumentException>(() => ElementwiseUpdate.Run(new float[4], new float[4], new float[4], new float[3], rule));
        Assert.Contains("(4)", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ElementwiseUpdate.Run(new float[4], new float[5], new float[4], new float[4], rule));
    }

    private static float[] Random(int n, int seed) => n == 0 ? [] : Tensor.RandomNormal(new TensorShape(n), seed).ToArray();
}
