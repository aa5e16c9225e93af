using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Serialization;

namespace NeuralNet.Preprocessing;

/// <summary>
/// Maps string tokens to indices in a vocabulary (Keras' <c>StringLookup</c>), or indices back to strings with
/// <c>invert</c>: a preprocessor in front of the model, since tensors hold only floats. The index layout, options and
/// rules are <see cref="IntegerLookup"/>'s (the same code): the mask token at 0 when set (Int mode), then the OOV
/// indices, then the vocabulary, learned by <see cref="Adapt"/> (most frequent first, ties broken by the tokens'
/// UTF-8 bytes in descending order, as Keras sorts them) or given.
/// </summary>
/// <remarks>
/// <para><see cref="Transform(IEnumerable{string})"/> takes one token per sample, <see cref="Transform(IEnumerable{IReadOnlyList{string}})"/>
/// rows of tokens (one row per sample, all of one length); the result follows <see cref="CategoryOutputMode"/>'s
/// shapes. <see cref="InverseTransform"/> (for a lookup created with <c>invert: true</c>) turns indices back into tokens,
/// "[UNK]" for OOV indices.</para>
/// <para>Save it with a model by adding it to <see cref="Models.Model.Preprocessing"/>; its configuration holds the
/// vocabulary (special tokens included) under Keras' <c>"vocabulary"</c> key. Unlike Keras, using it before it has a
/// vocabulary throws, and <see cref="Adapt"/> may replace a given vocabulary. With several OOV indices an unknown string
/// takes the one its UTF-8 bytes hash to, FarmHash <c>Fingerprint64</c> modulo their number, as Keras'
/// <c>tf.strings.to_hash_bucket_fast</c> (the hash of <see cref="StringHashing"/>). TF-IDF and sparse outputs are
/// not supported.</para>
/// </remarks>
/// <example>
/// <code>
/// var lookup = new StringLookup(vocabulary: ["a", "b", "c", "d"]);
/// Tensor ids = lookup.Transform([["a", "c", "d"], ["d", "z", "b"]]);   // [[1, 3, 4], [4, 0, 2]]
/// model.Preprocessing["tokens"] = lookup;                                // saved and loaded with the model
/// </code>
/// </example>
public sealed class StringLookup : Preprocessor
{
    private readonly VocabularyIndex<string> _index;

    /// <summary>Creates a string lookup.</summary>
    /// <param name="maxTokens">The largest vocabulary, mask and OOV indices included; null for no limit. <see cref="Adapt"/> keeps the most frequent tokens.</param>
    /// <param name="numOovIndices">The number of indices for out-of-vocabulary tokens: 1 (Keras' default), several (an unknown token takes the one its FarmHash picks), or 0, which makes unknown tokens an error.</param>
    /// <param name="maskToken">The token that marks padding, index 0 in Int mode; null for none (Keras' default).</param>
    /// <param name="oovToken">The token returned for OOV indices when inverting (Keras' default "[UNK]").</param>
    /// <param name="vocabulary">A vocabulary to start with, as for <see cref="SetVocabulary"/>; null to learn one with <see cref="Adapt"/>.</param>
    /// <param name="invert">Whether the lookup maps indices back to tokens (<see cref="InverseTransform"/>, Int mode only) instead of tokens to indices.</param>
    /// <param name="outputMode">Indices (Keras' default) or their one-hot, multi-hot or count encoding.</param>
    /// <param name="padToMaxTokens">In the encoding modes, make rows <paramref name="maxTokens"/> wide whatever the vocabulary's size.</param>
    /// <param name="name">The name (Keras' layer name); <c>string_lookup</c> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is 1 or less, <paramref name="numOovIndices"/> is negative, or the mode is not defined.</exception>
    /// <exception cref="ArgumentException"><paramref name="invert"/> outside Int mode, <paramref name="padToMaxTokens"/> without <paramref name="maxTokens"/>, or an invalid vocabulary (see <see cref="SetVocabulary"/>).</exception>
    public StringLookup(
        int? maxTokens = null,
        int numOovIndices = 1,
        string? maskToken = null,
        string oovToken = "[UNK]",
        IEnumerable<string>? vocabulary = null,
        bool invert = false,
        CategoryOutputMode outputMode = CategoryOutputMode.Int,
        bool padToMaxTokens = false,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(oovToken);
        _index = new VocabularyIndex<string>(maxTokens, numOovIndices, maskToken is not null, maskToken ?? string.Empty, oovToken, invert, outputMode, padToMaxTokens,
            StringComparer.Ordinal, CompareUtf8, FarmHashBucket, static t => $"\"{t}\"");
        Name = name ?? "string_lookup";
        if (vocabulary is not null)
        {
            SetVocabulary(vocabulary);
        }
    }

