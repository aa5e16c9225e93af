using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Preprocessing;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Preprocessing;

// Expectations from Keras 3's text_vectorization_test.py and the layer's docstring, unless a comment says otherwise.
public class TextVectorizationTests
{
    private static readonly string[] s_fooBar = ["foo qux bar", "qux baz"];

    [Fact]
    public void Adapt_KerasDocstringExample_SortsByCountThenTokenDescending()
    {
        var layer = new TextVectorization(maxTokens: 5000, outputSequenceLength: 4);
        layer.Adapt(["foo bar", "bar baz", "baz bada boom"]);

        Assert.Equal(["", "[UNK]", "baz", "bar", "foo", "boom", "bada"], layer.GetVocabulary());
        Assert.Equal(7, layer.VocabularySize);
        AssertRows([[4, 1, 3, 0], [1, 2, 0, 0]], layer.Transform(s_fooBar));
    }

    [Fact]
    public void Constructor_Vocabulary_IsSetAfterTheSpecialTokens()
    {
        var layer = new TextVectorization(maxTokens: 5000, outputSequenceLength: 4, vocabulary: ["earth", "wind", "and", "fire"]);
        Assert.Equal(["", "[UNK]", "earth", "wind", "and", "fire"], layer.GetVocabulary());
        Assert.Equal(["earth", "wind", "and", "fire"], layer.GetVocabulary(includeSpecialTokens: false));
        Assert.Equal(6, layer.VocabularySize);
    }

    [Fact]
    public void SetVocabulary_KerasFixedVocabulary_GivesTheSameIdsAsAdapt()
    {
        var fixedVocabulary = new TextVectorization(maxTokens: 5000, outputSequenceLength: 4, vocabulary: ["baz", "bar", "foo"]);
        var setLater = new TextVectorization(maxTokens: 5000, outputSequenceLength: 4);
        setLater.SetVocabulary(["baz", "bar", "foo"]);
        var withSpecialTokens = new TextVectorization(maxTokens: 5000, outputSequenceLength: 4);
        withSpecialTokens.SetVocabulary(["", "[UNK]", "baz", "bar", "foo"]);

        foreach (TextVectorization layer in new[] { fixedVocabulary, setLater, withSpecialTokens })
        {
            AssertRows([[4, 1, 3, 0], [1, 2, 0, 0]], layer.Transform(s_fooBar));
            Assert.Equal(5, layer.VocabularySize);
        }
    }

    [Fact]
    public void Transform_WithoutOutputSequenceLength_PadsToTheLongestTextAtTheEnd()
    {
        // Keras' ragged test [[4, 1, 3], [1, 2], [4]], made dense as Keras does without ragged=True.
        var layer = new TextVectorization(vocabulary: ["baz", "bar", "foo"]);
        AssertRows([[4, 1, 3], [1, 2, 0], [4, 0, 0]], layer.Transform(["foo qux bar", "qux baz", "foo"]));
    }

    [Fact]
    public void Transform_OutputSequenceLength_TruncatesAtTheEnd()
    {
        // Keras' test_ragged_tensor_output_length keeps the first ids: [[4, 1], [1, 2], [4]].
        var layer = new TextVectorization(vocabulary: ["baz", "bar", "foo"], outputSequenceLength: 2);
        AssertRows([[4, 1], [1, 2], [4, 0]], layer.Transform(["foo qux bar", "qux baz", "foo"]));
    }

    [Fact]
    public void Transform_LowerAndStripPunctuation_MatchesKeras()
    {
        var layer = new TextVectorization(vocabulary: ["hello", "world", "this", "is", "nice", "test"]);
        AssertRows([[2, 3, 4, 5, 1, 1, 6, 7]], layer.Transform(["Hello, World!. This is just a nice test!"]));
    }

    [Fact]
    public void Transform_Lower_KeepsPunctuation()
    {
        var layer = new TextVectorization(standardize: TextStandardization.Lower, vocabulary: ["hello,", "hello", "world", "this", "is", "nice", "test"]);
        AssertRows([[2, 1, 5, 6, 1, 1, 7, 1]], layer.Transform(["Hello, World!. This is just a nice test!"]));
    }

