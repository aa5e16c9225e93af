using System.Globalization;

namespace NeuralNet.Data;

/// <summary>
/// How a CSV file writes its numbers: the decimal mark and an optional thousands separator
/// (<see cref="CsvReadOptions.Decimal"/>, <see cref="CsvReadOptions.Thousands"/>, pandas' <c>decimal</c> and
/// <c>thousands</c>), otherwise the invariant culture. Fields, defaults and type inference all read numbers through it.
/// </summary>
internal sealed class CsvNumberFormat
{
    private static readonly CsvNumberFormat s_invariant = new(NumberStyles.Float, CultureInfo.InvariantCulture.NumberFormat);

    private readonly NumberStyles _style;
    private readonly NumberFormatInfo _format;

    private CsvNumberFormat(NumberStyles style, NumberFormatInfo format)
    {
        _style = style;
        _format = format;
    }

    /// <summary>Whether numbers are written as the invariant culture writes them (a '.' mark, no thousands separator).</summary>
    public bool IsInvariant => ReferenceEquals(this, s_invariant);

    /// <summary>The decimal mark, for messages.</summary>
    public string DecimalMark => _format.NumberDecimalSeparator;

    /// <summary>The format the options ask for (validated by <see cref="CsvOptionsCheck"/>).</summary>
    public static CsvNumberFormat From(CsvReadOptions options)
    {
        if (options.Decimal == '.' && options.Thousands is null)
        {
            return s_invariant;
        }

        var format = (NumberFormatInfo)CultureInfo.InvariantCulture.NumberFormat.Clone();
        format.NumberDecimalSeparator = options.Decimal.ToString();
        // With no thousands separator, the group separator must still differ from the decimal mark, or .NET would take
        // "1,5" for fifteen; AllowThousands is off then anyway.
        format.NumberGroupSeparator = options.Thousands is char thousands ? thousands.ToString() : "\u0000";
        NumberStyles style = options.Thousands is null ? NumberStyles.Float : NumberStyles.Float | NumberStyles.AllowThousands;
        return new CsvNumberFormat(style, NumberFormatInfo.ReadOnly(format));
    }

    /// <summary>
    /// Whether <paramref name="text"/> is written as a number in this format, finite or not: what type inference counts
    /// as numeric, and what the numeric read reports as a bad number rather than as text.
    /// </summary>
    public bool IsNumber(ReadOnlySpan<char> text) => double.TryParse(text, _style, _format, out _);

    /// <summary>Parses <paramref name="text"/> as a float32 (infinite when beyond float's range).</summary>
    public bool TryParse(ReadOnlySpan<char> text, out float value) => float.TryParse(text, _style, _format, out value);

    /// <summary>Whether <paramref name="text"/>, a number in this format, is a NaN.</summary>
    public bool IsNaN(ReadOnlySpan<char> text) => double.TryParse(text, _style, _format, out double value) && double.IsNaN(value);
}