    /// <summary>The name (written in the configuration).</summary>
    public string Name { get; }

    /// <summary>The largest vocabulary, mask and OOV indices included; null for no limit.</summary>
    public int? MaxTokens => _index.MaxTokens;

    /// <summary>The number of OOV indices.</summary>
    public int NumOovIndices => _index.NumOovIndices;

    /// <summary>The mask token, or null for none.</summary>
    public string? MaskToken => _index.HasMask ? _index.MaskToken : null;

    /// <summary>The token returned for OOV indices when inverting.</summary>
    public string OovToken => _index.OovToken;

    /// <summary>Whether the lookup maps indices back to tokens.</summary>
    public bool Invert => _index.Invert;

    /// <summary>Indices or their encoding.</summary>
    public CategoryOutputMode OutputMode => _index.OutputMode;

    /// <summary>Whether encoded rows are <see cref="MaxTokens"/> wide.</summary>
    public bool PadToMaxTokens => _index.PadToMaxTokens;

    /// <summary>Whether a vocabulary has been learned or set.</summary>
    public bool HasVocabulary => _index.HasVocabulary;

    /// <summary>Keras' <c>vocabulary_size()</c>: the tokens plus the mask and OOV indices; the <c>inputDim</c> of an <see cref="Embedding"/> that takes the indices.</summary>
    public int VocabularySize => _index.VocabularySize;

    /// <summary>The vocabulary in index order (Keras' <c>get_vocabulary</c>).</summary>
    /// <param name="includeSpecialTokens">Whether to include the mask and OOV tokens, so that a token's position is its index.</param>
    /// <returns>A new list.</returns>
    public IReadOnlyList<string> GetVocabulary(bool includeSpecialTokens = true) => _index.GetVocabulary(includeSpecialTokens);

