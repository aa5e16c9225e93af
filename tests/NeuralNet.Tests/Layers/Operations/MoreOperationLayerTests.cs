using NeuralNet.Layers;
using NeuralNet.Serialization;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Layers.Operations;

/// <summary>
/// The operations added in session 36: ScalarArithmetic's max, min and power with a number (ops.maximum, ops.minimum,
/// ops.power / x ** c), ElementwiseMath's sin, cos, erf, floor, round and sign, Clip (ops.clip) and Divide (a / b of two
/// tensors). Expected values are worked out by hand from NumPy's definitions, which keras.ops follows; erf's from
/// Abramowitz and Stegun's table 7.1.
/// </summary>
public class MoreOperationLayerTests
{
    private static float[] Run(Layer layer, float[] values, params int[] shape) =>
        layer.Forward(Tensor.FromArray(values, shape), training: false).ToArray();

    [Theory]
    [InlineData(ArithmeticOperator.Maximum, false, new[] { 2f, 2f, 4f })]
    [InlineData(ArithmeticOperator.Minimum, true, new[] { -2f, 0.5f, 2f })]
    [InlineData(ArithmeticOperator.Power, false, new[] { 4f, 0.25f, 16f })]
    [InlineData(ArithmeticOperator.Power, true, new[] { 0.25f, 1.4142135f, 16f })]
    public void Forward_ScalarArithmeticWithTwo_IsNumpysFunction(ArithmeticOperator op, bool constantFirst, float[] expected)
    {
        // x = (-2, 0.5, 4), c = 2: max(x, 2), min(2, x), x ** 2, 2 ** x (2^0.5 = √2).
        Assert.Equal(expected, Run(new ScalarArithmetic(op, 2f, constantFirst), [-2f, 0.5f, 4f], 1, 3));
    }

    [Fact]
    public void Forward_PowerWithAFractionalOrNegativeExponent_IsNumpysPower()
    {
        // 4 ** 0.5 = 2, 4 ** -1 = 0.25; (-8) ** 3 = -512 (an integer exponent of a negative base).
        Assert.Equal([2f, 0.5f], Run(new ScalarArithmetic(ArithmeticOperator.Power, 0.5f), [4f, 0.25f], 1, 2));
        Assert.Equal([0.25f, -0.125f], Run(new ScalarArithmetic(ArithmeticOperator.Power, -1f), [4f, -8f], 1, 2));
        Assert.Equal([-512f], Run(new ScalarArithmetic(ArithmeticOperator.Power, 3f), [-8f], 1, 1));
    }

