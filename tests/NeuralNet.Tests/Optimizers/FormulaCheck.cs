using Xunit;

namespace NeuralNet.Tests.Optimizers;

/// <summary>The parameter, gradients and comparison shared by the tests that work Keras' update formulas in float64.</summary>
internal static class FormulaCheck
{
    /// <summary>A trainable parameter named <c>kernel</c> holding <paramref name="start"/> (rounded to float).</summary>
    public static Parameter NewParameter(double[] start)
    {
        var p = new Parameter("kernel", new TensorShape(start.Length), true, null);
        for (int i = 0; i < start.Length; i++)
        {
            p.Value[i] = (float)start[i];
        }

        return p;
    }

    /// <summary>Writes the gradient of step <paramref name="t"/>, element by element, from <paramref name="gradient"/>(t, i).</summary>
    public static void SetGradient(Parameter p, int t, Func<int, int, float> gradient)
    {
        for (int i = 0; i < p.Value.Length; i++)
        {
            p.Gradient[i] = gradient(t, i);
        }
    }

    /// <summary>Asserts that every element is within 2e-6 (relative above 1) of the float64 formula.</summary>
    public static void AssertClose(double[] expected, Tensor actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-6 * Math.Max(1, Math.Abs(expected[i])), $"{what}, element {i}: {actual[i]}; Keras' formula gives {expected[i]}.");
        }
    }
}
