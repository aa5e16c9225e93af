namespace NeuralNet.Data;

/// <summary>The options resolved against a file's column names: the chosen columns in tensor order.</summary>
internal sealed class CsvSchema
{
    private CsvSchema(string source, IReadOnlyList<string> names, CsvColumn[] features, CsvColumn[] labels, CsvMissingMarkers markers, CsvNumberFormat numbers, char separator, CsvInference? inference)
    {
        Source = source;
        Separator = separator;
        Markers = markers;
        Numbers = numbers;
        Inference = inference;
        Names = names;
        Features = features;
        Labels = labels;
        Columns = [.. features, .. labels];
    }

    /// <summary>The file (or source name) in messages.</summary>
    public string Source { get; }

    /// <summary>The texts that mark a missing value besides a blank field.</summary>
    public CsvMissingMarkers Markers { get; }

    /// <summary>The field separator, for hints.</summary>
    public char Separator { get; }

    /// <summary>How the file writes its numbers.</summary>
    public CsvNumberFormat Numbers { get; }

    /// <summary>What type inference decided (for messages about a column inferred numeric); null without inference.</summary>
    public CsvInference? Inference { get; }

    /// <summary>The name of every field of a row.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The feature columns, in tensor order.</summary>
    public CsvColumn[] Features { get; }

    /// <summary>The label columns, in tensor order.</summary>
    public CsvColumn[] Labels { get; }

    /// <summary>Every chosen column, features first (one array, so the row loop allocates none).</summary>
    public CsvColumn[] Columns { get; }

    /// <summary>Chooses the columns <paramref name="options"/> names among <paramref name="names"/>.</summary>
    /// <exception cref="ArgumentException">An option names a column the file does not have, or a categorical column or a column with a default is neither a feature nor a label.</exception>
    /// <exception cref="InvalidDataException">A column the options name appears twice among <paramref name="names"/>, or no feature column is left.</exception>
    public static CsvSchema Resolve(string source, IReadOnlyList<string> names, CsvReadOptions options)
    {
        int[] labelIndices = [.. options.LabelColumns.Select(n => IndexOf(source, names, n, "label"))];
        int[] featureIndices = options.FeatureColumns is null
            ? [.. Enumerable.Range(0, names.Count).Where(i => !labelIndices.Contains(i))]
            : [.. options.FeatureColumns.Select(n => IndexOf(source, names, n, "feature"))];
        if (featureIndices.Length == 0)
        {
            throw new InvalidDataException($"{source}: every column ({string.Join(", ", names)}) is a label column; expected at least one feature column.");
        }

        foreach (string categorical in options.CategoricalColumns)
        {
            int index = IndexOf(source, names, categorical, "categorical");
            if (!labelIndices.Contains(index) && !featureIndices.Contains(index))
            {
                throw new ArgumentException($"{source}: categorical column '{categorical}' is neither a feature nor a label column; expected a chosen column.", nameof(options));
            }
        }

        foreach (string defaulted in options.ColumnDefaults?.Keys ?? [])
        {
            int index = IndexOf(source, names, defaulted, "ColumnDefaults");
            if (!labelIndices.Contains(index) && !featureIndices.Contains(index))
            {
                throw new ArgumentException($"{source}: ColumnDefaults has a default for '{defaulted}', which is neither a feature nor a label column; expected defaults of chosen columns only.", nameof(options));
            }
        }

        CsvColumn Make(int index, bool isLabel)
        {
            string name = names[index];
            string? defaultText = options.ColumnDefaults is not null && options.ColumnDefaults.TryGetValue(name, out string? text) ? text : null;
            if (!options.CategoricalColumns.Contains(name))
            {
                // The default was checked to parse by CsvOptionsCheck; NaN fills a feature that has no default when asked
                // to, never a label (a NaN target would reach the loss unnoticed).
                float? numberDefault = defaultText is not null && CsvOptionsCheck.TryParseDefaultNumber(defaultText, options.Numbers, out float number) ? number
                    : options.MissingNumbersAsNaN && !isLabel ? float.NaN : null;
                bool inferred = options.Inference is not null && options.Inference.Numeric.Contains(name);
                CsvUndecided? undecided = options.InferColumnTypes ? new CsvUndecided(defaultText) : null;
                return new CsvColumn(name, index, isLabel, encoding: null, vocabulary: null, numberDefault: numberDefault, inferredNumeric: inferred, undecided: undecided);
            }

            IReadOnlyList<string>? fixedValues = options.Vocabularies is not null && options.Vocabularies.TryGetValue(name, out IReadOnlyList<string>? values) ? values : null;
            var vocabulary = new CsvVocabulary(fixedValues);
            if (defaultText is not null)
            {
                // Always a category of a collected vocabulary (sorted in when sealed), so the ids and one-hot width do
                // not depend on whether this file has gaps; a fixed vocabulary was checked to hold it.
                vocabulary.GetOrAdd(defaultText);
            }

            return new CsvColumn(name, index, isLabel, isLabel ? options.LabelEncoding : options.CategoricalEncoding, vocabulary, categoryDefault: defaultText);
        }

        return new CsvSchema(source, names, [.. featureIndices.Select(i => Make(i, false))], [.. labelIndices.Select(i => Make(i, true))],
            CsvMissingMarkers.From(options), options.Numbers, options.Separator, options.Inference);
    }

    private static int IndexOf(string source, IReadOnlyList<string> names, string name, string role)
    {
        int index = -1;
        for (int i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.Ordinal))
            {
                if (index >= 0)
                {
                    throw new InvalidDataException($"{source}: the column names hold '{name}' twice (fields {index + 1} and {i + 1}); expected the {role} column once.");
                }

                index = i;
            }
        }

        return index >= 0
            ? index
            : throw new ArgumentException($"{source}: {role} column '{name}' is not among the columns ({string.Join(", ", names)}).", "options");
    }
}
