namespace NeuralNet.Data;

/// <summary>
/// What <see cref="CsvTable"/> reads from a CSV file: the separator, where the column names come from, which columns are
/// features and labels, and which columns hold categories rather than numbers.
/// </summary>
/// <remarks>
/// Numbers are read in the invariant culture (a point as the decimal separator, an optional exponent), whatever the
/// machine's culture; <see cref="Decimal"/> and <see cref="Thousands"/> read other conventions. Columns are
/// named as in the header (case-sensitive); quoted fields are unquoted ("a,b" and doubled quotes). Blank lines are skipped.
/// An empty field (or a marker: <see cref="NaValue"/>, <see cref="NaValues"/>, <see cref="UsePandasNaValues"/>) is a
/// missing value: it takes the column's default from <see cref="ColumnDefaults"/> (or NaN, see
/// <see cref="MissingNumbersAsNaN"/>), and is an error without one. A column is numeric unless listed in
/// <see cref="CategoricalColumns"/>, or, under <see cref="InferColumnTypes"/>, unless its values are not all numbers.
/// </remarks>
public sealed class CsvReadOptions
{
    /// <summary>
    /// The field separator; ',' by default (';' and '\t' are common too). Sep's rule: '\t' or a character with code 31 to
    /// 126 other than '"' and '#'.
    /// </summary>
    public char Separator { get; init; } = ',';

    /// <summary>Whether the first line holds the column names; true by default.</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>
    /// The decimal mark of the file's numbers, pandas' <c>decimal</c>: '.' by default; ',' for files written in much of
    /// Europe (usually with <see cref="Separator"/> ';'). Numbers are otherwise read as the invariant culture reads them
    /// (an exponent such as <c>2,5e-3</c> too), whatever the machine's culture. It applies to the fields, to
    /// <see cref="ColumnDefaults"/> and to type inference alike. It must differ from <see cref="Separator"/> (a
    /// common slip: set <see cref="Separator"/> to ';' too) and <see cref="Thousands"/>, and may not be a digit, a sign, 'e', 'E', '"' or white space.
    /// </summary>
    public char Decimal { get; init; } = '.';

    /// <summary>
    /// The thousands separator of the file's numbers, pandas' <c>thousands</c> (<c>"1.234,5"</c> with ',' as
    /// <see cref="Decimal"/> and '.' here, <c>"1,234.5"</c> with ',' here): allowed in a number's integer part after a digit
    /// (<c>"1.234"</c>, <c>"123."</c>; not <c>".5"</c>), as pandas' parser skips it. Where they differ: .NET, which reads
    /// the numbers here, also takes repeated marks (<c>"1..234,5"</c> is 1234.5, text for pandas' float parser), and with
    /// a no-break space as the mark also a plain space. Null by default: none (a field holding one is not a number). It must
    /// differ from <see cref="Decimal"/> and may not be a digit, a sign, 'e', 'E' or '"'; it may be the
    /// <see cref="Separator"/>, as in pandas, for files that quote such numbers (<c>"1,250,000"</c>).
    /// </summary>
    public char? Thousands { get; init; }

    /// <summary>
    /// The column names, one per field: required when <see cref="HasHeader"/> is false; when the file has a header, these
    /// names replace the header's (whose field count they must match). Null by default: the header's names.
    /// </summary>
    public IReadOnlyList<string>? ColumnNames { get; init; }

    /// <summary>The label (target) columns, in the order of the label tensor's columns; none by default.</summary>
    public IReadOnlyList<string> LabelColumns { get; init; } = [];

    /// <summary>The feature columns, in the order of the feature tensor's columns; null by default: every column but the labels, in file order.</summary>
    public IReadOnlyList<string>? FeatureColumns { get; init; }

    /// <summary>
    /// The columns holding categories (any text) rather than numbers, features or labels. Each category gets the
    /// index of its place in the column's vocabulary: the one given in <see cref="Vocabularies"/>, otherwise the
    /// column's distinct values sorted ordinally (so the ids do not depend on row order). None by default.
    /// </summary>
    public IReadOnlyList<string> CategoricalColumns { get; init; } = [];

    /// <summary>How categorical feature columns are encoded; <see cref="Data.CategoricalEncoding.Integer"/> by default.</summary>
    public CategoricalEncoding CategoricalEncoding { get; init; } = CategoricalEncoding.Integer;

