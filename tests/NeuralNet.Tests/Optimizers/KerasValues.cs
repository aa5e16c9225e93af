using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>The helpers of the tests that check an optimizer against Keras' own test values (Lamb, Adafactor, Muon, ScheduleFreeAdamW).</summary>
internal static class KerasValues
{
    /// <summary>A trainable parameter named <paramref name="name"/> holding <paramref name="values"/>.</summary>
    public static Parameter Parameter(string name, TensorShape shape, float[] values)
    {
        var p = new Parameter(name, shape, true, null);
        values.CopyTo(p.Value.AsSpan());
        return p;
    }

    /// <summary>Sets the gradient of <paramref name="p"/> to <paramref name="values"/>.</summary>
    public static void Gradient(Parameter p, float[] values) => values.CopyTo(p.Gradient.AsSpan());

    /// <summary>numpy.testing.assert_allclose as Keras' assertAllClose calls it: |actual − expected| ≤ atol + rtol·|expected|, atol = rtol = <paramref name="tolerance"/>.</summary>
    public static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance + (tolerance * Math.Abs(expected[i])), $"element {i}: {actual[i]:R}, expected {expected[i]:R}");
        }
    }
}
