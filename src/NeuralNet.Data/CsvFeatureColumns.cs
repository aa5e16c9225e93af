using NeuralNet.Preprocessing;

namespace NeuralNet.Data;

// CsvData as the dictionary of named columns that pandas' read_csv hands to Keras' FeatureSpace: texts for categorical
// columns, integers where every value is a whole number, floats otherwise.
internal static class CsvFeatureColumns
{
    // Whole values up to long's range become integers; an integer feature then refuses one above 2^24 itself, naming
    // the value and the limit (FeatureColumn.Check), while float features convert them back exactly.
    private const float LongRange = 9.2233720368547758e18f;

    public static IReadOnlyDictionary<string, FeatureColumn> Of(CsvData data)
    {
        var columns = new Dictionary<string, FeatureColumn>(StringComparer.Ordinal);
        Add(columns, data, data.Features, data.FeatureNames, isLabel: false);
        if (data.Labels is { } labels)
        {
            Add(columns, data, labels, data.LabelNames, isLabel: true);
        }

        return columns;
    }

    private static void Add(Dictionary<string, FeatureColumn> columns, CsvData data, Tensor table, IReadOnlyList<string> names, bool isLabel)
    {
        string role = isLabel ? "label" : "feature";
        int rows = table.Shape[0], width = table.Shape[1];
        ReadOnlySpan<float> values = table.AsReadOnlySpan();
        for (int c = 0; c < width; c++)
        {
            string name = names[c];
            if (!data.ColumnTypes.TryGetValue(name, out CsvColumnType type))
            {
                // A one-hot label stays in CsvData.Labels, where the model's targets come from (a FeatureSpace never
                // reads the target: Keras' tutorial pops it); a one-hot feature has lost the texts a FeatureSpace needs.
                if (isLabel)
                {
                    continue;
                }

                string source = data.ColumnTypes.Keys.FirstOrDefault(k => name.StartsWith(k + "=", StringComparison.Ordinal)) ?? name;
                throw new InvalidOperationException(
                    $"The feature column '{source}' was one-hot encoded ('{name}', ...), but FeatureSpace takes a categorical column as its texts. Read the table with CategoricalEncoding = CategoricalEncoding.Integer (the default).");
            }

            if (columns.ContainsKey(name))
            {
                throw new InvalidOperationException(
                    $"The {role} column '{name}' appears twice in the table, but FeatureSpace takes each column once, by name. Rename one in the file's header, or give every column a name of your own with CsvReadOptions.ColumnNames.");
            }

            columns.Add(name, type == CsvColumnType.Categorical
                ? Texts(values, rows, width, c, data.Vocabularies[name])
                : Numbers(values, rows, width, c));
        }
    }

    private static FeatureColumn Texts(ReadOnlySpan<float> values, int rows, int width, int column, IReadOnlyList<string> vocabulary)
    {
        var texts = new string[rows];
        for (int r = 0; r < rows; r++)
        {
            texts[r] = vocabulary[(int)values[(r * width) + column]];
        }

        return texts;
    }

    private static FeatureColumn Numbers(ReadOnlySpan<float> values, int rows, int width, int column)
    {
        bool whole = true;
        for (int r = 0; r < rows && whole; r++)
        {
            float v = values[(r * width) + column];
            whole = MathF.Abs(v) < LongRange && v == MathF.Truncate(v);
        }

        if (whole)
        {
            var integers = new long[rows];
            for (int r = 0; r < rows; r++)
            {
                integers[r] = (long)values[(r * width) + column];
            }

            return integers;
        }

        var floats = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            floats[r] = values[(r * width) + column];
        }

        return floats;
    }
}
