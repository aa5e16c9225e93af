namespace NeuralNet.Datasets;

/// <summary>
/// Builds the <see cref="InvalidDataException"/>s thrown for bad data files. <see cref="InvalidDataException"/>
/// is sealed, so instead of a subclass the message names the file and the offset or the expected and actual
/// values, and the same facts are stored in <see cref="Exception.Data"/> under the keys below.
/// </summary>
internal static class DataFileErrors
{
    public const string FileKey = "FileName";
    public const string OffsetKey = "Offset";
    public const string ExpectedKey = "Expected";
    public const string ActualKey = "Actual";

    /// <summary>A format problem at a byte offset (or in the whole file when <paramref name="offset"/> is null).</summary>
    public static InvalidDataException Format(string fileName, long? offset, string detail, Exception? inner = null)
    {
        string message = offset is long at ? $"{fileName}: at byte offset {at}: {detail}" : $"{fileName}: {detail}";
        var ex = new InvalidDataException(message, inner);
        ex.Data[FileKey] = fileName;
        if (offset is long value)
        {
            ex.Data[OffsetKey] = value;
        }

        return ex;
    }

    /// <summary>A SHA-256 mismatch.</summary>
    public static InvalidDataException Checksum(string fileName, string expected, string actual, string? note = null)
    {
        var ex = new InvalidDataException($"{fileName}: SHA-256 mismatch: expected {expected} but the file has {actual}.{(note is null ? string.Empty : " " + note)}");
        ex.Data[FileKey] = fileName;
        ex.Data[ExpectedKey] = expected;
        ex.Data[ActualKey] = actual;
        return ex;
    }
}
