using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>
/// The layers NeuralNet.Keras reads Keras operations as: ScalarArithmetic (ops.add/subtract/multiply/divide with a
/// number), ElementwiseMath (ops.sqrt, square, exp, log, abs, negative) and Reduce (ops.mean/sum/max/min with axis and
/// keepdims). Expected values are worked out by hand from NumPy's definitions, which keras.ops follows.
/// </summary>
public class OperationLayerTests
{
    private static float[] Run(Layer layer, float[] values, params int[] shape)
    {
        return layer.Forward(Tensor.FromArray(values, shape), training: false).ToArray();
    }

    [Theory]
    [InlineData(ArithmeticOperator.Add, false, new[] { 0f, 2.5f, 6f })]
    [InlineData(ArithmeticOperator.Subtract, false, new[] { -4f, -1.5f, 2f })]
    [InlineData(ArithmeticOperator.Subtract, true, new[] { 4f, 1.5f, -2f })]
    [InlineData(ArithmeticOperator.Multiply, true, new[] { -4f, 1f, 8f })]
    [InlineData(ArithmeticOperator.Divide, false, new[] { -1f, 0.25f, 2f })]
    [InlineData(ArithmeticOperator.Divide, true, new[] { -1f, 4f, 0.5f })]
    public void Forward_ScalarArithmeticWithTwo_IsTheOperatorOnEachElement(ArithmeticOperator op, bool constantFirst, float[] expected)
    {
        // x = (-2, 0.5, 4), c = 2: x + 2, x - 2, 2 - x, 2 * x, x / 2, 2 / x.
        Assert.Equal(expected, Run(new ScalarArithmetic(op, 2f, constantFirst), [-2f, 0.5f, 4f], 1, 3));
    }