    [Theory]
    [InlineData(ArithmeticOperator.Maximum, false)]
    [InlineData(ArithmeticOperator.Minimum, true)]
    [InlineData(ArithmeticOperator.Power, false)]
    [InlineData(ArithmeticOperator.Power, true)]
    public void Backward_ScalarArithmetic_MatchesNumericalGradients(ArithmeticOperator op, bool constantFirst)
    {
        // c = 2.5 (x ** 2.5 on positive x; max and min away from the kink at x = 2.5 for the draws of seed 3).
        Tensor x = op == ArithmeticOperator.Power && !constantFirst
            ? Tensor.RandomUniform(new TensorShape(2, 3, 4), 3, 0.5f, 2f)
            : Tensor.RandomUniform(new TensorShape(2, 3, 4), 3, 0.3f, 3.4f);
        GradientChecker.CheckLayer(new ScalarArithmetic(op, 2.5f, constantFirst), x, seed: 4).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Backward_MaximumAndMinimumAtTheConstant_GiveTheGradientToX()
    {
        // TensorFlow's _MaximumMinimumGrad: greater_equal / less_equal masks of the first operand, x here, so a tie x = c
        // passes the gradient.
        var max = new ScalarArithmetic(ArithmeticOperator.Maximum, 1f);
        Run(max, [1f, 0f, 3f], 1, 3);
        Assert.Equal([5f, 0f, 5f], max.Backward(Tensor.FromArray([5f, 5f, 5f], 1, 3)).ToArray());
        var min = new ScalarArithmetic(ArithmeticOperator.Minimum, 1f);
        Run(min, [1f, 0f, 3f], 1, 3);
        Assert.Equal([5f, 5f, 0f], min.Backward(Tensor.FromArray([5f, 5f, 5f], 1, 3)).ToArray());
    }

    [Fact]
    public void Backward_MaximumAndMinimumWithTheConstantFirst_GiveATieToTheConstant()
    {
        // _MaximumMinimumGrad's mask is greater_equal(x1, x2) / less_equal(x1, x2) of the operands in order: in max(c, x)
        // and min(c, x) the first operand is c, so at x = c the gradient goes to c and x gets 0.
        var max = new ScalarArithmetic(ArithmeticOperator.Maximum, 1f, constantFirst: true);
        Assert.Equal([1f, 1f, 3f], Run(max, [1f, 0f, 3f], 1, 3));
        Assert.Equal([0f, 0f, 5f], max.Backward(Tensor.FromArray([5f, 5f, 5f], 1, 3)).ToArray());
        var min = new ScalarArithmetic(ArithmeticOperator.Minimum, 1f, constantFirst: true);
        Assert.Equal([1f, 0f, 1f], Run(min, [1f, 0f, 3f], 1, 3));
        Assert.Equal([0f, 5f, 0f], min.Backward(Tensor.FromArray([5f, 5f, 5f], 1, 3)).ToArray());
    }

    [Fact]
    public void Backward_PowerOfANonPositiveConstant_IsZeroWhereThePowerIsFinite()
    {
        // TensorFlow's _PowGrad: log c is taken as 0 where c <= 0, so d(cˣ)/dx = cˣ · 0. 0 ** x: 0 for x > 0, 1 at x = 0;
        // (-2) ** x: 4 at x = 2, -8 at x = 3, NaN at x = 0.5 (whose gradient stays NaN, as cˣ · 0 is in TensorFlow).
        var zero = new ScalarArithmetic(ArithmeticOperator.Power, 0f, constantFirst: true);
        Assert.Equal([0f, 1f], Run(zero, [2f, 0f], 1, 2));
        Assert.Equal([0f, 0f], zero.Backward(Tensor.FromArray([1f, 1f], 1, 2)).ToArray());
        var negative = new ScalarArithmetic(ArithmeticOperator.Power, -2f, constantFirst: true);
        float[] y = Run(negative, [2f, 3f, 0.5f], 1, 3);
        Assert.Equal([4f, -8f], y[..2]);
        Assert.True(float.IsNaN(y[2]));
        float[] dx = negative.Backward(Tensor.FromArray([1f, 1f, 1f], 1, 3)).ToArray();
        Assert.Equal([0f, 0f], dx[..2]);
        Assert.True(float.IsNaN(dx[2]));
    }

    [Fact]
    public void Backward_PowerAtZero_IsTheDerivativeNotNaN()
    {
        // d(x²)/dx = 2x = 0 at 0; d(x⁰)/dx = 0 (x⁰ = 1); d(x³)/dx at -1 = 3.
        var square = new ScalarArithmetic(ArithmeticOperator.Power, 2f);
        Run(square, [0f, -1f], 1, 2);
        Assert.Equal([0f, -2f], square.Backward(Tensor.FromArray([1f, 1f], 1, 2)).ToArray());
        var zero = new ScalarArithmetic(ArithmeticOperator.Power, 0f);
        Assert.Equal([1f, 1f], Run(zero, [0f, -1f], 1, 2));
        Assert.Equal([0f, 0f], zero.Backward(Tensor.FromArray([1f, 1f], 1, 2)).ToArray());
    }

    [Fact]
    public void Forward_SinCosErf_AreTheirValues()
    {
        // sin(π/6) = 0.5, sin(-π/2) = -1; cos(π/3) = 0.5, cos(π) = -1; erf(0.5) = 0.5204998778, erf(-1) = -0.8427007929,
        // erf(2) = 0.9953222650, erf(0.01) = 0.0112834156 (Abramowitz and Stegun, table 7.1).
        float[] sin = Run(new ElementwiseMath(ElementwiseFunction.Sin), [MathF.PI / 6, -MathF.PI / 2], 1, 2);
        Assert.Equal(0.5f, sin[0], 6);
        Assert.Equal(-1f, sin[1], 6);
        float[] cos = Run(new ElementwiseMath(ElementwiseFunction.Cos), [MathF.PI / 3, MathF.PI], 1, 2);
        Assert.Equal(0.5f, cos[0], 6);
        Assert.Equal(-1f, cos[1], 6);
        float[] erf = Run(new ElementwiseMath(ElementwiseFunction.Erf), [0.5f, -1f, 2f, 0.01f, 0f], 1, 5);
        float[] expected = [0.5204998778f, -0.8427007929f, 0.9953222650f, 0.0112834156f, 0f];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(MathF.Abs(erf[i] - expected[i]) <= 2e-7f * (1 + MathF.Abs(expected[i])), $"erf #{i}: {erf[i]} vs {expected[i]}");
        }
    }

