using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Initializers;
using NeuralNet.Regularizers;

namespace NeuralNet.Serialization;

/// <summary>
/// The configuration of a layer, activation, initializer, regularizer, optimizer, loss or metric: its constructor
/// arguments under Keras' snake_case names (Keras' <c>get_config</c> dictionary). Components write it in
/// <c>GetConfig</c>; the factory given to <see cref="SerializationRegistry.Register{T}"/> reads it back.
/// </summary>
/// <remarks>
/// <para>Reading is defensive, because a configuration may come from a damaged or hostile file: every getter checks
/// the kind and range of its value and throws <see cref="InvalidDataException"/> naming the file, the place in the
/// file and the problem (<see cref="Error"/> makes such an exception for checks of your own).</para>
/// <para>Numbers keep their JSON text until read, so a <see cref="float"/> written with <see cref="Set(string, float)"/>
/// reads back bit for bit with <see cref="GetSingle"/>.</para>
/// </remarks>
/// <example>
/// <code>
/// public override Config GetConfig() => base.GetConfig().Set("factor", Factor);
/// public static Scale FromConfig(Config config) => new(config.GetSingle("factor"), config.GetString("name"));
/// </code>
/// </example>
public sealed class Config
{
    private readonly JsonObject _values;

    /// <summary>Creates an empty configuration.</summary>
    public Config()
        : this(new JsonObject(), "configuration", "config")
    {
    }

    private Config(JsonObject values, string source, string path)
    {
        _values = values;
        Source = source;
        Path = path;
    }

    /// <summary>Where the configuration was read from (a file name), for error messages.</summary>
    public string Source { get; }

    /// <summary>Where in <see cref="Source"/> this configuration is, for error messages: <c>layer 2 ('dense_1', Dense)</c>.</summary>
    public string Path { get; }

    /// <summary>The keys, in the order they were written.</summary>
    public IEnumerable<string> Keys => _values.Select(pair => pair.Key);

    /// <summary>The number of keys.</summary>
    public int Count => _values.Count;

    /// <summary>Sets a boolean.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    public Config Set(string key, bool value) => Put(key, JsonValue.Create(value));

    /// <summary>Sets an integer.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    public Config Set(string key, int value) => Put(key, JsonValue.Create(value));

    /// <summary>Sets an integer, or null.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    public Config Set(string key, long? value) => Put(key, value is long v ? JsonValue.Create(v) : null);

    /// <summary>Sets a float32 number (written in its shortest round-trip form); it must be finite.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    /// <exception cref="ArgumentException">The value is NaN or infinite.</exception>
    public Config Set(string key, float value) => Put(key, JsonValue.Create(Finite(value, key)));

    /// <summary>Sets a float32 number, or null.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    public Config Set(string key, float? value) => value is float v ? Set(key, v) : Put(key, null);

    /// <summary>Sets a float64 number; it must be finite.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    /// <exception cref="ArgumentException">The value is NaN or infinite.</exception>
    public Config Set(string key, double value) => Put(key, JsonValue.Create(double.IsFinite(value) ? value : throw NotFinite(key, value)));

    /// <summary>Sets a string, or null.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    public Config Set(string key, string? value) => Put(key, value is null ? null : JsonValue.Create(value));

    /// <summary>Sets an array of integers, such as a kernel size or a shape.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    public Config Set(string key, ReadOnlySpan<int> values)
    {
        var array = new JsonArray();
        foreach (int value in values)
        {
            array.Add((JsonNode)JsonValue.Create(value));
        }

        return Put(key, array);
    }

    /// <summary>Sets an array of 64-bit integers, such as step boundaries.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    public Config Set(string key, ReadOnlySpan<long> values)
    {
        var array = new JsonArray();
        foreach (long value in values)
        {
            array.Add((JsonNode)JsonValue.Create(value));
        }

        return Put(key, array);
    }

    /// <summary>Sets an array of finite float64 numbers.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public Config Set(string key, ReadOnlySpan<double> values)
    {
        var array = new JsonArray();
        foreach (double value in values)
        {
            array.Add((JsonNode)JsonValue.Create(double.IsFinite(value) ? value : throw NotFinite(key, value)));
        }

        return Put(key, array);
    }

