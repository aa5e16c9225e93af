using NeuralNet.Activations;
using NeuralNet.Constraints;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Regularizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Layers.Normalization;
using Xunit;

namespace NeuralNet.Tests.Layers.Convolutional;

/// <summary>SeparableConv1D, DepthwiseConv1D and Conv1DTranspose stacked in a model: gradients, training, saving and threads.</summary>
public class Conv1DFamilyModelTests
{
    private static Layer[] Stack() =>
    [
        new SeparableConv1D(4, 3, padding: Padding.Same, depthMultiplier: 2, activation: ActivationFunction.Tanh, depthwiseRegularizer: new L2(0.01),
            pointwiseRegularizer: new L1(0.01)) { PointwiseConstraint = new MaxNorm(1.5f, axis: [0, 1]) },
        new DepthwiseConv1D(3, strides: 2, padding: Padding.Same, depthMultiplier: 2, activation: ActivationFunction.Sigmoid) { DepthwiseConstraint = new NonNeg() },
        new Conv1DTranspose(3, 3, strides: 2, padding: Padding.Same, activation: ActivationFunction.Tanh, kernelRegularizer: new L2(0.02)),
    ];

    [Fact]
    public void Model_ParameterGradientsWithPenalties_MatchNumericalGradients()
    {
        var model = new Sequential([new InputLayer(10, 3), .. Stack()], seed: 4);
        Assert.Equal([10, 3], model.Layers[^1].OutputShape.Dimensions.ToArray());
        ModelGradientChecker.Check(model, [Tensor.RandomNormal(new TensorShape(3, 10, 3), 5)], seed: 6).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Training_SameSeedSameBits_SavesAndLoads_AndAllocatesNothing()
    {
        Sequential first = LayerTestKit.TrainedModel([10, 3], 7, Stack());
        Sequential second = LayerTestKit.TrainedModel([10, 3], 7, Stack());
        Assert.Equal(
            first.Parameters.Select(p => p.Value.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray()),
            second.Parameters.Select(p => p.Value.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray()));
        Assert.All(first.Layers.OfType<DepthwiseConv1D>().Single().Kernel.Value.ToArray(), v => Assert.True(v >= 0, "NonNeg constraint applied"));
        LayerTestKit.AssertRoundTrip(first, LayerTestKit.Data([10, 3], 8).X);
        LayerTestKit.AssertTrainingAllocatesNothing([10, 3], Stack());
        LayerTestKit.AssertSameBitsWithOneAndTwoThreads([10, 3], Stack);
    }
}
