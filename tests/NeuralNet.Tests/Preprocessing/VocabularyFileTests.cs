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
// (test_vocabulary_from_file) and index_lookup_test.py (test_vocabulary_file_does_not_exist).
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
        // "\r\n" ends a line like "\n"; a lone "\r" is part of the token; the last line needs no "\n"; only the "\n"
        // that ends the file adds no line, so "x\n\n" ends with the empty token.
        var lookup = new StringLookup(vocabularyFile: Write("crlf.txt", "a\r\nb\rc\nd"));
        Assert.Equal(["[UNK]", "a", "b\rc", "d"], lookup.GetVocabulary());

        var empty = new StringLookup(vocabularyFile: Write("empty-line.txt", "x\n\n"));
        Assert.Equal(["[UNK]", "x", ""], empty.GetVocabulary());
        Assert.Equal([2f, 1, 0], empty.Transform(["", "x", "y"]).ToArray());
    }

    [Property(MaxTest = 100, Replay = "20261206,33")]
    public void StringLookup_RandomTokensWrittenOnePerLine_ReadBackInOrder(int seed, bool crlf, bool finalNewline)
    {
        // Tokens of letters, non-ASCII, spaces, tabs and inner "\r" (never last: ReadLine would drop it), distinct, one
        // possibly empty; joined by "\n" or "\r\n". Line k must come back as token k at index 1 + k.
        var random = new Random(seed);
        string[] alphabet = ["a", "b", " ", "Z", "\t", "é", "😀", "\r", ","];
        var tokens = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int count = 1 + random.Next(20);
        while (tokens.Count < count)
        {
            var token = new StringBuilder();
            for (int length = random.Next(6); length > 0; length--)
            {
                token.Append(alphabet[random.Next(alphabet.Length)]);
            }

            string text = token.ToString().TrimEnd('\r');
            if (seen.Add(text))
            {
                tokens.Add(text);
            }
        }

        string content = string.Join(crlf ? "\r\n" : "\n", tokens) + (finalNewline || tokens[^1].Length == 0 ? "\n" : string.Empty);
        var lookup = new StringLookup(vocabularyFile: Write($"random-{seed}.txt", content));
        Assert.Equal(["[UNK]", .. tokens], lookup.GetVocabulary());
        Assert.Equal(Enumerable.Range(1, tokens.Count).Select(i => (float)i), lookup.Transform(tokens).ToArray());
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

        var vectorizer = new TextVectorization(vocabulary: ["keep"]);
        string padding = Write("padding.txt", "a\n\nb\n");
        var ex = Assert.Throws<InvalidDataException>(() => vectorizer.SetVocabularyFile(padding));
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("padding token", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["", "[UNK]", "keep"], vectorizer.GetVocabulary());
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
        Assert.Equal("path", Assert.Throws<ArgumentException>(() => new TextVectorization(outputMode: TextOutputMode.TfIdf).SetVocabularyFile(path)).ParamName);
        Assert.Equal("vocabularyFile", Assert.Throws<ArgumentException>(() => new StringLookup(vocabulary: ["a"], vocabularyFile: path)).ParamName);
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
    public void Load_ConfigHoldingAPath_ReadsTheFile()
    {
        // Keras 3 releases that kept the path in get_config wrote "vocabulary": "<path>".
        string path = Write("config.txt", "foo\nbar\n");
        string json = Json(path);
        Model model = ModelWith(new() { ["words"] = ("TextVectorization", $$"""{"name": "words", "vocabulary": {{json}}, "output_sequence_length": 3}"""),
            ["tags"] = ("StringLookup", $$"""{"name": "tags", "vocabulary": {{json}}}""") });
        Assert.Equal([3f, 2, 0], Assert.IsType<TextVectorization>(model.Preprocessing["words"]).Transform(["bar foo"]).ToArray());
        Assert.Equal([2f, 1, 0], Assert.IsType<StringLookup>(model.Preprocessing["tags"]).Transform(["bar", "foo", "baz"]).ToArray());

        var ints = IntegerLookup.FromConfig(Config.Wrap((System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse($$"""{"name": "ids", "vocabulary": {{Json(Write("ints.txt", "7\n9\n"))}}}""")!, "test", "ids"));
        Assert.Equal([-1L, 7, 9], ints.GetVocabulary());
    }

    [Fact]
    public void Load_ConfigHoldingAMissingOrBadFile_ThrowsInvalidDataNamingItAndTheConfig()
    {
        string missing = Path.Combine(_folder, "gone.txt");
        var ex = Assert.Throws<InvalidDataException>(() => ModelWith(new() { ["t"] = ("StringLookup", $$"""{"vocabulary": {{Json(missing)}}}""") }));
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("preprocessing.t", ex.Message, StringComparison.Ordinal);
        var vectorizer = Assert.Throws<InvalidDataException>(() => ModelWith(new() { ["v"] = ("TextVectorization", $$"""{"vocabulary": {{Json(missing)}}}""") }));
        Assert.Contains(missing, vectorizer.Message, StringComparison.Ordinal);
        Assert.Contains("preprocessing.v", vectorizer.Message, StringComparison.Ordinal);

        string repeated = Write("twice.txt", "a\na\n");
        var bad = Assert.Throws<InvalidDataException>(() => ModelWith(new() { ["t"] = ("TextVectorization", $$"""{"vocabulary": {{Json(repeated)}}}""") }));
        Assert.Contains("lines 1 and 2", bad.Message, StringComparison.Ordinal);

        var number = Assert.Throws<InvalidDataException>(() => ModelWith(new() { ["t"] = ("StringLookup", """{"vocabulary": 3}""") }));
        Assert.Contains("vocabulary", number.Message, StringComparison.Ordinal);
    }

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
