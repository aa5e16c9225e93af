namespace NeuralNet.Data;

/// <summary>
/// The texts that mark a missing value besides a blank field: <see cref="CsvReadOptions.NaValue"/>,
/// <see cref="CsvReadOptions.NaValues"/> and, under <see cref="CsvReadOptions.UsePandasNaValues"/>, pandas' default set.
/// Matched ordinally and untrimmed, as TF and pandas compare them.
/// </summary>
internal sealed class CsvMissingMarkers
{
    /// <summary>
    /// pandas' default missing-value markers without the empty string (blank fields are always missing here):
    /// <c>STR_NA_VALUES</c> in pandas/_libs/parsers.pyx (pandas 2.x, which added "None"), used by <c>read_csv</c> while
    /// <c>keep_default_na</c> is true.
    /// </summary>
    internal static readonly string[] Pandas =
    [
        "-1.#IND", "1.#QNAN", "1.#IND", "-1.#QNAN", "#N/A N/A", "#N/A", "N/A", "n/a", "NA", "<NA>", "#NA",
        "NULL", "null", "NaN", "-NaN", "nan", "-nan", "None",
    ];

    private static readonly CsvMissingMarkers s_none = new("", [], usePandas: false);

    // Markers bucketed by length: most fields (numbers, categories) have a length no marker has and are passed over
    // with one array read, so a long marker list costs a field little more than no list; never allocates.
    private readonly string[]?[] _byLength;
    private readonly string _naValue;
    private readonly HashSet<string> _listed;

    private CsvMissingMarkers(string naValue, IReadOnlyList<string> naValues, bool usePandas)
    {
        _naValue = naValue;
        _listed = new HashSet<string>(naValues.Where(m => m.Length > 0), StringComparer.Ordinal);
        var all = new HashSet<string>(_listed, StringComparer.Ordinal);
        if (naValue.Length > 0)
        {
            all.Add(naValue);
        }

        if (usePandas)
        {
            all.UnionWith(Pandas);
        }

        int longest = all.Count == 0 ? -1 : all.Max(m => m.Length);
        _byLength = new string[]?[longest + 1];
        foreach (IGrouping<int, string> group in all.GroupBy(m => m.Length))
        {
            _byLength[group.Key] = [.. group.Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>The markers the options ask for.</summary>
    public static CsvMissingMarkers From(CsvReadOptions options) =>
        options.NaValue.Length == 0 && options.NaValues.Count == 0 && !options.UsePandasNaValues
            ? s_none
            : new CsvMissingMarkers(options.NaValue, options.NaValues, options.UsePandasNaValues);

    /// <summary>Whether <paramref name="text"/> is a missing value: blank (quoted or not, as TF and pandas read <c>""</c>) or a marker.</summary>
    public bool IsMissing(ReadOnlySpan<char> text) => text.IsWhiteSpace() || IsMarker(text);

    /// <summary>Whether <paramref name="text"/> is exactly one of the markers.</summary>
    public bool IsMarker(ReadOnlySpan<char> text)
    {
        if (text.Length >= _byLength.Length || _byLength[text.Length] is not string[] bucket)
        {
            return false;
        }

        foreach (string marker in bucket)
        {
            if (text.SequenceEqual(marker))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="text"/> is one of the markers (for the options' checks).</summary>
    public bool IsMarker(string text) => IsMarker(text.AsSpan());

    /// <summary>Which option made <paramref name="text"/> (a marker) a missing value.</summary>
    public CsvMarkerOrigin Origin(ReadOnlySpan<char> text) =>
        _naValue.Length > 0 && text.SequenceEqual(_naValue) ? CsvMarkerOrigin.NaValue
        : _listed.Contains(text.ToString()) ? CsvMarkerOrigin.NaValues
        : CsvMarkerOrigin.Pandas;

    /// <summary>The option <paramref name="origin"/> stands for, in messages: "the NaValue".</summary>
    public static string Describe(CsvMarkerOrigin origin) => origin switch
    {
        CsvMarkerOrigin.NaValue => "the NaValue",
        CsvMarkerOrigin.NaValues => "one of the NaValues",
        _ => "a pandas marker under UsePandasNaValues",
    };
}

/// <summary>The option that makes a text a missing-value marker (the first that does, in this order).</summary>
internal enum CsvMarkerOrigin
{
    /// <summary><see cref="CsvReadOptions.NaValue"/>.</summary>
    NaValue,

    /// <summary><see cref="CsvReadOptions.NaValues"/>.</summary>
    NaValues,

    /// <summary>pandas' default set, under <see cref="CsvReadOptions.UsePandasNaValues"/>.</summary>
    Pandas,
}
