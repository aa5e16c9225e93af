using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Serialization;

namespace NeuralNet.Preprocessing;

/// <summary>
/// Turns texts into token ids (or per-text token counts) for an <see cref="Layers.Embedding"/> or a Dense model: Keras'
/// <c>TextVectorization</c>, as a preprocessor in front of the model (tensors hold only floats, so the ids are floats).
/// Each text is standardized (lowercased, punctuation removed), split into tokens (words or characters), optionally
/// combined into n-grams, and each token is looked up in a vocabulary learned by <see cref="Adapt"/> or given with
/// <see cref="SetVocabulary"/>.
/// </summary>
/// <remarks>
/// <para>In <see cref="TextOutputMode.Int"/> mode id 0 is padding (the empty token <c>""</c>) and id 1 the
/// out-of-vocabulary token <c>"[UNK]"</c>; learned tokens start at 2, most frequent first, ties broken by the tokens'
/// UTF-8 bytes in descending order, exactly as Keras sorts them. In the other modes there is no padding id: index 0 is
/// "[UNK]" and tokens start at 1.</para>
/// <para>As in Keras (which calls TensorFlow's <c>lower</c> and <c>split</c>), lowercasing changes ASCII letters only,
/// the punctuation removed is ASCII's 32 punctuation characters, and whitespace splitting splits on ASCII whitespace.</para>
/// <para>Save it with a model by adding it to <see cref="Models.Model.Preprocessing"/>; <see cref="Models.Model.Load(string)"/>
/// restores it with its vocabulary. Its configuration holds the vocabulary under Keras' <c>"vocabulary"</c> key.</para>
/// <para>Unlike Keras, <see cref="Transform"/> before a vocabulary exists and <see cref="Adapt"/> on texts without a
/// single token throw rather than map everything to "[UNK]"; and <see cref="Adapt"/> may replace a vocabulary given
/// to the constructor. <c>one_hot</c> output, sparse and ragged outputs are not supported.</para>
/// <para>A standardize or split function of your own (Keras' callables) runs in <see cref="Adapt"/> and
/// <see cref="Transform"/> on each text (the standardize function instead of the built-in standardization, the split
/// function on the standardized text). To save the vectorizer, register the functions with
/// <see cref="SerializationRegistry.RegisterFunction"/>: the configuration names them as Keras names registered
/// functions, and loading finds them by that name. A vocabulary file (<see cref="SetVocabularyFile"/>) is read once;
/// saving writes its tokens into the configuration. Loading refuses a configuration whose <c>"vocabulary"</c> is a path
/// (a model file must not make this process read files; Keras refuses it in safe mode): load, then call
/// <see cref="SetVocabularyFile"/> on a file you trust.</para>
/// </remarks>
/// <example>
/// <code>
/// var vectorizer = new TextVectorization(maxTokens: 5000, outputSequenceLength: 4);
/// vectorizer.Adapt(["foo bar", "bar baz", "baz bada boom"]);
/// Tensor ids = vectorizer.Transform(["foo qux bar", "qux baz"]);   // [[4, 1, 3, 0], [1, 2, 0, 0]]
/// model.Preprocessing["text"] = vectorizer;                           // saved and loaded with the model
/// </code>
/// </example>
public sealed class TextVectorization : Preprocessor
{
    /// <summary>The padding token, id 0 in <see cref="TextOutputMode.Int"/> mode (Keras' mask token).</summary>
    public const string PaddingToken = "";

    /// <summary>The out-of-vocabulary token: id 1 in <see cref="TextOutputMode.Int"/> mode, index 0 in the others.</summary>
    public const string OovToken = "[UNK]";

    /// <summary>The largest vocabulary whose ids are all exact in a float (2^24).</summary>
    private const int MaxVocabularySize = 1 << 24;

    private readonly int[]? _ngrams;
    private string[] _tokens = [];
    private Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private float[]? _idfWeights;