    [Theory]
    [InlineData(ArithmeticOperator.Add, false)]
    [InlineData(ArithmeticOperator.Subtract, false)]
    [InlineData(ArithmeticOperator.Subtract, true)]
    [InlineData(ArithmeticOperator.Multiply, false)]
    [InlineData(ArithmeticOperator.Divide, false)]
    [InlineData(ArithmeticOperator.Divide, true)]
    public void Backward_ScalarArithmetic_MatchesNumericalGradients(ArithmeticOperator op, bool constantFirst)
    {
        GradientChecker.CheckLayer(new ScalarArithmetic(op, -1.5f, constantFirst), TestData.AwayFromZero(3, 0.5f, 2, 3, 4), seed: 4).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Constructor_ScalarArithmeticNotFinite_IsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ScalarArithmetic(ArithmeticOperator.Add, float.NaN));
        Assert.Contains("finite constant", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ElementwiseFunction.Sqrt, new[] { 2f, 0.5f, 3f })]
    [InlineData(ElementwiseFunction.Square, new[] { 16f, 0.0625f, 81f })]
    [InlineData(ElementwiseFunction.Abs, new[] { 4f, 0.25f, 9f })]
    [InlineData(ElementwiseFunction.Negative, new[] { -4f, -0.25f, -9f })]
    public void Forward_ElementwiseMath_IsTheFunctionOfEachElement(ElementwiseFunction function, float[] expected)
    {
        Assert.Equal(expected, Run(new ElementwiseMath(function), [4f, 0.25f, 9f], 1, 3));
    }

    [Fact]
    public void Forward_ExpAndLog_AreInverse()
    {
        // exp(0) = 1, exp(1) = e; log(1) = 0, log(e) = 1.
        float[] exp = Run(new ElementwiseMath(ElementwiseFunction.Exp), [0f, 1f], 1, 2);
        Assert.Equal(1f, exp[0]);
        Assert.Equal(MathF.E, exp[1], 6);
        float[] log = Run(new ElementwiseMath(ElementwiseFunction.Log), [1f, MathF.E], 1, 2);
        Assert.Equal(0f, log[0]);
        Assert.Equal(1f, log[1], 6);
    }

    [Theory]
    [InlineData(ElementwiseFunction.Sqrt)]
    [InlineData(ElementwiseFunction.Square)]
    [InlineData(ElementwiseFunction.Exp)]
    [InlineData(ElementwiseFunction.Log)]
    [InlineData(ElementwiseFunction.Abs)]
    [InlineData(ElementwiseFunction.Negative)]
    public void Backward_ElementwiseMath_MatchesNumericalGradients(ElementwiseFunction function)
    {
        // Positive inputs away from 0 for √ and ln; both signs, away from |x|'s kink, for the others.
        Tensor x = function is ElementwiseFunction.Sqrt or ElementwiseFunction.Log
            ? Tensor.RandomUniform(new TensorShape(2, 3, 4), 5, 0.5f, 2f)
            : TestData.AwayFromZero(5, 0.3f, 2, 3, 4);
        GradientChecker.CheckLayer(new ElementwiseMath(function), x, seed: 6).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_AbsAtZero_IsZero()
    {
        var layer = new ElementwiseMath(ElementwiseFunction.Abs);
        layer.Build(new TensorShape(2));
        Run(layer, [0f, -1f], 1, 2);
        Assert.Equal([0f, -3f], layer.Backward(Tensor.FromArray([3f, 3f], 1, 2)).ToArray());
    }

    [Theory]
    [InlineData(Reduction.Mean, new[] { 1 }, false, new[] { 2.5f, 3.5f, 4.5f }, new[] { 1, 3 })]
    [InlineData(Reduction.Sum, new[] { -1 }, true, new[] { 6f, 15f }, new[] { 1, 2, 1 })]
    [InlineData(Reduction.Max, new[] { 2 }, false, new[] { 3f, 6f }, new[] { 1, 2 })]
    [InlineData(Reduction.Min, new[] { 1 }, true, new[] { 1f, 2f, 3f }, new[] { 1, 1, 3 })]
    [InlineData(Reduction.Sum, new[] { 1, 2 }, false, new[] { 21f }, new[] { 1 })]
    public void Forward_ReduceOfOneToSix_IsNumpysReduction(Reduction reduction, int[] axes, bool keepDims, float[] expected, int[] shape)
    {
        // x = [[1, 2, 3], [4, 5, 6]], one sample: mean over axis 1 = column means, sum over -1 = row sums, ...
        var layer = new Reduce(reduction, axes, keepDims);
        Assert.Equal(expected, Run(layer, [1f, 2f, 3f, 4f, 5f, 6f], 1, 2, 3));
        Assert.Equal(new TensorShape(shape), layer.OutputShape.Prepend(1));
    }

    [Theory]
    [InlineData(Reduction.Mean, new[] { 1 }, false)]
    [InlineData(Reduction.Mean, new[] { 1, 3 }, true)]
    [InlineData(Reduction.Sum, new[] { -1 }, false)]
    [InlineData(Reduction.Sum, new[] { 2, -1 }, true)]
    [InlineData(Reduction.Max, new[] { 2 }, false)]
    [InlineData(Reduction.Min, new[] { 1, 3 }, false)]
    public void Backward_Reduce_MatchesNumericalGradients(Reduction reduction, int[] axes, bool keepDims)
    {
        GradientChecker.CheckLayer(new Reduce(reduction, axes, keepDims), TestData.Normal(7, 1f, 2, 3, 4, 2), seed: 8).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_MaxAndMinWithTies_SplitTheGradientEvenly()
    {
        // TensorFlow's _MinOrMaxGrad, JAX's and torch.amax's rule: dy / (number of elements equal to the result).
        var max = new Reduce(Reduction.Max, [1]);
        Run(max, [2f, 5f, 5f, 1f, 5f, 7f, 3f, 7f], 2, 4);
        Assert.Equal([0f, 0.5f, 0.5f, 0f, 0f, 3f, 0f, 3f], max.Backward(Tensor.FromArray([1f, 6f], 2)).ToArray());
        var min = new Reduce(Reduction.Min, [-1]);
        Run(min, [4f, 4f, 4f, 9f, 1f, 2f], 2, 3);
        Assert.Equal([1f, 1f, 1f, 0f, 4f, 0f], min.Backward(Tensor.FromArray([3f, 4f], 2)).ToArray());
    }

    [Fact]
    public void Constructor_ReduceOverTheBatchAxis_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new Reduce(Reduction.Mean, [0, 1]));
        Assert.Contains("none of them the batch axis 0. Received: axis=[0, 1]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ReduceAxisOutOfRange_NamesLayerAndAxis()
    {
        var e = Assert.Throws<ArgumentException>(() => new Reduce(Reduction.Sum, [-3], name: "total").Build(new TensorShape(4)));
        Assert.Contains("Reduce 'total' reduces axis -3, which an input of 2 axes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recreate_OperationLayers_KeepTheirConfigs()
    {
        Layer[] layers = [new ScalarArithmetic(ArithmeticOperator.Divide, 3f, true, "div"), new ElementwiseMath(ElementwiseFunction.Log, "log"), new Reduce(Reduction.Max, [1, -1], true, "max")];
        foreach (Layer layer in layers)
        {
            Assert.Equal(layer.GetConfig().ToJson(), SerializationRegistry.Recreate(layer).GetConfig().ToJson());
        }
    }

    [Fact]
    public void TrainingStep_OperationLayers_AllocateNothingAfterTheFirstBatch()
    {
        Layer[] layers = [new ScalarArithmetic(ArithmeticOperator.Divide, 3f, true), new ElementwiseMath(ElementwiseFunction.Sqrt), new Reduce(Reduction.Max, [1])];
        Tensor x = Tensor.RandomUniform(new TensorShape(4, 3, 2), 9, 0.5f, 2f);
        foreach (Layer layer in layers)
        {
            layer.Build(new TensorShape(3, 2));
            Tensor gradient = Tensor.Ones(layer.OutputShape.Prepend(4).Dimensions);
            layer.Forward(x, training: true);
            layer.Backward(gradient);
            AllocationCheck.AssertNone(() =>
            {
                layer.Forward(x, training: true);
                layer.Backward(gradient);
            });
        }
    }
}
