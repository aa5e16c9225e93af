using System.Text;
using FsCheck.Xunit;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Preprocessing;

// Vocabulary files as Keras reads them (vocabulary="path"): IndexLookup._lookup_table_from_file builds TensorFlow's
// TextFileInitializer(key_index=WHOLE_LINE, value_index=LINE_NUMBER, value_index_offset=_token_start_index()), so line k
// takes index token_start + k and every line, special tokens included, is a token; InputBuffer::ReadLine splits at "\n"
// and drops one "\r" before it. Expected values follow from those rules and from Keras' text_vectorization_test.py
// (test_vocabulary_from_file) and index_lookup_test.py (test_vocabulary_file_does_not_exist). TextFileLineIterator::Next
// refuses an empty line ("Invalid vocabulary file: empty line found at position N"); ReadLine drops a lone "\r" left at
// the end of the file and reports the end there.
public sealed class VocabularyFileTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"vocabulary-files-{Guid.NewGuid():N}");

    public VocabularyFileTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void TextVectorization_KerasVocabularyFromFile_GivesKerasIds()
    {
        // text_vectorization_test.py test_vocabulary_from_file: "foo\nbar\nbaz\n" -> [[2, 3, 4, 1]].
        string path = Write("vocab.txt", "foo\nbar\nbaz\n");
        var layer = new TextVectorization(vocabularyFile: path);
        Assert.Equal([2f, 3, 4, 1], layer.Transform(["foo bar baz unknown"]).ToArray());
        Assert.Equal(["", "[UNK]", "foo", "bar", "baz"], layer.GetVocabulary());

        var counts = new TextVectorization(outputMode: TextOutputMode.Count);
        counts.SetVocabularyFile(path);
        Assert.Equal([1f, 2, 0, 1], counts.Transform(["foo foo baz qux"]).ToArray());
    }

    [Fact]
    public void StringLookup_LineEnds_FollowTensorFlowsReadLine()
    {
        // "\r\n" ends a line like "\n"; a lone "\r" inside a line is part of the token; the last line needs no "\n".
        var lookup = new StringLookup(vocabularyFile: Write("crlf.txt", "a\r\nb\rc\nd"));
        Assert.Equal(["[UNK]", "a", "b\rc", "d"], lookup.GetVocabulary());

        // After the last "\n", a lone "\r" is dropped by ReadLine, which then reports the end of the file: no line.
        Assert.Equal(["[UNK]", "x"], new StringLookup(vocabularyFile: Write("final-cr.txt", "x\n\r")).GetVocabulary());
    }

    [Theory]
    [InlineData("x\n\n", 2)]
    [InlineData("\nx\n", 1)]
    [InlineData("x\n\ny", 2)]
    [InlineData("x\n\r\ny\n", 2)]
    [InlineData("x\r\n\r\n", 2)]
    [InlineData("a\nb\n\r\n", 3)]
    public void EmptyLine_IsRefusedNamingFileAndLine_ByAllThreeLayers(string content, int line)
    {
        // TensorFlow's TextFileLineIterator: "empty line found"; a line that is only "\r" is empty once ReadLine drops it.
        string path = Write("empty-line.txt", content);
        string expected = $"line {line} of vocabulary file '{path}' is empty";
        Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => new StringLookup(vocabularyFile: path)).Message, StringComparison.Ordinal);
        Assert.Contains(expected, Assert.Throws<InvalidDataException>(() => new IntegerLookup(vocabularyFile: path)).Message, StringComparison.Ordinal);
        var vectorizer = new TextVectorization(vocabulary: ["keep"]);
        var ex = Assert.Throws<InvalidDataException>(() => vectorizer.SetVocabularyFile(path));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("padding", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["", "[UNK]", "keep"], vectorizer.GetVocabulary());
    }

    [Property(MaxTest = 100, Replay = "20261206,33")]
    public void StringLookup_RandomTokensWrittenOnePerLine_ReadBackInOrder(int seed, bool crlf, bool finalNewline)
    {
        // Tokens of letters, non-ASCII, spaces, tabs and inner "\r" (never last: ReadLine would drop it), distinct and
        // never empty (TensorFlow refuses an empty line); joined by "\n" or "\r\n". Line k must come back as token k at
        // index 1 + k; the same file with an empty line inserted before line j is refused naming line j.
        var random = new Random(seed);
        string[] alphabet = ["a", "b", " ", "Z", "\t", "é", "😀", "\r", ","];
        var tokens = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int count = 1 + random.Next(20);
        string separator = crlf ? "\r\n" : "\n";
        while (tokens.Count < count)
        {
            var token = new StringBuilder();
            for (int length = 1 + random.Next(6); length > 0; length--)
            {
                token.Append(alphabet[random.Next(alphabet.Length)]);
            }

            string text = token.ToString().TrimEnd('\r');
            if (text.Length > 0 && seen.Add(text))
            {
                tokens.Add(text);
            }
        }

        string content = string.Join(separator, tokens) + (finalNewline ? separator : string.Empty);
        var lookup = new StringLookup(vocabularyFile: Write($"random-{seed}.txt", content));
        Assert.Equal(["[UNK]", .. tokens], lookup.GetVocabulary());
        Assert.Equal(Enumerable.Range(1, tokens.Count).Select(i => (float)i), lookup.Transform(tokens).ToArray());

        int empty = random.Next(tokens.Count);
        string withEmpty = string.Join(separator, [.. tokens[..empty], string.Empty, .. tokens[empty..]]) + (finalNewline ? separator : string.Empty);
        string path = Write($"random-empty-{seed}.txt", withEmpty);
        var ex = Assert.Throws<InvalidDataException>(() => new StringLookup(vocabularyFile: path));
        Assert.Contains($"line {empty + 1} of vocabulary file '{path}' is empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StringLookup_SpecialTokensInTheFile_AreOrdinaryTokens()
    {
        // Keras' file path skips set_vocabulary's special-token handling: "[UNK]" on line 0 takes index 1 + 0.
        var lookup = new StringLookup(vocabularyFile: Write("with-oov.txt", "[UNK]\na\n"));
        Assert.Equal(["[UNK]", "[UNK]", "a"], lookup.GetVocabulary());
        Assert.Equal([2f, 0], lookup.Transform(["a", "b"]).ToArray());

        // The same list given as a list starts with the special token, which set_vocabulary strips.
        Assert.Equal(["[UNK]", "a"], new StringLookup(vocabulary: ["[UNK]", "a"]).GetVocabulary());
    }

    [Fact]
    public void StringLookup_ByteOrderMark_StaysPartOfTheFirstToken()
    {
        // TensorFlow reads bytes: a UTF-8 BOM is part of line 0's key, so "a" itself is unknown, as in Keras.
        var lookup = new StringLookup(vocabularyFile: Write("bom.txt", "\uFEFFa\nb\n"));
        Assert.Equal([0f, 2, 1], lookup.Transform(["a", "b", "\uFEFFa"]).ToArray());
    }

    [Fact]
    public void IntegerLookup_IntegerLines_AreParsedAsTensorFlowParsesInt64()
    {
        // safe_strto64: whitespace around, an optional '-', digits.
        var layer = new IntegerLookup(vocabularyFile: Write("ints.txt", " 12\n-3\n1138\t\r\n42"));
        Assert.Equal([-1L, 12, -3, 1138, 42], layer.GetVocabulary());
        Assert.Equal([1f, 2, 3, 4, 0], layer.Forward(Tensor.FromArray([12f, -3, 1138, 42, 7], 5), training: false).ToArray());

        var masked = new IntegerLookup(maskToken: 0, vocabularyFile: Write("ints2.txt", "5\n6\n"));
        Assert.Equal([0L, -1, 5, 6], masked.GetVocabulary());
    }

    [Theory]
    [InlineData("1\n2.5\n", "line 2")]
    [InlineData("1\n+2\n", "line 2")]
    [InlineData("1\n\n2\n", "line 2")]
    [InlineData("99999999999999999999\n", "line 1")]
    [InlineData("1\n2 3\n", "line 2")]
    public void IntegerLookup_NotAnInteger_ThrowsNamingFileAndLine(string content, string line)
    {
        string path = Write("bad-ints.txt", content);
        var ex = Assert.Throws<InvalidDataException>(() => new IntegerLookup(vocabularyFile: path));
        Assert.Contains(line, ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IntegerLookup_TokenNotExactInAFloat_ThrowsNamingTheLine()
    {
        var ex = Assert.Throws<InvalidDataException>(() => new IntegerLookup(vocabularyFile: Write("big.txt", "1\n16777217\n")));
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("16777217", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadFiles_ThrowNamingFileAndLine_AndChangeNothing()
    {
        var lookup = new StringLookup(maskToken: "[MASK]", maxTokens: 5, vocabulary: ["keep"]);
        AssertRefused(lookup, Write("repeat.txt", "a\nb\na\n"), "lines 1 and 3");
        AssertRefused(lookup, Write("mask.txt", "a\n[MASK]\n"), "line 2");
        AssertRefused(lookup, Write("large.txt", "a\nb\nc\nd\n"), "max_tokens");
        AssertRefused(lookup, Write("empty.txt", string.Empty), "empty");
        File.WriteAllBytes(Path.Combine(_folder, "latin1.txt"), [(byte)'a', (byte)'\n', 0xE9, (byte)'t', (byte)'\n']);
        AssertRefused(lookup, Path.Combine(_folder, "latin1.txt"), "line 2");

        var inverse = new StringLookup(invert: true, vocabulary: ["keep"]);
        AssertRefused(inverse, Write("inverse-oov.txt", "a\n[UNK]\n"), "line 2");

        AssertRefused(lookup, Write("empty-line.txt", "a\n\nb\n"), "line 2 of vocabulary file");
    }

    [Fact]
    public void IntegerLookup_BuiltLayer_RefusesAFileThatChangesItsWidth()
    {
        var layer = new IntegerLookup(outputMode: CategoryOutputMode.MultiHot, vocabulary: [1, 2]);
        layer.Build(new TensorShape(2));
        var ex = Assert.Throws<InvalidDataException>(() => layer.SetVocabularyFile(Write("wider.txt", "1\n2\n3\n")));
        Assert.Contains("wider.txt", ex.Message, StringComparison.Ordinal);
        Assert.Equal([-1L, 1, 2], layer.GetVocabulary());
    }

    [Fact]
    public void MissingFile_ThrowsFileNotFoundNamingIt()
    {
        // index_lookup_test.py test_vocabulary_file_does_not_exist: "Vocabulary file path/to/missing_vocab.txt does not exist".
        string path = Path.Combine(_folder, "missing_vocab.txt");
        var ex = Assert.Throws<FileNotFoundException>(() => new StringLookup(vocabularyFile: path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(path, ex.FileName);
        Assert.Throws<FileNotFoundException>(() => new IntegerLookup(vocabularyFile: path));
        Assert.Throws<FileNotFoundException>(() => new TextVectorization(vocabularyFile: path));
    }

    [Fact]
    public void TfIdfMode_OrBothVocabularies_AreRefused()
    {
        // index_lookup.py: "output_mode `'tf_idf'` does not support loading a vocabulary from file."
        string path = Write("v.txt", "a\n");
        Assert.Equal("vocabularyFile", Assert.Throws<ArgumentException>(() => new StringLookup(outputMode: CategoryOutputMode.TfIdf, vocabularyFile: path)).ParamName);
        Assert.Equal("vocabularyFile", Assert.Throws<ArgumentException>(() => new IntegerLookup(outputMode: CategoryOutputMode.TfIdf, vocabularyFile: path)).ParamName);
        Assert.Equal("vocabularyFile", Assert.Throws<ArgumentException>(() => new TextVectorization(outputMode: TextOutputMode.TfIdf, vocabularyFile: path)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => new StringLookup(outputMode: CategoryOutputMode.TfIdf).SetVocabularyFile(path)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => new IntegerLookup(outputMode: CategoryOutputMode.TfIdf).SetVocabularyFile(path)).ParamName);
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => new TextVectorization(outputMode: TextOutputMode.TfIdf).SetVocabularyFile(path)).ParamName);
        Assert.Equal("vocabularyFile", Assert.Throws<ArgumentException>(() => new StringLookup(vocabulary: ["a"], vocabularyFile: path)).ParamName);
        Assert.Equal("vocabularyFile", Assert.Throws<ArgumentException>(() => new IntegerLookup(vocabulary: [1], vocabularyFile: path)).ParamName);
        Assert.Equal("vocabularyFile", Assert.Throws<ArgumentException>(() => new TextVectorization(vocabulary: ["a"], vocabularyFile: path)).ParamName);
    }

    [Fact]
    public void GetConfig_AfterAFile_HoldsTheTokensInline()
    {
        // Keras 3 now clears a path from get_config and saves the tokens as an asset; NeuralNet keeps them in the config.
        string path = Write("inline.txt", "foo\nbar\n");
        Config config = new TextVectorization(vocabularyFile: path).GetConfig();
        Assert.Equal("""["","[UNK]","foo","bar"]""", config.GetNode("vocabulary")!.ToJsonString());
        File.Delete(path);
        Assert.Equal([2f, 3], TextVectorization.FromConfig(config).Transform(["foo bar"]).ToArray());
        Assert.Equal("""["[UNK]","foo","bar"]""", new StringLookup(vocabularyFile: Write("inline2.txt", "foo\nbar")).GetConfig().GetNode("vocabulary")!.ToJsonString());
    }

    [Fact]
    public void Load_ConfigHoldingAPath_IsRefusedNamingLayerKeyAndPath_WithoutOpeningIt()
    {
        // Keras 3 releases that kept the path in get_config wrote "vocabulary": "<path>"; Keras now refuses to open it in
        // safe mode (PR #21751). The file exists and is a valid vocabulary: it is refused all the same.
        string path = Write("config.txt", "foo\nbar\n");
        string json = Json(path);
        var words = Assert.Throws<InvalidDataException>(() => ModelWith(new() { ["words"] = ("TextVectorization", $$"""{"name": "words", "vocabulary": {{json}}, "output_sequence_length": 3}""") }));
        AssertPathRefused(words, "TextVectorization 'words'", "\"vocabulary\"", path);
        Assert.Contains("preprocessing.words", words.Message, StringComparison.Ordinal);

        var tags = Assert.Throws<InvalidDataException>(() => ModelWith(new() { ["tags"] = ("StringLookup", $$"""{"name": "tags", "vocabulary": {{json}}}""") }));
        AssertPathRefused(tags, "StringLookup 'tags'", "\"vocabulary\"", path);

        string ints = Json(Write("ints.txt", "7\n9\n"));
        var ids = Assert.Throws<InvalidDataException>(() => IntegerLookup.FromConfig(ConfigOf($$"""{"name": "ids", "vocabulary": {{ints}}}""")));
        AssertPathRefused(ids, "IntegerLookup 'ids'", "\"vocabulary\"", Path.Combine(_folder, "ints.txt"));

        // A missing file gets the same answer: loading never looks at the file system.
        string missing = Path.Combine(_folder, "gone.txt");
        var gone = Assert.Throws<InvalidDataException>(() => ModelWith(new() { ["t"] = ("StringLookup", $$"""{"vocabulary": {{Json(missing)}}}""") }));
        AssertPathRefused(gone, "StringLookup 'string_lookup'", "\"vocabulary\"", missing);

        // idf_weights as a path is refused by its key, in the lookups and the vectorizer.
        var idf = Assert.Throws<InvalidDataException>(() => TextVectorization.FromConfig(ConfigOf($$"""{"name": "v", "output_mode": "tf_idf", "vocabulary": ["a"], "idf_weights": {{json}}}""")));
        Assert.Contains("\"idf_weights\" is the file path", idf.Message, StringComparison.Ordinal);
        Assert.Contains(path, idf.Message, StringComparison.Ordinal);
        Assert.Contains("idf_weights", Assert.Throws<InvalidDataException>(() => StringLookup.FromConfig(ConfigOf($$"""{"output_mode": "tf_idf", "vocabulary": ["a"], "idf_weights": {{json}}}"""))).Message, StringComparison.Ordinal);

        var number = Assert.Throws<InvalidDataException>(() => ModelWith(new() { ["t"] = ("StringLookup", """{"vocabulary": 3}""") }));
        Assert.Contains("vocabulary", number.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SetVocabularyFile_AfterLoading_StillReadsAFileTheUserTrusts()
    {
        // What the refusal tells the user to do: load (here a config without the path), then read the file yourself.
        string path = Write("trusted.txt", "foo\nbar\n");
        Model model = ModelWith(new() { ["tags"] = ("StringLookup", """{"name": "tags"}""") });
        var tags = Assert.IsType<StringLookup>(model.Preprocessing["tags"]);
        tags.SetVocabularyFile(path);
        Assert.Equal([2f, 1, 0], tags.Transform(["bar", "foo", "baz"]).ToArray());
    }

    [Fact]
    public void SetVocabularyFile_LargerThanTheAssetCap_IsRefusedBeforeReading()
    {
        // A sparse file one byte over the Keras reader's 256 MiB asset cap: its length alone refuses it.
        string path = Path.Combine(_folder, "huge.txt");
        using (var stream = new FileStream(path, FileMode.CreateNew))
        {
            stream.SetLength(VocabularyFile.MaxBytes + 1);
        }

        var ex = Assert.Throws<InvalidDataException>(() => new StringLookup(vocabularyFile: path));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("larger than 268435456 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Equal(256L << 20, VocabularyFile.MaxBytes);
    }

    [Fact]
    public void ReadLines_EndlessDevice_StopsAtTheBound()
    {
        // /dev/zero reports a length of 0 and never ends: the bound, not the length, must stop the read (a small bound
        // here, to keep the test fast; SetVocabularyFile uses MaxBytes).
        if (!File.Exists("/dev/zero"))
        {
            return;
        }

        var ex = Assert.Throws<InvalidDataException>(() => VocabularyFile.ReadLines("/dev/zero", "StringLookup 't'", maxBytes: 1 << 16));
        Assert.Contains("'/dev/zero' is larger than 65536 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvertMode_WithAFile_MapsIndicesBackToTheLines()
    {
        // Inverting, index tokenStart + k gives line k and the OOV indices the OOV token (Keras' invert=True lookups).
        var strings = new StringLookup(invert: true, vocabularyFile: Write("invert.txt", "foo\nbar\n"));
        Assert.Equal(["bar", "foo", "[UNK]"], strings.InverseTransform(Tensor.FromArray([2f, 1, 0], 3)));

        var integers = new IntegerLookup(invert: true, maskToken: 0, vocabularyFile: Write("invert-ints.txt", "12\n36\n"));
        Assert.Equal([36f, 12, -1, 0], integers.Forward(Tensor.FromArray([3f, 2, 1, 0], 4), training: false).ToArray());
    }

    [Fact]
    public void MultiHotWithMaskToken_AndAFile_LinesStartAfterTheOovIndex()
    {
        // Outside int mode the mask token takes no index (Keras' _token_start_index adds it in int mode only): line k is
        // index 1 + k, and the mask token drops out of the encoding.
        var lookup = new StringLookup(maskToken: "[MASK]", outputMode: CategoryOutputMode.MultiHot, vocabularyFile: Write("masked.txt", "a\nb\n"));
        Assert.Equal(3, lookup.VocabularySize);
        Assert.Equal([1f, 1, 0], lookup.Transform([["a", "[MASK]", "zz"]]).ToArray());

        var integers = new IntegerLookup(maskToken: 0, outputMode: CategoryOutputMode.Count, vocabularyFile: Write("masked-ints.txt", "5\n6\n"));
        Assert.Equal([1f, 0, 2], integers.Forward(Tensor.FromArray([6f, 0, 6, 9], 1, 4), training: false).ToArray());
        Assert.Throws<InvalidDataException>(() => new StringLookup(maskToken: "[MASK]", outputMode: CategoryOutputMode.MultiHot, vocabularyFile: Write("mask-line.txt", "a\n[MASK]\n")));
    }

    [Fact]
    public void SaveLoad_StringLookupWhoseFileHoldsTheOovToken_KeepsEveryIndex()
    {
        // "[UNK]" on line 0 is an ordinary token at index 1; the saved list ["[UNK]", "[UNK]", "a"] starts with the OOV
        // token once (set_vocabulary strips it), so the loaded lookup maps exactly as the one read from the file.
        var lookup = new StringLookup(vocabularyFile: Write("oov-line.txt", "[UNK]\na\n"));
        string[] probe = ["[UNK]", "a", "b"];
        Assert.Equal([1f, 2, 0], lookup.Transform(probe).ToArray());

        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(2));
        model.Add(new Dense(1));
        model.Preprocessing["tags"] = lookup;
        string path = Path.Combine(_folder, "model.safetensors");
        model.Save(path);
        File.Delete(Path.Combine(_folder, "oov-line.txt"));
        var loaded = Assert.IsType<StringLookup>(Model.Load(path).Preprocessing["tags"]);
        Assert.Equal(lookup.GetVocabulary(), loaded.GetVocabulary());
        Assert.Equal([1f, 2, 0], loaded.Transform(probe).ToArray());
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MaxValue - 255)]
    [InlineData(16777217L)]
    public void IntegerLookup_TokenAFloatRoundsToAnother_IsRefusedOnEveryRuntime(long token)
    {
        // long.MaxValue rounds to the float 2^63, which (long) saturates back to long.MaxValue on .NET 9+ and turns into
        // long.MinValue on .NET 8 x64: neither is the token, so it must be refused, from a list and from a file alike.
        Assert.False(IntegerLookup.IsExactInFloat(token));
        Assert.Throws<ArgumentException>(() => new IntegerLookup(vocabulary: [token]));
        Assert.Throws<ArgumentException>(() => new IntegerLookup(oovToken: token));
        string text = token.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var ex = Assert.Throws<InvalidDataException>(() => new IntegerLookup(vocabularyFile: Write($"big-{token}.txt", $"1\n{text}\n")));
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains(text, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16777216L)]
    [InlineData(-16777216L)]
    [InlineData(4611686018427387904L)]
    [InlineData(long.MinValue)]
    public void IntegerLookup_TokenAFloatHolds_IsAccepted(long token)
    {
        // 2^24, -2^24, 2^62 and -2^63 are powers of two a float holds exactly.
        Assert.True(IntegerLookup.IsExactInFloat(token));
        Assert.Equal([-1L, token], new IntegerLookup(vocabulary: [token]).GetVocabulary());
    }

    private static void AssertPathRefused(InvalidDataException ex, string layer, string key, string path)
    {
        Assert.Contains(layer, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{key} is the file path '{path}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"SetVocabularyFile(\"{path}\")", ex.Message, StringComparison.Ordinal);
        Assert.Contains("safe mode", ex.Message, StringComparison.Ordinal);
    }

    private static Config ConfigOf(string json) => Config.Wrap((System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(json)!, "test", "layer");

    private static void AssertRefused(StringLookup lookup, string path, string expected)
    {
        IReadOnlyList<string> before = lookup.GetVocabulary();
        var ex = Assert.Throws<InvalidDataException>(() => lookup.SetVocabularyFile(path));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFileName(path), ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, lookup.GetVocabulary());
    }

    private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    private static Model ModelWith(Dictionary<string, (string ClassName, string Config)> preprocessing)
    {
        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(2));
        model.Add(new Dense(1));
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: false);
        metadata["preprocessing"] = "{" + string.Join(",", preprocessing.Select(p => $"\"{p.Key}\": {{\"class_name\": \"{p.Value.ClassName}\", \"config\": {p.Value.Config}}}")) + "}";
        var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;
        return Model.Load(stream, "test.safetensors");
    }

    private string Write(string name, string content)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes(content));
        return path;
    }
}
