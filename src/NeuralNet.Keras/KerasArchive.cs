using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NeuralNet.Keras;

/// <summary>
/// A <c>.keras</c> archive as Keras 3's <c>saving_lib</c> writes it: a zip of <c>metadata.json</c>, <c>config.json</c> and
/// <c>model.weights.h5</c>, uncompressed, in that order (plus an <c>assets/</c> folder for layers with files).
/// </summary>
internal static class KerasArchive
{
    public const string ConfigEntry = "config.json";
    public const string MetadataEntry = "metadata.json";
    public const string WeightsEntry = "model.weights.h5";
    private const long MaxConfigBytes = 64L << 20;

    /// <summary>Opens the archive in <paramref name="stream"/>, left open, its list of entries read.</summary>
    /// <exception cref="InvalidDataException">The stream is not a zip file, or its central directory is damaged.</exception>
    public static ZipArchive Open(Stream stream, string source)
    {
        ZipArchive? archive = null;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            // The central directory is read on first use, and System.IO.Compression's message does not name the file.
            _ = archive.Entries;
            return archive;
        }
        catch (InvalidDataException ex)
        {
            archive?.Dispose();
            throw new InvalidDataException($"{source}: not a .keras archive (a zip file): {ex.Message}", ex);
        }
    }

    /// <summary>The archive's config.json.</summary>
    /// <exception cref="InvalidDataException">It is missing, too large or not a JSON object.</exception>
    public static JsonObject ReadConfig(ZipArchive archive, string source)
    {
        ZipArchiveEntry entry = archive.GetEntry(ConfigEntry)
            ?? throw new InvalidDataException($"{source}: the archive has no {ConfigEntry}; a .keras archive holds {ConfigEntry}, {MetadataEntry} and {WeightsEntry}.");
        using MemoryStream text = ReadAtMost(entry, MaxConfigBytes, source);
        return KerasJson.Parse(text.GetBuffer().AsSpan(0, (int)text.Length), $"{source}: {ConfigEntry}") as JsonObject
            ?? throw new InvalidDataException($"{source}: {ConfigEntry} is not a JSON object.");
    }

    /// <summary>Whether a layer-list item is a Keras operation (<c>keras.ops</c> called in the graph) rather than a layer.</summary>
    public static bool IsOperation(JsonObject item) =>
        KerasConfigItems.Text(item["module"]) is string module && module.StartsWith("keras.src.ops", StringComparison.Ordinal);

    /// <summary>
    /// The Keras version this package writes in <c>metadata.json</c>: the configurations are in its forms, and the
    /// optimizer's variables in the order Keras has kept since 3.10.
    /// </summary>
    public const string WrittenKerasVersion = "3.16.0";

    /// <summary>
    /// The <c>keras_version</c> of the archive's metadata.json, or null when it is missing, not a string, or the file is
    /// not a JSON object (Keras' load_model does not read metadata.json, so it refuses nothing for it).
    /// </summary>
    /// <exception cref="InvalidDataException">metadata.json is larger than this reader accepts.</exception>
    public static string? ReadKerasVersion(ZipArchive archive, string source) => ReadMetadata(archive, source, "keras_version");

    /// <summary>Whether metadata.json names NeuralNet.Keras as the archive's <c>producer</c> (see <see cref="Write"/>).</summary>
    /// <exception cref="InvalidDataException">metadata.json is larger than this reader accepts.</exception>
    public static bool IsWrittenByNeuralNet(ZipArchive archive, string source) =>
        ReadMetadata(archive, source, "producer")?.StartsWith(Producer, StringComparison.Ordinal) == true;

    /// <summary>The name this package writes as the <c>producer</c> of its archives, before its version.</summary>
    public const string Producer = "NeuralNet.Keras ";

    // A string value of metadata.json, or null (see ReadKerasVersion).
    private static string? ReadMetadata(ZipArchive archive, string source, string key)
    {
        if (archive.GetEntry(MetadataEntry) is not ZipArchiveEntry entry)
        {
            return null;
        }

        using MemoryStream text = ReadAtMost(entry, MaxConfigBytes, source);
        try
        {
            return KerasJson.Parse(text.GetBuffer().AsSpan(0, (int)text.Length), $"{source}: {MetadataEntry}") is JsonObject metadata
                && metadata[key] is JsonValue value && value.TryGetValue(out string? found)
                ? found
                : null;
        }
        catch (InvalidDataException)
        {
            // Not JSON, a repeated key or a broken escape: as unreadable as a missing file, which Keras would not refuse.
            return null;
        }
    }

    /// <summary>The archive's model.weights.h5, opened.</summary>
    /// <exception cref="InvalidDataException">It is missing (or the weights are in another format), too large, or not HDF5.</exception>
    public static H5WeightsReader OpenWeights(ZipArchive archive, string source)
    {
        ZipArchiveEntry entry = archive.GetEntry(WeightsEntry) ?? throw new InvalidDataException(archive.GetEntry("model.weights.npz") is null
            ? $"{source}: the archive has no {WeightsEntry}."
            : $"{source}: the weights are in model.weights.npz (Keras' weights_format=\"npz\"); NeuralNet.Keras reads {WeightsEntry}, Keras' default.");

        // The HDF5 reader seeks, which a zip entry's stream does not: the file is read into memory, no further than
        // the largest array .NET can hold, whatever size the zip's header declares.
        MemoryStream buffer = ReadAtMost(entry, Array.MaxLength, source);
        buffer.Position = 0;
        return H5WeightsReader.Open(buffer, $"{source}/{WeightsEntry}");
    }

    /// <summary>
    /// Writes an archive with Keras' entries, uncompressed, in Keras' order: <paramref name="assets"/> (entries under
    /// <c>assets/</c> with their text, UTF-8 without a byte order mark) last, as saving_lib adds its assets folder.
    /// </summary>
    public static void Write(Stream stream, JsonObject config, MemoryStream weights, string producer, IEnumerable<(string Entry, string Text)>? assets = null)
    {
        var metadata = new JsonObject
        {
            ["keras_version"] = WrittenKerasVersion,
            ["date_saved"] = DateTime.Now.ToString("yyyy-MM-dd@HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
            ["producer"] = producer,
        };
        using var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        WriteText(archive, MetadataEntry, metadata.ToJsonString());
        WriteText(archive, ConfigEntry, config.ToJsonString());
        using (Stream entry = archive.CreateEntry(WeightsEntry, CompressionLevel.NoCompression).Open())
        {
            entry.Write(weights.GetBuffer().AsSpan(0, (int)weights.Length));
        }

        foreach (var (name, text) in assets ?? [])
        {
            WriteText(archive, name, text);
        }
    }

    private static void WriteText(ZipArchive archive, string name, string text)
    {
        using var writer = new StreamWriter(archive.CreateEntry(name, CompressionLevel.NoCompression).Open());
        writer.Write(text);
    }

    /// <summary>The bytes of <paramref name="entry"/>, no more than <paramref name="limit"/>, whatever size the zip's header declares.</summary>
    /// <exception cref="InvalidDataException">The entry is larger, or cannot be decompressed (damaged, or compressed in a way .NET does not read).</exception>
    internal static MemoryStream ReadAtMost(ZipArchiveEntry entry, long limit, string source)
    {
        var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        bool tooLarge = false;
        try
        {
            using Stream stream = entry.Open();
            int read;
            while (!tooLarge && (read = stream.Read(chunk)) > 0)
            {
                tooLarge = buffer.Length + read > limit;
                buffer.Write(chunk, 0, tooLarge ? 0 : read);
            }
        }
        catch (InvalidDataException ex)
        {
            // System.IO.Compression's messages (a damaged deflate stream, an unknown compression method) name no file.
            throw new InvalidDataException($"{source}: the archive entry {entry.FullName} cannot be read: {ex.Message}", ex);
        }

        if (tooLarge)
        {
            throw new InvalidDataException($"{source}: {entry.FullName} is larger than the {limit} bytes this reader accepts.");
        }

        return buffer;
    }
}
