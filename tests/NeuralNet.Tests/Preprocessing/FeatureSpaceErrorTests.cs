using NeuralNet.Layers;
using NeuralNet.Preprocessing;
using Xunit;

namespace NeuralNet.Tests.Preprocessing;

// Keras' test_errors, and the refusals of bad columns, each before anything changes.
public class FeatureSpaceErrorTests
{
    private static readonly Dictionary<string, Feature> s_twoCategorical = new() { ["f1"] = "integer_categorical", ["f2"] = "integer_categorical" };

    [Fact]
    public void Constructor_KerasErrors_Throw()
    {
        Assert.Contains("cannot be null or empty", Assert.Throws<ArgumentException>(() => new FeatureSpace(new Dictionary<string, Feature>())).Message);
        Assert.Contains("`crossing_dim`", Assert.Throws<ArgumentException>(() => new FeatureSpace(s_twoCategorical, crosses: [new[] { "f1", "f2" }], crossingDim: null)).Message);
        string unknown = Assert.Throws<ArgumentException>(() => new FeatureSpace(s_twoCategorical, crosses: [new[] { "f1", "unknown" }])).Message;
        Assert.Contains("should be present in the `features` dict", unknown);
        Assert.Contains("'unknown'", unknown);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FeatureSpace(s_twoCategorical, (FeatureSpaceOutputMode)7));
    }

    [Fact]
    public void Constructor_CrossNameOfAnotherCase_ThrowsKerasError()
    {
        // A case-insensitive dictionary finds "AGE"; the space's names are ordinal, as Keras' dict keys.
        var features = new Dictionary<string, Feature>(StringComparer.OrdinalIgnoreCase) { ["age"] = "integer_categorical", ["sex"] = "integer_categorical" };
        string message = Assert.Throws<ArgumentException>(() => new FeatureSpace(features, crosses: [new[] { "AGE", "sex" }])).Message;
        Assert.Contains("should be present in the `features` dict. Received unknown features: ('AGE', 'sex')", message);
    }

    [Fact]
    public void Feature_UnknownTypeName_DtypeNamesIt()
    {
        Feature feature = "flaot";
        Assert.Null(feature.OutputMode);
        Assert.Contains("Invalid feature type \"flaot\"", Assert.Throws<InvalidOperationException>(() => feature.Dtype).Message);
        Assert.Equal("int32", ((Feature)"integer_hashed").Dtype);
    }

    [Fact]
    public void Adapt_ReadsOnlyAdaptableColumns()
    {
        // Keras adapts from the adaptable features' columns only: the hashed and float ones may be absent.
        var space = new FeatureSpace(new Dictionary<string, Feature> { ["c"] = "integer_categorical", ["h"] = "integer_hashed", ["f"] = "float" });
        space.Adapt(new Dictionary<string, FeatureColumn> { ["c"] = new[] { 4, 4, 5 } });
        Assert.Equal([-1L, 4, 5], ((IntegerLookup)space.Preprocessors["c"]).GetVocabulary());
        string missing = Assert.Throws<ArgumentException>(() => space.Adapt(new Dictionary<string, FeatureColumn> { ["h"] = new[] { 1 } })).Message;
        Assert.Contains("no column 'c'", missing);
    }

    [Fact]
    public void Constructor_UnknownType_NamesTheFeature()
    {
        string message = Assert.Throws<ArgumentException>(() => new FeatureSpace(new Dictionary<string, Feature> { ["age"] = "float_normalised" })).Message;
        Assert.Contains("Invalid feature type \"float_normalised\" for feature 'age'", message);
        Assert.Contains("float_normalized", message);
    }

    [Fact]
    public void Constructor_IndicesInConcatMode_Throw()
    {
        // Keras: "Cannot concatenate features because feature '...' has not been encoded".
        var features = new Dictionary<string, Feature> { ["f"] = FeatureSpace.IntegerCategorical(outputMode: CategoryOutputMode.Int) };
        Assert.Contains("Cannot concatenate features because feature 'f'", Assert.Throws<ArgumentException>(() => new FeatureSpace(features)).Message);
        Assert.Contains("cross 'f1_X_f2'", Assert.Throws<ArgumentException>(() => new FeatureSpace(s_twoCategorical, crosses: [FeatureSpace.Cross(["f1", "f2"], 8, CategoryOutputMode.Int)])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => FeatureSpace.IntegerHashed(8, CategoryOutputMode.Count));
    }

    [Fact]
    public void Constructor_CrossOfAFloatFeature_Throws()
    {
        var features = new Dictionary<string, Feature> { ["f"] = "float_normalized", ["g"] = "integer_categorical" };
        Assert.Contains("feature 'f' of type float_normalized", Assert.Throws<ArgumentException>(() => new FeatureSpace(features, crosses: [new[] { "f", "g" }])).Message);
        Assert.Throws<ArgumentException>(() => FeatureSpace.Cross(["g"], 8));
    }

    [Fact]
    public void Transform_BeforeAdapt_Throws()
    {
        // Keras: "You need to call `.adapt(dataset)` on the FeatureSpace before you can start using it."
        var space = new FeatureSpace(s_twoCategorical);
        Assert.False(space.IsAdapted);
        var data = new Dictionary<string, FeatureColumn> { ["f1"] = new[] { 0 }, ["f2"] = new[] { 0 } };
        Assert.Contains("You need to call Adapt(data)", Assert.Throws<InvalidOperationException>(() => space.Transform(data)).Message);
    }

    [Fact]
    public void Transform_BadColumns_NameTheFeature()
    {
        var space = new FeatureSpace(new Dictionary<string, Feature> { ["age"] = "float_normalized", ["thal"] = "string_categorical", ["ca"] = "integer_categorical" });
        var good = new Dictionary<string, FeatureColumn> { ["age"] = new[] { 1f, 2f }, ["thal"] = new[] { "a", "b" }, ["ca"] = new[] { 1, 2 } };
        space.Adapt(good);

        string missing = Assert.Throws<ArgumentException>(() => space.Transform(Without(good, "thal"))).Message;
        Assert.Contains("no column 'thal'", missing);
        Assert.Contains("string", missing);
        Assert.Contains("Feature 'age' expects a column of floats", Assert.Throws<ArgumentException>(() => space.Transform(With(good, "age", new[] { "x", "y" }))).Message);
        Assert.Contains("Feature 'ca' expects a column of integers", Assert.Throws<ArgumentException>(() => space.Transform(With(good, "ca", new[] { 1f, 2f }))).Message);
        Assert.Contains("Feature 'thal' has 3 samples but feature 'age' has 2", Assert.Throws<ArgumentException>(() => space.Transform(With(good, "thal", new[] { "a", "b", "c" }))).Message);
        Assert.Contains("Feature 'thal' holds null for sample 1", Assert.Throws<ArgumentException>(() => space.Transform(With(good, "thal", new[] { "a", null! }))).Message);
        Assert.Contains("Feature 'ca' holds 16777217", Assert.Throws<ArgumentException>(() => space.Transform(With(good, "ca", new long[] { 1, 16_777_217 }))).Message);
        Assert.Contains("TransformToDictionary", Assert.Throws<InvalidOperationException>(() => new FeatureSpace(s_twoCategorical, FeatureSpaceOutputMode.Dict).Transform(good)).Message);
    }

    [Fact]
    public void Adapt_Failure_ChangesNothing()
    {
        var space = new FeatureSpace(new Dictionary<string, Feature> { ["ca"] = "integer_categorical", ["age"] = "float_normalized" });
        var first = new Dictionary<string, FeatureColumn> { ["ca"] = new[] { 1, 2, 2 }, ["age"] = new[] { 1f, 2f, 3f } };
        space.Adapt(first);
        float[] before = space.Transform(first).ToArray();

        // "ca" adapts first (its vocabulary would change), then Normalization refuses NaN: neither is kept.
        var bad = new Dictionary<string, FeatureColumn> { ["ca"] = new[] { 7, 8, 9 }, ["age"] = new[] { 1f, float.NaN, 3f } };
        Assert.ThrowsAny<ArgumentException>(() => space.Adapt(bad));
        Assert.Equal(before, space.Transform(first).ToArray());
        Assert.Equal([-1L, 2, 1], ((IntegerLookup)space.Preprocessors["ca"]).GetVocabulary());
    }

    private static Dictionary<string, FeatureColumn> Without(Dictionary<string, FeatureColumn> data, string key) =>
        data.Where(p => p.Key != key).ToDictionary(p => p.Key, p => p.Value);

    private static Dictionary<string, FeatureColumn> With(Dictionary<string, FeatureColumn> data, string key, FeatureColumn column) =>
        new(data) { [key] = column };
}
