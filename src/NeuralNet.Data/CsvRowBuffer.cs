namespace NeuralNet.Data;

/// <summary>
/// The rows read so far, one float per chosen column (a number, or a category's id as handed out while reading), and
/// their conversion to the feature and label tensors once the vocabularies are known.
/// </summary>
internal sealed class CsvRowBuffer
{
    private readonly int _width;
    private float[] _values;

    public CsvRowBuffer(CsvSchema schema, int initialRows = 256)
    {
        _width = schema.Features.Length + schema.Labels.Length;
        _values = new float[checked(Math.Max(1, initialRows) * _width)];
    }

    /// <summary>The number of rows added.</summary>
    public int RowCount { get; private set; }

    /// <summary>Appends a row and returns its values to fill, features first, in schema order.</summary>
    /// <exception cref="InvalidDataException">The table would no longer fit in one array.</exception>
    public Span<float> AddRow(string source)
    {
        long needed = (long)(RowCount + 1) * _width;
        if (needed > _values.Length)
        {
            long grown = Math.Max(needed, Math.Min((long)_values.Length * 2, Array.MaxLength));
            if (needed > Array.MaxLength)
            {
                throw new InvalidDataException($"{source}: more than {RowCount} rows of {_width} values do not fit in one tensor; read the file with CsvTable.ReadChunks instead.");
            }

            Array.Resize(ref _values, (int)grown);
        }

        RowCount++;
        return _values.AsSpan((RowCount - 1) * _width, _width);
    }

    /// <summary>Seals the vocabularies and builds the tensors of the rows added.</summary>
    /// <exception cref="InvalidDataException">One-hot columns make a tensor too large for an array; the message names the largest vocabulary.</exception>
    public CsvData Build(CsvSchema schema)
    {
        CsvColumn[] columns = schema.Columns;
        int[]?[] remaps = [.. columns.Select(c => c.Vocabulary?.Seal())];
        CheckFits(schema.Source, schema.Features, "feature");
        CheckFits(schema.Source, schema.Labels, "label");
        Tensor features = Fill(columns, remaps, 0, schema.Features.Length);
        Tensor? labels = schema.Labels.Length == 0 ? null : Fill(columns, remaps, schema.Features.Length, schema.Labels.Length);
        var vocabularies = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (CsvColumn column in columns.Where(c => c.Vocabulary is not null))
        {
            vocabularies[column.Name] = [.. column.Vocabulary!.Values];
        }

        return new CsvData(
            features,
            labels,
            [.. schema.Features.SelectMany(c => c.TensorColumnNames())],
            [.. schema.Labels.SelectMany(c => c.TensorColumnNames())],
            vocabularies,
            ColumnTypes(columns));
    }

    /// <summary>Each column's type by name; a name the file repeats (allowed when no option names it) is numeric in every place.</summary>
    private static Dictionary<string, CsvColumnType> ColumnTypes(CsvColumn[] columns)
    {
        var types = new Dictionary<string, CsvColumnType>(StringComparer.Ordinal);
        foreach (CsvColumn column in columns)
        {
            types.TryAdd(column.Name, column.Vocabulary is null ? CsvColumnType.Numeric : CsvColumnType.Categorical);
        }

        return types;
    }

    /// <summary>Throws when the (rows, width) tensor of <paramref name="columns"/> (vocabularies sealed) would not fit in an array.</summary>
    private void CheckFits(string source, CsvColumn[] columns, string role)
    {
        long width = columns.Sum(c => (long)c.Width);
        if (RowCount * width <= Array.MaxLength)
        {
            return;
        }

        // Rows alone fit (AddRow checks one value per column), so one-hot columns are what does not.
        CsvColumn widest = columns.Where(c => c.Encoding == CategoricalEncoding.OneHot).MaxBy(c => c.Width)!;
        string option = widest.IsLabel ? "LabelEncoding" : "CategoricalEncoding";
        throw new InvalidDataException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{source}: one-hot {role} column '{widest.Name}' has {widest.Width} categories; with the other columns that makes {RowCount} rows of {width} {role} values, more than one tensor holds ({Array.MaxLength}). Expected fewer categories, {option} Integer, or fewer rows at a time (CsvTable.ReadChunks)."));
    }

    /// <summary>Writes columns [first, first + count) of every row into a new (rows, width) tensor.</summary>
    private Tensor Fill(CsvColumn[] columns, int[]?[] remaps, int first, int count)
    {
        int width = 0;
        for (int j = first; j < first + count; j++)
        {
            width = checked(width + columns[j].Width);
        }

        var tensor = new Tensor(RowCount, width);
        Span<float> destination = tensor.AsSpan();
        for (int r = 0; r < RowCount; r++)
        {
            ReadOnlySpan<float> row = _values.AsSpan(r * _width, _width);
            Span<float> target = destination.Slice(r * width, width);
            int offset = 0;
            for (int j = first; j < first + count; j++)
            {
                CsvColumn column = columns[j];
                int[]? remap = remaps[j];
                float value = remap is null ? row[j] : remap[(int)row[j]];
                if (column.Encoding == CategoricalEncoding.OneHot)
                {
                    target[offset + (int)value] = 1f;
                }
                else
                {
                    target[offset] = value;
                }

                offset += column.Width;
            }
        }

        return tensor;
    }
}
