using System.Text.Json.Nodes;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Initializers;

/// <summary>
/// Keras 3's <c>Constant(value)</c> with an array: <c>cast(value) * ones(shape)</c>, NumPy broadcasting, and a config that
/// holds the array as Keras serializes a NumPy array (keras.io's PointNet: <c>Constant(np.eye(k).flatten())</c> as a bias).
/// </summary>
public class ConstantArrayTests
{
    private static readonly float[] Eye3 = [1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f];

    private static float[] Fill(Initializer initializer, params int[] dims)
    {
        var shape = new TensorShape(dims);
        var values = new float[shape.ElementCount];
        values.AsSpan().Fill(float.NaN); // every element must be written
        initializer.Initialize(values, shape, 1);
        return values;
    }

    private static Initializer Read(string json) => SerializationRegistry.Deserialize<Initializer>(JsonNode.Parse(json)!, new Config(), "bias_initializer");

    [Fact]
    public void PointNetBias_TheFlattenedIdentity_FillsTheBias()
    {
        var dense = new Dense(9, biasInitializer: new Constant(Eye3), name: "transform");
        var model = new Sequential([new InputLayer(4), dense], seed: 1);
        Assert.Equal(Eye3, dense.Bias!.Value.ToArray());
        Assert.Equal(4 * 9, model.Parameters[0].Value.Length);
    }

    [Fact]
    public void Broadcast_AsNumPy_TrailingAxesEqualOrOne()
    {
        // np.array([1, 2, 3]) * np.ones((2, 3)); np.array([[1], [2]]) * np.ones((2, 3)); np.array([[5]]) * np.ones((2, 2)).
        Assert.Equal([1f, 2f, 3f, 1f, 2f, 3f], Fill(new Constant([1f, 2f, 3f]), 2, 3));
        Assert.Equal([1f, 1f, 1f, 2f, 2f, 2f], Fill(new Constant(Tensor.FromArray([1f, 2f], 2, 1)), 2, 3));
        Assert.Equal([5f, 5f, 5f, 5f], Fill(new Constant(Tensor.FromArray([5f], 1, 1)), 2, 2));

        // (2, 1, 3) into (2, 2, 3): the middle axis repeats.
        Assert.Equal([1f, 2f, 3f, 1f, 2f, 3f, 4f, 5f, 6f, 4f, 5f, 6f], Fill(new Constant(Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 2, 1, 3)), 2, 2, 3));
    }

    [Fact]
    public void AsManyValuesAsTheWeight_FillIt_RowMajor()
    {
        Assert.Equal(Eye3, Fill(new Constant(Eye3), 3, 3));
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], Fill(new Constant(Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], 3, 2)), 2, 3));
    }

    [Fact]
    public void ValuesThatNeitherBroadcastNorMatch_AreRefusedWhenTheLayerBuilds_NamingBothShapes()
    {
        var dense = new Dense(3, biasInitializer: new Constant([1f, 2f, 3f, 4f]), name: "head");
        var e = Assert.Throws<ArgumentException>(() => new Sequential([new InputLayer(2), dense]));
        Assert.Contains("'head'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'bias'", e.Message, StringComparison.Ordinal);
        Assert.Contains("Constant of shape (4,) (4 values) cannot fill a weight of shape (3,) (3 values)", e.Message, StringComparison.Ordinal);
        Assert.False(dense.IsBuilt);

        var direct = Assert.Throws<ArgumentException>(() => Fill(new Constant(Tensor.FromArray([1f, 2f, 3f], 3, 1)), 2, 3));
        Assert.Contains("shape (3, 1)", direct.Message, StringComparison.Ordinal);
        Assert.Contains("shape (2, 3)", direct.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new Constant(Array.Empty<float>()));
    }

    [Fact]
    public void Config_HoldsTheArrayAsKerasSerializesANumPyArray_AndReadsBack()
    {
        var constant = new Constant(Tensor.FromArray([1f, 0f, 0.5f, 1f], 2, 2));
        Assert.Equal("{\"value\":{\"class_name\":\"__numpy__\",\"config\":{\"value\":[[1,0],[0.5,1]],\"dtype\":\"float32\"}}}", constant.GetConfig().ToJson());
        Assert.Equal("{\"value\":2.5}", new Constant(2.5).GetConfig().ToJson());

        var back = Assert.IsType<Constant>(Read(SerializationRegistry.Serialize(constant).ToJsonString()));
        Assert.Equal(new TensorShape(2, 2), back.Values!.Shape);
        Assert.Equal([1f, 0f, 0.5f, 1f], back.Values.ToArray());
        Assert.Null(new Constant(2.5).Values);
    }

    [Fact]
    public void KerasConfigs_NumPyFloat64_Tensor_PlainList_AndScalar_AreRead()
    {
        // What Keras 3 writes for Constant(np.eye(3).flatten()) (float64), for a backend tensor, for a Python list.
        Constant numpy = Assert.IsType<Constant>(Read("{\"module\": \"keras.initializers\", \"class_name\": \"Constant\", \"config\": {\"value\": {\"class_name\": \"__numpy__\", \"config\": {\"value\": [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], \"dtype\": \"float64\"}}}, \"registered_name\": null}"));
        Assert.Equal(Eye3, numpy.Values!.ToArray());
        Constant tensor = Assert.IsType<Constant>(Read("{\"class_name\": \"Constant\", \"config\": {\"value\": {\"class_name\": \"__tensor__\", \"config\": {\"value\": [[1.0, 2.0]], \"dtype\": \"float32\"}}}}"));
        Assert.Equal(new TensorShape(1, 2), tensor.Values!.Shape);
        Constant list = Assert.IsType<Constant>(Read("{\"class_name\": \"Constant\", \"config\": {\"value\": [3, 4]}}"));
        Assert.Equal([3f, 4f, 3f, 4f], Fill(list, 2, 2));
        Assert.Equal(0.5f, Assert.IsType<Constant>(Read("{\"class_name\": \"Constant\", \"config\": {\"value\": 0.5}}")).Value);
        Assert.Equal(0f, Assert.IsType<Constant>(Read("{\"class_name\": \"Constant\", \"config\": {}}")).Value);
    }

    [Theory]
    [InlineData("[[1, 2], [3]]", "rectangular")]
    [InlineData("[]", "empty list")]
    [InlineData("[1, \"a\"]", "element 1")]
    [InlineData("{\"class_name\": \"__bytes__\", \"config\": {\"value\": \"x\"}}", "NumPy array or tensor")]
    public void BadValues_AreRefusedNamingTheProblem(string value, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => Read($"{{\"class_name\": \"Constant\", \"config\": {{\"value\": {value}}}}}"));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SavedAndLoaded_TheModelKeepsTheArrayInitializer()
    {
        var model = new Sequential([new InputLayer(4), new Dense(9, biasInitializer: new Constant(Eye3), name: "transform")], seed: 2);
        string path = Path.Combine(Path.GetTempPath(), $"constant-array-{Guid.NewGuid():N}.safetensors");
        Model loaded;
        try
        {
            model.Save(path);
            loaded = Model.Load(path);
        }
        finally
        {
            File.Delete(path);
        }

        var constant = Assert.IsType<Constant>(((Dense)loaded.GetLayer("transform")).BiasInitializer);
        Assert.Equal(Eye3, constant.Values!.ToArray());
        Assert.Equal(Eye3, ((Dense)loaded.GetLayer("transform")).Bias!.Value.ToArray());
    }
}
