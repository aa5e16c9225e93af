using System.Globalization;
using System.Text.Json;

namespace NeuralNet.Serialization;

/// <summary>
/// A JSON object of a saved configuration, read defensively: every accessor checks the kind and range of the
/// value and throws <see cref="InvalidDataException"/> naming the file, the place in the configuration and the problem.
/// </summary>
internal readonly struct ConfigObject
{
    private readonly JsonElement _element;

    public ConfigObject(JsonElement element, string source, string path)
    {
        Source = source;
        Path = path;
        _element = element;
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error($"must be a JSON object but is {Kind(element)}.");
        }
    }

    /// <summary>The file being read.</summary>
    public string Source { get; }

    /// <summary>Where this object is, for messages: <c>layer 2 ('dense_1', Dense)</c>.</summary>
    public string Path { get; }

    /// <summary>An exception for a problem in this object.</summary>
    public InvalidDataException Error(string problem, Exception? inner = null) => FormatError.Create(Source, null, $"{Path}: {problem}", inner);

    /// <summary>Whether <paramref name="key"/> is present and not null.</summary>
    public bool Has(string key) => _element.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>The value of <paramref name="key"/>, or null when absent or null.</summary>
    public JsonElement? Get(string key) => _element.TryGetProperty(key, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>The value of <paramref name="key"/>; throws when absent or null.</summary>
    public JsonElement Required(string key) => Get(key) ?? throw Error($"\"{key}\" is missing.");

    /// <summary>A nested object.</summary>
    public ConfigObject Object(string key) => new(Required(key), Source, $"{Path}.{key}");

    /// <summary>A string; <paramref name="fallback"/> when absent (throws when absent and no fallback).</summary>
    public string String(string key, string? fallback = null)
    {
        var value = Get(key);
        if (value is null)
        {
            return fallback ?? throw Error($"\"{key}\" is missing.");
        }

        return value.Value.ValueKind == JsonValueKind.String
            ? value.Value.GetString()!
            : throw Error($"\"{key}\" must be a string but is {Kind(value.Value)}.");
    }

    /// <summary>An integer in [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public int Int(string key, int? fallback = null, int minimum = int.MinValue, int maximum = int.MaxValue)
    {
        long value = Long(key, fallback, minimum, maximum);
        return (int)value;
    }

    /// <summary>An integer in [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public long Long(string key, long? fallback = null, long minimum = long.MinValue, long maximum = long.MaxValue)
    {
        var value = Get(key);
        if (value is null)
        {
            return fallback ?? throw Error($"\"{key}\" is missing.");
        }

        return ToLong(value.Value, $"\"{key}\"", minimum, maximum);
    }

    /// <summary>An integer or null.</summary>
    public long? NullableLong(string key) => Has(key) ? Long(key) : null;

    /// <summary>A finite number.</summary>
    public double Double(string key, double? fallback = null)
    {
        var value = Get(key);
        if (value is null)
        {
            return fallback ?? throw Error($"\"{key}\" is missing.");
        }

        if (value.Value.ValueKind != JsonValueKind.Number || !value.Value.TryGetDouble(out double d) || !double.IsFinite(d))
        {
            throw Error($"\"{key}\" must be a finite number but is {Describe(value.Value)}.");
        }

        return d;
    }

    /// <summary>A finite number representable as float32 (read as float32, so values written from floats round-trip exactly).</summary>
    public float Single(string key, float? fallback = null)
    {
        var value = Get(key);
        if (value is null)
        {
            return fallback ?? throw Error($"\"{key}\" is missing.");
        }

        if (value.Value.ValueKind != JsonValueKind.Number || !value.Value.TryGetSingle(out float f) || !float.IsFinite(f))
        {
            throw Error($"\"{key}\" must be a finite float32 number but is {Describe(value.Value)}.");
        }

        return f;
    }

    /// <summary>A float32 number or null.</summary>
    public float? NullableSingle(string key) => Has(key) ? Single(key) : null;

    /// <summary>A boolean.</summary>
    public bool Bool(string key, bool? fallback = null)
    {
        var value = Get(key);
        if (value is null)
        {
            return fallback ?? throw Error($"\"{key}\" is missing.");
        }

        return value.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"\"{key}\" must be true or false but is {Describe(value.Value)}."),
        };
    }

    /// <summary>An array of positive integers (a per-sample shape or a kernel size), at most <paramref name="maxLength"/> long.</summary>
    public int[] PositiveInts(string key, int maxLength, bool allowLeadingNull = false)
    {
        var value = Required(key);
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Error($"\"{key}\" must be an array of positive integers but is {Kind(value)}.");
        }

        int length = value.GetArrayLength();
        if (length > maxLength + (allowLeadingNull ? 1 : 0))
        {
            throw Error($"\"{key}\" has {length} entries; at most {maxLength} are allowed.");
        }

        var result = new List<int>(length);
        int index = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (allowLeadingNull && index == 0 && item.ValueKind == JsonValueKind.Null)
            {
                index++;
                continue;
            }

            result.Add((int)ToLong(item, $"\"{key}\"[{index}]", 1, int.MaxValue));
            index++;
        }

        return [.. result];
    }

    /// <summary>A short description of a JSON value for messages.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetRawText().Length <= 32 ? value.GetRawText() : "a long number",
        JsonValueKind.String => "\"" + FormatError.Shorten(value.GetString() ?? string.Empty) + "\"",
        _ => Kind(value),
    };

    /// <summary>The kind of a JSON value, with its article.</summary>
    public static string Kind(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private long ToLong(JsonElement value, string what, long minimum, long maximum)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long l))
        {
            throw Error($"{what} must be an integer but is {Describe(value)}.");
        }

        if (l < minimum || l > maximum)
        {
            throw Error(string.Create(CultureInfo.InvariantCulture, $"{what} is {l}; it must be in [{minimum}, {maximum}]."));
        }

        return l;
    }
}
