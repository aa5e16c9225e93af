using nietras.SeparatedValues;

namespace NeuralNet.Data;

/// <summary>
/// Reads CSV tables into feature and label tensors: numeric columns as they are, categorical (text) columns as category
/// ids or one-hot columns, the whole table at once (<see cref="Read(string, CsvReadOptions?, CancellationToken)"/>) or in
/// chunks of rows for files too large for memory (<see cref="ReadChunks(string, int, CsvReadOptions?, CancellationToken)"/>).
/// </summary>
/// <remarks>
/// Parsing is done by Sep (a fast, maintained CSV parser). A missing value (an empty field, or a marker such as
/// <see cref="CsvReadOptions.NaValue"/>) takes its column's default from <see cref="CsvReadOptions.ColumnDefaults"/>
/// (or NaN, see <see cref="CsvReadOptions.MissingNumbersAsNaN"/>). A missing value without a default, or a malformed one, stops the read with an
/// <see cref="InvalidDataException"/> naming the file, the line, the data row, the column and the text found; the same
/// facts are in <see cref="Exception.Data"/> under "FileName", "Line", "Row", "Column" and "Text".
/// </remarks>
public static class CsvTable
{
    private const string StreamSource = "CSV input";

    /// <summary>Reads a whole CSV file.</summary>
    /// <remarks>Under <see cref="CsvReadOptions.InferColumnTypes"/> the file is read twice: first to infer the column types from every row, then into tensors.</remarks>
    /// <param name="path">The CSV file (UTF-8, or the encoding its byte-order mark names).</param>
    /// <param name="options">The separator, column names and roles; null for the defaults (a header, every column a numeric feature, no labels).</param>
    /// <param name="cancellationToken">Stops the read between rows.</param>
    /// <returns>The features (rows, feature columns), the labels (rows, label columns) and what each column holds.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentException">The options are inconsistent, or name a column the file does not have.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DirectoryNotFoundException">A folder of the path does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read, or the path is a folder.</exception>
    /// <exception cref="IOException">The file cannot be read for another reason (these exceptions name the path).</exception>
    /// <exception cref="InvalidDataException">
    /// The file is empty or has no data rows; a row has another number of fields than the header; a value is missing
    /// (and its column has no default) or not a finite number; a categorical value is outside its fixed vocabulary.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static CsvData Read(string path, CsvReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        options = CsvOptionsCheck.Validate(options);
        options = CsvTypeInference.Resolve(() => new StreamReader(path), options, path, maxRows: null, cancellationToken);
        using var text = new StreamReader(path);
        return ReadAll(text, options, path, cancellationToken);
    }

    /// <summary>Reads a whole CSV table from a reader (which stays open).</summary>
    /// <param name="reader">The CSV text.</param>
    /// <param name="options">The separator, column names and roles; null for the defaults.</param>
    /// <param name="sourceName">The name of the source in error messages; "CSV input" when null.</param>
    /// <param name="cancellationToken">Stops the read between rows.</param>
    /// <returns>The features, the labels and what each column holds.</returns>
    /// <remarks>Under <see cref="CsvReadOptions.InferColumnTypes"/> the whole text is read into memory first, since the types are inferred from every row before the read proper.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> is null.</exception>
    /// <exception cref="ArgumentException">The options are inconsistent, or name a column the table does not have.</exception>
    /// <exception cref="InvalidDataException">As for <see cref="Read(string, CsvReadOptions?, CancellationToken)"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static CsvData Read(TextReader reader, CsvReadOptions? options = null, string? sourceName = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        options = CsvOptionsCheck.Validate(options);
        if (options.InferColumnTypes)
        {
            // Inference reads every row before the read proper, and a reader cannot be read twice: the text is kept.
            string text = reader.ReadToEnd();
            options = CsvTypeInference.Resolve(() => new StringReader(text), options, sourceName ?? StreamSource, maxRows: null, cancellationToken);
            return ReadAll(new StringReader(text), options, sourceName ?? StreamSource, cancellationToken);
        }

        return ReadAll(new NonClosingTextReader(reader), options, sourceName ?? StreamSource, cancellationToken);
    }

    /// <summary>
    /// Reads a CSV file in chunks of <paramref name="chunkRows"/> rows (the last may be shorter), so that a file larger
    /// than memory can be trained on piece by piece. The file is reopened on each enumeration, so the sequence can be
    /// read for several epochs.
    /// </summary>
    /// <remarks>
    /// Under <see cref="CsvReadOptions.InferColumnTypes"/>, the column types are inferred when the sequence is first
    /// enumerated, and kept: from the first <see cref="CsvReadOptions.RowsForInference"/> rows when no category is to be
    /// collected (a column inferred numeric that holds text further on then stops the read there with an
    /// <see cref="InvalidDataException"/>), otherwise from every row by the pass that collects the categories, which keeps
    /// the values of the columns it finds to hold text (a second pass collects a column with more than 65,536 of them).
    /// Categorical columns without a fixed vocabulary are collected by a pass over the whole file when the sequence is
    /// first enumerated, so every chunk encodes a category with the same id as <see cref="Read(string, CsvReadOptions?, CancellationToken)"/>
    /// does. The vocabularies collected then are kept for every later enumeration (as Keras adapts a lookup layer once):
    /// later epochs read the file once each, and a category added to the file afterwards is reported as outside the
    /// vocabulary. Call this method again to collect afresh.
    /// </remarks>
    /// <param name="path">The CSV file.</param>
    /// <param name="chunkRows">The rows per chunk, at least 1.</param>
    /// <param name="options">The separator, column names and roles; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the read between rows.</param>
    /// <returns>The chunks, each with new tensors, read lazily as the sequence is enumerated.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkRows"/> is below 1.</exception>
    /// <exception cref="ArgumentException">The options are inconsistent (thrown at once), or name a column the file does not have (thrown when enumerated).</exception>
    /// <exception cref="FileNotFoundException">The file does not exist (thrown at once, as by <see cref="Read(string, CsvReadOptions?, CancellationToken)"/>).</exception>
    /// <exception cref="DirectoryNotFoundException">A folder of the path does not exist (thrown at once).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read, or the path is a folder (thrown at once).</exception>
    /// <exception cref="IOException">The file cannot be opened for another reason (thrown at once), or cannot be read when a later enumeration reopens it.</exception>
    /// <exception cref="InvalidDataException">As for <see cref="Read(string, CsvReadOptions?, CancellationToken)"/>, thrown when the bad row is reached.</exception>
    public static IEnumerable<CsvData> ReadChunks(string path, int chunkRows, CsvReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        options = CsvOptionsCheck.Validate(options);
        // Opened once now, so a missing or unreadable file is reported at once, with the exceptions Read throws.
        File.OpenRead(path).Dispose();

        return new FileChunks(() => new StreamReader(path), path, chunkRows, options, cancellationToken);
    }

    /// <summary>
    /// The chunks of a file, reopened on each enumeration through <paramref name="open"/>; on the first enumeration the
    /// column types are inferred from the first rows (under <see cref="CsvReadOptions.InferColumnTypes"/>) and open
    /// vocabularies are collected by a pass over the file, and both are kept for the later enumerations.
    /// </summary>
    internal sealed class FileChunks(Func<TextReader> open, string source, int chunkRows, CsvReadOptions options, CancellationToken cancellationToken) : IEnumerable<CsvData>
    {
        private volatile CsvReadOptions? _fixed = CsvOptionsCheck.FirstWithoutVocabulary(options) is null && !options.InferColumnTypes ? options : null;

        public IEnumerator<CsvData> GetEnumerator() => Enumerate().GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private IEnumerable<CsvData> Enumerate()
        {
            CsvReadOptions? fixedOptions = _fixed;
            if (fixedOptions is null)
            {
                fixedOptions = Fix();
                _fixed = fixedOptions;
            }

            return Chunks(open, fixedOptions, source, chunkRows, cancellationToken);
        }

        /// <summary>
        /// The options with every column typed and every categorical column's vocabulary given or collected. The types
        /// come from the first <see cref="CsvReadOptions.RowsForInference"/> rows only when nothing is to be collected;
        /// otherwise the pass over the whole file that collects the vocabularies infers them from every row, and keeps
        /// the values of the columns it finds to hold text, so one pass usually does both.
        /// </summary>
        private CsvReadOptions Fix()
        {
            CsvReadOptions typed = options;
            if (options.InferColumnTypes)
            {
                CsvReadOptions declared = CsvTypeInference.Declare(options);
                if (declared.RowsForInference is int rows && CsvOptionsCheck.FirstWithoutVocabulary(declared) is null)
                {
                    typed = CsvTypeInference.Resolve(open, declared, source, rows, cancellationToken);
                    // Text in the prefix: its categories need the whole file, so that pass infers the rest too.
                    typed = CsvOptionsCheck.FirstWithoutVocabulary(typed) is null ? typed : declared.WithCategorical(typed.Inference!.Categorical);
                }
                else
                {
                    typed = declared;
                }
            }

            // At most twice: a column found to hold text with too many values to keep is collected by a second pass.
            while (typed.InferColumnTypes || CsvOptionsCheck.FirstWithoutVocabulary(typed) is not null)
            {
                typed = CollectVocabularies(open, typed, source, chunkRows, cancellationToken);
            }

            return typed;
        }
    }

    /// <summary>
    /// Reads a CSV table from a reader (which stays open) in chunks of <paramref name="chunkRows"/> rows. A reader can be
    /// read only once, so every categorical column needs a fixed vocabulary in <see cref="CsvReadOptions.Vocabularies"/>,
    /// and the sequence can be enumerated only once: to read the chunks for several epochs, pass the file's path to
    /// <see cref="ReadChunks(string, int, CsvReadOptions?, CancellationToken)"/>, which reopens the file each time.
    /// </summary>
    /// <param name="reader">The CSV text.</param>
    /// <param name="chunkRows">The rows per chunk, at least 1.</param>
    /// <param name="options">The separator, column names and roles; null for the defaults.</param>
    /// <param name="sourceName">The name of the source in error messages; "CSV input" when null.</param>
    /// <param name="cancellationToken">Stops the read between rows.</param>
    /// <returns>The chunks, read lazily as the sequence is enumerated; a single-use sequence.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="reader"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="chunkRows"/> is below 1.</exception>
    /// <exception cref="ArgumentException">The options are inconsistent, a categorical column has no fixed vocabulary, or <see cref="CsvReadOptions.InferColumnTypes"/> is set (thrown at once).</exception>
    /// <exception cref="InvalidDataException">As for <see cref="Read(string, CsvReadOptions?, CancellationToken)"/>, thrown when the bad row is reached.</exception>
    /// <exception cref="InvalidOperationException">The sequence is enumerated a second time (thrown by <c>GetEnumerator</c>).</exception>
    public static IEnumerable<CsvData> ReadChunks(TextReader reader, int chunkRows, CsvReadOptions? options = null, string? sourceName = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        options = CsvOptionsCheck.Validate(options);
        if (options.InferColumnTypes)
        {
            throw new ArgumentException($"InferColumnTypes is set, but chunks read from a TextReader cannot be typed first: inference reads the first {(options.RowsForInference is int rows ? $"{rows} rows" : "rows")} before the chunks, and a reader cannot be read twice. Pass a file path, or turn InferColumnTypes off and list the text columns in CategoricalColumns with their Vocabularies.", nameof(options));
        }

        string? open = CsvOptionsCheck.FirstWithoutVocabulary(options);
        if (open is not null)
        {
            throw new ArgumentException($"Categorical column '{open}' has no vocabulary in Vocabularies; reading chunks from a TextReader needs every category list up front (a reader cannot be read twice to collect them). Pass a file path, or give the vocabulary.", nameof(options));
        }

        return new SingleUse(Chunks(() => new NonClosingTextReader(reader), options, sourceName ?? StreamSource, chunkRows, cancellationToken));
    }

    /// <summary>
    /// The chunks of a <see cref="TextReader"/>, which can be enumerated once: the parser reads ahead, so after a first
    /// enumeration (even a partial one) the reader stands somewhere past the rows handed out, often in the middle of a
    /// row, and a second enumeration would take what follows for the header.
    /// </summary>
    private sealed class SingleUse(IEnumerable<CsvData> chunks) : IEnumerable<CsvData>
    {
        private int _enumerated;

        public IEnumerator<CsvData> GetEnumerator() =>
            Interlocked.Exchange(ref _enumerated, 1) == 0
                ? chunks.GetEnumerator()
                : throw new InvalidOperationException("These CSV chunks come from a TextReader, which can be read once, and were already enumerated; to read the chunks again (for several epochs), pass the file's path to CsvTable.ReadChunks, which reopens the file on each enumeration.");

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static CsvData ReadAll(TextReader text, CsvReadOptions options, string source, CancellationToken cancellationToken)
    {
        using SepReader reader = CsvReading.Open(text, options);
        CsvSchema schema = CsvReading.ReadSchema(reader, options, source);
        var buffer = new CsvRowBuffer(schema);
        int dataRow = 0;
        CsvReading.ReadRows(reader, schema, buffer, int.MaxValue, ref dataRow, cancellationToken);
        return buffer.RowCount > 0 ? buffer.Build(schema) : throw NoRows(source, options);
    }

    /// <summary>Reads the chunks; every categorical column of <paramref name="options"/> has a fixed vocabulary.</summary>
    private static IEnumerable<CsvData> Chunks(Func<TextReader> open, CsvReadOptions options, string source, int chunkRows, CancellationToken cancellationToken)
    {
        using SepReader reader = CsvReading.Open(open, options);
        CsvSchema schema = CsvReading.ReadSchema(reader, options, source);
        int dataRow = 0;
        while (true)
        {
            var buffer = new CsvRowBuffer(schema, Math.Min(chunkRows, 4096));
            if (CsvReading.ReadRows(reader, schema, buffer, chunkRows, ref dataRow, cancellationToken) == 0)
            {
                break;
            }

            yield return buffer.Build(schema);
        }

        if (dataRow == 0)
        {
            throw NoRows(source, options);
        }
    }

    /// <summary>
    /// Reads the whole file once (checking every value) to collect and seal the categorical columns' vocabularies, and,
    /// under <see cref="CsvReadOptions.InferColumnTypes"/>, to infer the other columns' types from every row. Returns the
    /// options with the vocabularies collected and the types inferred.
    /// </summary>
    private static CsvReadOptions CollectVocabularies(Func<TextReader> open, CsvReadOptions options, string source, int chunkRows, CancellationToken cancellationToken)
    {
        using SepReader reader = CsvReading.Open(open, options);
        CsvSchema schema = CsvReading.ReadSchema(reader, options, source);
        int dataRow = 0;
        CsvRowBuffer buffer;
        do
        {
            buffer = new CsvRowBuffer(schema, Math.Min(chunkRows, 4096));
        }
        while (CsvReading.ReadRows(reader, schema, buffer, chunkRows, ref dataRow, cancellationToken) > 0);

        if (dataRow == 0)
        {
            throw NoRows(source, options);
        }

        var vocabularies = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (CsvColumn column in schema.Columns.Where(c => c.Vocabulary is not null))
        {
            column.Vocabulary!.Seal();
            vocabularies[column.Name] = [.. column.Vocabulary.Values];
        }

        return options.InferColumnTypes
            ? CsvTypeInference.DecideAfterPass(schema, options, vocabularies)
            : options.WithVocabularies(vocabularies);
    }

    private static InvalidDataException NoRows(string source, CsvReadOptions options) =>
        new($"{source} has no data rows; expected at least one row of values{(options.HasHeader ? " after the header" : "")}.");
}
