using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

public class InputLayerTests
{
    [Fact]
    public void Constructor_Dimensions_DeclareTheSampleShape()
    {
        Assert.Equal(new TensorShape(784), new InputLayer(784).Shape);
        Assert.Equal(new TensorShape(28, 28, 1), new InputLayer(28, 28, 1).Shape);
        Assert.Equal("input_layer", new InputLayer(3).DefaultNamePrefix);
        Assert.Equal("pixels", new InputLayer(new TensorShape(3), "pixels").Name);
    }

    [Fact]
    public void Constructor_NoOrBadDimensions_Throws()
    {
        Assert.Throws<ArgumentException>(() => new InputLayer());
        Assert.Throws<ArgumentException>(() => new InputLayer(28, 0));
    }

    [Fact]
    public void ForwardBackward_ReturnTheirArgument()
    {
        var layer = new InputLayer(4);
        Tensor x = TestData.Normal(1, 1f, 3, 4);
        Assert.Same(x, layer.Forward(x, training: true));
        Assert.Same(x, layer.Backward(x));
        Assert.Equal(new TensorShape(4), layer.OutputShape);
        Assert.Equal(0, layer.ParameterCount);
    }

    [Fact]
    public void Backward_Images_MatchesNumericalGradient()
    {
        var layer = new InputLayer(4, 3, 2);
        GradientChecker.CheckLayer(layer, TestData.Normal(2, 1f, 2, 4, 3, 2), seed: 3).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Build_OtherShape_ThrowsNamingBoth()
    {
        var layer = new InputLayer(784);
        var e = Assert.Throws<ArgumentException>(() => layer.Build(new TensorShape(783)));
        Assert.Contains("(None, 784)", e.Message, StringComparison.Ordinal);
        Assert.Contains("(None, 783)", e.Message, StringComparison.Ordinal);
        var wrongBatch = Assert.Throws<ArgumentException>(() => new InputLayer(784).Forward(new Tensor(2, 783), training: false));
        Assert.Contains("783", wrongBatch.Message, StringComparison.Ordinal);
    }
}
