using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

/// <summary>
/// The element-wise base (session 37): what it owns for every layer built on it (the buffers reused after the first
/// batch, the refusal of a backward pass without a forward one) and a layer of a user's own on it. Expected values of the
/// user's cube are worked out by hand (x³, d/dx = 3x²).
/// </summary>
public class ElementwiseLayerTests
{
    // One layer of each kind on the base; the Activation layers over a row-wise (softmax) and an element-wise function.
    private static ElementwiseLayer[] EveryKind() =>
    [
        new Activation(ActivationFunction.Softmax), new Activation(ActivationFunction.Gelu), new ReLU(6f, 0.1f, 0.5f), new ReLU(),
        new LeakyReLU(), new ELU(0.7f), new Clip(0.6f, 1.5f), new ElementwiseMath(ElementwiseFunction.Sqrt),
        new ScalarArithmetic(ArithmeticOperator.Add, 1f), new ScalarArithmetic(ArithmeticOperator.Divide, 2f, constantFirst: true),
        new Cube(),
    ];

    [Fact]
    public void ForwardBackward_EveryKind_AllocatesNothingAfterTheFirstBatch()
    {
        Tensor large = Tensor.RandomUniform(new TensorShape(8, 3, 2), 1, 0.5f, 2f);
        Tensor small = Tensor.RandomUniform(new TensorShape(5, 3, 2), 2, 0.5f, 2f);
        Tensor largeGradient = Tensor.RandomNormal(large.Shape, 3), smallGradient = Tensor.RandomNormal(small.Shape, 4);
        foreach (ElementwiseLayer layer in EveryKind())
        {
            layer.Build(new TensorShape(3, 2));
            layer.Forward(large, training: true);
            layer.Backward(largeGradient);
            AllocationCheck.AssertNone(() =>
            {
                // A smaller batch after a larger one runs on views of the same buffers.
                layer.Forward(small, training: true);
                layer.Backward(smallGradient);
                layer.Forward(large, training: true);
                layer.Backward(largeGradient);
            });
        }
    }

    [Fact]
    public void Backward_BeforeAnyForwardPass_IsRefusedNamingTheLayer()
    {
        foreach (ElementwiseLayer layer in EveryKind())
        {
            layer.Name = "layer_under_test";
            layer.Build(new TensorShape(3, 2));
            var error = Assert.Throws<InvalidOperationException>(() => layer.Backward(Tensor.Ones(4, 3, 2)));
            Assert.Contains($"{layer.TypeName} 'layer_under_test' got an output gradient", error.Message, StringComparison.Ordinal);
            Assert.Contains("(last input: none)", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ForwardBackward_UsersCube_IsTheCubeAndThreeTimesTheSquare()
    {
        var cube = new Cube();
        Tensor y = cube.Forward(Tensor.FromArray([2f, -1.5f, 0f, 0.5f], 2, 2), training: false);
        Assert.Equal([8f, -3.375f, 0f, 0.125f], y.ToArray());
        Tensor dx = cube.Backward(Tensor.FromArray([1f, 2f, 3f, -4f], 2, 2));
        Assert.Equal([12f, 13.5f, 0f, -3f], dx.ToArray());
    }

    [Fact]
    public void Backward_UsersCube_MatchesNumericalGradients()
    {
        GradientChecker.CheckLayer(new Cube(), TestData.Normal(5, 1f, 3, 4, 2), seed: 6).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_LayerThatPassesTheGradientThrough_ReturnsTheOutputGradientItself()
    {
        var shift = new ScalarArithmetic(ArithmeticOperator.Subtract, 1f);
        shift.Forward(Tensor.Ones(2, 3), training: true);
        Tensor gradient = Tensor.RandomNormal(new TensorShape(2, 3), 7);
        Assert.Same(gradient, shift.Backward(gradient));
    }

    [Fact]
    public void Forward_UsersLayerWithAMask_DropsItAsKerasDoesByDefault()
    {
        var cube = new Cube();
        cube.Forward(Tensor.Ones(2, 3), Tensor.FromArray([1f, 0f], 2), training: false);
        Assert.False(cube.SupportsMasking);
        Assert.Null(cube.OutputMask);
    }

    // y = x³ per element: a layer of a user's own, nothing but its two kernels and its name.
    private sealed class Cube : ElementwiseLayer
    {
        public override string DefaultNamePrefix => "cube";

        protected override void ForwardElements(ReadOnlySpan<float> input, Span<float> output)
        {
            for (int i = 0; i < input.Length; i++)
            {
                output[i] = input[i] * input[i] * input[i];
            }
        }

        protected override void BackwardElements(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
        {
            for (int i = 0; i < input.Length; i++)
            {
                inputGradient[i] = 3f * input[i] * input[i] * outputGradient[i];
            }
        }
    }
}
