using FsCheck.Xunit;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

public class ActivationTests
{
    [Property(Arbitrary = [typeof(LayerCases)], MaxTest = 40, Replay = "(99,101)")]
    public void Backward_RandomShapesEveryFunction_MatchesNumericalGradient(ShapeCase c)
    {
        ActivationFunction function = DenseCase.Activations[(int)(c.Seed % DenseCase.Activations.Length)];
        var layer = new Activation(function);
        Tensor input = TestData.AwayFromZero(c.Seed, 0.01f, [c.Batch, .. c.SampleShape]);
        GradientChecker.CheckLayer(layer, input, c.Seed).AssertPassed(maxKinkFraction: 0);
        Assert.Equal(new TensorShape(c.SampleShape), layer.OutputShape);
    }

    [Fact]
    public void Forward_Softmax_ActsOnLastAxis()
    {
        var layer = new Activation(ActivationFunction.Softmax);
        Tensor output = layer.Forward(TestData.Normal(1, 1f, 2, 3, 4), training: false);
        for (int row = 0; row < 6; row++)
        {
            Assert.Equal(1f, TensorSum(output.AsReadOnlySpan().Slice(row * 4, 4)), 1e-6f);
        }
    }

    [Fact]
    public void BackwardFromLogitsGradient_Softmax_PassesTheLogitsGradientThrough()
    {
        var layer = new Activation(ActivationFunction.Softmax);
        Assert.True(layer.EndsWithSoftmax);
        layer.Forward(TestData.Normal(1, 1f, 2, 3), training: true);
        Tensor g = TestData.Normal(2, 1f, 2, 3);
        Assert.Same(g, layer.BackwardFromLogitsGradient(g));
        Assert.Throws<ArgumentException>(() => layer.BackwardFromLogitsGradient(new Tensor(2, 4)));
    }

    [Fact]
    public void BackwardFromLogitsGradient_Relu_ThrowsNotSupported()
    {
        var layer = new Activation(ActivationFunction.Relu, name: "act");
        Assert.False(layer.EndsWithSoftmax);
        layer.Forward(new Tensor(2, 3), training: true);
        var e = Assert.Throws<NotSupportedException>(() => layer.BackwardFromLogitsGradient(new Tensor(2, 3)));
        Assert.Contains("Activation 'act'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Properties_KerasNameNoParameters()
    {
        var layer = new Activation(ActivationFunction.Tanh);
        layer.Build(new TensorShape(7));
        Assert.Equal("activation", layer.DefaultNamePrefix);
        Assert.Equal(0, layer.ParameterCount);
        Assert.Same(ActivationFunction.Tanh, layer.Function);
        Assert.Throws<ArgumentNullException>(() => new Activation(null!));
    }

    [Fact]
    public void ForwardBackward_AfterWarmUp_AllocatesNothing()
    {
        var layer = new Activation(ActivationFunction.Sigmoid);
        Tensor input = TestData.Normal(1, 1f, 16, 20);
        Tensor g = TestData.Normal(2, 1f, 16, 20);
        for (int i = 0; i < 3; i++)
        {
            layer.Forward(input, training: true);
            layer.Backward(g);
        }

        AllocationCheck.AssertNone(() =>
        {
            layer.Forward(input, training: true);
            layer.Backward(g);
        });
    }

    private static float TensorSum(ReadOnlySpan<float> values)
    {
        float sum = 0;
        foreach (float v in values)
        {
            sum += v;
        }

        return sum;
    }
}
