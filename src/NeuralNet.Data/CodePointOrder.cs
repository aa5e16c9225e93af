namespace NeuralNet.Data;

/// <summary>
/// Orders strings by Unicode code point, as Python's <c>sorted</c> orders the names Keras lists. An ordinal comparison
/// of UTF-16 code units differs only where a character above U+FFFF (a surrogate pair) meets one in U+E000..U+FFFF.
/// </summary>
internal sealed class CodePointOrder : IComparer<string>
{
    public static readonly CodePointOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        int length = Math.Min(x.Length, y.Length);
        for (int i = 0; i < length; i++)
        {
            if (x[i] != y[i])
            {
                return Fixup(x[i]).CompareTo(Fixup(y[i]));
            }
        }

        return x.Length.CompareTo(y.Length);
    }

    // Moves surrogates (D800..DFFF) above E000..FFFF, so UTF-16 units sort as the code points they encode.
    private static int Fixup(char c) => c < 0xD800 ? c : c >= 0xE000 ? c - 0x800 : c + 0x2000;
}