    [Fact]
    public void Transform_StripPunctuation_KeepsCase()
    {
        var layer = new TextVectorization(standardize: TextStandardization.StripPunctuation, vocabulary: ["Hello", "World", "Test"]);
        AssertRows([[2, 3, 4]], layer.Transform(["Hello, World! Test."]));
    }

    [Fact]
    public void Transform_NoStandardization_IsCaseSensitive()
    {
        var layer = new TextVectorization(standardize: TextStandardization.None, vocabulary: ["Hello", "world"]);
        AssertRows([[2, 1]], layer.Transform(["Hello hello"]));
    }

    [Fact]
    public void Transform_StripPunctuation_RemovesAllAsciiPunctuationAndNothingElse()
    {
        // Keras' regex [!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\'] is Python's string.punctuation; TensorFlow's lower is ASCII-only.
        var layer = new TextVectorization(split: TextSplit.None, vocabulary: ["x"]);
        layer.SetVocabulary(["aébc\u00a0ÄzΣ"]);
        AssertRows([[2]], layer.Transform(["!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~AéBc\u00a0ÄZΣ"]));
    }

    [Fact]
    public void Transform_WhitespaceSplit_SplitsOnRunsOfAsciiWhitespaceOnly()
    {
        var layer = new TextVectorization(vocabulary: ["a", "b", "c", "d\u00a0e"]);
        AssertRows([[2, 3, 4, 5]], layer.Transform([" \t a\n\r\fb\v  c d\u00a0e  "]));
    }

    [Fact]
    public void Transform_CharacterSplit_MatchesKeras()
    {
        var layer = new TextVectorization(split: TextSplit.Character, vocabulary: ["a", "b", "c", "d", "e"]);
        AssertRows([[2, 3, 4, 1]], layer.Transform(["abcf"]));
    }

    [Fact]
    public void Transform_CharacterSplit_SplitsCodePointsNotUtf16Units()
    {
        var layer = new TextVectorization(split: TextSplit.Character, standardize: TextStandardization.None, vocabulary: ["😀", " "]);
        AssertRows([[2, 3, 2, 1]], layer.Transform(["😀 😀é"]));
    }

    [Fact]
    public void Transform_NoSplit_LooksUpWholeTexts()
    {
        var layer = new TextVectorization(split: TextSplit.None, vocabulary: ["foo", "bar", "baz"]);
        AssertRows([[2], [3], [1]], layer.Transform(["foo", "bar", "unknown"]));
    }

    [Fact]
    public void Transform_NoSplitEmptyText_IsPaddingId()
    {
        var layer = new TextVectorization(split: TextSplit.None, vocabulary: ["foo"]);
        AssertRows([[2], [0]], layer.Transform(["Foo!", "?!"]));
    }

    [Fact]
    public void Adapt_NgramsInteger_AddsBigrams()
    {
        var layer = new TextVectorization(ngrams: [1, 2]);
        layer.Adapt(["foo bar baz"]);
        Assert.Equal(["", "[UNK]", "foo bar", "foo", "baz", "bar baz", "bar"], layer.GetVocabulary());
        AssertRows([[3, 6, 2]], layer.Transform(["foo bar"]));
    }

    [Fact]
    public void Adapt_NgramsTuple_HasOnlyTheGivenWidths()
    {
        var layer = new TextVectorization(ngrams: [1, 3]);
        layer.Adapt(["foo bar baz"]);
        IReadOnlyList<string> vocabulary = layer.GetVocabulary();
        Assert.Contains("foo", vocabulary);
        Assert.Contains("foo bar baz", vocabulary);
        Assert.DoesNotContain("foo bar", vocabulary);
    }

    [Fact]
    public void Adapt_MaxTokens_KeepsTheMostFrequentTokens()
    {
        var layer = new TextVectorization(maxTokens: 5);
        layer.Adapt(["a b c d e f g h i j"]);
        Assert.Equal(5, layer.GetVocabulary().Count);

        var frequent = new TextVectorization(maxTokens: 4);
        frequent.Adapt(["z y y x x x", "w"]);
        Assert.Equal(["", "[UNK]", "x", "y"], frequent.GetVocabulary());
        AssertRows([[3, 2, 1, 1]], frequent.Transform(["y x z w"]));
    }

