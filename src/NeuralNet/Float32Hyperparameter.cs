using System.Globalization;

namespace NeuralNet;

/// <summary>
/// Hyper-parameters arrive as double, as C# reads Keras' literals (<c>1e-3</c>, <c>0.9</c>, <c>1.0 / 255</c>), and are
/// used as float32, as Keras' variables are. Checks run on the float32 value that will be used, so that a finite double
/// beyond float32's range (1e39, infinity as float32) or a positive one that rounds to 0 (1e-50) is refused where
/// infinity or 0 is; the sign is checked on the double, so that a tiny negative one (-1e-50, −0 as float32) is refused
/// where a negative value is. Messages show the value the caller gave, through <see cref="Format"/>.
/// </summary>
internal static class Float32Hyperparameter
{
    /// <summary>
    /// <paramref name="value"/> for an error message: a value that is exactly a float32 (a float argument) as that float's
    /// shortest form, as the messages showed it when the parameters were float (0.9f shows 0.9, not 0.8999999761581421);
    /// any other double as given, followed by what it becomes as float32 when that reads differently
    /// (<c>1E+39 (beyond float32's range, ±3.4028235E+38)</c>, <c>1E-50 (0 as float32)</c>).
    /// </summary>
    public static string Format(double value)
    {
        float single = (float)value;
        if (single == value || double.IsNaN(value))
        {
            return single.ToString(CultureInfo.InvariantCulture);
        }

        string given = value.ToString(CultureInfo.InvariantCulture);
        string asSingle = single.ToString(CultureInfo.InvariantCulture);
        return float.IsInfinity(single) ? $"{given} (beyond float32's range, ±{float.MaxValue.ToString(CultureInfo.InvariantCulture)})"
            : asSingle == given ? given
            : $"{given} ({asSingle} as float32)";
    }

    /// <summary>Whether <paramref name="value"/> is finite as float32; <paramref name="single"/> is its float32 value.</summary>
    public static bool IsFinite(double value, out float single)
    {
        single = (float)value;
        return float.IsFinite(single);
    }

    /// <summary>
    /// Whether <paramref name="value"/> is >= 0 as given and finite as float32; <paramref name="single"/> is its float32
    /// value with −0 as +0 (what a 0 is written as). The sign is read on the double: -1e-50 is −0 as float32, and would
    /// otherwise pass as 0 and be written as <c>-0</c>.
    /// </summary>
    public static bool IsNonNegative(double value, out float single)
    {
        single = (float)value;
        if (!(value >= 0) || float.IsInfinity(single))
        {
            return false;
        }

        single = single == 0f ? 0f : single;
        return true;
    }

    /// <summary>Whether <paramref name="value"/> is positive and finite as float32 (1e-50, 0 as float32, is not).</summary>
    public static bool IsPositive(double value, out float single)
    {
        single = (float)value;
        return single > 0f && !float.IsInfinity(single);
    }

    /// <summary>
    /// Whether <paramref name="value"/> is >= 0 as given and, as float32, below 1 (at most 1 when
    /// <paramref name="inclusiveOne"/>): 0.99999999999 is 1 as float32. −0 comes back as +0.
    /// </summary>
    public static bool IsInUnitInterval(double value, bool inclusiveOne, out float single)
    {
        single = (float)value;
        if (!(value >= 0) || !(inclusiveOne ? single <= 1f : single < 1f))
        {
            return false;
        }

        single = single == 0f ? 0f : single;
        return true;
    }

    /// <summary>Returns <paramref name="value"/> as float32, or throws unless it is finite as float32.</summary>
    /// <param name="value">The value given.</param>
    /// <param name="parameterName">The C# parameter's name (the exception's <c>ParamName</c>).</param>
    /// <param name="who">What checks it, to open the message (<c>ELU 'elu'</c>, <c>MaxNorm</c>).</param>
    /// <param name="shownAs">The name the message gives it (Keras' <c>max_value</c>); <paramref name="parameterName"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">The value is NaN or infinite, or beyond float32's range.</exception>
    public static float Finite(double value, string parameterName, string who, string? shownAs = null) =>
        IsFinite(value, out float single) ? single : throw Refused(value, parameterName, who, $"a finite {shownAs ?? parameterName}");

    /// <summary>Returns <paramref name="value"/> as float32 (−0 as +0), or throws unless it is >= 0 and finite as float32;
    /// parameters as <see cref="Finite"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative (-1e-50 included), NaN or infinite, or beyond
    /// float32's range.</exception>
    public static float NonNegative(double value, string parameterName, string who, string? shownAs = null) =>
        IsNonNegative(value, out float single) ? single : throw Refused(value, parameterName, who, $"a finite {shownAs ?? parameterName} >= 0");

    /// <summary>Returns <paramref name="value"/> as float32, or throws unless it is positive and finite as float32;
    /// parameters as <see cref="Finite"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive (1e-50 included, 0 as float32), NaN or
    /// infinite, or beyond float32's range.</exception>
    public static float Positive(double value, string parameterName, string who, string? shownAs = null) =>
        IsPositive(value, out float single) ? single : throw Refused(value, parameterName, who, $"a positive finite {shownAs ?? parameterName}");

    /// <summary>Returns <paramref name="value"/> as float32 (−0 as +0), or throws unless it is in [0, 1) as float32 ([0, 1]
    /// when <paramref name="inclusiveOne"/>); other parameters as <see cref="Finite"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside the interval as float32, negative, or NaN.</exception>
    public static float UnitInterval(double value, string parameterName, string who, bool inclusiveOne, string? shownAs = null) =>
        IsInUnitInterval(value, inclusiveOne, out float single) ? single
            : throw Refused(value, parameterName, who, $"a {shownAs ?? parameterName} in [0, 1{(inclusiveOne ? "]" : ")")}");

    private static ArgumentOutOfRangeException Refused(double value, string parameterName, string who, string expected) =>
        new(parameterName, value, $"{who} expects {expected} (as float32). Received: {parameterName}={Format(value)}.");
}
