using System.Globalization;
using System.Runtime.InteropServices;
using NeuralNet.Serialization;

namespace NeuralNet.Layers;

/// <summary>
/// Maps integer tokens (held in floats) to indices in a vocabulary (Keras' <c>IntegerLookup</c>), or indices back to
/// tokens with <c>invert</c>. The index layout is Keras': the mask token at 0 when one is set (Int mode), then
/// <see cref="NumOovIndices"/> out-of-vocabulary indices, then the vocabulary, learned by <see cref="Adapt(Tensor)"/>
/// (most frequent first, ties by the larger token first) or given. The output is the indices (as floats) or their
/// one-hot, multi-hot, count or TF-IDF encoding over <see cref="VocabularySize"/> categories, see <see cref="CategoryOutputMode"/>.
/// </summary>
/// <remarks>
/// <para>Tokens must be whole numbers; anything else fails naming the sample and the position. Vocabulary, mask and OOV
/// tokens must be integers a float holds exactly (|t| &lt;= 2^24, or larger ones that are exact). With several OOV
/// indices an unknown token t goes to OOV index <c>floormod(t, numOovIndices)</c> (Keras' default <c>oov_method</c>);
/// with none, an unknown token throws (Keras' "When `num_oov_indices=0` all inputs should be in vocabulary"). Outside
/// Int mode the mask token is dropped from the encoding.</para>
/// <para>In <see cref="CategoryOutputMode.TfIdf"/> mode each count is multiplied by its index's inverse document
/// frequency (<see cref="GetIdfWeights"/>): given with the vocabulary (<c>idfWeights</c>, required then), or learned by
/// <see cref="Adapt(Tensor)"/> as log(1 + documents / (1 + documents holding the token)), each value of a rank-1 tensor
/// and each row (the last axis) of a higher-rank one being a document; the OOV indices get the mean of the tokens'
/// weights unless given their own, and indices padded to <see cref="MaxTokens"/> weigh 0, as in Keras.</para>
/// <para>The vocabulary is saved in the configuration (<c>vocabulary</c>, special tokens included, with <c>idf_weights</c>
/// one per entry in TF-IDF mode), so a saved model keeps what <see cref="Adapt(Tensor)"/> learned. Unlike Keras, using
/// the layer before it has a vocabulary throws (Keras maps everything to OOV), and <see cref="Adapt(Tensor)"/> may
/// replace a given vocabulary. A vocabulary file (Keras' <c>vocabulary="path"</c>) is read by <see cref="SetVocabularyFile"/>;
/// the configuration then holds its tokens. Loading refuses a configuration whose <c>"vocabulary"</c> is a path (a model
/// file must not make this process read files; Keras refuses it in safe mode): load, then call <see cref="SetVocabularyFile"/>.
/// <c>oov_method="farmhash"</c> and sparse outputs are not supported. Indices are not
/// differentiable: the input gradient is zero.</para>
/// </remarks>
/// <example><c>new IntegerLookup(vocabulary: [12, 36, 1138, 42])</c> maps [12, 36, 1138, 42, 7] to [1, 2, 3, 4, 0].</example>
public sealed class IntegerLookup : Layer
{
    private readonly VocabularyIndex<long> _index;
    private Tensor? _output;
    private Tensor? _inputGradient;
    private int[] _ids = [];
    private int _builtDepth = -1;
    private int _batch = -1;