    [Fact]
    public void Adapt_TiesBrokenByUtf8BytesDescending()
    {
        // Keras sorts with numpy's lexsort on the tokens' UTF-8 bytes, reversed. In UTF-16 '\uffff' > '😀' (D83D ...),
        // but in UTF-8 '😀' (F0 ...) > '\uffff' (EF ...) > 'é' (C3 A9) > 'z': the UTF-8 order is Keras'.
        var layer = new TextVectorization(standardize: TextStandardization.None);
        layer.Adapt(["b a \uffff 😀 é z Z a"]);
        Assert.Equal(["", "[UNK]", "a", "😀", "\uffff", "é", "z", "b", "Z"], layer.GetVocabulary());
    }

    [Fact]
    public void Adapt_SpecialTokensInTheTexts_AreNotLearned()
    {
        var layer = new TextVectorization(standardize: TextStandardization.None);
        layer.Adapt(["[UNK] [UNK] a"]);
        Assert.Equal(["", "[UNK]", "a"], layer.GetVocabulary());
    }

    [Fact]
    public void Adapt_Again_ReplacesTheVocabulary()
    {
        var layer = new TextVectorization();
        layer.Adapt(["one two"]);
        layer.Adapt(["three"]);
        Assert.Equal(["", "[UNK]", "three"], layer.GetVocabulary());
    }

    [Fact]
    public void Transform_MultiHot_MatchesKeras()
    {
        var layer = new TextVectorization(outputMode: TextOutputMode.MultiHot, vocabulary: ["foo", "bar", "baz"]);
        Assert.Equal(["[UNK]", "foo", "bar", "baz"], layer.GetVocabulary());
        AssertRows([[0, 1, 1, 0], [0, 1, 0, 1]], layer.Transform(["foo bar", "baz foo foo"]));
        AssertRows([[1, 1, 0, 0]], layer.Transform(["foo qux quux"]));
    }

    [Fact]
    public void Transform_Count_MatchesKeras()
    {
        var layer = new TextVectorization(outputMode: TextOutputMode.Count, vocabulary: ["foo", "bar", "baz"]);
        AssertRows([[0, 1, 1, 0], [0, 2, 0, 1]], layer.Transform(["foo bar", "baz foo foo"]));
        AssertRows([[2, 1, 0, 0]], layer.Transform(["foo qux quux"]));
    }

    [Fact]
    public void Transform_TfIdf_MatchesKeras()
    {
        var layer = new TextVectorization(outputMode: TextOutputMode.TfIdf, vocabulary: ["foo", "bar", "baz"], idfWeights: [0.3f, 0.5f, 0.2f]);
        float[] expected = [0f, 0.3f, 0.5f, 0f, 0f, 0.6f, 0f, 0.2f];
        Assert.Equal(expected, layer.Transform(["foo bar", "baz foo foo"]).ToArray(), new FloatTolerance(1e-6f));

        // Without the special tokens, "[UNK]" gets the mean weight (Keras pads the front with np.average).
        AssertRows([[2 * ((0.3f + 0.5f + 0.2f) / 3)]], Sliced(layer.Transform(["qux quux"]), 1));
    }

    [Fact]
    public void Adapt_TfIdf_LearnsInverseDocumentFrequencies()
    {
        var layer = new TextVectorization(outputMode: TextOutputMode.TfIdf);
        layer.Adapt(["foo bar", "bar baz", "baz bada boom"]);
        Assert.Equal(["[UNK]", "baz", "bar", "foo", "boom", "bada"], layer.GetVocabulary());

        // idf = log(1 + 3 / (1 + documents with the token)); [UNK] gets their mean.
        double two = Math.Log(1 + (3.0 / 3)), one = Math.Log(1 + (3.0 / 2));
        float mean = (float)(((2 * (float)two) + (3 * (float)one)) / 5);
        float[] row = layer.Transform(["baz baz foo qux"]).ToArray();
        Assert.Equal([mean, 2 * (float)two, 0f, (float)one, 0f, 0f], row, new FloatTolerance(1e-6f));
    }

