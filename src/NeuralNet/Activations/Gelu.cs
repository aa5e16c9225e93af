#if NET9_0_OR_GREATER
using System.Runtime.Intrinsics;
#endif
using NeuralNet.Serialization;

namespace NeuralNet.Activations;

/// <summary>
/// Gaussian error linear unit: <c>f(x) = x Φ(x) = 0.5 x (1 + erf(x / √2))</c>, or with
/// <c>approximate</c>, <c>0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))</c>.
/// </summary>
/// <remarks>Keras' <c>gelu</c> defaults to the exact (erf) form, as here. The exact form runs eight floats at a time in
/// double precision (the same formula, with the vector exponential) where 256-bit vectors are accelerated, and one at a
/// time otherwise (and on .NET 8, which has no vector exponential); the two agree to float rounding.</remarks>
public sealed class Gelu : ActivationFunction
{
    private const double SqrtTwoOverPi = 0.79788456080286535588;
    private const double InverseSqrtTwo = 0.70710678118654752440;
    private const double InverseSqrtTwoPi = 0.39894228040143267794;
    private const double Cubic = 0.044715;

    /// <summary>Creates a GELU.</summary>
    /// <param name="approximate">True for the tanh approximation; false (Keras' default) for the exact erf form.</param>
    public Gelu(bool approximate = false)
    {
        Approximate = approximate;
    }

    /// <summary>Whether the tanh approximation is used.</summary>
    public bool Approximate { get; }

    /// <inheritdoc/>
    public override string Name => "gelu";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        CheckLengths(input.Length, output.Length, columns, nameof(output));
        int i = 0;
#if NET9_0_OR_GREATER
        if (!Approximate && Vector512.IsHardwareAccelerated)
        {
            // The same arithmetic per lane as the 256-bit loop below, eight doubles at a time.
            for (; i <= input.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                (Vector512<double> low, Vector512<double> high) = Vector512.Widen(Vector512.Create(input.Slice(i, Vector512<float>.Count)));
                Vector512.Narrow(ExactForward(low), ExactForward(high)).CopyTo(output.Slice(i, Vector512<float>.Count));
            }
        }

        if (!Approximate && Vector256.IsHardwareAccelerated)
        {
            // Each block is loaded before it is stored, so output may be input itself.
            for (; i <= input.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256<double> low, Vector256<double> high) = Vector256.Widen(Vector256.Create(input.Slice(i, Vector256<float>.Count)));
                Vector256.Narrow(ExactForward(low), ExactForward(high)).CopyTo(output.Slice(i, Vector256<float>.Count));
            }
        }
#endif

        for (; i < input.Length; i++)
        {
            double x = input[i];
            output[i] = Approximate
                ? (float)(0.5 * x * (1.0 + Math.Tanh(SqrtTwoOverPi * (x + (Cubic * x * x * x)))))
                : (float)(0.5 * x * Erfc(-x * InverseSqrtTwo));
        }
    }

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        CheckLengths(input.Length, outputGradient.Length, columns, nameof(outputGradient));
        CheckLengths(input.Length, inputGradient.Length, columns, nameof(inputGradient));
        int i = 0;
#if NET9_0_OR_GREATER
        if (!Approximate && Vector512.IsHardwareAccelerated)
        {
            for (; i <= input.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                (Vector512<double> low, Vector512<double> high) = Vector512.Widen(Vector512.Create(input.Slice(i, Vector512<float>.Count)));
                (Vector512<double> gradientLow, Vector512<double> gradientHigh) = Vector512.Widen(Vector512.Create(outputGradient.Slice(i, Vector512<float>.Count)));
                Vector512.Narrow(gradientLow * ExactDerivative(low), gradientHigh * ExactDerivative(high)).CopyTo(inputGradient.Slice(i, Vector512<float>.Count));
            }
        }

        if (!Approximate && Vector256.IsHardwareAccelerated)
        {
            for (; i <= input.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                (Vector256<double> low, Vector256<double> high) = Vector256.Widen(Vector256.Create(input.Slice(i, Vector256<float>.Count)));
                (Vector256<double> gradientLow, Vector256<double> gradientHigh) = Vector256.Widen(Vector256.Create(outputGradient.Slice(i, Vector256<float>.Count)));
                Vector256.Narrow(gradientLow * ExactDerivative(low), gradientHigh * ExactDerivative(high)).CopyTo(inputGradient.Slice(i, Vector256<float>.Count));
            }
        }
