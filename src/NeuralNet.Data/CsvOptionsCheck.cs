namespace NeuralNet.Data;

/// <summary>Checks <see cref="CsvReadOptions"/> before a file is opened, so a mistake in the options is reported as such.</summary>
internal static class CsvOptionsCheck
{
    public static CsvReadOptions Validate(CsvReadOptions? options)
    {
        options ??= new CsvReadOptions();
        if (!IsSeparator(options.Separator))
        {
            throw new ArgumentException($"Separator is '{Printable(options.Separator)}', which cannot separate fields; expected '\\t' or a character with code 31 to 126 other than '\"' (it quotes) and '#' (Sep reserves it for comments), such as ',', ';' or '|'.", nameof(options));
        }

        NumberMarks(options);
        Names(options.LabelColumns, nameof(options.LabelColumns), allowEmpty: true);
        if (options.FeatureColumns is not null)
        {
            Names(options.FeatureColumns, nameof(options.FeatureColumns), allowEmpty: false);
            string? both = options.FeatureColumns.FirstOrDefault(options.LabelColumns.Contains);
            if (both is not null)
            {
                throw new ArgumentException($"Column '{both}' is both a feature and a label column; expected each column in one role.", nameof(options));
            }
        }

        Names(options.CategoricalColumns, nameof(options.CategoricalColumns), allowEmpty: true);
        if (options.ColumnNames is not null)
        {
            Names(options.ColumnNames, nameof(options.ColumnNames), allowEmpty: false);
        }
        else if (!options.HasHeader)
        {
            throw new ArgumentException("HasHeader is false but ColumnNames is not set; expected the column names of a file without a header.", nameof(options));
        }

        Enum(options.CategoricalEncoding, nameof(options.CategoricalEncoding));
        Enum(options.LabelEncoding, nameof(options.LabelEncoding));
        if (options.Vocabularies is not null)
        {
            foreach (KeyValuePair<string, IReadOnlyList<string>> pair in options.Vocabularies)
            {
                // Under inference a vocabulary declares its column categorical (CsvTypeInference.Declare), so a
                // result's Vocabularies can be passed on as they are.
                if (!options.CategoricalColumns.Contains(pair.Key) && !options.InferColumnTypes)
                {
                    throw new ArgumentException($"Vocabularies has a vocabulary for '{pair.Key}', which is not in CategoricalColumns; expected vocabularies of categorical columns only (or set InferColumnTypes, under which a vocabulary makes its column categorical).", nameof(options));
                }

                if (pair.Value is null || pair.Value.Count == 0)
                {
                    throw new ArgumentException($"The vocabulary of '{pair.Key}' is null or empty; expected at least one category.", nameof(options));
                }

                if (pair.Value.Count > CsvVocabulary.MaxCount)
                {
                    throw new ArgumentException($"The vocabulary of '{pair.Key}' has {pair.Value.Count} categories; at most {CsvVocabulary.MaxCount} are supported (ids are stored as floats).", nameof(options));
                }

                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (int i = 0; i < pair.Value.Count; i++)
                {
                    string value = pair.Value[i];
                    if (value is not null && string.IsNullOrWhiteSpace(value))
                    {
                        throw new ArgumentException($"The vocabulary of '{pair.Key}' has the blank category '{value}' at index {i}, which no cell can match (a blank cell is a missing value); expected categories with text.", nameof(options));
                    }

                    if (value is null || !seen.Add(value))
                    {
                        throw new ArgumentException($"The vocabulary of '{pair.Key}' has {(value is null ? "a null category" : $"'{value}' twice")}; expected distinct categories.", nameof(options));
                    }
                }
            }
        }

        Markers(options);
        if (options.RowsForInference is < 1)
        {
            throw new ArgumentException($"RowsForInference is {options.RowsForInference}; expected at least 1 row to infer column types from, or null for every row.", nameof(options));
        }

        if (options.ColumnDefaults is not null)
        {
            Defaults(options);
        }

        if (options.Vocabularies is not null)
        {
            CsvMissingMarkers markers = CsvMissingMarkers.From(options);
            foreach (KeyValuePair<string, IReadOnlyList<string>> pair in options.Vocabularies)
            {
                // As a blank category: no field can be read as it, since a field holding it is missing. Only the
                // column's default can give it, which makes it a deliberate "missing" category.
                string? defaultText = options.ColumnDefaults is not null && options.ColumnDefaults.TryGetValue(pair.Key, out string? text) ? text : null;
                string? marker = pair.Value.FirstOrDefault(v => markers.IsMarker(v) && v != defaultText);
                if (marker is not null)
                {
                    CsvMarkerOrigin origin = markers.Origin(marker);
                    throw new ArgumentException($"The vocabulary of '{pair.Key}' has the category '{marker}', which is {CsvMissingMarkers.Describe(origin)}: a field holding it is a missing value, so no field can be read as it; expected {(origin == CsvMarkerOrigin.NaValue ? "the NaValue" : "the marker")} outside the vocabulary, or as the column's default in ColumnDefaults.", nameof(options));
                }
            }
        }

        return options;
    }

