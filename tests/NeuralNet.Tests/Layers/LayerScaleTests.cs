using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers;

// Keras' LayerScale (keras/src/applications/convnext.py): gamma = add_weight(shape=(projection_dim,),
// initializer=Constant(init_values), trainable=True); call: x * gamma; config: init_values, projection_dim.
public class LayerScaleTests
{
    [Fact]
    public void Forward_MultipliesEachChannelByGamma()
    {
        var layer = new LayerScale(0.5f, 3);
        Tensor x = Tensor.FromArray([1, 2, 3, -4, 5, 6], 1, 2, 3);

        Tensor y = layer.Forward(x, training: false);

        // gamma starts at init_values: every element times 0.5.
        Assert.Equal([0.5f, 1f, 1.5f, -2f, 2.5f, 3f], y.ToArray());
        Assert.Equal("gamma", layer.Gamma.Name);
        Assert.Equal(new TensorShape(3), layer.Gamma.Value.Shape);
        Assert.True(layer.Gamma.Trainable);

        layer.Gamma.Value.AsSpan()[1] = -2f;
        Assert.Equal([0.5f, -4f, 1.5f, -2f, -10f, 3f], layer.Forward(x, training: false).ToArray());
    }

    [Fact]
    public void Backward_MatchesNumericalGradients()
    {
        var layer = new LayerScale(0.7f, 4);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 2, 5, 4), 11);
        layer.Forward(x, training: false);
        Tensor.RandomNormal(new TensorShape(4), 12).AsReadOnlySpan().CopyTo(layer.Gamma.Value.AsSpan());

        GradientChecker.CheckLayer(layer, x, 13).AssertPassed();
    }

    [Fact]
    public void Backward_GammaGradientIsTheSumOfUpstreamTimesInput()
    {
        var layer = new LayerScale(2f, 2);
        Tensor x = Tensor.FromArray([1, 2, 3, 4], 2, 2);
        layer.Forward(x, training: true);

        Tensor dx = layer.Backward(Tensor.FromArray([1, 1, 2, -1], 2, 2));

        Assert.Equal([2f, 2f, 4f, -2f], dx.ToArray());                         // dy * gamma
        Assert.Equal([1f + 6f, 2f - 4f], layer.Gamma.Gradient.ToArray());      // sum over rows of dy * x
    }

    [Fact]
    public void Build_LastAxisNotProjectionDim_ThrowsNamingTheShapes()
    {
        var layer = new LayerScale(1e-6f, 8, name: "scale");

        var e = Assert.Throws<ArgumentException>(() => layer.Forward(new Tensor(2, 4, 4, 6), training: false));

        Assert.Contains("expects inputs whose last axis is projection_dim=8, but got (None, 4, 4, 6)", e.Message);
        Assert.Contains("scale", e.Message);
    }

    [Fact]
    public void Constructor_BadArguments_Throw()
    {
        Assert.Contains("projection_dim=0", Assert.Throws<ArgumentOutOfRangeException>(() => new LayerScale(1f, 0)).Message);
        Assert.Contains("finite init_values", Assert.Throws<ArgumentOutOfRangeException>(() => new LayerScale(float.NaN, 3)).Message);
    }

    [Fact]
    public void Config_HasKerasKeys_AndSaveLoadKeepsGammaBitForBit()
    {
        var layer = new LayerScale(1e-6f, 3);
        Config config = layer.GetConfig();
        Assert.Equal(1e-6f, config.GetSingle("init_values"));
        Assert.Equal(3, config.GetInt32("projection_dim"));

        var model = LayerTestKit.TrainedModel([4, 3], 7, new LayerScale(0.3f, 3));
        LayerTestKit.AssertRoundTrip(model, LayerTestKit.Data([4, 3], 8).X);
    }

    [Fact]
    public void TrainStep_AfterWarmUp_AllocatesNothing() =>
        LayerTestKit.AssertTrainingAllocatesNothing([3, 3, 4], new LayerScale(0.5f, 4));
}
