using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace NeuralNet.Training;

/// <summary>
/// The part of Python's format-spec mini-language that checkpoint paths use (<c>{epoch:03d}</c>, <c>{val_loss:.2e}</c>):
/// <c>[0][width][.precision][type]</c> with type <c>d</c>, <c>f</c>, <c>F</c>, <c>e</c>, <c>E</c>, <c>g</c>, <c>G</c>,
/// <c>%</c> or none, formatted as CPython formats them (<c>format(value, spec)</c>).
/// </summary>
/// <remarks>
/// Keras fills <c>ModelCheckpoint</c> paths with <c>str.format</c>, so a path written for Keras must give the same file
/// names here. Rounding follows CPython: the exact binary value is rounded half to even (<c>format(0.125, '.2f')</c> is
/// <c>0.12</c>), which .NET's "F2" (half away from zero on the decimal digits) does not do, hence the digit arithmetic.
/// </remarks>
internal static partial class PythonFormat
{
    /// <summary>A parsed spec; <see cref="Type"/> is '\0' when omitted, <see cref="Precision"/> -1 when omitted.</summary>
    internal readonly record struct Spec(bool ZeroPad, int Width, int Precision, char Type);

    /// <summary>
    /// Parses <paramref name="text"/> as a spec of the supported subset; false (with the reason) when it is not one, or
    /// when Python would reject it for the kind of value (an integer epoch or a float log).
    /// </summary>
    internal static bool TryParse(string text, bool integer, out Spec spec, out string? reason)
    {
        spec = default;
        Match match = Grammar().Match(text);
        if (!match.Success)
        {
            reason = "only [0][width][.precision][type] with type d, f, F, e, E, g, G, % or none is supported";
            return false;
        }

        int width = match.Groups["width"].Success ? int.Parse(match.Groups["width"].Value, CultureInfo.InvariantCulture) : 0;
        int precision = match.Groups["precision"].Success ? int.Parse(match.Groups["precision"].Value, CultureInfo.InvariantCulture) : -1;
        char type = match.Groups["type"].Success ? match.Groups["type"].Value[0] : '\0';
        if (type == 'd' && !integer)
        {
            reason = "'d' formats integers, and this value is a float (Python: Unknown format code 'd' for object of type 'float')";
            return false;
        }

        if (integer && type is 'd' or '\0' && precision >= 0)
        {
            reason = "an integer takes no precision (Python: Precision not allowed in integer format specifier)";
            return false;
        }

        spec = new Spec(match.Groups["zero"].Success, width, precision, type);
        reason = null;
        return true;
    }

    /// <summary>The integer <paramref name="value"/> formatted as Python's <c>format(value, spec)</c>.</summary>
    internal static string Format(long value, Spec spec) =>
        spec.Type is 'd' or '\0'
            ? Pad(value.ToString(CultureInfo.InvariantCulture), spec)
            : Format((double)value, spec);

    /// <summary>The float <paramref name="value"/> formatted as Python's <c>format(value, spec)</c>.</summary>
    internal static string Format(double value, Spec spec)
    {
        bool upper = spec.Type is 'F' or 'E' or 'G';
        string body;
        if (double.IsNaN(value))
        {
            body = upper ? "NAN" : "nan";
        }
        else if (double.IsInfinity(value))
        {
            body = upper ? "INF" : "inf";
        }
        else
        {
            double magnitude = Math.Abs(value);
            body = spec.Type switch
            {
                'f' or 'F' => Fixed(magnitude, spec.Precision < 0 ? 6 : spec.Precision),
                '%' => Fixed(magnitude * 100, spec.Precision < 0 ? 6 : spec.Precision) + "%",
                'e' or 'E' => Scientific(magnitude, spec.Precision < 0 ? 6 : spec.Precision, upper),
                'g' or 'G' => General(magnitude, spec.Precision < 0 ? 6 : Math.Max(spec.Precision, 1), upper, addDotZero: false),
                _ => spec.Precision < 0 ? Repr(magnitude) : General(magnitude, Math.Max(spec.Precision, 1), upper: false, addDotZero: true),
            };
        }

        return Pad(double.IsNegative(value) && !double.IsNaN(value) ? "-" + body : body, spec);
    }