    [Theory]
    [InlineData(ElementwiseFunction.Floor, new[] { -3f, -2f, -1f, 0f, 1f, 2f })]
    [InlineData(ElementwiseFunction.Round, new[] { -2f, -2f, -0f, 0f, 2f, 2f })]
    [InlineData(ElementwiseFunction.Sign, new[] { -1f, -1f, -1f, 0f, 1f, 1f })]
    public void Forward_StepFunctions_AreNumpys(ElementwiseFunction function, float[] expected)
    {
        // x = (-2.5, -1.5, -0.4, 0, 1.5, 2.5): np.floor; np.round halves to even (-2.5 -> -2, -1.5 -> -2, 1.5 -> 2, 2.5 -> 2); np.sign.
        Assert.Equal(expected, Run(new ElementwiseMath(function), [-2.5f, -1.5f, -0.4f, 0f, 1.5f, 2.5f], 1, 6));
    }

    [Theory]
    [InlineData(ElementwiseFunction.Sin)]
    [InlineData(ElementwiseFunction.Cos)]
    [InlineData(ElementwiseFunction.Erf)]
    public void Backward_SmoothFunctions_MatchNumericalGradients(ElementwiseFunction function)
    {
        GradientChecker.CheckLayer(new ElementwiseMath(function), TestData.Normal(5, 1f, 2, 3, 4), seed: 6).AssertPassed(maxKinkFraction: 0);
    }

    [Theory]
    [InlineData(ElementwiseFunction.Floor)]
    [InlineData(ElementwiseFunction.Round)]
    [InlineData(ElementwiseFunction.Sign)]
    public void Backward_StepFunctions_AreZero(ElementwiseFunction function)
    {
        // Piecewise constant: the derivative is 0 wherever it exists (TensorFlow, JAX and PyTorch give 0 everywhere).
        var layer = new ElementwiseMath(function);
        Run(layer, [-1.3f, 0.2f, 2.7f], 1, 3);
        Assert.Equal([0f, 0f, 0f], layer.Backward(Tensor.FromArray([1f, 2f, 3f], 1, 3)).ToArray());
    }

    [Fact]
    public void ForwardBackward_Clip_LimitsValuesAndPassesTheGradientInsideTheBounds()
    {
        // np.clip(x, -1, 2); the gradient passes where -1 <= x <= 2 (bounds included, as clip_by_value's).
        var clip = new Clip(-1f, 2f);
        Assert.Equal([-1f, -1f, 0.5f, 2f, 2f], Run(clip, [-3f, -1f, 0.5f, 2f, 7f], 1, 5));
        Assert.Equal([0f, 1f, 1f, 1f, 0f], clip.Backward(Tensor.FromArray([1f, 1f, 1f, 1f, 1f], 1, 5)).ToArray());
    }

    [Fact]
    public void Backward_Clip_MatchesNumericalGradients()
    {
        GradientChecker.CheckLayer(new Clip(-0.5f, 0.7f), TestData.Normal(8, 1f, 2, 3, 4), seed: 9).AssertPassed(maxKinkFraction: 0.1);
    }