    /// <summary>
    /// Sets the vocabulary (Keras' <c>set_vocabulary</c>), replacing any previous one. The special tokens may lead the
    /// list (the mask token in Int mode, then "[UNK]" once per OOV index, as <see cref="GetVocabulary"/> returns them) or be left out.
    /// </summary>
    /// <param name="vocabulary">The tokens, in index order.</param>
    /// <exception cref="ArgumentException">The vocabulary is empty, holds null, repeats a token, holds the mask token (or, when inverting, the OOV token) after its start, or exceeds <see cref="MaxTokens"/>.</exception>
    public void SetVocabulary(IEnumerable<string> vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        string[] tokens = [.. vocabulary];
        int bad = Array.IndexOf(tokens, null);
        if (bad >= 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"vocabulary[{bad}] is null."), nameof(vocabulary));
        }

        _index.Set(tokens, nameof(vocabulary));
    }

    /// <summary>
    /// Learns the vocabulary from <paramref name="tokens"/> (Keras' <c>adapt</c>): every token counted, most frequent
    /// first, ties broken by the tokens' UTF-8 bytes in descending order, cut to <see cref="MaxTokens"/>. Replaces any
    /// previous vocabulary.
    /// </summary>
    /// <param name="tokens">The tokens.</param>
    /// <param name="cancellationToken">Checked before each token; nothing changes when it is canceled.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> or one of them is null (the message names its index).</exception>
    /// <exception cref="ArgumentException">No token is left once the mask and OOV tokens are removed; the vocabulary is unchanged.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public void Adapt(IEnumerable<string> tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        int i = 0;
        foreach (string token in tokens)
        {
            cancellationToken.ThrowIfCancellationRequested();
            CollectionsMarshal.GetValueRefOrAddDefault(counts, token ?? throw new ArgumentNullException(nameof(tokens), string.Create(CultureInfo.InvariantCulture, $"Token {i} is null.")), out _)++;
            i++;
        }

        _index.Learn(counts, nameof(tokens));
    }

    /// <summary>Maps tokens, one per sample, to a tensor: (tokens) of indices in Int mode, (tokens, depth) of one-hot vectors otherwise.</summary>
    /// <param name="tokens">The tokens.</param>
    /// <returns>A new tensor.</returns>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet, or the lookup is inverted (call <see cref="InverseTransform"/>).</exception>
    /// <exception cref="ArgumentException">There are no tokens, or a token is out of the vocabulary with no OOV index.</exception>
    /// <exception cref="ArgumentNullException">A token is null.</exception>
    public Tensor Transform(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        string[] flat = [.. tokens];
        return Lookup(flat, flat.Length, []);
    }

    /// <summary>
    /// Maps rows of tokens (one row per sample, all of one length k) to a tensor: (rows, k) of indices in Int mode;
    /// (rows, depth) of multi-hot or count vectors; (rows, k, depth) of one-hot vectors, or (rows, depth) when k is 1.
    /// </summary>
    /// <param name="rows">The rows of tokens.</param>
    /// <returns>A new tensor.</returns>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet, or the lookup is inverted (call <see cref="InverseTransform"/>).</exception>
    /// <exception cref="ArgumentException">There are no rows, the rows differ in length or are empty, or a token is out of the vocabulary with no OOV index.</exception>
    /// <exception cref="ArgumentNullException">A row or a token is null.</exception>
    public Tensor Transform(IEnumerable<IReadOnlyList<string>> rows)
    {
        (string[] flat, int count, int length) = StringRows.Flatten(rows, "tokens");
        return Lookup(flat, count, [length]);
    }

    /// <summary>Maps indices back to tokens (a lookup created with <c>invert: true</c>): the mask token for 0 when set, a vocabulary token, or "[UNK]" for any other index.</summary>
    /// <param name="indices">Whole-number indices, any shape.</param>
    /// <returns>The tokens in the tensor's row-major order.</returns>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet, or the lookup is not inverted (call <see cref="Transform(IEnumerable{string})"/>).</exception>
    /// <exception cref="ArgumentException">An index is not a whole number (the message names its position).</exception>
    public string[] InverseTransform(Tensor indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        RequireVocabulary();
        if (!Invert)
        {
            throw new InvalidOperationException($"StringLookup '{Name}' maps tokens to indices; create it with invert: true (and the same vocabulary) to map indices back to tokens.");
        }

        ReadOnlySpan<float> values = indices.AsReadOnlySpan();
        var tokens = new string[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float value = values[i];
            if (!(value == MathF.Floor(value) && float.IsFinite(value)))
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"StringLookup '{Name}' expects whole-number indices but position {i} holds {value}."), nameof(indices));
            }

            tokens[i] = _index.Token((long)Math.Clamp(value, long.MinValue, long.MaxValue));
        }

        return tokens;
    }

    /// <inheritdoc/>
    /// <remarks>Keras' keys; <c>vocabulary</c> holds the vocabulary with its special tokens, learned or given (null before one exists).</remarks>
    public override Config GetConfig() => new Config()
        .Set("name", Name)
        .Set("invert", Invert)
        .Set("max_tokens", (long?)MaxTokens)
        .Set("num_oov_indices", NumOovIndices)
        .Set("oov_token", OovToken)
        .Set("mask_token", MaskToken)
        .Set("output_mode", CategoryEncoder.Name(OutputMode))
        .Set("sparse", false)
        .Set("pad_to_max_tokens", PadToMaxTokens)
        .Set("vocabulary_dtype", "string")
        .SetNull("idf_weights")
        .Set("vocabulary", HasVocabulary ? new JsonArray([.. GetVocabulary().Select(t => (JsonNode)JsonValue.Create(t))]) : null)
        .Set("vocabulary_size", HasVocabulary ? (long?)VocabularySize : null)
        .Set("encoding", "utf-8");

    /// <summary>Keras' <c>from_config</c>: recreates a lookup, vocabulary included, from what <see cref="GetConfig"/> wrote (or Keras' config).</summary>
    internal static StringLookup FromConfig(Config config)
    {
        LookupConfig.Check(config, "string");
        string encoding = config.GetString("encoding", "utf-8");
        if (!encoding.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            throw config.Error($"\"encoding\" is \"{FormatError.Shorten(encoding)}\"; only utf-8 is supported.");
        }

        try
        {
            return new StringLookup(
                config.GetNullableInt64("max_tokens") is long max ? (int)Math.Clamp(max, int.MinValue, int.MaxValue) : null,
                config.GetInt32("num_oov_indices", 1),
                config.Contains("mask_token") ? config.GetString("mask_token") : null,
                config.GetString("oov_token", "[UNK]"),
                ReadVocabulary(config),
                config.GetBoolean("invert", false),
                CategoryEncoder.Read(config, "int"),
                config.GetBoolean("pad_to_max_tokens", false),
                config.GetString("name", "string_lookup"));
        }
        catch (ArgumentException e)
        {
            throw config.Error(e.Message, e);
        }
    }

    private static string[]? ReadVocabulary(Config config)
    {
        if (config.GetNode("vocabulary") is not JsonNode node)
        {
            return null;
        }

        if (node is not JsonArray array)
        {
            throw config.Error($"\"vocabulary\" must be an array of strings or null but is {Config.Describe(node)}.");
        }

        var tokens = new string[array.Count];
        for (int i = 0; i < tokens.Length; i++)
        {
            tokens[i] = array[i]?.GetValueKind() == JsonValueKind.String
                ? array[i]!.GetValue<string>()
                : throw config.Error(string.Create(CultureInfo.InvariantCulture, $"\"vocabulary\"[{i}] is {Config.Describe(array[i])}; expected a string."));
        }

        return tokens;
    }

    // Keras sorts the tokens' UTF-8 bytes (np.lexsort on bytes).
    private static int CompareUtf8(string a, string b) => Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    private void RequireVocabulary()
    {
        if (!HasVocabulary)
        {
            throw new InvalidOperationException($"StringLookup '{Name}' has no vocabulary yet: call Adapt with sample tokens or SetVocabulary first.");
        }
    }

    // flat holds samples of sampleShape, in row-major order.
    private Tensor Lookup(string[] flat, int samples, int[] sampleShape)
    {
        RequireVocabulary();
        if (Invert)
        {
            throw new InvalidOperationException($"StringLookup '{Name}' was created with invert: true; it maps indices to tokens through InverseTransform.");
        }

        if (samples == 0)
        {
            throw new ArgumentException("There are no tokens to look up.", "tokens");
        }

        int sampleLength = flat.Length / samples;
        var ids = new int[flat.Length];
        for (int i = 0; i < flat.Length; i++)
        {
            string token = flat[i] ?? throw new ArgumentNullException("tokens", $"The token of {CategoryEncoder.Where(i, sampleLength)} is null.");
            int id = _index.Index(token);
            if (id == VocabularyIndex<string>.Missing)
            {
                throw new ArgumentException($"StringLookup '{Name}': when num_oov_indices=0 all inputs should be in vocabulary, found OOV value \"{FormatError.Shorten(token)}\" in {CategoryEncoder.Where(i, sampleLength)}; consider setting numOovIndices=1.", "tokens");
            }

            ids[i] = id;
        }

        var sample = new TensorShape(sampleShape);
        if (OutputMode == CategoryOutputMode.Int)
        {
            var result = new Tensor(sample.Prepend(samples));
            Span<float> y = result.AsSpan();
            for (int i = 0; i < ids.Length; i++)
            {
                y[i] = ids[i];
            }

            return result;
        }

        var output = new Tensor(CategoryEncoder.OutputShape(sample, OutputMode, _index.Depth).Prepend(samples));
        CategoryEncoder.Encode(ids, CategoryEncoder.RowLength(sample), OutputMode, _index.Depth, output.AsSpan());
        return output;
    }

    // Keras' tf.strings.to_hash_bucket_fast: FarmHash Fingerprint64 of the UTF-8 bytes, modulo the bucket count.
    private static int FarmHashBucket(string token, int buckets)
    {
        const int StackBytes = 256;
        int length = Encoding.UTF8.GetByteCount(token);
        byte[]? rented = length > StackBytes ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> utf8 = rented ?? stackalloc byte[StackBytes];
        int written = Encoding.UTF8.GetBytes(token, utf8);
        int bucket = (int)(FarmHash.Fingerprint64(utf8[..written]) % (ulong)buckets);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return bucket;
    }
}
