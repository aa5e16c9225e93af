using NeuralNet.Kernels;
using Xunit;

namespace NeuralNet.Tests.Kernels;

// Random convolution/pooling geometries for property tests, drawn from a seed so each case is reproducible.
internal static class ConvTestCases
{
    public static ConvGeometry RandomGeometry(SeededRandom random, int maxChannels = 5, int maxKernel = 4)
    {
        while (true)
        {
            int kh = random.NextInt(maxKernel) + 1, kw = random.NextInt(maxKernel) + 1;
            int h = random.NextInt(8) + 1, w = random.NextInt(8) + 1;
            int sh = random.NextInt(3) + 1, sw = random.NextInt(3) + 1;
            bool same = random.NextInt(2) == 1;
            int c = random.NextInt(maxChannels) + 1;
            if (ConvGeometry.TryCreate(h, w, c, kh, kw, sh, sw, same, out ConvGeometry g))
            {
                return g;
            }
        }
    }

    public static float[] RandomArray(SeededRandom random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (random.NextSingle() * 2f) - 1f;
        }

        return values;
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float allowed = tolerance * Math.Max(1f, Math.Abs(expected[i]));
            if (!(Math.Abs(expected[i] - actual[i]) <= allowed))
            {
                Assert.Fail($"Element {i}: expected {expected[i]} but got {actual[i]} (tolerance {allowed}).");
            }
        }
    }

    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }
}