    [Theory]
    [InlineData(float.NaN, 1f)]
    [InlineData(0f, float.PositiveInfinity)]
    [InlineData(2f, 1f)]
    public void Constructor_ClipBadBounds_IsRefusedNamingThem(float min, float max)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Clip(min, max));
        Assert.Contains("x_min <= x_max. Received: x_min=", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForwardBackward_Divide_IsTheQuotientAndItsGradients()
    {
        // y = a / b; dy/da = 1 / b, dy/db = -a / b²: a = (6, -1), b = (3, 0.5), g = (1, 2) -> y = (2, -2),
        // da = (1/3, 4), db = (-6/9, 2 * 1 / 0.25 = 8).
        var divide = new Divide();
        Tensor a = Tensor.FromArray([6f, -1f], 1, 2), b = Tensor.FromArray([3f, 0.5f], 1, 2);
        divide.Build([new TensorShape(2), new TensorShape(2)]);
        Assert.Equal([2f, -2f], divide.Forward([a, b], training: true).ToArray());
        Tensor?[] gradients = new Tensor?[2];
        divide.Backward(Tensor.FromArray([1f, 2f], 1, 2), gradients);
        Assert.Equal(1f / 3, gradients[0]!.ToArray()[0], 6);
        Assert.Equal(4f, gradients[0]!.ToArray()[1]);
        Assert.Equal(-6f / 9, gradients[1]!.ToArray()[0], 6);
        Assert.Equal(8f, gradients[1]!.ToArray()[1]);
    }

    [Fact]
    public void Forward_DivideOfMaskedInputs_DropsTheMasks()
    {
        // Keras' ops.divide takes no masks; the other merge layers would OR them (Merge.compute_mask).
        var divide = new Divide();
        Tensor a = Tensor.FromArray([1f, 2f, 3f, 4f], 1, 2, 2), b = Tensor.FromArray([2f, 2f, 2f, 2f], 1, 2, 2);
        Tensor mask = Tensor.FromArray([1f, 0f], 1, 2);

        Tensor y = divide.Forward([a, b], [mask, mask], training: false);

        Assert.Equal([0.5f, 1f, 1.5f, 2f], y.ToArray());
        Assert.Null(divide.OutputMask);
        Assert.False(divide.MasksSurely([true, true]));
        var add = new Add();
        add.Forward([a, b], [mask, mask], training: false);
        Assert.NotNull(add.OutputMask);
    }

    [Fact]
    public void Backward_DivideWithBroadcasting_MatchesNumericalGradients()
    {
        // (2, 3, 4) / (2, 1, 4): Keras' merge broadcasting; the divisor kept away from 0.
        Tensor a = TestData.Normal(10, 1f, 2, 3, 4), b = TestData.AwayFromZero(11, 0.5f, 2, 1, 4);
        MultiInputGradientChecker.CheckLayer(new Divide(), [a, b], seed: 12).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Recreate_NewOperationLayers_KeepTheirConfigs()
    {
        Layer[] layers = [new ScalarArithmetic(ArithmeticOperator.Power, 3f, true, "pow"), new ElementwiseMath(ElementwiseFunction.Erf, "erf"), new Clip(-1f, 0.5f, "clip"), new Divide("div")];
        foreach (Layer layer in layers)
        {
            Assert.Equal(layer.GetConfig().ToJson(), SerializationRegistry.Recreate(layer).GetConfig().ToJson());
        }
    }

    [Fact]
    public void TrainingStep_NewOperationLayers_AllocateNothingAfterTheFirstBatch()
    {
        Layer[] layers = [new ScalarArithmetic(ArithmeticOperator.Power, 2f), new ScalarArithmetic(ArithmeticOperator.Maximum, 1f), new ElementwiseMath(ElementwiseFunction.Erf), new ElementwiseMath(ElementwiseFunction.Sin), new Clip(0.6f, 1.5f)];
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

        var divide = new Divide();
        divide.Build([new TensorShape(3, 2), new TensorShape(3, 2)]);
        Tensor?[] slots = new Tensor?[2];
        Tensor ones = Tensor.Ones(4, 3, 2);
        divide.Forward([x, x], training: true);
        divide.Backward(ones, slots);
        AllocationCheck.AssertNone(() =>
        {
            divide.Forward([x, x], training: true);
            divide.Backward(ones, slots);
        });
    }
}
