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
    /// <exception cref="InvalidDataException">The text is not valid JSON, repeats a key within an object, or holds a string that is no text (an unpaired surrogate escape, bytes that are not UTF-8).</exception>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8, string what)
    {
        try
        {
            Check(utf8, what);
            return JsonNode.Parse(utf8, documentOptions: s_options);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{what} is not valid JSON: {ex.Message}", ex);
        }
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
