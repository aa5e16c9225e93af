using System.Globalization;

namespace NeuralNet.Preprocessing;

/// <summary>Rows of strings (one per sample, all of one length) flattened for the string preprocessors.</summary>
internal static class StringRows
{
    /// <summary>
    /// The rows' strings in row order, the number of rows and their common length; throws naming the row when one is
    /// null or differs in length, or when the rows are empty. <paramref name="what"/> names the strings in messages.
    /// </summary>
    public static (string[] Flat, int Rows, int Length) Flatten(IEnumerable<IReadOnlyList<string>> rows, string what)
    {
        ArgumentNullException.ThrowIfNull(rows);
        IReadOnlyList<string>[] all = [.. rows];
        int length = all.Length == 0 ? 0 : (all[0] ?? throw new ArgumentNullException(nameof(rows), "Row 0 is null.")).Count;
        var flat = new string[all.Length * length];
        for (int r = 0; r < all.Length; r++)
        {
            IReadOnlyList<string> row = all[r] ?? throw new ArgumentNullException(nameof(rows), string.Create(CultureInfo.InvariantCulture, $"Row {r} is null."));
            if (row.Count != length || length == 0)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Every row must hold the same, non-zero number of {what}, but row 0 has {length} and row {r} has {row.Count}."), nameof(rows));
            }

            for (int k = 0; k < length; k++)
            {
                flat[(r * length) + k] = row[k];
            }
        }

        return (flat, all.Length, length);
    }
}
