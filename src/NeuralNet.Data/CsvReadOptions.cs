namespace NeuralNet.Data;

/// <summary>
/// What <see cref="CsvTable"/> reads from a CSV file: the separator, where the column names come from, which columns are
/// features and labels, and which columns hold categories rather than numbers.
/// </summary>
/// <remarks>
/// Numbers are read in the invariant culture (a point as the decimal separator, an optional exponent). Columns are
/// named as in the header (case-sensitive); quoted fields are unquoted ("a,b" and doubled quotes). Blank lines are skipped.
/// An empty field (or <see cref="NaValue"/>) is a missing value: it takes the column's default from
/// <see cref="ColumnDefaults"/> (or NaN, see <see cref="MissingNumbersAsNaN"/>), and is an error without one.
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
    /// which cannot be read twice to collect the categories first. Null by default.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Vocabularies { get; init; }

    /// <summary>
    /// A text that marks a missing value, besides an empty field: <c>"NA"</c>, <c>"?"</c>, <c>"NaN"</c> or a sentinel
    /// such as <c>"-999"</c>; <c>""</c> by default (only empty fields are missing), as Keras/TF's <c>na_value</c>. A field
    /// is missing when it is empty or only white space (quoted or not: <c>""</c> is missing, as in TF and pandas) or
    /// when its unquoted text equals this one exactly (ordinal, untrimmed). A missing value takes the column's
    /// <see cref="ColumnDefaults"/> entry, or NaN under <see cref="MissingNumbersAsNaN"/>; otherwise it is an error.
    /// </summary>
    public string NaValue { get; init; } = "";

    /// <summary>
    /// The value a missing field takes, by column name (Keras/TF's <c>column_defaults</c>, keyed by name), written as the
    /// field would be: a number in the invariant culture (or <c>"NaN"</c>) for a numeric column, a category for a
    /// categorical one. A missing value in a column without a default is an error naming the source, line and column.
    /// A categorical column's default is one of its categories: it must be in the column's fixed vocabulary, and it is
    /// always part of a collected one (sorted with the others, whether or not a field is missing), so that a file with
    /// gaps and one without encode the column alike. Null by default: no defaults.
    /// </summary>
    public IReadOnlyDictionary<string, string>? ColumnDefaults { get; init; }

    /// <summary>
    /// Whether a missing value in a numeric feature column without a <see cref="ColumnDefaults"/> entry reads as NaN, as
    /// pandas' <c>read_csv</c> fills it (impute it before training, for example with the column's mean); false by default:
    /// it is an error. Label columns and categorical columns still need a default (a NaN target would poison the loss). A NaN written in the file is still refused unless it is the
    /// <see cref="NaValue"/>.
    /// </summary>
    public bool MissingNumbersAsNaN { get; init; }

    /// <summary>
    /// A copy of these options whose <see cref="Vocabularies"/> also hold <paramref name="collected"/> (every property
    /// copied: a property added to this class must be added here).
    /// </summary>
    internal CsvReadOptions WithVocabularies(IReadOnlyDictionary<string, IReadOnlyList<string>> collected)
    {
        var vocabularies = new Dictionary<string, IReadOnlyList<string>>(collected, StringComparer.Ordinal);
        foreach (KeyValuePair<string, IReadOnlyList<string>> given in Vocabularies ?? new Dictionary<string, IReadOnlyList<string>>())
        {
            vocabularies[given.Key] = given.Value;
        }

        return new CsvReadOptions
        {
            Separator = Separator,
            HasHeader = HasHeader,
            ColumnNames = ColumnNames,
            LabelColumns = LabelColumns,
            FeatureColumns = FeatureColumns,
            CategoricalColumns = CategoricalColumns,
            CategoricalEncoding = CategoricalEncoding,
            LabelEncoding = LabelEncoding,
            Vocabularies = vocabularies,
            NaValue = NaValue,
            ColumnDefaults = ColumnDefaults,
            MissingNumbersAsNaN = MissingNumbersAsNaN,
        };
    }
}
