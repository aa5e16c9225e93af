using System.Text.Json.Nodes;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Preprocessing;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Preprocessing;

// Custom standardize and split functions (Keras' callables). Expectations from Keras 3's text_vectorization_test.py
// (test_custom_standardize_callable, test_custom_splitting) and text_vectorization.py's _preprocess: a callable standardize
// replaces the built-in one, a callable split runs on the standardized text, n-grams follow; get_config holds the callable,
// which serialize_keras_object writes for a registered function as {"module": "builtins", "class_name": "function",
// "config": <name>, "registered_name": "function"}.
public class TextVectorizationFunctionTests
{
    private static readonly Func<string, string> s_dashToSpace = DashToSpace;
    private static readonly Func<string, IEnumerable<string>> s_splitOnBar = SplitOnBar;

    static TextVectorizationFunctionTests()
    {
        SerializationRegistry.RegisterFunction("NeuralNet.Tests>dash_to_space", s_dashToSpace);
        SerializationRegistry.RegisterFunction("NeuralNet.Tests>split_on_bar", s_splitOnBar);
    }

    [Fact]
    public void StandardizeFunction_KerasCustomStandardizeCallable_ReplacesTheBuiltIn()
    {
        // test_custom_standardize_callable: "foo-bar" -> [[2, 3]].
        var layer = new TextVectorization(standardizeFunction: DashToSpace, vocabulary: ["foo", "bar"]);
        Assert.Equal(TextStandardization.Custom, layer.Standardize);
        Assert.Equal([2f, 3], layer.Transform(["foo-bar"]).ToArray());

        // No lowercasing or punctuation stripping besides the function's.
        Assert.Equal([1f, 3, 1], layer.Transform(["Foo-bar-foo!"]).ToArray());
    }

    [Fact]
    public void SplitFunction_KerasCustomSplitting_RunsOnTheStandardizedText()
    {
        // test_custom_splitting: the default standardization strips "|" first, so "foo|bar" is the one token "foobar" -> [[4]].
        var layer = new TextVectorization(splitFunction: SplitOnBar, vocabulary: ["foo", "bar", "foobar"]);
        Assert.Equal(TextSplit.Custom, layer.Split);
        Assert.Equal([4f], layer.Transform(["foo|bar"]).ToArray());

        var unstripped = new TextVectorization(standardize: TextStandardization.Lower, splitFunction: SplitOnBar, vocabulary: ["foo", "bar", "foobar"]);
        Assert.Equal([2f, 3], unstripped.Transform(["FOO|bar"]).ToArray());
    }

    [Fact]
    public void Adapt_WithFunctions_LearnsTheirTokensAndNgrams()
    {
        var layer = new TextVectorization(standardizeFunction: DashToSpace, splitFunction: t => t.Split(' ', StringSplitOptions.RemoveEmptyEntries), ngrams: [1, 2]);
        layer.Adapt(["a-b", "b-c b"]);

        // Tokens a, b, "a b" (document 1) and b, c, b, "b c", "c b" (document 2): b 3 times, then the rest once each,
        // ties by UTF-8 bytes descending.
        Assert.Equal(["", "[UNK]", "b", "c b", "c", "b c", "a b", "a"], layer.GetVocabulary());
        Assert.Equal([7f, 2, 6], layer.Transform(["a-b"]).ToArray());
    }

    [Fact]
    public void Functions_ReturningNull_ThrowNamingTheLayer()
    {
        var standardize = new TextVectorization(standardizeFunction: _ => null!, vocabulary: ["a"], name: "words");
        Assert.Contains("'words'", Assert.Throws<InvalidOperationException>(() => standardize.Transform(["a"])).Message, StringComparison.Ordinal);
        var split = new TextVectorization(splitFunction: _ => null!, vocabulary: ["a"], name: "words");
        Assert.Contains("split function returned null", Assert.Throws<InvalidOperationException>(() => split.Transform(["a"])).Message, StringComparison.Ordinal);
        var token = new TextVectorization(splitFunction: _ => ["a", null!], name: "words");
        Assert.Contains("null token", Assert.Throws<InvalidOperationException>(() => token.Adapt(["a"])).Message, StringComparison.Ordinal);
        Assert.False(token.HasVocabulary);
    }

    [Fact]
    public void Constructor_FunctionWithAnotherMode_OrCustomWithoutFunction_Throws()
    {
        Assert.Equal("standardize", Assert.Throws<ArgumentException>(() => new TextVectorization(standardize: TextStandardization.Lower, standardizeFunction: DashToSpace)).ParamName);
        Assert.Equal("split", Assert.Throws<ArgumentException>(() => new TextVectorization(split: TextSplit.Character, splitFunction: SplitOnBar)).ParamName);
        Assert.Equal("standardizeFunction", Assert.Throws<ArgumentException>(() => new TextVectorization(standardize: TextStandardization.Custom)).ParamName);
        Assert.Equal("splitFunction", Assert.Throws<ArgumentException>(() => new TextVectorization(split: TextSplit.Custom)).ParamName);
        Assert.Equal(TextStandardization.Custom, new TextVectorization(standardize: TextStandardization.Custom, standardizeFunction: DashToSpace).Standardize);
        Assert.Equal(TextStandardization.LowerAndStripPunctuation, new TextVectorization().Standardize);
        Assert.Equal(TextSplit.Whitespace, new TextVectorization().Split);
    }

