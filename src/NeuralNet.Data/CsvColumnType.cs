namespace NeuralNet.Data;

/// <summary>What a CSV column holds, as <see cref="CsvData.ColumnTypes"/> reports it: given in the options or inferred (<see cref="CsvReadOptions.InferColumnTypes"/>).</summary>
public enum CsvColumnType
{
    /// <summary>Numbers, read as they are (float32).</summary>
    Numeric,

    /// <summary>Categories (any text), read as ids or one-hot columns through the column's vocabulary.</summary>
    Categorical,
}
