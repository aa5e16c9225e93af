using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Models;

/// <summary>Central differences of <c>sum_k sum(G_k * f_k(x))</c> with respect to every entry of some input tensors.</summary>
internal static class InputGradientTesting
{
    /// <summary>
    /// d/dx_i of <c>sum_k sum(upstream_k * forward(inputs)_k)</c> for every entry of <c>inputs[input]</c>, in double
    /// from float32 forward passes (the entry is restored after each).
    /// </summary>
    public static double[] CentralDifferences(Func<IReadOnlyList<Tensor>> forward, Tensor[] inputs, int input, Tensor[] upstream, float step = 1e-2f)
    {
        Span<float> x = inputs[input].AsSpan();
        var result = new double[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            float saved = x[i];
            x[i] = saved + step;
            double plus = Objective(forward(), upstream);
            x[i] = saved - step;
            double minus = Objective(forward(), upstream);
            x[i] = saved;
            result[i] = (plus - minus) / (2.0 * step);
        }

        return result;
    }

    /// <summary>Asserts that <paramref name="analytic"/> matches <paramref name="numeric"/> entry by entry within float32 noise.</summary>
    public static void AssertClose(double[] numeric, Tensor analytic, double tolerance = 2e-3)
    {
        ReadOnlySpan<float> a = analytic.AsReadOnlySpan();
        Assert.Equal(numeric.Length, a.Length);
        double scale = Math.Max(1.0, numeric.Max(Math.Abs));
        bool anyNonZero = false;
        for (int i = 0; i < a.Length; i++)
        {
            anyNonZero |= Math.Abs(numeric[i]) > 1e-3;
            Assert.True(Math.Abs(a[i] - numeric[i]) <= tolerance * scale, $"entry {i}: analytic {a[i]}, numeric {numeric[i]}");
        }

        // A gradient of zeros matching zeros would check nothing.
        Assert.True(anyNonZero, "the numeric gradient is zero everywhere");
    }

    private static double Objective(IReadOnlyList<Tensor> outputs, Tensor[] upstream)
    {
        double sum = 0;
        for (int k = 0; k < outputs.Count; k++)
        {
            ReadOnlySpan<float> y = outputs[k].AsReadOnlySpan();
            ReadOnlySpan<float> g = upstream[k].AsReadOnlySpan();
            for (int i = 0; i < y.Length; i++)
            {
                sum += (double)g[i] * y[i];
            }
        }

        return sum;
    }
}
