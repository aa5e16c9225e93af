using System.Globalization;
using nietras.SeparatedValues;

namespace NeuralNet.Data;

/// <summary>The parsing loop on Sep: opens a reader, resolves the schema from its column names, reads rows into a buffer.</summary>
internal static class CsvReading
{
    /// <summary>
    /// Opens a Sep reader on <paramref name="reader"/> (which the returned reader disposes). The header is read as a row
    /// by <see cref="ReadSchema"/> rather than by Sep, which rejects any repeated name; here only a repeated name the
    /// options choose is an error.
    /// </summary>
    public static SepReader Open(TextReader reader, CsvReadOptions options) =>
        new SepReaderOptions(new Sep(options.Separator))
        {
            HasHeader = false,
            Unescape = true,
            // Rows are checked here, to name the line and the expected count in the library's own words.
            DisableColCountCheck = true,
            CultureInfo = CultureInfo.InvariantCulture,
        }.From(reader);

    /// <summary>
    /// Opens a Sep reader on the reader <paramref name="open"/> makes, which the returned reader disposes; if the parser
    /// cannot be opened, the reader is disposed here (a file would otherwise stay open until finalized).
    /// </summary>
    public static SepReader Open(Func<TextReader> open, CsvReadOptions options)
    {
        TextReader text = open();
        try
        {
            return Open(text, options);
        }
        catch
        {
            text.Dispose();
            throw;
        }
    }

    /// <summary>Resolves the options against the column names (the header's, or the options').</summary>
    /// <exception cref="InvalidDataException">The file is empty, or the header and the names given disagree.</exception>
    public static CsvSchema ReadSchema(SepReader reader, CsvReadOptions options, string source)
    {
        IReadOnlyList<string> names;
        if (options.HasHeader)
        {
            // Blank lines are skipped before the header as between rows.
            int headerLine = 0;
            do
            {
                if (!reader.MoveNext())
                {
                    throw new InvalidDataException($"{source} is empty; expected a header line with the column names, then the data rows.");
                }

                headerLine++;
            }
            while (IsBlank(reader.Current));

            SepReader.Row row = reader.Current;
            // Counted here: Sep's LineNumberFrom of a first row that ends inside quotes is not its first line.
            CheckQuotesClosed(row, source, headerLine, dataRow: 0);
            string[] header = new string[row.ColCount];
            for (int i = 0; i < header.Length; i++)
            {
                header[i] = row[i].ToString();
            }

            if (options.ColumnNames is not null && options.ColumnNames.Count != header.Length)
            {
                throw new InvalidDataException($"{source}: the header has {header.Length} fields but ColumnNames gives {options.ColumnNames.Count} names; expected one name per field.");
            }

            names = options.ColumnNames ?? header;
        }
        else
        {
            names = options.ColumnNames!;
        }

        return CsvSchema.Resolve(source, names, options);
    }

    /// <summary>
    /// Reads up to <paramref name="maxRows"/> data rows into <paramref name="buffer"/>, skipping blank lines;
    /// <paramref name="dataRow"/> counts the data rows read so far. Returns the number of rows read (0 at the end).
    /// </summary>
    /// <exception cref="InvalidDataException">A row has the wrong number of fields, or a value is missing or malformed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static int ReadRows(SepReader reader, CsvSchema schema, CsvRowBuffer buffer, int maxRows, ref int dataRow, CancellationToken cancellationToken)
    {
        CsvColumn[] columns = schema.Columns;
        int read = 0;
        while (read < maxRows && NextDataRow(reader, schema, ref dataRow, cancellationToken))
        {
            read++;
            SepReader.Row row = reader.Current;
            int line = row.LineNumberFrom;
            Span<float> values = buffer.AddRow(schema.Source);
            for (int j = 0; j < columns.Length; j++)
            {
                CsvColumn column = columns[j];
                ReadOnlySpan<char> text = row[column.SourceIndex].Span;
                if (schema.Markers.IsMissing(text))
                {
                    values[j] = Default(text, schema, line, dataRow, column);
                    continue;
                }

                values[j] = column.Vocabulary is null
                    ? ParseNumber(text, schema, line, dataRow, column)
                    : CategoryId(text, schema.Source, line, dataRow, column);
            }
        }

        return read;
    }

    /// <summary>
    /// Moves <paramref name="reader"/> to the next data row, skipping blank lines, and checks its quotes and field count;
    /// <paramref name="dataRow"/> counts the data rows. False at the end of the input.
    /// </summary>
    /// <exception cref="InvalidDataException">The row has the wrong number of fields, or opens a quote it never closes.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static bool NextDataRow(SepReader reader, CsvSchema schema, ref int dataRow, CancellationToken cancellationToken)
    {
        while (reader.MoveNext())
        {
            cancellationToken.ThrowIfCancellationRequested();
            SepReader.Row row = reader.Current;
            if (IsBlank(row))
            {
                continue;
            }

            dataRow++;
            int line = row.LineNumberFrom;
            CheckQuotesClosed(row, schema.Source, line, dataRow);
            if (row.ColCount != schema.Names.Count)
            {
                throw CsvErrors.FieldCount(schema.Source, line, dataRow, row.ColCount, schema.Names.Count);
            }

            return true;
        }

        return false;
    }

    /// <summary>
    /// Throws when <paramref name="row"/> ends inside a quoted field, which Sep allows only at the end of the input: a
    /// quote was never closed and the rest of the input became part of this row. (A row that ends at a line break has an
    /// even number of quotes in its raw text, escaped quotes being doubled.)
    /// </summary>
    private static void CheckQuotesClosed(SepReader.Row row, string source, int line, int dataRow)
    {
        ReadOnlySpan<char> text = row.Span;
        if (!text.Contains('"') || text.Count('"') % 2 == 0)
        {
            return;
        }

        throw CsvErrors.UnclosedQuote(source, line, dataRow);
    }