    [Fact]
    public void GetIdfWeights_gives_one_weight_per_index_unk_first_and_round_trips_through_SetVocabulary()
    {
        var layer = new TextVectorization(outputMode: TextOutputMode.TfIdf);
        layer.Adapt(["foo bar", "bar baz", "baz bada boom"]);
        float two = (float)Math.Log(1 + (3.0 / 3)), one = (float)Math.Log(1 + (3.0 / 2));

        float[] idf = layer.GetIdfWeights();

        Assert.Equal([(float)(((2 * two) + (3 * one)) / 5), two, two, one, one, one], idf, new FloatTolerance(1e-6f));
        var copy = new TextVectorization(outputMode: TextOutputMode.TfIdf);
        copy.SetVocabulary(layer.GetVocabulary(), idf);
        Assert.Equal(layer.Transform(["baz baz foo qux"]).ToArray(), copy.Transform(["baz baz foo qux"]).ToArray());
        Assert.Empty(new TextVectorization(outputMode: TextOutputMode.MultiHot, vocabulary: ["a"]).GetIdfWeights());
        Assert.Empty(new TextVectorization(outputMode: TextOutputMode.TfIdf).GetIdfWeights());
    }

    [Fact]
    public void Transform_PadToMaxTokens_WidensRows()
    {
        var layer = new TextVectorization(outputMode: TextOutputMode.MultiHot, vocabulary: ["foo", "bar"], maxTokens: 8, padToMaxTokens: true);
        Tensor output = layer.Transform(["foo bar"]);
        Assert.Equal(new TensorShape(1, 8), output.Shape);
        Assert.Equal([0f, 1, 1, 0, 0, 0, 0, 0], output.ToArray());
    }