    /// <summary>Checks <see cref="CsvReadOptions.Decimal"/> and <see cref="CsvReadOptions.Thousands"/> against each other and the separator.</summary>
    private static void NumberMarks(CsvReadOptions options)
    {
        if (!IsNumberMark(options.Decimal) || char.IsWhiteSpace(options.Decimal))
        {
            throw new ArgumentException($"Decimal is '{Printable(options.Decimal)}', which cannot mark a number's fraction; expected a character that is not a digit, a sign, 'e', 'E', '\"' or white space, such as '.' or ','.", nameof(options));
        }

        if (options.Decimal == options.Separator)
        {
            throw new ArgumentException($"Decimal and Separator are both '{Printable(options.Decimal)}'; expected different characters (a file with decimal commas usually separates fields with ';').", nameof(options));
        }

        if (options.Thousands is not char thousands)
        {
            return;
        }

        if (!IsNumberMark(thousands))
        {
            throw new ArgumentException($"Thousands is '{Printable(thousands)}', which cannot group a number's digits; expected a character that is not a digit, a sign, 'e', 'E' or '\"', such as ',', '.' or ' ', or null for none.", nameof(options));
        }

        // Thousands may equal Separator, as in pandas: "1,250,000" is then one field only when quoted.
        if (thousands == options.Decimal)
        {
            throw new ArgumentException($"Thousands and Decimal are both '{Printable(thousands)}'; expected different characters.", nameof(options));
        }
    }

    private static bool IsNumberMark(char c) => !char.IsAsciiDigit(c) && c is not ('+' or '-' or 'e' or 'E' or '"');

    /// <summary>Checks <see cref="CsvReadOptions.NaValue"/> and <see cref="CsvReadOptions.NaValues"/>.</summary>
    private static void Markers(CsvReadOptions options)
    {
        if (options.NaValue is null)
        {
            throw new ArgumentException("NaValue is null; expected the text that marks a missing value, or \"\" for empty fields only.", nameof(options));
        }

        if (options.NaValues is null)
        {
            throw new ArgumentException("NaValues is null; expected a list of texts that mark a missing value (empty for none).", nameof(options));
        }

        for (int i = 0; i < options.NaValues.Count; i++)
        {
            if (options.NaValues[i] is null)
            {
                throw new ArgumentException($"NaValues has null at index {i}; expected the texts that mark a missing value.", nameof(options));
            }
        }
    }

    /// <summary>
    /// Reads a numeric column's default: a number written as the file writes them, finite or NaN (a NaN default is the
    /// pandas-style fill asked for by name; infinities would only poison training).
    /// </summary>
    internal static bool TryParseDefaultNumber(string text, CsvNumberFormat numbers, out float value) =>
        numbers.TryParse(text, out value) && !float.IsInfinity(value);