    [Fact]
    public void GetConfig_UnregisteredFunction_RefusesNamingTheLayer()
    {
        var layer = new TextVectorization(standardizeFunction: t => t.ToUpperInvariant(), vocabulary: ["A"], name: "shout");
        var ex = Assert.Throws<NotSupportedException>(layer.GetConfig);
        Assert.Contains("TextVectorization 'shout'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("standardize function", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RegisterFunction", ex.Message, StringComparison.Ordinal);

        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(2));
        model.Add(new Dense(1));
        model.Preprocessing["text"] = layer;
        string path = Path.Combine(Path.GetTempPath(), $"unregistered-{Guid.NewGuid():N}.safetensors");
        Assert.Throws<NotSupportedException>(() => model.Save(path));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void GetConfig_RegisteredFunctions_WrittenAsKerasWritesThem_AndRoundTrip()
    {
        var layer = new TextVectorization(standardizeFunction: DashToSpace, splitFunction: SplitOnBar, vocabulary: ["foo bar", "baz"]);
        Config config = layer.GetConfig();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"module":"builtins","class_name":"function","config":"NeuralNet.Tests>dash_to_space","registered_name":"function"}"""), config.GetNode("standardize")));
        Assert.Equal("NeuralNet.Tests>split_on_bar", config.GetNode("split")!["config"]!.GetValue<string>());

        var copy = TextVectorization.FromConfig(config);
        Assert.Same(s_dashToSpace.Method, copy.StandardizeFunction!.Method);
        Assert.Equal(config.ToJson(), copy.GetConfig().ToJson());
        Assert.Equal([2f, 3, 1], copy.Transform(["foo-bar|baz|qux"]).ToArray());
    }

    [Fact]
    public void SaveLoad_ModelWithRegisteredFunctions_KeepsThem()
    {
        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(2));
        model.Add(new Dense(1));
        model.Preprocessing["text"] = new TextVectorization(standardizeFunction: DashToSpace, outputSequenceLength: 3, vocabulary: ["foo", "bar"]);
        string path = Path.Combine(Path.GetTempPath(), $"functions-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.Save(path);
            var loaded = Assert.IsType<TextVectorization>(Model.Load(path).Preprocessing["text"]);
            Assert.Equal([2f, 3, 2], loaded.Transform(["foo-bar-foo"]).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void FromConfig_KerasFunctionByShortName_FindsTheRegisteredName()
    {
        // What Keras writes for a function registered as "NeuralNet.Tests>split_on_bar": config holds __name__, and Keras
        // finds a custom object whose key ends with it.
        Config config = ConfigWith("""{"module": "builtins", "class_name": "function", "config": "split_on_bar", "registered_name": "function"}""");
        Assert.Same(s_splitOnBar.Method, TextVectorization.FromConfig(config).SplitFunction!.Method);
    }

    [Theory]
    [InlineData("""{"class_name": "function", "config": "split_on_bar", "registered_name": "function"}""")]
    [InlineData("""{"module": "my_module", "class_name": "function", "config": "split_on_bar", "registered_name": "function"}""")]
    [InlineData("""{"module": "builtins", "class_name": "function", "config": "Other>split_on_bar", "registered_name": "function"}""")]
    [InlineData("""{"module": "builtins", "class_name": "function", "config": "Tests>split_on_bar", "registered_name": "function"}""")]
    public void FromConfig_NameThatIsNotBareOrNotBuiltins_DoesNotFallBackToTheEndOfARegisteredName(string split)
    {
        // Keras 3.7+ _retrieve_class_or_fn: get_registered_object(name) first; the search of custom objects whose key
        // ends with the name (the Keras <= 3.6 workaround) runs only for obj_type "function" with module "builtins". A
        // name holding ">" is a registered name: it must match one exactly.
        var ex = Assert.Throws<InvalidDataException>(() => TextVectorization.FromConfig(ConfigWith(split)));
        Assert.Contains("not registered", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"class_name": "__lambda__", "config": {"value": ["abc", null, null]}}""", "lambda")]
    [InlineData("""{"class_name": "function", "config": "not_registered"}""", "not registered")]
    [InlineData("""{"class_name": "MySplit", "config": {}}""", "MySplit")]
    [InlineData("""{"module": "builtins", "class_name": "function", "config": "dash_to_space"}""", "Func<String, IEnumerable<String>>")]
    [InlineData("""3""", "split")]
    public void FromConfig_UnloadableFunction_ThrowsInvalidData(string split, string expected)
    {
        var ex = Assert.Throws<InvalidDataException>(() => TextVectorization.FromConfig(ConfigWith(split)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegisterFunction_ConflictingNamesOrFunctions_Throw()
    {
        Func<string, string> other = static t => t;
        Assert.Throws<ArgumentException>(() => SerializationRegistry.RegisterFunction("NeuralNet.Tests>dash_to_space", other));
        Assert.Throws<ArgumentException>(() => SerializationRegistry.RegisterFunction("NeuralNet.Tests>another_name", s_dashToSpace));

        // The same method and name again is accepted, and a fresh delegate of the method is found by equality.
        SerializationRegistry.RegisterFunction("NeuralNet.Tests>dash_to_space", (Func<string, string>)DashToSpace);
        Assert.Equal("NeuralNet.Tests>dash_to_space", SerializationRegistry.GetRegisteredFunctionName((Func<string, string>)DashToSpace));
        Assert.Null(SerializationRegistry.GetRegisteredFunctionName(other));
    }

    private static Config ConfigWith(string split) =>
        Config.Wrap((JsonObject)JsonNode.Parse($$"""{"name": "t", "split": {{split}}, "vocabulary": ["a"]}""")!, "test", "t");

    private static string DashToSpace(string text) => text.Replace('-', ' ');

    private static IEnumerable<string> SplitOnBar(string text) => text.Split('|');
}
