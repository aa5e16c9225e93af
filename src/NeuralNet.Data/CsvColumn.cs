namespace NeuralNet.Data;

/// <summary>One chosen CSV column: where it is in the file, whether it is a label, and how it is encoded.</summary>
internal sealed class CsvColumn
{
    public CsvColumn(string name, int sourceIndex, bool isLabel, CategoricalEncoding? encoding, CsvVocabulary? vocabulary, float? numberDefault = null, string? categoryDefault = null, bool inferredNumeric = false)
    {
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

    /// <summary>The category a missing value of a categorical column takes; null when a missing value is an error.</summary>
    public string? CategoryDefault { get; }

    /// <summary>The number of tensor columns this column fills (its vocabulary must be sealed when one-hot).</summary>
    public int Width => Encoding == CategoricalEncoding.OneHot ? Vocabulary!.Values.Count : 1;

    /// <summary>The names of the tensor columns this column fills.</summary>
    public IEnumerable<string> TensorColumnNames() =>
        Encoding == CategoricalEncoding.OneHot ? Vocabulary!.Values.Select(v => $"{Name}={v}") : [Name];
}
