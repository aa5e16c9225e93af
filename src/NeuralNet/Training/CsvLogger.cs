using System.Globalization;
using System.Text;

namespace NeuralNet.Training;

/// <summary>
/// Appends one row per epoch to a CSV file: <c>epoch</c> (0-based, as Keras writes it) then every logged quantity
/// (Keras' <c>CSVLogger</c>).
/// </summary>
/// <remarks>
/// The header is written with the first row: the keys of that epoch's logs in ordinal order, as Keras sorts them.
/// Each row is written and the file closed at the end of its epoch, so an interrupted run leaves complete rows.
/// Numbers use the invariant culture and round-trip precision.
/// </remarks>
public sealed class CsvLogger : Callback
{
    private string[]? _keys;

    /// <summary>Creates the logger.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="separator">The field separator.</param>
    /// <param name="append">Whether to append to an existing file (no second header) instead of overwriting it.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    public CsvLogger(string path, char separator = ',', bool append = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
        Separator = separator;
        Append = append;
    }

    /// <summary>The CSV file.</summary>
    public string Path { get; }

    /// <summary>The field separator.</summary>
    public char Separator { get; }

    /// <summary>Whether rows are appended to an existing file.</summary>
    public bool Append { get; }

    /// <inheritdoc/>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        _keys = null;
        if (!Append && File.Exists(Path))
        {
            File.Delete(Path);
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var sb = new StringBuilder();
        bool writeHeader = false;
        if (_keys is null)
        {
            // Keras' CSVLogger: sorted(logs.keys()), by code point. With validationFreq the first epoch may not be validated;
            // its val_ columns are kept (NA until validated) rather than dropped for the whole run as Keras' would be.
            _keys = [.. logs.Keys.Union(IntermittentLogKeys).Order(StringComparer.Ordinal)];
            writeHeader = !File.Exists(Path) || new FileInfo(Path).Length == 0;
        }

        if (writeHeader)
        {
            sb.Append("epoch");
            foreach (string key in _keys)
            {
                sb.Append(Separator).Append(Field(key));
            }

            sb.Append('\n');
        }

        sb.Append(epoch.ToString(CultureInfo.InvariantCulture));
        foreach (string key in _keys)
        {
            sb.Append(Separator);
            if (logs.TryGetValue(key, out double value))
            {
                sb.Append(value.ToString("R", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append("NA");
            }
        }

        sb.Append('\n');
        File.AppendAllText(Path, sb.ToString());
    }

    // Python's csv (Keras' DictWriter): a field holding the separator, a quote or a line break is quoted, inner quotes doubled.
    private string Field(string text) => text.AsSpan().IndexOfAny(Separator, '"', '\n') < 0 && !text.Contains('\r', StringComparison.Ordinal)
        ? text
        : "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
