using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
namespace NeuralNet.Kernels;

/// <summary>
/// GELU forward and backward, exact (erf) and tanh forms, vectorised with <see cref="Vector{T}"/>: the exponential in
/// float with its argument carried in two parts, the rest in double, rounded to float once; with a scalar twin of the
/// same operations (the tail, and the machines without SIMD) and a double reference twin.
/// </summary>
/// <remarks>
/// <code>
/// x, y, dy, dx: (n)
/// exact:  u = |x|, h = e^(−u²/2), m = R(u) ≈ Φ(−u)·e^(u²/2) (a rational of degree 5/6 in u, positive coefficients)
///         y  = x·(1 − h·m) for x ≥ 0, x·h·m below 0                       (Φ(−u) = h·m, so y = x Φ(x))
///         dx = dy·(1 + h·(u/√(2π) − m)) for x ≥ 0, dy·(−h·(u/√(2π) − m)) below 0   (Φ(x) + x φ(x))
///         |x| > 14: Φ(−u) = 0 (GELU there is below 1.2e-43, a float denormal)
/// tanh:   w = −2√(2/π)(x + 0.044715 x³) in double, e = e^w, σ = 1 / (1 + e)   (0.5 (1 + tanh(−w/2)) = σ)
///         y = x σ, dx = dy·(σ + x σ² e · 2√(2/π)(1 + 3·0.044715 x²)); w > 88 (x below about −10.04) gives y = x·0, w below −104 gives e = 2^−150
/// e^(hi + lo): k = round((hi + lo)/ln 2), r = hi − k ln2_hi − k ln2_lo + lo (Cody and Waite), Cephes' expf polynomial,
///         times 2^(k/2)·2^(k − k/2) so that results down to the denormals come out
/// </code>
/// Why two parts: e^(−u²/2) at u = 10 has an argument of −50, whose float rounding alone (2^−19) would be 2e-6 of the
/// result; −u²/2 is split exactly (u's top 12 bits squared, plus the small rest), so the exponential keeps float
/// precision. The rational is evaluated in double because its Horner steps in float lose up to 6 ulp. Measured error
/// against the exact formula (<see cref="ReferenceErfc"/>, tests): below 2 ulp of float for y and dx of both forms
/// wherever the result is a normal float, except the tanh form's derivative near its zero (x ≈ −0.75), where its two
/// terms cancel and the float exponential's error leaves up to 5e-9 absolute (1e-8 tested). Every operation is IEEE (no fused multiply-add, no reduction), lane by lane,
/// so the vector loops and the scalar twin give the same bits for every vector width.
/// </remarks>
internal static class GeluKernels
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f;
    private const float Ln2Lo = -2.12194440e-4f;

    // 1.5·2^23: adding it rounds a float below 2^22 in magnitude to an integer, kept in the low bits.
    private const float RoundingMagic = 12582912f;
    private const int RoundingMagicBits = 0x4B400000;

    // Cephes' expf: e^r ≈ 1 + r + r²·(E0 r⁵ + ... + E5) on |r| ≤ ln 2 / 2.
    private const float E0 = 1.9875691500e-4f, E1 = 1.3981999507e-3f, E2 = 8.3334519073e-3f, E3 = 4.1665795894e-2f, E4 = 1.6666665459e-1f, E5 = 5.0000001201e-1f;

    // Φ(−u)·e^(u²/2) ≈ P(u)/Q(u) on [0, 14], relative error 4e-10: a least-squares rational in the relative error, fitted
    // in double to erfc(a)·e^(a²) on a in [0, 10] (Python's math.erfc), then scaled to u = a√2 and by Φ = erfc/2.
    private const double P0 = 0.4999999997951746, P1 = 0.5099365244380101, P2 = 0.25281144789085946, P3 = 0.07229592605597822, P4 = 0.011876750555414782, P5 = 0.0009157039385696156;
    private const double Q1 = 1.817757589617818, Q2 = 1.455983848689113, Q3 = 0.6633803926113188, Q4 = 0.18351963403154703, Q5 = 0.029770421882411344, Q6 = 0.002295332028277404;

    private const double InverseSqrtTwoPi = 0.39894228040143267794;
    private const double SqrtTwoOverPi = 0.79788456080286535588;
    private const double Cubic = 0.044715;

    // Beyond these |x| the exact form's tail is 0, and the tanh form's exponent is clamped.
    private const float ExactCutoff = 14f;
    private const double TanhHighExponent = 88, TanhLowExponent = -104;

    /// <summary>y = x Φ(x) (tanh: x σ(2√(2/π)(x + 0.044715 x³))). y may be x itself.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, bool approximate)
    {
        if (y.Length != x.Length)
        {
            throw new ArgumentException($"GELU: the destination holds {y.Length} values but the input has {x.Length}.", nameof(y));
        }

        int i = 0, vf = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            ref float xRef = ref MemoryMarshal.GetReference(x);
            ref float yRef = ref MemoryMarshal.GetReference(y);
            for (; i <= x.Length - vf; i += vf)
            {
                // Loaded before stored, so y may be x.
                Vector<float> v = Vector.LoadUnsafe(ref xRef, (nuint)i);
                (approximate ? TanhForward(v) : ExactForward(v)).StoreUnsafe(ref yRef, (nuint)i);
            }
        }

        for (; i < x.Length; i++)
        {
            y[i] = approximate ? TanhForward(x[i]) : ExactForward(x[i]);
        }
    }

    /// <summary>dx = dy · GELU'(x), the form's own derivative.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, bool approximate)
    {
        if (dy.Length != x.Length || dx.Length != x.Length)
        {
            throw new ArgumentException($"GELU backward: the input has {x.Length} values but the output gradient {dy.Length} and the input gradient {dx.Length}.", nameof(dx));
        }

        int i = 0, vf = Vector<float>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            ref float xRef = ref MemoryMarshal.GetReference(x);
            ref float dyRef = ref MemoryMarshal.GetReference(dy);
            ref float dxRef = ref MemoryMarshal.GetReference(dx);
            for (; i <= x.Length - vf; i += vf)
            {
                Vector<float> v = Vector.LoadUnsafe(ref xRef, (nuint)i), g = Vector.LoadUnsafe(ref dyRef, (nuint)i);
                (approximate ? TanhBackward(v, g) : ExactBackward(v, g)).StoreUnsafe(ref dxRef, (nuint)i);
            }
        }

        for (; i < x.Length; i++)
        {
            dx[i] = approximate ? TanhBackward(x[i], dy[i]) : ExactBackward(x[i], dy[i]);
        }
    }

    // ---- vector lanes ----

    private static Vector<float> ExactForward(Vector<float> x)
    {
        (Vector<float> h, Vector<float> u, Vector<int> beyond) = ExactTail(x);
        Vector.Widen(h, out Vector<double> hLo, out Vector<double> hHi);
        Vector.Widen(u, out Vector<double> uLo, out Vector<double> uHi);
        Vector.Widen(x, out Vector<double> xLo, out Vector<double> xHi);
        Vector<double> lo = xLo * Phi(xLo, hLo * Mills(uLo)), hi = xHi * Phi(xHi, hHi * Mills(uHi));
        return Vector.ConditionalSelect(beyond, x * Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, Vector<float>.Zero), Vector<float>.One, Vector<float>.Zero),
            Vector.Narrow(lo, hi));
    }

    private static Vector<float> ExactBackward(Vector<float> x, Vector<float> dy)
    {
        (Vector<float> h, Vector<float> u, Vector<int> beyond) = ExactTail(x);
        Vector.Widen(h, out Vector<double> hLo, out Vector<double> hHi);
        Vector.Widen(u, out Vector<double> uLo, out Vector<double> uHi);
        Vector.Widen(x, out Vector<double> xLo, out Vector<double> xHi);
        Vector.Widen(dy, out Vector<double> gLo, out Vector<double> gHi);
        Vector<double> lo = gLo * Slope(xLo, hLo * ((uLo * InverseSqrtTwoPi) - Mills(uLo)));
        Vector<double> hi = gHi * Slope(xHi, hHi * ((uHi * InverseSqrtTwoPi) - Mills(uHi)));
        return Vector.ConditionalSelect(beyond, dy * Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, Vector<float>.Zero), Vector<float>.One, Vector<float>.Zero),
            Vector.Narrow(lo, hi));
    }

    // h = e^(−u²/2) for u = |x| (u clamped to 14 for the arithmetic; beyond marks the lanes past it).
    private static (Vector<float> H, Vector<float> U, Vector<int> Beyond) ExactTail(Vector<float> x)
    {
        Vector<float> u = Vector.Abs(x);
        Vector<int> beyond = Vector.GreaterThan(u, new Vector<float>(ExactCutoff));
        u = Vector.ConditionalSelect(beyond, new Vector<float>(ExactCutoff), u);

        // u = uh + ul with uh's 12 top bits: uh² is exact, so −u²/2 = −uh²/2 − ul(u + uh)/2 in two parts.
        Vector<float> uh = Vector.AsVectorSingle(Vector.AsVectorInt32(u) & new Vector<int>(unchecked((int)0xFFFFF000)));
        Vector<float> ul = u - uh;
        Vector<float> half = new(-0.5f);
        return (Exp(half * (uh * uh), half * (ul * (u + uh))), u, beyond);
    }

    private static Vector<double> Mills(Vector<double> u)
    {
        Vector<double> p = (((((new Vector<double>(P5) * u) + new Vector<double>(P4)) * u + new Vector<double>(P3)) * u + new Vector<double>(P2)) * u + new Vector<double>(P1)) * u + new Vector<double>(P0);
        Vector<double> q = ((((((new Vector<double>(Q6) * u) + new Vector<double>(Q5)) * u + new Vector<double>(Q4)) * u + new Vector<double>(Q3)) * u + new Vector<double>(Q2)) * u + new Vector<double>(Q1)) * u + Vector<double>.One;
        return p / q;
    }

    // Φ(x) from t = Φ(−|x|).
    private static Vector<double> Phi(Vector<double> x, Vector<double> t) =>
        Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, Vector<double>.Zero), Vector<double>.One - t, t);

    // Φ(x) + x φ(x) from d = h (u/√(2π) − m).
    private static Vector<double> Slope(Vector<double> x, Vector<double> d) =>
        Vector.ConditionalSelect(Vector.GreaterThanOrEqual(x, Vector<double>.Zero), Vector<double>.One + d, -d);

    private static Vector<float> TanhForward(Vector<float> x)
    {
        Vector.Widen(x, out Vector<double> xLo, out Vector<double> xHi);
        (Vector<double> eLo, Vector<double> eHi, Vector<long> flatLo, Vector<long> flatHi) = TanhExp(xLo, xHi);
        // Past the clamp x·0: −0 below 0 (GELU is below 2e-37 there), NaN at −∞ as 0.5·x·(1 + tanh) gives.
        Vector<double> lo = Vector.ConditionalSelect(flatLo, xLo * Vector<double>.Zero, xLo / (Vector<double>.One + eLo));
        Vector<double> hi = Vector.ConditionalSelect(flatHi, xHi * Vector<double>.Zero, xHi / (Vector<double>.One + eHi));
        return Vector.Narrow(lo, hi);
    }

    private static Vector<float> TanhBackward(Vector<float> x, Vector<float> dy)
    {
        Vector.Widen(x, out Vector<double> xLo, out Vector<double> xHi);
        Vector.Widen(dy, out Vector<double> gLo, out Vector<double> gHi);
        (Vector<double> eLo, Vector<double> eHi, Vector<long> flatLo, Vector<long> flatHi) = TanhExp(xLo, xHi);
        Vector<double> lo = gLo * Vector.ConditionalSelect(flatLo, Vector<double>.Zero, TanhSlope(xLo, eLo));
        Vector<double> hi = gHi * Vector.ConditionalSelect(flatHi, Vector<double>.Zero, TanhSlope(xHi, eHi));
        return Vector.Narrow(lo, hi);
    }

    private static Vector<double> TanhSlope(Vector<double> x, Vector<double> e)
    {
        Vector<double> sigma = Vector<double>.One / (Vector<double>.One + e);
        Vector<double> inner = new Vector<double>(2 * SqrtTwoOverPi) * (Vector<double>.One + (new Vector<double>(3 * Cubic) * x * x));
        return sigma + (x * sigma * sigma * e * inner);
    }

    // e = e^w for w = −2√(2/π)(x + 0.044715 x³), w clamped to [−104, 88]; flat marks w > 88 (σ = 0 there).
    private static (Vector<double> ELo, Vector<double> EHi, Vector<long> FlatLo, Vector<long> FlatHi) TanhExp(Vector<double> xLo, Vector<double> xHi)
    {
        Vector<double> wLo = TanhExponent(xLo), wHi = TanhExponent(xHi);
        Vector<long> flatLo = Vector.GreaterThan(wLo, new Vector<double>(TanhHighExponent)), flatHi = Vector.GreaterThan(wHi, new Vector<double>(TanhHighExponent));
        wLo = Clamp(wLo);
        wHi = Clamp(wHi);
        Vector<float> hi = Vector.Narrow(wLo, wHi);
        Vector.Widen(hi, out Vector<double> hiLo, out Vector<double> hiHi);
        Vector.Widen(Exp(hi, Vector.Narrow(wLo - hiLo, wHi - hiHi)), out Vector<double> eLo, out Vector<double> eHi);
        return (eLo, eHi, flatLo, flatHi);

        static Vector<double> Clamp(Vector<double> w)
        {
            w = Vector.ConditionalSelect(Vector.GreaterThan(w, new Vector<double>(TanhHighExponent)), new Vector<double>(TanhHighExponent), w);
            return Vector.ConditionalSelect(Vector.LessThan(w, new Vector<double>(TanhLowExponent)), new Vector<double>(TanhLowExponent), w);
        }
    }

    private static Vector<double> TanhExponent(Vector<double> x) =>
        new Vector<double>(-2 * SqrtTwoOverPi) * (x + (new Vector<double>(Cubic) * x * x * x));

    // e^(hi + lo) for hi + lo in [−104, 88], lo small.
    private static Vector<float> Exp(Vector<float> hi, Vector<float> lo)
    {
        Vector<float> n = ((hi + lo) * new Vector<float>(Log2E)) + new Vector<float>(RoundingMagic);
        Vector<int> k = Vector.AsVectorInt32(n) - new Vector<int>(RoundingMagicBits);
        n -= new Vector<float>(RoundingMagic);
        Vector<float> r = (hi - (n * new Vector<float>(Ln2Hi)) - (n * new Vector<float>(Ln2Lo))) + lo;
        Vector<float> p = (((((new Vector<float>(E0) * r) + new Vector<float>(E1)) * r + new Vector<float>(E2)) * r + new Vector<float>(E3)) * r + new Vector<float>(E4)) * r + new Vector<float>(E5);
        Vector<float> e = ((p * (r * r)) + r) + Vector<float>.One;
        Vector<int> k1 = Vector.ShiftRightArithmetic(k, 1), k2 = k - k1;
        return e * Vector.AsVectorSingle(Vector.ShiftLeft(k1 + new Vector<int>(127), 23)) * Vector.AsVectorSingle(Vector.ShiftLeft(k2 + new Vector<int>(127), 23));
    }

    // ---- the scalar twin: the same operations, one lane ----

    /// <summary>GELU (exact form) of one value, the vector lanes' operations.</summary>
    public static float ExactForward(float x)
    {
        (float h, float u, bool beyond) = ExactTail(x);
        if (beyond)
        {
            return x * (x >= 0 ? 1f : 0f);
        }

        double xd = x, t = h * Mills(u);
        return (float)(xd * (xd >= 0 ? 1.0 - t : t));
    }

    /// <summary>dy · GELU'(x) (exact form) of one value, the vector lanes' operations.</summary>
    public static float ExactBackward(float x, float dy)
    {
        (float h, float u, bool beyond) = ExactTail(x);
        if (beyond)
        {
            return dy * (x >= 0 ? 1f : 0f);
        }

        double xd = x, d = h * ((u * InverseSqrtTwoPi) - Mills(u));
        return (float)(dy * (xd >= 0 ? 1.0 + d : -d));
    }

    /// <summary>GELU (tanh form) of one value, the vector lanes' operations.</summary>
    public static float TanhForward(float x)
    {
        (double e, bool flat) = TanhExp(x);
        double xd = x;
        return (float)(flat ? xd * 0.0 : xd / (1.0 + e));
    }

    /// <summary>dy · GELU'(x) (tanh form) of one value, the vector lanes' operations.</summary>
    public static float TanhBackward(float x, float dy)
    {
        (double e, bool flat) = TanhExp(x);
        double xd = x;
        double sigma = 1.0 / (1.0 + e);
        double inner = 2 * SqrtTwoOverPi * (1.0 + (3 * Cubic * xd * xd));
        return (float)(dy * (flat ? 0.0 : sigma + (xd * sigma * sigma * e * inner)));
    }

    private static (float H, float U, bool Beyond) ExactTail(float x)
    {
        float u = MathF.Abs(x);
        bool beyond = u > ExactCutoff;
        u = beyond ? ExactCutoff : u;
        float uh = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(u) & unchecked((int)0xFFFFF000));
        float ul = u - uh;
        return (Exp(-0.5f * (uh * uh), -0.5f * (ul * (u + uh))), u, beyond);
    }

    /// <summary>Φ(−u)·e^(u²/2) for u in [0, 14], 4e-10 relative (also <see cref="ErrorFunction.Erfc"/>'s).</summary>
    public static double Mills(double u)
    {
        double p = (((((P5 * u) + P4) * u + P3) * u + P2) * u + P1) * u + P0;
        double q = ((((((Q6 * u) + Q5) * u + Q4) * u + Q3) * u + Q2) * u + Q1) * u + 1.0;
        return p / q;
    }

    private static (double E, bool Flat) TanhExp(float x)
    {
        double xd = x;
        double w = -2 * SqrtTwoOverPi * (xd + (Cubic * xd * xd * xd));
        bool flat = w > TanhHighExponent;
        w = w > TanhHighExponent ? TanhHighExponent : w;
        w = w < TanhLowExponent ? TanhLowExponent : w;
        float hi = (float)w;
        return (Exp(hi, (float)(w - hi)), flat);
    }

    private static float Exp(float hi, float lo)
    {
        float n = ((hi + lo) * Log2E) + RoundingMagic;
        int k = BitConverter.SingleToInt32Bits(n) - RoundingMagicBits;
        n -= RoundingMagic;
        float r = (hi - (n * Ln2Hi) - (n * Ln2Lo)) + lo;
        float p = (((((E0 * r) + E1) * r + E2) * r + E3) * r + E4) * r + E5;
        float e = ((p * (r * r)) + r) + 1f;
        int k1 = k >> 1, k2 = k - k1;
        return e * BitConverter.Int32BitsToSingle((k1 + 127) << 23) * BitConverter.Int32BitsToSingle((k2 + 127) << 23);
    }

    // ---- the reference twin, in double ----

    /// <summary>
    /// GELU from the formula in double: 0.5 x erfc(−x/√2), or 0.5 x (1 + tanh s), s = √(2/π)(x + 0.044715 x³), written
    /// x / (1 + e^(−2s)) (the same value; 1 + tanh s would cancel in double for s below about −10).
    /// </summary>
    public static double Reference(double x, bool approximate) => approximate
        ? x / (1.0 + Math.Exp(-2 * SqrtTwoOverPi * (x + (Cubic * x * x * x))))
        : 0.5 * x * ReferenceErfc(-x / Math.Sqrt(2));

    /// <summary>
    /// GELU'(x) from the formula in double: Φ(x) + x φ(x), or 0.5 (1 + tanh s) + 0.5 x (1 − tanh² s) s', with
    /// 1 − tanh² s written 1 / cosh² s.
    /// </summary>
    public static double ReferenceDerivative(double x, bool approximate)
    {
        if (!approximate)
        {
            return (0.5 * ReferenceErfc(-x / Math.Sqrt(2))) + (x * InverseSqrtTwoPi * Math.Exp(-0.5 * x * x));
        }

        double s = SqrtTwoOverPi * (x + (Cubic * x * x * x)), cosh = Math.Cosh(s);
        return (1.0 / (1.0 + Math.Exp(-2 * s))) + (0.5 * x / (cosh * cosh) * SqrtTwoOverPi * (1.0 + (3.0 * Cubic * x * x)));
    }

    /// <summary>
    /// erfc z to double precision (about 1e-13 relative): the Maclaurin series of erf below |z| = 2.5, Laplace's continued
    /// fraction e^(−z²)/√π · 1/(z + ½/(z + 1/(z + 3/2/(z + ...)))) above (200 levels), erfc(−z) = 2 − erfc z.
    /// </summary>
    public static double ReferenceErfc(double z)
    {
        if (double.IsNaN(z))
        {
            return z;
        }

        if (z < 0)
        {
            return 2.0 - ReferenceErfc(-z);
        }

        if (z < 2.5)
        {
            double sum = 0, term = z;
            for (int n = 0; n < 200 && Math.Abs(term) > 1e-300; n++)
            {
                sum += term / ((2 * n) + 1);
                term *= -z * z / (n + 1);
            }

            return 1.0 - (2 / Math.Sqrt(Math.PI) * sum);
        }

        double fraction = z;
        for (int k = 200; k >= 1; k--)
        {
            fraction = z + (k / 2.0 / fraction);
        }

        return Math.Exp(-z * z) / (Math.Sqrt(Math.PI) * fraction);
    }
}
