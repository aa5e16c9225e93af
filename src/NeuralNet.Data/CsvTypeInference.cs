using nietras.SeparatedValues;

namespace NeuralNet.Data;

/// <summary>
/// What type inference decided: the chosen columns it made categorical and numeric, and the number of data rows it
/// looked at when it stopped before the end of the input (null when it saw every row, or stopped because every
/// undecided column had shown text).
/// </summary>
internal sealed record CsvInference(IReadOnlyList<string> Categorical, IReadOnlySet<string> Numeric, int? PrefixRows);

/// <summary>
/// <see cref="CsvReadOptions.InferColumnTypes"/>: a pass over the rows (all of them, or a prefix) that decides which
/// chosen columns are categorical, turned into options the ordinary read then follows with every type given.
/// </summary>
internal static class CsvTypeInference
{
    /// <summary>
    /// The options with the inferred categorical columns added, or <paramref name="options"/> itself when nothing is to
    /// be inferred. Reads the rows of <paramref name="open"/>'s reader, up to <paramref name="maxRows"/> (null: all).
    /// </summary>
    /// <exception cref="ArgumentException">An option names a column the input does not have.</exception>
    /// <exception cref="InvalidDataException">The input is empty, or a row read has the wrong number of fields or an unclosed quote.</exception>
    public static CsvReadOptions Resolve(Func<TextReader> open, CsvReadOptions options, string source, int? maxRows, CancellationToken cancellationToken)
    {
        if (!options.InferColumnTypes)
        {
            return options;
        }

        using SepReader reader = CsvReading.Open(open, options);
        CsvSchema schema = CsvReading.ReadSchema(reader, options, source);
        var categorical = new List<string>();
        var undecided = new List<CsvColumn>();
        foreach (CsvColumn column in schema.Columns.Where(c => c.Vocabulary is null))
        {
            // A default that is no number says the column holds text, as TF's column_defaults give the types.
            bool textDefault = options.ColumnDefaults is not null && options.ColumnDefaults.TryGetValue(column.Name, out string? text)
                && !CsvOptionsCheck.TryParseDefaultNumber(text, out _);
            if (textDefault)
            {
                categorical.Add(column.Name);
            }
            else
            {
                undecided.Add(column);
            }
        }

        bool[] holdsText = new bool[undecided.Count];
        int? prefix = undecided.Count > 0 ? FindText(reader, schema, undecided, holdsText, maxRows, cancellationToken) : null;
        var numeric = new HashSet<string>(StringComparer.Ordinal);
        for (int j = 0; j < undecided.Count; j++)
        {
            (holdsText[j] ? (ICollection<string>)categorical : numeric).Add(undecided[j].Name);
        }

        return options.WithInferredTypes(new CsvInference(categorical, numeric, prefix));
    }

    /// <summary>
    /// Marks in <paramref name="holdsText"/> the columns with a field that is neither missing nor a number, reading up to
    /// <paramref name="maxRows"/> data rows (null: all) and stopping early once every column holds text. Returns the rows
    /// read when it stopped at <paramref name="maxRows"/> with a column still numeric, null otherwise.
    /// </summary>
    private static int? FindText(SepReader reader, CsvSchema schema, List<CsvColumn> columns, bool[] holdsText, int? maxRows, CancellationToken cancellationToken)
    {
        int dataRow = 0;
        int numeric = columns.Count;
        while (numeric > 0)
        {
            if (dataRow == maxRows)
            {
                // Whether rows follow is not known without reading one more; the message about a later text only needs the count.
                return dataRow;
            }

            if (!CsvReading.NextDataRow(reader, schema, ref dataRow, cancellationToken))
            {
                break;
            }

            SepReader.Row row = reader.Current;
            for (int j = 0; j < columns.Count; j++)
            {
                ReadOnlySpan<char> text = row[columns[j].SourceIndex].Span;
                if (!holdsText[j] && !schema.Markers.IsMissing(text) && !CsvReading.IsNumberText(text))
                {
                    holdsText[j] = true;
                    numeric--;
                }
            }
        }

        return null;
    }
}
