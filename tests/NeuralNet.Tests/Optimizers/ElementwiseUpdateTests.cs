using System.Numerics;
using System.Runtime.Intrinsics;
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
    public void RunWide_EveryTailLength_WideNarrowAndScalarPathsAgreeBitForBit()
    {
        // The 512-bit loop, then the Vector<float> loop, then the tail, against the Vector<float> driver and one element at a time.
        var rule = new Adam.Rule(0.01f, 0.1f, 0.001f, 1e-7f);
        for (int n = 0; n <= (3 * Vector512<float>.Count) + Vector<float>.Count + 3; n++)
        {
            float[] w = Random(n, 5), g = Random(n, 6), m = Random(n, 7), v = [.. Random(n, 8).Select(x => x * x)];
            float[] w1 = [.. w], m1 = [.. m], v1 = [.. v], w2 = [.. w], m2 = [.. m], v2 = [.. v];
            ElementwiseUpdate.RunWide(w, g, m, v, default, rule);
            ElementwiseUpdate.Run(w2, g, m2, v2, rule);
            for (int i = 0; i < n; i++)
            {
                ElementwiseUpdate.Run(w1.AsSpan(i, 1), g.AsSpan(i, 1), m1.AsSpan(i, 1), v1.AsSpan(i, 1), rule);
            }

            Assert.Equal(w1, w);
            Assert.Equal(m1, m);
            Assert.Equal(v1, v);
            Assert.Equal(w2, w);
        }
    }

    [Fact]
    public void RunWide_SlotShorterThanValues_ThrowsBeforeWriting()
    {
        var rule = new Adam.Rule(0.01f, 0.1f, 0.001f, 1e-7f);
        float[] w = new float[40], g = [.. Enumerable.Repeat(1f, 40)];
        var ex = Assert.Throws<ArgumentException>(() => ElementwiseUpdate.RunWide(w, g, new float[40], new float[39], default, rule));
        Assert.Contains("(40)", ex.Message, StringComparison.Ordinal);
        Assert.All(w, x => Assert.Equal(0f, x));
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