    /// <summary>Sets a nested configuration (copied), or null.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    public Config Set(string key, Config? value) => Put(key, value?._values.DeepClone());

    /// <summary>Sets an activation: its Keras name (<c>"relu"</c>) or, when it has non-default settings or is a registered custom type, <c>{"class_name": ..., "config": {...}}</c>.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    /// <exception cref="NotSupportedException">The activation is a custom type that is not registered.</exception>
    public Config Set(string key, ActivationFunction? value) => Put(key, value is null ? null : SerializationRegistry.SerializeActivation(value));

    /// <summary>Sets an initializer as <c>{"class_name": ..., "config": {...}}</c>, or null.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    /// <exception cref="NotSupportedException">The initializer is a custom type that is not registered.</exception>
    public Config Set(string key, Initializer? value) => Put(key, value is null ? null : SerializationRegistry.Serialize(value));

    /// <summary>Sets a regularizer as <c>{"class_name": ..., "config": {...}}</c>, or null.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    /// <exception cref="NotSupportedException">The regularizer is a custom type that is not registered.</exception>
    public Config Set(string key, Regularizer? value) => Put(key, value is null ? null : SerializationRegistry.Serialize(value));

    /// <summary>Sets a weight constraint (as <c>{"class_name": ..., "config": {...}}</c>), or null.</summary>
    public Config Set(string key, Constraint? value) => Put(key, value is null ? null : SerializationRegistry.Serialize(value));

    /// <summary>Sets any JSON value (copied), or null.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    public Config Set(string key, JsonNode? value) => Put(key, value?.DeepClone());

    /// <summary>Sets <paramref name="key"/> to JSON null.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    public Config SetNull(string key) => Put(key, null);

    /// <summary>Removes <paramref name="key"/>; nothing happens when it is absent.</summary>
    /// <returns>This configuration, to chain calls.</returns>
    public Config Remove(string key)
    {
        _values.Remove(key);
        return this;
    }

    /// <summary>
    /// A copy of this configuration in which every key it lacks takes its value from <paramref name="defaults"/>: the
    /// configuration of an instance made with the constructor's defaults (<c>new Adam().GetConfig()</c>), so that a
    /// factory reads optional settings without repeating the constructor's default values.
    /// </summary>
    /// <param name="defaults">The configuration of a default instance.</param>
    /// <returns>A new configuration with this one's place in the file, for messages.</returns>
    public Config WithDefaults(Config defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var merged = (JsonObject)_values.DeepClone();
        foreach ((string key, JsonNode? value) in defaults._values)
        {
            if (!merged.ContainsKey(key))
            {
                merged[key] = value?.DeepClone();
            }
        }

        return new Config(merged, Source, Path);
    }

    /// <summary>Whether <paramref name="key"/> is present with a value other than null.</summary>
    public bool Contains(string key) => _values.TryGetPropertyValue(key, out JsonNode? node) && node is not null;

    /// <summary>The JSON value of <paramref name="key"/> (a copy), or null when absent or null.</summary>
    public JsonNode? GetNode(string key) => Get(key)?.DeepClone();

    /// <summary>A string; <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="InvalidDataException">The value is absent and there is no fallback, or it is not a string.</exception>
    public string GetString(string key, string? fallback = null)
    {
        JsonNode? node = Get(key);
        if (node is null)
        {
            return fallback ?? throw Error($"\"{key}\" is missing.");
        }

        return node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : throw Error($"\"{key}\" must be a string but is {Describe(node)}.");
    }

    /// <summary>An integer in [<paramref name="minimum"/>, <paramref name="maximum"/>]; <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="InvalidDataException">The value is absent and there is no fallback, not an integer, or out of range.</exception>
    public int GetInt32(string key, int? fallback = null, int minimum = int.MinValue, int maximum = int.MaxValue) =>
        (int)GetInt64(key, fallback, minimum, maximum);

    /// <summary>An integer in [<paramref name="minimum"/>, <paramref name="maximum"/>]; <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="InvalidDataException">The value is absent and there is no fallback, not an integer, or out of range.</exception>
    public long GetInt64(string key, long? fallback = null, long minimum = long.MinValue, long maximum = long.MaxValue)
    {
        JsonNode? node = Get(key);
        return node is null ? fallback ?? throw Error($"\"{key}\" is missing.") : ToInt64(node, $"\"{key}\"", minimum, maximum);
    }

