using System.Globalization;

namespace NeuralNet.Experiments;

internal static class Format
{
    /// <summary>An accuracy or loss with four decimals, invariant culture.</summary>
    public static string F4(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);

    /// <summary>A percentage with two decimals.</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    /// <summary>A count with thousands separators.</summary>
    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Invariant formatting for interpolated strings.</summary>
    public static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
