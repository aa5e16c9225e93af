namespace NeuralNet.Data;

/// <summary>One chosen CSV column: where it is in the file, whether it is a label, and how it is encoded.</summary>
internal sealed class CsvColumn
{
    public CsvColumn(string name, int sourceIndex, bool isLabel, CategoricalEncoding? encoding, CsvVocabulary? vocabulary, float? numberDefault = null, string? categoryDefault = null, bool inferredNumeric = false, CsvUndecided? undecided = null)
    {
        Undecided = undecided;
        InferredNumeric = inferredNumeric;
        NumberDefault = numberDefault;
        CategoryDefault = categoryDefault;
        Name = name;
        SourceIndex = sourceIndex;
        IsLabel = isLabel;
        Encoding = encoding;
        Vocabulary = vocabulary;
    }

    /// <summary>The column's name.</summary>
    public string Name { get; }

    /// <summary>The column's field index in each row.</summary>
    public int SourceIndex { get; }

    /// <summary>Whether the column goes to the label tensor.</summary>
    public bool IsLabel { get; }

    /// <summary>The encoding of a categorical column; null for a numeric one.</summary>
    public CategoricalEncoding? Encoding { get; }

    /// <summary>The categories of a categorical column; null for a numeric one.</summary>
    public CsvVocabulary? Vocabulary { get; }

    /// <summary>What a missing value of a numeric column reads as (its default, or NaN); null when a missing value is an error.</summary>
    public float? NumberDefault { get; }

    /// <summary>Whether the column is numeric because type inference found only numbers in it.</summary>
    public bool InferredNumeric { get; }

    /// <summary>
    /// While a pass over every row infers the column's type (<see cref="CsvTypeInference"/>): what the pass has seen of
    /// it, the column being read as numeric meanwhile; null otherwise, and in every read into tensors.
    /// </summary>
    public CsvUndecided? Undecided { get; }

    /// <summary>The category a missing value of a categorical column takes; null when a missing value is an error.</summary>
    public string? CategoryDefault { get; }

    /// <summary>The number of tensor columns this column fills (its vocabulary must be sealed when one-hot).</summary>
    public int Width => Encoding == CategoricalEncoding.OneHot ? Vocabulary!.Values.Count : 1;

    /// <summary>The names of the tensor columns this column fills.</summary>
    public IEnumerable<string> TensorColumnNames() =>
        Encoding == CategoricalEncoding.OneHot ? Vocabulary!.Values.Select(v => $"{Name}={v}") : [Name];
}

/// <summary>
/// What a pass that infers types while it collects vocabularies has seen of a column not yet typed: whether it held text,
/// and its distinct values (numbers included), so that a column found to hold text needs no pass of its own to collect
/// its categories, unless it had more than <see cref="MaxValues"/> of them.
/// </summary>
internal sealed class CsvUndecided
{
    /// <summary>The distinct values kept per column; beyond them (a numeric column with many values) they are dropped.</summary>
    public const int MaxValues = 1 << 16;

    /// <param name="defaultText">The column's default, a category if the column holds text (as for a listed column).</param>
    public CsvUndecided(string? defaultText)
    {
        if (defaultText is not null)
        {
            Values!.GetOrAdd(defaultText);
        }
    }

    /// <summary>Whether a field held text that is no number.</summary>
    public bool HoldsText { get; private set; }

    /// <summary>The distinct values seen, as an open vocabulary; null once there were more than <see cref="MaxValues"/>.</summary>
    public CsvVocabulary? Values { get; private set; } = new(null);

    /// <summary>Notes a field that is not missing; <paramref name="isText"/> when it is no number.</summary>
    public void Add(ReadOnlySpan<char> text, bool isText)
    {
        HoldsText |= isText;
        if (Values is null)
        {
            return;
        }

        if (Values.Values.Count >= MaxValues)
        {
            Values = null;
            return;
        }

        Values.GetOrAdd(text.ToString());
    }
}