    /// <summary>Creates an integer lookup layer.</summary>
    /// <param name="maxTokens">The largest vocabulary, mask and OOV indices included; null for no limit. <see cref="Adapt(Tensor)"/> keeps the most frequent tokens.</param>
    /// <param name="numOovIndices">The number of indices for out-of-vocabulary tokens (Keras default 1); 0 makes unknown tokens an error.</param>
    /// <param name="maskToken">The token that marks padding, index 0 in Int mode; null for none (Keras default).</param>
    /// <param name="oovToken">The token returned for OOV indices when inverting (Keras default -1).</param>
    /// <param name="vocabulary">A vocabulary to start with, as for <see cref="SetVocabulary"/>; null to learn one with <see cref="Adapt(Tensor)"/>.</param>
    /// <param name="idfWeights">In TfIdf mode (and only then), with <paramref name="vocabulary"/> (required then): one inverse document frequency per entry, as for <see cref="SetVocabulary"/>.</param>
    /// <param name="invert">Whether the layer maps indices back to tokens (Int mode only).</param>
    /// <param name="outputMode">Indices (Keras' default) or their one-hot, multi-hot, count or TF-IDF encoding.</param>
    /// <param name="padToMaxTokens">In the encoding modes, make the output <paramref name="maxTokens"/> wide whatever the vocabulary's size.</param>
    /// <param name="name">The layer's name; null to have the model name it <c>integer_lookup</c>, ...</param>
    /// <param name="vocabularyFile">A vocabulary file to start with (Keras' <c>vocabulary</c> given a path), read as <see cref="SetVocabularyFile"/> reads it; not with <paramref name="vocabulary"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTokens"/> is 1 or less, <paramref name="numOovIndices"/> is negative, or the mode is not defined.</exception>
    /// <exception cref="ArgumentException"><paramref name="invert"/> outside Int mode, <paramref name="padToMaxTokens"/> without <paramref name="maxTokens"/>, a token a float cannot hold exactly,
    /// <paramref name="idfWeights"/> outside TfIdf mode, without a vocabulary or missing with one in TfIdf mode, or an invalid vocabulary or weights (see <see cref="SetVocabulary"/>);
    /// both <paramref name="vocabulary"/> and <paramref name="vocabularyFile"/>, or a file in TfIdf mode.</exception>
    /// <exception cref="FileNotFoundException"><paramref name="vocabularyFile"/> does not exist.</exception>
    /// <exception cref="InvalidDataException"><paramref name="vocabularyFile"/> breaks a rule of <see cref="SetVocabularyFile"/>.</exception>
    public IntegerLookup(
        int? maxTokens = null,
        int numOovIndices = 1,
        long? maskToken = null,
        long oovToken = -1,
        IEnumerable<long>? vocabulary = null,
        IEnumerable<float>? idfWeights = null,
        bool invert = false,
        CategoryOutputMode outputMode = CategoryOutputMode.Int,
        bool padToMaxTokens = false,
        string? name = null,
        string? vocabularyFile = null)
        : base(name)
    {
        CheckExact(oovToken, nameof(oovToken));
        if (maskToken is long mask)
        {
            CheckExact(mask, nameof(maskToken));
        }

        _index = new VocabularyIndex<long>(maxTokens, numOovIndices, maskToken is not null, maskToken ?? 0, oovToken, invert, outputMode, padToMaxTokens,
            EqualityComparer<long>.Default, static (a, b) => a.CompareTo(b), FloorMod, static t => t.ToString(CultureInfo.InvariantCulture));
        VocabularyFile.CheckConstructorArguments(vocabulary is not null, vocabularyFile, outputMode == CategoryOutputMode.TfIdf, Describe());
        VocabularyIndex<long>.CheckIdfArguments(outputMode, vocabulary is not null, idfWeights is not null, nameof(idfWeights));
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

    /// <summary>The largest vocabulary, mask and OOV indices included; null for no limit.</summary>
    public int? MaxTokens => _index.MaxTokens;

    /// <summary>The number of OOV indices.</summary>
    public int NumOovIndices => _index.NumOovIndices;

    /// <summary>The mask token, or null for none.</summary>
    public long? MaskToken => _index.HasMask ? _index.MaskToken : null;

    /// <summary>The token returned for OOV indices when inverting.</summary>
    public long OovToken => _index.OovToken;

    /// <summary>Whether the layer maps indices back to tokens.</summary>
    public bool Invert => _index.Invert;

    /// <summary>Indices or their encoding.</summary>
    public CategoryOutputMode OutputMode => _index.OutputMode;

    /// <summary>Whether encoded outputs are <see cref="MaxTokens"/> wide.</summary>
    public bool PadToMaxTokens => _index.PadToMaxTokens;

    /// <summary>Whether a vocabulary has been learned or set.</summary>
    public bool HasVocabulary => _index.HasVocabulary;

    /// <summary>
    /// Whether the vocabulary is the list given to the constructor (Keras' <c>input_vocabulary</c>), which Keras'
    /// <c>get_config</c> keeps in the layer's config; false before a vocabulary exists, after <see cref="Adapt(Tensor)"/>,
    /// <see cref="SetVocabulary"/> or <see cref="SetVocabularyFile"/>, and for a <c>vocabularyFile</c> given to the
    /// constructor, whose vocabulary Keras' <c>save_assets</c> writes as the asset <c>vocabulary.txt</c> instead (so does
    /// <c>KerasFormat.SaveModel</c>). A layer loaded from a configuration that holds its vocabulary (a NeuralNet file, or
    /// a Keras one whose vocabulary was given) was given it.
    /// </summary>
    public bool HasInputVocabulary { get; private set; }

    /// <summary>Keras' <c>vocabulary_size()</c>: the tokens plus the mask and OOV indices.</summary>
    public int VocabularySize => _index.VocabularySize;

    /// <inheritdoc/>
    public override string DefaultNamePrefix => "integer_lookup";

    /// <summary>The vocabulary in index order (Keras' <c>get_vocabulary</c>).</summary>
    /// <param name="includeSpecialTokens">Whether to include the mask and OOV tokens, so that a token's position is its index.</param>
    /// <returns>A new list.</returns>
    public IReadOnlyList<long> GetVocabulary(bool includeSpecialTokens = true) => _index.GetVocabulary(includeSpecialTokens);

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
    /// list (the mask token in Int mode, then the OOV token once per OOV index, as <see cref="GetVocabulary"/> returns
    /// them) or be left out. In TfIdf mode the inverse document frequencies come with it, one per entry of
    /// <paramref name="vocabulary"/>: when the special tokens are left out, the OOV indices get the weights' mean (Keras'
    /// <c>set_vocabulary</c>); to give the OOV indices their own weight, lead the vocabulary with the OOV tokens.
    /// </summary>
    /// <param name="vocabulary">The tokens, in index order.</param>
    /// <param name="idfWeights">In TfIdf mode (and only then, where it is required), one weight per entry of <paramref name="vocabulary"/>, finite (negative weights are taken, as Keras takes any float).</param>
    /// <exception cref="ArgumentException">The vocabulary is empty, repeats a token, holds the mask token (or, when inverting, the OOV token) after its start, exceeds <see cref="MaxTokens"/>, holds a token a float cannot hold exactly, or changes the size of a built layer's encoded output;
    /// or <paramref name="idfWeights"/> is missing in TfIdf mode, given in another, not one per entry or not finite. Nothing changes.</exception>
    public void SetVocabulary(IEnumerable<long> vocabulary, IEnumerable<float>? idfWeights = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        long[] tokens = [.. vocabulary];
        foreach (long token in tokens)
        {
            CheckExact(token, nameof(vocabulary));
        }

        float[]? weights = idfWeights is null ? null : [.. idfWeights];
        var trial = Copy();
        trial.Set(tokens, weights, nameof(vocabulary), nameof(idfWeights));
        CheckDepth(trial, nameof(vocabulary));
        _index.Set(tokens, weights, nameof(vocabulary), nameof(idfWeights));
        HasInputVocabulary = false;
    }

    /// <summary>
    /// Sets the vocabulary from a text file (Keras' <c>set_vocabulary</c> given a path), replacing any previous one: one
    /// integer token per line (ASCII whitespace around it allowed, an optional '-', decimal digits: TensorFlow's int64
    /// parsing), lines as <see cref="Preprocessing.StringLookup.SetVocabularyFile"/> reads them. Every line is a token,
    /// so line k (from 0) takes index <c>numOovIndices + k</c> (one more with a mask token in Int mode) and the file must
    /// not hold the mask token (nor, when inverting, the OOV token). Not in TfIdf mode, as in Keras. Files larger than
    /// 256 MiB are refused. Saving writes the tokens into the configuration, so a saved layer does not need the file;
    /// loading never reads one.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="ArgumentException">The layer is in TfIdf mode.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or larger than 256 MiB, a line is not UTF-8, empty or not an integer a float holds exactly, a token repeats or is reserved, there are more than <see cref="MaxTokens"/> entries,
    /// or their number changes a built layer's encoded output (the message names the file and the line). Nothing changes.</exception>
    public void SetVocabularyFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        VocabularyFile.RefuseTfIdf(OutputMode == CategoryOutputMode.TfIdf, Describe(), nameof(path));
        long[] tokens = VocabularyFile.ParseIntegers(VocabularyFile.ReadLines(path, Describe()), path, Describe());
        for (int i = 0; i < tokens.Length; i++)
        {
            if (!IsExactInFloat(tokens[i]))
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()}: line {i + 1} of vocabulary file '{path}': {NotExact(tokens[i])}"));
            }
        }

        VocabularyIndex<long> trial = Copy();
        trial.SetFromFile(tokens, path, Describe());
        try
        {
            CheckDepth(trial, nameof(path));
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"Vocabulary file '{path}': {ex.Message}", ex);
        }

        _index.SetFromFile(tokens, path, Describe());
        HasInputVocabulary = false;
    }

    /// <summary>
    /// Learns the vocabulary from <paramref name="data"/> (Keras' <c>adapt</c>): every token counted, most frequent
    /// first, ties broken by the larger token first, cut to <see cref="MaxTokens"/>. Replaces any previous vocabulary.
    /// In TfIdf mode also each token's inverse document frequency, each value of a rank-1 tensor (or a scalar) and
    /// each row of the last axis of a higher-rank one being a document (Keras refuses rank 3 and above).
    /// </summary>
    /// <param name="data">Tokens, any shape.</param>
    /// <exception cref="ArgumentException">A value is not a whole number (the message names the sample and position), no token is left to learn, or the vocabulary's size would change a built layer's encoded output.</exception>
    public void Adapt(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Adapt([data]);
    }

    /// <summary>
    /// Learns the vocabulary from batches, counted together as one data set; see <see cref="Adapt(Tensor)"/>, whose
    /// documents each batch is read as (unlike Keras, which reads a rank-1 batch of a <c>tf.data.Dataset</c> as one
    /// document, and a rank-1 array as one document per value). Nothing changes when a batch is rejected.
    /// </summary>
    /// <param name="batches">Batches of tokens, any shapes; read once.</param>
    /// <param name="cancellationToken">Checked before each batch; nothing changes when it is canceled.</param>
    /// <exception cref="ArgumentException">A value is not a whole number (the message names the batch, sample and position), no token is left to learn, or the vocabulary's size would change a built layer's encoded output.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public void Adapt(IEnumerable<Tensor> batches, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var counts = new Dictionary<long, long>();
        Dictionary<long, long>? documentCounts = OutputMode == CategoryOutputMode.TfIdf ? [] : null;
        var document = new HashSet<long>();
        long documents = 0;
        int batchIndex = 0;
        foreach (Tensor batch in batches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (batch is null)
            {
                throw new ArgumentNullException(nameof(batches), string.Create(CultureInfo.InvariantCulture, $"Batch {batchIndex} is null."));
            }

            ReadOnlySpan<float> values = batch.AsReadOnlySpan();
            if (values.IsEmpty)
            {
                // Rows without tokens are still documents (Keras counts the rows of a batch).
                documents += batch.Rank >= 2 && batch.Shape[-1] == 0 ? batch.Shape.Dimensions[..^1].ToArray().Aggregate(1L, (a, d) => a * d) : 0;
                batchIndex++;
                continue;
            }

            int sampleLength = batch.Rank == 0 ? 1 : batch.Length / batch.Shape[0];

            // A document is a value of a scalar or rank-1 batch, else a row of the last axis (Keras' rows of a rank-2 batch).
            int documentLength = batch.Rank <= 1 ? 1 : batch.Shape[-1];
            for (int i = 0; i < values.Length; i++)
            {
                long token = Token(values[i], i, sampleLength, $"batch {batchIndex.ToString(CultureInfo.InvariantCulture)}, ", nameof(batches));
                CollectionsMarshal.GetValueRefOrAddDefault(counts, token, out _)++;
                if (documentCounts is not null)
                {
                    if (document.Add(token))
                    {
                        CollectionsMarshal.GetValueRefOrAddDefault(documentCounts, token, out _)++;
                    }

                    if ((i + 1) % documentLength == 0)
                    {
                        document.Clear();
                        documents++;
                    }
                }
            }

            batchIndex++;
        }

        var trial = Copy();
        trial.Learn(new Dictionary<long, long>(counts), documentCounts, documents, nameof(batches));
        CheckDepth(trial, nameof(batches));
        _index.Learn(counts, documentCounts, documents, nameof(batches));
        HasInputVocabulary = false;
    }

    /// <inheritdoc/>
    /// <remarks>Keras' keys; <c>vocabulary</c> holds the vocabulary with its special tokens, learned or given (null before one exists), and in TfIdf mode <c>idf_weights</c> one weight per entry (null otherwise).</remarks>
    public override Config GetConfig() => base.GetConfig()
        .Set("invert", Invert)
        .Set("max_tokens", (long?)MaxTokens)
        .Set("num_oov_indices", NumOovIndices)
        .Set("oov_token", (long?)OovToken)
        .Set("mask_token", MaskToken)
        .Set("output_mode", CategoryEncoder.Name(OutputMode))
        .Set("sparse", false)
        .Set("pad_to_max_tokens", PadToMaxTokens)
        .Set("vocabulary_dtype", "int64")
        .Set("idf_weights", LookupConfig.IdfWeights(_index.Idf))
        .Set("vocabulary", HasVocabulary ? new System.Text.Json.Nodes.JsonArray([.. GetVocabulary().Select(t => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(t))]) : null)
        .Set("vocabulary_size", HasVocabulary ? (long?)VocabularySize : null)
        .Set("oov_method", "floormod");

    /// <summary>Keras' <c>from_config</c>.</summary>
    internal static IntegerLookup FromConfig(Config config)
    {
        LookupConfig.Check(config, "int64");
        LookupConfig.RefusePaths(config, "IntegerLookup", "integer_lookup");
        return LookupConfig.Create(config, () => new IntegerLookup(
            config.GetNullableInt64("max_tokens") is long max ? (int)Math.Clamp(max, int.MinValue, int.MaxValue) : null,
            config.GetInt32("num_oov_indices", 1),
            config.GetNullableInt64("mask_token"),
            config.GetInt64("oov_token", -1),
            config.Contains("vocabulary") ? config.GetInt64Array("vocabulary") : null,
            LookupConfig.ReadIdfWeights(config),
            config.GetBoolean("invert", false),
            CategoryEncoder.Read(config, "int", allowTfIdf: true),
            config.GetBoolean("pad_to_max_tokens", false),
            config.GetString("name")));
    }

    /// <inheritdoc/>
    protected override TensorShape OnBuild(TensorShape inputShape)
    {
        if (OutputMode == CategoryOutputMode.Int)
        {
            return inputShape;
        }

        if (!PadToMaxTokens && !HasVocabulary)
        {
            throw new InvalidOperationException($"When using outputMode={OutputMode} and padToMaxTokens=false, you must set the vocabulary of {Describe()} before building it: pass a vocabulary to the constructor, or call Adapt with sample data.");
        }

        _builtDepth = _index.Depth;
        return CategoryEncoder.OutputShape(inputShape, OutputMode, _builtDepth);
    }

    /// <inheritdoc/>
    protected override Tensor OnForward(Tensor input, bool training)
    {
        // A later call of a shared layer runs on a copy made before Adapt: the vocabulary is the called layer's.
        VocabularyIndex<long> index = ((IntegerLookup)Primary)._index;
        if (!index.HasVocabulary)
        {
            throw new InvalidOperationException($"{Describe()} has no vocabulary yet: call Adapt with sample data or SetVocabulary before using it.");
        }

        ReadOnlySpan<float> x = input.AsReadOnlySpan();
        int sampleLength = InputShape.ElementCount;
        _batch = input.Shape[0];
        Tensor output = BatchView(ref _output, _batch, OutputShape);
        Span<float> y = output.AsSpan();
        if (Invert)
        {
            for (int i = 0; i < x.Length; i++)
            {
                y[i] = index.Token(Token(x[i], i, sampleLength, string.Empty, nameof(input)));
            }

            return output;
        }

        if (_ids.Length < x.Length)
        {
            _ids = new int[x.Length];
        }

        Span<int> ids = _ids.AsSpan(0, x.Length);
        for (int i = 0; i < x.Length; i++)
        {
            long token = Token(x[i], i, sampleLength, string.Empty, nameof(input));
            int id = index.Index(token);
            if (id == VocabularyIndex<long>.Missing)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"{Describe()}: when num_oov_indices=0 all inputs should be in vocabulary, found OOV value {token} in {CategoryEncoder.Where(i, sampleLength)}; consider setting numOovIndices=1."), nameof(input));
            }

            ids[i] = id;
        }

        if (OutputMode == CategoryOutputMode.Int)
        {
            for (int i = 0; i < ids.Length; i++)
            {
                y[i] = ids[i];
            }

            return output;
        }

        index.Encode(ids, CategoryEncoder.RowLength(InputShape), _builtDepth, y);
        return output;
    }

    /// <inheritdoc/>
    protected override Tensor OnBackward(Tensor outputGradient)
    {
        IdGradient.CheckBatch(this, outputGradient, _batch);
        if (!ComputesInputGradient)
        {
            return outputGradient;
        }

        // Tokens and indices are not differentiable: the gradient is zero.
        Tensor inputGradient = BatchView(ref _inputGradient, _batch, InputShape);
        inputGradient.AsSpan().Clear();
        return inputGradient;
    }

    // Keras' default oov_method "floormod": Python's modulo, never negative for a positive divisor.
    private static int FloorMod(long token, int buckets) => (int)(((token % buckets) + buckets) % buckets);

    private static void CheckExact(long token, string parameterName)
    {
        if (!IsExactInFloat(token))
        {
            throw new ArgumentException(NotExact(token), parameterName);
        }
    }

    // (long)(float)t alone differs between runtimes for t near long.MaxValue: float rounds it up to 2^63, which .NET 9+
    // saturates back to long.MaxValue (so the token would pass) and .NET 8 on x64 turns into long.MinValue. Every long
    // below 2^63 converts exactly once checked against that bound, on every runtime.
    internal static bool IsExactInFloat(long token)
    {
        const float TwoTo63 = 9223372036854775808f;
        float value = token;
        return value < TwoTo63 && (long)value == token;
    }

    private static string NotExact(long token) => string.Create(CultureInfo.InvariantCulture,
        $"token {token} cannot be held exactly in a float, so inputs could never match it; tokens must be integers a float32 holds exactly (such as |token| <= 16777216).");

    private long Token(float value, int index, int sampleLength, string where, string parameterName)
    {
        if (!(value == MathF.Floor(value) && float.IsFinite(value) && MathF.Abs(value) < 9.2e18f))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} expects whole-number tokens but {where}{CategoryEncoder.Where(index, sampleLength)} holds {value}."), parameterName);
        }

        return (long)value;
    }

    // The checks run on a copy first so that a refused vocabulary changes nothing.
    private VocabularyIndex<long> Copy() => new(MaxTokens, NumOovIndices, _index.HasMask, _index.MaskToken, OovToken, Invert, OutputMode, PadToMaxTokens,
        EqualityComparer<long>.Default, static (a, b) => a.CompareTo(b), FloorMod, static t => t.ToString(CultureInfo.InvariantCulture));

    private void CheckDepth(VocabularyIndex<long> trial, string parameterName)
    {
        if (_builtDepth >= 0 && trial.Depth != _builtDepth)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{Describe()} was built for {OutputMode} outputs of {_builtDepth} categories; a vocabulary of size {trial.VocabularySize} would change that. Set the vocabulary before building the model, or use padToMaxTokens."), parameterName);
        }
    }
}
