namespace NeuralNet.Data;

/// <summary>
/// Builds the <see cref="InvalidDataException"/>s for bad CSV data. The message names the source, the line, the data
/// row, the column and the text found; the same facts are in <see cref="Exception.Data"/> under the keys below.
/// </summary>
internal static class CsvErrors
{
    public const string FileKey = "FileName";
    public const string LineKey = "Line";
    public const string RowKey = "Row";
    public const string ColumnKey = "Column";
    public const string TextKey = "Text";

    private const int MaxShownText = 100;
    private const int MaxShownCategories = 10;

    /// <summary>A malformed value in one cell (a blank one is reported as missing).</summary>
    public static InvalidDataException Value(string source, int line, int row, string column, ReadOnlySpan<char> text, string expected)
    {
        string found = text.IsWhiteSpace() ? "the value is missing" : $"found '{Shown(text)}'";
        return WithFacts(new InvalidDataException($"{source}: line {line} (data row {row}), column '{column}': {found}; expected {expected}."), source, line, row, column, text);
    }

    private static InvalidDataException WithFacts(InvalidDataException ex, string source, int line, int row, string column, ReadOnlySpan<char> text)
    {
        ex.Data[FileKey] = source;
        ex.Data[LineKey] = line;
        ex.Data[RowKey] = row;
        ex.Data[ColumnKey] = column;
        ex.Data[TextKey] = text.ToString();
        return ex;
    }

    private static string Shown(ReadOnlySpan<char> text) =>
        text.Length > MaxShownText ? string.Concat(text[..MaxShownText], "...") : text.ToString();

    /// <summary>
    /// A missing value (a blank field, or a marker) in a column without a default: "the value is missing", or "the value
    /// is missing ('NA', the NaValue)" when the field holds a marker, naming the option that made it one.
    /// </summary>
    public static InvalidDataException Missing(string source, int line, int row, string column, ReadOnlySpan<char> text, CsvMissingMarkers markers, string expected)
    {
        string found = !text.IsWhiteSpace() && markers.IsMarker(text)
            ? $"the value is missing ('{Shown(text)}', {CsvMissingMarkers.Describe(markers.Origin(text))})"
            : "the value is missing";
        return WithFacts(new InvalidDataException($"{source}: line {line} (data row {row}), column '{column}': {found}; expected {expected}."), source, line, row, column, text);
    }

    /// <summary>A row with another number of fields than the column names.</summary>
    public static InvalidDataException FieldCount(string source, int line, int row, int found, int expected)
    {
        var ex = new InvalidDataException($"{source}: line {line} (data row {row}) has {found} field{(found == 1 ? "" : "s")}; expected {expected}, one per column name.");
        ex.Data[FileKey] = source;
        ex.Data[LineKey] = line;
        ex.Data[RowKey] = row;
        return ex;
    }

    /// <summary>A quote in the row starting on <paramref name="line"/> that is never closed, so the rest of the input was read into the row (data row 0: the header).</summary>
    public static InvalidDataException UnclosedQuote(string source, int line, int row)
    {
        string where = row == 0 ? $"line {line} (the header)" : $"line {line} (data row {row})";
        var ex = new InvalidDataException($"{source}: {where} opens a quote that is never closed, so the rest of the input was read into that row; expected a closing quote (a quote inside a field is written twice, in a quoted field: \"say \"\"hi\"\"\").");
        ex.Data[FileKey] = source;
        ex.Data[LineKey] = line;
        if (row > 0)
        {
            ex.Data[RowKey] = row;
        }

        return ex;
    }

    /// <summary>What a categorical cell of a fixed vocabulary may hold, for <see cref="Value"/>: "one of the categories 'a', 'b'".</summary>
    public static string ExpectedCategory(IReadOnlyList<string> values) =>
        "one of the categories " + string.Join(", ", values.Take(MaxShownCategories).Select(v => $"'{v}'")) +
        (values.Count > MaxShownCategories ? $" (and {values.Count - MaxShownCategories} more)" : "");
}