    /// <summary>Checks each default against its column's kind (numeric or categorical) and its fixed vocabulary, if any.</summary>
    private static void Defaults(CsvReadOptions options)
    {
        foreach (KeyValuePair<string, string> pair in options.ColumnDefaults!)
        {
            if (string.IsNullOrEmpty(pair.Key))
            {
                throw new ArgumentException("ColumnDefaults has a null or empty column name; expected column names.", nameof(options));
            }

            if (pair.Value is null)
            {
                throw new ArgumentException($"ColumnDefaults gives null for '{pair.Key}'; expected the value its missing fields take.", nameof(options));
            }

            if (!options.CategoricalColumns.Contains(pair.Key) && !CsvTypeInference.DeclaresCategorical(options, pair.Key))
            {
                // A numeric column's default: a number, or (under inference, which would otherwise have made the
                // column categorical) one written as a number but refused, such as 1e39 or Infinity.
                if (!TryParseDefaultNumber(pair.Value, options.Numbers, out _))
                {
                    string example = options.Decimal == '.' ? "1.5 (invariant culture)" : $"1{options.Decimal}5 (CsvReadOptions.Decimal)";
                    throw new ArgumentException($"ColumnDefaults gives '{pair.Value}' for numeric column '{pair.Key}'; expected a number such as 0 or {example}, or NaN. If '{pair.Key}' holds categories, list it in CategoricalColumns.", nameof(options));
                }

                continue;
            }

            if (string.IsNullOrWhiteSpace(pair.Value))
            {
                throw new ArgumentException($"ColumnDefaults gives the blank category '{pair.Value}' for '{pair.Key}', which would itself be a missing value; expected a category with text, such as \"unknown\".", nameof(options));
            }

            if (options.Vocabularies is not null && options.Vocabularies.TryGetValue(pair.Key, out IReadOnlyList<string>? vocabulary) && !vocabulary.Contains(pair.Value))
            {
                throw new ArgumentException($"ColumnDefaults gives '{pair.Value}' for '{pair.Key}', which is not in its vocabulary; expected {CsvErrors.ExpectedCategory(vocabulary)}.", nameof(options));
            }
        }
    }

    /// <summary>The name of the first categorical column without a fixed vocabulary, or null when all have one.</summary>
    public static string? FirstWithoutVocabulary(CsvReadOptions options) =>
        options.CategoricalColumns.FirstOrDefault(c => options.Vocabularies is null || !options.Vocabularies.ContainsKey(c));

    private static void Names(IReadOnlyList<string> names, string property, bool allowEmpty)
    {
        if (names is null)
        {
            throw new ArgumentException($"{property} is null; expected a list of column names.", "options");
        }

        if (!allowEmpty && names.Count == 0)
        {
            throw new ArgumentException($"{property} is empty; expected at least one column name.", "options");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < names.Count; i++)
        {
            if (string.IsNullOrEmpty(names[i]))
            {
                throw new ArgumentException($"{property} has a null or empty name at index {i}; expected column names.", "options");
            }

            if (!seen.Add(names[i]))
            {
                throw new ArgumentException($"{property} names '{names[i]}' twice; expected each column once.", "options");
            }
        }
    }

    private static void Enum(CategoricalEncoding value, string property)
    {
        if (value is not (CategoricalEncoding.Integer or CategoricalEncoding.OneHot))
        {
            throw new ArgumentException($"{property} is {(int)value}, which is not a CategoricalEncoding; expected Integer or OneHot.", "options");
        }
    }

    /// <summary>Whether Sep accepts <paramref name="c"/> as a separator: its rule (<c>Sep.Validate</c>), checked here so the error names the option.</summary>
    internal static bool IsSeparator(char c) => c == '\t' || (c >= (char)31 && c <= (char)126 && c is not ('"' or '#'));

    private static string Printable(char c) => c switch
    {
        '\r' => "\\r",
        '\n' => "\\n",
        '\t' => "\\t",
        _ when char.IsControl(c) || c > (char)126 => $"\\u{(int)c:X4}",
        _ => c.ToString(),
    };
}
