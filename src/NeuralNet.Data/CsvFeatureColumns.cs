using NeuralNet.Preprocessing;

namespace NeuralNet.Data;

// CsvData as the dictionary of named columns that pandas' read_csv hands to Keras' FeatureSpace: texts for categorical
// columns, integers where every value is a whole number (pandas' int64 columns), floats otherwise.
internal static class CsvFeatureColumns
{
    // Integer features hold values a float32 represents exactly (FeatureColumn's own limit).
    private const float LargestExactInteger = 16777216f;

    public static IReadOnlyDictionary<string, FeatureColumn> Of(CsvData data, IReadOnlyList<int>? rows)
    {
        rows ??= new RowRange(data.RowCount);
        for (int i = 0; i < rows.Count; i++)
        {
            if ((uint)rows[i] >= (uint)data.RowCount)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), rows[i], $"Row index {rows[i]} (at position {i} of the row list) is outside the table's {data.RowCount} rows.");
            }
        }

        var columns = new Dictionary<string, FeatureColumn>(StringComparer.Ordinal);
        Add(columns, data, rows, data.Features, data.FeatureNames, "feature", nameof(CsvReadOptions.CategoricalEncoding));
        if (data.Labels is { } labels)
        {
            Add(columns, data, rows, labels, data.LabelNames, "label", nameof(CsvReadOptions.LabelEncoding));
        }

        return columns;
    }

    private static void Add(Dictionary<string, FeatureColumn> columns, CsvData data, IReadOnlyList<int> rows, Tensor table, IReadOnlyList<string> names, string role, string encodingOption)
    {
        int width = table.Shape[1];
        ReadOnlySpan<float> values = table.AsReadOnlySpan();
        for (int c = 0; c < width; c++)
        {
            string name = names[c];
            if (!data.ColumnTypes.TryGetValue(name, out CsvColumnType type))
            {
                throw new InvalidOperationException(
                    $"The {role} column '{name}' is one column of a one-hot encoded categorical column, but FeatureSpace takes a categorical column as its texts. Read the table with {encodingOption} = CategoricalEncoding.Integer (the default).");
            }

            if (columns.ContainsKey(name))
            {
                throw new InvalidOperationException($"The {role} column '{name}' appears twice in the table; FeatureSpace takes each column once, by name.");
            }

            columns.Add(name, type == CsvColumnType.Categorical
                ? Texts(values, rows, width, c, data.Vocabularies[name])
                : Numbers(values, rows, width, c));
        }
    }

    private static FeatureColumn Texts(ReadOnlySpan<float> values, IReadOnlyList<int> rows, int width, int column, IReadOnlyList<string> vocabulary)
    {
        var texts = new string[rows.Count];
        for (int i = 0; i < texts.Length; i++)
        {
            texts[i] = vocabulary[(int)values[(rows[i] * width) + column]];
        }

        return texts;
    }

    private static FeatureColumn Numbers(ReadOnlySpan<float> values, IReadOnlyList<int> rows, int width, int column)
    {
        // Decided on the whole table, so that every subset of rows gets the same kind.
        int tableRows = values.Length / width;
        bool whole = true;
        for (int r = 0; r < tableRows && whole; r++)
        {
            float v = values[(r * width) + column];
            whole = MathF.Abs(v) <= LargestExactInteger && v == MathF.Truncate(v);
        }

        if (whole)
        {
            var integers = new long[rows.Count];
            for (int i = 0; i < integers.Length; i++)
            {
                integers[i] = (long)values[(rows[i] * width) + column];
            }

            return integers;
        }

        var floats = new float[rows.Count];
        for (int i = 0; i < floats.Length; i++)
        {
            floats[i] = values[(rows[i] * width) + column];
        }

        return floats;
    }

    // 0, 1, ..., count - 1 without an array.
    private sealed class RowRange(int count) : IReadOnlyList<int>
    {
        public int Count => count;

        public int this[int index] => index;

        public IEnumerator<int> GetEnumerator() => Enumerable.Range(0, count).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