    /// <summary>
    /// How categorical label columns are encoded; <see cref="Data.CategoricalEncoding.Integer"/> by default (class
    /// indices, the targets of <c>SparseCategoricalCrossEntropy</c>); one-hot for <c>CategoricalCrossEntropy</c>.
    /// </summary>
    public CategoricalEncoding LabelEncoding { get; init; } = CategoricalEncoding.Integer;

    /// <summary>
    /// Fixed vocabularies of categorical columns (column name to its categories in id order); a value outside a fixed
    /// vocabulary is an error. Needed for every categorical column when reading chunks from a <see cref="TextReader"/>,
    /// which cannot be read twice to collect the categories first. Under <see cref="InferColumnTypes"/>, a vocabulary
    /// makes its column categorical without listing it in <see cref="CategoricalColumns"/>. Null by default.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Vocabularies { get; init; }

    /// <summary>
    /// A text that marks a missing value, besides an empty field: <c>"NA"</c>, <c>"?"</c>, <c>"NaN"</c> or a sentinel
    /// such as <c>"-999"</c>; <c>""</c> by default (only empty fields are missing), as Keras/TF's <c>na_value</c>. A field
    /// is missing when it is empty or only white space (quoted or not: <c>""</c> is missing, as in TF and pandas) or
    /// when its unquoted text equals this one exactly (ordinal, untrimmed). A missing value takes the column's
    /// <see cref="ColumnDefaults"/> entry, or NaN under <see cref="MissingNumbersAsNaN"/>; otherwise it is an error.
    /// For several markers, see <see cref="NaValues"/> and <see cref="UsePandasNaValues"/>.
    /// </summary>
    public string NaValue { get; init; } = "";

    /// <summary>
    /// More texts that mark a missing value, as pandas' <c>na_values</c> list: a field equal to <see cref="NaValue"/> or
    /// to any of these (ordinal, untrimmed) is missing, as is a blank one. Empty by default. <see cref="NaValue"/> stays
    /// the single marker of Keras/TF's <c>na_value</c>; the two add up, so <c>NaValue = "NA"</c> and
    /// <c>NaValues = ["NA", "?"]</c> mark the same fields as <c>NaValues = ["NA", "?"]</c> alone.
    /// </summary>
    public IReadOnlyList<string> NaValues { get; init; } = [];

    /// <summary>
    /// Whether pandas' default markers are missing values too, as <c>read_csv</c> reads them while <c>keep_default_na</c>
    /// is true: "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "&lt;NA&gt;",
    /// "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null" (pandas 2.x). False by default (pandas' default is
    /// true): "NA" or "None" may well be a category. Adds to <see cref="NaValue"/> and <see cref="NaValues"/>.
    /// </summary>
    public bool UsePandasNaValues { get; init; }

    /// <summary>
    /// Whether the type of each chosen column not in <see cref="CategoricalColumns"/> is inferred from the data: numeric
    /// when every non-missing field is a finite number (read with <see cref="Decimal"/> and <see cref="Thousands"/>; or a
    /// number out of float's range, which the read then reports), categorical otherwise; a column with no value at all is numeric (as pandas reads it).
    /// <see cref="CsvTable.Read(string, CsvReadOptions?, CancellationToken)"/> looks at every row, <see cref="CsvTable.ReadChunks(string, int, CsvReadOptions?, CancellationToken)"/>
    /// at the first <see cref="RowsForInference"/> (or at every row, when it collects categories anyway). Explicit
    /// settings win: a column in <see cref="CategoricalColumns"/> is categorical, and so is one with a vocabulary in
    /// <see cref="Vocabularies"/> or a <see cref="ColumnDefaults"/> entry not written as a number (the default's type
    /// gives the column's, as in TF's <c>column_defaults</c>); a default written as a number but refused, such as 1e39 or
    /// Infinity, is an error. A name the header repeats may not hold text, since types are given by name.
    /// <see cref="CsvData.ColumnTypes"/> reports the result.
    /// False by default: every column not listed as categorical is numeric.
    /// </summary>
    public bool InferColumnTypes { get; init; }

    /// <summary>
    /// How many data rows <see cref="CsvTable.ReadChunks(string, int, CsvReadOptions?, CancellationToken)"/> looks at to
    /// infer column types under <see cref="InferColumnTypes"/>, as TF's <c>num_rows_for_inference</c>, when it has no
    /// category to collect; 100 by default, null for every row. A column inferred numeric from these rows that holds text
    /// further on stops the read with an <see cref="InvalidDataException"/> naming the row, column and text. When a pass
    /// over the whole file collects categories (a column listed as categorical, or found to hold text in these rows), or
    /// this is null, that pass infers from every row as it collects.
    /// <see cref="CsvTable.Read(string, CsvReadOptions?, CancellationToken)"/> always infers from every row.
    /// </summary>
    public int? RowsForInference { get; init; } = 100;

