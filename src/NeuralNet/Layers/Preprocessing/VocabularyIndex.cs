using System.Globalization;

namespace NeuralNet.Layers;

/// <summary>
/// The lookup logic shared by <see cref="IntegerLookup"/> and <see cref="Preprocessing.StringLookup"/> (Keras'
/// <c>IndexLookup</c>): the index layout (the mask token first when set in Int mode, then the OOV indices, then the
/// vocabulary), vocabularies learned by count or set directly with Keras' checks, lookups both ways, and in TF-IDF mode
/// one inverse document frequency per index (<see cref="IdfWeights"/>), learned or set with the vocabulary.
/// </summary>
/// <typeparam name="T">The token type: <see cref="long"/> or <see cref="string"/>.</typeparam>
internal sealed class VocabularyIndex<T>
    where T : notnull
{
    /// <summary>What <see cref="Index"/> returns for the mask token outside Int mode: the token is dropped from the encoding.</summary>
    public const int Dropped = -1;

    /// <summary>What <see cref="Index"/> returns for a token out of the vocabulary when there are no OOV indices.</summary>
    public const int Missing = -2;

    /// <summary>The largest vocabulary whose indices are all exact in a float (2^24).</summary>
    public const int MaxSize = 1 << 24;

    private readonly Func<T, string> _format;
    private readonly Comparison<T> _ascending;
    private readonly Func<T, int, int> _oovBucket;
    private T[] _tokens = [];
    private Dictionary<T, int> _ids;
    private float[]? _idf;

    /// <summary>Creates an empty index after checking the options as Keras' <c>IndexLookup</c> does.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is 1 or less, <paramref name="numOovIndices"/> is negative, or the mode is not defined.</exception>
    /// <exception cref="ArgumentException"><paramref name="invert"/> outside Int mode, or <paramref name="padToMaxTokens"/> without <paramref name="maxTokens"/>.</exception>
    public VocabularyIndex(int? maxTokens, int numOovIndices, bool hasMask, T maskToken, T oovToken, bool invert, CategoryOutputMode outputMode,
        bool padToMaxTokens, IEqualityComparer<T> comparer, Comparison<T> ascending, Func<T, int, int> oovBucket, Func<T, string> format)
    {
        if (maxTokens is <= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, $"If set, `max_tokens` must be greater than 1. Received: maxTokens={maxTokens}.");
        }

        if (numOovIndices < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(numOovIndices), numOovIndices, $"`num_oov_indices` must be greater than or equal to 0. Received: numOovIndices={numOovIndices}.");
        }

        CategoryEncoder.CheckDefined(outputMode, nameof(outputMode), allowTfIdf: true);
        if (invert && outputMode != CategoryOutputMode.Int)
        {
            throw new ArgumentException($"`output_mode` must be Int when `invert` is true. Received: outputMode={outputMode}.", nameof(outputMode));
        }

        if (padToMaxTokens && maxTokens is null)
        {
            throw new ArgumentException("If padToMaxTokens is true, maxTokens must be set. Received: maxTokens=null.", nameof(padToMaxTokens));
        }

        MaxTokens = maxTokens;
        NumOovIndices = numOovIndices;
        HasMask = hasMask;
        MaskToken = maskToken;
        OovToken = oovToken;
        Invert = invert;
        OutputMode = outputMode;
        PadToMaxTokens = padToMaxTokens;
        Comparer = comparer;
        _ascending = ascending;
        _oovBucket = oovBucket;
        _format = format;
        _ids = new Dictionary<T, int>(comparer);
    }

    public int? MaxTokens { get; }

    public int NumOovIndices { get; }

    public bool HasMask { get; }

    public T MaskToken { get; }

    public T OovToken { get; }

    public bool Invert { get; }

    public CategoryOutputMode OutputMode { get; }

    public bool PadToMaxTokens { get; }

    public IEqualityComparer<T> Comparer { get; }

    /// <summary>Whether a vocabulary has been learned or set.</summary>
    public bool HasVocabulary { get; private set; }

    /// <summary>The index of the first OOV index: 1 when the mask token takes index 0 (Int mode), else 0.</summary>
    public int OovStart => HasMask && OutputMode == CategoryOutputMode.Int ? 1 : 0;

    /// <summary>The index of the first vocabulary token.</summary>
    public int TokenStart => OovStart + NumOovIndices;

    /// <summary>Keras' <c>vocabulary_size()</c>: the tokens plus the mask and OOV indices.</summary>
    public int VocabularySize => TokenStart + _tokens.Length;

    /// <summary>The number of categories of an encoded output: <see cref="MaxTokens"/> when padded, else <see cref="VocabularySize"/>.</summary>
    public int Depth => PadToMaxTokens ? MaxTokens!.Value : VocabularySize;

    /// <summary>In TF-IDF mode with a vocabulary, one inverse document frequency per index (<see cref="VocabularySize"/> of them, the OOV indices first); else empty.</summary>
    public ReadOnlySpan<float> Idf => _idf;

    /// <summary>
    /// Keras' constructor checks of <c>idf_weights</c>: only in TF-IDF mode, where a given vocabulary needs them; and,
    /// unlike Keras (which keeps them unused until <c>adapt</c> replaces them), never without a vocabulary.
    /// </summary>
    /// <exception cref="ArgumentException">The weights and the mode or vocabulary do not go together.</exception>
    public static void CheckIdfArguments(CategoryOutputMode outputMode, bool hasVocabulary, bool hasIdfWeights, string parameterName)
    {
        if (hasIdfWeights && outputMode != CategoryOutputMode.TfIdf)
        {
            throw new ArgumentException($"`idf_weights` should only be set if `output_mode` is TfIdf. Received: {parameterName} and outputMode={outputMode}.", parameterName);
        }

        if (outputMode == CategoryOutputMode.TfIdf && hasVocabulary && !hasIdfWeights)
        {
            throw new ArgumentException($"When specifying the `vocabulary` argument in TfIdf output mode, the `idf_weights` argument ({parameterName}) must also be provided.", parameterName);
        }

        if (hasIdfWeights && !hasVocabulary)
        {
            throw new ArgumentException($"{parameterName} is given without a vocabulary: give the vocabulary the weights belong to, or neither and learn both with Adapt.", parameterName);
        }
    }

    /// <summary>Keras' <c>get_vocabulary</c>: every index's token, or only the learned ones.</summary>
    public T[] GetVocabulary(bool includeSpecialTokens)
    {
        if (!includeSpecialTokens)
        {
            return [.. _tokens];
        }

        var all = new T[VocabularySize];
        if (OovStart == 1)
        {
            all[0] = MaskToken;
        }

        Array.Fill(all, OovToken, OovStart, NumOovIndices);
        _tokens.CopyTo(all, TokenStart);
        return all;
    }

    /// <summary>
    /// Keras' <c>set_vocabulary</c>: the special tokens may lead the list (exactly the mask token in Int mode, then the
    /// OOV token once per OOV index) or be left out; the rest must be distinct, must not hold the mask token (nor, when
    /// inverting, the OOV token) and must fit <see cref="MaxTokens"/>. In TF-IDF mode (and only then)
    /// <paramref name="idfWeights"/> holds one weight per entry of <paramref name="vocabulary"/>; when the special tokens
    /// are left out, their indices get the weights' mean. Nothing changes when the list or the weights are refused.
    /// </summary>
    /// <exception cref="ArgumentException">The vocabulary is empty, repeats a token, holds a reserved token elsewhere than at its start, or is too large; or the weights are missing in TF-IDF mode, given in another, not one per entry or not finite.</exception>
    public void Set(IReadOnlyList<T> vocabulary, float[]? idfWeights, string parameterName, string idfParameterName)
    {
        if (OutputMode == CategoryOutputMode.TfIdf && idfWeights is null)
        {
            throw new ArgumentException($"`idf_weights` must be set if output_mode is TfIdf: pass {idfParameterName} with the vocabulary.", idfParameterName);
        }

        if (OutputMode != CategoryOutputMode.TfIdf && idfWeights is not null)
        {
            throw new ArgumentException($"`idf_weights` should only be set if output_mode is TfIdf. Received: outputMode={OutputMode} and {idfParameterName}.", idfParameterName);
        }

        if (vocabulary.Count == 0)
        {
            throw new ArgumentException("Cannot set an empty vocabulary.", parameterName);
        }

        var special = new List<T>();
        if (OovStart == 1)
        {
            special.Add(MaskToken);
        }

        special.AddRange(Enumerable.Repeat(OovToken, NumOovIndices));
        bool leading = vocabulary.Count >= special.Count && special.Select((t, i) => Comparer.Equals(t, vocabulary[i])).All(same => same);
        T[] tokens = [.. vocabulary.Skip(leading ? special.Count : 0)];
        var seen = new HashSet<T>(Comparer);
        var repeated = tokens.Where(t => !seen.Add(t)).Distinct(Comparer).Take(5).ToArray();
        if (repeated.Length > 0)
        {
            throw new ArgumentException($"The passed vocabulary has at least one repeated term. Please uniquify your dataset. The repeated terms are: [{string.Join(", ", repeated.Select(_format))}].", parameterName);
        }

        string specialList = $"[{string.Join(", ", special.Select(_format))}]";
        if (HasMask && seen.Contains(MaskToken))
        {
            throw new ArgumentException($"Found reserved mask token {_format(MaskToken)} at an unexpected location in the vocabulary. The vocabulary does not need to include the OOV and mask tokens; either remove them all or put them only at its start, in this order: {specialList}.", parameterName);
        }

        if (Invert && seen.Contains(OovToken))
        {
            throw new ArgumentException($"Found reserved OOV token {_format(OovToken)} at an unexpected location in the vocabulary. The vocabulary does not need to include the OOV and mask tokens; either remove them all or put them only at its start, in this order: {specialList}.", parameterName);
        }

        if (SizeProblem(tokens.Length) is string problem)
        {
            throw new ArgumentException(problem, parameterName);
        }

        CheckText(tokens, parameterName);
        float[]? idf = idfWeights is null ? null : IdfWeights.Given(idfWeights, vocabulary.Count, leading, TokenStart, idfParameterName);
        Commit(tokens, idf);
    }

    /// <summary>
    /// Keras' <c>set_vocabulary</c> with a file path: every line is a token (<see cref="VocabularyFile"/>), none may
    /// repeat, be the mask token or (when inverting) the OOV token, and they must fit <see cref="MaxTokens"/> (which Keras
    /// does not check for a file, leaving the layer to fail later). Outside TF-IDF mode only. Nothing changes when refused.
    /// </summary>
    /// <exception cref="InvalidDataException">The tokens break one of those rules (the message names the file and the line).</exception>
    public void SetFromFile(T[] tokens, string path, string owner)
    {
        var reserved = new List<(T, string)>();
        if (HasMask)
        {
            reserved.Add((MaskToken, "mask token"));
        }

        if (Invert)
        {
            reserved.Add((OovToken, "OOV token"));
        }

        VocabularyFile.CheckTokens(tokens, Comparer, _format, path, owner, [.. reserved]);
        if (SizeProblem(tokens.Length) is string problem)
        {
            throw new InvalidDataException($"{owner}: vocabulary file '{path}': {problem}");
        }

        // Strict UTF-8 decoding leaves no lone surrogate, so CheckText has nothing to find.
        Commit(tokens, null);
    }

    // Keras' max_tokens check, and indices that floats hold exactly.
    private string? SizeProblem(int tokens)
    {
        int size = TokenStart + tokens;
        if (MaxTokens is int max && size > max)
        {
            return string.Create(CultureInfo.InvariantCulture, $"Attempted to set a vocabulary larger than the maximum vocab size. Received vocabulary size is {size}; `max_tokens` is {max}.");
        }

        return size > MaxSize ? string.Create(CultureInfo.InvariantCulture, $"The vocabulary has {size} entries; indices above {MaxSize} are not exact in floats.") : null;
    }

    /// <summary>
    /// Keras' <c>finalize_state</c> after <c>adapt</c>: the counted tokens but the mask and OOV tokens, most frequent
    /// first, ties broken by the tokens in descending order (Keras' <c>np.lexsort((tokens, counts))[::-1]</c>), cut to
    /// <see cref="MaxTokens"/> minus the special indices. In TF-IDF mode each kept token's weight is
    /// log(1 + documents / (1 + its document count)), and the OOV indices get their mean (<see cref="IdfWeights.Learned"/>).
    /// </summary>
    /// <param name="counts">How often each token occurs.</param>
    /// <param name="documentCounts">In TF-IDF mode, how many documents hold each token; null otherwise.</param>
    /// <param name="documents">In TF-IDF mode, the number of documents.</param>
    /// <param name="parameterName">The parameter the data came from, named in errors.</param>
    /// <exception cref="ArgumentException">No token is left to learn, or more than indices a float holds exactly.</exception>
    public void Learn(Dictionary<T, long> counts, Dictionary<T, long>? documentCounts, long documents, string parameterName)
    {
        if (HasMask)
        {
            counts.Remove(MaskToken);
        }

        counts.Remove(OovToken);
        if (counts.Count == 0)
        {
            throw new ArgumentException("The data holds no token (other than the mask and OOV tokens), so there is no vocabulary to learn.", parameterName);
        }

        var entries = counts.ToArray();
        Array.Sort(entries, (a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : _ascending(b.Key, a.Key));
        int kept = MaxTokens is int max ? Math.Min(entries.Length, Math.Max(max - TokenStart, 0)) : entries.Length;
        if (TokenStart + kept > MaxSize)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The data holds {entries.Length} distinct tokens; indices above {MaxSize} are not exact in floats. Set maxTokens to at most {MaxSize}."), parameterName);
        }

        T[] learned = [.. entries.Take(kept).Select(e => e.Key)];
        CheckText(learned, parameterName);
        float[]? idf = OutputMode == CategoryOutputMode.TfIdf
            ? IdfWeights.Learned(documents, [.. learned.Select(t => documentCounts!.GetValueOrDefault(t))], TokenStart)
            : null;
        Commit(learned, idf);
    }

    // A vocabulary is saved as UTF-8 JSON (as Keras keeps strings), which cannot hold a lone surrogate: it would come
    // back as U+FFFD and map other tokens to its index, so such a token is refused before anything changes.
    private void CheckText(T[] tokens, string parameterName)
    {
        if (tokens is not string[] texts)
        {
            return;
        }

        foreach (string text in texts)
        {
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                }
                else if (char.IsSurrogate(c))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"The token {_format((T)(object)text)} is not valid Unicode text: it holds a lone surrogate (U+{(int)c:X4}) at char {i}. Vocabularies are saved as UTF-8, which cannot hold one; clean the text first."), parameterName);
                }
            }
        }
    }

    /// <summary>
    /// The index of <paramref name="token"/>: its vocabulary index; the mask token's 0 in Int mode (<see cref="Dropped"/>
    /// in the others); an OOV token's OOV index (the only one, or Keras' bucket when there are several), or
    /// <see cref="Missing"/> when there are no OOV indices.
    /// </summary>
    public int Index(T token)
    {
        if (HasMask && Comparer.Equals(token, MaskToken))
        {
            return OutputMode == CategoryOutputMode.Int ? 0 : Dropped;
        }

        if (_ids.TryGetValue(token, out int id))
        {
            return id;
        }

        return NumOovIndices switch
        {
            0 => Missing,
            1 => OovStart,
            _ => OovStart + _oovBucket(token, NumOovIndices),
        };
    }

    /// <summary>The token at <paramref name="index"/> (the inverse lookup): the mask token at 0 when set, a vocabulary token, or the OOV token for any other index.</summary>
    public T Token(long index)
    {
        if (OovStart == 1 && index == 0)
        {
            return MaskToken;
        }

        long position = index - TokenStart;
        return position >= 0 && position < _tokens.Length ? _tokens[position] : OovToken;
    }

    /// <summary>
    /// Writes the encoding of <paramref name="ids"/> (from <see cref="Index"/>) over <paramref name="depth"/> categories
    /// (<see cref="CategoryEncoder.Encode"/>), and in TF-IDF mode multiplies the counts by <see cref="Idf"/>.
    /// </summary>
    public void Encode(ReadOnlySpan<int> ids, int rowLength, int depth, Span<float> output)
    {
        CategoryEncoder.Encode(ids, rowLength, OutputMode, depth, output);
        if (OutputMode == CategoryOutputMode.TfIdf)
        {
            IdfWeights.Apply(output, depth, _idf);
        }
    }

    private void Commit(T[] tokens, float[]? idf)
    {
        var ids = new Dictionary<T, int>(tokens.Length, Comparer);
        for (int k = 0; k < tokens.Length; k++)
        {
            ids.Add(tokens[k], TokenStart + k);
        }

        _tokens = tokens;
        _ids = ids;
        _idf = idf;
        HasVocabulary = true;
    }
}