    /// <summary>An integer, or null when absent or null.</summary>
    /// <exception cref="InvalidDataException">The value is present but not an integer.</exception>
    public long? GetNullableInt64(string key) => Contains(key) ? GetInt64(key) : null;

    /// <summary>A finite float32 number (parsed from its JSON text as float32); <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="InvalidDataException">The value is absent and there is no fallback, or not a finite float32 number.</exception>
    public float GetSingle(string key, float? fallback = null)
    {
        JsonNode? node = Get(key);
        if (node is null)
        {
            return fallback ?? throw Error($"\"{key}\" is missing.");
        }

        return node.GetValueKind() == JsonValueKind.Number
            && float.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value)
            ? value
            : throw Error($"\"{key}\" must be a finite float32 number but is {Describe(node)}.");
    }

    /// <summary>A finite float32 number, or null when absent or null.</summary>
    /// <exception cref="InvalidDataException">The value is present but not a finite float32 number.</exception>
    public float? GetNullableSingle(string key) => Contains(key) ? GetSingle(key) : null;

    /// <summary>A finite number; <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="InvalidDataException">The value is absent and there is no fallback, or not a finite number.</exception>
    public double GetDouble(string key, double? fallback = null)
    {
        JsonNode? node = Get(key);
        if (node is null)
        {
            return fallback ?? throw Error($"\"{key}\" is missing.");
        }

        return node.GetValueKind() == JsonValueKind.Number
            && double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : throw Error($"\"{key}\" must be a finite number but is {Describe(node)}.");
    }

    /// <summary>A boolean; <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="InvalidDataException">The value is absent and there is no fallback, or not a boolean.</exception>
    public bool GetBoolean(string key, bool? fallback = null)
    {
        JsonNode? node = Get(key);
        if (node is null)
        {
            return fallback ?? throw Error($"\"{key}\" is missing.");
        }

        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"\"{key}\" must be true or false but is {Describe(node)}."),
        };
    }

    /// <summary>
    /// An array of at most <paramref name="maxLength"/> integers, each in [<paramref name="minimum"/>, <paramref name="maximum"/>]
    /// (a shape, a kernel size, a permutation); a leading null is skipped when <paramref name="allowLeadingNull"/> (Keras' batch axis).
    /// </summary>
    /// <exception cref="InvalidDataException">The value is absent, not an array, too long, or holds something else.</exception>
    public int[] GetInt32Array(string key, int maxLength, int minimum = int.MinValue, int maximum = int.MaxValue, bool allowLeadingNull = false)
    {
        JsonNode? node = Get(key) ?? throw Error($"\"{key}\" is missing.");
        if (node is not JsonArray array)
        {
            throw Error($"\"{key}\" must be an array of integers but is {Describe(node)}.");
        }

        if (array.Count > maxLength + (allowLeadingNull ? 1 : 0))
        {
            throw Error(string.Create(CultureInfo.InvariantCulture, $"\"{key}\" has {array.Count} entries; at most {maxLength} are allowed."));
        }

        var result = new List<int>(array.Count);
        for (int i = 0; i < array.Count; i++)
        {
            JsonNode? item = array[i];
            if (item is null && allowLeadingNull && i == 0)
            {
                continue;
            }

            result.Add((int)ToInt64(item, string.Create(CultureInfo.InvariantCulture, $"\"{key}\"[{i}]"), minimum, maximum));
        }

        return [.. result];
    }

    /// <summary>
    /// An array of at most <paramref name="maxLength"/> integers of at least <paramref name="minimum"/> or nulls (a shape
    /// with Keras' variable axes), without its first entry when <paramref name="skipFirst"/> (Keras' batch axis).
    /// </summary>
    /// <exception cref="InvalidDataException">The value is absent, not an array, too long, or holds something else.</exception>
    internal int?[] GetNullableInt32Array(string key, int maxLength, int minimum, bool skipFirst)
    {
        JsonNode? node = Get(key) ?? throw Error($"\"{key}\" is missing.");
        if (node is not JsonArray array)
        {
            throw Error($"\"{key}\" must be an array of integers and nulls but is {Describe(node)}.");
        }

        int first = skipFirst && array.Count > 0 ? 1 : 0;
        if (array.Count - first > maxLength)
        {
            throw Error(string.Create(CultureInfo.InvariantCulture, $"\"{key}\" has {array.Count} entries; at most {maxLength + first} are allowed."));
        }

        var result = new int?[array.Count - first];
        for (int i = first; i < array.Count; i++)
        {
            result[i - first] = array[i] is null ? null : (int)ToInt64(array[i], string.Create(CultureInfo.InvariantCulture, $"\"{key}\"[{i}]"), minimum, int.MaxValue);
        }

        return result;
    }

    /// <summary>An array of 64-bit integers (such as step boundaries).</summary>
    /// <exception cref="InvalidDataException">The value is absent, not an array, or holds something else.</exception>
    public long[] GetInt64Array(string key)
    {
        JsonArray array = GetArray(key, "integers");
        var result = new long[array.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = ToInt64(array[i], string.Create(CultureInfo.InvariantCulture, $"\"{key}\"[{i}]"), long.MinValue, long.MaxValue);
        }

        return result;
    }

    /// <summary>An array of finite float64 numbers.</summary>
    /// <exception cref="InvalidDataException">The value is absent, not an array, or holds something else.</exception>
    public double[] GetDoubleArray(string key)
    {
        JsonArray array = GetArray(key, "numbers");
        var result = new double[array.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = array[i] is JsonValue value && value.TryGetValue(out double number) && double.IsFinite(number)
                ? number
                : throw Error(string.Create(CultureInfo.InvariantCulture, $"\"{key}\"[{i}] must be a finite number but is {Describe(array[i])}."));
        }

        return result;
    }

    private JsonArray GetArray(string key, string what)
    {
        JsonNode? node = Get(key) ?? throw Error($"\"{key}\" is missing.");
        return node as JsonArray ?? throw Error($"\"{key}\" must be an array of {what} but is {Describe(node)}.");
    }

    /// <summary>A nested configuration.</summary>
    /// <exception cref="InvalidDataException">The value is absent or not an object.</exception>
    public Config GetConfig(string key)
    {
        JsonNode? node = Get(key) ?? throw Error($"\"{key}\" is missing.");
        return node is JsonObject obj ? new Config(obj, Source, $"{Path}.{key}") : throw Error($"\"{key}\" must be an object but is {Describe(node)}.");
    }

    /// <summary>An activation written by <see cref="Set(string, ActivationFunction?)"/>; null when absent or null.</summary>
    /// <exception cref="InvalidDataException">The value names no known activation or its configuration is invalid.</exception>
    public ActivationFunction? GetActivation(string key) => Get(key) is JsonNode node ? SerializationRegistry.DeserializeActivation(node, this, key) : null;

    /// <summary>An initializer written by <see cref="Set(string, Initializer?)"/> (or a Keras name such as <c>"glorot_uniform"</c>); null when absent or null.</summary>
    /// <exception cref="InvalidDataException">The value names no known initializer or its configuration is invalid.</exception>
    public Initializer? GetInitializer(string key) => Get(key) is JsonNode node ? SerializationRegistry.Deserialize<Initializer>(node, this, key) : null;

    /// <summary>A regularizer written by <see cref="Set(string, Regularizer?)"/>; null when absent or null.</summary>
    /// <exception cref="InvalidDataException">The value names no known regularizer or its configuration is invalid.</exception>
    public Regularizer? GetRegularizer(string key) => Get(key) is JsonNode node ? SerializationRegistry.Deserialize<Regularizer>(node, this, key) : null;

    /// <summary>A weight constraint given by identifier (<c>"max_norm"</c>) or as an object; null when absent or null.</summary>
    /// <exception cref="InvalidDataException">The value names no known constraint or holds bad settings.</exception>
    public Constraint? GetConstraint(string key) => Get(key) is JsonNode node ? SerializationRegistry.Deserialize<Constraint>(node, this, key) : null;

    /// <summary>An exception for a problem in this configuration, naming <see cref="Source"/> and <see cref="Path"/>.</summary>
    /// <param name="problem">What is wrong, such as <c>"units" must be positive</c>.</param>
    /// <param name="inner">The exception that revealed the problem, if any.</param>
    public InvalidDataException Error(string problem, Exception? inner = null) => FormatError.Create(Source, null, $"{Path}: {problem}", inner);

    /// <summary>The configuration as compact JSON.</summary>
    public string ToJson() => _values.ToJsonString();

    /// <inheritdoc/>
    public override string ToString() => ToJson();

    /// <summary>Reads a JSON object, rejecting repeated keys (which JSON readers resolve differently), for messages naming <paramref name="source"/> and <paramref name="path"/>.</summary>
    internal static Config FromJson(JsonElement element, string source, string path) =>
        element.ValueKind == JsonValueKind.Object
            ? new Config((JsonObject)ToNode(element, source, path)!, source, path)
            : throw FormatError.Create(source, null, $"{path}: must be a JSON object but is {Kind(element.ValueKind)}.");

    /// <summary>A view of a JSON object (not a copy) with its place in the file.</summary>
    internal static Config Wrap(JsonObject values, string source, string path) => new(values, source, path);

    /// <summary>This configuration with another place for messages (same values, not a copy).</summary>
    internal Config At(string path) => new(_values, Source, path);

    /// <summary>The underlying JSON object (not a copy).</summary>
    internal JsonObject Json => _values;

    /// <summary>A short description of a JSON value for messages: the number itself, a shortened string, or its kind.</summary>
    internal static string Describe(JsonNode? node)
    {
        if (node is null)
        {
            return "null";
        }

        return node.GetValueKind() switch
        {
            JsonValueKind.Number => node.ToJsonString() is { Length: <= 32 } text ? text : "a long number",
            JsonValueKind.String => "\"" + FormatError.Shorten(node.GetValue<string>()) + "\"",
            JsonValueKind kind => Kind(kind),
        };
    }

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static JsonNode? ToNode(JsonElement element, string source, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var obj = new JsonObject();
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    string name = Text(property, source, path);
                    if (obj.ContainsKey(name))
                    {
                        throw FormatError.Create(source, null, $"{path}: the key \"{FormatError.Shorten(name)}\" appears twice.");
                    }

                    obj[name] = ToNode(property.Value, source, $"{path}.{FormatError.Shorten(name)}");
                }

                return obj;
            case JsonValueKind.Array:
                var array = new JsonArray();
                int index = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    array.Add(ToNode(item, source, string.Create(CultureInfo.InvariantCulture, $"{path}[{index++}]")));
                }

                return array;
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.String:
                // Decoded once here, so that a lone UTF-16 surrogate (\ud800) fails as bad data, not later as an InvalidOperationException.
                _ = Text(element, source, path);
                return JsonValue.Create(element.Clone());
            default:
                return JsonValue.Create(element.Clone());
        }
    }

    private static string Text(JsonProperty property, string source, string path)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException ex)
        {
            throw FormatError.Create(source, null, $"{path}: a key is not valid text ({ex.Message}).", ex);
        }
    }

    private static string Text(JsonElement element, string source, string path)
    {
        try
        {
            return element.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw FormatError.Create(source, null, $"{path}: a string is not valid text ({ex.Message}).", ex);
        }
    }

    private JsonNode? Get(string key) => _values.TryGetPropertyValue(key, out JsonNode? node) ? node : null;

    private Config Put(string key, JsonNode? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        _values[key] = value;
        return this;
    }

    private long ToInt64(JsonNode? node, string what, long minimum, long maximum)
    {
        if (node is null || node.GetValueKind() != JsonValueKind.Number || !long.TryParse(node.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            throw Error($"{what} must be an integer but is {Describe(node)}.");
        }

        if (value < minimum || value > maximum)
        {
            throw Error(string.Create(CultureInfo.InvariantCulture, $"{what} is {value}; it must be in [{minimum}, {maximum}]."));
        }

        return value;
    }

    private static float Finite(float value, string key) => float.IsFinite(value) ? value : throw NotFinite(key, value);

    private static ArgumentException NotFinite(string key, double value) =>
        new(string.Create(CultureInfo.InvariantCulture, $"Configuration values must be finite, but \"{key}\" is {value}."), nameof(value));
}