    /// <summary>Creates a text vectorizer (Keras' <c>TextVectorization</c>); it needs a vocabulary before <see cref="Transform"/>.</summary>
    /// <param name="maxTokens">The largest vocabulary, padding and "[UNK]" included; null for no limit. <see cref="Adapt"/> keeps the most frequent tokens.</param>
    /// <param name="standardize">How texts are standardized; null for Keras' default, <see cref="TextStandardization.LowerAndStripPunctuation"/>, or <see cref="TextStandardization.Custom"/> when <paramref name="standardizeFunction"/> is given.</param>
    /// <param name="split">How standardized texts are split into tokens; null for Keras' default, <see cref="TextSplit.Whitespace"/>, or <see cref="TextSplit.Custom"/> when <paramref name="splitFunction"/> is given.</param>
    /// <param name="ngrams">The n-gram widths to produce from the tokens (joined by a space), such as <c>[1, 2]</c>; null for the tokens alone. Keras' integer n is <c>[1, ..., n]</c>.</param>
    /// <param name="outputMode">What <see cref="Transform"/> returns.</param>
    /// <param name="outputSequenceLength">In <see cref="TextOutputMode.Int"/> mode, the length of every row: longer texts lose their last ids, shorter ones end with 0s. Null for the longest text of each call.</param>
    /// <param name="padToMaxTokens">In the counting modes, make rows <paramref name="maxTokens"/> long even when the vocabulary is smaller.</param>
    /// <param name="vocabulary">A vocabulary to start with, as for <see cref="SetVocabulary"/>; null to learn one with <see cref="Adapt"/>.</param>
    /// <param name="idfWeights">With <paramref name="vocabulary"/> in <see cref="TextOutputMode.TfIdf"/> mode, its inverse document frequencies.</param>
    /// <param name="name">The name (Keras' layer name); <c>text_vectorization</c> when null.</param>
    /// <param name="standardizeFunction">A standardize function of your own (Keras' callable <c>standardize</c>), run on each text instead of a built-in standardization; it must return a string.</param>
    /// <param name="splitFunction">A split function of your own (Keras' callable <c>split</c>), run on each standardized text; it must return the tokens, none null.</param>
    /// <param name="vocabularyFile">A vocabulary file to start with (Keras' <c>vocabulary</c> given a path), read as <see cref="SetVocabularyFile"/> reads it; not with <paramref name="vocabulary"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is 1 or less, <paramref name="outputSequenceLength"/> is below 1,
    /// an n-gram width is below 1, or an enumeration value is not defined.</exception>
    /// <exception cref="ArgumentException"><paramref name="outputSequenceLength"/> is given outside <see cref="TextOutputMode.Int"/> mode,
    /// <paramref name="padToMaxTokens"/> without <paramref name="maxTokens"/>, <paramref name="ngrams"/> is empty or repeats a width,
    /// <paramref name="idfWeights"/> outside <see cref="TextOutputMode.TfIdf"/> mode or missing in it, or the vocabulary is invalid (see <see cref="SetVocabulary"/>);
    /// a function together with another standardization or split than Custom, Custom without its function; both <paramref name="vocabulary"/> and <paramref name="vocabularyFile"/>, or a file in TfIdf mode.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="vocabularyFile"/> does not exist.</exception>
    /// <exception cref="InvalidDataException"><paramref name="vocabularyFile"/> breaks a rule of <see cref="SetVocabularyFile"/>.</exception>
    public TextVectorization(
        int? maxTokens = null,
        TextStandardization? standardize = null,
        TextSplit? split = null,
        IReadOnlyList<int>? ngrams = null,
        TextOutputMode outputMode = TextOutputMode.Int,
        int? outputSequenceLength = null,
        bool padToMaxTokens = false,
        IEnumerable<string>? vocabulary = null,
        IEnumerable<float>? idfWeights = null,
        string? name = null,
        Func<string, string>? standardizeFunction = null,
        Func<string, IEnumerable<string>>? splitFunction = null,
        string? vocabularyFile = null)
    {
        if (maxTokens is <= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, $"If set, maxTokens must be greater than 1 (it counts the padding and \"[UNK]\" entries). Received: maxTokens={maxTokens}.");
        }

        TextStandardization standardizeMode = CustomOrNamed(standardize, TextStandardization.LowerAndStripPunctuation, TextStandardization.Custom, standardizeFunction, nameof(standardize), nameof(standardizeFunction));
        TextSplit splitMode = CustomOrNamed(split, TextSplit.Whitespace, TextSplit.Custom, splitFunction, nameof(split), nameof(splitFunction));
        CheckDefined(outputMode, nameof(outputMode));
        if (outputSequenceLength is int length)
        {
            if (outputMode != TextOutputMode.Int)
            {
                throw new ArgumentException($"outputSequenceLength must not be set when outputMode is not Int. Received: outputSequenceLength={length}, outputMode={outputMode}.", nameof(outputSequenceLength));
            }

            ArgumentOutOfRangeException.ThrowIfLessThan(length, 1, nameof(outputSequenceLength));
        }

        if (padToMaxTokens && maxTokens is null)
        {
            throw new ArgumentException("If padToMaxTokens is true, maxTokens must be set. Received: maxTokens=null.", nameof(padToMaxTokens));
        }

        if (ngrams is not null)
        {
            if (ngrams.Count == 0)
            {
                throw new ArgumentException("ngrams must be null or hold at least one width.", nameof(ngrams));
            }

            foreach (int width in ngrams)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(width, 1, nameof(ngrams));
            }