    /// <summary>
    /// The value a missing field takes, by column name (Keras/TF's <c>column_defaults</c>, keyed by name), written as the
    /// field would be: a number as the file writes them (<see cref="Decimal"/>, <see cref="Thousands"/>; or <c>"NaN"</c>) for a numeric column, a category for a
    /// categorical one. A missing value in a column without a default is an error naming the source, line and column.
    /// A categorical column's default is one of its categories: it must be in the column's fixed vocabulary, and it is
    /// always part of a collected one (sorted with the others, whether or not a field is missing), so that a file with
    /// gaps and one without encode the column alike. Null by default: no defaults.
    /// </summary>
    public IReadOnlyDictionary<string, string>? ColumnDefaults { get; init; }

    /// <summary>
    /// Whether a missing value in a numeric feature column without a <see cref="ColumnDefaults"/> entry reads as NaN, as
    /// pandas' <c>read_csv</c> fills it (impute it before training, for example with the column's mean); false by default:
    /// it is an error. Label columns and categorical columns still need a default (a NaN target would poison the loss). A NaN written in the file is still refused unless it is a
    /// marker (<see cref="NaValue"/>, <see cref="NaValues"/>, <see cref="UsePandasNaValues"/>).
    /// </summary>
    public bool MissingNumbersAsNaN { get; init; }

    /// <summary>What <see cref="CsvTypeInference"/> decided, for messages; null when no type was inferred.</summary>
    internal CsvInference? Inference { get; private init; }

    private CsvNumberFormat? _numbers;

    /// <summary>How the file writes numbers (<see cref="Decimal"/>, <see cref="Thousands"/>), made once per options object.</summary>
    internal CsvNumberFormat Numbers => _numbers ??= CsvNumberFormat.From(this);

    /// <summary>
    /// A copy of these options whose <see cref="Vocabularies"/> also hold <paramref name="collected"/>.
    /// </summary>
    internal CsvReadOptions WithVocabularies(IReadOnlyDictionary<string, IReadOnlyList<string>> collected)
    {
        var vocabularies = new Dictionary<string, IReadOnlyList<string>>(collected, StringComparer.Ordinal);
        foreach (KeyValuePair<string, IReadOnlyList<string>> given in Vocabularies ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            vocabularies[given.Key] = given.Value;
        }

        return Copy(CategoricalColumns, vocabularies, InferColumnTypes, Inference);
    }

    /// <summary>
    /// A copy of these options with the inferred categorical columns added to <see cref="CategoricalColumns"/> and
    /// inference off, so the read that follows treats every column as given.
    /// </summary>
    internal CsvReadOptions WithInferredTypes(CsvInference inference) =>
        Copy([.. CategoricalColumns, .. inference.Categorical], Vocabularies, infer: false, inference);

    /// <summary>
    /// A copy of these options with <paramref name="categorical"/> added to <see cref="CategoricalColumns"/> and
    /// inference left as it is, for the columns left to infer.
    /// </summary>
    internal CsvReadOptions WithCategorical(IEnumerable<string> categorical) =>
        Copy([.. CategoricalColumns, .. categorical.Where(c => !CategoricalColumns.Contains(c)).Distinct(StringComparer.Ordinal)], Vocabularies, InferColumnTypes, Inference);

    /// <summary>Every property copied: a property added to this class must be added here.</summary>
    private CsvReadOptions Copy(IReadOnlyList<string> categoricalColumns, IReadOnlyDictionary<string, IReadOnlyList<string>>? vocabularies, bool infer, CsvInference? inference) =>
        new()
        {
            Separator = Separator,
            HasHeader = HasHeader,
            Decimal = Decimal,
            Thousands = Thousands,
            ColumnNames = ColumnNames,
            LabelColumns = LabelColumns,
            FeatureColumns = FeatureColumns,
            CategoricalColumns = categoricalColumns,
            CategoricalEncoding = CategoricalEncoding,
            LabelEncoding = LabelEncoding,
            Vocabularies = vocabularies,
            NaValue = NaValue,
            NaValues = NaValues,
            UsePandasNaValues = UsePandasNaValues,
            InferColumnTypes = infer,
            RowsForInference = RowsForInference,
            ColumnDefaults = ColumnDefaults,
            MissingNumbersAsNaN = MissingNumbersAsNaN,
            Inference = inference,
        };
}
