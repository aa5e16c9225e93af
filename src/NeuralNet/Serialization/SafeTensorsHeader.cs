using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace NeuralNet.Serialization;

/// <summary>
/// Parses and validates the JSON header of a safetensors file with <see cref="Utf8JsonReader"/> (no reflection).
/// </summary>
/// <remarks>
/// Validation follows the format's specification (huggingface/safetensors): the header is one UTF-8 JSON object
/// whose keys are tensor names (unique) plus an optional <c>__metadata__</c> object of string values; every tensor
/// has a known <c>dtype</c>, a <c>shape</c> of non-negative integers and <c>data_offsets</c> [begin, end) relative to
/// the start of the data buffer; <c>end - begin</c> equals the element count times the element size; sorted by
/// offset, the ranges start at 0, touch without gaps or overlaps and end exactly at the end of the buffer.
/// Every number is checked before it is used, so nothing allocates more than the file's length justifies.
/// </remarks>
internal static class SafeTensorsHeader
{
    /// <summary>The largest header accepted, as in the reference implementation.</summary>
    public const int MaxHeaderSize = 100_000_000;

    /// <summary>The reserved key of the free-form string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    private const int MaxRank = 64;

    /// <summary>One tensor's header entry, validated against the data buffer.</summary>
    internal sealed record Entry(string Name, SafeTensorsDataType Type, int[] Shape, long ElementCount, long Begin, long End);

    /// <summary>Parses <paramref name="json"/> and checks it against a data buffer of <paramref name="bufferLength"/> bytes.</summary>
    /// <returns>The entries sorted by offset, and the metadata (empty when absent).</returns>
    /// <exception cref="InvalidDataException">Anything is wrong; the message names the source, the tensor and the problem.</exception>
    public static (List<Entry> Entries, Dictionary<string, string> Metadata) Parse(ReadOnlySpan<byte> json, long bufferLength, string source)
    {
        if (!Utf8.IsValid(json))
        {
            throw FormatError.Create(source, null, "the header is not valid UTF-8.");
        }

        var raw = new List<(string Name, string Dtype, long[] Shape, long Begin, long End)>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            ParseJson(json, source, raw, metadata);
        }
        catch (JsonException ex)
        {
            throw FormatError.Create(source, null, $"the header is not valid JSON: {ex.Message}", ex);
        }

        var entries = new List<Entry>(raw.Count);
        foreach (var (name, dtype, shape, begin, end) in raw)
        {
            entries.Add(Validate(name, dtype, shape, begin, end, bufferLength, source));
        }

