using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace NeuralNet.Samples.DigitServer;

/// <summary>
/// Reads the body of <c>POST /api/predict</c>: a JSON object <c>{"pixels":[784 numbers]}</c>, a 28 x 28 image row by
/// row, MNIST style (0 is the black background, 1 full white ink). Every mistake gives a message that names the value
/// and what was expected; nothing here throws on bad input.
/// </summary>
internal static class PixelRequest
{
    /// <summary>The number of pixels of one image (28 x 28).</summary>
    public const int PixelCount = 28 * 28;

    private const string Expected = "expected {\"pixels\":[784 numbers in [0, 1]]}";

    /// <summary>Parses <paramref name="json"/>.</summary>
    /// <param name="json">The request body, UTF-8.</param>
    /// <param name="pixels">The 784 pixels, each finite and in [0, 1], when the body is valid.</param>
    /// <param name="error">What is wrong, when it is not.</param>
    /// <returns>Whether the body is a valid request.</returns>
    public static bool TryParse(ReadOnlyMemory<byte> json, [NotNullWhen(true)] out float[]? pixels, [NotNullWhen(false)] out string? error)
    {
        pixels = null;
        if (json.IsEmpty)
        {
            error = $"the request body is empty; {Expected}";
            return false;
        }

        // The parser checks the UTF-8 of the structure but not inside strings, which Describe would then fail to read:
        // check it all first.
        if (!Utf8.IsValid(json.Span))
        {
            error = InvalidUtf8(json.Span);
            return false;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            error = $"malformed JSON: {e.Message}";
            return false;
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = $"the body is {Describe(root)}; {Expected}";
                return false;
            }

            if (!root.TryGetProperty("pixels", out JsonElement array))
            {
                error = $"missing field \"pixels\"; {Expected}";
                return false;
            }

            if (array.ValueKind != JsonValueKind.Array)
            {
                error = $"\"pixels\" is {Describe(array)}; expected an array of {PixelCount} numbers";
                return false;
            }

            int count = array.GetArrayLength();
            if (count != PixelCount)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"expected {PixelCount} pixels but got {count}");
                return false;
            }

            var values = new float[PixelCount];
            int i = 0;
            foreach (JsonElement item in array.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number)
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"pixel {i} is {Describe(item)}; expected a number in [0, 1] (JSON has no NaN or infinity)");
                    return false;
                }

                if (!item.TryGetDouble(out double value) || !double.IsFinite(value))
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"pixel {i} is {Shorten(item.GetRawText())}, which is not a finite number; expected a number in [0, 1]");
                    return false;
                }

                if (value is < 0 or > 1)
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"pixel {i} is {Shorten(item.GetRawText())}; expected a number in [0, 1] (0 black background, 1 white ink)");
                    return false;
                }

                values[i++] = (float)value;
            }

            pixels = values;
            error = null;
            return true;
        }
    }

    // Where the first invalid sequence starts (only on this error path, so the loop's cost does not matter).
    private static string InvalidUtf8(ReadOnlySpan<byte> body)
    {
        int offset = 0;
        while (Rune.DecodeFromUtf8(body[offset..], out _, out int consumed) == OperationStatus.Done)
        {
            offset += consumed;
        }

        return string.Create(CultureInfo.InvariantCulture, $"the request body is not valid UTF-8 (byte 0x{body[offset]:X2} at offset {offset}); send JSON encoded as UTF-8");
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {element.GetRawText()}",
        JsonValueKind.String => $"the string {Shorten(element.GetRawText())}",
        JsonValueKind.Number => $"the number {Shorten(element.GetRawText())}",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => element.ValueKind.ToString(),
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 37), "...");
}
