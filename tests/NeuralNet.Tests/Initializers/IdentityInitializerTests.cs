using System.Text.Json.Nodes;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Initializers;

public class IdentityInitializerTests
{
    private static float[] Fill(Initializer initializer, params int[] dims)
    {
        var shape = new TensorShape(dims);
        var values = new float[shape.ElementCount];
        values.AsSpan().Fill(float.NaN); // every element must be written
        initializer.Initialize(values, shape, 1);
        return values;
    }

    private static Initializer Read(string json) => SerializationRegistry.Deserialize<Initializer>(JsonNode.Parse(json)!, new Config(), "kernel_initializer");

    [Fact]
    public void Square_IsGainTimesTheIdentity()
    {
        Assert.Equal([1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f], Fill(new IdentityInitializer(), 3, 3));
        Assert.Equal([2.5f, 0f, 0f, 2.5f], Fill(new IdentityInitializer(2.5), 2, 2));
        Assert.Equal((1.0, "identity", "{\"gain\":1}"), (new IdentityInitializer().Gain, new IdentityInitializer().Name, new IdentityInitializer().GetConfig().ToJson()));
    }

    [Fact]
    public void NotSquare_IsKerasEye_OnesOnTheMainDiagonalOfTheLeadingSquare()
    {
        // numpy.eye(2, 4) and numpy.eye(4, 2).
        Assert.Equal([1f, 0f, 0f, 0f, 0f, 1f, 0f, 0f], Fill(new IdentityInitializer(), 2, 4));
        Assert.Equal([1f, 0f, 0f, 1f, 0f, 0f, 0f, 0f], Fill(new IdentityInitializer(), 4, 2));
    }

    [Theory]
    [InlineData(new[] { 3 })]
    [InlineData(new[] { 3, 3, 3 })]
    [InlineData(new int[0])]
    public void NotTwoDimensional_IsRefusedNamingTheShape(int[] dims)
    {
        var shape = new TensorShape(dims);
        var e = Assert.Throws<ArgumentException>(() => new IdentityInitializer().Initialize(new float[shape.ElementCount], shape, 1));
        Assert.Equal("shape", e.ParamName);
        Assert.Contains($"shape {shape} of rank {dims.Length}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALayerWithAThreeDimensionalKernel_IsRefusedWhenBuilt_NamingTheLayerAndTheParameter()
    {
        var conv = new Conv1D(4, 3, kernelInitializer: new IdentityInitializer(), name: "conv");
        var e = Assert.Throws<ArgumentException>(() => new Sequential([conv]).Build(new TensorShape(8, 2)));
        Assert.Contains("'conv'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'kernel'", e.Message, StringComparison.Ordinal);
        Assert.Contains("2-D", e.Message, StringComparison.Ordinal);
        Assert.False(conv.IsBuilt);
    }

    [Fact]
    public void AnLstmBiasWithUnitForgetBias_IsRefusedWhenBuilt_NamingTheLayer()
    {
        // The forget-gate wrapper fills the bias in vector pieces; the identity's 2-D check must still reach the build.
        var lstm = new Lstm(3, biasInitializer: new IdentityInitializer(), name: "rnn");
        var e = Assert.Throws<ArgumentException>(() => new Sequential([lstm]).Build(new TensorShape(5, 2)));
        Assert.Contains("'rnn'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'bias'", e.Message, StringComparison.Ordinal);
        Assert.False(lstm.IsBuilt);
    }

    [Fact]
    public void DenseKernel_StartsAsTheIdentity()
    {
        var model = new Sequential([new Dense(3, kernelInitializer: new IdentityInitializer(0.5))]);
        model.Build(new TensorShape(3));
        Tensor y = model.Predict(Tensor.FromArray([1f, 2f, 3f], 1, 3));
        Assert.Equal([0.5f, 1f, 1.5f], y.AsReadOnlySpan().ToArray());
    }

    [Fact]
    public void Gain_NotFinite_IsRefusedNamingIt()
    {
        Assert.Equal("gain", Assert.Throws<ArgumentOutOfRangeException>(() => new IdentityInitializer(double.NaN)).ParamName);
        Assert.Equal("gain", Assert.Throws<ArgumentOutOfRangeException>(() => new IdentityInitializer(double.PositiveInfinity)).ParamName);
    }

    [Fact]
    public void Config_IsSavedUnderKerasClassName_AndEveryKerasNameLoads()
    {
        var dense = new Dense(3, kernelInitializer: new IdentityInitializer(2));
        Assert.Contains("\"kernel_initializer\":{\"class_name\":\"Identity\",\"config\":{\"gain\":2}}", dense.GetConfig().ToJson(), StringComparison.Ordinal);
        Assert.Equal(2.0, Assert.IsType<IdentityInitializer>(Assert.IsType<Dense>(SerializationRegistry.Recreate(dense)).KernelInitializer).Gain);

        Assert.Equal(0.5, Assert.IsType<IdentityInitializer>(Read("""{"module": "keras.initializers", "class_name": "Identity", "config": {"gain": 0.5}, "registered_name": null}""")).Gain);
        Assert.Equal(3.0, Assert.IsType<IdentityInitializer>(Read("""{"class_name": "IdentityInitializer", "config": {"gain": 3.0}}""")).Gain);
        Assert.Equal(1.0, Assert.IsType<IdentityInitializer>(Read("\"identity\"")).Gain);

        // Keras 3 names its orthogonal initializer OrthogonalInitializer ("Orthogonal" is its legacy alias): both load.
        Assert.Equal(2.0, Assert.IsType<Orthogonal>(Read("""{"class_name": "OrthogonalInitializer", "config": {"gain": 2.0, "seed": null}}""")).Gain);

        // Keras' other aliases (initializers/__init__.py ALL_OBJECTS_DICT): snake case of every class, and the short names.
        Assert.IsType<Orthogonal>(Read("\"orthogonal_initializer\""));
        Assert.IsType<RandomNormal>(Read("\"normal\""));
        Assert.IsType<RandomUniform>(Read("\"uniform\""));
        Assert.IsType<Ones>(Read("\"one\""));
        Assert.IsType<Zeros>(Read("\"zero\""));
    }
}