    // Numbers align right; the '0' flag pads with zeros after the sign (Python's '=' alignment with fill '0').
    private static string Pad(string text, Spec spec)
    {
        if (text.Length >= spec.Width)
        {
            return text;
        }

        if (!spec.ZeroPad)
        {
            return text.PadLeft(spec.Width);
        }

        int sign = text.StartsWith('-') ? 1 : 0;
        return string.Concat(text.AsSpan(0, sign), new string('0', spec.Width - text.Length), text.AsSpan(sign));
    }

    // 'f': `precision` digits after the point.
    private static string Fixed(double magnitude, int precision)
    {
        var (digits, point) = Exact(magnitude);
        (digits, point) = Round(digits, point, point + precision);
        return LayOut(digits, point, precision);
    }

    // 'e': one digit, the point, `precision` digits, then e±XX.
    private static string Scientific(double magnitude, int precision, bool upper)
    {
        var (digits, exponent) = Significant(magnitude, precision + 1);
        return MantissaAndExponent(digits, exponent, alwaysPoint: precision > 0, upper);
    }

    // 'g' (and a typeless spec with a precision, which adds ".0" to an integral fixed result and switches to the
    // exponent one digit earlier): `significant` digits, fixed when -4 <= exponent < the limit, trailing zeros dropped.
    private static string General(double magnitude, int significant, bool upper, bool addDotZero)
    {
        var (digits, exponent) = Significant(magnitude, significant);
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        int limit = addDotZero ? significant - 1 : significant;
        if (exponent < -4 || exponent >= limit)
        {
            return MantissaAndExponent(digits, exponent, alwaysPoint: digits.Length > 1, upper);
        }

        string text = LayOut(digits, exponent + 1, Math.Max(digits.Length - exponent - 1, 0));
        return addDotZero && !text.Contains('.', StringComparison.Ordinal) ? text + ".0" : text;
    }

    // A typeless spec without precision: Python's repr, the shortest digits that read back as the same double (which
    // .NET's "R" gives too), fixed when -4 <= exponent < 16, with ".0" on integral values.
    private static string Repr(double magnitude)
    {
        if (magnitude == 0)
        {
            return "0.0";
        }

        // "R" gives 123.456, 0.0001 or 1.2345E-05: split off the exponent, then locate the first significant digit.
        string roundTrip = magnitude.ToString("R", CultureInfo.InvariantCulture);
        int e = roundTrip.IndexOf('E');
        string mantissa = e < 0 ? roundTrip : roundTrip[..e];
        int power = e < 0 ? 0 : int.Parse(roundTrip.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        int integerDigits = mantissa.IndexOf('.') is int dot and >= 0 ? dot : mantissa.Length;
        string all = mantissa.Replace(".", string.Empty, StringComparison.Ordinal);
        string digits = all.TrimStart('0');
        int exponent = integerDigits - (all.Length - digits.Length) + power - 1;
        digits = digits.TrimEnd('0');
        if (exponent < -4 || exponent >= 16)
        {
            return MantissaAndExponent(digits, exponent, alwaysPoint: digits.Length > 1, upper: false);
        }

        string text = LayOut(digits, exponent + 1, Math.Max(digits.Length - exponent - 1, 0));
        return text.Contains('.', StringComparison.Ordinal) ? text : text + ".0";
    }

    private static string MantissaAndExponent(string digits, int exponent, bool alwaysPoint, bool upper)
    {
        var text = new StringBuilder();
        text.Append(digits[0]);
        if (alwaysPoint)
        {
            text.Append('.').Append(digits, 1, digits.Length - 1);
        }

        text.Append(upper ? 'E' : 'e').Append(exponent < 0 ? '-' : '+').Append(Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture));
        return text.ToString();
    }

