namespace NeuralNet.Activations;

/// <summary>Scalar formulas shared by several activations.</summary>
internal static class ActivationMath
{
    /// <summary><c>log(1 + exp(x))</c> without overflow: <c>max(x, 0) + log(1 + exp(-|x|))</c>.</summary>
    public static double Softplus(double x) => Math.Max(x, 0.0) + Math.Log(1.0 + Math.Exp(-Math.Abs(x)));

    /// <summary>The logistic sigmoid <c>1 / (1 + exp(-x))</c>, without overflow for large |x|.</summary>
    public static double Logistic(double x)
    {
        if (x >= 0)
        {
            return 1.0 / (1.0 + Math.Exp(-x));
        }

        double e = Math.Exp(x);
        return e / (1.0 + e);
    }

    /// <summary>Keras 3's hard sigmoid, <c>relu6(x + 3) / 6</c>.</summary>
    public static float HardSigmoid(float x) => Math.Clamp(x + 3f, 0f, 6f) / 6f;
}
