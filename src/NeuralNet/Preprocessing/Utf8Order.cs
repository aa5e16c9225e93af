using System.Text;

namespace NeuralNet.Preprocessing;

/// <summary>Strings ordered by their UTF-8 bytes: Unicode code point order, Python's (and NumPy's byte) string order.</summary>
internal static class Utf8Order
{
    public static readonly IComparer<string> Comparer = Comparer<string>.Create(Compare);

    public static int Compare(string? a, string? b) => a is null || b is null
        ? string.CompareOrdinal(a, b)
        : Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));
}
