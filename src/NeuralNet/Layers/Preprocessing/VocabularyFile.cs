using System.Globalization;
using System.Text;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A vocabulary file as Keras' lookups read one (<c>vocabulary="path"</c>: <c>IndexLookup._lookup_table_from_file</c>,
/// TensorFlow's <c>TextFileInitializer</c> with the whole line as key and the line number as value): one token per line,
/// lines ended by "\n" with one trailing "\r" dropped (TensorFlow's <c>InputBuffer::ReadLine</c>), a final line without
/// "\n" kept when it is not empty, no other stripping (a UTF-8 byte order mark stays part of the first token, as in
/// Keras). Every line is a token, special tokens included: line k takes index <c>tokenStart + k</c>. Shared by
/// <see cref="IntegerLookup"/>, <see cref="Preprocessing.StringLookup"/> and <see cref="Preprocessing.TextVectorization"/>.
/// </summary>
internal static class VocabularyFile
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The file's lines, decoded as strict UTF-8.</summary>
    /// <param name="path">The file.</param>
    /// <param name="owner">The layer, named in messages (<c>StringLookup 'tokens'</c>).</param>
    /// <exception cref="FileNotFoundException">The file does not exist (Keras' "Vocabulary file ... does not exist").</exception>
    /// <exception cref="InvalidDataException">A line is not UTF-8, or the file holds no line.</exception>
    public static string[] ReadLines(string path, string owner)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{owner}: vocabulary file '{path}' does not exist.", path);
        }

        byte[] bytes = File.ReadAllBytes(path);
        var lines = new List<string>();
        int start = 0;
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            int next = end < 0 ? bytes.Length : end + 1;
            int length = (end < 0 ? bytes.Length : end) - start;
            if (length > 0 && bytes[start + length - 1] == (byte)'\r')
            {
                length--;
            }

            try
            {
                lines.Add(s_strictUtf8.GetString(bytes, start, length));
            }
            catch (DecoderFallbackException ex)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{owner}: line {lines.Count + 1} of vocabulary file '{path}' is not UTF-8 text ({ex.Message}); vocabulary files hold one UTF-8 token per line."), ex);
            }

            start = next;
        }

        return lines.Count > 0 ? [.. lines] : throw new InvalidDataException($"{owner}: vocabulary file '{path}' is empty; it must hold one token per line.");
    }

    /// <summary>
    /// The lines as int64 tokens, parsed as TensorFlow's <c>safe_strto64</c> does: ASCII whitespace around, an optional
    /// '-', decimal digits.
    /// </summary>
    /// <exception cref="InvalidDataException">A line is not such an integer (the message names the file and the line).</exception>
    public static long[] ParseIntegers(string[] lines, string path, string owner)
    {
        var tokens = new long[lines.Length];
        for (int i = 0; i < lines.Length; i++)
        {
            ReadOnlySpan<char> text = lines[i].AsSpan().Trim(" \t\n\v\f\r");
            bool valid = text.Length > 0 && (text[0] == '-' ? text.Length > 1 && IsDigits(text[1..]) : IsDigits(text))
                && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out tokens[i]);
            if (!valid)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{owner}: line {i + 1} of vocabulary file '{path}' is \"{FormatError.Shorten(lines[i])}\"; expected an int64 token (decimal digits, optionally after '-')."));
            }
        }

        return tokens;
    }

    /// <summary>
    /// Refuses a token that appears on two lines (TensorFlow's table refuses a key with two values) and, when given,
    /// a reserved token on any line: the mask token (in Keras a masked input never reaches its line's index, so the
    /// index would be dead) or, when inverting, the OOV token.
    /// </summary>
    /// <exception cref="InvalidDataException">The message names the file, the token and its lines.</exception>
    public static void CheckTokens<T>(IReadOnlyList<T> tokens, IEqualityComparer<T> comparer, Func<T, string> format, string path, string owner, params (T Token, string Role)[] reserved)
        where T : notnull
    {
        var first = new Dictionary<T, int>(tokens.Count, comparer);
        for (int i = 0; i < tokens.Count; i++)
        {
            foreach ((T token, string role) in reserved)
            {
                if (comparer.Equals(tokens[i], token))
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                        $"{owner}: line {i + 1} of vocabulary file '{path}' holds the {role} {format(token)}. Every line of a vocabulary file is a token (Keras gives line k the index after the mask and OOV indices plus k), so the file must not hold the special tokens; remove that line."));
                }
            }

            if (!first.TryAdd(tokens[i], i))
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{owner}: vocabulary file '{path}' repeats the token {format(tokens[i])} on lines {first[tokens[i]] + 1} and {i + 1}; every token must appear once."));
            }
        }
    }

    /// <summary>Keras refuses a vocabulary file in TF-IDF mode, which has no weights for it.</summary>
    /// <exception cref="ArgumentException">In TF-IDF mode.</exception>
    public static void RefuseTfIdf(bool tfIdf, string owner, string parameterName)
    {
        if (tfIdf)
        {
            throw new ArgumentException($"{owner}: output_mode TfIdf does not support loading a vocabulary from a file (it has no inverse document frequencies); pass the vocabulary and idfWeights as lists.", parameterName);
        }
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return text.Length > 0;
    }
}
