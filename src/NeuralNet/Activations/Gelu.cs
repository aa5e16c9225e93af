using NeuralNet.Serialization;

namespace NeuralNet.Activations;

/// <summary>
/// Gaussian error linear unit: <c>f(x) = x Φ(x) = 0.5 x (1 + erf(x / √2))</c>, or with
/// <c>approximate</c>, <c>0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))</c>.
/// </summary>
/// <remarks>Keras' <c>gelu</c> defaults to the exact (erf) form, as here.</remarks>
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
        for (int i = 0; i < input.Length; i++)
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
        for (int i = 0; i < input.Length; i++)
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
