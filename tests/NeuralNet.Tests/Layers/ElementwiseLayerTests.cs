using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers;

/// <summary>
/// The element-wise base (session 37): what it owns for every layer built on it (the buffers reused after the first
/// batch of each size, the refusal of a backward pass without a forward one of its batch size, the output gradient
/// returned when no input gradient is needed or it passes through) and a layer of a user's own on it. Expected values
/// are worked out by hand (the user's cube x³, d/dx = 3x²; 3 - x, d/dx = -1).
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
    public void ForwardBackward_EveryKind_AllocatesNothingAfterTheFirstBatchOfEachSize()
    {
        Tensor large = Tensor.RandomUniform(new TensorShape(8, 3, 2), 1, 0.5f, 2f);
        Tensor small = Tensor.RandomUniform(new TensorShape(5, 3, 2), 2, 0.5f, 2f);
        Tensor largeGradient = Tensor.RandomNormal(large.Shape, 3), smallGradient = Tensor.RandomNormal(small.Shape, 4);
        foreach (ElementwiseLayer layer in EveryKind())
        {
            // The first batch of each size: the large one sizes the buffers, the small one makes their view of 5 rows.
            layer.Build(new TensorShape(3, 2));
            layer.Forward(large, training: true);
            layer.Backward(largeGradient);
            layer.Forward(small, training: true);
            layer.Backward(smallGradient);
            AllocationCheck.AssertNone(() =>
            {
                // Both sizes again, as in an epoch of full batches and a last, smaller one: the same buffers and view.
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
    public void Backward_AfterAForwardPassOfAnotherBatchSize_IsRefusedNamingTheLastInput()
    {
        foreach (ElementwiseLayer layer in EveryKind())
        {
            layer.Name = "layer_under_test";
            layer.Forward(Tensor.RandomUniform(new TensorShape(8, 3, 2), 8, 0.5f, 2f), training: true);
            var error = Assert.Throws<InvalidOperationException>(() => layer.Backward(Tensor.Ones(5, 3, 2)));
            Assert.Contains($"{layer.TypeName} 'layer_under_test' got an output gradient (5, 3, 2)", error.Message, StringComparison.Ordinal);
            Assert.Contains("(last input: (8, 3, 2))", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Backward_WhenNoInputGradientIsNeeded_ReturnsTheOutputGradientItself()
    {
        foreach (ElementwiseLayer layer in EveryKind())
        {
            layer.Forward(Tensor.RandomUniform(new TensorShape(4, 3, 2), 9, 0.5f, 2f), training: true);
            layer.ComputesInputGradient = false;
            Tensor gradient = Tensor.RandomNormal(new TensorShape(4, 3, 2), 10);
            float[] before = gradient.ToArray();
            Assert.Same(gradient, layer.Backward(gradient));
            Assert.Equal(before, gradient.ToArray());
        }
    }

    [Theory]
    [InlineData(ArithmeticOperator.Add, false)]
    [InlineData(ArithmeticOperator.Add, true)]
    [InlineData(ArithmeticOperator.Subtract, false)]
    public void Backward_ShiftByAConstant_ReturnsTheOutputGradientItself(ArithmeticOperator shift, bool constantFirst)
    {
        var layer = new ScalarArithmetic(shift, 1f, constantFirst);
        layer.Forward(Tensor.Ones(2, 3), training: true);
        Tensor gradient = Tensor.RandomNormal(new TensorShape(2, 3), 7);
        float[] before = gradient.ToArray();
        Assert.Same(gradient, layer.Backward(gradient));
        Assert.Equal(before, gradient.ToArray());
    }

    [Fact]
    public void ForwardBackward_ConstantMinusX_IsTheDifferenceAndTheNegatedGradient()
    {
        // 3 - x and d/dx = -1: this subtraction runs its kernel instead of passing the gradient through.
        var layer = new ScalarArithmetic(ArithmeticOperator.Subtract, 3f, constantFirst: true);
        Tensor y = layer.Forward(Tensor.FromArray([2f, -1.5f, 0f, 4.25f], 2, 2), training: true);
        Assert.Equal([1f, 4.5f, 3f, -1.25f], y.ToArray());
        Tensor gradient = Tensor.FromArray([1f, -2f, 0.5f, 3f], 2, 2);
        Tensor dx = layer.Backward(gradient);
        Assert.NotSame(gradient, dx);
        Assert.Equal([-1f, 2f, -0.5f, -3f], dx.ToArray());
    }

    [Fact]
    public void Forward_WithAMask_RunsTheKernelOnEveryElementAndPassesTheMaskOnlyWhenTheLayerSupportsMasking()
    {
        // The base has no say on masks: its kernels see masked elements too, and the mask goes on as Layer.SupportsMasking says.
        Tensor x = Tensor.FromArray([2f, -1f, 0.5f, 3f, 1f, -2f], 2, 3);
        Tensor mask = Tensor.FromArray([1f, 0f], 2);
        float[] cubed = [8f, -1f, 0.125f, 27f, 1f, -8f];

        var dropping = new Cube();
        Assert.Equal(cubed, dropping.Forward(x, mask, training: false).ToArray());
        Assert.Null(dropping.OutputMask);

        var passing = new MaskedCube();
        Assert.Equal(cubed, passing.Forward(x, mask, training: false).ToArray());
        Assert.NotNull(passing.OutputMask);
        Assert.Equal([1f, 0f], passing.OutputMask.ToArray());
    }

    // y = x³ per element: a layer of a user's own, nothing but its two kernels and its name.
    private class Cube : ElementwiseLayer
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

    // The cube, passing its input's mask on.
    private sealed class MaskedCube : Cube
    {
        public override bool SupportsMasking => true;
    }
}