#endif

        for (; i < input.Length; i++)
        {
            double x = input[i];
            double derivative;
            if (Approximate)
            {
                double t = Math.Tanh(SqrtTwoOverPi * (x + (Cubic * x * x * x)));
                derivative = (0.5 * (1.0 + t)) + (0.5 * x * (1.0 - (t * t)) * SqrtTwoOverPi * (1.0 + (3.0 * Cubic * x * x)));
            }
            else
            {
                // Φ(x) + x φ(x)
                derivative = (0.5 * Erfc(-x * InverseSqrtTwo)) + (x * InverseSqrtTwoPi * Math.Exp(-0.5 * x * x));
            }

            inputGradient[i] = (float)(outputGradient[i] * derivative);
        }
    }

#if NET9_0_OR_GREATER
    // 0.5 x erfc(−x / √2), as the scalar loop computes it.
    private static Vector256<double> ExactForward(Vector256<double> x) => Vector256.Create(0.5) * x * Erfc(-x * InverseSqrtTwo);

    // Φ(x) + x φ(x), as the scalar loop computes it.
    private static Vector256<double> ExactDerivative(Vector256<double> x) =>
        (Vector256.Create(0.5) * Erfc(-x * InverseSqrtTwo)) + (x * InverseSqrtTwoPi * Vector256.Exp(Vector256.Create(-0.5) * x * x));

    // Erfc below, four lanes at a time.
    internal static Vector256<double> Erfc(Vector256<double> z)
    {
        Vector256<double> a = Vector256.Abs(z);
        Vector256<double> t = Vector256<double>.One / (Vector256<double>.One + (Vector256.Create(0.5) * a));
        Vector256<double> poly = Vector256.Create(0.17087277);
        poly = Vector256.Create(-0.82215223) + (t * poly);
        poly = Vector256.Create(1.48851587) + (t * poly);
        poly = Vector256.Create(-1.13520398) + (t * poly);
        poly = Vector256.Create(0.27886807) + (t * poly);
        poly = Vector256.Create(-0.18628806) + (t * poly);
        poly = Vector256.Create(0.09678418) + (t * poly);
        poly = Vector256.Create(0.37409196) + (t * poly);
        poly = Vector256.Create(1.00002368) + (t * poly);
        poly = Vector256.Create(-1.26551223) + (t * poly);
        Vector256<double> ans = t * Vector256.Exp((-a * a) + poly);
        return Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(z, Vector256<double>.Zero), ans, Vector256.Create(2.0) - ans);
    }

    private static Vector512<double> ExactForward(Vector512<double> x) => Vector512.Create(0.5) * x * Erfc(-x * InverseSqrtTwo);

    // Φ(x) + x φ(x), as the scalar loop computes it.
    private static Vector512<double> ExactDerivative(Vector512<double> x) =>
        (Vector512.Create(0.5) * Erfc(-x * InverseSqrtTwo)) + (x * InverseSqrtTwoPi * Vector512.Exp(Vector512.Create(-0.5) * x * x));

    // Erfc below, eight lanes at a time.
    internal static Vector512<double> Erfc(Vector512<double> z)
    {
        Vector512<double> a = Vector512.Abs(z);
        Vector512<double> t = Vector512<double>.One / (Vector512<double>.One + (Vector512.Create(0.5) * a));
        Vector512<double> poly = Vector512.Create(0.17087277);
        poly = Vector512.Create(-0.82215223) + (t * poly);
        poly = Vector512.Create(1.48851587) + (t * poly);
        poly = Vector512.Create(-1.13520398) + (t * poly);
        poly = Vector512.Create(0.27886807) + (t * poly);
        poly = Vector512.Create(-0.18628806) + (t * poly);
        poly = Vector512.Create(0.09678418) + (t * poly);
        poly = Vector512.Create(0.37409196) + (t * poly);
        poly = Vector512.Create(1.00002368) + (t * poly);
        poly = Vector512.Create(-1.26551223) + (t * poly);
        Vector512<double> ans = t * Vector512.Exp((-a * a) + poly);
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(z, Vector512<double>.Zero), ans, Vector512.Create(2.0) - ans);
    }
#endif

    // Complementary error function with fractional error below 1.2e-7 everywhere (Chebyshev fit, Numerical Recipes 6.2),
    // more than float precision needs; .NET has no Math.Erf.
    internal static double Erfc(double z)
    {
        double a = Math.Abs(z);
        double t = 1.0 / (1.0 + (0.5 * a));
        double poly = -1.26551223 + (t * (1.00002368 + (t * (0.37409196 + (t * (0.09678418 + (t * (-0.18628806
            + (t * (0.27886807 + (t * (-1.13520398 + (t * (1.48851587 + (t * (-0.82215223 + (t * 0.17087277)))))))))))))))));
        double ans = t * Math.Exp((-a * a) + poly);
        return z >= 0 ? ans : 2.0 - ans;
    }

    /// <inheritdoc/>
    public override Config GetConfig() => new Config().Set("approximate", Approximate);
}