        // Sorted by offsets, the ranges must tile the buffer: no gap, no overlap, nothing left over.
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        Entry? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < expected)
            {
                throw FormatError.Create(source, entry.Name, $"data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{previous!.Name}' at [{previous.Begin}, {previous.End}].");
            }

            if (entry.Begin > expected)
            {
                string after = previous is null ? "the start of the data buffer" : $"tensor '{previous.Name}' (which ends at {previous.End})";
                throw FormatError.Create(source, entry.Name, $"data_offsets [{entry.Begin}, {entry.End}] leave a gap of {entry.Begin - expected} bytes after {after}.");
            }

            expected = entry.End;
            previous = entry;
        }

        if (expected != bufferLength)
        {
            throw FormatError.Create(source, null, $"the tensors cover {expected} bytes but the data buffer holds {bufferLength}: {bufferLength - expected} bytes belong to no tensor.");
        }

        return (entries, metadata);
    }

    private static Entry Validate(string name, string dtype, long[] shape, long begin, long end, long bufferLength, string source)
    {
        if (!SafeTensorsDataTypes.TryParse(dtype, out var type))
        {
            throw FormatError.Create(source, name, $"unknown dtype \"{Shorten(dtype)}\"; the format defines BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, I64, U64 and F64.");
        }

        if (end < begin)
        {
            throw FormatError.Create(source, name, $"data_offsets [{begin}, {end}] end before they begin.");
        }

        if (end > bufferLength)
        {
            throw FormatError.Create(source, name, $"data_offsets [{begin}, {end}] reach past the end of the {bufferLength}-byte data buffer: the file is truncated (or its header is wrong).");
        }

        // Count elements without overflow: a product can never usefully exceed the buffer's byte count.
        bool empty = false;
        var dimensions = new int[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] > int.MaxValue)
            {
                throw FormatError.Create(source, name, $"dimension {i} of shape {FormatShape(shape)} is {shape[i]}, more than NeuralNet supports ({int.MaxValue}).");
            }

            dimensions[i] = (int)shape[i];
            empty |= shape[i] == 0;
        }

        long count = empty ? 0 : 1;
        if (!empty)
        {
            foreach (long d in shape)
            {
                if (count > bufferLength / d)
                {
                    throw FormatError.Create(source, name, $"shape {FormatShape(shape)} has more elements than the {bufferLength}-byte data buffer can hold.");
                }

                count *= d;
            }
        }

        long byteLength = count * SafeTensorsDataTypes.Size(type);
        if (end - begin != byteLength)
        {
            throw FormatError.Create(source, name, $"data_offsets [{begin}, {end}] span {end - begin} bytes but dtype {dtype} and shape {FormatShape(shape)} need {byteLength}.");
        }

        return new Entry(name, type, dimensions, count, begin, end);
    }

    private static void ParseJson(ReadOnlySpan<byte> json, string source, List<(string, string, long[], long, long)> entries, Dictionary<string, string> metadata)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw FormatError.Create(source, null, "the header is not a JSON object.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool sawMetadata = false;
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            string key = GetString(ref reader, source, null, "a tensor name");
            if (key == MetadataKey)
            {
                if (sawMetadata)
                {
                    throw FormatError.Create(source, null, $"the header has two \"{MetadataKey}\" entries.");
                }

                sawMetadata = true;
                ParseMetadata(ref reader, source, metadata);
                continue;
            }

            if (!seen.Add(key))
            {
                throw FormatError.Create(source, key, "the header names this tensor twice.");
            }

            entries.Add(ParseEntry(ref reader, source, key));
        }

        // Only whitespace (the format pads headers with spaces) may follow; the reader throws on anything else.
        if (reader.Read())
        {
            throw FormatError.Create(source, null, "the header has data after its JSON object.");
        }
    }

    private static void ParseMetadata(ref Utf8JsonReader reader, string source, Dictionary<string, string> metadata)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw FormatError.Create(source, null, $"\"{MetadataKey}\" must be an object of strings but is a {Describe(reader.TokenType)}.");
        }

        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                return;
            }

            string key = GetString(ref reader, source, null, "a metadata key");
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw FormatError.Create(source, null, $"metadata \"{Shorten(key)}\" must be a string but is a {Describe(reader.TokenType)}.");
            }

            string value = GetString(ref reader, source, null, "a metadata value");
            if (!metadata.TryAdd(key, value))
            {
                throw FormatError.Create(source, null, $"metadata key \"{Shorten(key)}\" appears twice.");
            }
        }
    }

    private static (string, string, long[], long, long) ParseEntry(ref Utf8JsonReader reader, string source, string name)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw FormatError.Create(source, name, $"the entry must be an object with dtype, shape and data_offsets but is a {Describe(reader.TokenType)}.");
        }

        string? dtype = null;
        long[]? shape = null;
        long[]? offsets = null;
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            string field = GetString(ref reader, source, name, "a field name");
            switch (field)
            {
                case "dtype":
                    EnsureFirst(dtype is null, source, name, field);
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw FormatError.Create(source, name, $"dtype must be a string but is a {Describe(reader.TokenType)}.");
                    }

                    dtype = GetString(ref reader, source, name, "the dtype");
                    break;
                case "shape":
                    EnsureFirst(shape is null, source, name, field);
                    shape = ReadIntegers(ref reader, source, name, "shape", MaxRank);
                    break;
                case "data_offsets":
                    EnsureFirst(offsets is null, source, name, field);
                    offsets = ReadIntegers(ref reader, source, name, "data_offsets", 2);
                    if (offsets.Length != 2)
                    {
                        throw FormatError.Create(source, name, $"data_offsets must hold two numbers [begin, end] but holds {offsets.Length}.");
                    }

                    break;
                default:
                    // Unknown fields are ignored, as the reference implementation does.
                    reader.Read();
                    reader.Skip();
                    break;
            }
        }

        if (dtype is null || shape is null || offsets is null)
        {
            string missing = dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets";
            throw FormatError.Create(source, name, $"the entry has no {missing}.");
        }

        return (name, dtype, shape, offsets[0], offsets[1]);
    }

    private static void EnsureFirst(bool first, string source, string name, string field)
    {
        if (!first)
        {
            throw FormatError.Create(source, name, $"the entry has two \"{field}\" fields.");
        }
    }

    private static long[] ReadIntegers(ref Utf8JsonReader reader, string source, string name, string field, int maxCount)
    {
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw FormatError.Create(source, name, $"{field} must be an array of integers but is a {Describe(reader.TokenType)}.");
        }

        var values = new List<long>();
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return [.. values];
            }

            if (values.Count == maxCount)
            {
                throw FormatError.Create(source, name, $"{field} has more than {maxCount} values.");
            }

            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value) || value < 0)
            {
                string text = reader.TokenType == JsonTokenType.Number ? Encoding.UTF8.GetString(reader.ValueSpan) : Describe(reader.TokenType);
                throw FormatError.Create(source, name, $"{field}[{values.Count}] is {Shorten(text)}; it must be a non-negative integer below 2^63.");
            }

            values.Add(value);
        }
    }

    private static string GetString(ref Utf8JsonReader reader, string source, string? name, string what)
    {
        try
        {
            return reader.GetString() ?? string.Empty;
        }
        catch (InvalidOperationException ex)
        {
            // A lone surrogate escape (\ud800) is valid JSON syntax but not a valid string.
            throw FormatError.Create(source, name, $"{what} is not a valid string: {ex.Message}", ex);
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String or JsonTokenType.PropertyName => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    /// <summary>Formats a shape as JSON does: <c>[784, 128]</c>.</summary>
    internal static string FormatShape(ReadOnlySpan<long> shape)
    {
        var builder = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            builder.Append(i == 0 ? string.Empty : ", ").Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        return builder.Append(']').ToString();
    }

    /// <summary>Cuts hostile strings short before they go into messages.</summary>
    internal static string Shorten(string text) => FormatError.Shorten(text);
}
