namespace NeuralNet.Kernels;

/// <summary>The error function erf x = 2/√π ∫₀ˣ e^(-t²) dt, element by element (.NET has no Math.Erf).</summary>
internal static class ErrorFunction
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double Sqrt2 = 1.4142135623730951;
    private const double SqrtPi = 1.7724538509055160;

    // GeluKernels.Mills is fitted for u = z√2 up to 14.
    private const double MillsEnd = 14 / Sqrt2;

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

    // Near 0, 1 - erfc x would lose erf's relative precision, so there the Maclaurin series is summed instead: at
    // |x| < 0.5 its terms fall by x² < 1/4 per step, 1e-17 after 20 of them.
    public static double Erf(double x)
    {
        if (Math.Abs(x) >= 0.5)
        {
            return x > 0 ? 1.0 - Erfc(x) : Erfc(-x) - 1.0;
        }

        // x itself at ±0: erf keeps the sign of zero.
        return x == 0 ? x : Series(x);
    }

    /// <summary>
    /// erfc z = 1 − erf z to about 1e-9 relative for every z whose erfc is a normal double (erfc(27) ≈ 5e-319 is the
    /// end): below 0.5, 1 − erf from the series; up to 14/√2, 2 e^(−z²)·M(z√2), where M(u) ≈ Φ(−u)·e^(u²/2) is the
    /// rational <see cref="GeluKernels"/>' exact form uses (4e-10 relative on [0, 14]) and e^(−z²) is
    /// <see cref="Math.Exp"/> in double; beyond, Laplace's continued fraction (1/(2z²) &lt; 0.0052 there, so 30 levels
    /// are past double precision); erfc(−z) = 2 − erfc z.
    /// </summary>
    public static double Erfc(double z)
    {
        if (double.IsNaN(z))
        {
            return z;
        }

        if (z < 0)
        {
            return 2.0 - Erfc(-z);
        }

        if (z < 0.5)
        {
            return 1.0 - Series(z);
        }

        if (z <= MillsEnd)
        {
            return 2.0 * Math.Exp(-z * z) * GeluKernels.Mills(z * Sqrt2);
        }

        double fraction = z;
        for (int k = 30; k >= 1; k--)
        {
            fraction = z + (k / 2.0 / fraction);
        }

        return Math.Exp(-z * z) / (SqrtPi * fraction);
    }

    // erf x from its Maclaurin series, for |x| < 0.5.
    private static double Series(double x)
    {
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
