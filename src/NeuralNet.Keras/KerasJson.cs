using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NeuralNet.Keras;

/// <summary>
/// JSON read from a file (an archive's config.json and metadata.json, a Keras 2 file's model_config): parsed into nodes
/// after a scan that refuses what <see cref="JsonNode"/> would only trip over later, deep inside the reader — a key an
/// object holds twice (a <see cref="JsonObject"/> throws <see cref="ArgumentException"/> on its first lookup) and a
/// string that is no text (an unpaired surrogate escape such as <c>"\ud800"</c>, or bytes that are not UTF-8), which
/// cannot become a .NET string when read.
/// </summary>
internal static class KerasJson
{
    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 64 };

    /// <summary>Parses <paramref name="utf8"/>, naming <paramref name="what"/> (<c>"model.keras: config.json"</c>) in errors.</summary>
    /// <exception cref="InvalidDataException">The text is not valid JSON (a bare NaN, Infinity or -Infinity, as Python writes a non-finite float, is named with its key), repeats a key within an object, or holds a string that is no text (an unpaired surrogate escape, bytes that are not UTF-8).</exception>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8, string what)
    {
        try
        {
            Check(utf8, what);
            return JsonNode.Parse(utf8, documentOptions: s_options);
        }
        catch (JsonException ex)
        {
            if (NonFiniteNumber(utf8) is (string token, long at, var key))
            {
                string where = key is null ? $"byte {at}" : $"byte {at}, under \"{key}\"";
                throw new InvalidDataException($"{what} is not valid JSON: it holds {token} at {where}, a non-finite number as Python's json.dumps writes {PythonFloat(token)}, which JSON has no form for; use a large finite number instead, such as -1e9 for a mask's fill value.", ex);
            }

            throw new InvalidDataException($"{what} is not valid JSON: {ex.Message}", ex);
        }
    }

    private static string PythonFloat(string token) => token switch
    {
        "-Infinity" => "float(\"-inf\")",
        "Infinity" => "float(\"inf\")",
        _ => "float(\"nan\")",
    };

    /// <summary>
    /// The first bare <c>NaN</c>, <c>Infinity</c> or <c>-Infinity</c> outside a string (Python's json.dumps writes them for
    /// non-finite floats; JSON and System.Text.Json, which reads them only quoted, refuse them), its byte and the key it is
    /// the value of, or an item of (an array's); null when there is none.
    /// </summary>
    private static (string Token, long At, string? Key)? NonFiniteNumber(ReadOnlySpan<byte> utf8)
    {
        string? key = null;
        var outer = new Stack<string?>();
        int stringStart = -1;
        for (int i = 0; i < utf8.Length; i++)
        {
            byte c = utf8[i];
            if (stringStart >= 0)
            {
                if (c == (byte)'\\')
                {
                    i++;
                }
                else if (c == (byte)'"')
                {
                    int next = i + 1;
                    while (next < utf8.Length && utf8[next] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                    {
                        next++;
                    }

                    if (next < utf8.Length && utf8[next] == (byte)':')
                    {
                        key = Encoding.UTF8.GetString(utf8[(stringStart + 1)..i]);
                    }

                    stringStart = -1;
                }

                continue;
            }

            switch (c)
            {
                case (byte)'"':
                    stringStart = i;
                    continue;
                case (byte)'{':
                    // An object's values are under its own keys; an array's items under the array's key.
                    outer.Push(key);
                    key = null;
                    continue;
                case (byte)'[':
                    outer.Push(key);
                    continue;
                case (byte)'}' or (byte)']':
                    key = outer.Count > 0 ? outer.Pop() : null;
                    continue;
            }

            ReadOnlySpan<byte> rest = utf8[i..];
            string? token = rest.StartsWith("-Infinity"u8) ? "-Infinity" : rest.StartsWith("Infinity"u8) ? "Infinity" : rest.StartsWith("NaN"u8) ? "NaN" : null;
            if (token is not null)
            {
                return (token, i, key);
            }
        }

        return null;
    }

    /// <inheritdoc cref="Parse(ReadOnlySpan{byte}, string)"/>
    public static JsonNode? Parse(string text, string what) => Parse(Encoding.UTF8.GetBytes(text), what);

    private static void Check(ReadOnlySpan<byte> utf8, string what)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = s_options.MaxDepth });
        var keys = new Stack<HashSet<string>>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    keys.Push(new HashSet<string>(StringComparer.Ordinal));
                    break;
                case JsonTokenType.EndObject:
                    keys.Pop();
                    break;
                case JsonTokenType.PropertyName:
                    string key = Text(ref reader, what);
                    if (!keys.Peek().Add(key))
                    {
                        throw new InvalidDataException($"{what}: an object holds the key \"{key}\" twice (byte {reader.TokenStartIndex}); expected each key once, as Keras writes it.");
                    }

                    break;
                case JsonTokenType.String:
                    Text(ref reader, what);
                    break;
            }
        }
    }

    private static string Text(ref Utf8JsonReader reader, string what)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidDataException($"{what}: the string at byte {reader.TokenStartIndex} is no text: it escapes an unpaired surrogate (such as \\ud800) or holds bytes that are not UTF-8; expected valid UTF-8 and UTF-16 escapes.", ex);
        }
    }
}
