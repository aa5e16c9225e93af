using System.Globalization;
using System.Text;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// A vocabulary file as Keras' lookups read one (<c>vocabulary="path"</c>: <c>IndexLookup._lookup_table_from_file</c>,
/// TensorFlow's <c>TextFileInitializer</c> with the whole line as key and the line number as value): one token per line,
/// lines ended by "\n" with one trailing "\r" dropped (TensorFlow's <c>InputBuffer::ReadLine</c>), a final line without
/// "\n" kept when it is not empty, an empty line refused (<c>TextFileLineIterator</c>), no other stripping (a UTF-8 byte
/// order mark stays part of the first token, as in Keras). Every line is a token, special tokens included: line k takes
/// index <c>tokenStart + k</c>. Only user code reads a file: loading a model refuses a configuration that names one
/// (<see cref="LookupConfig.RefusePaths"/>). Shared by
/// <see cref="IntegerLookup"/>, <see cref="Preprocessing.StringLookup"/> and <see cref="Preprocessing.TextVectorization"/>.
/// </summary>
internal static class VocabularyFile
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The largest vocabulary file read, in bytes: the cap the Keras archive reader puts on a lookup's vocabulary asset
    /// (<c>KerasLookupAssets</c>), so that a path naming a device or a huge file fails instead of filling memory.
    /// </summary>
    internal const long MaxBytes = 256L << 20;

    /// <summary>The file's lines, decoded as strict UTF-8.</summary>
    /// <param name="path">The file.</param>
    /// <param name="owner">The layer, named in messages (<c>StringLookup 'tokens'</c>).</param>
    /// <param name="maxBytes">The largest file read (<see cref="MaxBytes"/>; smaller in tests).</param>
    /// <exception cref="FileNotFoundException">The file does not exist (Keras' "Vocabulary file ... does not exist").</exception>
    /// <exception cref="InvalidDataException">The file is larger than <paramref name="maxBytes"/>, a line is not UTF-8 or is empty, or the file holds no line.</exception>
    public static string[] ReadLines(string path, string owner, long maxBytes = MaxBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{owner}: vocabulary file '{path}' does not exist.", path);
        }

        using MemoryStream content = ReadAtMost(path, owner, maxBytes);
        byte[] bytes = content.GetBuffer();
        int total = (int)content.Length;
        var lines = new List<string>();
        int start = 0;
        while (start < total)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start, total - start);
            int length = (end < 0 ? total : end) - start;
            if (length > 0 && bytes[start + length - 1] == (byte)'\r')
            {
                length--;
            }

            if (length == 0)
            {
                // TensorFlow's TextFileLineIterator refuses an empty line ("empty line found at position N"); after the
                // last "\n" an empty rest (or a lone "\r", which ReadLine drops) is the end of the file, not a line.
                if (end < 0)
                {
                    break;
                }

                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{owner}: line {lines.Count + 1} of vocabulary file '{path}' is empty; TensorFlow's vocabulary file reader, which Keras uses, refuses empty lines (\"empty line found\"). Remove the line; only one \"\\n\" may end the file."));
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

            start = end < 0 ? total : end + 1;
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

    /// <summary>
    /// The constructor's check of <c>vocabulary</c> against <c>vocabularyFile</c>: not both, and no file in TF-IDF mode
    /// (Keras refuses a file there, having no weights for it). Shared by the three layers that read files.
    /// </summary>
    /// <exception cref="ArgumentException">Both are given, or a file in TF-IDF mode; <see cref="ArgumentException.ParamName"/> is <c>vocabularyFile</c>.</exception>
    public static void CheckConstructorArguments(bool hasVocabulary, string? vocabularyFile, bool tfIdf, string owner)
    {
        if (vocabularyFile is null)
        {
            return;
        }

        if (hasVocabulary)
        {
            throw new ArgumentException($"{owner}: give either vocabulary or vocabularyFile, not both.", nameof(vocabularyFile));
        }

        RefuseTfIdf(tfIdf, owner, nameof(vocabularyFile));
    }

    // Reads with a bound whatever the file claims: a device such as /dev/zero reports no length and never ends.
    private static MemoryStream ReadAtMost(string path, string owner, long maxBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        if (stream.CanSeek && stream.Length > maxBytes)
        {
            throw TooLarge(path, owner, maxBytes);
        }

        var content = new MemoryStream(stream.CanSeek ? (int)stream.Length : 0);
        byte[] chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (content.Length + read > maxBytes)
            {
                throw TooLarge(path, owner, maxBytes);
            }

            content.Write(chunk, 0, read);
        }

        return content;
    }

    private static InvalidDataException TooLarge(string path, string owner, long maxBytes) => new(string.Create(CultureInfo.InvariantCulture,
        $"{owner}: vocabulary file '{path}' is larger than {maxBytes} bytes, the most a vocabulary file may hold; expected a text file of one token per line."));

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
