using NeuralNet.Preprocessing;

namespace NeuralNet.Data;

/// <summary>
/// A CSV table (or a chunk of one) as tensors: the features, the labels, and the names and vocabularies that say what
/// each tensor column means. Pass <see cref="Features"/> and <see cref="Labels"/> to <c>Model.Fit</c>.
/// </summary>
public sealed class CsvData
{
    internal CsvData(Tensor features, Tensor? labels, IReadOnlyList<string> featureNames, IReadOnlyList<string> labelNames,
        IReadOnlyDictionary<string, IReadOnlyList<string>> vocabularies, IReadOnlyDictionary<string, CsvColumnType> columnTypes)
    {
        ColumnTypes = columnTypes;
        Features = features;
        Labels = labels;
        FeatureNames = featureNames;
        LabelNames = labelNames;
        Vocabularies = vocabularies;
    }

    /// <summary>The features, shape (<see cref="RowCount"/>, <see cref="FeatureNames"/>.Count).</summary>
    public Tensor Features { get; }

    /// <summary>The labels, shape (<see cref="RowCount"/>, <see cref="LabelNames"/>.Count), or null when no label column was chosen.</summary>
    public Tensor? Labels { get; }

    /// <summary>The number of data rows read.</summary>
    public int RowCount => Features.Shape[0];

    /// <summary>
    /// The name of each column of <see cref="Features"/>: the CSV column's name, or "column=category" for each column of a
    /// one-hot encoded categorical column.
    /// </summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The name of each column of <see cref="Labels"/>, named as <see cref="FeatureNames"/> are; empty without labels.</summary>
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>For each categorical column, its categories in id order: category i is encoded as i (or in one-hot column i).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Vocabularies { get; }

    /// <summary>
    /// The type of each chosen CSV column (features and labels), by name: as given (<see cref="CsvReadOptions.CategoricalColumns"/>)
    /// or as inferred under <see cref="CsvReadOptions.InferColumnTypes"/>. To read another file (a test split) with the
    /// same types, list the categorical ones in <see cref="CsvReadOptions.CategoricalColumns"/> and pass
    /// <see cref="Vocabularies"/> as <see cref="CsvReadOptions.Vocabularies"/>.
    /// </summary>
    public IReadOnlyDictionary<string, CsvColumnType> ColumnTypes { get; }

    /// <summary>
    /// The table's columns by name, as pandas' <c>read_csv</c> hands them to Keras' <c>FeatureSpace</c>: a categorical
    /// column as its texts, a numeric column as integers when every value is a whole number of at most 2^24 in magnitude
    /// (pandas' int64 columns), else as floats (NaN for a missing value read under
    /// <see cref="CsvReadOptions.MissingNumbersAsNaN"/>); features first, then labels, in table order. Pass them to
    /// <see cref="FeatureSpace.Adapt"/> and <see cref="FeatureSpace.Transform"/>; a float feature takes an integer column.
    /// </summary>
    /// <returns>New arrays, one per column, keyed by the CSV column's name.</returns>
    /// <exception cref="InvalidOperationException">A categorical column was one-hot encoded (FeatureSpace needs its texts: read it with <see cref="CategoricalEncoding.Integer"/>), or a name appears twice.</exception>
    public IReadOnlyDictionary<string, FeatureColumn> ToFeatureColumns() => CsvFeatureColumns.Of(this, null);

    /// <summary>
    /// The columns of the given rows, in the given order, as <see cref="ToFeatureColumns()"/> gives them for the whole
    /// table (a column's kind, integers or floats, is decided on the whole table): a training or validation split, as
    /// pandas' <c>dataframe.sample</c> / <c>drop</c> make in Keras' FeatureSpace tutorial.
    /// </summary>
    /// <param name="rows">Row indices, each in [0, <see cref="RowCount"/>).</param>
    /// <returns>New arrays, one per column, keyed by the CSV column's name.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="rows"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A row index is outside the table.</exception>
    /// <exception cref="InvalidOperationException">As <see cref="ToFeatureColumns()"/>.</exception>
    public IReadOnlyDictionary<string, FeatureColumn> ToFeatureColumns(IReadOnlyList<int> rows) =>
        CsvFeatureColumns.Of(this, rows ?? throw new ArgumentNullException(nameof(rows)));

    /// <summary>Splits the table into its features and labels: <c>var (x, y) = CsvTable.Read(path, options);</c>.</summary>
    /// <param name="features">Receives <see cref="Features"/>.</param>
    /// <param name="labels">Receives <see cref="Labels"/>.</param>
    public void Deconstruct(out Tensor features, out Tensor? labels)
    {
        features = Features;
        labels = Labels;
    }
}
