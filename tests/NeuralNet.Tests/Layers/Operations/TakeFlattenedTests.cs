using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>
/// Take with no axis (session 45): Keras' <c>ops.take(x, indices, axis=None)</c> flattens x; per sample, each sample's
/// data is read flattened in row-major order and the output has the indices' shape. Values from Keras' numpy_test.py
/// test_take (x = arange(24).reshape(1, 2, 3, 4), indices [0, 1]) and worked by hand from NumPy's take.
/// </summary>
public class TakeFlattenedTests
{
    [Fact]
    public void Forward_KerasTestTakeValues_GiveNumpysFlattenedTake()
    {
        // Keras: knp.take(x, [0, 1]) == np.take(x, [0, 1]) == [0, 1] for x = arange(24).reshape(1, 2, 3, 4): one sample.
        Tensor x = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)i)], 1, 2, 3, 4);
        Tensor y = new Take().Forward([x, Tensor.FromArray([0f, 1f], 1, 2)], training: false);
        Assert.Equal(new TensorShape(1, 2), y.Shape);
        Assert.Equal([0f, 1f], y.ToArray());

        // The same x as a batch of two samples (3, 4): sample 1 holds 12..23, read on its own. Indices ((5, -1), (0, 11))
        // per sample: sample 0 gives ((5, 11), (0, 11)), sample 1 ((17, 23), (12, 23)); -1 is a sample's last entry.
        Tensor two = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)i)], 2, 3, 4);
        Tensor indices = Tensor.FromArray([5f, -1f, 0f, 11f, 5f, -1f, 0f, 11f], 2, 2, 2);
        Tensor z = new Take(axis: null).Forward([two, indices], training: false);
        Assert.Equal(new TensorShape(2, 2, 2), z.Shape);
        Assert.Equal([5f, 11f, 0f, 11f, 17f, 23f, 12f, 23f], z.ToArray());
    }

    [Theory]
    [InlineData(12f, "got 12 at position (1, 0)")]
    [InlineData(-13f, "got -13 at position (1, 0)")]
    public void Forward_FlattenedIndexOutOfRange_IsRefusedNamingTheSamplesRange(float bad, string where)
    {
        var layer = new Take(name: "flat");
        Tensor x = Tensor.Ones(2, 3, 4);
        var error = Assert.Throws<ArgumentException>(() => layer.Forward([x, Tensor.FromArray([0f, 1f, bad, 2f], 2, 2)], training: false));
        Assert.Contains("Take 'flat' expects indices that are whole numbers in [-12, 12)", error.Message, StringComparison.Ordinal);
        Assert.Contains(where, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_FlattenedTake_MatchesNumericalGradientsWithRepeatedIndices()
    {
        Tensor data = TestData.Normal(11, 1f, 2, 3, 2);
        var random = new Random(12);

        // 20 indices per sample over 6 entries: repeats are sure, some negative.
        Tensor indices = Tensor.FromArray([.. Enumerable.Range(0, 40).Select(_ => (float)random.Next(-6, 6))], 2, 4, 5);
        GatherLayerTests.CheckDataGradient(new Take(), data, indices, seed: 13);
    }

    [Fact]
    public void Call_OnSymbolicTensors_GivesTheIndicesShape()
    {
        var x = new Input(new TensorShape(3, 4));
        var i = new Input(new TensorShape(2, 5));
        SymbolicTensor y = new Take().Call(x, i);
        Assert.Equal(new TensorShape(2, 5), y.Shape);
    }

    [Fact]
    public void Config_NoAxis_IsKerasNullAndRecreatesTheLayer()
    {
        var layer = new Take(name: "t");
        Assert.Null(layer.Axis);
        Assert.Contains("\"axis\":null", layer.GetConfig().ToJson(), StringComparison.Ordinal);
        var again = (Take)SerializationRegistry.Recreate(layer);
        Assert.Null(again.Axis);
        Assert.Equal(layer.GetConfig().ToJson(), again.GetConfig().ToJson());
    }
}
