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
/// indices, then the vocabulary, learned by <see cref="Adapt(IEnumerable{string}, CancellationToken)"/> (most frequent first, ties broken by the tokens'
/// UTF-8 bytes in descending order, as Keras sorts them) or given.
/// </summary>
/// <remarks>
/// <para><see cref="Transform(IEnumerable{string})"/> takes one token per sample, <see cref="Transform(IEnumerable{IReadOnlyList{string}})"/>
/// rows of tokens (one row per sample, all of one length); the result follows <see cref="CategoryOutputMode"/>'s
/// shapes. <see cref="InverseTransform"/> (for a lookup created with <c>invert: true</c>) turns indices back into tokens,
/// "[UNK]" for OOV indices.</para>
/// <para>Save it with a model by adding it to <see cref="Models.Model.Preprocessing"/>; its configuration holds the
/// vocabulary (special tokens included) under Keras' <c>"vocabulary"</c> key. Unlike Keras, using it before it has a
/// vocabulary throws, and <see cref="Adapt(IEnumerable{string}, CancellationToken)"/> may replace a given vocabulary. With several OOV indices an unknown string
/// takes the one its UTF-8 bytes hash to, FarmHash <c>Fingerprint64</c> modulo their number, as Keras'
/// <c>tf.strings.to_hash_bucket_fast</c> (the hash of <see cref="StringHashing"/>). Sparse outputs are not supported.</para>
/// <para>A vocabulary file (Keras' <c>vocabulary="path"</c>) is read by <see cref="SetVocabularyFile"/> or the
/// <c>vocabularyFile</c> argument, once: the configuration then holds its tokens. Loading refuses a configuration whose
/// <c>"vocabulary"</c> is a path (as earlier Keras 3 releases wrote it): a model file must not make this process read
/// files (Keras refuses it in safe mode); load, then call <see cref="SetVocabularyFile"/> on a file you trust.</para>
/// <para>In <see cref="CategoryOutputMode.TfIdf"/> mode each count is multiplied by its index's inverse document
/// frequency (<see cref="GetIdfWeights"/>): given with the vocabulary (<c>idfWeights</c>, required then), or learned by
/// <see cref="Adapt(IEnumerable{IReadOnlyList{string}}, CancellationToken)"/> (each row a document) or
/// <see cref="Adapt(IEnumerable{string}, CancellationToken)"/> (each token a document) as log(1 + documents / (1 +
/// documents holding the token)); the OOV indices get the mean of the tokens' weights unless given their own, and
/// indices padded to <see cref="MaxTokens"/> weigh 0, as in Keras. The weights are saved under <c>"idf_weights"</c>.</para>
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
    /// <param name="maxTokens">The largest vocabulary, mask and OOV indices included; null for no limit. <see cref="Adapt(IEnumerable{string}, CancellationToken)"/> keeps the most frequent tokens.</param>
    /// <param name="numOovIndices">The number of indices for out-of-vocabulary tokens: 1 (Keras' default), several (an unknown token takes the one its FarmHash picks), or 0, which makes unknown tokens an error.</param>
    /// <param name="maskToken">The token that marks padding, index 0 in Int mode; null for none (Keras' default).</param>
    /// <param name="oovToken">The token returned for OOV indices when inverting (Keras' default "[UNK]").</param>
    /// <param name="vocabulary">A vocabulary to start with, as for <see cref="SetVocabulary"/>; null to learn one with <see cref="Adapt(IEnumerable{string}, CancellationToken)"/>.</param>
    /// <param name="idfWeights">In TfIdf mode (and only then), with <paramref name="vocabulary"/> (required then): one inverse document frequency per entry, as for <see cref="SetVocabulary"/>.</param>
    /// <param name="invert">Whether the lookup maps indices back to tokens (<see cref="InverseTransform"/>, Int mode only) instead of tokens to indices.</param>
    /// <param name="outputMode">Indices (Keras' default) or their one-hot, multi-hot, count or TF-IDF encoding.</param>
    /// <param name="padToMaxTokens">In the encoding modes, make rows <paramref name="maxTokens"/> wide whatever the vocabulary's size.</param>
    /// <param name="name">The name (Keras' layer name); <c>string_lookup</c> when null.</param>
    /// <param name="vocabularyFile">A vocabulary file to start with (Keras' <c>vocabulary</c> given a path), read as <see cref="SetVocabularyFile"/> reads it; not with <paramref name="vocabulary"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is 1 or less, <paramref name="numOovIndices"/> is negative, or the mode is not defined.</exception>
    /// <exception cref="ArgumentException"><paramref name="invert"/> outside Int mode, <paramref name="padToMaxTokens"/> without <paramref name="maxTokens"/>,
    /// <paramref name="idfWeights"/> outside TfIdf mode, without a vocabulary or missing with one in TfIdf mode, or an invalid vocabulary or weights (see <see cref="SetVocabulary"/>);
    /// both <paramref name="vocabulary"/> and <paramref name="vocabularyFile"/>, or a file in TfIdf mode.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="vocabularyFile"/> does not exist.</exception>
    /// <exception cref="InvalidDataException"><paramref name="vocabularyFile"/> breaks a rule of <see cref="SetVocabularyFile"/>.</exception>
    public StringLookup(
        int? maxTokens = null,
        int numOovIndices = 1,
        string? maskToken = null,
        string oovToken = "[UNK]",
        IEnumerable<string>? vocabulary = null,
        IEnumerable<float>? idfWeights = null,
        bool invert = false,
        CategoryOutputMode outputMode = CategoryOutputMode.Int,
        bool padToMaxTokens = false,
        string? name = null,
        string? vocabularyFile = null)
    {
        ArgumentNullException.ThrowIfNull(oovToken);
        _index = new VocabularyIndex<string>(maxTokens, numOovIndices, maskToken is not null, maskToken ?? string.Empty, oovToken, invert, outputMode, padToMaxTokens,
            StringComparer.Ordinal, Utf8Order.Compare, FarmHashBucket, static t => $"\"{t}\"");
        Name = name ?? "string_lookup";
        VocabularyFile.CheckConstructorArguments(vocabulary is not null, vocabularyFile, outputMode == CategoryOutputMode.TfIdf, $"StringLookup '{Name}'");
        VocabularyIndex<string>.CheckIdfArguments(outputMode, vocabulary is not null, idfWeights is not null, nameof(idfWeights));
        if (vocabulary is not null)
        {
            SetVocabulary(vocabulary, idfWeights);
            HasInputVocabulary = true;
        }
        else if (vocabularyFile is not null)
        {
            SetVocabularyFile(vocabularyFile);
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

    /// <summary>
    /// Whether the vocabulary is the list given to the constructor (Keras' <c>input_vocabulary</c>), which Keras'
    /// <c>get_config</c> keeps in the layer's config; false before a vocabulary exists, after <c>Adapt</c>,
    /// <see cref="SetVocabulary"/> or <see cref="SetVocabularyFile"/>, and for a <c>vocabularyFile</c> given to the
    /// constructor: <c>KerasFormat.SaveModel</c> writes such a vocabulary as the asset <c>vocabulary.txt</c>, as Keras'
    /// <c>save_assets</c> writes an adapted one. A lookup loaded from a configuration that holds its vocabulary (a
    /// NeuralNet file, or a Keras one whose vocabulary was given) was given it.
    /// </summary>
    public bool HasInputVocabulary { get; private set; }

    /// <summary>Keras' <c>vocabulary_size()</c>: the tokens plus the mask and OOV indices; the <c>inputDim</c> of an <see cref="Embedding"/> that takes the indices.</summary>
    public int VocabularySize => _index.VocabularySize;

    /// <summary>The vocabulary in index order (Keras' <c>get_vocabulary</c>).</summary>
    /// <param name="includeSpecialTokens">Whether to include the mask and OOV tokens, so that a token's position is its index.</param>
    /// <returns>A new list.</returns>
    public IReadOnlyList<string> GetVocabulary(bool includeSpecialTokens = true) => _index.GetVocabulary(includeSpecialTokens);

    /// <summary>
    /// In TfIdf mode, the inverse document frequency of every index (Keras' <c>idf_weights</c>, without the zeros it
    /// pads to <see cref="MaxTokens"/>): <see cref="VocabularySize"/> weights, the OOV indices' first, as
    /// <see cref="SetVocabulary"/> takes them with <see cref="GetVocabulary"/>'s tokens. Empty in the other modes and
    /// before a vocabulary exists.
    /// </summary>
    /// <returns>A new array.</returns>
    public float[] GetIdfWeights() => _index.Idf.ToArray();

    /// <summary>
    /// Sets the vocabulary (Keras' <c>set_vocabulary</c>), replacing any previous one. The special tokens may lead the
    /// list (the mask token in Int mode, then "[UNK]" once per OOV index, as <see cref="GetVocabulary"/> returns them) or be left out.
    /// In TfIdf mode the inverse document frequencies come with it, one per entry of <paramref name="vocabulary"/>: when
    /// the special tokens are left out, the OOV indices get the weights' mean (Keras' <c>set_vocabulary</c>); to give
    /// them their own weight, lead the vocabulary with the OOV tokens.
    /// </summary>
    /// <param name="vocabulary">The tokens, in index order.</param>
    /// <param name="idfWeights">In TfIdf mode (and only then, where it is required), one weight per entry of <paramref name="vocabulary"/>, finite (negative weights are taken, as Keras takes any float).</param>
    /// <exception cref="ArgumentException">The vocabulary is empty, holds null, repeats a token, holds the mask token (or, when inverting, the OOV token) after its start, or exceeds <see cref="MaxTokens"/>;
    /// or <paramref name="idfWeights"/> is missing in TfIdf mode, given in another, not one per entry or not finite. Nothing changes.</exception>
    public void SetVocabulary(IEnumerable<string> vocabulary, IEnumerable<float>? idfWeights = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        string[] tokens = [.. vocabulary];
        int bad = Array.IndexOf(tokens, null);
        if (bad >= 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"vocabulary[{bad}] is null."), nameof(vocabulary));
        }

        _index.Set(tokens, idfWeights is null ? null : [.. idfWeights], nameof(vocabulary), nameof(idfWeights));
        HasInputVocabulary = false;
    }

    /// <summary>
    /// Sets the vocabulary from a text file (Keras' <c>set_vocabulary</c> given a path), replacing any previous one: one
    /// token per line, read as TensorFlow reads it for Keras (UTF-8; lines end at "\n", one "\r" before it dropped;
    /// nothing else trimmed; a last line without "\n" counts when it is not empty; an empty line is refused, as TensorFlow
    /// refuses it). Unlike a list, the file's lines are all tokens, so line k (from 0) takes index
    /// <c>numOovIndices + k</c> (one more with a mask token in Int mode) and the file must not hold the mask token (nor,
    /// when inverting, the OOV token). Not in TfIdf mode, as in Keras. Files larger than 256 MiB are refused. Saving
    /// writes the tokens into the configuration, so a saved lookup does not need the file; loading never reads one.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ArgumentException">The lookup is in TfIdf mode.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or larger than 256 MiB, a line is not UTF-8 or is empty, a token repeats or is reserved, or there are more than <see cref="MaxTokens"/> entries (the message names the file and the line). Nothing changes.</exception>
    public void SetVocabularyFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string owner = $"StringLookup '{Name}'";
        VocabularyFile.RefuseTfIdf(OutputMode == CategoryOutputMode.TfIdf, owner, nameof(path));
        _index.SetFromFile(VocabularyFile.ReadLines(path, owner), path, owner);
        HasInputVocabulary = false;
    }

    /// <summary>
    /// Learns the vocabulary from <paramref name="tokens"/> (Keras' <c>adapt</c>): every token counted, most frequent
    /// first, ties broken by the tokens' UTF-8 bytes in descending order, cut to <see cref="MaxTokens"/>. Replaces any
    /// previous vocabulary. In TfIdf mode each token is a document, as Keras reads a flat list.
    /// </summary>
    /// <param name="tokens">The tokens.</param>
    /// <param name="cancellationToken">Checked before each token; nothing changes when it is canceled.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> or one of them is null (the message names its index).</exception>
    /// <exception cref="ArgumentException">No token is left once the mask and OOV tokens are removed; the vocabulary is unchanged.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public void Adapt(IEnumerable<string> tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        Adapt(tokens.Select(static token => new[] { token }), cancellationToken, nameof(tokens));
    }

    /// <summary>
    /// Learns the vocabulary from rows of tokens (Keras' <c>adapt</c> on a batch of samples), as
    /// <see cref="Adapt(IEnumerable{string}, CancellationToken)"/> does from their tokens; in TfIdf mode each row is a
    /// document. The rows may differ in length.
    /// </summary>
    /// <param name="rows">The rows of tokens.</param>
    /// <param name="cancellationToken">Checked before each row; nothing changes when it is canceled.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rows"/>, a row or a token is null (the message names it).</exception>
    /// <exception cref="ArgumentException">No token is left once the mask and OOV tokens are removed; the vocabulary is unchanged.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public void Adapt(IEnumerable<IReadOnlyList<string>> rows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Adapt(rows, cancellationToken, nameof(rows));
    }

    // Each row a document: its tokens counted, and in TfIdf mode the documents holding each token.
    private void Adapt(IEnumerable<IReadOnlyList<string>> rows, CancellationToken cancellationToken, string parameterName)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        Dictionary<string, long>? documentCounts = OutputMode == CategoryOutputMode.TfIdf ? new(StringComparer.Ordinal) : null;
        var document = new HashSet<string>(StringComparer.Ordinal);
        long documents = 0;
        foreach (IReadOnlyList<string> row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (row is null)
            {
                throw new ArgumentNullException(parameterName, string.Create(CultureInfo.InvariantCulture, $"Row {documents} is null."));
            }

            for (int k = 0; k < row.Count; k++)
            {
                // A flat list's rows are single tokens: name the token by its index there.
                string token = row[k] ?? throw new ArgumentNullException(parameterName, row.Count == 1 && parameterName == "tokens"
                    ? string.Create(CultureInfo.InvariantCulture, $"Token {documents} is null.")
                    : string.Create(CultureInfo.InvariantCulture, $"Token {k} of row {documents} is null."));
                CollectionsMarshal.GetValueRefOrAddDefault(counts, token, out _)++;
                if (documentCounts is not null && document.Add(token))
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(documentCounts, token, out _)++;
                }
            }

            document.Clear();
            documents++;
        }

        _index.Learn(counts, documentCounts, documents, parameterName);
        HasInputVocabulary = false;
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
    /// <remarks>Keras' keys; <c>vocabulary</c> holds the vocabulary with its special tokens, learned or given (null before one exists), and in TfIdf mode <c>idf_weights</c> one weight per entry (null otherwise).</remarks>
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
        .Set("idf_weights", LookupConfig.IdfWeights(_index.Idf))
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

        LookupConfig.RefusePaths(config, "StringLookup", "string_lookup");
        return LookupConfig.Create(config, () => new StringLookup(
            config.GetNullableInt64("max_tokens") is long max ? (int)Math.Clamp(max, int.MinValue, int.MaxValue) : null,
            config.GetInt32("num_oov_indices", 1),
            config.Contains("mask_token") ? config.GetString("mask_token") : null,
            config.GetString("oov_token", "[UNK]"),
            LookupConfig.ReadStringVocabulary(config),
            LookupConfig.ReadIdfWeights(config),
            config.GetBoolean("invert", false),
            CategoryEncoder.Read(config, "int", allowTfIdf: true),
            config.GetBoolean("pad_to_max_tokens", false),
            config.GetString("name", "string_lookup")));
    }

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
        _index.Encode(ids, CategoryEncoder.RowLength(sample), _index.Depth, output.AsSpan());
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
