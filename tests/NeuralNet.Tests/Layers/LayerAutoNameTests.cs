using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Layers;

// A layer outside a model: Keras names it when it is made (Dense(3).get_config()["name"] is "dense"); here the model
// names it, and GetConfig writes the name it would get.
public class LayerAutoNameTests
{
    [Fact]
    public void GetConfig_UnnamedLayer_WritesDefaultPrefixButNameStaysEmpty()
    {
        var dense = new Dense(3);

        Assert.Equal("dense", dense.GetConfig().GetString("name"));
        Assert.Equal(string.Empty, dense.Name);
        Assert.Equal("conv2d", new Conv2D(2, 3).GetConfig().GetString("name"));
    }

    [Fact]
    public void GetConfig_NamedLayer_WritesItsName()
    {
        Assert.Equal("head", new Dense(3, name: "head").GetConfig().GetString("name"));
    }

    [Fact]
    public void Models_StillNumberUnnamedLayers()
    {
        Dense first = new(3), second = new(2);
        var model = new Sequential([new InputLayer(4), first, second]);

        Assert.Equal(["dense", "dense_1"], model.Layers.Where(l => l is not InputLayer).Select(l => l.Name));
        Assert.Equal("dense_1", second.GetConfig().GetString("name"));
    }

    [Fact]
    public void GetConfig_WrappedUnnamedLayer_KeepsEmptyNameSoTheWrapperNamesItsCopies()
    {
        var bidirectional = new Bidirectional(new Gru(2), backwardLayer: new Gru(2, goBackwards: true));
        var model = new Sequential([new InputLayer(5, 3), bidirectional]);

        Config config = bidirectional.GetConfig();
        Model loaded = Model.FromJson(model.ToJson());

        Assert.Equal(string.Empty, config.GetConfig("layer").GetConfig("config").GetString("name"));
        Assert.Equal(string.Empty, config.GetConfig("backward_layer").GetConfig("config").GetString("name"));
        Assert.Contains(model.Parameters, p => p.Name == "backward_gru/kernel");
        Assert.Equal(model.Parameters.Select(p => p.Name), loaded.Parameters.Select(p => p.Name));
    }

    [Fact]
    public void FromConfig_OfUnnamedLayer_IsNamedAsKerasWould()
    {
        Layer copy = Layer.FromConfig("Dense", new Dense(3).GetConfig());

        Assert.Equal("dense", copy.Name);
    }

    [Fact]
    public void Subclass_WithoutConstructor_CompilesAndIsAutoNamed()
    {
        var layer = new Identity();
        var model = new Sequential([new InputLayer(2), layer]);

        Assert.Equal("identity", layer.Name);
        Assert.Equal(new TensorShape(2), model.Layers[^1].OutputShape);
    }

    // No constructor: Layer's parameterless one runs (CS7036 before it existed).
    private sealed class Identity : Layer
    {
        public override string DefaultNamePrefix => "identity";

        protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

        protected override Tensor OnForward(Tensor input, bool training) => input;

        protected override Tensor OnBackward(Tensor outputGradient) => outputGradient;
    }
}
