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
    /// column as its texts (also a column of numbers listed in <see cref="CsvReadOptions.CategoricalColumns"/>: use a
    /// string feature for it), a numeric column as integers when every value of this <see cref="CsvData"/> is whole
    /// (as float32 holds it, so <c>18.0</c> too; a chunk of <c>ReadChunks</c> decides for itself), else as floats (NaN for a
    /// missing value read under <see cref="CsvReadOptions.MissingNumbersAsNaN"/>). Label columns are included, except
    /// one-hot encoded ones (their values are in <see cref="Labels"/>); a FeatureSpace ignores columns that are no feature.
    /// Pass the columns to <see cref="FeatureSpace.Adapt"/> and <see cref="FeatureSpace.Transform"/>; a float feature takes
    /// an integer column.
    /// </summary>
    /// <returns>New arrays, one per column, keyed by the CSV column's name.</returns>
    /// <exception cref="InvalidOperationException">A categorical feature column was one-hot encoded (FeatureSpace needs its texts: read it with <see cref="CategoricalEncoding.Integer"/>), or a name appears twice.</exception>
    public IReadOnlyDictionary<string, FeatureColumn> ToFeatureColumns() => CsvFeatureColumns.Of(this);

    /// <summary>
    /// The given rows, in the given order, as a table of their own with the same names, vocabularies and types (pandas'
    /// <c>dataframe.iloc[rows]</c>): a training or validation split whose <see cref="Features"/>, <see cref="Labels"/>
    /// and <see cref="ToFeatureColumns"/> hold those rows, as Keras' FeatureSpace tutorial splits with
    /// <c>dataframe.sample(frac=0.2, random_state=1337)</c>.
    /// </summary>
    /// <param name="rows">Row indices, each in [0, <see cref="RowCount"/>); a row may repeat.</param>
    /// <returns>A new table; its tensors are copies.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="rows"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A row index is outside the table; its position is named.</exception>
    public CsvData SelectRows(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        for (int i = 0; i < rows.Count; i++)
        {
            if ((uint)rows[i] >= (uint)RowCount)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), rows[i], $"Row index {rows[i]} (at position {i} of the row list) is outside the table's {RowCount} rows.");
            }
        }

        return new CsvData(Rows(Features, rows), Labels is null ? null : Rows(Labels, rows), FeatureNames, LabelNames, Vocabularies, ColumnTypes);
    }

    private static Tensor Rows(Tensor table, IReadOnlyList<int> rows)
    {
        int width = table.Shape[1];
        var selected = new Tensor(new TensorShape(rows.Count, width));
        ReadOnlySpan<float> source = table.AsReadOnlySpan();
        Span<float> destination = selected.AsSpan();
        for (int i = 0; i < rows.Count; i++)
        {
            source.Slice(rows[i] * width, width).CopyTo(destination.Slice(i * width, width));
        }

        return selected;
    }

    /// <summary>Splits the table into its features and labels: <c>var (x, y) = CsvTable.Read(path, options);</c>.</summary>
    /// <param name="features">Receives <see cref="Features"/>.</param>
    /// <param name="labels">Receives <see cref="Labels"/>.</param>
    public void Deconstruct(out Tensor features, out Tensor? labels)
    {
        features = Features;
        labels = Labels;
    }
}
