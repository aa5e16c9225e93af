using FsCheck.Xunit;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

public class FlattenTests
{
    [Fact]
    public void Build_ConvOutput_FlattensToProduct()
    {
        var layer = new Flatten();
        layer.Build(new TensorShape(5, 5, 64));
        Assert.Equal(new TensorShape(1600), layer.OutputShape);
        Assert.Equal("flatten", layer.DefaultNamePrefix);
        Assert.Equal(0, layer.ParameterCount);
    }

    [Fact]
    public void Forward_Images_RowMajorViewOfTheInput()
    {
        var layer = new Flatten();
        Tensor input = TestData.Normal(1, 1f, 2, 3, 4);
        Tensor output = layer.Forward(input, training: false);
        Assert.Equal(new TensorShape(2, 12), output.Shape);
        Assert.Equal(input.ToArray(), output.ToArray());
        Assert.Equal(input[1, 2, 3], output[1, 11]);
        Assert.True(output.SharesStorageWith(input));
    }

    [Property(Arbitrary = [typeof(LayerCases)], MaxTest = 30, Replay = "(8,13)")]
    public void Backward_RandomShapes_MatchesNumericalGradientAndInputShape(ShapeCase c)
    {
        var layer = new Flatten();
        Tensor input = TestData.Normal(c.Seed, 1f, [c.Batch, .. c.SampleShape]);
        GradientChecker.CheckLayer(layer, input, c.Seed).AssertPassed(maxKinkFraction: 0);
        Tensor dx = layer.Backward(TestData.Normal(c.Seed, 1f, c.Batch, layer.OutputShape[0]));
        Assert.Equal(input.Shape, dx.Shape);
    }

    [Fact]
    public void ForwardBackward_SameBuffers_AllocateNothingAfterFirstCall()
    {
        var layer = new Flatten();
        Tensor input = TestData.Normal(1, 1f, 8, 4, 4, 2);
        Tensor g = TestData.Normal(2, 1f, 8, 32);
        layer.Forward(input, training: true);
        layer.Backward(g);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Tensor first = layer.Forward(input, training: true);
        layer.Backward(g);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Same(first, layer.Forward(input, training: true));
    }
}