            if (ngrams.Distinct().Count() != ngrams.Count)
            {
                throw new ArgumentException($"ngrams repeats a width. Received: ngrams=[{string.Join(", ", ngrams)}].", nameof(ngrams));
            }

            _ngrams = [.. ngrams];
        }

        if (idfWeights is not null && outputMode != TextOutputMode.TfIdf)
        {
            throw new ArgumentException($"idfWeights should only be set if outputMode is TfIdf. Received: outputMode={outputMode}.", nameof(idfWeights));
        }

        if (outputMode == TextOutputMode.TfIdf && vocabulary is not null && idfWeights is null)
        {
            throw new ArgumentException("When a vocabulary is given in TfIdf mode, idfWeights must be given too.", nameof(idfWeights));
        }

        MaxTokens = maxTokens;
        Standardize = standardizeMode;
        Split = splitMode;
        StandardizeFunction = standardizeFunction;
        SplitFunction = splitFunction;
        OutputMode = outputMode;
        OutputSequenceLength = outputSequenceLength;
        PadToMaxTokens = padToMaxTokens;
        Name = name ?? "text_vectorization";
        VocabularyFile.CheckConstructorArguments(vocabulary is not null, vocabularyFile, outputMode == TextOutputMode.TfIdf, $"TextVectorization '{Name}'");
        if (vocabularyFile is not null)
        {
            SetVocabularyFile(vocabularyFile);
        }
        else if (vocabulary is not null)
        {
            SetVocabulary(vocabulary, idfWeights);
            HasInputVocabulary = true;
        }
    }

    /// <summary>The largest vocabulary, padding and "[UNK]" included; null for no limit.</summary>
    public int? MaxTokens { get; }

    /// <summary>How texts are standardized.</summary>
    public TextStandardization Standardize { get; }

    /// <summary>How texts are split into tokens.</summary>
    public TextSplit Split { get; }

    /// <summary>The standardize function of your own when <see cref="Standardize"/> is <see cref="TextStandardization.Custom"/>; else null.</summary>
    public Func<string, string>? StandardizeFunction { get; }

    /// <summary>The split function of your own when <see cref="Split"/> is <see cref="TextSplit.Custom"/>; else null.</summary>
    public Func<string, IEnumerable<string>>? SplitFunction { get; }

    /// <summary>The n-gram widths produced from the tokens, or null for the tokens alone.</summary>
    public IReadOnlyList<int>? Ngrams => _ngrams;

    /// <summary>What <see cref="Transform"/> returns.</summary>
    public TextOutputMode OutputMode { get; }

    /// <summary>In <see cref="TextOutputMode.Int"/> mode, the length of every row; null for the longest text of each call.</summary>
    public int? OutputSequenceLength { get; }

    /// <summary>Whether rows of the counting modes are <see cref="MaxTokens"/> long.</summary>
    public bool PadToMaxTokens { get; }

    /// <summary>The name (written in the configuration).</summary>
    public string Name { get; }

    /// <summary>Whether a vocabulary has been learned or set, so that <see cref="Transform"/> can run.</summary>
    public bool HasVocabulary { get; private set; }

    /// <summary>
    /// Whether the vocabulary is the list given to the constructor (Keras' <c>input_vocabulary</c> of its inner lookup),
    /// which Keras' <c>get_config</c> keeps in the layer's config; false before a vocabulary exists, after
    /// <see cref="Adapt"/>, <see cref="SetVocabulary"/> or <see cref="SetVocabularyFile"/>, and for a
    /// <c>vocabularyFile</c> given to the constructor: <c>KerasFormat.SaveModel</c> writes such a vocabulary as the asset
    /// <c>vocabulary.txt</c>, as Keras' <c>save_assets</c> writes an adapted one. A vectorizer loaded from a configuration
    /// that holds its vocabulary (a NeuralNet file, or a Keras one whose vocabulary was given) was given it.
    /// </summary>
    public bool HasInputVocabulary { get; private set; }

    /// <summary>
    /// The number of entries in the vocabulary, padding and "[UNK]" included (Keras' <c>vocabulary_size()</c>): the
    /// <c>inputDim</c> of the <see cref="Layers.Embedding"/> that takes the ids. 2 (1 outside Int mode) before a vocabulary exists.
    /// </summary>
    public int VocabularySize => TokenStart + _tokens.Length;

    // Int mode reserves 0 for padding and 1 for [UNK]; the counting modes only 0 for [UNK].
    private int TokenStart => OutputMode == TextOutputMode.Int ? 2 : 1;

    /// <summary>
    /// Learns the vocabulary from <paramref name="texts"/> (Keras' <c>adapt</c>): every token they produce, counted,
    /// sorted by count (most frequent first) with ties broken by the tokens' UTF-8 bytes in descending order, and cut to
    /// <see cref="MaxTokens"/>; in <see cref="TextOutputMode.TfIdf"/> mode also each token's inverse document frequency
    /// log(1 + texts / (1 + texts containing it)), with "[UNK]" given their mean. Replaces any previous vocabulary.
    /// </summary>
    /// <param name="texts">The texts, each one document.</param>
    /// <param name="cancellationToken">Checked before each text; nothing changes when it is canceled.</param>
    /// <exception cref="ArgumentNullException"><paramref name="texts"/> or one of them is null (the message names its index).</exception>
    /// <exception cref="ArgumentException">The texts produce no token (other than "" and "[UNK]"), or more distinct tokens than ids a float holds exactly; the vocabulary is unchanged.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public void Adapt(IEnumerable<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        bool tfIdf = OutputMode == TextOutputMode.TfIdf;
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        Dictionary<string, long>? documentCounts = tfIdf ? new(StringComparer.Ordinal) : null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long documents = 0;
        var tokens = new List<string>();
        foreach (string text in texts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (text is null)
            {
                throw new ArgumentNullException(nameof(texts), string.Create(CultureInfo.InvariantCulture, $"Text {documents} is null."));
            }

            Tokenize(text, tokens);
            foreach (string token in tokens)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(counts, token, out _)++;
                if (documentCounts is not null && seen.Add(token))
                {
                    CollectionsMarshal.GetValueRefOrAddDefault(documentCounts, token, out _)++;
                }
            }

            seen.Clear();
            documents++;
        }

        counts.Remove(PaddingToken);
        counts.Remove(OovToken);
        if (counts.Count == 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The {documents} texts produce no token, so there is no vocabulary to learn."), nameof(texts));
        }

        var entries = counts.Select(pair => (Token: pair.Key, Count: pair.Value, Bytes: Encoding.UTF8.GetBytes(pair.Key))).ToArray();
        Array.Sort(entries, static (a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : b.Bytes.AsSpan().SequenceCompareTo(a.Bytes));
        int kept = MaxTokens is int max ? Math.Min(entries.Length, max - TokenStart) : entries.Length;
        if (TokenStart + kept > MaxVocabularySize)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The texts hold {entries.Length} distinct tokens; ids above {MaxVocabularySize} are not exact in floats. Set maxTokens to at most {MaxVocabularySize}."), nameof(texts));
        }

        string[] learned = [.. entries.Take(kept).Select(e => e.Token)];
        float[]? idf = documentCounts is null ? null : IdfWeights.Learned(documents, [.. learned.Select(t => documentCounts[t])], TokenStart);
        Commit(learned, idf);
    }

    /// <summary>
    /// Sets the vocabulary directly (Keras' <c>set_vocabulary</c>), replacing any previous one. The padding and "[UNK]"
    /// entries may lead the list (exactly <c>["", "[UNK]"]</c> in Int mode, <c>["[UNK]"]</c> in the others) or be left out.
    /// </summary>
    /// <param name="vocabulary">The tokens, in id order.</param>
    /// <param name="idfWeights">In <see cref="TextOutputMode.TfIdf"/> mode (and only then), one inverse document frequency per
    /// entry of <paramref name="vocabulary"/>; when the special entries are left out, they get the mean of the weights.</param>
    /// <exception cref="ArgumentNullException"><paramref name="vocabulary"/> or one of its tokens is null.</exception>
    /// <exception cref="ArgumentException">The vocabulary is empty, repeats a token, holds "" other than in first place, is larger
    /// than <see cref="MaxTokens"/>; or <paramref name="idfWeights"/> is missing in TfIdf mode, given in another mode, of another
    /// length than the vocabulary, or not finite. Nothing changes.</exception>
    public void SetVocabulary(IEnumerable<string> vocabulary, IEnumerable<float>? idfWeights = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        string[] entries = [.. vocabulary];
        for (int i = 0; i < entries.Length; i++)
        {
            if (entries[i] is null)
            {
                throw new ArgumentNullException(nameof(vocabulary), string.Create(CultureInfo.InvariantCulture, $"Token {i} of the vocabulary is null."));
            }
        }

        if (OutputMode == TextOutputMode.TfIdf && idfWeights is null)
        {
            throw new ArgumentException("idfWeights must be set if outputMode is TfIdf.", nameof(idfWeights));
        }

        if (OutputMode != TextOutputMode.TfIdf && idfWeights is not null)
        {
            throw new ArgumentException($"idfWeights should only be set if outputMode is TfIdf. Received: outputMode={OutputMode}.", nameof(idfWeights));
        }

        if (entries.Length == 0)
        {
            throw new ArgumentException("Cannot set an empty vocabulary.", nameof(vocabulary));
        }

        string[] special = OutputMode == TextOutputMode.Int ? [PaddingToken, OovToken] : [OovToken];
        bool hasSpecial = entries.AsSpan().StartsWith(special);
        string[] tokens = hasSpecial ? entries[special.Length..] : entries;
        string[] repeated = [.. tokens.GroupBy(t => t, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).Take(10)];
        if (repeated.Length > 0)
        {
            throw new ArgumentException($"The vocabulary repeats tokens: {string.Join(", ", repeated.Select(t => $"\"{t}\""))}.", nameof(vocabulary));
        }

        int padding = Array.IndexOf(entries, PaddingToken, hasSpecial ? special.Length : 0);
        if (padding >= 0)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"The vocabulary holds the padding token \"\" at index {padding}. Either leave out the special tokens or put them first, in exactly this order: [{string.Join(", ", special.Select(t => $"\"{t}\""))}]."), nameof(vocabulary));
        }

        if (SizeProblem(tokens.Length) is string problem)
        {
            throw new ArgumentException(problem, nameof(vocabulary));
        }

        float[]? idf = idfWeights is null ? null : IdfWeights.Given([.. idfWeights], entries.Length, hasSpecial, TokenStart, nameof(idfWeights));
        Commit(tokens, idf);
    }

    /// <summary>
    /// Sets the vocabulary from a text file (Keras' <c>set_vocabulary</c> given a path), replacing any previous one: one
    /// token per line, read as TensorFlow reads it for Keras (UTF-8; lines end at "\n", one "\r" before it dropped;
    /// nothing else trimmed; a last line without "\n" counts when it is not empty; an empty line is refused, as TensorFlow
    /// refuses it, so the padding token "" is never in a file). Unlike a list, every line is a token: line k (from 0)
    /// takes id k + 2 in Int mode (k + 1 in the others); "[UNK]" on a line is an ordinary token there, as in Keras. Not in
    /// TfIdf mode, as in Keras. Files larger than 256 MiB are refused. Saving writes the tokens into the configuration, so
    /// a saved vectorizer does not need the file; loading never reads one.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ArgumentException">The vectorizer is in TfIdf mode.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or larger than 256 MiB, a line is not UTF-8, is empty or repeats a token, or there are more entries than <see cref="MaxTokens"/> (the message names the file and the line). Nothing changes.</exception>
    public void SetVocabularyFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string owner = $"TextVectorization '{Name}'";
        VocabularyFile.RefuseTfIdf(OutputMode == TextOutputMode.TfIdf, owner, nameof(path));
        string[] tokens = VocabularyFile.ReadLines(path, owner);

        // The padding token "" cannot be on a line: ReadLines refuses empty lines.
        VocabularyFile.CheckTokens(tokens, StringComparer.Ordinal, static t => $"\"{t}\"", path, owner);
        if (SizeProblem(tokens.Length) is string problem)
        {
            throw new InvalidDataException($"{owner}: vocabulary file '{path}': {problem}");
        }

        Commit(tokens, null);
    }

    /// <summary>The vocabulary in id order (Keras' <c>get_vocabulary</c>).</summary>
    /// <param name="includeSpecialTokens">Whether to include "" and "[UNK]" (Int mode) or "[UNK]" (the other modes), so that a token's index is its id.</param>
    /// <returns>A new list.</returns>
    public IReadOnlyList<string> GetVocabulary(bool includeSpecialTokens = true) => includeSpecialTokens
        ? [.. (OutputMode == TextOutputMode.Int ? new[] { PaddingToken, OovToken } : [OovToken]), .. _tokens]
        : [.. _tokens];

    /// <summary>
    /// In <see cref="TextOutputMode.TfIdf"/> mode, the inverse document frequency of every index (Keras' <c>idf_weights</c>,
    /// without the zeros it pads to <see cref="MaxTokens"/>): <see cref="VocabularySize"/> weights, "[UNK]"'s first, in
    /// <see cref="GetVocabulary"/>'s order, as <see cref="SetVocabulary"/> takes them. Empty in the other modes and before a
    /// vocabulary exists (as <see cref="StringLookup.GetIdfWeights"/>).
    /// </summary>
    /// <returns>A new array.</returns>
    public float[] GetIdfWeights() => _idfWeights is null ? [] : [.. _idfWeights];

    /// <summary>
    /// Turns texts into a tensor. In <see cref="TextOutputMode.Int"/> mode: (texts, length) of token ids held in floats,
    /// each row the ids of its tokens followed by 0s, length being <see cref="OutputSequenceLength"/> (longer texts lose
    /// their last ids) or else the most tokens of any text. In the other modes: (texts, <see cref="VocabularySize"/>, or
    /// <see cref="MaxTokens"/> with <see cref="PadToMaxTokens"/>) of presence flags, counts or TF-IDF values.
    /// </summary>
    /// <param name="texts">The texts.</param>
    /// <returns>A new tensor.</returns>
    /// <exception cref="InvalidOperationException">There is no vocabulary yet: call <see cref="Adapt"/> or <see cref="SetVocabulary"/> first.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="texts"/> or one of them is null (the message names its index).</exception>
    /// <exception cref="ArgumentException">There are no texts, or (Int mode without <see cref="OutputSequenceLength"/>) none produces a token.</exception>
    public Tensor Transform(IEnumerable<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (!HasVocabulary)
        {
            throw new InvalidOperationException($"TextVectorization '{Name}' has no vocabulary yet: call Adapt with sample texts or SetVocabulary before Transform.");
        }

        IReadOnlyList<string> list = texts as IReadOnlyList<string> ?? [.. texts];
        if (list.Count == 0)
        {
            throw new ArgumentException("There are no texts to transform.", nameof(texts));
        }

        var tokens = new List<string>();
        if (OutputMode == TextOutputMode.Int)
        {
            var rows = new int[list.Count][];
            int longest = 0;
            for (int i = 0; i < rows.Length; i++)
            {
                Tokenize(TextAt(list, i), tokens);
                int[] ids = rows[i] = new int[tokens.Count];
                for (int k = 0; k < ids.Length; k++)
                {
                    string token = tokens[k];
                    ids[k] = token.Length == 0 ? 0 : _ids.GetValueOrDefault(token, 1);
                }

                longest = Math.Max(longest, ids.Length);
            }

            if (OutputSequenceLength is null && longest == 0)
            {
                throw new ArgumentException("No text produces a token, so the rows would be empty; set outputSequenceLength for rows of padding.", nameof(texts));
            }

            return Sequences.PadSequences(rows, OutputSequenceLength, SequenceSide.Post, SequenceSide.Post);
        }

        int depth = PadToMaxTokens ? MaxTokens!.Value : VocabularySize;
        var result = new Tensor(list.Count, depth);
        Span<float> values = result.AsSpan();
        for (int i = 0; i < list.Count; i++)
        {
            Tokenize(TextAt(list, i), tokens);
            Span<float> row = values.Slice(i * depth, depth);
            foreach (string token in tokens)
            {
                if (token.Length == 0)
                {
                    continue;
                }

                int id = _ids.GetValueOrDefault(token, 0);
                row[id] = OutputMode == TextOutputMode.MultiHot ? 1f : row[id] + 1f;
            }

            if (OutputMode == TextOutputMode.TfIdf)
            {
                IdfWeights.Apply(row, depth, _idfWeights);
            }
        }

        return result;
    }

    /// <inheritdoc/>
    /// <remarks>Keras' keys; the vocabulary (special tokens included) and, in TfIdf mode, the weights are written under
    /// <c>"vocabulary"</c> and <c>"idf_weights"</c> (null before a vocabulary exists).</remarks>
    public override Config GetConfig()
    {
        var config = new Config()
            .Set("name", Name)
            .Set("max_tokens", (long?)MaxTokens)
            .Set("standardize", StandardizeFunction is { } standardize ? (JsonNode?)SerializationRegistry.SerializeFunction(standardize, $"TextVectorization '{Name}'", "standardize") : StandardizeName(Standardize))
            .Set("split", SplitFunction is { } split ? (JsonNode?)SerializationRegistry.SerializeFunction(split, $"TextVectorization '{Name}'", "split") : SplitName(Split));
        if (_ngrams is null)
        {
            config.SetNull("ngrams");
        }
        else if (_ngrams.SequenceEqual(Enumerable.Range(1, _ngrams.Length)))
        {
            config.Set("ngrams", _ngrams.Length);
        }
        else
        {
            config.Set("ngrams", (ReadOnlySpan<int>)_ngrams);
        }

        config.Set("output_mode", OutputModeName(OutputMode))
            .Set("output_sequence_length", (long?)OutputSequenceLength)
            .Set("pad_to_max_tokens", PadToMaxTokens)
            .Set("sparse", false)
            .Set("ragged", false)
            .Set("vocabulary", HasVocabulary ? new JsonArray([.. GetVocabulary().Select(t => (JsonNode)JsonValue.Create(t))]) : null);
        if (_idfWeights is null)
        {
            config.SetNull("idf_weights");
        }
        else
        {
            config.Set("idf_weights", _idfWeights.Select(w => (double)w).ToArray());
        }

        return config.Set("encoding", "utf-8").Set("vocabulary_size", VocabularySize);
    }

    /// <summary>Keras' <c>from_config</c>: recreates a vectorizer, vocabulary included, from what <see cref="GetConfig"/> wrote (or Keras' config).</summary>
    internal static TextVectorization FromConfig(Config config)
    {
        (string? standardize, Func<string, string>? standardizeFunction) = ReadNameOrFunction<Func<string, string>>(config, "standardize", "lower_and_strip_punctuation");
        (string? split, Func<string, IEnumerable<string>>? splitFunction) = ReadNameOrFunction<Func<string, IEnumerable<string>>>(config, "split", "whitespace");
        string outputMode = config.GetString("output_mode", "int");
        if (config.GetBoolean("sparse", false) || config.GetBoolean("ragged", false))
        {
            throw config.Error("sparse and ragged outputs are not supported; \"sparse\" and \"ragged\" must be false.");
        }

        string encoding = config.GetString("encoding", "utf-8");
        if (!encoding.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !encoding.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            throw config.Error($"\"encoding\" is \"{FormatError.Shorten(encoding)}\"; only utf-8 is supported.");
        }

        int[]? ngrams = config.GetNode("ngrams") switch
        {
            null => null,
            JsonArray => config.GetInt32Array("ngrams", 64, minimum: 1),
            _ => [.. Enumerable.Range(1, config.GetInt32("ngrams", minimum: 1, maximum: 64))],
        };

        LookupConfig.RefusePaths(config, "TextVectorization", "text_vectorization");
        string[]? vocabulary = LookupConfig.ReadStringVocabulary(config);
        float[]? idf = LookupConfig.ReadIdfWeights(config);
        return LookupConfig.Create(config, () => new TextVectorization(
            config.GetNullableInt64("max_tokens") is long max ? checked((int)Math.Min(max, int.MaxValue)) : null,
            standardizeFunction is not null ? TextStandardization.Custom : standardize switch
            {
                "lower_and_strip_punctuation" => TextStandardization.LowerAndStripPunctuation,
                "lower" => TextStandardization.Lower,
                "strip_punctuation" => TextStandardization.StripPunctuation,
                null => TextStandardization.None,
                _ => throw config.Error($"\"standardize\" is \"{FormatError.Shorten(standardize)}\"; expected \"lower_and_strip_punctuation\", \"lower\", \"strip_punctuation\" or null."),
            },
            splitFunction is not null ? TextSplit.Custom : split switch
            {
                "whitespace" => TextSplit.Whitespace,
                "character" => TextSplit.Character,
                null => TextSplit.None,
                _ => throw config.Error($"\"split\" is \"{FormatError.Shorten(split)}\"; expected \"whitespace\", \"character\" or null."),
            },
            ngrams,
            outputMode switch
            {
                "int" => TextOutputMode.Int,
                "multi_hot" or "binary" => TextOutputMode.MultiHot,
                "count" => TextOutputMode.Count,
                "tf_idf" or "tf-idf" => TextOutputMode.TfIdf,
                _ => throw config.Error($"\"output_mode\" is \"{FormatError.Shorten(outputMode)}\"; expected \"int\", \"multi_hot\", \"count\" or \"tf_idf\"."),
            },
            config.GetNullableInt64("output_sequence_length") is long length ? checked((int)Math.Min(length, int.MaxValue)) : null,
            config.GetBoolean("pad_to_max_tokens", false),
            vocabulary,
            idf,
            config.GetString("name", "text_vectorization"),
            standardizeFunction,
            splitFunction));
    }

    // Keras' from_config: a name, null, or (deserialize_keras_object) a registered function.
    private static (string? Name, T? Function) ReadNameOrFunction<T>(Config config, string key, string fallback)
        where T : Delegate
    {
        if (!config.Keys.Contains(key))
        {
            return (fallback, null);
        }

        return config.GetNode(key) switch
        {
            null => (null, null),
            JsonValue value when value.GetValueKind() == JsonValueKind.String => (value.GetValue<string>(), null),
            JsonNode other => (null, SerializationRegistry.DeserializeFunction<T>(other, config, key)),
        };
    }

    // Keras takes either a name or a function: the function makes the mode Custom, which needs one.
    private static TMode CustomOrNamed<TMode>(TMode? mode, TMode fallback, TMode custom, Delegate? function, string modeName, string functionName)
        where TMode : struct, Enum
    {
        if (function is not null)
        {
            return mode is null || EqualityComparer<TMode>.Default.Equals(mode.Value, custom)
                ? custom
                : throw new ArgumentException($"{functionName} is given, so {modeName} must be null or Custom (Keras takes either a name or a function). Received: {modeName}={mode}.", modeName);
        }

        TMode chosen = mode ?? fallback;
        CheckDefined(chosen, modeName);
        return EqualityComparer<TMode>.Default.Equals(chosen, custom)
            ? throw new ArgumentException($"{modeName} is Custom but {functionName} is not given; pass the function.", functionName)
            : chosen;
    }

    // Keras' max_tokens check, and ids that floats hold exactly.
    private string? SizeProblem(int tokens)
    {
        int size = TokenStart + tokens;
        return size > (MaxTokens ?? MaxVocabularySize)
            ? string.Create(CultureInfo.InvariantCulture,
                $"The vocabulary has {size} entries (special tokens included), more than {(MaxTokens is int max ? $"maxTokens ({max})" : $"a float holds exactly as ids ({MaxVocabularySize})")}.")
            : null;
    }

    private static string? StandardizeName(TextStandardization value) => value switch
    {
        TextStandardization.LowerAndStripPunctuation => "lower_and_strip_punctuation",
        TextStandardization.Lower => "lower",
        TextStandardization.StripPunctuation => "strip_punctuation",
        _ => null,
    };

    private static string? SplitName(TextSplit value) => value switch
    {
        TextSplit.Whitespace => "whitespace",
        TextSplit.Character => "character",
        _ => null,
    };

    private static string OutputModeName(TextOutputMode value) => value switch
    {
        TextOutputMode.Int => "int",
        TextOutputMode.MultiHot => "multi_hot",
        TextOutputMode.Count => "count",
        _ => "tf_idf",
    };

    private static void CheckDefined<T>(T value, string parameterName)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw new ArgumentOutOfRangeException(parameterName, value, $"{parameterName} must be one of {string.Join(", ", Enum.GetNames<T>())}.");
        }
    }

    private static string TextAt(IReadOnlyList<string> texts, int index) =>
        texts[index] ?? throw new ArgumentNullException(nameof(texts), string.Create(CultureInfo.InvariantCulture, $"Text {index} is null."));

    private static bool IsAsciiWhitespace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    private static bool IsAsciiPunctuation(char c) => c is (>= '!' and <= '/') or (>= ':' and <= '@') or (>= '[' and <= '`') or (>= '{' and <= '~');

    private void Commit(string[] tokens, float[]? idfWeights)
    {
        var ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int k = 0; k < tokens.Length; k++)
        {
            ids.Add(tokens[k], TokenStart + k);
        }

        _tokens = tokens;
        _ids = ids;
        _idfWeights = idfWeights;
        HasVocabulary = true;

        // Every way in sets the vocabulary through here; the constructor marks a vocabulary it was given afterwards.
        HasInputVocabulary = false;
    }

    // Standardize, split and form n-grams: Keras' _preprocess, for one text.
    private void Tokenize(string text, List<string> tokens)
    {
        tokens.Clear();
        string standardized = Standardized(text);
        switch (Split)
        {
            case TextSplit.Whitespace:
                int start = -1;
                for (int i = 0; i <= standardized.Length; i++)
                {
                    bool space = i == standardized.Length || IsAsciiWhitespace(standardized[i]);
                    if (space && start >= 0)
                    {
                        tokens.Add(standardized[start..i]);
                        start = -1;
                    }
                    else if (!space && start < 0)
                    {
                        start = i;
                    }
                }

                break;
            case TextSplit.Character:
                foreach (Rune rune in standardized.EnumerateRunes())
                {
                    tokens.Add(rune.ToString());
                }

                break;
            case TextSplit.Custom:
                IEnumerable<string> split = SplitFunction!(standardized) ?? throw new InvalidOperationException($"TextVectorization '{Name}': the split function returned null for a text; it must return the text's tokens.");
                foreach (string token in split)
                {
                    tokens.Add(token ?? throw new InvalidOperationException($"TextVectorization '{Name}': the split function returned a null token (token {tokens.Count}); tokens must be strings."));
                }

                break;
            default:
                tokens.Add(standardized);
                break;
        }

        if (_ngrams is null)
        {
            return;
        }

        string[] words = [.. tokens];
        tokens.Clear();
        foreach (int width in _ngrams)
        {
            for (int i = 0; i + width <= words.Length; i++)
            {
                tokens.Add(width == 1 ? words[i] : string.Join(' ', words, i, width));
            }
        }
    }

    private string Standardized(string text)
    {
        if (StandardizeFunction is not null)
        {
            return StandardizeFunction(text) ?? throw new InvalidOperationException($"TextVectorization '{Name}': the standardize function returned null for a text; it must return a string.");
        }

        bool lower = Standardize is TextStandardization.Lower or TextStandardization.LowerAndStripPunctuation;
        bool strip = Standardize is TextStandardization.StripPunctuation or TextStandardization.LowerAndStripPunctuation;
        if (!lower && !strip)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (strip && IsAsciiPunctuation(c))
            {
                continue;
            }

            builder.Append(lower && char.IsAsciiLetterUpper(c) ? (char)(c + ('a' - 'A')) : c);
        }

        return builder.ToString();
    }
}