    // The first `count` significant digits of `magnitude`, rounded, and the decimal exponent of the first one.
    private static (string Digits, int Exponent) Significant(double magnitude, int count)
    {
        if (magnitude == 0)
        {
            return (new string('0', count), 0);
        }

        var (digits, point) = Exact(magnitude);
        (digits, point) = Round(digits, point, count);
        return (digits[..count], point - 1);
    }

    // `digits` (the value is 0.digits × 10^point) written with `decimals` digits after the point.
    private static string LayOut(string digits, int point, int decimals)
    {
        var text = new StringBuilder();
        if (point <= 0)
        {
            text.Append('0');
        }

        for (int i = 0; i < point; i++)
        {
            text.Append(i < digits.Length ? digits[i] : '0');
        }

        if (decimals > 0)
        {
            text.Append('.');
            for (int i = point; i < point + decimals; i++)
            {
                text.Append(i >= 0 && i < digits.Length ? digits[i] : '0');
            }
        }

        return text.ToString();
    }

    // The exact decimal expansion of a finite non-negative double: value = 0.digits × 10^point, digits without leading
    // zeros ("0" and point 1 for zero). A double is m × 2^e; for e < 0 that is m × 5^-e / 10^-e, exactly.
    private static (string Digits, int Point) Exact(double magnitude)
    {
        if (magnitude == 0)
        {
            return ("0", 1);
        }

        long bits = BitConverter.DoubleToInt64Bits(magnitude);
        int biased = (int)(bits >> 52) & 0x7FF;
        long fraction = bits & 0xF_FFFF_FFFF_FFFFL;
        long mantissa = biased == 0 ? fraction : fraction | (1L << 52);
        int exponent = (biased == 0 ? 1 : biased) - 1075;
        BigInteger integer = exponent >= 0 ? new BigInteger(mantissa) << exponent : mantissa * BigInteger.Pow(5, -exponent);
        string digits = integer.ToString(CultureInfo.InvariantCulture);
        int scale = Math.Max(-exponent, 0);
        return (digits, digits.Length - scale);
    }

    // Keeps the first `keep` digits of 0.digits × 10^point, rounding half to even on everything after them (an exact
    // value, so a tie is a true tie); the result has at least `keep` digits (zero-padded) and may gain one on a carry.
    private static (string Digits, int Point) Round(string digits, int point, int keep)
    {
        // A leading zero absorbs a carry (9.99 -> 10.0) and lets keep == 0 round up to one unit.
        digits = "0" + digits;
        point++;
        keep++;
        if (keep <= 0)
        {
            return (new string('0', Math.Max(keep, 1)), point);
        }

        char[] kept = new char[Math.Max(keep, 1)];
        for (int i = 0; i < kept.Length; i++)
        {
            kept[i] = i < digits.Length ? digits[i] : '0';
        }

        bool up = false;
        if (keep < digits.Length)
        {
            char next = digits[keep];
            bool restNonZero = digits.AsSpan(keep + 1).ContainsAnyExcept('0');
            up = next > '5' || (next == '5' && (restNonZero || (kept[^1] - '0') % 2 == 1));
        }

        for (int i = kept.Length - 1; up && i >= 0; i--)
        {
            up = kept[i] == '9';
            kept[i] = up ? '0' : (char)(kept[i] + 1);
        }

        string result = new(kept);
        return result[0] == '0' && result.Length > 1 ? (result[1..], point - 1) : (result, point);
    }

    [GeneratedRegex(@"^(?<zero>0)?(?<width>[0-9]+)?(?:\.(?<precision>[0-9]+))?(?<type>[dfFeEgG%])?$")]
    private static partial Regex Grammar();
}
