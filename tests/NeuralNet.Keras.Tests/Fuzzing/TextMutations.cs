using System.Text.RegularExpressions;

namespace NeuralNet.Keras.Tests.Fuzzing;

/// <summary>
/// Seeded damage to JSON text (a <c>.keras</c> archive's config.json and metadata.json, a Keras 2 file's
/// <c>model_config</c> attribute): numbers, names, structure characters, escapes, entries repeated or dropped.
/// </summary>
internal static class TextMutations
{
    /// <summary>How many kinds <see cref="MutateJson"/> takes.</summary>
    public const int JsonKinds = 5;

    private static readonly string[] s_values =
    [
        "0", "1", "-1", "2", "3", "16", "0.5", "1.5", "1e9", "2147483647", "2147483648", "-2147483649", "9223372036854775808",
        "1e400", "null", "true", "\"x\"", "[]", "{}", "[null]", "[0]", "[1, 2]", "\"relu\"", "\"Dense\"", "\"valid\"", "\"same\"",
    ];

    private static readonly string[] s_strings =
    [
        "Dense", "Dropout", "Flatten", "Activation", "InputLayer", "Sequential", "Functional", "Conv2D", "LSTM", "GRU",
        "Bidirectional", "Add", "Concatenate", "relu", "softmax", "gelu", "GlorotUniform", "L2", "Adam", "SGD", "keras.layers",
        "keras.src.ops.numpy", "Multiply", "Mean", "Reshape", "__keras_tensor__", "keras_history", "inbound_nodes", "dense",
        "dense_1", "x", "sum", "layers", "vars", "",
    ];

    private static readonly string[] s_escapes = ["\\ud800", "\\u0000", "\\n", "\\\"", "\u00e9", "\u4e2d", "\\uZZZZ", "\\", "\\/"];

    /// <summary>The JSON damaged in one of <see cref="JsonKinds"/> ways (<paramref name="kind"/>).</summary>
    public static string MutateJson(string json, int kind, Random random) => kind switch
    {
        0 => ReplaceRun(json, random, c => char.IsAsciiDigit(c) || c is '.' or '-' or 'e', s_values[random.Next(s_values.Length)]),
        1 => ReplaceRun(json, random, c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.', s_strings[random.Next(s_strings.Length)]),
        2 => random.Next(2) == 0
            ? json.Remove(random.Next(json.Length), 1)
            : json.Insert(random.Next(json.Length), "{}[],:\"0"[random.Next(8)].ToString()),
        3 => ReplaceRun(json, random, char.IsAsciiLetter, s_escapes[random.Next(s_escapes.Length)]),
        _ => RepeatOrDropEntry(json, random),
    };

    /// <summary>
    /// Lines of a text asset (a lookup's vocabulary.txt) damaged: a line dropped, repeated, emptied, replaced by a JSON
    /// value or an escape, or the text cut short; or its bytes made invalid UTF-8 (returned as bytes).
    /// </summary>
    public static byte[] MutateLines(byte[] text, Random random)
    {
        if (random.Next(6) == 0)
        {
            return ByteMutations.Mutate(text, random);
        }

        var lines = new List<string>(System.Text.Encoding.UTF8.GetString(text).Split('\n'));
        int at = random.Next(lines.Count);
        switch (random.Next(5))
        {
            case 0: lines.RemoveAt(at); break;
            case 1: lines.Insert(at, lines[random.Next(lines.Count)]); break;
            case 2: lines[at] = string.Empty; break;
            case 3: lines[at] = random.Next(2) == 0 ? s_values[random.Next(s_values.Length)] : s_escapes[random.Next(s_escapes.Length)]; break;
            default: lines.RemoveRange(at, lines.Count - at); break;
        }

        return System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }

    /// <summary>Replaces a run of characters matching <paramref name="inRun"/> around a random position with <paramref name="replacement"/>.</summary>
    private static string ReplaceRun(string text, Random random, Func<char, bool> inRun, string replacement)
    {
        int[] starts = [.. Enumerable.Range(0, text.Length).Where(i => inRun(text[i]) && (i == 0 || !inRun(text[i - 1])))];
        if (starts.Length == 0)
        {
            return text;
        }

        int start = starts[random.Next(starts.Length)];
        int end = start;
        while (end < text.Length && inRun(text[end]))
        {
            end++;
        }

        return string.Concat(text.AsSpan(0, start), replacement, text.AsSpan(end));
    }

    private static string RepeatOrDropEntry(string json, Random random)
    {
        MatchCollection keys = Regex.Matches(json, "\"[A-Za-z_0-9]+\":");
        if (keys.Count == 0)
        {
            return json;
        }

        Match key = keys[random.Next(keys.Count)];
        string value = s_values[random.Next(s_values.Length)];
        return random.Next(3) switch
        {
            0 => json.Insert(key.Index, $"{key.Value}{value},"),
            1 => json.Insert(key.Index + key.Length, $"{value},\"_ignored\":"),
            _ => json.Remove(key.Index, key.Length).Insert(key.Index, "\"_removed\":"),
        };
    }
}
