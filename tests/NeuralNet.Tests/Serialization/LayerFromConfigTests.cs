using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Regularizers;
using NeuralNet.Serialization;
using NeuralNet.Tests.Models;
using Xunit;

namespace NeuralNet.Tests.Serialization;

// Keras' Dense.from_config(layer.get_config()), outside a model file.
public class LayerFromConfigTests
{
    [Fact]
    public void FromConfig_DenseByClassName_SameConfig()
    {
        var dense = new Dense(7, ActivationFunction.Relu, useBias: false, kernelRegularizer: new L2(0.5), name: "features");

        Layer created = Layer.FromConfig("Dense", dense.GetConfig());

        Dense copy = Assert.IsType<Dense>(created);
        Assert.Equal("features", copy.Name);
        Assert.Equal(7, copy.Units);
        Assert.False(copy.UseBias);
        Assert.False(copy.IsBuilt);
        Assert.Equal(dense.GetConfig().ToJson(), copy.GetConfig().ToJson());
    }

    [Fact]
    public void FromConfig_Generic_FrozenLayerStaysFrozen()
    {
        var dense = new Dense(3, name: "frozen") { Trainable = false };

        Dense copy = Layer.FromConfig<Dense>(dense.GetConfig());

        Assert.False(copy.Trainable);
        Assert.Equal(dense.GetConfig().ToJson(), copy.GetConfig().ToJson());
    }

    [Fact]
    public void FromConfig_WithWeights_ReproducesTheLayer()
    {
        var dense = new Dense(3, ActivationFunction.Tanh) { Seed = 4 };
        dense.Build(new TensorShape(5));
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 5), seed: 9);

        Layer copy = Layer.FromConfig("Dense", dense.GetConfig());
        copy.Build(new TensorShape(5));
        copy.SetWeights(dense.GetWeights());

        Assert.Equal(dense.Forward(x, training: false).ToArray(), copy.Forward(x, training: false).ToArray());
    }

    [Fact]
    public void FromConfig_RegisteredCustomLayer_ByRegisteredNameAndByType()
    {
        Scale.EnsureRegistered();
        var scale = new Scale(0.25, "scaled");

        Scale byName = Assert.IsType<Scale>(Layer.FromConfig("Tests>Scale", scale.GetConfig()));
        Scale byType = Layer.FromConfig<Scale>(scale.GetConfig());

        Assert.Equal(0.25, byName.L2Factor);
        Assert.Equal("scaled", byType.Name);
    }

    [Fact]
    public void FromConfig_UnknownClass_SaysHowToRegister()
    {
        var e = Assert.Throws<ArgumentException>(() => Layer.FromConfig("NoSuchLayer", new Config()));

        Assert.Contains("\"NoSuchLayer\" is not a known layer class", e.Message, StringComparison.Ordinal);
        Assert.Contains("built-in layers: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("SerializationRegistry.Register", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_UnregisteredType_SaysHowToRegister()
    {
        var e = Assert.Throws<ArgumentException>(() => Layer.FromConfig<UnregisteredLayer>(new Config()));

        Assert.Contains(nameof(UnregisteredLayer), e.Message, StringComparison.Ordinal);
        Assert.Contains("SerializationRegistry.Register<UnregisteredLayer>", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfig_BadSetting_NamesTheKey()
    {
        Config config = new Dense(3).GetConfig().Set("units", -2);

        var e = Assert.Throws<InvalidDataException>(() => Layer.FromConfig("Dense", config));

        Assert.Contains("units", e.Message, StringComparison.Ordinal);
    }

    private sealed class UnregisteredLayer : Layer
    {
        public override string DefaultNamePrefix => "unregistered_layer";

        protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

        protected override Tensor OnForward(Tensor input, bool training) => input;

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
    }
}