    /// <summary>
    /// Whether <paramref name="row"/> is a blank line: not a one-column row holding a quoted empty value (<c>""</c>
    /// unescapes to nothing, but is a missing value to report; the row's raw text keeps the quotes).
    /// </summary>
    private static bool IsBlank(SepReader.Row row) => row.ColCount == 1 && row.Span.IsEmpty;

    /// <summary>What a missing value of <paramref name="column"/> reads as: its default, or an error naming where it is missing.</summary>
    private static float Default(ReadOnlySpan<char> text, CsvSchema schema, int line, int row, CsvColumn column)
    {
        if (column.NumberDefault is float number)
        {
            return number;
        }

        if (column.CategoryDefault is string category)
        {
            // The default is in the vocabulary: added to a collected one, checked against a fixed one.
            return column.Vocabulary!.GetOrAdd(category);
        }

        if (column.Undecided is not null)
        {
            // The column's type is not known yet, so neither is what its missing value needs: the read proper says.
            return 0;
        }

        string expected = column.Vocabulary is not null ? $"a category, or a default for '{column.Name}' in CsvReadOptions.ColumnDefaults"
            : column.IsLabel ? $"a finite number such as 1.5 or -2e-3 (invariant culture), or a default for the label '{column.Name}' in CsvReadOptions.ColumnDefaults"
            : $"a finite number such as 1.5 or -2e-3 (invariant culture), or a default for '{column.Name}' in CsvReadOptions.ColumnDefaults (or CsvReadOptions.MissingNumbersAsNaN)";
        throw CsvErrors.Missing(schema.Source, line, row, column.Name, text, schema.Markers, expected);
    }

    private static float ParseNumber(ReadOnlySpan<char> text, CsvSchema schema, int line, int row, CsvColumn column)
    {
        if (schema.Numbers.TryParse(text, out float value) && float.IsFinite(value))
        {
            column.Undecided?.Add(text, isText: false);
            return value;
        }

        if (column.Undecided is not null && !schema.Numbers.IsNumber(text))
        {
            // Text in a column whose type is being inferred: it is categorical, its values are collected meanwhile.
            column.Undecided.Add(text, isText: true);
            return 0;
        }

        throw CsvErrors.Value(schema.Source, line, row, column.Name, text, NumberExpected(text, schema, column));
    }

    /// <summary>What a numeric field should hold, with a hint at the option that reads <paramref name="text"/> when one would.</summary>
    private static string NumberExpected(ReadOnlySpan<char> text, CsvSchema schema, CsvColumn column)
    {
        string number = schema.Numbers.IsInvariant
            ? "a finite number such as 1.5 or -2e-3 (invariant culture)"
            : $"a finite number with the decimal mark '{schema.Numbers.DecimalMark}' (CsvReadOptions.Decimal) such as 1{schema.Numbers.DecimalMark}5 or -2e-3";
        if (schema.Numbers.IsNumber(text))
        {
            // NaN, infinities, values beyond float's range: a marker reads a NaN as missing.
            return schema.Numbers.IsNaN(text)
                ? $"{number}; if '{text}' marks a missing value, add it to CsvReadOptions.NaValues"
                : number;
        }

        if (!column.InferredNumeric)
        {
            if (schema.Numbers.IsInvariant && IsDecimalCommaNumber(text))
            {
                // "1,5" in a ';'-separated file: a number written with a decimal comma, which pandas reads with decimal=','.
                return schema.Separator == ','
                    ? $"{number}; if the file writes numbers with a decimal comma, set CsvReadOptions.Decimal to ',' (and Separator to ';' if that separates its fields)"
                    : $"{number}; if the file writes numbers with a decimal comma, set CsvReadOptions.Decimal to ','";
            }

            // Text that is no number at all (not "1,5") may be a category column not declared as one.
            return text.ContainsAnyExcept("0123456789+-.,eE \t")
                ? $"{number}; if '{column.Name}' holds categories, list it in CsvReadOptions.CategoricalColumns"
                : number;
        }

        string from = schema.Inference?.PrefixRows is int rows
            ? $"its first {rows} data rows (CsvReadOptions.RowsForInference)"
            : "every row when the types were inferred";
        return $"{number}, as '{column.Name}' was inferred numeric from {from}; if it holds categories, list it in CsvReadOptions.CategoricalColumns, or set RowsForInference to null to infer from every row";
    }

    /// <summary>Whether <paramref name="text"/> reads as a number once its one comma is taken for the decimal mark ("1,5", "-0,25e3").</summary>
    private static bool IsDecimalCommaNumber(ReadOnlySpan<char> text)
    {
        int comma = text.IndexOf(',');
        if (comma < 0 || text.Length > 64 || text.LastIndexOf(',') != comma || text.Contains('.'))
        {
            return false;
        }

        Span<char> withPoint = stackalloc char[text.Length];
        text.CopyTo(withPoint);
        withPoint[comma] = '.';
        return double.TryParse(withPoint, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }

    private static float CategoryId(ReadOnlySpan<char> text, string source, int line, int row, CsvColumn column)
    {
        // A blank field never gets here (IsMissing), so every text is a category.
        CsvVocabulary vocabulary = column.Vocabulary!;
        int id = vocabulary.GetOrAdd(text.ToString());
        if (id >= 0)
        {
            return id;
        }

        throw CsvErrors.Value(source, line, row, column.Name, text, vocabulary.IsFixed
            ? CsvErrors.ExpectedCategory(vocabulary.Values)
            : $"at most {CsvVocabulary.MaxCount} distinct categories per column");
    }
}