    [Fact]
    public void Transform_BeforeAVocabulary_Throws()
    {
        var layer = new TextVectorization();
        Assert.False(layer.HasVocabulary);
        Assert.Equal(2, layer.VocabularySize);
        var ex = Assert.Throws<InvalidOperationException>(() => layer.Transform(["a"]));
        Assert.Contains("Adapt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adapt_TextsWithoutTokens_ThrowsAndKeepsTheVocabulary()
    {
        var layer = new TextVectorization(vocabulary: ["a"]);
        var ex = Assert.Throws<ArgumentException>(() => layer.Adapt(["", " !? ", "\t."]));
        Assert.Equal("texts", ex.ParamName);
        Assert.Throws<ArgumentException>(() => layer.Adapt([]));
        Assert.Equal(["", "[UNK]", "a"], layer.GetVocabulary());

        var unstandardized = new TextVectorization(standardize: TextStandardization.None, vocabulary: ["a"]);
        Assert.Throws<ArgumentException>(() => unstandardized.Adapt(["[UNK] [UNK]", " "]));
        Assert.Equal(["", "[UNK]", "a"], unstandardized.GetVocabulary());
    }

    [Fact]
    public void AdaptAndTransform_NullText_NameItsIndex()
    {
        var layer = new TextVectorization(vocabulary: ["a"]);
        var adapt = Assert.Throws<ArgumentNullException>(() => layer.Adapt(["a", null!]));
        Assert.Contains("Text 1", adapt.Message, StringComparison.Ordinal);
        var transform = Assert.Throws<ArgumentNullException>(() => layer.Transform(["a", "b", null!]));
        Assert.Contains("Text 2", transform.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => layer.Transform([]));
        Assert.Equal(["", "[UNK]", "a"], layer.GetVocabulary());
    }

    [Fact]
    public void Transform_NoTokensWithoutOutputSequenceLength_Throws()
    {
        var layer = new TextVectorization(vocabulary: ["a"]);
        Assert.Throws<ArgumentException>(() => layer.Transform(["", "!!"]));
        AssertRows([[0, 0]], new TextVectorization(vocabulary: ["a"], outputSequenceLength: 2).Transform(["..."]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    [InlineData(-3)]
    public void Constructor_MaxTokensTwoOrLess_Throws(int maxTokens)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorization(maxTokens: maxTokens));
        Assert.Equal("maxTokens", ex.ParamName);
        Assert.Contains("greater than 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InvalidCombinations_ThrowNamingTheParameter()
    {
        Assert.Equal("outputSequenceLength", Assert.Throws<ArgumentException>(() => new TextVectorization(outputMode: TextOutputMode.Count, outputSequenceLength: 4)).ParamName);
        Assert.Equal("outputSequenceLength", Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorization(outputSequenceLength: 0)).ParamName);
        Assert.Equal("padToMaxTokens", Assert.Throws<ArgumentException>(() => new TextVectorization(outputMode: TextOutputMode.MultiHot, padToMaxTokens: true)).ParamName);
        Assert.Equal("ngrams", Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorization(ngrams: [0])).ParamName);
        Assert.Equal("ngrams", Assert.Throws<ArgumentException>(() => new TextVectorization(ngrams: [])).ParamName);
        Assert.Equal("ngrams", Assert.Throws<ArgumentException>(() => new TextVectorization(ngrams: [2, 2])).ParamName);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => new TextVectorization(vocabulary: ["a"], idfWeights: [1f])).ParamName);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => new TextVectorization(outputMode: TextOutputMode.TfIdf, vocabulary: ["a"])).ParamName);
        Assert.Equal("standardize", Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorization(standardize: (TextStandardization)9)).ParamName);
        Assert.Equal("split", Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorization(split: (TextSplit)9)).ParamName);
        Assert.Equal("outputMode", Assert.Throws<ArgumentOutOfRangeException>(() => new TextVectorization(outputMode: (TextOutputMode)9)).ParamName);
    }

    [Fact]
    public void SetVocabulary_BadVocabularies_ThrowAndChangeNothing()
    {
        var layer = new TextVectorization(maxTokens: 4, vocabulary: ["a", "b"]);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => layer.SetVocabulary([])).Message, StringComparison.Ordinal);
        Assert.Contains("\"c\"", Assert.Throws<ArgumentException>(() => layer.SetVocabulary(["c", "d", "c"])).Message, StringComparison.Ordinal);
        Assert.Contains("index 1", Assert.Throws<ArgumentException>(() => layer.SetVocabulary(["c", ""])).Message, StringComparison.Ordinal);
        Assert.Contains("index 0", Assert.Throws<ArgumentException>(() => layer.SetVocabulary(["", "c"])).Message, StringComparison.Ordinal);
        Assert.Contains("maxTokens (4)", Assert.Throws<ArgumentException>(() => layer.SetVocabulary(["c", "d", "e"])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => layer.SetVocabulary(["c", null!]));
        Assert.Throws<ArgumentException>(() => layer.SetVocabulary(["c"], [1f]));
        Assert.Equal(["", "[UNK]", "a", "b"], layer.GetVocabulary());

        var tfIdf = new TextVectorization(outputMode: TextOutputMode.TfIdf, vocabulary: ["a"], idfWeights: [1f]);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => tfIdf.SetVocabulary(["c"])).ParamName);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => tfIdf.SetVocabulary(["c", "d"], [1f])).ParamName);
        Assert.Equal("idfWeights", Assert.Throws<ArgumentException>(() => tfIdf.SetVocabulary(["c"], [float.NaN])).ParamName);
        Assert.Equal(["[UNK]", "a"], tfIdf.GetVocabulary());
        tfIdf.SetVocabulary(["c"], [-0.5f]);
        Assert.Equal(["[UNK]", "c"], tfIdf.GetVocabulary());
    }

    [Fact]
    public void SetVocabulary_OovTokenAmongTheTokens_IsAnOrdinaryToken()
    {
        // Keras checks the OOV token's place only when inverting; otherwise "[UNK]" is a token like any other.
        var layer = new TextVectorization(standardize: TextStandardization.None, vocabulary: ["a", "[UNK]"]);
        AssertRows([[2, 3, 1]], layer.Transform(["a [UNK] b"]));
    }

    [Fact]
    public void GetConfig_FromConfig_RoundTripsEverySetting()
    {
        var layer = new TextVectorization(maxTokens: 9, standardize: TextStandardization.StripPunctuation, split: TextSplit.Whitespace, ngrams: [1, 3],
            outputMode: TextOutputMode.TfIdf, padToMaxTokens: true, name: "words");
        layer.Adapt(["The cat sat.", "the cat ran", "a dog ran!"]);
        Config config = layer.GetConfig();
        Assert.Equal(["name", "max_tokens", "standardize", "split", "ngrams", "output_mode", "output_sequence_length", "pad_to_max_tokens", "sparse", "ragged",
            "vocabulary", "idf_weights", "encoding", "vocabulary_size"], config.Keys);

        var copy = TextVectorization.FromConfig(config);
        Assert.Equal(config.ToJson(), copy.GetConfig().ToJson());
        Assert.Equal("words", copy.Name);
        Assert.Equal(new[] { 1, 3 }, copy.Ngrams);
        string[] texts = ["the cat sat on a dog", "Ran ran ran"];
        Assert.Equal(layer.Transform(texts).ToArray(), copy.Transform(texts).ToArray());

        var keras = new TextVectorization(ngrams: [1, 2]);
        Assert.Equal("2", keras.GetConfig().GetNode("ngrams")!.ToJsonString());
        Assert.Null(keras.GetConfig().GetNode("vocabulary"));
        Assert.False(TextVectorization.FromConfig(keras.GetConfig()).HasVocabulary);
    }

    [Fact]
    public void FromConfig_KerasConfig_IsRead()
    {
        // What Keras 3 writes for TextVectorization(vocabulary=["one", "two"], output_sequence_length=5, standardize=None).
        const string json = """
            {"name": "text_vectorization", "trainable": true, "dtype": "string", "max_tokens": null, "standardize": null, "split": "whitespace",
             "ngrams": null, "output_mode": "int", "output_sequence_length": 5, "pad_to_max_tokens": false, "sparse": false, "ragged": false,
             "vocabulary": ["one", "two"], "idf_weights": null, "encoding": "utf-8", "vocabulary_size": 4}
            """;
        Model model = ModelWith(new Dictionary<string, string> { ["t"] = json });
        var layer = Assert.IsType<TextVectorization>(model.Preprocessing["t"]);
        Assert.Equal(TextStandardization.None, layer.Standardize);
        AssertRows([[2, 1, 3, 0, 0]], layer.Transform(["one One two"]));
    }

    [Theory]
    [InlineData("\"standardize\": \"upper\"", "standardize")]
    [InlineData("\"split\": {\"class_name\": \"MySplit\"}", "split")]
    [InlineData("\"output_mode\": \"one_hot\"", "output_mode")]
    [InlineData("\"vocabulary\": [\"a\", 3]", "vocabulary")]
    [InlineData("\"vocabulary\": [\"a\", \"a\"]", "repeats")]
    [InlineData("\"max_tokens\": 1", "maxTokens")]
    [InlineData("\"ragged\": true", "ragged")]
    [InlineData("\"encoding\": \"latin-1\"", "encoding")]
    public void Load_BadPreprocessingConfig_ThrowsInvalidDataNamingTheProblem(string entry, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => ModelWith(new Dictionary<string, string> { ["t"] = "{" + entry + "}" }));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("preprocessing.t", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SaveLoad_ModelWithVectorizer_KeepsTheVocabularyAndIdsAndPredictions()
    {
        string[] train = ["the cat sat on the mat", "a dog ran in the park", "The cat ran!", "dogs and cats", "no pets here"];
        var vectorizer = new TextVectorization(maxTokens: 20, outputSequenceLength: 6, name: "words");
        vectorizer.Adapt(train);
        var counts = new TextVectorization(outputMode: TextOutputMode.Count);
        counts.Adapt(train);

        var model = new Sequential(seed: 3);
        model.Add(new InputLayer(6));
        model.Add(new Embedding(vectorizer.VocabularySize, 4));
        model.Add(new GlobalAveragePooling1D());
        model.Add(new Dense(1, ActivationFunction.Sigmoid));
        model.Compile(new Adam(), new BinaryCrossEntropy());
        model.Preprocessing["text"] = vectorizer;
        model.Preprocessing["bag"] = counts;
        model.Fit(vectorizer.Transform(train), Tensor.FromArray([1f, 0, 1, 0, 0], 5, 1), epochs: 2, batchSize: 2, verbose: 0);

        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-textvectorization-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(["bag", "text"], loaded.Preprocessing.Keys);
            var restored = Assert.IsType<TextVectorization>(loaded.Preprocessing["text"]);
            Assert.Equal(vectorizer.GetVocabulary(), restored.GetVocabulary());
            Assert.Equal(vectorizer.GetConfig().ToJson(), restored.GetConfig().ToJson());
            string[] texts = ["the dog sat in the park", "unknown words only", "CAT"];
            Tensor ids = restored.Transform(texts);
            Assert.Equal(vectorizer.Transform(texts).ToArray(), ids.ToArray());
            Assert.Equal(model.Predict(vectorizer.Transform(texts)).ToArray(), loaded.Predict(ids).ToArray());
            Assert.Equal(counts.Transform(texts).ToArray(), ((TextVectorization)loaded.Preprocessing["bag"]).Transform(texts).ToArray());

            // Same model, same file bytes: the preprocessing section is written in a fixed (ordinal) order.
            byte[] first = File.ReadAllBytes(path);
            loaded.Save(path);
            Assert.Equal(first, File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SaveLoad_WithoutPreprocessing_WritesNoPreprocessingSection()
    {
        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(2));
        model.Add(new Dense(1));
        var (_, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        Assert.False(metadata.ContainsKey("preprocessing"));
        model.Preprocessing["v"] = new TextVectorization(vocabulary: ["a"]);
        (_, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        Assert.StartsWith("{\"v\":{\"class_name\":\"TextVectorization\",\"config\":{\"name\":\"text_vectorization\"", metadata["preprocessing"], StringComparison.Ordinal);
    }

    [Fact]
    public void Adapt_SameTexts_SameVocabularyWhateverTheOrder()
    {
        // 478 distinct tokens with many ties in their counts.
        string[] texts = [.. Enumerable.Range(0, 2000).Select(i => $"w{i % 97} v{i % 331} u{(i * 7) % 50}")];
        var forward = new TextVectorization(maxTokens: 300);
        forward.Adapt(texts);
        var backward = new TextVectorization(maxTokens: 300);
        backward.Adapt(texts.Reverse());
        Assert.Equal(forward.GetVocabulary(), backward.GetVocabulary());
        Assert.Equal(300, forward.VocabularySize);
    }

    [Fact]
    public void Save_UnregisteredPreprocessor_ThrowsAndWritesNothing()
    {
        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(2));
        model.Add(new Dense(1));
        model.Preprocessing["mine"] = new Unregistered();
        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-unregistered-{Environment.ProcessId}.safetensors");
        var ex = Assert.Throws<NotSupportedException>(() => model.Save(path));
        Assert.Contains("Unregistered", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void SaveLoad_RegisteredPreprocessorOfYourOwn_IsRestored()
    {
        SerializationRegistry.Register("Tests>Suffix", config => new Suffix(config.GetString("suffix")));
        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(2));
        model.Add(new Dense(1));
        model.Preprocessing["suffix"] = new Suffix("!");
        var stream = new MemoryStream();
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;
        Model loaded = Model.Load(stream);
        Assert.Equal("!", Assert.IsType<Suffix>(loaded.Preprocessing["suffix"]).Value);
    }

    // A model file whose only unusual part is its preprocessing section, read back through Model.Load.
    private static Model ModelWith(Dictionary<string, string> preprocessing)
    {
        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(2));
        model.Add(new Dense(1));
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        metadata["preprocessing"] = "{" + string.Join(",", preprocessing.Select(p => $"\"{p.Key}\": {{\"class_name\": \"TextVectorization\", \"config\": {p.Value}}}")) + "}";
        var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;
        return Model.Load(stream, "test.safetensors");
    }

    private static Tensor Sliced(Tensor tensor, int columns) => Tensor.FromArray(tensor.ToArray()[..columns], 1, columns);

    private static void AssertRows(float[][] expected, Tensor actual)
    {
        Assert.Equal(new TensorShape(expected.Length, expected[0].Length), actual.Shape);
        Assert.Equal(expected.SelectMany(r => r).ToArray(), actual.ToArray(), new FloatTolerance(1e-6f));
    }

    private sealed class Unregistered : Preprocessor
    {
        public override Config GetConfig() => new();
    }

    private sealed class Suffix(string value) : Preprocessor
    {
        public string Value { get; } = value;

        public override Config GetConfig() => new Config().Set("suffix", Value);
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
