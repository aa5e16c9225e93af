using NeuralNet.Activations;

namespace NeuralNet.Kernels;

/// <summary>The error function erf x = 2/√π ∫₀ˣ e^(-t²) dt, element by element (.NET has no Math.Erf).</summary>
internal static class ErrorFunction
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    // x (n), y (n): y = erf(x).
    public static void Erf(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length != x.Length)
        {
            throw new ArgumentException($"Erf expects a destination of {x.Length} values, got {y.Length}.", nameof(y));
        }

        for (int i = 0; i < x.Length; i++)
        {
            y[i] = (float)Erf(x[i]);
        }
    }

    // x (n), dy (n), dx (n): dx = dy · 2/√π e^(-x²).
    public static void ErfBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        if (dy.Length != x.Length || dx.Length != x.Length)
        {
            throw new ArgumentException($"ErfBackward expects three spans of {x.Length} values, got {dy.Length} and {dx.Length}.", nameof(dx));
        }

        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            dx[i] = (float)(dy[i] * TwoOverSqrtPi * Math.Exp(-v * v));
        }
    }

    // Near 0, 1 - erfc x would lose erf's relative precision (erfc's fit is good to 1.2e-7 of erfc ≈ 1), so there the
    // Maclaurin series is summed instead: at |x| < 0.5 its terms fall by x² < 1/4 per step, 1e-17 after 20 of them.
    public static double Erf(double x)
    {
        if (Math.Abs(x) >= 0.5)
        {
            return 1.0 - Gelu.Erfc(x);
        }

        double sum = 0, power = x, square = x * x, factorial = 1;
        for (int n = 0; n < 20; n++)
        {
            sum += power / (factorial * ((2 * n) + 1));
            power *= -square;
            factorial *= n + 1;
        }

        return TwoOverSqrtPi * sum;
    }

    // The reference twin: Simpson's rule on 2/√π e^(-t²) over [0, x] with 2000 intervals, slow but plainly erf's definition.
    public static double ReferenceErf(double x)
    {
        const int intervals = 2000;
        double h = x / intervals, sum = 1 + Math.Exp(-x * x);
        for (int k = 1; k < intervals; k++)
        {
            double t = k * h;
            sum += (k % 2 == 1 ? 4 : 2) * Math.Exp(-t * t);
        }

        return TwoOverSqrtPi * sum * h / 3;
    }
}
