using nietras.SeparatedValues;

namespace NeuralNet.Data;

/// <summary>
/// What type inference decided: the chosen columns it made categorical and numeric, and the number of data rows it
/// looked at when it stopped before the end of the input (null when it saw every row, or stopped because every
/// undecided column had shown text).
/// </summary>
internal sealed record CsvInference(IReadOnlyList<string> Categorical, IReadOnlySet<string> Numeric, int? PrefixRows);

/// <summary>
/// <see cref="CsvReadOptions.InferColumnTypes"/>: decides which chosen columns are categorical, from a pass over the
/// rows (all of them, or a prefix) or from a pass that collects vocabularies at the same time, and turns the result into
/// options the ordinary read then follows with every type given.
/// </summary>
internal static class CsvTypeInference
{
    /// <summary>
    /// Whether, under inference, <paramref name="name"/> is declared categorical without being listed in
    /// <see cref="CsvReadOptions.CategoricalColumns"/>: it has a vocabulary in <see cref="CsvReadOptions.Vocabularies"/>,
    /// or a default in <see cref="CsvReadOptions.ColumnDefaults"/> that is not written as a number (TF's
    /// <c>column_defaults</c> give the columns' types). A default written as a number that is refused (1e39, Infinity) is
    /// a numeric column's bad default, not a category.
    /// </summary>
    public static bool DeclaresCategorical(CsvReadOptions options, string name) =>
        options.InferColumnTypes
        && ((options.Vocabularies is not null && options.Vocabularies.ContainsKey(name))
            || (options.ColumnDefaults is not null && options.ColumnDefaults.TryGetValue(name, out string? text) && text is not null && !options.Numbers.IsNumber(text)));

    /// <summary>
    /// The options with the columns <see cref="DeclaresCategorical"/> added to <see cref="CsvReadOptions.CategoricalColumns"/>,
    /// inference left on for the others.
    /// </summary>
    public static CsvReadOptions Declare(CsvReadOptions options)
    {
        IEnumerable<string> named = [.. options.Vocabularies?.Keys ?? [], .. options.ColumnDefaults?.Keys ?? []];
        string[] declared = [.. named.Where(n => !options.CategoricalColumns.Contains(n) && DeclaresCategorical(options, n))];
        return declared.Length == 0 ? options : options.WithCategorical(declared);
    }

    /// <summary>
    /// The options with the inferred categorical columns added, or <paramref name="options"/> itself when nothing is to
    /// be inferred. Reads the rows of <paramref name="open"/>'s reader, up to <paramref name="maxRows"/> (null: all).
    /// </summary>
    /// <exception cref="ArgumentException">An option names a column the input does not have.</exception>
    /// <exception cref="InvalidDataException">The input is empty, a row read has the wrong number of fields or an unclosed quote, or a name the header repeats holds text.</exception>
    public static CsvReadOptions Resolve(Func<TextReader> open, CsvReadOptions options, string source, int? maxRows, CancellationToken cancellationToken)
    {
        if (!options.InferColumnTypes)
        {
            return options;
        }

        options = Declare(options);
        using SepReader reader = CsvReading.Open(open, options);
        CsvSchema schema = CsvReading.ReadSchema(reader, options, source);
        List<CsvColumn> undecided = [.. schema.Columns.Where(c => c.Vocabulary is null)];
        bool[] holdsText = new bool[undecided.Count];
        int? prefix = undecided.Count > 0 ? FindText(reader, schema, undecided, holdsText, maxRows, cancellationToken) : null;
        return Decide(schema, options, undecided, j => holdsText[j], prefix);
    }

    /// <summary>
    /// After a pass of <see cref="CsvReading.ReadRows"/> over every row with <paramref name="options"/> still inferring
    /// (its undecided columns noted in <see cref="CsvColumn.Undecided"/>): the options with the types decided, and the
    /// vocabularies collected, those of the columns found to hold text among them when they were few enough to keep.
    /// </summary>
    /// <exception cref="InvalidDataException">A name the header repeats holds text.</exception>
    public static CsvReadOptions DecideAfterPass(CsvSchema schema, CsvReadOptions options, Dictionary<string, IReadOnlyList<string>> vocabularies)
    {
        List<CsvColumn> undecided = [.. schema.Columns.Where(c => c.Undecided is not null)];
        foreach (CsvColumn column in undecided)
        {
            if (column.Undecided!.HoldsText && column.Undecided.Values is CsvVocabulary values)
            {
                values.Seal();
                vocabularies[column.Name] = [.. values.Values];
            }
        }

        return Decide(schema, options.WithVocabularies(vocabularies), undecided, j => undecided[j].Undecided!.HoldsText, prefix: null);
    }

    /// <summary>The options with the <paramref name="undecided"/> columns that hold text categorical, the others numeric.</summary>
    private static CsvReadOptions Decide(CsvSchema schema, CsvReadOptions options, List<CsvColumn> undecided, Func<int, bool> holdsText, int? prefix)
    {
        var categorical = new List<string>();
        var numeric = new HashSet<string>(StringComparer.Ordinal);
        for (int j = 0; j < undecided.Count; j++)
        {
            string name = undecided[j].Name;
            if (!holdsText(j))
            {
                numeric.Add(name);
                continue;
            }

            int first = IndexOf(schema.Names, name, 0);
            int second = IndexOf(schema.Names, name, first + 1);
            if (second >= 0)
            {
                // Types are given by name, so both columns would become categorical, as the user never asked.
                throw new InvalidDataException($"{schema.Source}: the column names hold '{name}' twice (fields {first + 1} and {second + 1}), and InferColumnTypes found text in it; expected each name once, since the inferred types are given by name (rename a column, or give ColumnNames).");
            }

            categorical.Add(name);
        }

        return options.WithInferredTypes(new CsvInference(categorical, numeric, prefix));
    }

    private static int IndexOf(IReadOnlyList<string> names, string name, int start)
    {
        for (int i = start; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
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
                if (!holdsText[j] && !schema.Markers.IsMissing(text) && !schema.Numbers.IsNumber(text))
                {
                    holdsText[j] = true;
                    numeric--;
                }
            }
        }

        return null;
    }
}
